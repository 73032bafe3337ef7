//! # Paddock build tooling
//!
//! Turning a plugin directory into a bundle (`paddock bundle`): build the
//! plugin from source (a Rust crate for `wasm32-wasip2` in release, a Python
//! plugin with componentize-py, a JavaScript plugin with componentize-js),
//! check that the component really is a Paddock plugin this host can load,
//! write the zip. And the other way round, [`scaffold`] creates a plugin
//! directory that builds without edits (`paddock new`).
//!
//! The language is detected from the files in the plugin directory
//! ([`detect_language`]): `Cargo.toml` (Rust), `app.py` (Python) or
//! `plugin.js` (JavaScript). A Python or JavaScript plugin is built against
//! the world its manifest picks ([`world`]): with `hooks:`, one over the 0.2
//! packages exporting exactly those hooks; without, `paddock:plugin@0.1.0`.
//! The Python and JavaScript toolchains are the pinned ones
//! `scripts/install-guest-toolchains.sh` installs under `target/toolchains/`
//! of the Paddock checkout; `PADDOCK_COMPONENTIZE_PY` and
//! `PADDOCK_COMPONENTIZE_JS_DIR` point elsewhere (see [`toolchain`]). A
//! Python plugin's `requirements.txt` is installed into its component with
//! pip: pinned, pure-Python packages only ([`requirements`]).
//!
//! Unlike the runtime (`paddock`), this crate runs the build tools as child
//! processes, and passes on what they print to stderr.

#![deny(missing_docs)]

mod error;
mod javascript;
mod python;
pub mod requirements;
pub mod scaffold;
pub mod toolchain;
pub mod world;

pub use error::BuildError;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use paddock::bundle::{Bundle, BundleFile, BundleLimits};
use paddock::fsutil::read_regular_capped;
use paddock::manifest::{BUNDLE_FILES_DIR, MANIFEST_FILE, Manifest};
use paddock::{Host, Plugin};

/// Paddock's WIT, `paddock:plugin@0.1.0`, as this host was built with it.
/// Python and JavaScript plugins whose manifest has no `hooks:` are built
/// against this text.
pub const WIT: &str = include_str!("../../../wit/paddock.wit");

/// Paddock's 0.2 packages (`wit/v0.2/deps/`), as this host was built with
/// them: each file's name and text. Python and JavaScript plugins whose
/// manifest declares `hooks:` are built against these, with a world made
/// from the manifest ([`world::world_0_2`]).
pub const WIT_0_2_PACKAGES: &[(&str, &str)] = &[
    ("common.wit", include_str!("../../../wit/v0.2/deps/common.wit")),
    ("orbit.wit", include_str!("../../../wit/v0.2/deps/orbit.wit")),
    ("racetrack.wit", include_str!("../../../wit/v0.2/deps/racetrack.wit")),
    ("devstack.wit", include_str!("../../../wit/v0.2/deps/devstack.wit")),
    ("tutor.wit", include_str!("../../../wit/v0.2/deps/tutor.wit")),
    ("rebar.wit", include_str!("../../../wit/v0.2/deps/rebar.wit")),
];

/// The target guests are built for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// Where the component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentSource {
    /// Build from the sources in the plugin directory: a Rust crate with
    /// cargo, Python (`app.py`) with componentize-py, JavaScript
    /// (`plugin.js`) with componentize-js.
    Source {
        /// The language; `None` lets [`detect_language`] find it.
        language: Option<Language>,
        /// `--target-dir` for cargo (Rust only); cargo's default when `None`.
        target_dir: Option<PathBuf>,
    },
    /// Use an already built component file.
    Prebuilt(PathBuf),
}

/// A plugin's source language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// A crate using `paddock-guest` (`Cargo.toml`).
    Rust,
    /// `app.py`: one class per hook deriving from `paddock_guest.Hook`
    /// (0.2), or `class Hooks(paddock_guest.Plugin)` (0.1.0).
    Python,
    /// `plugin.js`: exporting the hooks `defineHooks({...})` makes (0.2),
    /// or `hooks = definePlugin({...})` (0.1.0).
    JavaScript,
}

