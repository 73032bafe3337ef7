//! The state store, plan, apply, the audit trail and provenance, with real
//! sample bundles: every store test runs against SQLite and against the
//! PostgreSQL server at `PADDOCK_TEST_POSTGRES_URL` (`.ci/run` starts one).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use paddock::state::{
    self, Action, ApplyReport, DesiredSet, HistoryQuery, Plan, PluginStatus, PruneRule, StateError, StateStore, Trace,
};
use paddock::{FailurePolicy, ParamValue, PluginConfig, RunContext};

use crate::support::{self, deployment, host, misbehaving_bundle, paddock_command, sample_bundle};

const POSTGRES_ENV: &str = "PADDOCK_TEST_POSTGRES_URL";

/// Where one test keeps its state: a SQLite file in a temporary directory,
/// or a schema of its own in the test PostgreSQL database.
struct Backend {
    location: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL server and schema to drop afterwards.
    schema: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.schema
            && let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

impl Backend {
    fn sqlite() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("state.db").display().to_string();
        Backend { location, _dir: Some(dir), schema: None }
    }

    /// A fresh schema in the test database; `None` (with a note on stderr)
    /// when no server is configured outside CI. In CI a missing server fails.
    fn postgres() -> Option<Backend> {
        let Some(url) = std::env::var(POSTGRES_ENV).ok().filter(|url| !url.is_empty()) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {POSTGRES_ENV} is not: .ci/run must start PostgreSQL and export it"
            );
            eprintln!(
                "skipping the PostgreSQL store test: {POSTGRES_ENV} is not set (set it to a postgres:// URL to run it)"
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let schema = format!("paddock_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect to the test PostgreSQL");
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).unwrap();
        let separator = if url.contains('?') { '&' } else { '?' };
        Some(Backend {
            location: format!("{url}{separator}options=-c%20search_path%3D{schema}"),
            _dir: None,
            schema: Some((url, schema)),
        })
    }

    fn open(&self) -> Box<dyn StateStore> {
        state::open(&self.location).expect("open the state store")
    }
}

/// Each store test, once per backend.
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store {
            $(#[test] fn $name() { super::$name(&super::Backend::sqlite()); })*
        }
        mod postgres_store {
            $(#[test] fn $name() { if let Some(backend) = super::Backend::postgres() { super::$name(&backend); } })*
        }
    };
}

store_tests! {
    plan_on_an_empty_state_adds_every_plugin_and_writes_nothing,
    apply_then_plan_shows_nothing_to_change,
    removing_a_plugin_runs_its_destroy_from_the_recorded_bundle_after_the_file_is_gone,
    upgrades_and_reconfigurations_are_told_apart,
    a_failure_under_abort_leaves_the_state_and_under_continue_is_retried,
    concurrent_applies_to_one_target_serialise,
    history_answers_what_a_plugin_contributed_to_a_target,
    explain_traces_a_dockerfile_line_and_an_env_var_to_their_plugin,
    prune_removes_only_the_records_it_is_asked_to,
    a_newer_schema_is_refused_and_left_as_it_is,
}

const TARGET: &str = "team/data-science";

fn context() -> RunContext {
    RunContext::from(deployment())
}

fn text(value: &str) -> ParamValue {
    ParamValue::Text(value.into())
}

fn config(id: Option<&str>, parameters: &[(&str, ParamValue)]) -> PluginConfig {
    PluginConfig {
        id: id.map(str::to_string),
        parameters: parameters.iter().map(|(name, value)| (name.to_string(), value.clone())).collect(),
    }
}

/// A desired set of bundle files with their configuration.
fn desired(plugins: &[(&Path, PluginConfig)], policy: FailurePolicy) -> DesiredSet {
    let mut builder = DesiredSet::builder(host()).failure_policy(policy);
    for (path, config) in plugins {
        builder = builder.add_file(path, config.clone()).expect("load a desired plugin");
    }
    builder.build().expect("build the desired set")
}

/// The four samples, as the tests configure them.
fn samples() -> DesiredSet {
    let (hello, env, layers, recorder) = (
        sample_bundle("hello-world"),
        sample_bundle("runtime-env"),
        sample_bundle("docker-layers"),
        sample_bundle("deploy-recorder"),
    );
    desired(
        &[
            (&hello, config(Some("hello"), &[("greeting", text("Hi"))])),
            (&env, config(None, &[("log_level", text("warning"))])),
            (&layers, config(None, &[("apt_packages", ParamValue::TextList(vec!["curl".into(), "jq".into()]))])),
            (&recorder, config(None, &[("region", text("eu-west-1"))])),
        ],
        FailurePolicy::Continue,
    )
}

