//! JavaScript plugins: `plugin.js` exporting `hooks = definePlugin({...})`,
//! built with componentize-js against Paddock's WIT.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::toolchain::{self, StagedSources, Staging};

/// The JavaScript guest SDK module, copied next to the plugin's sources.
pub(crate) const SDK_MODULE: &str = include_str!("../../../guest-sdk/js/paddock-guest.js");

/// The script that calls componentize-js' `componentize()`.
const BUILD_SCRIPT: &str = include_str!("../../../guest-sdk/js/build.mjs");

/// Builds the JavaScript plugin in `dir`; returns the component's path inside
/// the staging directory, which must outlive its use.
pub(crate) fn build(dir: &Path) -> Result<(PathBuf, Staging), String> {
    if !dir.join("plugin.js").is_file() {
        return Err(format!(
            "no plugin.js in {}; a JavaScript plugin's entry module is plugin.js, exporting `hooks` (see guest-sdk/js/README.md)",
            dir.display()
        ));
    }
    let toolchain_dir = toolchain::componentize_js_dir()?;
    let StagedSources { staging, sources, wit } = toolchain::stage_sources(dir, "js", "paddock-guest.js", SDK_MODULE)?;
    let script = staging.path().join("build.mjs");
    std::fs::write(&script, BUILD_SCRIPT).map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let out = staging.path().join("plugin.wasm");

    let node = std::env::var_os("PADDOCK_NODE").unwrap_or_else(|| "node".into());
    let mut command = Command::new(node);
    command.arg(&script).arg(&toolchain_dir).arg(&sources).arg(&wit).arg(&out).current_dir(staging.path());
    toolchain::run(
        command,
        "componentize-js",
        "fix the error it printed in the plugin's JavaScript (plugin.js must export `hooks`); if `node` is missing install Node.js 18 or later (or set PADDOCK_NODE); if componentize-js is broken run `bash scripts/install-guest-toolchains.sh` again",
        &out,
    )?;
    Ok((out, staging))
}
