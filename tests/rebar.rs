//! Digital Rebar providers (seed 003, contracts 35-44): one long-lived
//! instance per provider, driven through `paddock::provider` and the
//! `paddock provider` CLI, with the `incrementer` sample and the
//! `provider-probe` test guest built from source.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paddock::provider::{
    ActionRequest, Clock, Event, ObjectStore, ProviderError, ProviderRuntime, ProviderSettings, RestartPolicy,
    StoreCaps,
};
use paddock::{FailureCause, Host, HostConfig, Limits, Manifest};
use serde_json::{Value, json};

use crate::support;

fn incrementer() -> PathBuf {
    support::sample_bundle("incrementer")
}

fn probe() -> PathBuf {
    let manifest = Manifest::parse(b"name: provider-probe\nversion: 0.0.1\nprovider: true\n").unwrap();
    let out = support::workspace_root().join("target/test-bundles/provider-probe.zip");
    support::write_bundle(manifest, support::component_bytes("provider-probe"), &[], &out)
}

fn store(dir: &tempfile::TempDir, caps: StoreCaps) -> ObjectStore {
    ObjectStore::open(&dir.path().join("objects.sqlite3"), caps).unwrap()
}

fn runtime_with(host: &Host, settings: ProviderSettings) -> ProviderRuntime {
    ProviderRuntime::new(host, settings).unwrap()
}

fn params(value: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(value).unwrap()
}

fn machine_action(command: &str, key: &str) -> ActionRequest {
    ActionRequest::new(command, "machines", key, json!({"Name": key}))
}

/// The incrementer's `status`, an action on its plugin object.
fn status_action() -> ActionRequest {
    ActionRequest::new("status", "plugins", "incrementer", json!({}))
}

fn event(event_type: &str, action: &str, key: &str) -> Event {
    Event::new(event_type, action, key, json!({})).unwrap()
}