fn apply(store: &mut dyn StateStore, target: &str, set: &DesiredSet) -> ApplyReport {
    let report = state::apply(host(), store, target, set, &context()).expect("apply");
    assert!(!report.plan.failed(), "{:#?}", report.plan);
    report
}

fn plan(store: &mut dyn StateStore, target: &str, set: &DesiredSet) -> Plan {
    state::plan(store, target, set, &context()).expect("plan")
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.plugins.iter().map(|plugin| (plugin.id.clone(), plugin.action)).collect()
}

fn plan_on_an_empty_state_adds_every_plugin_and_writes_nothing(backend: &Backend) {
    let mut store = backend.open();
    let plan = plan(&mut *store, TARGET, &samples());
    assert_eq!(
        actions(&plan),
        vec![
            ("hello".to_string(), Action::Add),
            ("runtime-env".to_string(), Action::Add),
            ("docker-layers".to_string(), Action::Add),
            ("deploy-recorder".to_string(), Action::Add),
        ]
    );
    assert!(plan.has_changes() && !plan.failed() && plan.generation.is_none());
    let hello = plan.plugin("hello").unwrap();
    let dockerfile = hello.hooks.iter().find(|hook| hook.hook == "dockerfile-injection").unwrap();
    assert_eq!(dockerfile.before, None);
    assert_eq!(dockerfile.after, Some(serde_json::json!(["RUN echo 'Hi' > /home/jovyan/hello-world-plugin.txt"])));
    assert!(dockerfile.changed());
    let recorder = plan.plugin("deploy-recorder").unwrap();
    let skipped = recorder.hooks.iter().find(|hook| hook.hook == "dockerfile-injection").unwrap();
    assert_eq!((skipped.status.as_str(), skipped.changed()), ("skipped", false));
    assert_eq!(store.load(TARGET).unwrap(), None, "a plan records no state");
    assert!(store.history(&HistoryQuery::default()).unwrap().is_empty(), "a plan appends no audit record");
}

fn apply_then_plan_shows_nothing_to_change(backend: &Backend) {
    let mut store = backend.open();
    let set = samples();
    let first = apply(&mut *store, TARGET, &set);
    assert!(first.committed && !first.aborted);
    assert_eq!(first.generation, Some(1));
    let recorded = store.load(TARGET).unwrap().expect("recorded");
    assert_eq!(recorded.generation, 1);
    let ids: Vec<&str> = recorded.plugins.iter().map(|plugin| plugin.id.as_str()).collect();
    assert_eq!(ids, ["hello", "runtime-env", "docker-layers", "deploy-recorder"]);
    let hello = recorded.plugin("hello").unwrap();
    assert_eq!(hello.identity.name, "hello-world");
    assert_eq!(hello.identity.version, "1.0.0");
    assert_eq!(hello.identity.parameters, serde_json::json!([["greeting", "Hi"]]));
    assert_eq!(hello.status, PluginStatus::Applied);
    let bundle_bytes = std::fs::read(sample_bundle("hello-world")).unwrap();
    assert_eq!(store.bundle(&hello.identity.bundle_sha256).unwrap(), Some(bundle_bytes), "bundle kept by sha256");
    let hooks: Vec<&str> = hello.outputs.iter().map(|output| output.hook.as_str()).collect();
    assert_eq!(hooks, ["dockerfile-injection", "bootstrap-injection", "job-runtime-env-vars", "deploy"]);
    assert_eq!(
        recorded.plugin("deploy-recorder").unwrap().outputs.iter().map(|o| o.hook.as_str()).collect::<Vec<_>>(),
        ["deploy"],
        "skipped hooks contribute nothing"
    );

    let again = plan(&mut *store, TARGET, &set);
    assert!(!again.has_changes(), "{again:#?}");
    assert!(again.plugins.iter().all(|plugin| plugin.action == Action::Unchanged));
    assert_eq!(again.generation, Some(1));
    let second = apply(&mut *store, TARGET, &set);
    assert!(!second.committed && second.generation == Some(1), "nothing to change: {second:#?}");
    assert_eq!(store.load(TARGET).unwrap().unwrap(), recorded, "an apply with nothing to change writes no state");
    // Every invocation is audited, the no-op apply's too: 4 plugins x 4 hooks, twice.
    assert_eq!(store.history(&HistoryQuery::default()).unwrap().len(), 32);
    assert_eq!(store.audit_len().unwrap(), 32);
    assert_eq!(paddock::state::over_retention_cap(&mut *store, 32).unwrap(), None);
    assert_eq!(paddock::state::over_retention_cap(&mut *store, 31).unwrap(), Some(32));
}