impl Language {
    /// The file that marks a plugin directory as this language.
    pub fn marker(self) -> &'static str {
        match self {
            Language::Rust => "Cargo.toml",
            Language::Python => "app.py",
            Language::JavaScript => "plugin.js",
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Language::Rust => "Rust",
            Language::Python => "Python",
            Language::JavaScript => "JavaScript",
        })
    }
}

/// Works out a plugin directory's language from its files: `Cargo.toml`
/// (Rust), `app.py` (Python) or `plugin.js` (JavaScript); exactly one must be
/// present. The error says what to add or remove.
pub fn detect_language(dir: &Path) -> Result<Language, String> {
    let found: Vec<Language> = [Language::Rust, Language::Python, Language::JavaScript]
        .into_iter()
        .filter(|language| dir.join(language.marker()).is_file())
        .collect();
    match found.as_slice() {
        [language] => Ok(*language),
        [] => {
            let has = |ext: &str| {
                std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|entry| entry.path().extension().is_some_and(|e| e == ext))
            };
            let hint = if has("py") {
                "; for a Python plugin, the entry module must be app.py, defining the plugin's hook classes"
            } else if has("js") || dir.join("package.json").is_file() {
                "; for a JavaScript plugin, the entry module must be plugin.js, exporting the plugin's hooks"
            } else {
                ""
            };
            Err(format!(
                "no Cargo.toml, app.py or plugin.js in {}; `paddock bundle` builds Rust crates, Python plugins (app.py) and JavaScript plugins (plugin.js), or pass a built component with --wasm{hint}",
                dir.display()
            ))
        }
        several => Err(format!(
            "{} holds {}, so its language is ambiguous; keep the entry file of one language only, or pass a built component with --wasm",
            dir.display(),
            several.iter().map(|l| format!("{} ({l})", l.marker())).collect::<Vec<_>>().join(" and ")
        )),
    }
}

/// What `bundle_plugin_dir` produced.
#[derive(Debug, Clone)]
pub struct BundleSummary {
    /// The manifest written into the bundle.
    pub manifest: Manifest,
    /// Where the bundle was written.
    pub path: PathBuf,
    /// Component size in bytes.
    pub component_size: usize,
    /// Lowercase hex sha256 of the component.
    pub component_sha256: String,
}

/// Builds the plugin in `dir` (which holds `plugin-manifest.yaml`) and writes
/// its bundle to `out`, or to `<dir>/<name>-<version>.zip` when `out` is None.
/// The component is compiled and linked by `host` before anything is written,
/// so a bundle that is written is one this host can run. Capabilities are
/// not checked against the host's grants: granting is the operator's call
/// at run time, not the author's at build time.
///
/// A failed build, or a bundle that cannot be written, is
/// [`BuildError::Plugin`]; a component the host refuses is
/// [`BuildError::Load`].
pub fn bundle_plugin_dir(
    host: &Host,
    dir: &Path,
    source: &ComponentSource,
    out: Option<&Path>,
) -> Result<BundleSummary, BuildError> {
    let staged = stage(dir, source, out, host.bundle_limits())?;
    host.check_bundle(&staged.bundle, &staged.origin)?;
    staged.write(host.bundle_limits())
}

/// [`bundle_plugin_dir`], also returning the plugin loaded (with the host's
/// grants) to verify the bundle, so a caller that runs it next does not
/// compile the component again.
pub fn bundle_and_load(
    host: &Host,
    dir: &Path,
    source: &ComponentSource,
    out: Option<&Path>,
) -> Result<(BundleSummary, Plugin), BuildError> {
    let staged = stage(dir, source, out, host.bundle_limits())?;
    let plugin = host.load_bundle(staged.bundle.clone(), &staged.origin)?;
    Ok((staged.write(host.bundle_limits())?, plugin))
}

