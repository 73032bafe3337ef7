//! Python and JavaScript plugins, built from source like the Rust ones: the
//! polyglot sample (0.1.0) and the team-labels sample (0.2 packages by tool)
//! written three times must each behave identically, as must the ports of
//! the seeds' examples (job-notifier in Python, custom-cfn and DevStack's
//! template in JavaScript)
//! and their Rust originals; a 0.2 build must export exactly the hooks its
//! manifest declares, a Python plugin gets the pinned pure-Python packages
//! of its `requirements.txt` (and a package with native extensions fails
//! the build naming it), failures and loops in Python/JS must be contained,
//! and `paddock new` must produce plugins `paddock bundle` builds without
//! edits.
//!
//! Needs the guest toolchains: `bash scripts/install-guest-toolchains.sh`
//! (CI runs it). Without them these tests fail and say so.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use paddock::hooks::racetrack::{JobDeleted, JobDeployed, JobManifest, JobRecord};
use paddock::resources::{CloudFormationStack, Resource};
use paddock::{
    ActionReport, Deployment, FailureCause, Hook, Host, HostConfig, Limits, Outcome, ParamValue, Plugin, PluginConfig,
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

    /// The team-labels sample (0.2) in this language.
    fn team_labels(self) -> &'static str {
        match self {
            Lang::Rust => "team-labels",
            Lang::Python => "team-labels-python",
            Lang::Js => "team-labels-js",
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
pub(crate) fn require_toolchains() {
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

/// The polyglot sample in `lang`, built from source through `paddock_build`
/// and loaded once per test binary.
fn sample(lang: Lang) -> Arc<Plugin> {
    built(lang.sample(), lang)
}

/// The team-labels sample in `lang`, likewise.
fn team_labels(lang: Lang) -> Arc<Plugin> {
    built(lang.team_labels(), lang)
}

/// Where [`built`] writes the bundle of the sample in `sample-plugins/<name>`.
fn bundle_path(name: &str) -> PathBuf {
    out_dir().join(format!("{name}.zip"))
}

/// The sample in `sample-plugins/<name>`, written in `lang`, built from
/// source through `paddock_build` and loaded once per test binary.
fn built(name: &'static str, lang: Lang) -> Arc<Plugin> {
    static BUILT: Mutex<BTreeMap<&'static str, Arc<Plugin>>> = Mutex::new(BTreeMap::new());
    // Builds of the big components take all the machine's cores: one at a
    // time, so the lock is held while building.
    let mut built = BUILT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(plugin) = built.get(name) {
        return plugin.clone();
    }
    if lang != Lang::Rust {
        require_toolchains();
    }
    let dir = workspace_root().join("sample-plugins").join(name);
    let out = bundle_path(name);
    let (summary, plugin) =
        bundle_and_load(host(), &dir, &lang.source(), Some(&out)).unwrap_or_else(|e| panic!("building {name}: {e}"));
    assert_eq!(summary.manifest.name(), name);
    assert_eq!(summary.path, out);
    let plugin = Arc::new(plugin);
    built.insert(name, plugin.clone());
    plugin
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
                resources: Vec::new(),
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

/// The interfaces both 0.2 team-labels builds export, and nothing else of Paddock's.
const TEAM_LABELS_EXPORTS: [&str; 2] =
    ["paddock:orbit/dockerfile-injection@0.2.0", "paddock:racetrack/job-runtime-env-vars@0.2.0"];

#[test]
fn a_0_2_python_or_javascript_build_exports_exactly_the_hooks_its_manifest_declares() {
    for lang in LANGS {
        let name = lang.team_labels();
        let plugin = team_labels(lang);
        let declared = plugin.manifest().declared_hooks().map(<[String]>::to_vec);
        assert_eq!(declared, Some(vec!["dockerfile-injection".to_string(), "job-runtime-env-vars".to_string()]));
        if lang == Lang::Rust {
            continue; // tests/versions.rs checks the Rust build's bundle.
        }
        let bundle = paddock::Bundle::read_file(&bundle_path(name), &Default::default()).unwrap();
        let check = host().check_bundle(&bundle, name).unwrap();
        assert_eq!(check.hooks, [Hook::DockerfileInjection, Hook::JobRuntimeEnvVars], "{name}");
        assert_eq!(
            check.paddock_packages(),
            ["paddock:common@0.2.0", "paddock:orbit@0.2.0", "paddock:racetrack@0.2.0"],
            "{name}: no paddock:plugin@0.1.0 left in the component"
        );
        let paddock_exports: Vec<&str> = check
            .exports
            .iter()
            .map(|export| export.name.as_str())
            .filter(|name| name.starts_with("paddock:"))
            .collect();
        assert_eq!(paddock_exports, TEAM_LABELS_EXPORTS, "{name}");
        // Besides them, only the toolchain's own (componentize-py's `exports`
        // instance with `init`), never a hook.
        for export in check.exports.iter().filter(|export| !export.name.starts_with("paddock:")) {
            assert!(!export.functions.iter().any(|f| f.contains("injection") || f.contains("env-vars")), "{export:?}");
        }
        let imports: Vec<&str> =
            check.imports.iter().map(String::as_str).filter(|name| name.starts_with("paddock:")).collect();
        // The types are an import too, though they hold no function.
        assert_eq!(imports, ["paddock:common/logging@0.2.0", "paddock:common/types@0.2.0"], "{name}");
    }
}

/// How a call ended, with a failure reduced to its cause (a [`Status`]
/// names the plugin, and the twins' names differ).
#[derive(Debug, Clone, PartialEq)]
enum Ended<T> {
    Ok(T),
    Skipped,
    Failed(FailureCause),
    NotRun,
}

impl<T> From<Status<T>> for Ended<T> {
    fn from(status: Status<T>) -> Ended<T> {
        match status {
            Status::Ok(value) => Ended::Ok(value),
            Status::Skipped => Ended::Skipped,
            Status::Failed(failure) => Ended::Failed(failure.cause),
            Status::NotRun => Ended::NotRun,
        }
    }
}

/// How a team-labels twin's hooks ended in one run.
#[derive(Debug, PartialEq)]
struct TeamLabelsRun {
    dockerfile: Ended<Vec<String>>,
    env: Ended<Vec<(String, String)>>,
    bootstrap: Ended<()>,
    deploy: Ended<()>,
    destroy: Ended<()>,
}

/// The three team-labels twins and a 0.1.0 plugin (the Python polyglot
/// sample) in one set: each twin's name and how its hooks ended.
fn run_team_labels_beside_0_1(
    parameters: &[(String, ParamValue)],
    deployment: &Deployment,
) -> Vec<(String, TeamLabelsRun)> {
    let old = sample(Lang::Python);
    let mut builder = PluginSet::builder(host())
        .add(old.clone(), PluginConfig { id: None, parameters: full_params() })
        .expect("add the 0.1.0 plugin");
    for lang in LANGS {
        builder = builder
            .add(team_labels(lang), PluginConfig { id: None, parameters: parameters.to_vec() })
            .expect("add a team-labels twin");
    }
    let set = builder.build().expect("build set");
    let dockerfile = set.call::<hooks::DockerfileInjection>(deployment);
    let env = set.call::<hooks::JobRuntimeEnvVars>(deployment);
    let bootstrap = set.call::<hooks::BootstrapInjection>(deployment);
    let deploy = set.call::<hooks::Deploy>(deployment);
    let destroy = set.call::<hooks::Destroy>(deployment);
    // The 0.1.0 plugin runs after them (priority 20 against 5), unchanged.
    assert_eq!(dockerfile[3].plugin, old.name());
    assert!(dockerfile[3].status.ok().is_some() && env[3].status.ok().is_some(), "{:?}", dockerfile[3]);
    assert!(bootstrap[3].status.ok().is_some() && destroy[3].status.ok().is_some(), "{:?}", destroy[3]);
    assert_eq!(deploy[3].status, Status::Skipped, "polyglot-python does not implement deploy");
    (0..3)
        .map(|index| {
            fn unit<T>(status: Status<T>) -> Ended<()> {
                Ended::from(status.map(|_| ()))
            }
            let run = TeamLabelsRun {
                dockerfile: dockerfile[index].status.clone().into(),
                env: env[index].status.clone().into(),
                bootstrap: unit(bootstrap[index].status.clone()),
                deploy: unit(deploy[index].status.clone()),
                destroy: unit(destroy[index].status.clone()),
            };
            (dockerfile[index].plugin.clone(), run)
        })
        .collect()
}

#[test]
fn the_0_2_twins_in_three_languages_return_identical_results_beside_a_0_1_plugin() {
    let no_team = Deployment { team: String::new(), ..deployment() };
    let cases = [
        ("an owner parameter", params(&[("owner", ParamValue::Text("platform".into()))]), deployment()),
        ("no parameters", vec![], deployment()),
        ("an owner of the wrong type", params(&[("owner", ParamValue::Integer(7))]), deployment()),
        ("no owner and no team", vec![], no_team),
    ];
    let mut reference = Vec::new();
    for (case, parameters, deployment) in cases {
        let runs = run_team_labels_beside_0_1(&parameters, &deployment);
        let names: Vec<&str> = runs.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, LANGS.map(Lang::team_labels), "same priority: configured order");
        let (_, rust) = &runs[0];
        for (name, other) in &runs[1..] {
            assert_eq!(other, rust, "{name} differs from team-labels (Rust) for {case}");
        }
        reference.push(runs.into_iter().next().unwrap().1);
    }
    let labels = |owner: &str| {
        Ended::Ok(strings(&[
            &format!("LABEL org.opencontainers.image.vendor='{owner}'"),
            "LABEL paddock.environment='dev-env'",
        ]))
    };
    let skipped = |run: &TeamLabelsRun| {
        run.deploy == Ended::Skipped && run.destroy == Ended::Skipped && run.bootstrap == Ended::Skipped
    };
    assert!(reference.iter().all(skipped), "hooks a 0.2 plugin does not export are skipped: {reference:?}");
    assert_eq!(reference[0].dockerfile, labels("platform"));
    assert_eq!(reference[0].env, Ended::Ok(pairs(&[("TEAM_OWNER", "platform"), ("TEAM_ENVIRONMENT", "dev-env")])));
    assert_eq!(reference[1].dockerfile, labels("data-science"));
    assert_eq!(reference[2].dockerfile, labels("data-science"), "a parameter of the wrong type counts as absent");
    let no_owner = FailureCause::Reported("no team in the deployment and no `owner` parameter: set one of them".into());
    assert_eq!(reference[3].dockerfile, Ended::Failed(no_owner.clone()));
    assert_eq!(reference[3].env, Ended::Failed(no_owner));
}

/// A sample of the seeds' examples and its port: the Rust original (bundled
/// from its prebuilt component, as the other test modules do) and the port
/// in `sample-plugins/<port>`, built from source in `lang`.
fn original_and_port(original: &str, port: &'static str, lang: Lang) -> (Arc<Plugin>, Arc<Plugin>) {
    let rust =
        host().load_file(&support::sample_bundle(original)).unwrap_or_else(|e| panic!("loading {original}: {e}"));
    (Arc::new(rust), built(port, lang))
}

fn job_deployed() -> JobDeployed {
    JobDeployed {
        manifest: JobManifest {
            name: "sentiment".into(),
            owner_email: "alice@example.com".into(),
            jobtype: "python3:2.4.0".into(),
            git_remote: "https://github.com/example/sentiment".into(),
            replicas: 2,
            ..JobManifest::default()
        },
        job: support::job_record(),
        image_name: "registry/sentiment:1.4.2".into(),
        deployer: Some("alice".into()),
    }
}

/// How job-notifier's hooks ended for one input.
#[derive(Debug, PartialEq)]
struct NotifierRun {
    deployed: Ended<ActionReport>,
    deleted: Ended<ActionReport>,
    docs: Ended<Option<String>>,
    /// A hook it does not export.
    env: Ended<Vec<(String, String)>>,
}

#[test]
fn the_python_job_notifier_returns_what_the_rust_one_does_for_every_job_event() {
    let (rust, python) = original_and_port("job-notifier", "job-notifier-python", Lang::Python);
    let anonymous = JobDeployed {
        deployer: None,
        job: JobRecord { infrastructure_target: None, ..support::job_record() },
        ..job_deployed()
    };
    let cases = [
        ("no parameters", vec![], job_deployed(), Some("bob")),
        ("a channel", params(&[("channel", ParamValue::Text("#ml-team".into()))]), job_deployed(), None),
        ("a channel of the wrong type, nobody named", params(&[("channel", ParamValue::Integer(7))]), anonymous, None),
    ];
    let mut reference = Vec::new();
    for (case, parameters, deployed, deleted_by) in cases {
        let set = PluginSet::builder(host())
            .add(rust.clone(), PluginConfig { id: None, parameters: parameters.clone() })
            .unwrap()
            .add(python.clone(), PluginConfig { id: None, parameters })
            .unwrap()
            .build()
            .unwrap();
        let deleted = JobDeleted { job: support::job_record(), deleted_by: deleted_by.map(str::to_string) };
        let deployed = set.call::<hooks::PostJobDeploy>(&deployed);
        let deleted = set.call::<hooks::PostJobDelete>(&deleted);
        let docs = set.call::<hooks::MarkdownDocs>(&());
        let env = set.call::<hooks::JobRuntimeEnvVars>(&deployment());
        let runs: Vec<(String, NotifierRun)> = (0..2)
            .map(|index| {
                let run = NotifierRun {
                    deployed: deployed[index].status.clone().into(),
                    deleted: deleted[index].status.clone().into(),
                    docs: docs[index].status.clone().into(),
                    env: env[index].status.clone().into(),
                };
                (deployed[index].plugin.clone(), run)
            })
            .collect();
        assert_eq!(runs[0].0, "job-notifier", "same priority: configured order");
        assert_eq!(runs[1].0, "job-notifier-python");
        assert_eq!(runs[1].1, runs[0].1, "job-notifier-python differs from job-notifier (Rust) for {case}");
        reference.push(runs.into_iter().next().unwrap().1);
    }
    let report = |summary: &str, details: &[(&str, &str)]| {
        Ended::Ok(ActionReport { summary: summary.into(), details: pairs(details), resources: Vec::new() })
    };
    assert_eq!(
        reference[0].deployed,
        report(
            "would notify #racetrack: alice deployed sentiment 1.4.2 (registry/sentiment:1.4.2)",
            &[("job", "sentiment"), ("version", "1.4.2"), ("owner", "alice@example.com"), ("target", "kubernetes")]
        )
    );
    assert_eq!(
        reference[0].deleted,
        report("would notify #racetrack: bob deleted sentiment 1.4.2", &[("job", "sentiment")])
    );
    assert_eq!(reference[0].env, Ended::Skipped, "not exported: skipped");
    assert_eq!(
        reference[1].deleted,
        report("would notify #ml-team: someone deleted sentiment 1.4.2", &[("job", "sentiment")])
    );
    let Ended::Ok(Some(docs)) = &reference[1].docs else { panic!("{:?}", reference[1].docs) };
    assert!(docs.starts_with("# job-notifier\n\nPosts to `#ml-team` when"), "{docs}");
    assert_eq!(
        reference[2].deployed,
        report(
            "would notify #racetrack: someone deployed sentiment 1.4.2 (registry/sentiment:1.4.2)",
            &[("job", "sentiment"), ("version", "1.4.2"), ("owner", "alice@example.com"), ("target", "")]
        ),
        "a channel of another type counts as absent"
    );
}

/// How custom-cfn's hooks ended for one input.
#[derive(Debug, PartialEq)]
struct CfnRun {
    pre: Ended<ActionReport>,
    post: Ended<ActionReport>,
    /// A hook it does not export.
    deploy: Ended<ActionReport>,
}

/// The Rust custom-cfn and its JavaScript port in one set, each configured
/// under one of `ids` (the stack is named after the plugin id): how each
/// one's hooks ended, by plugin name.
fn run_custom_cfn(
    twins: &[Arc<Plugin>; 2],
    ids: [&str; 2],
    parameters: &[(String, ParamValue)],
    deployment: &Deployment,
) -> BTreeMap<String, CfnRun> {
    let mut builder = PluginSet::builder(host());
    for (plugin, id) in twins.iter().zip(ids) {
        builder =
            builder.add(plugin.clone(), PluginConfig { id: Some(id.into()), parameters: parameters.to_vec() }).unwrap();
    }
    let set = builder.build().unwrap();
    let pre = set.call::<hooks::PreHook>(deployment);
    let post = set.call::<hooks::PostHook>(deployment);
    let deploy = set.call::<hooks::Deploy>(deployment);
    (0..2)
        .map(|index| {
            let run = CfnRun {
                pre: pre[index].status.clone().into(),
                post: post[index].status.clone().into(),
                deploy: deploy[index].status.clone().into(),
            };
            (pre[index].plugin.clone(), run)
        })
        .collect()
}

#[test]
fn the_javascript_custom_cfn_returns_the_stack_the_rust_one_does() {
    let (rust, js) = original_and_port("custom-cfn", "custom-cfn-js", Lang::Js);
    let twins = [rust, js];
    let bad_environment = Deployment { environment: "dev_env".into(), ..deployment() };
    let cases = [
        ("a bucket prefix", params(&[("bucket_prefix", ParamValue::Text("acme".into()))]), deployment()),
        ("no parameters", vec![], deployment()),
        ("a bucket prefix of the wrong type", params(&[("bucket_prefix", ParamValue::Boolean(true))]), deployment()),
        ("a stack name the host refuses", vec![], bad_environment),
    ];
    let mut reference = Vec::new();
    for (case, parameters, deployment) in cases {
        // Each twin under each id, beside the other: the same id must give the same stack.
        let first = run_custom_cfn(&twins, ["custom-cfn", "team-cfn"], &parameters, &deployment);
        let swapped = run_custom_cfn(&twins, ["team-cfn", "custom-cfn"], &parameters, &deployment);
        assert_eq!(
            swapped["custom-cfn-js"], first["custom-cfn"],
            "custom-cfn-js differs from custom-cfn (Rust) for {case}"
        );
        assert_eq!(
            first["custom-cfn-js"], swapped["custom-cfn"],
            "custom-cfn-js differs from custom-cfn (Rust) for {case}"
        );
        reference.push(first.into_values().next().unwrap());
    }
    let stack_plan = |summary: &str, prefix: &str| {
        Ended::Ok(ActionReport {
            summary: summary.into(),
            details: Vec::new(),
            resources: vec![Resource::CloudFormation(CloudFormationStack {
                stack_name: "orbit-dev-env-data-science-custom-cfn".into(),
                template_path: "cfn/template.yaml".into(),
                parameters: pairs(&[("TeamName", "data-science"), ("BucketPrefix", prefix)]),
            })],
        })
    };
    assert_eq!(reference[0].pre, stack_plan("create stack orbit-dev-env-data-science-custom-cfn", "acme"));
    assert_eq!(reference[0].post, stack_plan("delete stack orbit-dev-env-data-science-custom-cfn", "acme"));
    assert_eq!(reference[0].deploy, Ended::Skipped, "not exported: skipped");
    assert_eq!(reference[1].pre, stack_plan("create stack orbit-dev-env-data-science-custom-cfn", "orbit"));
    assert_eq!(reference[2].pre, reference[1].pre, "a parameter of another type counts as absent");
    let Ended::Failed(cause) = &reference[3].pre else { panic!("{:?}", reference[3].pre) };
    assert!(cause.to_string().contains("orbit-dev_env-data-science-custom-cfn"), "{cause}");
}

#[test]
fn the_javascript_devstack_template_returns_what_the_rust_one_does() {
    use paddock::devstack::{self, Mode, PackageFamily, UserSettings};
    use paddock::hooks::devstack::{PluginSettings, StackPhase, SystemPackageLists};

    let (rust, js) = original_and_port("devstack-template", "devstack-template-js", Lang::Js);
    let set = PluginSet::builder(host())
        .add(rust, PluginConfig::default())
        .unwrap()
        .add(js, PluginConfig::default())
        .unwrap()
        .build()
        .unwrap();
    let settings = set.call::<hooks::Settings>(&());
    assert_eq!(
        settings[0].status,
        Status::Ok(PluginSettings {
            defaults: pairs(&[("TEMPLATE_DIR", "/opt/stack/template")]),
            services: strings(&["template"]),
            override_defaults: Vec::new(),
        })
    );
    assert_eq!(settings[1].status, settings[0].status, "settings");
    let packages = set.call::<hooks::SystemPackages>(&());
    let cowsay = strings(&["cowsay"]);
    assert_eq!(
        packages[0].status,
        Status::Ok(SystemPackageLists { debs: cowsay.clone(), rpms: cowsay.clone(), rpms_suse: cowsay })
    );
    assert_eq!(packages[1].status, packages[0].status, "system-packages");
    for phase in StackPhase::ALL {
        let stack = set.call::<hooks::Stack>(&phase);
        assert!(matches!(stack[0].status, Status::Ok(_)), "{phase}: {:?}", stack[0].status);
        assert_eq!(stack[1].status, stack[0].status, "stack {phase}");
    }
    for outcomes in [set.call::<hooks::Unstack>(&()), set.call::<hooks::Clean>(&())] {
        assert_eq!((&outcomes[0].status, &outcomes[1].status), (&Status::Ok(None), &Status::Ok(None)));
    }
    let modes: Vec<Mode> = StackPhase::ALL.into_iter().map(Mode::Stack).collect();
    let run = devstack::run(&set, &modes, &UserSettings::default(), &[PackageFamily::Rpms]);
    assert!(run.failures.is_empty(), "{:?}", run.failures);
    let names: Vec<String> = run.modes[0].fragments.iter().map(|fragment| fragment.file_name.clone()).collect();
    assert_eq!(names, ["01-devstack-template-pre-install.sh", "02-devstack-template-js-pre-install.sh"]);
    assert_eq!(run.packages[0].packages[0].plugins, ["devstack-template", "devstack-template-js"]);
}

/// A Python plugin in a new directory: a markdown-docs hook whose `app.py`
/// is `app`, with `requirements` as its `requirements.txt`.
fn python_plugin_with_requirements(app: &str, requirements: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plugin-manifest.yaml"),
        "name: with-deps\nversion: 0.1.0\nhooks: [markdown-docs]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.py"), app).unwrap();
    std::fs::write(dir.path().join("requirements.txt"), requirements).unwrap();
    dir
}

#[test]
fn a_python_plugin_gets_the_pinned_pure_python_packages_of_its_requirements_txt() {
    require_toolchains();
    let app = "import humanize\n\
               from paddock_guest import Hook, PluginContext\n\n\
               class MarkdownDocs(Hook):\n    \
                   def markdown_docs(self, plugin: PluginContext):\n        \
                       return f\"{humanize.intcomma(1234567)} jobs, {humanize.naturalsize(3_000_000)} (humanize {humanize.__version__})\"\n";
    let dir = python_plugin_with_requirements(app, "# sizes and counts for people\nhumanize==4.9.0\n");
    let out = dir.path().join("out.zip");
    let (summary, plugin) = bundle_and_load(host(), dir.path(), &Lang::Python.source(), Some(&out))
        .unwrap_or_else(|e| panic!("building a plugin with requirements.txt: {e}"));
    assert_eq!(summary.path, out);
    let set = alone(Arc::new(plugin), vec![]);
    let docs = only(set.call::<hooks::MarkdownDocs>(&()));
    assert_eq!(docs, Status::Ok(Some("1,234,567 jobs, 3.0 MB (humanize 4.9.0)".into())), "humanize ran in the sandbox");
}

#[test]
fn a_requirement_with_native_extensions_or_without_a_pin_fails_the_build_naming_it() {
    require_toolchains();
    let app = "from paddock_guest import Hook, PluginContext\n\n\
               class MarkdownDocs(Hook):\n    \
                   def markdown_docs(self, plugin: PluginContext):\n        \
                       return None\n";
    let cases = [
        // PyYAML publishes platform wheels only (its C extension): none for the sandbox, one for
        // any CPython from 3.8 to 3.14 building it (6.0.3).
        (
            "pyyaml==6.0.3\n",
            &[
                "requirements.txt: `pyyaml` has native extensions: `pyyaml==6.0.3` publishes no pure-Python wheel \
               (tagged `py3-none-any`), only platform wheels such as pyyaml-6.0.3-cp",
                "a Python plugin can use pure-Python packages only",
            ][..],
        ),
        (
            "humanize==4.9.0\nhumanize>=4\n",
            &["requirements.txt line 2: `humanize>=4` is not pinned; write each package as `name==version`"][..],
        ),
        (
            "--index-url https://example.invalid/simple\n",
            &["requirements.txt line 1: `--index-url https://example.invalid/simple` is a pip option"][..],
        ),
        // python-dateutil depends on six, which the file does not pin.
        (
            "python-dateutil==2.9.0.post0\n",
            &["requirements.txt does not pin every package the plugin gets", "add the line `six=="][..],
        ),
    ];
    for (requirements, expected) in cases {
        let dir = python_plugin_with_requirements(app, requirements);
        let out = dir.path().join("out.zip");
        let error = bundle_and_load(host(), dir.path(), &Lang::Python.source(), Some(&out))
            .map(|_| ())
            .expect_err(requirements)
            .to_string();
        for expected in expected {
            assert!(error.contains(expected), "{requirements:?}: expected `{expected}` in: {error}");
        }
        assert!(error.starts_with(&format!("cannot build plugin in {}: ", dir.path().display())), "{error}");
        assert!(!out.exists());
    }
}

/// A copy of the team-labels sample in `lang` whose manifest declares `hooks`.
fn team_labels_declaring(lang: Lang, hooks: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("sample-plugins").join(lang.team_labels());
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "py" || ext == "js" || ext == "md") {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let manifest = std::fs::read_to_string(dir.join("plugin-manifest.yaml")).unwrap();
    let (head, _) = manifest.split_once("hooks:").expect("the sample declares hooks");
    std::fs::write(copy.path().join("plugin-manifest.yaml"), format!("{head}hooks: {hooks}\n")).unwrap();
    copy
}

#[test]
fn a_manifest_naming_an_unknown_hook_is_a_build_error_naming_it() {
    for lang in [Lang::Python, Lang::Js] {
        let dir = team_labels_declaring(lang, "[dockerfile-injection, frobnicate]");
        let error = bundle_and_load(host(), dir.path(), &lang.source(), Some(&dir.path().join("out.zip")))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "plugin-manifest.yaml field `hooks`: unknown hook `frobnicate`; the hooks are: dockerfile-injection"
            ),
            "{lang:?}: {error}"
        );
        assert!(!dir.path().join("out.zip").exists());
    }
}

