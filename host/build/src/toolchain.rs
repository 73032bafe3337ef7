//! Finding the Python and JavaScript guest toolchains, and the staging
//! directory their builds run in.
//!
//! | toolchain | default location | override |
//! |---|---|---|
//! | componentize-py 0.25.1 | `target/toolchains/python/bin/componentize-py` | `PADDOCK_COMPONENTIZE_PY` (the executable) |
//! | componentize-js 0.23.0 | `target/toolchains/js` | `PADDOCK_COMPONENTIZE_JS_DIR` (the dir whose `node_modules` holds it) |
//! | pip, for a Python plugin's `requirements.txt` | the `python3` beside componentize-py (the venv's) | `PADDOCK_PYTHON` (a Python 3 with pip) |
//!
//! Default locations are relative to the Paddock checkout ([`checkout_root`]);
//! `bash scripts/install-guest-toolchains.sh` installs both there.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::world::GuestWorld;

/// Environment variable naming the componentize-py executable.
pub const COMPONENTIZE_PY_ENV: &str = "PADDOCK_COMPONENTIZE_PY";

/// Environment variable naming a directory whose `node_modules` holds
/// `@bytecodealliance/componentize-js`.
pub const COMPONENTIZE_JS_DIR_ENV: &str = "PADDOCK_COMPONENTIZE_JS_DIR";

/// The componentize-py version the SDK is written and tested against.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";

/// Environment variable naming the Python interpreter whose pip installs a
/// Python plugin's `requirements.txt`.
pub const PYTHON_ENV: &str = "PADDOCK_PYTHON";

/// The CPython that componentize-py 0.25.1 embeds, and so the Python a
/// plugin's `requirements.txt` is resolved for.
pub const SANDBOX_PYTHON_VERSION: &str = "3.14";

/// The componentize-js version the SDK is written and tested against.
pub const COMPONENTIZE_JS_VERSION: &str = "0.23.0";

/// How to install the toolchains, for error messages.
pub const INSTALL_HINT: &str = "run `bash scripts/install-guest-toolchains.sh` in the Paddock checkout";

/// The Paddock checkout this host was built from: the first of the running
/// executable's ancestors (e.g. `<checkout>/target/debug/paddock`) and the
/// build-time source location that holds `wit/paddock.wit` and
/// `guest-sdk/Cargo.toml`. `None` when neither does (a binary moved away
/// from its checkout).
pub fn checkout_root() -> Option<PathBuf> {
    let is_checkout = |dir: &Path| dir.join("wit/paddock.wit").is_file() && dir.join("guest-sdk/Cargo.toml").is_file();
    let from_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().skip(1).find(|dir| is_checkout(dir)).map(Path::to_path_buf));
    // This crate is at `<checkout>/host/build`.
    let from_build =
        Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().find(|dir| is_checkout(dir)).map(Path::to_path_buf);
    from_exe.or(from_build).map(|dir| std::fs::canonicalize(&dir).unwrap_or(dir))
}

/// `target/toolchains` of the checkout, if the checkout is known.
fn toolchains_dir() -> Option<PathBuf> {
    checkout_root().map(|root| root.join("target").join("toolchains"))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from)
}

/// The componentize-py executable: `$PADDOCK_COMPONENTIZE_PY`, else the
/// checkout's `target/toolchains/python/bin/componentize-py`.
pub fn componentize_py() -> Result<PathBuf, String> {
    if let Some(path) = env_path(COMPONENTIZE_PY_ENV) {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{COMPONENTIZE_PY_ENV} is {}, which is not a file; point it at a componentize-py {COMPONENTIZE_PY_VERSION} executable, or unset it and {INSTALL_HINT}",
                path.display()
            ))
        };
    }
    let candidate = toolchains_dir().map(|dir| dir.join("python").join("bin").join("componentize-py"));
    match candidate {
        Some(path) if path.is_file() => Ok(path),
        Some(path) => Err(format!(
            "componentize-py is not installed (looked for {}); building Python plugins needs componentize-py {COMPONENTIZE_PY_VERSION}: {INSTALL_HINT}, or set {COMPONENTIZE_PY_ENV} to a componentize-py executable",
            path.display()
        )),
        None => Err(format!(
            "cannot find the Paddock checkout to look for componentize-py; set {COMPONENTIZE_PY_ENV} to a componentize-py {COMPONENTIZE_PY_VERSION} executable (install it with `pip install componentize-py=={COMPONENTIZE_PY_VERSION}`)"
        )),
    }
}

/// The Python interpreter to run pip with (`python -m pip`) for a Python
/// plugin's `requirements.txt`: `$PADDOCK_PYTHON`, else the `python3` (or
/// `python`) beside [`componentize_py`], the venv
/// `scripts/install-guest-toolchains.sh` makes.
pub fn pip_python() -> Result<PathBuf, String> {
    if let Some(path) = env_path(PYTHON_ENV) {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{PYTHON_ENV} is {}, which is not a file; point it at a Python 3 interpreter with pip (it installs \
                 the plugin's requirements.txt), or unset it",
                path.display()
            ))
        };
    }
    let componentize_py = componentize_py()?;
    let bin = componentize_py.parent().unwrap_or(Path::new("."));
    ["python3", "python"].iter().map(|name| bin.join(name)).find(|path| path.is_file()).ok_or_else(|| {
        format!(
            "no Python interpreter beside {} to run pip for the plugin's requirements.txt; set {PYTHON_ENV} to a \
             Python 3 with pip, or {INSTALL_HINT}",
            componentize_py.display()
        )
    })
}

