//! The WIT world a Python or JavaScript plugin is built against, read from
//! its manifest, and the WIT tree its build stages.
//!
//! | manifest | world | the component exports |
//! |---|---|---|
//! | no `hooks:` | `plugin` of `paddock:plugin@0.1.0` ([`crate::WIT`]) | `paddock:plugin/hooks@0.1.0`: all five hooks, those not written answering "not implemented" |
//! | `hooks: [dockerfile-injection, ...]` | a `plugin` world made here over the 0.2 packages ([`crate::WIT_0_2_PACKAGES`]) | exactly the interface of each hook listed ([`paddock::Location::interface`] of [`Hook::current`]), once |
//! | `provider: true` | a `plugin` world with the imports and export of `wit/v0.2/paddock.wit`'s `provider` world ([`PROVIDER_WORLD`]) | `paddock:rebar/provider@0.2.0` (a Python `class Provider`) |
//!
//! For `hooks: [dockerfile-injection, job-runtime-env-vars]` the staged
//! tree is `wit/plugin.wit`:
//!
//! ```wit
//! package paddock:guest;
//!
//! world plugin {
//!     import paddock:common/logging@0.2.0;
//!     export paddock:orbit/dockerfile-injection@0.2.0;
//!     export paddock:racetrack/job-runtime-env-vars@0.2.0;
//! }
//! ```
//!
//! with the packages it uses in `wit/deps/` (`common.wit`, `orbit.wit`,
//! `racetrack.wit`). Both worlds are named [`WORLD_NAME`], so the tools are
//! run the same way for either.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use paddock::manifest::MANIFEST_FILE;
use paddock::{Hook, Manifest};

/// The name of the world every Python and JavaScript build selects
/// (`componentize-py -w plugin`, componentize-js `worldName: "plugin"`).
pub const WORLD_NAME: &str = "plugin";

/// The package of a world made from `hooks:`: the plugin's own, never
/// published, so unversioned.
pub const WORLD_PACKAGE: &str = "paddock:guest";

/// The logging interface of `paddock:plugin@0.1.0`.
const LOGGING_0_1: &str = "paddock:plugin/logging@0.1.0";

/// The logging interface of the 0.2 packages, which every 0.2 world imports.
const LOGGING_0_2: &str = "paddock:common/logging@0.2.0";

/// What a Python or JavaScript plugin is built against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestWorld {
    /// The frozen `paddock:plugin@0.1.0` world `plugin`: the manifest has
    /// no `hooks:`.
    V0_1,
    /// A world over the 0.2 packages exporting exactly these hooks, in the
    /// manifest's order.
    V0_2(Vec<Hook>),
    /// A Digital Rebar provider (`provider: true`): [`PROVIDER_WORLD`].
    Provider,
}

/// The world of a provider, as `world provider` of `wit/v0.2/paddock.wit`
/// has it, under [`WORLD_NAME`].
pub const PROVIDER_WORLD: &str = "// Made by paddock-build for a provider (`provider: true`).
package paddock:guest;

world plugin {
    import paddock:common/logging@0.2.0;
    import paddock:rebar/objects@0.2.0;
    import paddock:rebar/events@0.2.0;

    export paddock:rebar/provider@0.2.0;
}
";

impl GuestWorld {
    /// The world for a plugin with this manifest: [`GuestWorld::V0_2`] of
    /// its `hooks:` when it has the field, else [`GuestWorld::V0_1`]. An
    /// unknown hook name, or an empty list, is an error naming the field
    /// and the hooks this host serves.
    pub fn for_manifest(manifest: &Manifest) -> Result<GuestWorld, String> {
        if manifest.is_provider() {
            return Ok(GuestWorld::Provider);
        }
        let Some(declared) = manifest.declared_hooks() else {
            return Ok(GuestWorld::V0_1);
        };
        if declared.is_empty() {
            return Err(format!(
                "{MANIFEST_FILE} field `hooks` lists no hook; list the hooks the plugin implements (the component \
                 exports exactly those), e.g. `hooks: [{}]`, or remove the field to build against paddock:plugin@0.1.0",
                Hook::ALL[0]
            ));
        }
        let hooks = declared
            .iter()
            .map(|name| name.parse::<Hook>().map_err(|unknown| format!("{MANIFEST_FILE} field `hooks`: {unknown}")))
            .collect::<Result<Vec<Hook>, String>>()?;
        Ok(GuestWorld::V0_2(hooks))
    }

