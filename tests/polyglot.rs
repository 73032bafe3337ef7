//! Python and JavaScript plugins, built from source like the Rust ones: the
//! polyglot sample written three times must behave identically, failures and
//! loops in Python/JS must be contained, and `paddock new` must produce
//! plugins `paddock bundle` builds without edits.
//!
//! Needs the guest toolchains: `bash scripts/install-guest-toolchains.sh`
//! (CI runs it). Without them these tests fail and say so.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use paddock::{
    ActionReport, Deployment, FailureCause, Host, HostConfig, Limits, Outcome, ParamValue, Plugin, PluginConfig,
    PluginSet, Status, hooks,
};
use paddock_build::toolchain::{self, COMPONENTIZE_JS_DIR_ENV, COMPONENTIZE_PY_ENV};
use paddock_build::{ComponentSource, Language, bundle_and_load};

use crate::support::{self, deployment, guest_target_dir, test_cache_dir, workspace_root};

/// Hook time limit of this module's host: long enough for any honest call,
/// short enough that the loop tests stay quick.
const HOOK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Rust,
    Python,
    Js,
}

const LANGS: [Lang; 3] = [Lang::Rust, Lang::Python, Lang::Js];

impl Lang {
    fn sample(self) -> &'static str {
        match self {
            Lang::Rust => "polyglot-rust",
            Lang::Python => "polyglot-python",
            Lang::Js => "polyglot-js",
        }
    }

    fn source(self) -> ComponentSource {
        match self {
            Lang::Rust => {
                ComponentSource::Source { language: Some(Language::Rust), target_dir: Some(guest_target_dir()) }
            }
            Lang::Python => ComponentSource::Source { language: Some(Language::Python), target_dir: None },
            Lang::Js => ComponentSource::Source { language: Some(Language::JavaScript), target_dir: None },
        }
    }

    fn cli_name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

/// Makes sure the pinned Python/JavaScript toolchains are installed, running
/// the project's idempotent install script once per test binary (as the
/// Rust guests are built from source), and fails the test saying what to do
/// if they still cannot be found.
fn require_toolchains() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if toolchain::componentize_py().is_ok() && toolchain::componentize_js_dir().is_ok() {
            return;
        }
        let script = workspace_root().join("scripts/install-guest-toolchains.sh");
        let status = std::process::Command::new("bash").arg(&script).status().expect("run bash");
        assert!(status.success(), "{} failed; see its output above", script.display());
    });
    let mut missing = Vec::new();
    if let Err(problem) = toolchain::componentize_py() {
        missing.push(problem);
    }
    if let Err(problem) = toolchain::componentize_js_dir() {
        missing.push(problem);
    }
    assert!(
        missing.is_empty(),
        "the Python/JavaScript guest toolchains are missing; run `bash scripts/install-guest-toolchains.sh` \
         and rerun the tests:\n  {}",
        missing.join("\n  ")
    );
}

/// One host for this module's tests. No compile cache: componentize-py and
/// componentize-js embed build paths, so every build is a new component and
/// each would leave ~36 MB of compiled code behind; each is compiled once,
/// when `bundle_and_load` verifies it, and that `Plugin` is reused.
fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        Host::with_config(HostConfig {
            limits: Limits { hook_timeout: HOOK_TIMEOUT, ..Limits::default() },
            cache: None,
            ..HostConfig::default()
        })
        .expect("host")
    })
}

fn out_dir() -> PathBuf {
    let dir = workspace_root().join("target").join("test-bundles").join("polyglot");
    std::fs::create_dir_all(&dir).expect("create target/test-bundles/polyglot");
    dir
}

