//! `paddock new NAME --lang rust|python|js`: a plugin directory that
//! `paddock bundle` turns into a bundle without edits.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use paddock::manifest::validate_name;
use paddock::packaging::toolchain::checkout_root;

/// The language of a new plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// A Rust crate using the paddock-guest SDK.
    Rust,
    /// app.py using guest-sdk/python (built with componentize-py).
    Python,
    /// plugin.js using guest-sdk/js (built with componentize-js).
    #[value(alias = "javascript")]
    Js,
}

const MANIFEST: &str = include_str!("../../../templates/manifest.yaml");
const README: &str = include_str!("../../../templates/README.md");
const RUST_CARGO_TOML: &str = include_str!("../../../templates/rust/Cargo.toml.tmpl");
const RUST_LIB: &str = include_str!("../../../templates/rust/lib.rs.tmpl");
const PYTHON_APP: &str = include_str!("../../../templates/python/app.py");
const JS_PLUGIN: &str = include_str!("../../../templates/js/plugin.js");

/// Creates `PARENT/NAME` with a manifest, README and source; returns the
/// directory and the files written.
pub fn create(name: &str, lang: Lang, parent: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    if let Err(error) = validate_name(name) {
        match error {
            paddock::ManifestError::Field { problem, .. } => bail!("plugin name {problem}"),
            other => bail!("plugin name `{name}` is not valid: {other}"),
        }
    }
    let dir = parent.join(name);
    if dir.exists() {
        bail!("{} already exists; pick another NAME or --dir, or remove it", dir.display());
    }
    let language = match lang {
        Lang::Rust => "Rust",
        Lang::Python => "Python",
        Lang::Js => "JavaScript",
    };
    let build_note = match lang {
        Lang::Rust => "`paddock bundle` runs `cargo build --release --target wasm32-wasip2` (add the target with \
                       `rustup target add wasm32-wasip2`). The SDK is `guest-sdk/src/lib.rs` of the Paddock checkout \
                       that Cargo.toml points at.",
        Lang::Python => "`paddock bundle` builds `app.py` with componentize-py, adding `paddock_guest.py` from the \
                         Paddock checkout; install the toolchain once with `bash scripts/install-guest-toolchains.sh` \
                         there. The SDK is documented in `guest-sdk/python/README.md`.",
        Lang::Js => "`paddock bundle` builds `plugin.js` with componentize-js, adding `paddock-guest.js` from the \
                     Paddock checkout; install the toolchain once with `bash scripts/install-guest-toolchains.sh` \
                     there. The SDK is documented in `guest-sdk/js/README.md`.",
    };
    let guest_sdk = match lang {
        Lang::Rust => {
            let root = checkout_root().context(
                "cannot find the Paddock checkout this binary was built from (it holds guest-sdk/); run the paddock \
                 binary of a checkout, e.g. target/debug/paddock",
            )?;
            toml_path(&root.join("guest-sdk"))?
        }
        Lang::Python | Lang::Js => String::new(),
    };
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{type_name}}", &type_name(name))
            .replace("{{language}}", language)
            .replace("{{build_note}}", build_note)
            .replace("{{guest_sdk}}", &guest_sdk)
    };

    let mut files: Vec<(PathBuf, String)> =
        vec![(dir.join("plugin-manifest.yaml"), fill(MANIFEST)), (dir.join("README.md"), fill(README))];
    match lang {
        Lang::Rust => {
            files.push((dir.join("Cargo.toml"), fill(RUST_CARGO_TOML)));
            files.push((dir.join("src").join("lib.rs"), fill(RUST_LIB)));
        }
        Lang::Python => files.push((dir.join("app.py"), fill(PYTHON_APP))),
        Lang::Js => files.push((dir.join("plugin.js"), fill(JS_PLUGIN))),
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok((dir, files.into_iter().map(|(path, _)| path).collect()))
}

/// `my-plugin-2` -> `MyPlugin2`.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// An absolute path as a TOML basic string body.
fn toml_path(path: &Path) -> Result<String> {
    let text = path.to_str().with_context(|| format!("{} is not valid UTF-8; move the checkout", path.display()))?;
    Ok(text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_pascal_case() {
        assert_eq!(type_name("my-plugin-2"), "MyPlugin2");
        assert_eq!(type_name("a"), "A");
    }
}
