//! Python plugins: `app.py` defining `class Hooks(paddock_guest.Plugin)`,
//! built with componentize-py against Paddock's WIT.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::toolchain::{self, StagedSources, Staging};

/// The Python guest SDK module, copied next to the plugin's sources.
pub(crate) const SDK_MODULE: &str = include_str!("../../../guest-sdk/python/paddock_guest.py");

/// Builds the Python plugin in `dir`; returns the component's path inside the
/// staging directory, which must outlive its use.
pub(crate) fn build(dir: &Path) -> Result<(PathBuf, Staging), String> {
    if !dir.join("app.py").is_file() {
        return Err(format!(
            "no app.py in {}; a Python plugin's entry module is app.py, defining `class Hooks(Plugin)` (see guest-sdk/python/README.md)",
            dir.display()
        ));
    }
    let componentize_py = toolchain::componentize_py()?;
    let StagedSources { staging, sources, wit } =
        toolchain::stage_sources(dir, "python", "paddock_guest.py", SDK_MODULE)?;
    let out = staging.path().join("plugin.wasm");

    let mut command = Command::new(&componentize_py);
    command
        .arg("-d")
        .arg(&wit)
        .args(["-w", "plugin", "componentize", "app", "-p"])
        .arg(&sources)
        .arg("-o")
        .arg(&out)
        .current_dir(staging.path());
    toolchain::run(
        command,
        "componentize-py",
        "fix the error it printed in the plugin's Python code (app.py must define `class Hooks(Plugin)`); if componentize-py itself is broken, run `bash scripts/install-guest-toolchains.sh` again",
        &out,
    )?;
    Ok((out, staging))
}