/// A bundle built in memory, not yet written.
struct Staged {
    bundle: Bundle,
    /// Where the component came from, for load errors.
    origin: String,
    dir: PathBuf,
    out: PathBuf,
}

impl Staged {
    fn write(self, limits: &BundleLimits) -> Result<BundleSummary, BuildError> {
        let Staged { bundle, dir, out, .. } = self;
        bundle
            .write(&out, limits)
            .map_err(|e| BuildError::Plugin { dir: dir.display().to_string(), problem: e.to_string() })?;
        Ok(BundleSummary {
            component_size: bundle.component().len(),
            component_sha256: bundle.component_sha256().to_string(),
            manifest: bundle.manifest().clone(),
            path: out,
        })
    }
}

/// Builds the component and gathers the manifest and shipped files.
fn stage(
    dir: &Path,
    source: &ComponentSource,
    out: Option<&Path>,
    limits: &BundleLimits,
) -> Result<Staged, BuildError> {
    let build_error = |problem: String| BuildError::Plugin { dir: dir.display().to_string(), problem };
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest_bytes =
        read_regular_capped(&manifest_path, paddock::manifest::MAX_MANIFEST_BYTES as u64).map_err(|e| {
            build_error(match e {
                paddock::fsutil::ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    format!("there is no {}; create it (see the README's manifest reference)", manifest_path.display())
                }
                e => format!("{} {e}", manifest_path.display()),
            })
        })?;
    let manifest = Manifest::parse(&manifest_bytes).map_err(|e| build_error(e.to_string()))?;

    // Python and JavaScript builds happen in a staging directory, removed
    // when `_staging` drops, after the component has been read.
    let mut _staging = None;
    // `origin` names where the component came from in load errors.
    let (component_path, origin) = match source {
        ComponentSource::Prebuilt(path) => (path.clone(), path.display().to_string()),
        ComponentSource::Source { language, target_dir } => {
            let language = match language {
                Some(language) => *language,
                None => detect_language(dir).map_err(build_error)?,
            };
            let path = match language {
                Language::Rust => cargo_build(dir, target_dir.as_deref()).map_err(build_error)?,
                Language::Python | Language::JavaScript => {
                    let world = world::GuestWorld::for_manifest(&manifest).map_err(build_error)?;
                    let build = if language == Language::Python { python::build } else { javascript::build };
                    let (path, staging) = build(dir, &world).map_err(build_error)?;
                    _staging = Some(staging);
                    path
                }
            };
            (path, format!("{language} plugin in {}", dir.display()))
        }
    };
    let component = read_regular_capped(&component_path, limits.max_component_bytes)
        .map_err(|e| build_error(format!("component {} {e}", component_path.display())))?;
    paddock::bundle::check_component_preamble(&component_path.display().to_string(), &component)
        .map_err(|e| build_error(e.to_string()))?;
    let files = shipped_files(dir, limits).map_err(build_error)?;

    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(format!("{}-{}.zip", manifest.name(), manifest.version())));
    let inputs = [&manifest_path, &component_path]
        .into_iter()
        .cloned()
        .chain(files.iter().map(|file| dir.join(BUNDLE_FILES_DIR).join(&file.path)));
    for input in inputs {
        if same_file(&out, &input) {
            return Err(build_error(format!(
                "the output {} is one of the inputs ({}); write the bundle somewhere else with -o",
                out.display(),
                input.display()
            )));
        }
    }
    let bundle = Bundle::new(manifest, component, files, limits).map_err(|e| build_error(e.to_string()))?;
    Ok(Staged { bundle, origin, dir: dir.to_path_buf(), out })
}

