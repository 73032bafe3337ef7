//! Several WIT versions served at once: plugins built against the frozen
//! `paddock:plugin@0.1.0` and against the 0.2 packages by tool run in one
//! set, both typed; compatible versions load, incompatible and unknown ones
//! are refused by name.

use paddock::{FailureCause, Hook, PluginConfig, PluginSet, Status, hooks};

use crate::support;

#[test]
fn a_set_of_0_1_and_0_2_plugins_runs_both_typed_and_skips_what_0_2_does_not_export() {
    let host = support::host();
    let old = host.load_file(&support::sample_bundle("hello-world")).unwrap();
    let new = host.load_file(&support::sample_bundle("team-labels")).unwrap();
    assert!(new.implements(Hook::DockerfileInjection) && new.implements(Hook::JobRuntimeEnvVars));
    assert!(
        !new.implements(Hook::Deploy) && !new.implements(Hook::Destroy) && !new.implements(Hook::BootstrapInjection)
    );
    let set = PluginSet::builder(host)
        .add(old, PluginConfig::default())
        .unwrap()
        .add(
            new,
            PluginConfig {
                parameters: vec![("owner".into(), paddock::ParamValue::Text("platform".into()))],
                ..PluginConfig::default()
            },
        )
        .unwrap()
        .build()
        .unwrap();
    let deployment = support::deployment();

    let lines = set.call::<hooks::DockerfileInjection>(&deployment);
    // team-labels has priority 5, hello-world 0.
    assert_eq!(lines[0].plugin, "hello-world");
    assert!(matches!(&lines[0].status, Status::Ok(lines) if lines[0].starts_with("RUN echo")), "{:?}", lines[0]);
    assert_eq!(lines[1].plugin, "team-labels");
    assert_eq!(
        lines[1].status,
        Status::Ok(vec![
            "LABEL org.opencontainers.image.vendor='platform'".to_string(),
            "LABEL paddock.environment='dev-env'".to_string(),
        ])
    );

    let env = set.call::<hooks::JobRuntimeEnvVars>(&deployment);
    assert_eq!(
        env[1].status,
        Status::Ok(vec![("TEAM_OWNER".into(), "platform".into()), ("TEAM_ENVIRONMENT".into(), "dev-env".into())])
    );
    let deploy = set.call::<hooks::Deploy>(&deployment);
    assert!(deploy[0].status.ok().is_some(), "{:?}", deploy[0]);
    assert_eq!(deploy[1].status, Status::Skipped);
}

#[test]
fn a_0_2_plugin_reports_the_packages_it_targets_and_the_hooks_it_implements() {
    let bundle = paddock::Bundle::read_file(&support::sample_bundle("team-labels"), &Default::default()).unwrap();
    let check = support::host().check_bundle(&bundle, "team-labels.zip").unwrap();
    assert_eq!(check.paddock_packages(), ["paddock:common@0.2.0", "paddock:orbit@0.2.0", "paddock:racetrack@0.2.0"]);
    assert_eq!(check.hooks, [Hook::DockerfileInjection, Hook::JobRuntimeEnvVars]);
    let exports: Vec<&str> = check.exports.iter().map(|export| export.name.as_str()).collect();
    assert_eq!(exports, ["paddock:orbit/dockerfile-injection@0.2.0", "paddock:racetrack/job-runtime-env-vars@0.2.0"]);
}

/// A component whose every function traps, for the world `exports` (WIT
/// `export` lines) over a copy of the 0.2 packages with `edit` applied to
/// `orbit.wit`.
fn stub_component(exports: &str, edit: impl FnOnce(String) -> String) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let deps = dir.path().join("deps");
    std::fs::create_dir(&deps).unwrap();
    let source = support::workspace_root().join("wit/v0.2/deps");
    for name in ["common.wit", "racetrack.wit"] {
        std::fs::copy(source.join(name), deps.join(name)).unwrap();
    }
    std::fs::write(deps.join("orbit.wit"), edit(std::fs::read_to_string(source.join("orbit.wit")).unwrap())).unwrap();
    std::fs::write(
        dir.path().join("plugin.wit"),
        format!(
            "package paddock:version-test;\nworld plugin {{\n import paddock:common/logging@0.2.0;\n {exports}\n}}\n"
        ),
    )
    .unwrap();
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(dir.path()).unwrap();
    let world = resolve.select_world(&[package], Some("plugin")).unwrap();
    let mut module = wit_component::dummy_module(
        &resolve,
        world,
        wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
    );
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8).unwrap();
    wit_component::ComponentEncoder::default().module(&module).unwrap().validate(true).encode().unwrap()
}

fn load_error(name: &str, component: &[u8]) -> String {
    support::host().load_file(&support::wat_bundle(name, component)).unwrap_err().to_string()
}