    /// The hooks the world exports, or `None` for `paddock:plugin@0.1.0`
    /// (which exports one interface holding every hook).
    pub fn hooks(&self) -> Option<&[Hook]> {
        match self {
            GuestWorld::V0_1 | GuestWorld::Provider => None,
            GuestWorld::V0_2(hooks) => Some(hooks),
        }
    }

    /// `each` of the interfaces the world exports, joined with `, `, for
    /// messages; `None` for `paddock:plugin@0.1.0`.
    pub(crate) fn list_exports(&self, each: impl Fn(&str) -> String) -> Option<String> {
        let hooks = self.hooks()?;
        Some(exported_interfaces(hooks).iter().map(|(interface, _)| each(interface)).collect::<Vec<_>>().join(", "))
    }

    /// The logging interface the world imports, e.g.
    /// `paddock:common/logging@0.2.0`.
    pub fn logging_interface(&self) -> &'static str {
        match self {
            GuestWorld::V0_1 => LOGGING_0_1,
            GuestWorld::V0_2(_) | GuestWorld::Provider => LOGGING_0_2,
        }
    }

    /// Writes the world's WIT tree into `dir/wit` and returns that
    /// directory, to pass to componentize-py (`-d`) or componentize-js
    /// (`witPath`) with the world [`WORLD_NAME`].
    pub fn write_wit(&self, dir: &Path) -> Result<PathBuf, String> {
        let wit = dir.join("wit");
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        match self {
            GuestWorld::V0_1 => {
                create_dir(&wit)?;
                write(wit.join("paddock.wit"), crate::WIT)?;
            }
            GuestWorld::V0_2(_) | GuestWorld::Provider => {
                let deps = wit.join("deps");
                create_dir(&deps)?;
                let world = match self {
                    GuestWorld::V0_2(hooks) => world_0_2(hooks),
                    _ => PROVIDER_WORLD.to_string(),
                };
                write(wit.join("plugin.wit"), &world)?;
                for (file, text) in crate::WIT_0_2_PACKAGES {
                    write(deps.join(file), text)?;
                }
            }
        }
        Ok(wit)
    }
}

fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// The interfaces a world exporting `hooks` exports, each with its hooks
/// (its functions): the current interface of each hook, once, in the
/// order first named, with every hook this host serves in it (an
/// interface is exported whole).
pub fn exported_interfaces(hooks: &[Hook]) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut interfaces: Vec<&'static str> = Vec::new();
    for hook in hooks {
        let interface = hook.current().interface();
        if !interfaces.contains(&interface) {
            interfaces.push(interface);
        }
    }
    interfaces
        .into_iter()
        .map(|interface| {
            let functions = Hook::ALL
                .iter()
                .map(|hook| hook.current())
                .filter(|location| location.interface() == interface)
                .map(|location| location.function())
                .collect();
            (interface, functions)
        })
        .collect()
}

/// The WIT of the world [`WORLD_NAME`] in [`WORLD_PACKAGE`] that imports
/// the 0.2 logging interface and exports [`exported_interfaces`] of
/// `hooks`; it resolves against [`crate::WIT_0_2_PACKAGES`].
pub fn world_0_2(hooks: &[Hook]) -> String {
    let mut wit = format!(
        "// Made by paddock-build from the plugin's {MANIFEST_FILE} `hooks:`.\n\
         package {WORLD_PACKAGE};\n\n\
         world {WORLD_NAME} {{\n    import {LOGGING_0_2};\n"
    );
    for (interface, _) in exported_interfaces(hooks) {
        // Writing to a String cannot fail.
        let _ = writeln!(wit, "    export {interface};");
    }
    wit.push_str("}\n");
    wit
}

/// An interface's name without package and version:
/// `paddock:racetrack/job-runtime-env-vars@0.2.0` -> `job-runtime-env-vars`.
pub fn interface_name(interface: &str) -> &str {
    let name = interface.split_once('@').map_or(interface, |(name, _)| name);
    name.rsplit_once('/').map_or(name, |(_, name)| name)
}

