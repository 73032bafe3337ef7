//! JavaScript plugins: `plugin.js` exporting the hooks `defineHooks({...})`
//! makes (0.2, the manifest declares `hooks:`), or
//! `hooks = definePlugin({...})` (0.1.0), built with componentize-js
//! against the world the manifest picks ([`GuestWorld`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::toolchain::{self, StagedSources, Staging};
use crate::world::{GuestWorld, exported_interfaces, interface_type_name};

/// The JavaScript guest SDK module, copied next to the plugin's sources.
pub(crate) const SDK_MODULE: &str = include_str!("../../../guest-sdk/js/paddock-guest.js");

/// The module the SDK learns its world from, written beside it.
const WORLD_MODULE: &str = "paddock-world.js";

/// The script that calls componentize-js' `componentize()`.
const BUILD_SCRIPT: &str = include_str!("../../../guest-sdk/js/build.mjs");

/// Builds the JavaScript plugin in `dir` against `world`; returns the
/// component's path inside the staging directory, which must outlive its use.
pub(crate) fn build(dir: &Path, world: &GuestWorld) -> Result<(PathBuf, Staging), String> {
    if !dir.join("plugin.js").is_file() {
        return Err(format!(
            "no plugin.js in {}; a JavaScript plugin's entry module is plugin.js, exporting its hooks (see guest-sdk/js/README.md)",
            dir.display()
        ));
    }
    let toolchain_dir = toolchain::componentize_js_dir()?;
    let StagedSources { staging, sources, wit } =
        toolchain::stage_sources(dir, "js", "paddock-guest.js", SDK_MODULE, world)?;
    let world_module = sources.join(WORLD_MODULE);
    std::fs::write(&world_module, world_module_text(world))
        .map_err(|e| format!("cannot write {}: {e}", world_module.display()))?;
    let script = staging.path().join("build.mjs");
    std::fs::write(&script, BUILD_SCRIPT).map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let out = staging.path().join("plugin.wasm");

    let node = std::env::var_os("PADDOCK_NODE").unwrap_or_else(|| "node".into());
    let mut command = Command::new(node);
    command.arg(&script).arg(&toolchain_dir).arg(&sources).arg(&wit).arg(&out).current_dir(staging.path());
    let expected = match world.list_exports(|interface| format!("`{}`", camel_case(interface))) {
        None if *world == GuestWorld::Provider => {
            "plugin.js must export `provider` with define, config, validate, action, publish and stop".to_string()
        }
        None => "plugin.js must export `hooks`".to_string(),
        Some(exports) => format!(
            "plugin.js must export {exports} made by `defineHooks`, one per interface of the hooks in the manifest's `hooks:`"
        ),
    };
    toolchain::run(
        command,
        "componentize-js",
        &format!(
            "fix the error it printed in the plugin's JavaScript ({expected}); if `node` is missing install Node.js 18 or later (or set PADDOCK_NODE); if componentize-js is broken run `bash scripts/install-guest-toolchains.sh` again"
        ),
        &out,
    )?;
    Ok((out, staging))
}

/// The name componentize-js looks an exported interface up by:
/// `jobRuntimeEnvVars`.
fn camel_case(interface: &str) -> String {
    let pascal = interface_type_name(interface);
    let mut chars = pascal.chars();
    chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// `paddock-world.js`: the world's logging import and what it exports,
/// for `paddock-guest.js` (one SDK file serves both worlds, and an ES
/// module cannot import conditionally).
fn world_module_text(world: &GuestWorld) -> String {
    let exports = match world.hooks() {
        None => "null".to_string(),
        Some(hooks) => {
            let quoted = |names: &[&str]| names.iter().map(|name| format!("\"{name}\"")).collect::<Vec<_>>().join(", ");
            let entries: Vec<String> = exported_interfaces(hooks)
                .iter()
                .map(|(interface, functions)| format!("\n  \"{interface}\": [{}],", quoted(functions)))
                .collect();
            format!("{{{}\n}}", entries.concat())
        }
    };
    format!(
        "// Made by paddock-build: the world this plugin is built against.\n\
         export {{ log }} from \"{}\";\n\
         // Each interface the world exports, with its hooks (WIT names); null for\n\
         // paddock:plugin@0.1.0, whose one `hooks` interface holds them all.\n\
         export const WORLD_EXPORTS = {exports};\n",
        world.logging_interface()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock::Hook;

    #[test]
    fn the_world_module_names_the_logging_import_and_the_exported_interfaces() {
        assert_eq!(
            world_module_text(&GuestWorld::V0_2(vec![Hook::DockerfileInjection, Hook::JobRuntimeEnvVars])),
            "// Made by paddock-build: the world this plugin is built against.\n\
             export { log } from \"paddock:common/logging@0.2.0\";\n\
             // Each interface the world exports, with its hooks (WIT names); null for\n\
             // paddock:plugin@0.1.0, whose one `hooks` interface holds them all.\n\
             export const WORLD_EXPORTS = {\n  \
             \"paddock:orbit/dockerfile-injection@0.2.0\": [\"dockerfile-injection\"],\n  \
             \"paddock:racetrack/job-runtime-env-vars@0.2.0\": [\"job-runtime-env-vars\"],\n\
             };\n"
        );
        assert!(world_module_text(&GuestWorld::V0_1).contains("from \"paddock:plugin/logging@0.1.0\";\n"));
        assert!(world_module_text(&GuestWorld::V0_1).contains("WORLD_EXPORTS = null;"));
        assert_eq!(camel_case("paddock:racetrack/job-runtime-env-vars@0.2.0"), "jobRuntimeEnvVars");
        assert_eq!(camel_case("paddock:orbit/deploy@0.2.0"), "deploy");
    }
}
