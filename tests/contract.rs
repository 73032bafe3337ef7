//! The contract stays put: published WIT packages are frozen, the host and
//! the three guest SDKs list exactly the hooks the WIT defines, and a hook
//! a component does not export is skipped without instantiating it.

use std::sync::Arc;

use paddock::{Deployment, FailureCause, Hook, PluginConfig, PluginSet, Status, hooks};
use sha2::Digest;

use crate::support;

/// Every published WIT package, with the sha256 of its file. A published
/// package never changes: new hooks go into new interfaces and packages.
const PUBLISHED: &[(&str, &str, &str)] =
    &[("paddock:plugin@0.1.0", "wit/paddock.wit", "8ec19f49a7f3fdf6aaae4941a4188097bbf2c855823ce98c4522161d7d33a09a")];

#[test]
fn published_wit_packages_never_change() {
    for (package, path, digest) in PUBLISHED {
        let bytes = std::fs::read(support::workspace_root().join(path)).unwrap();
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&bytes)),
            *digest,
            "{package} ({path}) was published and must stay byte for byte as it is; put new hooks in a new interface"
        );
    }
}

/// The functions of the 0.1.0 hooks interface, from the WIT itself.
fn wit_hooks() -> Vec<String> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(support::workspace_root().join("wit")).unwrap();
    let interface = resolve.packages[package].interfaces["hooks"];
    let mut names: Vec<String> = resolve.interfaces[interface].functions.keys().cloned().collect();
    names.sort();
    names
}

/// The names between the first `[`/`(` and its closing bracket after
/// `marker`, as quoted strings.
fn quoted_list(source: &str, marker: &str) -> Vec<String> {
    let start = source.find(marker).unwrap_or_else(|| panic!("`{marker}` not found"));
    let rest = &source[start + marker.len()..];
    let end = rest.find([']', ')']).unwrap();
    rest[..end]
        .split(',')
        .map(|item| item.trim().trim_matches('"').to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

fn kebab_from_snake(name: &str) -> String {
    name.replace('_', "-")
}

fn kebab_from_camel(name: &str) -> String {
    name.chars()
        .flat_map(|c| if c.is_ascii_uppercase() { vec!['-', c.to_ascii_lowercase()] } else { vec![c] })
        .collect()
}

/// The interfaces the 0.2 `served` world exports, from the WIT, each with
/// its functions.
fn served_0_2() -> Vec<(String, Vec<String>)> {
    world_interfaces(&support::workspace_root().join("wit/v0.2"), "served").0
}

/// The interfaces the world `world` of the WIT tree in `dir` exports, each
/// with its functions (in WIT order), and the interfaces it imports; both
/// sorted.
fn world_interfaces(dir: &std::path::Path, world: &str) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(dir).unwrap();
    let world = &resolve.worlds[resolve.select_world(&[package], Some(world)).unwrap()];
    fn interfaces<'a>(keys: impl Iterator<Item = &'a wit_parser::WorldKey>) -> Vec<wit_parser::InterfaceId> {
        keys.filter_map(|key| match key {
            wit_parser::WorldKey::Interface(id) => Some(*id),
            wit_parser::WorldKey::Name(_) => None,
        })
        .collect()
    }
    let mut exports: Vec<(String, Vec<String>)> = interfaces(world.exports.keys())
        .into_iter()
        .map(|id| (resolve.id_of(id).unwrap(), resolve.interfaces[id].functions.keys().cloned().collect()))
        .collect();
    exports.sort();
    let mut imports: Vec<String> =
        interfaces(world.imports.keys()).into_iter().map(|id| resolve.id_of(id).unwrap()).collect();
    imports.sort();
    (exports, imports)
}