/// The name componentize-py gives an exported interface's class, and (in
/// camelCase) componentize-js its export: `JobRuntimeEnvVars`.
pub fn interface_type_name(interface: &str) -> String {
    crate::pascal_case(interface_name(interface))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(extra: &str) -> Manifest {
        Manifest::parse(format!("name: a\nversion: 1.0.0\n{extra}").as_bytes()).unwrap()
    }

    #[test]
    fn a_manifest_without_hooks_is_built_against_0_1_and_one_with_hooks_exports_exactly_them() {
        assert_eq!(GuestWorld::for_manifest(&manifest("")), Ok(GuestWorld::V0_1));
        let world = GuestWorld::for_manifest(&manifest("hooks: [job-runtime-env-vars, dockerfile-injection]\n"));
        assert_eq!(world, Ok(GuestWorld::V0_2(vec![Hook::JobRuntimeEnvVars, Hook::DockerfileInjection])));
        assert_eq!(
            world_0_2(&[Hook::DockerfileInjection, Hook::JobRuntimeEnvVars]),
            "// Made by paddock-build from the plugin's plugin-manifest.yaml `hooks:`.\n\
             package paddock:guest;\n\n\
             world plugin {\n    \
                 import paddock:common/logging@0.2.0;\n    \
                 export paddock:orbit/dockerfile-injection@0.2.0;\n    \
                 export paddock:racetrack/job-runtime-env-vars@0.2.0;\n\
             }\n"
        );
    }

    #[test]
    fn an_unknown_or_empty_hooks_list_is_an_error_naming_the_field() {
        let error = GuestWorld::for_manifest(&manifest("hooks: [dockerfile-injection, frobnicate]\n")).unwrap_err();
        assert!(error.starts_with("plugin-manifest.yaml field `hooks`: unknown hook `frobnicate`"), "{error}");
        assert!(error.contains("the hooks are: dockerfile-injection, bootstrap-injection"), "{error}");
        let error = GuestWorld::for_manifest(&manifest("hooks: []\n")).unwrap_err();
        assert!(error.contains("field `hooks` lists no hook"), "{error}");
    }

    #[test]
    fn each_interface_is_exported_once_with_every_hook_in_it() {
        let exported =
            exported_interfaces(&[Hook::JobRuntimeEnvVars, Hook::DockerfileInjection, Hook::JobRuntimeEnvVars]);
        assert_eq!(
            exported,
            [
                ("paddock:racetrack/job-runtime-env-vars@0.2.0", vec!["job-runtime-env-vars"]),
                ("paddock:orbit/dockerfile-injection@0.2.0", vec!["dockerfile-injection"]),
            ]
        );
        let every = exported_interfaces(Hook::ALL);
        let hooks: usize = every.iter().map(|(_, functions)| functions.len()).sum();
        assert_eq!(hooks, Hook::ALL.len(), "{every:?}");
        assert_eq!(world_0_2(Hook::ALL).matches("export ").count(), every.len());
    }

    #[test]
    fn interfaces_are_named_without_package_and_version() {
        assert_eq!(interface_name("paddock:racetrack/job-runtime-env-vars@0.2.0"), "job-runtime-env-vars");
        assert_eq!(interface_type_name("paddock:racetrack/job-runtime-env-vars@0.2.0"), "JobRuntimeEnvVars");
        assert_eq!(interface_type_name("paddock:orbit/deploy@0.2.0"), "Deploy");
    }

    #[test]
    fn the_staged_packages_are_every_file_of_wit_v0_2_deps() {
        let deps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit/v0.2/deps");
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&deps)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                (path.file_name().unwrap().to_str().unwrap().to_string(), std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        on_disk.sort();
        let mut staged: Vec<(String, String)> =
            crate::WIT_0_2_PACKAGES.iter().map(|(file, text)| (file.to_string(), text.to_string())).collect();
        staged.sort();
        assert_eq!(staged, on_disk, "WIT_0_2_PACKAGES in host/build/src/lib.rs against wit/v0.2/deps/");
    }

    #[test]
    fn the_staged_tree_holds_the_world_and_its_packages() {
        let dir = tempfile::tempdir().unwrap();
        let wit = GuestWorld::V0_2(vec![Hook::Deploy]).write_wit(dir.path()).unwrap();
        let world = std::fs::read_to_string(wit.join("plugin.wit")).unwrap();
        assert!(world.contains("export paddock:orbit/deploy@0.2.0;"), "{world}");
        for (file, _) in crate::WIT_0_2_PACKAGES {
            assert!(wit.join("deps").join(file).is_file(), "{file}");
        }
        let old = tempfile::tempdir().unwrap();
        let wit = GuestWorld::V0_1.write_wit(old.path()).unwrap();
        assert_eq!(std::fs::read_to_string(wit.join("paddock.wit")).unwrap(), crate::WIT);
    }
}