/// The directory whose `node_modules` holds componentize-js:
/// `$PADDOCK_COMPONENTIZE_JS_DIR`, else the checkout's `target/toolchains/js`.
pub fn componentize_js_dir() -> Result<PathBuf, String> {
    let installed = |dir: &Path| dir.join("node_modules/@bytecodealliance/componentize-js/package.json").is_file();
    if let Some(dir) = env_path(COMPONENTIZE_JS_DIR_ENV) {
        return if installed(&dir) {
            Ok(dir)
        } else {
            Err(format!(
                "{COMPONENTIZE_JS_DIR_ENV} is {}, which has no node_modules/@bytecodealliance/componentize-js; point it at a directory where `npm install @bytecodealliance/componentize-js@{COMPONENTIZE_JS_VERSION}` ran, or unset it and {INSTALL_HINT}",
                dir.display()
            ))
        };
    }
    match toolchains_dir().map(|dir| dir.join("js")) {
        Some(dir) if installed(&dir) => Ok(dir),
        Some(dir) => Err(format!(
            "componentize-js is not installed (looked in {}); building JavaScript plugins needs @bytecodealliance/componentize-js {COMPONENTIZE_JS_VERSION}: {INSTALL_HINT}, or set {COMPONENTIZE_JS_DIR_ENV} to a directory whose node_modules holds it",
            dir.display()
        )),
        None => Err(format!(
            "cannot find the Paddock checkout to look for componentize-js; set {COMPONENTIZE_JS_DIR_ENV} to a directory where `npm install @bytecodealliance/componentize-js@{COMPONENTIZE_JS_VERSION}` ran"
        )),
    }
}

/// A scratch directory for one build, removed on drop.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
}

impl Staging {
    /// A new, empty directory under the system temp dir.
    pub(crate) fn new(label: &str) -> Result<Staging, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "paddock-build-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the build directory {}: {e}", dir.display()))?;
        Ok(Staging { dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Directory names never copied into a build: build output, dependencies
/// installed for editors, caches, version control.
fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || matches!(name, "__pycache__" | "node_modules" | "target" | "venv")
}

/// Copies the plugin's sources from `from` into `to` (which must exist),
/// leaving out hidden and build directories, bundles and components.
fn copy_sources(from: &Path, to: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        let source = entry.path();
        let file_type = entry.file_type().map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        // Follow symlinks: what the plugin author sees is what gets built.
        let is_dir = file_type.is_dir() || (file_type.is_symlink() && source.is_dir());
        if is_dir {
            if !skipped_dir(&name_text) {
                let target = to.join(&name);
                std::fs::create_dir_all(&target).map_err(|e| format!("cannot create {}: {e}", target.display()))?;
                copy_sources(&source, &target)?;
            }
        } else if !(name_text.ends_with(".zip") || name_text.ends_with(".wasm") || name_text.ends_with(".pyc")) {
            std::fs::copy(&source, to.join(&name))
                .map_err(|e| format!("cannot copy {} into the build directory: {e}", source.display()))?;
        }
    }
    Ok(())
}

/// A build directory for an interpreted-language plugin: a copy of its
/// sources with the SDK module beside them, and the WIT tree of its world.
pub(crate) struct StagedSources {
    /// Owns the directory; removed on drop.
    pub(crate) staging: Staging,
    /// The copied sources plus the SDK module.
    pub(crate) sources: PathBuf,
    /// The WIT directory, whose root package holds the world
    /// [`crate::world::WORLD_NAME`].
    pub(crate) wit: PathBuf,
}

/// Stages `dir` for a build: a copy of its sources (build from a copy, as
/// the tools write caches beside the sources), the SDK module written as
/// `sdk_file`, and the WIT tree of `world`.
pub(crate) fn stage_sources(
    dir: &Path,
    label: &str,
    sdk_file: &str,
    sdk_text: &str,
    world: &GuestWorld,
) -> Result<StagedSources, String> {
    let staging = Staging::new(label)?;
    let sources = staging.path().join("src");
    std::fs::create_dir_all(&sources).map_err(|e| format!("cannot create {}: {e}", sources.display()))?;
    copy_sources(dir, &sources)?;
    std::fs::write(sources.join(sdk_file), sdk_text)
        .map_err(|e| format!("cannot write {sdk_file} into {}: {e}", sources.display()))?;
    let wit = world.write_wit(staging.path())?;
    Ok(StagedSources { staging, sources, wit })
}

/// Runs a componentize tool that must write the component to `out`, with
/// its stdout sent on to stderr (the CLI's stdout is for its own result) and
/// stderr inherited; `Err` names the tool and what to do.
pub(crate) fn run(mut command: Command, tool: &str, on_failure: &str, out: &Path) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {tool} ({:?}): {e}; {on_failure}", command.get_program()))?;
    eprint!("{}", String::from_utf8_lossy(&output.stdout));
    if !output.status.success() {
        return Err(format!("{tool} failed ({}; its output is above); {on_failure}", output.status));
    }
    if !out.is_file() {
        return Err(format!("{tool} reported success but wrote no {}", out.display()));
    }
    Ok(())
}