fn removing_a_plugin_runs_its_destroy_from_the_recorded_bundle_after_the_file_is_gone(backend: &Backend) {
    let mut store = backend.open();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("deploy-recorder.zip");
    std::fs::copy(sample_bundle("deploy-recorder"), &copy).unwrap();
    let hello = sample_bundle("hello-world");
    let recorder_config =
        config(Some("recorder"), &[("region", text("eu-west-1")), ("replicas", ParamValue::Integer(2))]);
    apply(
        &mut *store,
        TARGET,
        &desired(&[(&hello, config(None, &[])), (&copy, recorder_config)], FailurePolicy::Abort),
    );
    std::fs::remove_file(&copy).unwrap();

    let without = desired(&[(&hello, config(None, &[]))], FailurePolicy::Abort);
    let planned = plan(&mut *store, TARGET, &without);
    assert_eq!(
        actions(&planned),
        vec![("hello-world".to_string(), Action::Unchanged), ("recorder".into(), Action::Remove)]
    );
    let removal = planned.plugin("recorder").unwrap();
    assert!(removal.hooks.iter().all(|hook| hook.status == "removed" && hook.after.is_none() && hook.changed()));

    let report = apply(&mut *store, TARGET, &without);
    assert!(report.committed, "{report:#?}");
    let removed = report.plan.plugin("recorder").unwrap();
    let destroy = removed.hooks.iter().find(|hook| hook.hook == "destroy").expect("destroy ran");
    assert_eq!(destroy.status, "ok", "{destroy:#?}");
    let report_json = destroy.after.as_ref().unwrap();
    assert_eq!(
        report_json["summary"], "asked to destroy sentiment@1.4.2 for team data-science in dev-env",
        "destroy ran with the recorded deployment: {report_json}"
    );
    let details = report_json["details"].as_array().unwrap();
    assert!(details.contains(&serde_json::json!(["plugin_id", "recorder"])), "{report_json}");
    assert!(details.contains(&serde_json::json!(["param.region", "eu-west-1"])), "recorded parameters: {report_json}");
    assert!(details.contains(&serde_json::json!(["param.replicas", "2"])), "{report_json}");
    assert_eq!(destroy.wit_package.as_deref(), Some("paddock:plugin@0.1.0"));
    let state = store.load(TARGET).unwrap().unwrap();
    assert_eq!(state.plugins.iter().map(|plugin| plugin.id.as_str()).collect::<Vec<_>>(), ["hello-world"]);
    assert_eq!(state.generation, 2);
    let audited = store
        .history(&HistoryQuery {
            plugin: Some("recorder".into()),
            hook: Some("destroy".into()),
            ..HistoryQuery::default()
        })
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].record.output.as_ref().and_then(|output| output.value.as_ref()), Some(report_json));
    assert!(!plan(&mut *store, TARGET, &without).has_changes());
}

fn upgrades_and_reconfigurations_are_told_apart(backend: &Backend) {
    let mut store = backend.open();
    let hello = sample_bundle("hello-world");
    let greeting = |value: &str| desired(&[(&hello, config(None, &[("greeting", text(value))]))], FailurePolicy::Abort);
    apply(&mut *store, TARGET, &greeting("Hi"));

    let reconfigured = plan(&mut *store, TARGET, &greeting("Hello"));
    assert_eq!(actions(&reconfigured), vec![("hello-world".to_string(), Action::Reconfigure)]);
    let plugin = &reconfigured.plugins[0];
    let dockerfile = plugin.hooks.iter().find(|hook| hook.hook == "dockerfile-injection").unwrap();
    assert_eq!(
        dockerfile.diff(),
        vec![
            state::DiffLine::Removed("RUN echo 'Hi' > /home/jovyan/hello-world-plugin.txt".into()),
            state::DiffLine::Added("RUN echo 'Hello' > /home/jovyan/hello-world-plugin.txt".into()),
        ]
    );
    let bootstrap = plugin.hooks.iter().find(|hook| hook.hook == "bootstrap-injection").unwrap();
    assert!(!bootstrap.changed(), "the script does not depend on the greeting");

    // The same manifest and component in another archive: another bundle sha256.
    let dir = tempfile::tempdir().unwrap();
    let manifest =
        std::fs::read(support::workspace_root().join("sample-plugins/hello-world/plugin-manifest.yaml")).unwrap();
    let files = [paddock::BundleFile { path: "files/notes.txt".into(), contents: b"rebuilt".to_vec() }];
    let rebuilt = support::write_bundle(
        paddock::Manifest::parse(&manifest).unwrap(),
        support::component_bytes("hello-world"),
        &files,
        &dir.path().join("hello-rebuilt.zip"),
    );
    let same_version = plan(
        &mut *store,
        TARGET,
        &desired(&[(&rebuilt, config(None, &[("greeting", text("Hi"))]))], FailurePolicy::Abort),
    );
    assert_eq!(actions(&same_version), vec![("hello-world".to_string(), Action::Upgrade)]);
    let (old, new) =
        (same_version.plugins[0].recorded.as_ref().unwrap(), same_version.plugins[0].desired.as_ref().unwrap());
    assert_eq!(old.version, new.version);
    assert_ne!(old.bundle_sha256, new.bundle_sha256);
    assert_eq!(old.component_sha256, new.component_sha256);

    let newer_manifest = String::from_utf8(manifest).unwrap().replace("version: 1.0.0", "version: 1.1.0");
    let newer = support::write_bundle(
        paddock::Manifest::parse(newer_manifest.as_bytes()).unwrap(),
        support::component_bytes("hello-world"),
        &[],
        &dir.path().join("hello-1.1.0.zip"),
    );
    let upgraded = plan(
        &mut *store,
        TARGET,
        &desired(&[(&newer, config(None, &[("greeting", text("Hi"))]))], FailurePolicy::Abort),
    );
    assert_eq!(actions(&upgraded), vec![("hello-world".to_string(), Action::Upgrade)]);
    assert_eq!(upgraded.plugins[0].desired.as_ref().unwrap().version, "1.1.0");
    let applied = apply(
        &mut *store,
        TARGET,
        &desired(&[(&newer, config(None, &[("greeting", text("Hi"))]))], FailurePolicy::Abort),
    );
    assert!(applied.committed);
    assert_eq!(store.load(TARGET).unwrap().unwrap().plugins[0].identity.version, "1.1.0");
}