#[test]
fn every_0_2_hook_is_an_interface_of_its_own_served_declared_and_exported_by_the_rust_sdk() {
    let served = served_0_2();
    for (interface, functions) in &served {
        // An interface is one hook, or the roles of one thing (an
        // infrastructure target): every function is a declared hook there.
        let mut hooks: Vec<String> = Hook::ALL
            .iter()
            .flat_map(|hook| hook.locations())
            .filter(|location| location.interface() == interface)
            .map(|location| location.function().to_string())
            .collect();
        hooks.sort();
        let mut functions = functions.clone();
        functions.sort();
        assert_eq!(functions, hooks, "{interface}: its functions are exactly the hooks declared there");
    }
    let served: Vec<String> = served.into_iter().map(|(interface, _)| interface).collect();
    let mut host: Vec<String> = Hook::ALL
        .iter()
        .flat_map(|hook| hook.locations())
        .map(|location| location.interface().to_string())
        .filter(|interface| interface.as_str() != paddock::HOOKS_INTERFACE)
        .collect();
    host.sort();
    host.dedup();
    assert_eq!(host, served, "host/src/hooks/ declarations against the `served` world of wit/v0.2/paddock.wit");
    for hook in Hook::ALL {
        assert_ne!(hook.current().interface(), paddock::HOOKS_INTERFACE, "{hook}: the newest location comes first");
    }

    // The Rust SDK: one `hook_bindings!` world per hook, exporting it.
    let root = support::workspace_root();
    let mut rust: Vec<String> = ["orbit", "racetrack", "devstack", "tutor"]
        .iter()
        .flat_map(|tool| {
            let source = std::fs::read_to_string(root.join(format!("guest-sdk/src/{tool}.rs"))).unwrap();
            source
                .split("export paddock:")
                .skip(1)
                .filter_map(|rest| Some(format!("paddock:{}", rest.split_once(';')?.0)))
                .collect::<Vec<_>>()
        })
        .collect();
    rust.sort();
    assert_eq!(rust, served, "guest-sdk/src/{{orbit,racetrack,devstack}}.rs hook_bindings! against the `served` world");
}

#[test]
fn the_host_and_every_guest_sdk_list_exactly_the_hooks_of_the_0_1_wit() {
    let wit = wit_hooks();
    let sorted = |mut names: Vec<String>| {
        names.sort();
        names
    };
    let host: Vec<String> = Hook::ALL
        .iter()
        .filter(|hook| hook.locations().iter().any(|location| location.interface() == paddock::HOOKS_INTERFACE))
        .map(|hook| hook.name().to_string())
        .collect();
    assert_eq!(sorted(host), wit, "host: a 0.1.0 hook without a declaration in host/src/hooks/, or the reverse");

    let root = support::workspace_root();
    let python = std::fs::read_to_string(root.join("guest-sdk/python/paddock_guest.py")).unwrap();
    let python = quoted_list(&python, "HOOKS = (").iter().map(|name| kebab_from_snake(name)).collect();
    assert_eq!(sorted(python), wit, "guest-sdk/python/paddock_guest.py HOOKS");

    let js = std::fs::read_to_string(root.join("guest-sdk/js/paddock-guest.js")).unwrap();
    let js = quoted_list(&js, "const HOOK_NAMES = [").iter().map(|name| kebab_from_camel(name)).collect();
    assert_eq!(sorted(js), wit, "guest-sdk/js/paddock-guest.js HOOK_NAMES");

    // The Rust SDK: one default method per hook in `trait Plugin`.
    let rust = std::fs::read_to_string(root.join("guest-sdk/src/lib.rs")).unwrap();
    let body = &rust[rust.find("pub trait Plugin").unwrap()..];
    let body = &body[..body.find("\n}\n").unwrap()];
    let rust: Vec<String> = body
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("fn ")?.split('(').next().map(kebab_from_snake))
        .collect();
    assert_eq!(sorted(rust), wit, "guest-sdk/src/lib.rs trait Plugin");
}