/// The sample in `lang`, built from source through `paddock_build` and
/// loaded once per test binary.
fn sample(lang: Lang) -> Arc<Plugin> {
    static BUILT: [OnceLock<Arc<Plugin>>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    // Builds of the big components take all the machine's cores: one at a time.
    static BUILDING: Mutex<()> = Mutex::new(());
    let slot = &BUILT[LANGS.iter().position(|l| *l == lang).unwrap()];
    slot.get_or_init(|| {
        let _one_at_a_time = BUILDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if lang != Lang::Rust {
            require_toolchains();
        }
        let dir = workspace_root().join("sample-plugins").join(lang.sample());
        let out = out_dir().join(format!("{}.zip", lang.sample()));
        let (summary, plugin) = bundle_and_load(host(), &dir, &lang.source(), Some(&out))
            .unwrap_or_else(|e| panic!("building {}: {e}", lang.sample()));
        assert_eq!(summary.manifest.name(), lang.sample());
        assert_eq!(summary.path, out);
        Arc::new(plugin)
    })
    .clone()
}

fn params(pairs: &[(&str, ParamValue)]) -> Vec<(String, ParamValue)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn full_params() -> Vec<(String, ParamValue)> {
    params(&[
        ("log_level", ParamValue::Text("warning".into())),
        ("replicas", ParamValue::Integer(3)),
        ("debug", ParamValue::Boolean(true)),
        ("apt_packages", ParamValue::TextList(vec!["curl".into(), "jq".into()])),
        ("workdir", ParamValue::Text("/app".into())),
        ("bootstrap_commands", ParamValue::TextList(vec!["pip install -r requirements.txt".into()])),
    ])
}

/// A set of one plugin under the id `polyglot`, so all three see the same context.
fn alone(plugin: Arc<Plugin>, parameters: Vec<(String, ParamValue)>) -> PluginSet {
    PluginSet::builder(host())
        .add(plugin, PluginConfig { id: Some("polyglot".into()), parameters })
        .expect("add")
        .build()
        .expect("build set")
}

fn only<T: Clone>(outcomes: Vec<Outcome<T>>) -> Status<T> {
    assert_eq!(outcomes.len(), 1);
    outcomes.into_iter().next().unwrap().status
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Every hook's status for one plugin, parameters and deployment.
#[derive(Debug, PartialEq)]
struct AllHooks {
    env: Status<Vec<(String, String)>>,
    dockerfile: Status<Vec<String>>,
    bootstrap: Status<Option<String>>,
    deploy: Status<ActionReport>,
    destroy: Status<ActionReport>,
}

fn all_hooks(lang: Lang, parameters: Vec<(String, ParamValue)>, deployment: &Deployment) -> AllHooks {
    let set = alone(sample(lang), parameters);
    AllHooks {
        env: only(set.call::<hooks::JobRuntimeEnvVars>(deployment)),
        dockerfile: only(set.call::<hooks::DockerfileInjection>(deployment)),
        bootstrap: only(set.call::<hooks::BootstrapInjection>(deployment)),
        deploy: only(set.call::<hooks::Deploy>(deployment)),
        destroy: only(set.call::<hooks::Destroy>(deployment)),
    }
}

#[test]
fn the_three_languages_return_identical_typed_results() {
    let full = all_hooks(Lang::Rust, full_params(), &deployment());
    assert_eq!(
        full,
        AllHooks {
            env: Status::Ok(pairs(&[
                ("RACETRACK_JOB_NAME", "sentiment"),
                ("RACETRACK_JOB_VERSION", "1.4.2"),
                ("RACETRACK_TEAM", "data-science"),
                ("RACETRACK_ENVIRONMENT", "dev-env"),
                ("RACETRACK_DEPLOYER", "alice"),
                ("LOG_LEVEL", "warning"),
                ("REPLICAS", "3"),
                ("DEBUG", "true"),
            ])),
            dockerfile: Status::Ok(strings(&[
                "LABEL org.opencontainers.image.title=\"sentiment\" org.opencontainers.image.version=\"1.4.2\"",
                "ENV RACETRACK_TEAM=data-science",
                "RUN apt-get update && apt-get install -y --no-install-recommends curl jq && rm -rf /var/lib/apt/lists/*",
                "WORKDIR /app",
            ])),
            bootstrap: Status::Ok(Some(
                "#!/usr/bin/env sh\nset -eu\nset -x\necho \"polyglot: bootstrapping sentiment 1.4.2 for team data-science in dev-env\"\npip install -r requirements.txt\n"
                    .into()
            )),
            deploy: Status::Skipped,
            destroy: Status::Ok(ActionReport {
                summary: "would destroy sentiment@1.4.2 for team data-science in dev-env".into(),
                details: pairs(&[("plugin_id", "polyglot"), ("image", "jupyter:1"), ("deployer", "alice"), ("replicas", "3")]),
            }),
        },
        "the Rust twin is the reference"
    );
    let anonymous = Deployment { deployer: None, ..deployment() };
    let cases = [
        ("all parameters", full_params(), deployment()),
        ("no parameters", vec![], deployment()),
        (
            "no deployer, wrong parameter types",
            params(&[
                ("replicas", ParamValue::Text("three".into())),
                ("debug", ParamValue::Integer(1)),
                ("apt_packages", ParamValue::Text("curl".into())),
            ]),
            anonymous,
        ),
    ];
    for (case, parameters, deployment) in cases {
        let rust = all_hooks(Lang::Rust, parameters.clone(), &deployment);
        assert_eq!(rust.deploy, Status::Skipped, "{case}");
        for lang in [Lang::Python, Lang::Js] {
            assert_eq!(all_hooks(lang, parameters.clone(), &deployment), rust, "{lang:?} differs from Rust for {case}");
        }
    }
}

#[test]
fn a_failure_in_python_and_javascript_surfaces_with_its_message() {
    let expected = "refusing to destroy sentiment@1.4.2: parameter `fail_destroy` is true";
    for lang in LANGS {
        let set = alone(sample(lang), params(&[("fail_destroy", ParamValue::Boolean(true))]));
        let outcome = set.call::<hooks::Destroy>(&deployment()).remove(0);
        let failure = outcome.status.failure().unwrap_or_else(|| panic!("{lang:?}: destroy should fail")).clone();
        assert_eq!(failure.cause, FailureCause::Reported(expected.into()), "{lang:?}");
        assert_eq!(
            failure.to_string(),
            format!("plugin `{}` 0.1.0, hook `destroy`: the plugin reported: {expected}", lang.sample())
        );
        // The instance survives a reported failure: the next hook still works.
        assert!(set.call::<hooks::JobRuntimeEnvVars>(&deployment())[0].status.ok().is_some(), "{lang:?}");
    }
}

#[test]
fn a_loop_in_python_or_javascript_hits_the_timeout_and_leaves_its_neighbour_alone() {
    let threads: Vec<_> = [(Lang::Python, Lang::Js), (Lang::Js, Lang::Python)]
        .into_iter()
        .map(|(looping, neighbour)| {
            let (looping, neighbour) = (sample(looping), sample(neighbour));
            std::thread::spawn(move || {
                let solo =
                    alone(neighbour.clone(), full_params()).call::<hooks::Destroy>(&deployment()).remove(0).status;
                assert!(solo.ok().is_some(), "{solo:?}");
                let set = PluginSet::builder(host())
                    .add(
                        looping.clone(),
                        PluginConfig { id: None, parameters: params(&[("loop_destroy", ParamValue::Boolean(true))]) },
                    )
                    .unwrap()
                    .add(neighbour.clone(), PluginConfig { id: Some("polyglot".into()), parameters: full_params() })
                    .unwrap()
                    .build()
                    .unwrap();
                let started = Instant::now();
                let outcomes = set.call::<hooks::Destroy>(&deployment());
                let elapsed = started.elapsed();
                assert_eq!(outcomes[0].plugin, looping.name(), "same priority: configured order");
                let failure = outcomes[0].status.failure().expect("the loop fails");
                assert_eq!(failure.cause, FailureCause::Timeout { limit: HOOK_TIMEOUT }, "{failure}");
                assert_eq!(outcomes[1].status, solo, "the neighbour's result is unchanged");
                assert!(elapsed < HOOK_TIMEOUT * 3, "the loop was stopped near the limit: {elapsed:?}");
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("loop test thread");
    }
}

fn paddock_with(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paddock"));
    command
        .args(args)
        .current_dir(workspace_root())
        .env("PADDOCK_LOG", "warn")
        .env(paddock::cache::CACHE_DIR_ENV, test_cache_dir());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run paddock")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Removes a component's entry from the tests' compile cache on drop: every
/// Python/JavaScript build is a new component, and its compiled code is big.
struct ForgetCompiled(String);

impl Drop for ForgetCompiled {
    fn drop(&mut self) {
        let file = format!("{}.cwasm", self.0);
        for engine_dir in std::fs::read_dir(test_cache_dir()).into_iter().flatten().flatten() {
            let _ = std::fs::remove_file(engine_dir.path().join(&file));
        }
    }
}

#[test]
fn paddock_new_then_bundle_works_for_every_language() {
    require_toolchains();
    let parent = tempfile::tempdir().unwrap();
    let parent_text = parent.path().to_str().unwrap().to_string();
    // One language at a time: the builds use every core.
    for lang in LANGS {
        let name = format!("fresh-{}", lang.cli_name());
        let created = support::paddock(&["new", &name, "--lang", lang.cli_name(), "--dir", &parent_text]);
        assert!(created.status.success(), "{}", text(&created.stderr));
        let dir = parent.path().join(&name);
        assert!(dir.join("plugin-manifest.yaml").is_file() && dir.join("README.md").is_file());

        let zip = dir.join("out.zip");
        let mut args = vec!["bundle".to_string(), dir.display().to_string(), "-o".into(), zip.display().to_string()];
        if lang == Lang::Rust {
            let cargo_toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            let sdk = std::fs::canonicalize(workspace_root().join("guest-sdk")).unwrap();
            assert!(cargo_toml.contains(&format!("path = \"{}\"", sdk.display())), "{cargo_toml}");
            assert!(cargo_toml.contains("\n[workspace]\n"), "{cargo_toml}");
            args.extend(["--target-dir".into(), guest_target_dir().display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let bundled = support::paddock(&args);
        assert!(bundled.status.success(), "{lang:?}: {}", text(&bundled.stderr));
        let stdout = text(&bundled.stdout);
        assert!(stdout.starts_with(&format!("bundled {name} 0.1.0 -> ")), "{stdout}");
        let sha = stdout.trim_end().rsplit("sha256 ").next().unwrap().trim_end_matches(')').to_string();
        let _forget = ForgetCompiled(sha);

        let run =
            support::paddock(&["run", "job-runtime-env-vars", "--plugins", zip.to_str().unwrap(), "--format", "json"]);
        assert!(run.status.success(), "{lang:?}: {}", text(&run.stderr));
        let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(json[0]["status"], "ok", "{json}");
        assert_eq!(json[0]["value"][0], serde_json::json!(["LOG_LEVEL", "info"]), "{json}");
    }
    let again = support::paddock(&["new", "fresh-js", "--lang", "js", "--dir", &parent_text]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"), "{}", text(&again.stderr));
}

#[test]
fn a_missing_toolchain_is_an_error_saying_what_to_install() {
    let nowhere = workspace_root().join("target").join("no-such-toolchain");
    let nowhere = nowhere.to_str().unwrap();
    for (sample, env) in [("polyglot-python", COMPONENTIZE_PY_ENV), ("polyglot-js", COMPONENTIZE_JS_DIR_ENV)] {
        let dir = format!("sample-plugins/{sample}");
        let output = paddock_with(&["bundle", &dir, "-o", "target/no-such-toolchain.zip"], &[(env, nowhere)]);
        assert_eq!(output.status.code(), Some(2), "{sample}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(env) && stderr.contains("bash scripts/install-guest-toolchains.sh"), "{stderr}");
    }
}

#[test]
fn the_language_is_detected_from_the_entry_file() {
    use paddock_build::detect_language;
    let root = workspace_root().join("sample-plugins");
    assert_eq!(detect_language(&root.join("polyglot-rust")), Ok(Language::Rust));
    assert_eq!(detect_language(&root.join("polyglot-python")), Ok(Language::Python));
    assert_eq!(detect_language(&root.join("polyglot-js")), Ok(Language::JavaScript));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("helpers.py"), "").unwrap();
    let error = detect_language(dir.path()).unwrap_err();
    assert!(error.contains("no Cargo.toml, app.py or plugin.js") && error.contains("must be app.py"), "{error}");
    std::fs::write(dir.path().join("app.py"), "").unwrap();
    std::fs::write(dir.path().join("plugin.js"), "").unwrap();
    let error = detect_language(dir.path()).unwrap_err();
    assert!(error.contains("ambiguous") && error.contains("app.py (Python) and plugin.js (JavaScript)"), "{error}");
}