fn a_failure_under_abort_leaves_the_state_and_under_continue_is_retried(backend: &Backend) {
    let mut store = backend.open();
    let hello = sample_bundle("hello-world");
    let failing = misbehaving_bundle("state-failing", 5);
    apply(&mut *store, TARGET, &desired(&[(&hello, config(None, &[]))], FailurePolicy::Abort));
    let before = store.load(TARGET).unwrap().unwrap();

    let with_failing = |policy| {
        desired(
            &[
                (&hello, config(None, &[("greeting", text("changed"))])),
                (&failing, config(None, &[("mode", text("fail"))])),
            ],
            policy,
        )
    };
    let aborted = state::apply(host(), &mut *store, TARGET, &with_failing(FailurePolicy::Abort), &context()).unwrap();
    assert!(aborted.aborted && !aborted.committed && aborted.plan.failed(), "{aborted:#?}");
    assert_eq!(store.load(TARGET).unwrap().unwrap(), before, "an aborted apply leaves the state as it was");
    let failures =
        store.history(&HistoryQuery { plugin: Some("state-failing".into()), ..HistoryQuery::default() }).unwrap();
    let deploy = failures.iter().find(|entry| entry.record.hook == "deploy").expect("the failed call is audited");
    assert_eq!(deploy.record.status, "failed");
    assert!(deploy.record.error.as_deref().unwrap_or_default().contains("database is down"), "{deploy:?}");

    let continued =
        state::apply(host(), &mut *store, TARGET, &with_failing(FailurePolicy::Continue), &context()).unwrap();
    assert!(continued.committed && !continued.aborted, "{continued:#?}");
    let state = store.load(TARGET).unwrap().unwrap();
    assert_eq!(state.plugin("hello-world").unwrap().status, PluginStatus::Applied);
    let recorded = state.plugin("state-failing").unwrap();
    assert!(
        matches!(&recorded.status, PluginStatus::Failed(error) if error.contains("database is down")),
        "{recorded:?}"
    );
    assert!(recorded.output("dockerfile-injection").is_some(), "the hooks that succeeded are recorded");
    assert!(recorded.output("deploy").is_none());
    let next = plan(&mut *store, TARGET, &with_failing(FailurePolicy::Continue));
    assert_eq!(
        actions(&next),
        vec![("hello-world".to_string(), Action::Unchanged), ("state-failing".into(), Action::Retry)]
    );
}