#[test]
fn a_later_minor_version_with_the_same_interface_is_called() {
    // dockerfile-injection uses only `paddock:common` types. (A hook using
    // its own package's types, like deploy's `plan`, would import them at
    // 0.3.0 too, which the import check refuses: this host serves 0.2.)
    let component = stub_component("export paddock:orbit/dockerfile-injection@0.3.0;", |wit| {
        wit.replace("paddock:orbit@0.2.0", "paddock:orbit@0.3.0")
    });
    let plugin = support::host().load_file(&support::wat_bundle("orbit-0-3", &component)).unwrap();
    assert!(plugin.implements(Hook::DockerfileInjection));
    let set = PluginSet::builder(support::host()).add(plugin, PluginConfig::default()).unwrap().build().unwrap();
    // The stub traps: the typed call reached the 0.3.0 export.
    let outcomes = set.call::<hooks::DockerfileInjection>(&support::deployment());
    let failure = outcomes[0].status.failure().expect("the stub traps");
    assert!(matches!(failure.cause, FailureCause::Trap { .. }), "{failure}");
}

#[test]
fn another_major_version_a_changed_interface_and_an_unknown_interface_are_refused_by_name() {
    let major = stub_component("export paddock:orbit/dockerfile-injection@1.0.0;", |wit| {
        wit.replace("paddock:orbit@0.2.0", "paddock:orbit@1.0.0")
    });
    let error = load_error("orbit-1-0", &major);
    assert!(error.contains("targets `paddock:orbit/dockerfile-injection@1.0.0`, a different major version"), "{error}");
    assert!(error.contains("`paddock:orbit/dockerfile-injection@0.2.0`"), "{error}");
    assert!(error.contains(paddock::HOOKS_INTERFACE), "{error}");

    let changed = stub_component("export paddock:orbit/dockerfile-injection@0.3.0;", |wit| {
        let changed = wit.replace("paddock:orbit@0.2.0", "paddock:orbit@0.3.0").replace(
            "deployment: deployment) -> result<list<string>, hook-error>",
            "deployment: deployment) -> result<string, hook-error>",
        );
        assert_ne!(changed, wit.replace("paddock:orbit@0.2.0", "paddock:orbit@0.3.0"), "the edit applies");
        changed
    });
    let error = load_error("orbit-0-3-changed", &changed);
    assert!(error.contains("targets `paddock:orbit/dockerfile-injection@0.3.0`, a changed interface"), "{error}");

    let unknown = stub_component("export paddock:orbit/frobnicate@0.2.0;", |wit| {
        format!("{wit}\ninterface frobnicate {{\n    frobnicate: func() -> string;\n}}\n")
    });
    let error = load_error("orbit-unknown", &unknown);
    assert!(error.contains("exports `paddock:orbit/frobnicate@0.2.0`, which this host does not serve"), "{error}");
    assert!(error.contains("`orbit-unknown` 0.0.1"), "the error names the plugin and version: {error}");
}

/// The team-labels component in a bundle whose manifest says `hooks`.
fn team_labels_declaring(name: &str, hooks: &str) -> std::path::PathBuf {
    let manifest =
        paddock::Manifest::parse(format!("name: {name}\nversion: 0.2.0\nhooks: {hooks}\n").as_bytes()).unwrap();
    let out = tempfile::tempdir().unwrap().keep().join(format!("{name}.zip"));
    support::write_bundle(manifest, support::component_bytes("team-labels"), &[], &out)
}

#[test]
fn a_manifest_declaring_hooks_must_name_exactly_what_the_component_exports() {
    let host = support::host();
    let exact = host.load_file(&team_labels_declaring("declares-both", "[job-runtime-env-vars, dockerfile-injection]"));
    assert!(exact.is_ok(), "{:?}", exact.err());

    let error =
        host.load_file(&team_labels_declaring("declares-more", "[dockerfile-injection, job-runtime-env-vars, deploy]"));
    let error = error.unwrap_err().to_string();
    assert!(error.contains("field `hooks` declares `deploy` but the component does not export it"), "{error}");

    let error =
        host.load_file(&team_labels_declaring("declares-less", "[dockerfile-injection]")).unwrap_err().to_string();
    assert!(error.contains("does not declare `job-runtime-env-vars`, which the component exports"), "{error}");
    assert!(error.contains("`declares-less` 0.2.0"), "{error}");

    let error = host.load_file(&team_labels_declaring("declares-unknown", "[dockerfile-injection, frobnicate]"));
    let error = error.unwrap_err().to_string();
    assert!(error.contains("unknown hook `frobnicate`; the hooks are: dockerfile-injection"), "{error}");
}
