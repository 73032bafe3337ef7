//! Python plugins: `app.py` defining one class per hook deriving from
//! `paddock_guest.Hook` (0.2, the manifest declares `hooks:`), or
//! `class Hooks(paddock_guest.Plugin)` (0.1.0), built with componentize-py
//! against the world the manifest picks ([`GuestWorld`]), with the
//! packages its `requirements.txt` pins ([`crate::requirements`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::requirements;
use crate::toolchain::{self, StagedSources, Staging};
use crate::world::{GuestWorld, WORLD_NAME, interface_type_name};

/// The Python guest SDK module, copied next to the plugin's sources.
pub(crate) const SDK_MODULE: &str = include_str!("../../../guest-sdk/python/paddock_guest.py");

/// Builds the Python plugin in `dir` against `world`; returns the
/// component's path inside the staging directory, which must outlive its use.
pub(crate) fn build(dir: &Path, world: &GuestWorld) -> Result<(PathBuf, Staging), String> {
    if !dir.join("app.py").is_file() {
        return Err(format!(
            "no app.py in {}; a Python plugin's entry module is app.py, defining its hook classes (see guest-sdk/python/README.md)",
            dir.display()
        ));
    }
    let componentize_py = toolchain::componentize_py()?;
    let StagedSources { staging, sources, wit } =
        toolchain::stage_sources(dir, "python", "paddock_guest.py", SDK_MODULE, world)?;
    let deps = requirements::install(dir, staging.path())?;
    let out = staging.path().join("plugin.wasm");

    let mut command = Command::new(&componentize_py);
    command.arg("-d").arg(&wit).args(["-w", WORLD_NAME, "componentize", "app", "-p"]).arg(&sources);
    if let Some(deps) = &deps {
        command.arg("-p").arg(deps);
    }
    command.arg("-o").arg(&out).current_dir(staging.path());
    let expected = match world.list_exports(|interface| format!("`class {}(Hook)`", interface_type_name(interface))) {
        None if *world == GuestWorld::Provider => {
            "app.py must define `class Provider` with define, config, validate, action, publish and stop".to_string()
        }
        None => "app.py must define `class Hooks(Plugin)`".to_string(),
        Some(classes) => {
            format!("app.py must define {classes}, one class per interface of the hooks in the manifest's `hooks:`")
        }
    };
    toolchain::run(
        command,
        "componentize-py",
        &format!(
            "fix the error it printed in the plugin's Python code ({expected}); if componentize-py itself is broken, run `bash scripts/install-guest-toolchains.sh` again"
        ),
        &out,
    )?;
    Ok((out, staging))
}