#[test]
fn a_hook_the_component_does_not_export_is_skipped_without_instantiating_it() {
    let host = support::host();
    let plugin = Arc::new(
        host.load_file(&support::wat_bundle("partial-exports", &support::dockerfile_only_component())).unwrap(),
    );
    assert!(plugin.implements(Hook::DockerfileInjection));
    assert!(!plugin.implements(Hook::Deploy));
    let set = PluginSet::builder(host).add(plugin, PluginConfig::default()).unwrap().build().unwrap();
    let deployment = Deployment::default();
    // Instantiating would run the trapping start function.
    assert_eq!(set.call::<hooks::Deploy>(&deployment)[0].status, Status::Skipped);
    assert_eq!(set.call::<hooks::JobRuntimeEnvVars>(&deployment)[0].status, Status::Skipped);
    let mut session = set.session();
    assert_eq!(session.call::<hooks::BootstrapInjection>(&deployment)[0].status, Status::Skipped);
    // The hook it does export is called, so the instance is made, and traps.
    let outcome = &set.call::<hooks::DockerfileInjection>(&deployment)[0];
    match &outcome.status.failure().unwrap().cause {
        FailureCause::Trap { message, .. } => assert!(message.contains("unreachable"), "{message}"),
        other => panic!("expected the start-up trap, got {other}"),
    }

    let inspect = support::paddock(&[
        "inspect",
        support::wat_bundle("partial-exports", &support::dockerfile_only_component()).to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(text.contains("implements:  dockerfile-injection\n"), "{text}");
    assert!(text.contains("targets:     paddock:plugin@0.1.0"), "{text}");
}

/// The Python and JavaScript SDKs keep no 0.2 hook list: a plugin's world
/// is made from its manifest's `hooks:` (`paddock_build::world`), and the
/// SDKs read what it exports (componentize-py's generated classes, the
/// `WORLD_EXPORTS` of `paddock-world.js`). So the world made for every hook
/// must be the `served` world: the same interfaces, each with the same
/// functions, importing 0.2 logging.
#[test]
fn the_world_python_and_javascript_plugins_are_built_against_is_the_served_world() {
    use paddock_build::world::{GuestWorld, WORLD_NAME, exported_interfaces};

    let served = served_0_2();
    let sorted = |mut names: Vec<String>| {
        names.sort();
        names
    };
    let dir = tempfile::tempdir().unwrap();
    let wit = GuestWorld::V0_2(Hook::ALL.to_vec()).write_wit(dir.path()).unwrap();
    let (exported, imports) = world_interfaces(&wit, WORLD_NAME);
    let exported: Vec<(String, Vec<String>)> =
        exported.into_iter().map(|(interface, functions)| (interface, sorted(functions))).collect();
    let served_sorted: Vec<(String, Vec<String>)> =
        served.iter().map(|(interface, functions)| (interface.clone(), sorted(functions.clone()))).collect();
    assert_eq!(exported, served_sorted, "the world paddock-build makes for every hook against the `served` world");
    assert!(imports.iter().any(|import| import == "paddock:common/logging@0.2.0"), "{imports:?}");

    // What paddock-world.js tells the JavaScript SDK: each interface with its hooks.
    let mut told: Vec<(String, Vec<String>)> = exported_interfaces(Hook::ALL)
        .into_iter()
        .map(|(interface, hooks)| (interface.to_string(), sorted(hooks.iter().map(|hook| hook.to_string()).collect())))
        .collect();
    told.sort();
    assert_eq!(told, served_sorted, "paddock_build::world::exported_interfaces against the `served` world");

    // One hook: its interface alone.
    for hook in Hook::ALL {
        let world = paddock_build::world::world_0_2(&[*hook]);
        let lines: Vec<&str> = world.lines().filter(|line| line.trim_start().starts_with("export ")).collect();
        assert_eq!(lines, [format!("    export {};", hook.current().interface())], "{hook}");
    }
}

/// A Python or JavaScript provider is built against the world paddock-build
/// stages for `provider: true`; it must be the `provider` world the host
/// links and the Rust SDK generates (`guest-sdk/src/rebar.rs` uses it
/// directly): the same exports, functions and imports.
#[test]
fn the_world_polyglot_providers_are_built_against_is_the_provider_world() {
    use paddock_build::world::{GuestWorld, WORLD_NAME};

    let provider = world_interfaces(&support::workspace_root().join("wit/v0.2"), "provider");
    let dir = tempfile::tempdir().unwrap();
    let wit = GuestWorld::Provider.write_wit(dir.path()).unwrap();
    assert_eq!(world_interfaces(&wit, WORLD_NAME), provider, "paddock_build::world::PROVIDER_WORLD");
    assert_eq!(
        provider.0,
        [(
            "paddock:rebar/provider@0.2.0".to_string(),
            ["define", "config", "validate", "action", "publish", "stop"].map(String::from).to_vec()
        )]
    );
    let sdk = std::fs::read_to_string(support::workspace_root().join("guest-sdk/src/rebar.rs")).unwrap();
    assert!(sdk.contains("world: \"provider\""), "the Rust SDK generates the provider world itself");
}
