//! `paddock new NAME --lang rust|python|js`: a plugin directory that
//! `paddock bundle` turns into a bundle without edits.

use std::path::{Path, PathBuf};

use paddock::manifest::validate_name;

use crate::toolchain::checkout_root;
use crate::{BuildError, Language};

const MANIFEST: &str = include_str!("../templates/manifest.yaml");
const README: &str = include_str!("../templates/README.md");
const RUST_CARGO_TOML: &str = include_str!("../templates/rust/Cargo.toml.tmpl");
const RUST_LIB: &str = include_str!("../templates/rust/lib.rs.tmpl");
const PYTHON_APP: &str = include_str!("../templates/python/app.py");
const JS_PLUGIN: &str = include_str!("../templates/js/plugin.js");

/// Creates `parent/name` with a manifest, README and source in `lang`;
/// returns the directory and the files written.
pub fn create(name: &str, lang: Language, parent: &Path) -> Result<(PathBuf, Vec<PathBuf>), BuildError> {
    if let Err(error) = validate_name(name) {
        return Err(BuildError::PluginName(match error {
            paddock::ManifestError::Field { problem, .. } => problem,
            other => format!("`{name}` is not valid: {other}"),
        }));
    }
    let dir = parent.join(name);
    if dir.exists() {
        return Err(BuildError::AlreadyExists(dir));
    }
    let language = lang.to_string();
    let build_note = match lang {
        Language::Rust => {
            "`paddock bundle` runs `cargo build --release --target wasm32-wasip2` (add the target with \
                           `rustup target add wasm32-wasip2`). The SDK is `guest-sdk/src/lib.rs` of the Paddock checkout \
                           that Cargo.toml points at."
        }
        Language::Python => {
            "`paddock bundle` builds `app.py` with componentize-py, adding `paddock_guest.py` from the \
                             Paddock checkout; install the toolchain once with `bash scripts/install-guest-toolchains.sh` \
                             there. Packages the plugin needs go into `requirements.txt`, each pinned (`name==version`) \
                             and pure Python; `paddock bundle` installs them into the component. The SDK is documented \
                             in `guest-sdk/python/README.md`."
        }
        Language::JavaScript => {
            "`paddock bundle` builds `plugin.js` with componentize-js, adding `paddock-guest.js` from the \
                                 Paddock checkout; install the toolchain once with `bash scripts/install-guest-toolchains.sh` \
                                 there. The SDK is documented in `guest-sdk/js/README.md`."
        }
    };
    let guest_sdk = match lang {
        Language::Rust => toml_path(&checkout_root().ok_or(BuildError::NoCheckout)?.join("guest-sdk"))?,
        Language::Python | Language::JavaScript => String::new(),
    };
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{type_name}}", &crate::pascal_case(name))
            .replace("{{language}}", &language)
            .replace("{{build_note}}", build_note)
            .replace("{{guest_sdk}}", &guest_sdk)
    };

    let mut files: Vec<(PathBuf, String)> =
        vec![(dir.join("plugin-manifest.yaml"), fill(MANIFEST)), (dir.join("README.md"), fill(README))];
    match lang {
        Language::Rust => {
            files.push((dir.join("Cargo.toml"), fill(RUST_CARGO_TOML)));
            files.push((dir.join("src").join("lib.rs"), fill(RUST_LIB)));
        }
        Language::Python => files.push((dir.join("app.py"), fill(PYTHON_APP))),
        Language::JavaScript => files.push((dir.join("plugin.js"), fill(JS_PLUGIN))),
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|source| BuildError::CreateDir { path: parent.to_path_buf(), source })?;
        }
        std::fs::write(path, text).map_err(|source| BuildError::WriteFile { path: path.clone(), source })?;
    }
    Ok((dir, files.into_iter().map(|(path, _)| path).collect()))
}

/// An absolute path as a TOML basic string body.
fn toml_path(path: &Path) -> Result<String, BuildError> {
    let text = path.to_str().ok_or_else(|| BuildError::NotUtf8(path.to_path_buf()))?;
    Ok(text.replace('\\', "\\\\").replace('"', "\\\""))
}