fn concurrent_applies_to_one_target_serialise(backend: &Backend) {
    let hello = sample_bundle("hello-world");
    let env = sample_bundle("runtime-env");
    let sets = [
        desired(&[(&hello, config(None, &[]))], FailurePolicy::Abort),
        desired(&[(&env, config(None, &[]))], FailurePolicy::Abort),
    ];
    let barrier = std::sync::Barrier::new(2);
    // Two stores opened at the same moment on a new state: both must open.
    let stores: Vec<Box<dyn StateStore>> = std::thread::scope(|scope| {
        let opening: Vec<_> = (0..2).map(|_| scope.spawn(|| backend.open())).collect();
        opening.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let reports: Vec<ApplyReport> = std::thread::scope(|scope| {
        let handles: Vec<_> = sets
            .iter()
            .zip(stores)
            .map(|(set, mut store)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    apply(&mut *store, TARGET, set)
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let (first, second) = if reports[0].locked_at <= reports[1].locked_at {
        (&reports[0], &reports[1])
    } else {
        (&reports[1], &reports[0])
    };
    assert!(first.finished_at <= second.locked_at, "the applies overlapped: {:?} {:?}", first, second);
    assert_eq!((first.generation, second.generation), (Some(1), Some(2)));
    // The second planned against what the first committed.
    assert_eq!(second.plan.generation, Some(1));
    assert!(second.plan.plugins.iter().any(|plugin| plugin.action == Action::Remove), "{:#?}", second.plan);
    assert_eq!(backend.open().load(TARGET).unwrap().unwrap().generation, 2);
}

fn history_answers_what_a_plugin_contributed_to_a_target(backend: &Backend) {
    let mut store = backend.open();
    let set = samples();
    let before = paddock::state::Timestamp::now();
    apply(&mut *store, TARGET, &set);
    apply(&mut *store, "team/other", &set);
    let query =
        HistoryQuery { target: Some(TARGET.into()), plugin: Some("docker-layers".into()), ..HistoryQuery::default() };
    let entries = store.history(&query).unwrap();
    assert_eq!(entries.len(), 4, "{entries:#?}");
    let bundle_sha =
        store.load(TARGET).unwrap().unwrap().plugin("docker-layers").unwrap().identity.bundle_sha256.clone();
    for entry in &entries {
        let record = &entry.record;
        assert_eq!(
            (record.target.as_str(), record.plugin.as_str(), record.version.as_str()),
            (TARGET, "docker-layers", "2.1.0")
        );
        assert_eq!(record.bundle_sha256, bundle_sha);
        assert_eq!(record.operation, "apply");
        assert!(record.time >= before);
        assert_eq!(record.input_sha256.len(), 64);
    }
    let dockerfile = entries.iter().find(|entry| entry.record.hook == "dockerfile-injection").unwrap();
    assert_eq!(dockerfile.record.status, "ok");
    assert_eq!(dockerfile.record.wit_package.as_deref(), Some("paddock:plugin@0.1.0"));
    let output = dockerfile.record.output.as_ref().unwrap();
    let lines = output.value.as_ref().unwrap().as_array().unwrap();
    assert!(lines[0].as_str().unwrap().contains("apt-get install -y --no-install-recommends curl jq"), "{lines:?}");
    assert_eq!(output.sha256.len(), 64);
    // By id as well as by name, and by time.
    let by_id = store.history(&HistoryQuery {
        target: Some(TARGET.into()),
        plugin: Some("hello".into()),
        ..HistoryQuery::default()
    });
    assert!(by_id.unwrap().iter().all(|entry| entry.record.plugin == "hello-world"));
    let later =
        HistoryQuery { since: Some(state::Timestamp::from_micros(state::Timestamp::now().micros() + 1)), ..query };
    assert!(store.history(&later).unwrap().is_empty());
    let newest = store.history(&HistoryQuery { limit: Some(3), ..HistoryQuery::default() }).unwrap();
    assert_eq!(newest.len(), 3);
    assert!(newest.iter().all(|entry| entry.record.target == "team/other"), "the newest records, oldest first");
    assert!(newest.windows(2).all(|pair| pair[0].seq < pair[1].seq));
}

fn explain_traces_a_dockerfile_line_and_an_env_var_to_their_plugin(backend: &Backend) {
    let mut store = backend.open();
    apply(&mut *store, TARGET, &samples());
    let state = store.load(TARGET).unwrap().unwrap();
    let layers = state.plugin("docker-layers").unwrap();
    let line = layers.output("dockerfile-injection").unwrap()[0].as_str().unwrap().to_string();

    let found = state::explain(&mut *store, TARGET, &Trace::DockerfileLine(format!("  {line} "))).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    let provenance = &found[0];
    assert_eq!((provenance.plugin.as_str(), provenance.version.as_str()), ("docker-layers", "2.1.0"));
    assert_eq!(provenance.bundle_sha256, layers.identity.bundle_sha256);
    assert_eq!(provenance.contribution, line);
    assert_eq!(provenance.applied_at, layers.applied_at);
    let invocation = provenance.invocation.as_ref().expect("the invocation is in the trail");
    assert_eq!(invocation.record.hook, "dockerfile-injection");
    assert_eq!(invocation.record.plugin_id, "docker-layers");

    // LOG_LEVEL: hello-world sets it, runtime-env (running later) overrides it.
    let env = state::explain(&mut *store, TARGET, &Trace::Env("LOG_LEVEL".into())).unwrap();
    let setters: Vec<(&str, &str, bool)> =
        env.iter().map(|found| (found.plugin_id.as_str(), found.contribution.as_str(), found.effective)).collect();
    assert_eq!(setters, [("hello", "LOG_LEVEL=debug", false), ("runtime-env", "LOG_LEVEL=warning", true)]);
    assert!(state::explain(&mut *store, TARGET, &Trace::DockerfileLine("RUN rm -rf /".into())).unwrap().is_empty());
    assert!(state::explain(&mut *store, "team/nobody", &Trace::Env("LOG_LEVEL".into())).unwrap().is_empty());
}

fn prune_removes_only_the_records_it_is_asked_to(backend: &Backend) {
    let mut store = backend.open();
    let set = samples();
    apply(&mut *store, TARGET, &set);
    apply(&mut *store, "team/other", &set);
    let all = store.history(&HistoryQuery::default()).unwrap();
    assert_eq!(all.len(), 32);
    assert_eq!(store.prune(&PruneRule::default()).unwrap(), 0, "a rule without a condition removes nothing");
    let removed =
        store.prune(&PruneRule { keep_last: Some(4), target: Some(TARGET.into()), ..PruneRule::default() }).unwrap();
    assert_eq!(removed, 12);
    let kept = store.history(&HistoryQuery { target: Some(TARGET.into()), ..HistoryQuery::default() }).unwrap();
    assert_eq!(
        kept.iter().map(|entry| entry.seq).collect::<Vec<_>>(),
        all[12..16].iter().map(|entry| entry.seq).collect::<Vec<_>>()
    );
    assert_eq!(
        store.history(&HistoryQuery { target: Some("team/other".into()), ..HistoryQuery::default() }).unwrap().len(),
        16
    );
    let cutoff = all[20].record.time;
    let removed = store.prune(&PruneRule { before: Some(cutoff), ..PruneRule::default() }).unwrap();
    assert_eq!(removed as usize, 4 + all[16..].iter().filter(|entry| entry.record.time < cutoff).count());
    assert!(store.load(TARGET).unwrap().is_some(), "pruning the trail leaves the state");
}

fn a_newer_schema_is_refused_and_left_as_it_is(backend: &Backend) {
    drop(backend.open());
    if backend.location.starts_with("postgres") {
        let mut client = postgres::Client::connect(&backend.location, postgres::NoTls).unwrap();
        client.execute("UPDATE paddock_meta SET value = '99' WHERE key = 'schema_version'", &[]).unwrap();
    } else {
        let connection = rusqlite::Connection::open(&backend.location).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
    }
    let error = state::open(&backend.location).err().expect("a newer schema is refused");
    assert!(matches!(error, StateError::NewerSchema { found: 99, supported: state::SCHEMA_VERSION, .. }), "{error}");
    assert!(error.to_string().contains("upgrade Paddock"), "{error}");
    if backend.location.starts_with("postgres") {
        let mut client = postgres::Client::connect(&backend.location, postgres::NoTls).unwrap();
        let version: String =
            client.query_one("SELECT value FROM paddock_meta WHERE key = 'schema_version'", &[]).unwrap().get(0);
        assert_eq!(version, "99", "left as it was");
    } else {
        let connection = rusqlite::Connection::open(&backend.location).unwrap();
        let version: u32 = connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
        assert_eq!(version, 99, "left as it was");
    }
}

#[test]
fn a_corrupt_or_foreign_file_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&garbage, &bytes).unwrap();
    let error = state::open(garbage.to_str().unwrap()).err().expect("garbage is refused");
    assert!(matches!(error, StateError::NotADatabase { .. }), "{error}");
    assert!(error.to_string().contains("left as it is"), "{error}");
    assert_eq!(std::fs::read(&garbage).unwrap(), bytes);

    // A real SQLite header over damaged pages.
    let damaged = dir.path().join("damaged.db");
    let mut header = b"SQLite format 3\0".to_vec();
    header.extend_from_slice(&bytes);
    std::fs::write(&damaged, &header).unwrap();
    let error = state::open(damaged.to_str().unwrap()).err().expect("a damaged database is refused");
    assert!(matches!(error, StateError::NotADatabase { .. }), "{error}");
    assert_eq!(std::fs::read(&damaged).unwrap(), header);

    let foreign = dir.path().join("foreign.db");
    let connection = rusqlite::Connection::open(&foreign).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT); INSERT INTO accounts VALUES (1, 'x');",
        )
        .unwrap();
    drop(connection);
    let before = std::fs::read(&foreign).unwrap();
    let error = state::open(foreign.to_str().unwrap()).err().expect("a foreign database is refused");
    assert!(matches!(error, StateError::Foreign { .. }), "{error}");
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
    assert!(!dir.path().join("foreign.db-wal").exists(), "not even switched to WAL");

    let error = state::open(dir.path().to_str().unwrap()).err().expect("a directory is refused");
    assert!(matches!(error, StateError::NotADatabase { .. }), "{error}");
}

#[test]
fn an_unreachable_postgres_is_a_clear_error_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    let error = state::open("postgres://paddock:s3cret@127.0.0.1:1/paddock").err().expect("unreachable");
    assert!(matches!(error, StateError::Unreachable { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("postgres://paddock:***@127.0.0.1:1/paddock"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn a_sqlite_state_file_is_in_wal_mode_with_its_schema_version() {
    let backend = Backend::sqlite();
    let mut store = backend.open();
    assert_eq!(store.schema_version().unwrap(), state::SCHEMA_VERSION);
    drop(store);
    let connection = rusqlite::Connection::open(&backend.location).unwrap();
    let mode: String = connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

fn write_set(dir: &Path, entries: &[(PathBuf, &str)]) -> PathBuf {
    let mut text = String::from("plugins:\n");
    if entries.is_empty() {
        text = "plugins: []\n".into();
    }
    for (bundle, extra) in entries {
        text.push_str(&format!("  - bundle: {}\n{extra}", bundle.display()));
    }
    let path = dir.join("set.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn write_context(dir: &Path) -> PathBuf {
    let path = dir.join("context.yaml");
    std::fs::write(&path, serde_yaml::to_string(&deployment()).unwrap()).unwrap();
    path
}

#[test]
fn a_killed_apply_leaves_the_previous_state() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let context = write_context(dir.path());
    let hello = sample_bundle("hello-world");
    let set = write_set(dir.path(), &[(hello.clone(), "    parameters: {greeting: first}\n")]);
    let args = |set: &Path| {
        vec![
            "apply".to_string(),
            "--state".into(),
            db.display().to_string(),
            "--target".into(),
            TARGET.into(),
            "--set".into(),
            set.display().to_string(),
            "--context".into(),
            context.display().to_string(),
        ]
    };
    let first = paddock_command(&args(&set).iter().map(String::as_str).collect::<Vec<_>>()).output().unwrap();
    assert_eq!(first.status.code(), Some(3), "{}", String::from_utf8_lossy(&first.stderr));
    let previous = state::open(db.to_str().unwrap()).unwrap().load(TARGET).unwrap().unwrap();

    // The looping plugin's deploy runs until its 60 s limit: the apply is
    // killed while it runs, after hello-world's new outputs were written
    // into the open transaction.
    let looper = misbehaving_bundle("state-looper", 5);
    let set = write_set(
        dir.path(),
        &[(hello, "    parameters: {greeting: second}\n"), (looper, "    parameters: {mode: loop}\n")],
    );
    let mut command = paddock_command(&args(&set).iter().map(String::as_str).collect::<Vec<_>>());
    command.args(["--timeout-ms", "60000"]).env("PADDOCK_LOG", "warn,paddock::state=info");
    let mut child = command.stderr(std::process::Stdio::piped()).stdout(std::process::Stdio::null()).spawn().unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("running deploy of `state-looper`") {
            break;
        }
    }
    assert!(seen.iter().any(|line| line.contains("running deploy of `state-looper`")), "{seen:#?}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the apply is still running");
    child.kill().unwrap(); // SIGKILL: no handler, no cleanup.
    let status = child.wait().unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9));

    let mut store = state::open(db.to_str().unwrap()).expect("the state opens after the kill");
    assert_eq!(store.load(TARGET).unwrap().unwrap(), previous, "the killed apply left the previous state");
    assert!(
        store
            .history(&HistoryQuery { plugin: Some("state-looper".into()), ..HistoryQuery::default() })
            .unwrap()
            .is_empty()
    );
    drop(store);
    let plan = support::paddock(&[
        "plan",
        "--state",
        db.to_str().unwrap(),
        "--target",
        TARGET,
        "--set",
        set.to_str().unwrap(),
        "--context",
        context.to_str().unwrap(),
        "--timeout-ms",
        "200",
    ]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(text.contains("~ hello-world") && text.contains("reconfigure"), "{text}");
    assert!(text.contains("+ state-looper") && text.contains("deploy: failed"), "{text}");
    assert_eq!(plan.status.code(), Some(1), "a failed plugin outranks changes: {text}");
}

#[test]
fn the_cli_plans_applies_explains_and_shows_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let db = db.to_str().unwrap();
    let context = write_context(dir.path());
    let context = context.to_str().unwrap();
    let set = write_set(
        dir.path(),
        &[
            (sample_bundle("docker-layers"), "    parameters: {apt_packages: [curl]}\n"),
            (sample_bundle("deploy-recorder"), ""),
        ],
    );
    let set = set.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = support::paddock(args);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let common = ["--state", db, "--target", TARGET, "--set", set, "--context", context];
    let (code, text, stderr) = run(&[&["plan"][..], &common].concat());
    assert_eq!(code, Some(3), "changes: {text}{stderr}");
    assert!(text.contains("+ docker-layers") && text.contains("+ RUN apt-get update"), "{text}");
    assert!(text.contains("2 to add"), "{text}");
    let (code, text, stderr) = run(&[&["apply"][..], &common].concat());
    assert_eq!(code, Some(3), "{text}{stderr}");
    assert!(text.contains("Recorded as generation 1."), "{text}");
    let (code, text, _) = run(&[&["plan"][..], &common, &["--format", "json"]].concat());
    assert_eq!(code, Some(0), "no changes: {text}");
    let plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(plan["plugins"][0]["action"], "unchanged");
    let (code, text, _) = run(&[&["apply"][..], &common].concat());
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Nothing to change"), "{text}");

    let line = "RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*";
    let (code, text, _) = run(&["explain", "--state", db, "--target", TARGET, "--dockerfile-line", line]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("from docker-layers (docker-layers 2.1.0, bundle sha256 "), "{text}");
    assert!(text.contains("invocation #"), "{text}");
    let (code, _, stderr) = run(&["explain", "--state", db, "--target", TARGET, "--env", "NOPE"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no recorded plugin"), "{stderr}");

    let (code, text, _) =
        run(&["history", "--state", db, "--target", TARGET, "--plugin", "deploy-recorder", "--format", "json"]);
    assert_eq!(code, Some(0));
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(entries.len(), 8, "two applies x four hooks");
    assert!(entries.iter().all(|entry| entry["plugin"] == "deploy-recorder" && entry["target"] == TARGET));
    let (code, text, _) = run(&["history", "--state", db, "--since", "2999-01-01T00:00:00Z"]);
    assert_eq!((code, text.trim()), (Some(0), "0 records."));
    let (code, _, stderr) = run(&["history", "--state", db, "--since", "yesterday"]);
    assert_eq!(code, Some(2), "{stderr}");

    // An empty set removes every plugin, running destroy.
    let empty = write_set(dir.path(), &[]);
    let (code, text, stderr) =
        run(&["apply", "--state", db, "--target", TARGET, "--set", empty.to_str().unwrap(), "--context", context]);
    assert_eq!(code, Some(3), "{text}{stderr}");
    assert!(text.contains("- deploy-recorder") && text.contains("asked to destroy"), "{text}");

    let (code, text, _) = run(&["state", "prune", "--state", db, "--keep", "1"]);
    assert_eq!(code, Some(0));
    assert!(text.starts_with("removed 17 audit records"), "{text}");
    let (code, _, stderr) = run(&["state", "prune", "--state", db]);
    assert_eq!(code, Some(2), "a rule is required: {stderr}");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, "not a database at all, but long enough to have a header").unwrap();
    let (code, _, stderr) = run(&["history", "--state", garbage.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("is not a Paddock state database"), "{stderr}");
}

#[test]
fn paddock_run_with_a_state_store_puts_every_hook_call_on_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let db = db.to_str().unwrap();
    let recorder = sample_bundle("deploy-recorder");
    let labels = sample_bundle("team-labels");
    let output = support::paddock(&[
        "run",
        "deploy",
        "--plugins",
        recorder.to_str().unwrap(),
        labels.to_str().unwrap(),
        "--state",
        db,
        "--target",
        "team/ops",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let history = support::paddock(&["history", "--state", db, "--target", "team/ops", "--format", "json"]);
    assert!(history.status.success(), "{}", String::from_utf8_lossy(&history.stderr));
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&history.stdout).unwrap();
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e["operation"].as_str().unwrap(), e["plugin"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    // In execution order: team-labels has priority 5, deploy-recorder 10.
    assert_eq!(seen, [("run", "team-labels", "skipped"), ("run", "deploy-recorder", "ok")]);
    let bundle_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(std::fs::read(&recorder).unwrap()));
    let recorded = &entries[1];
    assert_eq!(recorded["bundle_sha256"], bundle_sha.as_str(), "the record names the bundle file's sha256");
    assert_eq!(recorded["wit_package"], "paddock:plugin@0.1.0");
    assert_eq!(recorded["hook"], "deploy");
    assert!(recorded["output"].is_object(), "the validated output is kept: {recorded}");

    let without_target = support::paddock(&["run", "deploy", "--plugins", recorder.to_str().unwrap(), "--state", db]);
    assert_eq!(without_target.status.code(), Some(2), "--state needs --target");

    // Over the retention cap: a warning, and nothing deleted.
    let mut over_cap = support::paddock_command(&[
        "run",
        "deploy",
        "--plugins",
        recorder.to_str().unwrap(),
        "--state",
        db,
        "--target",
        "team/ops",
    ]);
    let output = over_cap.env("PADDOCK_AUDIT_CAP", "2").output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds 3 records, more than the retention cap of 2"), "{stderr}");
    let history = support::paddock(&["history", "--state", db, "--format", "json"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(entries.len(), 3, "the cap never deletes");
}