/// The files under the plugin directory's `files/`: templates, charts and
/// other content the host reads, and that the plugin itself reads at
/// `/bundle` when it declares `bundle-files`.
fn shipped_files(dir: &Path, limits: &BundleLimits) -> Result<Vec<BundleFile>, String> {
    let root = dir.join(BUNDLE_FILES_DIR);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    let mut budget_used = 0u64;
    let mut pending = vec![root.clone()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| format!("cannot list {}: {e}", folder.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("cannot list {}: {e}", folder.display()))?.path();
            let kind = std::fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?.file_type();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let relative = path.strip_prefix(&root).map_err(|e| format!("{}: {e}", path.display()))?;
                let parts: Option<Vec<&str>> = relative.components().map(|part| part.as_os_str().to_str()).collect();
                let relative = parts.ok_or_else(|| format!("{}: file names must be UTF-8", path.display()))?.join("/");
                // The reader's budget for all shipped files, spent as they are read.
                let contents =
                    read_regular_capped(&path, limits.max_files_bytes.saturating_sub(budget_used)).map_err(|e| {
                        format!(
                            "{} {e} (all of files/ together may hold {} bytes)",
                            path.display(),
                            limits.max_files_bytes
                        )
                    })?;
                budget_used += contents.len() as u64;
                files.push(BundleFile { path: relative, contents });
            } else {
                return Err(format!("{} is not a regular file; bundles carry no links or devices", path.display()));
            }
        }
    }
    // Directory order varies between filesystems; bundles should not.
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Runs `cargo build --release --target wasm32-wasip2` for the crate in
/// `dir` and returns the path of the `.wasm` artifact it produced.
fn cargo_build(dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf, String> {
    // cargo runs in the plugin directory (so its rust-toolchain.toml applies):
    // every path handed to it must be absolute.
    let absolute = |path: &Path| std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()));
    let dir = &absolute(dir)?;
    let cargo_toml = dir.join("Cargo.toml");
    if !cargo_toml.is_file() {
        return Err(format!(
            "no Cargo.toml in {}; `paddock bundle` builds Rust plugin crates, or pass a built component with --wasm",
            dir.display()
        ));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--target", GUEST_TARGET, "--message-format=json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(&cargo_toml)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(target_dir) = target_dir {
        command.arg("--target-dir").arg(absolute(target_dir)?);
    }
    let mut child = command.spawn().map_err(|e| format!("cannot run cargo: {e}; install Rust with rustup"))?;
    let wanted_manifest = std::fs::canonicalize(&cargo_toml).unwrap_or(cargo_toml);
    let mut artifact = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(path) = wasm_artifact(&line, &wanted_manifest) {
                artifact = Some(path);
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cargo did not finish: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build --release --target {GUEST_TARGET}` failed (see its output above); if the target is missing run `rustup target add {GUEST_TARGET}`"
        ));
    }
    artifact.ok_or_else(|| {
        "cargo built no .wasm for this crate; set `[lib] crate-type = [\"cdylib\"]` in its Cargo.toml".to_string()
    })
}

/// The `.wasm` file of a `compiler-artifact` message for the crate at `manifest`.
fn wasm_artifact(line: &str, manifest: &Path) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let from = PathBuf::from(message.get("manifest_path")?.as_str()?);
    if std::fs::canonicalize(&from).unwrap_or(from) != manifest {
        return None;
    }
    message
        .get("filenames")?
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with(".wasm"))
        .map(PathBuf::from)
}

/// `my-plugin-2` -> `MyPlugin2`: a plugin's Rust type, a hook's Python class.
pub(crate) fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Whether `a` and `b` name one existing file (the same device and inode),
/// however the paths are spelled.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(a), Ok(b)) => {
            use std::os::unix::fs::MetadataExt;
            (a.dev(), a.ino()) == (b.dev(), b.ino())
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kebab_names_become_pascal_case() {
        assert_eq!(super::pascal_case("my-plugin-2"), "MyPlugin2");
        assert_eq!(super::pascal_case("a"), "A");
    }
}