#[test]
fn a_hook_the_code_and_the_manifest_disagree_on_fails_the_build_naming_it() {
    require_toolchains();
    // Python: a class for a hook the manifest does not list.
    let dir = team_labels_declaring(Lang::Python, "[dockerfile-injection]");
    let app = std::fs::read_to_string(dir.path().join("app.py")).unwrap();
    std::fs::write(dir.path().join("app.py"), app.replace("class JobRuntimeEnvVars(Hook):", "class Deploy(Hook):"))
        .unwrap();
    // JavaScript: a hook the code defines and the manifest does not list.
    let js = team_labels_declaring(Lang::Js, "[dockerfile-injection]");
    let cases = [
        (dir, "class Deploy(Hook): the plugin's world exports no interface `Deploy`, only DockerfileInjection"),
        (js, "defineHooks: `jobRuntimeEnvVars` is not a hook the plugin's world exports"),
    ];
    for (dir, expected) in cases {
        let out = dir.path().join("out.zip");
        let output = support::paddock(&["bundle", dir.path().to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "expected `{expected}` in:\n{stderr}");
        assert!(!out.exists());
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

        // A new plugin is a 0.2 plugin exporting the hooks its manifest declares.
        let inspect = support::paddock(&["inspect", zip.to_str().unwrap()]);
        let inspected = text(&inspect.stdout);
        assert!(inspect.status.success(), "{lang:?}: {}", text(&inspect.stderr));
        assert!(
            inspected.contains("targets:     paddock:common@0.2.0, paddock:orbit@0.2.0, paddock:racetrack@0.2.0\n"),
            "{lang:?}: {inspected}"
        );
        assert!(
            inspected.contains("implements:  dockerfile-injection, job-runtime-env-vars\n"),
            "{lang:?}: {inspected}"
        );

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

/// Tutor (seed 004): the JavaScript `mailer-js` and the Rust `myplugin` in
/// one set: config prefixed and generated once, patches joined in plugin
/// order, init jobs with their templates rendered.
#[test]
fn a_javascript_tutor_plugin_renders_with_the_rust_one() {
    use paddock::tutor::{Project, TemplateTree, Tutor, jobs};

    let set = PluginSet::builder(host())
        .add(built("myplugin", Lang::Rust), PluginConfig::default())
        .expect("add myplugin")
        .add(
            built("mailer-js", Lang::Js),
            PluginConfig { id: None, parameters: params(&[("image", ParamValue::Text("my/smtp:2".into()))]) },
        )
        .expect("add mailer-js")
        .build()
        .expect("build set");
    let base = TemplateTree::read_dir(&workspace_root().join("sample-plugins/tutor-env")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path().join("project"));
    let tutor = Tutor::load(&set, Some(base)).unwrap();
    let saved = tutor.save(&project, &[]).unwrap();
    let password = saved.resolved.values["MAILER_JS_SMTP_PASSWORD"].as_str().unwrap().to_string();
    assert_eq!(password.len(), 16);
    assert_eq!(saved.resolved.values["MAILER_JS_SMTP_HOST"].as_str(), Some("smtp.www.myopenedx.com"));
    let stored = std::fs::read_to_string(project.config_file()).unwrap();
    assert!(stored.contains(&format!("MAILER_JS_SMTP_PASSWORD: {password}")), "{stored}");
    assert!(!stored.contains("MAILER_JS_SMTP_HOST") && !stored.contains("MAILER_JS_DOCKER_IMAGE"), "{stored}");

    let compose = std::fs::read_to_string(project.env_dir().join("local/docker-compose.yml")).unwrap();
    let services = "  redis:\n    image: redis:latest\n  smtp:\n    image: my/smtp:2\n    environment:\n";
    assert!(compose.contains(services), "{compose}");
    assert!(compose.contains(&format!("SMTP_PASSWORD: \"{password}\"")), "{compose}");
    let listed = jobs::init_jobs(&tutor, &saved.env).unwrap();
    let services: Vec<(&str, &str)> = listed.iter().map(|job| (job.plugin.as_str(), job.service.as_str())).collect();
    assert_eq!(services, [("myplugin", "myservice"), ("mailer-js", "smtp")]);
    assert_eq!(listed[1].commands, "echo \"relaying mail for My Open edX through smtp.www.myopenedx.com\"\n");

    let again = tutor.save(&project, &[]).unwrap();
    assert!(again.resolved.generated.is_empty());
    assert_eq!(again.resolved.values["MAILER_JS_SMTP_PASSWORD"].as_str(), Some(password.as_str()));
}