/// A clock the test moves by hand.
struct ManualClock(Mutex<Instant>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

#[test]
fn define_round_trips_through_the_host_the_cli_and_inspect() {
    let mut runtime = runtime_with(support::host(), ProviderSettings::default());
    let name = runtime.load_file(&incrementer(), None).unwrap();
    let definition = runtime.definition(&name).unwrap();
    assert_eq!((definition.name(), definition.version()), ("incrementer", "0.2.0"));
    let actions: Vec<(&str, &str)> =
        definition.actions().iter().map(|a| (a.command.as_str(), a.object_type.as_str())).collect();
    assert_eq!(actions, [("increment", "machines"), ("reset-count", "machines"), ("status", "plugins")]);
    assert_eq!(definition.actions()[1].required_params[0].name, "incrementer/parameter");
    assert_eq!(definition.config_params()[0].default, Some(json!(1)));
    assert_eq!(definition.event_selectors()[0].to_string(), "machines.update.*");
    assert_eq!(definition.object_types(), ["counters"]);
    assert_eq!(definition.content(), ["content/incrementer.yaml"]);

    let bundle = incrementer();
    let output = support::paddock(&["provider", "define", bundle.to_str().unwrap(), "--format", "json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, serde_json::to_value(definition).unwrap());

    let validate = support::paddock(&["validate", bundle.to_str().unwrap()]);
    assert!(validate.status.success(), "{}", String::from_utf8_lossy(&validate.stdout));
    assert!(String::from_utf8_lossy(&validate.stdout).contains("(incrementer 0.2.0)"));

    let inspect = support::paddock(&["inspect", bundle.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(inspect.status.success(), "{}", String::from_utf8_lossy(&inspect.stderr));
    assert!(text.contains("provider:    incrementer 0.2.0"), "{text}");
    assert!(text.contains("increment on machines (required: none; optional: incrementer/step: integer"), "{text}");
    assert!(text.contains("events:      machines.update.*"), "{text}");
}

#[test]
fn a_provider_is_not_a_hook_plugin_and_a_hook_plugin_cannot_import_the_provider_interfaces() {
    let error = support::host().load_file(&incrementer()).err().unwrap().to_string();
    assert!(error.contains("is a Digital Rebar provider"), "{error}");
    let error = Manifest::parse(b"name: both\nversion: 0.0.1\nprovider: true\nhooks: [deploy]\n").unwrap_err();
    assert!(error.to_string().contains("field `hooks` is set on a provider"), "{error}");
    let mut runtime = runtime_with(support::host(), ProviderSettings::default());
    let error = runtime.load_file(&support::sample_bundle("hello-world"), None).unwrap_err().to_string();
    assert!(error.contains("does not say `provider: true`"), "{error}");
    // The provider component under a hook plugin's manifest: refused for
    // importing what only providers get.
    let manifest = Manifest::parse(b"name: sneaky\nversion: 0.0.1\n").unwrap();
    let out = support::workspace_root().join("target/test-bundles/sneaky-provider.zip");
    let sneaky = support::write_bundle(manifest, support::component_bytes("incrementer"), &[], &out);
    let error = support::host().load_file(&sneaky).err().unwrap().to_string();
    assert!(error.contains("imports interfaces this host does not provide: paddock:rebar/"), "{error}");
}

#[test]
fn config_is_checked_against_the_definition_and_by_the_provider_naming_the_parameter() {
    let mut runtime = runtime_with(support::host(), ProviderSettings::default());
    let name = runtime.load_file(&incrementer(), None).unwrap();
    let rejected = |result: Result<_, ProviderError>| match result {
        Err(ProviderError::ConfigRejected { param, message, .. }) => (param, message),
        other => panic!("expected a rejected config, got {other:?}"),
    };
    let (param, message) = rejected(runtime.config(&name, &params(json!({"incrementer/step": "two"}))));
    assert_eq!(param.as_deref(), Some("incrementer/step"));
    assert!(message.contains("must be of type integer"), "{message}");
    let (param, _) = rejected(runtime.config(&name, &params(json!({"incrementer/stpe": 2}))));
    assert_eq!(param.as_deref(), Some("incrementer/stpe"));
    // The provider itself refuses a step of 0.
    let (param, message) = rejected(runtime.config(&name, &params(json!({"incrementer/step": 0}))));
    assert_eq!(param.as_deref(), Some("incrementer/step"));
    assert!(message.contains("must not be 0"), "{message}");
    assert!(!runtime.status(&name).unwrap().configured);

    runtime.config(&name, &params(json!({"incrementer/step": 3}))).unwrap();
    let value = runtime.action(&name, &status_action()).unwrap().value;
    assert_eq!(value["step"], 3);
    assert_eq!(value["parameter"], "incrementer/count");
    let validated = runtime.validate(&name).unwrap().value;
    assert_eq!(validated["store"], "host");
}

#[test]
fn unknown_actions_and_missing_or_mistyped_parameters_are_refused_before_the_provider_runs() {
    let mut runtime = runtime_with(support::host(), ProviderSettings::default());
    let name = runtime.load_file(&incrementer(), None).unwrap();
    // Refused even before any config: the host checks, not the guest.
    let refused = |result: Result<_, ProviderError>| match result {
        Err(ProviderError::ActionRefused { problem, .. }) => problem,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let problem = refused(runtime.action(&name, &machine_action("decrement", "m1")));
    assert!(problem.contains("no such action; it offers: increment on machines, reset-count on machines"), "{problem}");
    let problem = refused(runtime.action(&name, &machine_action("status", "m1")));
    assert!(problem.contains("no such action"), "status is offered on plugins only: {problem}");
    let problem = refused(runtime.action(&name, &machine_action("reset-count", "m1")));
    assert!(problem.contains("required parameter `incrementer/parameter` (string) is missing"), "{problem}");
    let problem =
        refused(runtime.action(&name, &machine_action("increment", "m1").with_param("incrementer/step", json!("1"))));
    assert!(problem.contains("must be of type integer"), "{problem}");

    // A probe whose `crash` would trap: an extra parameter stops it first.
    let probe_name = runtime.load_file(&probe(), None).unwrap();
    runtime.config(&probe_name, &BTreeMap::new()).unwrap();
    refused(runtime.action(&probe_name, &machine_action("crash", "m1").with_param("force", json!(true))));
    assert_eq!(runtime.status(&probe_name).unwrap().restarts, 0);
    assert_eq!(runtime.action(&probe_name, &machine_action("count", "m1")).unwrap().value, json!(1));
}

#[test]
fn the_incrementer_counts_in_the_object_store_and_counts_selected_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir, StoreCaps::default());
    let mut runtime =
        runtime_with(support::host(), ProviderSettings { store: Some(store.clone()), ..Default::default() });
    let name = runtime.load_file(&incrementer(), None).unwrap();
    let probe_name = runtime.load_file(&probe(), None).unwrap();
    runtime.config(&name, &BTreeMap::new()).unwrap();
    runtime.config(&probe_name, &BTreeMap::new()).unwrap();

    let first = runtime.action(&name, &machine_action("increment", "m1")).unwrap();
    assert_eq!(first.value["value"], 1);
    // Its `counters.update` event: no provider selects `counters`.
    assert!(first.events.deliveries.is_empty(), "{:?}", first.events);
    let second =
        runtime.action(&name, &machine_action("increment", "m1").with_param("incrementer/step", json!(5))).unwrap();
    assert_eq!(second.value["value"], 6);
    assert_eq!(store.get("incrementer", "counters", "m1/incrementer/count").unwrap(), Some(json!({"value": 6})));

    // Selection: machines.update.* reaches the incrementer and the probe
    // (machines.*.*); machines.create only the probe; subnets nobody.
    let report = runtime.publish(event("machines", "update", "m1"));
    let to: Vec<&str> = report.deliveries.iter().map(|d| d.provider.as_str()).collect();
    assert_eq!(to, ["incrementer", "provider-probe"]);
    let report = runtime.publish(event("machines", "create", "m2"));
    let to: Vec<&str> = report.deliveries.iter().map(|d| d.provider.as_str()).collect();
    assert_eq!(to, ["provider-probe"]);
    assert!(runtime.publish(event("subnets", "update", "s1")).deliveries.is_empty());
    runtime.publish(event("machines", "update", "m3"));

    let status = runtime.action(&name, &status_action()).unwrap();
    assert_eq!(status.value["machine_updates"], 2);
    assert_eq!(status.value["increments"], 2);
    let seen = runtime.action(&probe_name, &machine_action("seen", "x")).unwrap().value;
    assert_eq!(seen, json!(["machines.update.m1", "machines.create.m2", "machines.update.m3"]), "in order");

    let reset = runtime
        .action(
            &name,
            &machine_action("reset-count", "m1").with_param("incrementer/parameter", json!("incrementer/count")),
        )
        .unwrap();
    assert_eq!(reset.value["removed"], true);
    assert_eq!(store.get("incrementer", "counters", "m1/incrementer/count").unwrap(), None);
}

#[test]
fn a_published_event_reaches_other_providers_but_not_its_publisher() {
    let mut runtime = runtime_with(support::host(), ProviderSettings::default());
    let name = runtime.load_file(&incrementer(), None).unwrap();
    let probe_name = runtime.load_file(&probe(), None).unwrap();
    runtime.config(&name, &BTreeMap::new()).unwrap();
    runtime.config(&probe_name, &BTreeMap::new()).unwrap();
    let emit = machine_action("emit", "m1")
        .with_param("type", json!("machines"))
        .with_param("action", json!("update"))
        .with_param("key", json!("m9"));
    let handled = runtime.action(&probe_name, &emit).unwrap();
    let to: Vec<(&str, String)> =
        handled.events.deliveries.iter().map(|d| (d.provider.as_str(), d.event.to_string())).collect();
    assert_eq!(to, [("incrementer", "machines.update.m9".to_string())]);
    assert!(handled.events.deliveries[0].result.is_ok());
    let seen = runtime.action(&probe_name, &machine_action("seen", "x")).unwrap().value;
    assert_eq!(seen, json!([]), "the probe selects machines.*.* but never hears its own event");
    let status = runtime.action(&name, &status_action()).unwrap();
    assert_eq!(status.value["machine_updates"], 1);
}

fn short_deadline_host() -> Host {
    let limits = Limits { hook_timeout: Duration::from_millis(300), ..Limits::default() };
    Host::with_config(HostConfig { limits, ..support::host_config() }).unwrap()
}

#[test]
fn state_lives_across_calls_and_a_trap_or_timeout_restarts_from_the_last_config() {
    let host = short_deadline_host();
    let mut runtime = runtime_with(&host, ProviderSettings::default());
    let name = runtime.load_file(&probe(), None).unwrap();
    runtime.config(&name, &BTreeMap::new()).unwrap();
    for expected in 1..=3 {
        assert_eq!(runtime.action(&name, &machine_action("count", "m1")).unwrap().value, json!(expected));
    }
    match runtime.action(&name, &machine_action("crash", "m1")) {
        Err(ProviderError::Crashed { cause, restarts, after, .. }) => {
            let FailureCause::Trap { console, .. } = *cause else { panic!("expected a trap, got {cause}") };
            assert_eq!(restarts, 1);
            assert!(after.contains("restarted from its last config (restart 1)"), "{after}");
            assert!(console.unwrap_or_default().contains("crashing on request"));
        }
        other => panic!("expected a crash, got {other:?}"),
    }
    // A new instance: its in-memory state starts again, configured.
    assert_eq!(runtime.action(&name, &machine_action("count", "m1")).unwrap().value, json!(1));
    match runtime.action(&name, &machine_action("spin", "m1")) {
        Err(error @ ProviderError::Crashed { restarts: 2, .. }) => {
            assert!(error.to_string().contains("timed out after 300 ms"), "{error}");
            assert!(error.to_string().contains("provider `provider-probe` 0.0.1: action timed out"), "{error}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(runtime.action(&name, &machine_action("count", "m1")).unwrap().value, json!(1));
    let status = runtime.status(&name).unwrap();
    assert_eq!((status.restarts, status.failures, status.backing_off_ms), (2, 0, None));
}

#[test]
fn a_provider_that_keeps_failing_backs_off_on_the_clock() {
    let clock = Arc::new(ManualClock(Mutex::new(Instant::now())));
    let restart = RestartPolicy {
        failures_before_backoff: 2,
        backoff_base: Duration::from_secs(60),
        backoff_max: Duration::from_secs(600),
    };
    let settings = ProviderSettings { restart, clock: clock.clone(), ..Default::default() };
    let mut runtime = runtime_with(support::host(), settings);
    let name = runtime.load_file(&probe(), None).unwrap();
    runtime.config(&name, &BTreeMap::new()).unwrap();
    assert!(matches!(runtime.action(&name, &machine_action("crash", "m1")), Err(ProviderError::Crashed { .. })));
    match runtime.action(&name, &machine_action("crash", "m1")) {
        Err(ProviderError::Crashed { after, .. }) => {
            assert!(after.contains("marked failed after 2 failures in a row, backing off for 60000 ms"), "{after}")
        }
        other => panic!("expected a crash, got {other:?}"),
    }
    match runtime.action(&name, &machine_action("count", "m1")) {
        Err(ProviderError::BackingOff { failures: 2, retry_in, .. }) => assert_eq!(retry_in, Duration::from_secs(60)),
        other => panic!("expected the back-off, got {other:?}"),
    }
    clock.advance(Duration::from_secs(30));
    assert!(matches!(runtime.action(&name, &machine_action("count", "m1")), Err(ProviderError::BackingOff { .. })));
    clock.advance(Duration::from_secs(31));
    // Failing again doubles the back-off.
    match runtime.action(&name, &machine_action("crash", "m1")) {
        Err(ProviderError::Crashed { after, .. }) => assert!(after.contains("backing off for 120000 ms"), "{after}"),
        other => panic!("expected a crash, got {other:?}"),
    }
    clock.advance(Duration::from_secs(121));
    // After the back-off it is started again from its config, and works.
    assert_eq!(runtime.action(&name, &machine_action("count", "m1")).unwrap().value, json!(1));
    assert_eq!(runtime.status(&name).unwrap().failures, 0);

    // A config that traps: every restart fails too, so it backs off.
    let mut runtime = runtime_with(support::host(), ProviderSettings { restart, clock, ..Default::default() });
    let name = runtime.load_file(&probe(), None).unwrap();
    match runtime.config(&name, &params(json!({"fail": true}))) {
        Err(ProviderError::Crashed { call, after, .. }) => {
            assert_eq!(call.name(), "config");
            assert!(after.contains("restarted"), "{after}");
        }
        other => panic!("expected a crash, got {other:?}"),
    }
}

#[test]
fn each_provider_sees_only_its_own_objects_within_its_caps() {
    let dir = tempfile::tempdir().unwrap();
    let caps = StoreCaps { max_object_bytes: 100, max_objects: 3, max_total_bytes: 1_000 };
    let store = store(&dir, caps);
    let mut runtime =
        runtime_with(support::host(), ProviderSettings { store: Some(store.clone()), ..Default::default() });
    let a = runtime.load_file(&probe(), Some("probe-a")).unwrap();
    let b = runtime.load_file(&probe(), Some("probe-b")).unwrap();
    runtime.config(&a, &BTreeMap::new()).unwrap();
    runtime.config(&b, &BTreeMap::new()).unwrap();
    let note = |key: &str, size: usize| {
        machine_action("note", "m1").with_param("key", json!(key)).with_param("size", json!(size))
    };
    let peek = |key: &str| machine_action("peek", "m1").with_param("key", json!(key));
    assert_eq!(runtime.action(&a, &note("secret", 10)).unwrap().value, json!(true));
    assert_eq!(runtime.action(&a, &peek("secret")).unwrap().value, json!("\"xxxxxxxx\""));
    assert_eq!(runtime.action(&b, &peek("secret")).unwrap().value, Value::Null, "b cannot read a's objects");
    assert_eq!(store.get("probe-a", "notes", "secret").unwrap(), Some(json!("xxxxxxxx")));
    assert_eq!(store.get("probe-b", "notes", "secret").unwrap(), None);

    let error = runtime.action(&a, &note("big", 101)).unwrap_err().to_string();
    assert!(error.contains("TooLarge") && error.contains("the limit is 100 bytes per object"), "{error}");
    runtime.action(&a, &note("two", 10)).unwrap();
    runtime.action(&a, &note("three", 10)).unwrap();
    let error = runtime.action(&a, &note("four", 10)).unwrap_err().to_string();
    assert!(error.contains("keeps 3 objects already; the limit is 3"), "{error}");
    // The caps are per provider: b still has room.
    runtime.action(&b, &note("secret", 10)).unwrap();
    let error = runtime.action(&b, &note("secret", 10)).unwrap_err().to_string();
    assert!(error.contains("Exists"), "{error}");
    assert_eq!(store.list("probe-a", "notes", "t").unwrap().len(), 2);

    // A file some other program made is not taken over.
    let foreign = dir.path().join("foreign.sqlite3");
    rusqlite::Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE x (y);").unwrap();
    let error = ObjectStore::open(&foreign, caps).unwrap_err().to_string();
    assert!(error.contains("Paddock did not make"), "{error}");
}

#[test]
fn stop_is_called_on_shutdown_and_a_stopped_provider_takes_no_calls() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir, StoreCaps::default());
    let mut runtime =
        runtime_with(support::host(), ProviderSettings { store: Some(store.clone()), ..Default::default() });
    let name = runtime.load_file(&probe(), None).unwrap();
    runtime.config(&name, &BTreeMap::new()).unwrap();
    assert!(runtime.shutdown().is_empty());
    assert_eq!(store.get("provider-probe", "notes", "stopped").unwrap(), Some(json!(true)), "its stop ran");
    assert!(matches!(runtime.action(&name, &machine_action("count", "m1")), Err(ProviderError::Stopped { .. })));

    // Dropping the runtime stops what still runs.
    let mut runtime =
        runtime_with(support::host(), ProviderSettings { store: Some(store.clone()), ..Default::default() });
    let other = runtime.load_file(&probe(), Some("probe-two")).unwrap();
    runtime.config(&other, &BTreeMap::new()).unwrap();
    drop(runtime);
    assert_eq!(store.get("probe-two", "notes", "stopped").unwrap(), Some(json!(true)));
}

#[test]
fn a_provider_flooding_events_is_cut_off_and_ping_pong_is_bounded_in_depth() {
    let mut runtime = runtime_with(support::host(), ProviderSettings::default());
    let a = runtime.load_file(&probe(), Some("probe-a")).unwrap();
    let b = runtime.load_file(&probe(), Some("probe-b")).unwrap();
    runtime.config(&a, &BTreeMap::new()).unwrap();
    runtime.config(&b, &BTreeMap::new()).unwrap();
    let flood = runtime.action(&a, &machine_action("flood", "m1")).unwrap();
    assert_eq!(flood.value, json!(10_000 - 64), "the host refused all but 64");
    assert_eq!(flood.events.deliveries.len(), 64, "each accepted event reached probe-b once");
    assert!(
        flood.events.cut_off[0].contains("published more than 64 events in one call"),
        "{:?}",
        flood.events.cut_off
    );

    // Each probe answers a ping with a ping: delivery stops at the depth limit.
    let report = runtime.publish(event("ping", "start", "p"));
    // Depth 0 reaches both; from then on each answer reaches the other one.
    assert_eq!(report.deliveries.len(), 2 * 9, "two deliveries at each depth from 0 to 8");
    assert_eq!(report.cut_off.len(), 2, "{:?}", report.cut_off);
    assert!(report.cut_off[0].contains("events answered events 8 deep"), "{:?}", report.cut_off);
    assert!(report.deliveries.iter().all(|delivery| delivery.result.is_ok()));
}

#[test]
fn unpack_publishes_the_shipped_files_read_only_and_never_replaces_a_foreign_directory() {
    let mut runtime = runtime_with(support::host(), ProviderSettings::default());
    let name = runtime.load_file(&incrementer(), None).unwrap();
    let filespace = tempfile::tempdir().unwrap();
    let target = paddock::provider::unpack::unpack(&runtime, &name, filespace.path()).unwrap();
    let file = target.join("content/incrementer.yaml");
    assert!(std::fs::read_to_string(&file).unwrap().contains("incrementer/step"));
    assert!(std::fs::metadata(&file).unwrap().permissions().readonly());
    // Again: replaced in one swap, nothing left beside it.
    paddock::provider::unpack::unpack(&runtime, &name, filespace.path()).unwrap();
    let entries: Vec<String> = std::fs::read_dir(filespace.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["incrementer"]);

    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir(other.path().join("incrementer")).unwrap();
    std::fs::write(other.path().join("incrementer/mine.txt"), "keep").unwrap();
    let error = paddock::provider::unpack::unpack(&runtime, &name, other.path()).unwrap_err().to_string();
    assert!(error.contains("Paddock did not make it"), "{error}");
    assert_eq!(std::fs::read_to_string(other.path().join("incrementer/mine.txt")).unwrap(), "keep");
}

#[test]
fn serve_answers_newline_delimited_requests_on_stdin() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let store_file = dir.path().join("objects.sqlite3");
    let filespace = dir.path().join("files");
    std::fs::create_dir(&filespace).unwrap();
    let bundle = incrementer();
    let mut command = support::paddock_command(&[
        "provider",
        "serve",
        bundle.to_str().unwrap(),
        "--store",
        store_file.to_str().unwrap(),
        "--filespace",
        filespace.to_str().unwrap(),
    ]);
    command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let requests = [
        json!({"op": "action", "provider": "incrementer", "command": "increment", "object_type": "machines", "key": "m1"}),
        json!({"op": "config", "provider": "incrementer", "params": {"incrementer/step": 2}}),
        json!({"op": "action", "provider": "incrementer", "command": "increment", "object_type": "machines", "key": "m1"}),
        json!({"op": "action", "provider": "incrementer", "command": "increment", "object_type": "machines", "key": "m1"}),
        json!({"op": "event", "type": "machines", "action": "update", "key": "m1"}),
        json!({"op": "action", "provider": "incrementer", "command": "nope", "object_type": "machines", "key": "m1"}),
        json!({"op": "status", "provider": "incrementer"}),
    ];
    let mut stdin = child.stdin.take().unwrap();
    for request in &requests {
        writeln!(stdin, "{request}").unwrap();
    }
    writeln!(stdin, "not json").unwrap();
    writeln!(stdin, "{}", "x".repeat(1024 * 1024 + 10)).unwrap();
    writeln!(stdin, "{}", json!({"op": "stop"})).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines[0], json!({"ready": true, "providers": ["incrementer"]}));
    assert!(lines[1]["error"].as_str().unwrap().contains("not configured yet"), "{}", lines[1]);
    assert_eq!(lines[2]["ok"], true);
    assert_eq!(lines[3]["result"]["value"], 2);
    assert_eq!(lines[4]["result"]["value"], 4);
    assert_eq!(lines[5]["events"], json!([{"provider": "incrementer", "event": "machines.update.m1", "ok": true}]));
    assert!(lines[6]["error"].as_str().unwrap().contains("no such action"), "{}", lines[6]);
    assert_eq!(lines[7]["result"]["restarts"], 0);
    assert!(lines[8]["error"].as_str().unwrap().starts_with("not a request"), "{}", lines[8]);
    assert!(lines[9]["error"].as_str().unwrap().contains("longer than 1048576 bytes"), "{}", lines[9]);
    assert_eq!(lines[10]["stopped"], json!(["incrementer"]));
    assert_eq!(lines.len(), 11);
    assert!(filespace.join("incrementer/content/incrementer.yaml").is_file());
    let store = ObjectStore::open(&store_file, StoreCaps::default()).unwrap();
    assert_eq!(store.get("incrementer", "counters", "m1/incrementer/count").unwrap(), Some(json!({"value": 4})));
}

#[test]
fn a_python_provider_keeps_state_uses_the_store_and_hears_events_beside_the_rust_one() {
    polyglot_twin("incrementer-python", "python");
}

#[test]
fn a_javascript_provider_keeps_state_uses_the_store_and_hears_events_beside_the_rust_one() {
    polyglot_twin("incrementer-js", "javascript");
}

/// The incrementer twin `sample-plugins/<name>` behaves as the Rust one does.
fn polyglot_twin(name: &str, language: &str) {
    crate::polyglot::require_toolchains();
    // No compile cache: every componentize-py build is a new component.
    let host = Host::with_config(HostConfig { cache: None, ..HostConfig::default() }).unwrap();
    let out = support::workspace_root().join(format!("target/test-bundles/{name}.zip"));
    let dir = support::workspace_root().join("sample-plugins").join(name);
    let source = paddock_build::ComponentSource::Source { language: None, target_dir: None };
    paddock_build::bundle_plugin_dir(&host, &dir, &source, Some(&out)).unwrap();

    let files = tempfile::tempdir().unwrap();
    let store = store(&files, StoreCaps::default());
    let mut runtime = runtime_with(&host, ProviderSettings { store: Some(store.clone()), ..Default::default() });
    let python = runtime.load_file(&out, None).unwrap();
    let rust = runtime.load_file(&incrementer(), None).unwrap();
    assert_eq!(runtime.definition(&python).unwrap().event_selectors()[0].to_string(), "machines.update.*");
    match runtime.config(&python, &params(json!({"incrementer/step": 0}))) {
        Err(ProviderError::ConfigRejected { param, message, .. }) => {
            assert_eq!(param.as_deref(), Some("incrementer/step"));
            assert!(message.contains("must not be 0"), "{message}");
        }
        other => panic!("expected a rejected config, got {other:?}"),
    }
    runtime.config(&python, &params(json!({"incrementer/step": 2}))).unwrap();
    runtime.config(&rust, &BTreeMap::new()).unwrap();
    assert_eq!(runtime.action(&python, &machine_action("increment", "m1")).unwrap().value["value"], 2);
    assert_eq!(runtime.action(&python, &machine_action("increment", "m1")).unwrap().value["value"], 4);
    assert_eq!(store.get(name, "counters", "m1/incrementer/count").unwrap(), Some(json!({"value": 4})));
    assert_eq!(store.get("incrementer", "counters", "m1/incrementer/count").unwrap(), None, "scoped by provider");

    let report = runtime.publish(event("machines", "update", "m1"));
    let to: Vec<&str> = report.deliveries.iter().map(|d| d.provider.as_str()).collect();
    assert_eq!(to, [name, "incrementer"]);
    let status = ActionRequest::new("status", "plugins", name, json!({}));
    let value = runtime.action(&python, &status).unwrap().value;
    assert_eq!((value["increments"].as_u64(), value["machine_updates"].as_u64()), (Some(2), Some(1)));
    assert_eq!(runtime.validate(&python).unwrap().value["language"], language);
}
