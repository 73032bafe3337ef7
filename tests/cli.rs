//! The `paddock` binary end to end: bundle, inspect, validate, run.

mod support;

use support::{SAMPLES, guest_target_dir, misbehaving_bundle, paddock, sample_bundle, workspace_root};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A directory holding every sample bundle.
fn samples_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sample in SAMPLES {
        std::fs::copy(sample_bundle(sample), dir.path().join(format!("{sample}.zip"))).unwrap();
    }
    dir
}

#[test]
fn bundle_builds_a_rust_plugin_crate_into_a_loadable_zip() {
    let out = tempfile::tempdir().unwrap();
    let zip = out.path().join("hello.zip");
    let target_dir = guest_target_dir();
    let output = paddock(&[
        "bundle",
        "sample-plugins/hello-world",
        "-o",
        zip.to_str().unwrap(),
        "--target-dir",
        target_dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("bundled hello-world 1.0.0 -> "), "{}", stdout(&output));

    let inspect = paddock(&["inspect", zip.to_str().unwrap(), "--format", "json"]);
    assert!(inspect.status.success(), "{}", stderr(&inspect));
    let json: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(json["manifest"]["name"], "hello-world");
    assert_eq!(json["manifest"]["priority"], -1);
    assert_eq!(json["component_sha256"].as_str().unwrap().len(), 64);
    let exports = json["exports"].as_array().unwrap();
    let hooks = exports.iter().find(|e| e["name"] == "paddock:plugin/hooks@0.1.0").expect("hooks exported");
    let functions: Vec<&str> = hooks["functions"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(functions, ["deploy", "destroy", "dockerfile-injection", "bootstrap-injection", "job-runtime-env-vars"]);

    let imports: Vec<&str> = json["imports"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    assert!(imports.contains(&"paddock:plugin/logging@0.1.0"), "{imports:?}");
    assert!(imports.iter().all(|i| i.starts_with("wasi:") || i.starts_with("paddock:")), "{imports:?}");

    let text = stdout(&paddock(&["inspect", zip.to_str().unwrap()]));
    assert!(text.contains("name:        hello-world\nversion:     1.0.0\npriority:    -1\n"), "{text}");
    assert!(text.contains("imports:\n  "), "{text}");
}

#[test]
fn bundle_refuses_a_directory_without_a_manifest_or_crate() {
    let empty = tempfile::tempdir().unwrap();
    let output = paddock(&["bundle", empty.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("plugin-manifest.yaml"), "{}", stderr(&output));

    std::fs::write(empty.path().join("plugin-manifest.yaml"), "name: x\nversion: 1.0.0\n").unwrap();
    let output = paddock(&["bundle", empty.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no Cargo.toml"), "{}", stderr(&output));
}

#[test]
fn validate_reports_each_bundle_and_fails_on_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.zip");
    std::fs::write(&bad, b"not a zip").unwrap();
    let good = sample_bundle("runtime-env");
    let output = paddock(&["validate", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("ok      ") && text.contains("(runtime-env 0.3.0)"), "{text}");
    assert!(text.contains("invalid ") && text.contains("not a readable zip archive"), "{text}");
}

#[test]
fn run_prints_json_outcomes_in_execution_order() {
    let dir = samples_dir();
    let context = workspace_root().join("sample-plugins/context.yaml");
    let output = paddock(&[
        "run",
        "job-runtime-env-vars",
        "--plugins",
        dir.path().to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let outcomes = json.as_array().unwrap();
    let summary: Vec<(&str, &str, i64)> = outcomes
        .iter()
        .map(|o| (o["plugin"].as_str().unwrap(), o["status"].as_str().unwrap(), o["priority"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("hello-world", "ok", -1),
            ("docker-layers", "skipped", 0),
            ("runtime-env", "ok", 0),
            ("deploy-recorder", "skipped", 10)
        ]
    );
    assert_eq!(outcomes[0]["version"], "1.0.0");
    assert_eq!(outcomes[2]["value"][0], serde_json::json!(["RACETRACK_JOB_NAME", "sentiment-model"]));
    assert!(outcomes[1].get("value").is_none() && outcomes[1].get("error").is_none());
}

#[test]
fn run_all_on_the_sample_set_shows_every_contribution() {
    let _ = SAMPLES.map(sample_bundle);
    // The sample set file points at target/bundles, as the demo script builds it.
    let bundles = workspace_root().join("target/bundles");
    std::fs::create_dir_all(&bundles).unwrap();
    for sample in SAMPLES {
        std::fs::copy(sample_bundle(sample), bundles.join(format!("{sample}.zip"))).unwrap();
    }
    let output = paddock(&[
        "run",
        "all",
        "--set",
        "sample-plugins/plugins.yaml",
        "--context",
        "sample-plugins/context.yaml",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "    -1  hello (hello-world 1.0.0)\n     0  runtime-env (runtime-env 0.3.0)\n     0  docker-layers (docker-layers 2.1.0)\n    10  deploy-recorder",
        "    | FROM jupyter/minimal-notebook:2026-11\n    | # Commands for hello plugin\n",
        "    --- hello.sh ---",
        "  conflict: LOG_LEVEL set by hello=debug, runtime-env=warning; kept runtime-env's value",
        "      asked to deploy sentiment-model@1.4.2 for team data-science in dev-env",
        "== destroy ==",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

#[test]
fn bundle_ships_files_that_a_granted_plugin_reads_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("files/templates")).unwrap();
    std::fs::write(dir.path().join("files/templates/banner.txt"), "shipped with the plugin").unwrap();
    let component = support::component_path("misbehaving");
    let zip = dir.path().join("shipper.zip");
    let bundle = || {
        paddock(&["bundle", dir.path().to_str().unwrap(), "--wasm", component.to_str().unwrap(), "-o", zip.to_str().unwrap()])
    };

    std::fs::write(dir.path().join("plugin-manifest.yaml"), "name: shipper\nversion: 1.0.0\n").unwrap();
    let output = bundle();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("does not declare `capabilities: bundle-files: true`"), "{}", stderr(&output));
    assert!(!zip.exists(), "nothing is written for a refused bundle");

    let manifest = "name: shipper\nversion: 1.0.0\ncapabilities:\n  bundle-files: true\n";
    std::fs::write(dir.path().join("plugin-manifest.yaml"), manifest).unwrap();
    let output = bundle();
    assert!(output.status.success(), "{}", stderr(&output));

    // Inspecting grants nothing, so it needs no grant.
    let inspect = paddock(&["inspect", zip.to_str().unwrap()]);
    assert!(inspect.status.success(), "{}", stderr(&inspect));
    assert!(stdout(&inspect).contains("asks for bundle-files: 1 files shipped\n"), "{}", stdout(&inspect));
    let inspect = paddock(&["inspect", zip.to_str().unwrap(), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(json["shipped_files"], serde_json::json!(["templates/banner.txt"]));
    assert_eq!(json["manifest"]["capabilities"]["bundle-files"], true);

    let set_file = dir.path().join("set.yaml");
    std::fs::write(
        &set_file,
        format!(
            "plugins:\n  - bundle: {}\n    parameters: {{mode: bundle-files, path: templates/banner.txt}}\n",
            zip.display()
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "deploy", "--set", set_file.to_str().unwrap(), "--format", "json"];
        args.extend(extra);
        paddock(&args)
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--grant-bundle-files"), "{}", stderr(&refused));

    let granted = run(&["--grant-bundle-files"]);
    assert!(granted.status.success(), "{}", stderr(&granted));
    let json: serde_json::Value = serde_json::from_slice(&granted.stdout).unwrap();
    assert_eq!(json[0]["value"]["summary"], "shipped with the plugin");
}

#[test]
fn run_exits_non_zero_when_a_plugin_fails_and_names_it() {
    let looper = misbehaving_bundle("cli-looper", 0);
    let set = tempfile::tempdir().unwrap();
    let set_file = set.path().join("set.yaml");
    std::fs::write(
        &set_file,
        format!("plugins:\n  - bundle: {}\n    parameters: {{mode: loop}}\n", looper.display()),
    )
    .unwrap();
    let recorder = sample_bundle("deploy-recorder");
    let run_deploy = |extra: &[&str]| {
        let mut args = vec!["run", "deploy", "--set", set_file.to_str().unwrap()];
        args.extend(["--plugins", recorder.to_str().unwrap(), "--timeout-ms", "200", "--format", "json"]);
        args.extend(extra);
        let output = paddock(&args);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (output, json)
    };
    let (output, json) = run_deploy(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(json[0]["status"], "failed");
    assert_eq!(
        json[0]["error"],
        "plugin `cli-looper` 0.0.1, hook `deploy`: timed out after 200 ms (the hook time limit; raise it with `Limits::hook_timeout` or `--timeout-ms`)"
    );
    assert_eq!(json[1]["status"], "ok");

    let (_, json) = run_deploy(&["--fail-fast"]);
    assert_eq!(json[1]["status"], "not-run");
}

#[test]
fn usage_errors_are_one_readable_paragraph_with_exit_2() {
    let dir = samples_dir();
    let plugins = dir.path().to_str().unwrap();
    for (args, expected) in [
        (vec!["run", "deploi", "--plugins", plugins], "unknown hook `deploi`; the hooks are: deploy"),
        (vec!["run", "deploy"], "no plugins given"),
        (vec!["run", "deploy", "--plugins", "/nonexistent"], "/nonexistent"),
        (vec!["inspect", "/nonexistent.zip"], "cannot read bundle"),
    ] {
        let output = paddock(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert!(err.starts_with("error: ") && err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let bad_context = dir.path().join("context.yaml");
    std::fs::write(&bad_context, "team: a\nteem: b\n").unwrap();
    let output = paddock(&["run", "deploy", "--plugins", plugins, "--context", bad_context.to_str().unwrap()]);
    assert!(stderr(&output).contains("unknown field `teem`"), "{}", stderr(&output));
}

#[test]
fn every_command_has_help() {
    for command in [&["--help"][..], &["bundle", "--help"], &["inspect", "--help"], &["validate", "--help"], &["run", "--help"]] {
        let output = paddock(command);
        assert!(output.status.success(), "{command:?}");
        assert!(stdout(&output).contains("Usage: paddock"), "{command:?}");
    }
}
