//! Orbit's hooks of seed 001 beyond the 0.1.0 team hooks, through the
//! library, with the ported samples: pre/post hooks around the team
//! (custom-cfn: a CloudFormation stack from its template) and a deploy that
//! returns a Helm release of the chart it ships (ray), checked against the
//! bundle.

use std::sync::Arc;

use paddock::resources::Resource;
use paddock::{ParamValue, Plugin, PluginConfig, PluginSet, Status, hooks};

use crate::support;

fn sample(name: &str) -> Arc<Plugin> {
    Arc::new(support::host().load_file(&support::sample_bundle(name)).unwrap())
}

fn set_with(plugin: Arc<Plugin>, parameters: &[(&str, ParamValue)]) -> PluginSet {
    let parameters = parameters.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    PluginSet::builder(support::host())
        .add(plugin, PluginConfig { parameters, ..Default::default() })
        .unwrap()
        .build()
        .unwrap()
}

#[test]
fn pre_and_post_hooks_create_and_remove_a_cloudformation_stack_from_the_shipped_template() {
    let set = set_with(sample("custom-cfn"), &[("bucket_prefix", ParamValue::Text("acme".into()))]);
    let deployment = support::deployment();
    let pre = set.call::<hooks::PreHook>(&deployment).remove(0).status;
    let pre = pre.ok().cloned().unwrap_or_else(|| panic!("{pre:?}"));
    assert_eq!(pre.summary, "create stack orbit-dev-env-data-science-custom-cfn");
    let Resource::CloudFormation(stack) = &pre.resources[0] else { panic!("{pre:?}") };
    assert_eq!(stack.template_path, "cfn/template.yaml");
    assert_eq!(stack.parameters, [("TeamName".into(), "data-science".into()), ("BucketPrefix".into(), "acme".into())]);
    let post = set.call::<hooks::PostHook>(&deployment).remove(0).status.ok().cloned().unwrap();
    assert_eq!(post.summary, "delete stack orbit-dev-env-data-science-custom-cfn");
    // Not registered for the team hooks: skipped.
    assert_eq!(set.call::<hooks::Deploy>(&deployment)[0].status, Status::Skipped);
}

#[test]
fn deploy_returns_a_helm_release_of_the_chart_in_the_bundle() {
    let set = set_with(sample("ray"), &[("workers", ParamValue::Integer(4))]);
    let report = set.call::<hooks::Deploy>(&support::deployment()).remove(0).status.ok().cloned().unwrap();
    let Resource::Helm(release) = &report.resources[0] else { panic!("{report:?}") };
    assert_eq!((release.release_name.as_str(), release.namespace.as_str()), ("data-science-ray", "data-science"));
    assert_eq!(release.chart_dir, "ray");
    assert!(release.values_yaml.contains("workers: 4"), "{}", release.values_yaml);
    let destroy = set.call::<hooks::Destroy>(&support::deployment()).remove(0).status.ok().cloned().unwrap();
    assert_eq!(destroy.summary, "uninstall data-science-ray");
}

#[test]
fn a_chart_outside_the_bundle_and_malformed_values_are_refused_naming_plugin_hook_and_fix() {
    for (parameters, expected) in [
        (
            vec![("chart", ParamValue::Text("../../etc".into()))],
            "chart directory `../../etc` is not in the bundle's files/",
        ),
        (
            vec![("chart", ParamValue::Text("charts/missing".into()))],
            "chart directory `charts/missing` is not in the bundle's files/",
        ),
        (vec![("image", ParamValue::Text("a: b: c".into()))], "the Helm values is not valid YAML"),
    ] {
        let set = set_with(sample("ray"), &parameters);
        let status = set.call::<hooks::Deploy>(&support::deployment()).remove(0).status;
        let error = status.failure().unwrap_or_else(|| panic!("{parameters:?}: {status:?}")).to_string();
        assert!(error.contains("`ray` 1.0.0") && error.contains("deploy"), "{error}");
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn a_template_the_bundle_does_not_ship_is_refused() {
    // custom-cfn's component with no files/: its template is missing.
    let manifest = paddock::Manifest::parse(b"name: cfn-without-template\nversion: 1.0.0\n").unwrap();
    let out = tempfile::tempdir().unwrap().keep().join("cfn-without-template.zip");
    let bundle = support::write_bundle(manifest, support::component_bytes("custom-cfn"), &[], &out);
    let set = set_with(Arc::new(support::host().load_file(&bundle).unwrap()), &[]);
    let error = set.call::<hooks::PreHook>(&support::deployment()).remove(0).status.failure().unwrap().to_string();
    assert!(error.contains("template `cfn/template.yaml` is not in the bundle's files/"), "{error}");
}

/// Puts the bundles sample-plugins/orbit/*.yaml name where they expect them.
fn orbit_bundles() {
    let bundles = support::workspace_root().join("target/bundles");
    std::fs::create_dir_all(&bundles).unwrap();
    for sample in ["custom-cfn", "ray", "hello-world"] {
        std::fs::copy(support::sample_bundle(sample), bundles.join(format!("{sample}.zip"))).unwrap();
    }
}

#[test]
fn hooks_run_team_by_team_from_an_environment_and_resources_are_written_ready_for_helm() {
    orbit_bundles();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = |hook: &str| {
        support::paddock(&[
            "run",
            hook,
            "--environment",
            "sample-plugins/orbit/environment.yaml",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let deployed = run("deploy");
    assert!(deployed.status.success(), "{}", String::from_utf8_lossy(&deployed.stderr));
    let text = String::from_utf8_lossy(&deployed.stdout);
    let (data_science, analytics) = text.split_once("=== team analytics ===").expect("both teams");
    assert!(data_science.starts_with("=== team data-science ===\n"), "{text}");
    assert!(data_science.contains("install ray as data-science-ray"), "{text}");
    assert!(analytics.contains("install ray as analytics-ray"), "{text}");
    let release = out.join("data-science/deploy/ray/0-helm");
    assert_eq!(
        std::fs::read_to_string(release.join("helm-command.txt")).unwrap(),
        "helm upgrade --install data-science-ray ./chart --namespace data-science --values values.yaml\n"
    );
    assert!(release.join("chart/Chart.yaml").is_file() && release.join("chart/templates/ray-cluster.yaml").is_file());
    assert!(std::fs::read_to_string(release.join("values.yaml")).unwrap().contains("workers: 4"));

    // A second run replaces what paddock wrote, whole.
    let pre = run("pre-hook");
    assert!(pre.status.success(), "{}", String::from_utf8_lossy(&pre.stderr));
    assert!(!out.join("data-science/deploy").exists(), "the previous results are gone");
    let stack = out.join("data-science/pre-hook/custom-cfn/0-cloud-formation");
    assert!(std::fs::read_to_string(stack.join("template.yaml")).unwrap().contains("AWS::S3::Bucket"));
    let parameters: serde_json::Value =
        serde_json::from_slice(&std::fs::read(stack.join("parameters.json")).unwrap()).unwrap();
    assert_eq!(parameters, serde_json::json!([["TeamName", "data-science"], ["BucketPrefix", "acme"]]));

    // A directory paddock did not write is never touched.
    let foreign = dir.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "keep me").unwrap();
    let refused = support::paddock(&[
        "run",
        "deploy",
        "--environment",
        "sample-plugins/orbit/environment.yaml",
        "--out",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("exists and paddock did not write it"));
    assert_eq!(std::fs::read_to_string(foreign.join("notes.txt")).unwrap(), "keep me");
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
}
