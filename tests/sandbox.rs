//! Misbehaving guests, built from source: limits hold, failures are isolated
//! and named, the sandbox grants nothing, outputs are validated.

use std::sync::Arc;
use std::time::Duration;

use paddock::{
    Deployment, FailureCause, FailurePolicy, Host, HostConfig, Limits, Outcome, ParamValue, Plugin, PluginConfig,
    PluginSet, Status, hooks,
};

use crate::support::{self, host, misbehaving_bundle};

/// A host with a short deadline and a small memory limit so failures come fast.
fn strict_host() -> &'static Host {
    static HOST: std::sync::OnceLock<Host> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let limits = Limits { hook_timeout: Duration::from_millis(300), memory_bytes: 32 << 20, ..Limits::default() };
        Host::with_config(HostConfig { limits, ..support::host_config() }).unwrap()
    })
}

fn plugin(host: &Host, name: &str) -> Arc<Plugin> {
    Arc::new(host.load_file(&misbehaving_bundle(name, 0)).unwrap())
}

fn mode(mode: &str) -> PluginConfig {
    PluginConfig { id: None, parameters: vec![("mode".into(), ParamValue::Text(mode.into()))] }
}

/// A set of misbehaving-guest plugins, each `(name, mode)`, in that order.
fn set_of(host: &Host, plugins: &[(&str, &str)]) -> PluginSet {
    let mut builder = PluginSet::builder(host);
    for (name, how) in plugins {
        builder = builder.add(plugin(host, name), mode(how)).unwrap();
    }
    builder.build().unwrap()
}

/// A set of one misbehaving plugin named `name` running `how`, then a
/// well-behaved neighbour.
fn with_neighbour(host: &Host, name: &str, how: &str) -> PluginSet {
    set_of(host, &[(name, how), ("neighbour", "behave")])
}

fn neighbour_alone(host: &Host) -> Outcome<paddock::ActionReport> {
    set_of(host, &[("neighbour", "behave")]).call::<hooks::Deploy>(&Deployment::default()).remove(0)
}

fn failure_of<T: std::fmt::Debug>(outcome: &Outcome<T>) -> &paddock::HookFailure {
    outcome.status.failure().unwrap_or_else(|| panic!("expected a failure, got {:?}", outcome.status))
}

#[test]
fn an_infinite_loop_times_out_and_the_neighbour_is_unaffected() {
    let host = strict_host();
    let set = with_neighbour(host, "looper", "loop");
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    let failure = failure_of(&outcomes[0]);
    assert_eq!(failure.cause, FailureCause::Timeout { limit: Duration::from_millis(300) });
    assert_eq!(
        failure.to_string(),
        "plugin `looper` 0.0.1, hook `deploy`: timed out after 300 ms (the hook time limit; raise it with `Limits::hook_timeout` or `--timeout-ms`)"
    );
    assert_eq!(outcomes[1], neighbour_alone(host));
    // The same plugin works again on the next call.
    assert!(set.call::<hooks::DockerfileInjection>(&Deployment::default())[0].status.ok().is_some());
}

#[test]
fn repeated_timeouts_fail_the_same_way_every_time() {
    let limits = Limits { hook_timeout: Duration::from_millis(5), ..Limits::default() };
    let host = Host::with_config(HostConfig { limits, ..support::host_config() }).unwrap();
    let set = set_of(&host, &[("looper-again", "loop")]);
    for _ in 0..1_000 {
        let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
        assert_eq!(failure_of(&outcomes[0]).cause, FailureCause::Timeout { limit: Duration::from_millis(5) });
    }
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    let host = strict_host();
    let outcomes = with_neighbour(host, "hoarder", "alloc").call::<hooks::Deploy>(&Deployment::default());
    match &failure_of(&outcomes[0]).cause {
        FailureCause::MemoryLimit { limit, requested } => {
            assert_eq!(*limit, 32 << 20);
            assert!(*requested > *limit);
        }
        other => panic!("expected a memory limit failure, got {other:?}"),
    }
    assert!(failure_of(&outcomes[0]).to_string().contains("exceeded the memory limit of 33554432 bytes"));
    assert_eq!(outcomes[1], neighbour_alone(host));
}

#[test]
fn a_panic_message_reaches_the_error() {
    let outcomes = with_neighbour(host(), "panicker", "panic").call::<hooks::Deploy>(&Deployment::default());
    let message = failure_of(&outcomes[0]).to_string();
    assert!(message.starts_with("plugin `panicker` 0.0.1, hook `deploy`: the plugin crashed: "), "{message}");
    assert!(message.contains("boom: the `target` parameter is missing"), "{message}");
    assert_eq!(outcomes[1], neighbour_alone(host()));
}

#[test]
fn infinite_recursion_is_a_stack_overflow_trap() {
    let outcomes = with_neighbour(host(), "recurser", "recursion").call::<hooks::Deploy>(&Deployment::default());
    match &failure_of(&outcomes[0]).cause {
        FailureCause::Trap { message, .. } => assert!(message.contains("call stack exhausted"), "{message}"),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(outcomes[1], neighbour_alone(host()));
}

#[test]
fn reported_errors_are_sanitised() {
    let outcomes = with_neighbour(host(), "escaper", "escape").call::<hooks::Deploy>(&Deployment::default());
    let failure = failure_of(&outcomes[0]);
    assert_eq!(failure.cause, FailureCause::Reported("\\u{1b}[31mred\\u{1b}[0m\nsecond line".into()));
    assert!(!failure.to_string().contains('\x1b'));
}

#[test]
fn the_sandbox_grants_no_files_env_args_or_network() {
    let set = set_of(host(), &[("file-reader", "read-file"), ("env-reader", "env"), ("networker", "tcp")]);
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    let details = |i: usize| outcomes[i].status.ok().expect("hook ran").details.clone();
    for (key, value) in details(0) {
        assert!(value.starts_with("denied"), "{key}: {value}");
    }
    assert_eq!(details(1), vec![("env".to_string(), "0".to_string()), ("args".to_string(), "0".to_string())]);
    for (key, value) in details(2) {
        assert!(value.starts_with("denied"), "{key}: {value}");
    }
}

#[test]
fn flooding_stdout_and_logs_is_bounded_and_harmless() {
    let set = set_of(host(), &[("flooder", "flood"), ("logger", "log")]);
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    assert_eq!(outcomes[0].status.ok().unwrap().summary, "flooded");
    assert_eq!(outcomes[1].status.ok().unwrap().summary, "logged");
}

#[test]
fn invalid_outputs_are_rejected_with_the_rule_broken() {
    let host = host();
    let cases = [
        ("newliner", "newline", "contains a line break"),
        ("heredoc", "heredoc", "opens a heredoc"),
        ("huge-list", "huge-list", "exceeded the memory limit"),
        ("huge-string", "huge-string", "returned more than 16777216 bytes (the output limit"),
    ];
    for (name, how, expected) in cases {
        let outcomes = with_neighbour(host, name, how).call::<hooks::DockerfileInjection>(&Deployment::default());
        let failure = failure_of(&outcomes[0]);
        assert!(failure.to_string().contains(expected), "{failure}");
        assert!(failure.to_string().starts_with(&format!("plugin `{name}` 0.0.1, hook `dockerfile-injection`")));
        assert_eq!(outcomes[1].status, Status::Ok(vec!["RUN echo neighbour".to_string()]));
    }
    for (name, how, expected) in [("preloader", "ld-preload", "deny-list"), ("bad-namer", "bad-name", "must match")] {
        let outcomes = with_neighbour(host, name, how).call::<hooks::JobRuntimeEnvVars>(&Deployment::default());
        let failure = failure_of(&outcomes[0]);
        assert!(matches!(failure.cause, FailureCause::InvalidOutput(_)), "{failure}");
        assert!(failure.to_string().contains(expected), "{failure}");
    }
}

#[test]
fn abort_policy_stops_after_the_first_failure() {
    let set = PluginSet::builder(host())
        .failure_policy(FailurePolicy::Abort)
        .add(plugin(host(), "failer"), mode("fail"))
        .unwrap()
        .add(plugin(host(), "after-failer"), mode("behave"))
        .unwrap()
        .build()
        .unwrap();
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    assert_eq!(failure_of(&outcomes[0]).cause, FailureCause::Reported("database is down".into()));
    assert_eq!(outcomes[1].status, Status::NotRun);
}

#[test]
fn a_session_reuses_instances_until_a_call_traps() {
    let set = set_of(host(), &[("counter", "count"), ("session-panicker", "panic")]);
    let summary = |outcomes: Vec<Outcome<paddock::ActionReport>>| outcomes[0].status.ok().unwrap().summary.clone();
    // Without a session every call gets a fresh instance.
    assert_eq!(summary(set.call::<hooks::Deploy>(&Deployment::default())), "1");
    assert_eq!(summary(set.call::<hooks::Deploy>(&Deployment::default())), "1");

    let mut session = set.session();
    assert_eq!(summary(session.call::<hooks::Deploy>(&Deployment::default())), "1");
    let outcomes = session.call::<hooks::Deploy>(&Deployment::default());
    assert_eq!(summary(outcomes.clone()), "2", "the counter's instance was reused");
    assert!(outcomes[1].status.failure().is_some());
    // The panicking plugin's poisoned instance was dropped: it works again.
    assert_eq!(
        session.call::<hooks::DockerfileInjection>(&Deployment::default())[1].status,
        Status::Ok(vec!["RUN echo session-panicker".to_string()])
    );
    // The session's dirty slots go back to the pool (reset by memset, not
    // unmapped); a fresh instance in them starts from the initial image.
    drop(session);
    for _ in 0..3 {
        assert_eq!(summary(set.call::<hooks::Deploy>(&Deployment::default())), "1");
    }
}

#[test]
fn a_capability_needs_both_the_declaration_and_the_grant() {
    let declaring = support::misbehaving_bundle_with("proxy-user", "capabilities:\n  env: [HTTP_PROXY]\n");
    let error = host().load_file(&declaring).unwrap_err().to_string();
    assert!(
        error.starts_with("plugin `proxy-user` 0.0.1 (")
            && error.contains("declares capability `env: HTTP_PROXY`, which this host does not grant"),
        "{error}"
    );

    let grants = paddock::Grants {
        env: [("HTTP_PROXY".to_string(), "http://proxy:3128".to_string())].into(),
        ..Default::default()
    };
    let granting = Host::with_config(HostConfig { grants, ..support::host_config() }).unwrap();
    let set = PluginSet::builder(&granting)
        .add(granting.load_file(&declaring).unwrap(), mode("read-env"))
        .unwrap()
        .add(plugin(&granting, "undeclared"), mode("read-env"))
        .unwrap()
        .build()
        .unwrap();
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    assert_eq!(outcomes[0].status.ok().unwrap().summary, "http://proxy:3128");
    assert_eq!(
        outcomes[1].status.ok().unwrap().summary,
        "environment variable not found",
        "granted only to the plugin that declared it"
    );
}

#[test]
fn bundle_files_are_readable_read_only_when_declared_and_granted() {
    let shipped = [
        paddock::BundleFile { path: "config.txt".into(), contents: b"region: eu-west-1\n".to_vec() },
        paddock::BundleFile { path: "templates/run.sh".into(), contents: b"echo hello\n".to_vec() },
    ];
    let declaring =
        support::misbehaving_bundle_with_files("file-shipper", "capabilities:\n  bundle-files: true\n", &shipped);
    let error = host().load_file(&declaring).unwrap_err().to_string();
    assert!(
        error.starts_with("plugin `file-shipper` 0.0.1 (")
            && error.contains("declares capability `bundle-files`, which this host does not grant"),
        "{error}"
    );

    let grants = paddock::Grants { bundle_files: true, ..Default::default() };
    let granting = Host::with_config(HostConfig { grants, ..support::host_config() }).unwrap();
    let reading = |path: &str| PluginConfig {
        id: None,
        parameters: vec![
            ("mode".into(), ParamValue::Text("bundle-files".into())),
            ("path".into(), ParamValue::Text(path.into())),
        ],
    };
    let shipper = Arc::new(granting.load_file(&declaring).unwrap());
    assert!(shipper.reads_bundle_files());
    // Files shipped without the declaration are not even read. Paddock
    // never writes such a bundle, so it is crafted.
    let crafted = tempfile::tempdir().unwrap();
    let undeclared = crafted.path().join("files-undeclared.zip");
    let component = support::component_bytes("misbehaving");
    let entries: Vec<(String, &[u8])> = [
        ("plugin-manifest.yaml".to_string(), &b"name: files-undeclared\nversion: 0.0.1\n"[..]),
        ("plugin.wasm".to_string(), &component[..]),
    ]
    .into_iter()
    .chain(shipped.iter().map(|file| (format!("files/{}", file.path), &file.contents[..])))
    .collect();
    let entries: Vec<(&str, &[u8])> = entries.iter().map(|(name, bytes)| (name.as_str(), *bytes)).collect();
    std::fs::write(&undeclared, support::zip_of(&entries)).unwrap();
    let set = PluginSet::builder(&granting)
        .add(shipper.clone(), reading("config.txt"))
        .unwrap()
        .add(granting.load_file(&undeclared).unwrap(), reading("config.txt"))
        .unwrap()
        .build()
        .unwrap();
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    let report = |i: usize| outcomes[i].status.ok().unwrap_or_else(|| panic!("{:?}", outcomes[i].status)).clone();
    assert_eq!(report(0).summary, "region: eu-west-1\n");
    for (key, value) in report(0).details {
        assert!(value.starts_with("denied"), "{key}: {value}");
    }
    assert!(report(1).summary.starts_with("denied"), "{}", report(1).summary);

    let nested = PluginSet::builder(&granting).add(shipper, reading("templates/run.sh")).unwrap().build().unwrap();
    assert_eq!(nested.call::<hooks::Deploy>(&Deployment::default())[0].status.ok().unwrap().summary, "echo hello\n");
}

#[test]
fn huge_random_buffers_are_refused_without_host_allocation() {
    let host = host();
    let set = PluginSet::builder(host)
        .add(plugin(host, "random-hog"), mode("random"))
        .unwrap()
        .add(
            plugin(host, "random-sipper"),
            PluginConfig {
                id: None,
                parameters: vec![
                    ("mode".into(), ParamValue::Text("random".into())),
                    ("bytes".into(), ParamValue::Integer(64)),
                ],
            },
        )
        .unwrap()
        .build()
        .unwrap();
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    let message = failure_of(&outcomes[0]).to_string();
    assert!(message.contains("requested len 1073741824 exceeds limit 1048576"), "{message}");
    assert_eq!(outcomes[1].status.ok().unwrap().summary, "got 64 random bytes");
}

#[test]
fn a_plugin_whose_start_up_never_finishes_times_out() {
    let host = strict_host();
    let manifest = paddock::Manifest::parse(b"name: slow-starter\nversion: 0.0.1\n").unwrap();
    let bundle = std::env::temp_dir().join(format!("paddock-slow-starter-{}.zip", std::process::id()));
    support::write_bundle(manifest, support::component_bytes("startup-loop"), &[], &bundle);
    let set = PluginSet::builder(host)
        .add(host.load_file(&bundle).unwrap(), PluginConfig::default())
        .unwrap()
        .add(plugin(host, "neighbour-of-slow-starter"), mode("behave"))
        .unwrap()
        .build()
        .unwrap();
    let _ = std::fs::remove_file(&bundle);
    // Its static constructors run before any hook body, even one it does not implement.
    for _ in 0..2 {
        let outcomes = set.call::<hooks::DockerfileInjection>(&Deployment::default());
        assert_eq!(failure_of(&outcomes[0]).cause, FailureCause::Timeout { limit: Duration::from_millis(300) });
        assert_eq!(outcomes[1].status, Status::Ok(vec!["RUN echo neighbour-of-slow-starter".to_string()]));
    }
}

fn table_grower(host: &Host, name: &str, edit: impl FnOnce(String) -> String) -> Arc<Plugin> {
    let component = support::wat_component("table-grower.wat", edit);
    Arc::new(host.load_file(&support::wat_bundle(name, &component)).unwrap())
}

#[test]
fn unbounded_table_growth_hits_the_table_limit() {
    let host = strict_host();
    let set = PluginSet::builder(host)
        .add(table_grower(host, "table-grower", |wat| wat), PluginConfig::default())
        .unwrap()
        .add(plugin(host, "neighbour-of-table-grower"), mode("behave"))
        .unwrap()
        .build()
        .unwrap();
    for _ in 0..3 {
        let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
        let failure = failure_of(&outcomes[0]);
        // The second growth (1 + 2 * 65 536 elements) is the first one over 100 000.
        assert_eq!(failure.cause, FailureCause::TableLimit { limit: 100_000, requested: 131_073 });
        assert_eq!(
            failure.to_string(),
            "plugin `table-grower` 0.0.1, hook `deploy`: exceeded the table limit of 100000 elements \
             (asked for 131073; raise it with `Limits::table_elements`)"
        );
        assert_eq!(outcomes[1].status.ok().unwrap().summary, "behaved as neighbour-of-table-grower");
    }
}

#[test]
fn a_table_over_the_limit_at_start_up_is_refused_by_name() {
    let huge_table = |wat: String| wat.replace("(table $grown 1 funcref)", "(table $grown 5000000 funcref)");
    let component = support::wat_component("table-grower.wat", huge_table);
    let bundle = support::wat_bundle("big-table", &component);

    // The instance pool checks declared sizes when the plugin loads.
    let error = strict_host().load_file(&bundle).unwrap_err().to_string();
    assert!(error.starts_with("plugin `big-table` 0.0.1 ("), "{error}");
    assert!(error.contains("declares more than this host's limits allow"), "{error}");
    assert!(error.contains("minimum element size of 5000000 which exceeds the limit of 100000"), "{error}");

    // Without a pool the limiter refuses it when the instance is created.
    let unpooled = Host::with_config(HostConfig { instance_pool: None, ..support::host_config() }).unwrap();
    let set = PluginSet::builder(&unpooled)
        .add(Arc::new(unpooled.load_file(&bundle).unwrap()), PluginConfig::default())
        .unwrap()
        .build()
        .unwrap();
    let outcomes = set.call::<hooks::JobRuntimeEnvVars>(&Deployment::default());
    let failure = failure_of(&outcomes[0]);
    assert_eq!(failure.cause, FailureCause::TableLimit { limit: 100_000, requested: 5_000_000 }, "{failure}");
    assert!(
        failure
            .to_string()
            .starts_with("plugin `big-table` 0.0.1, hook `job-runtime-env-vars`: exceeded the table limit")
    );
}

#[test]
fn a_plugin_blocked_in_a_host_call_times_out_and_the_run_goes_on() {
    let host = strict_host();
    let set = set_of(host, &[("sleeper", "sleep"), ("poller", "poll-forever"), ("neighbour-of-sleepers", "behave")]);
    let started = std::time::Instant::now();
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    // Without the fix the first call sleeps for an hour; the bound only has
    // to tell "ended near its 300 ms deadlines" from "hung".
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    for outcome in &outcomes[..2] {
        assert_eq!(failure_of(outcome).cause, FailureCause::Timeout { limit: Duration::from_millis(300) });
    }
    assert_eq!(outcomes[2].status.ok().unwrap().summary, "behaved as neighbour-of-sleepers");
    // Inside a session too; the timed-out instance is replaced, not reused.
    let mut session = set.session();
    for _ in 0..2 {
        let outcomes = session.call::<hooks::Deploy>(&Deployment::default());
        assert_eq!(failure_of(&outcomes[0]).cause, FailureCause::Timeout { limit: Duration::from_millis(300) });
        assert_eq!(outcomes[2].status.ok().unwrap().summary, "behaved as neighbour-of-sleepers");
    }
}

/// The table grower with `hogs` more core modules instantiated inside it,
/// each with a memory of `pages` 64 KiB pages: one instance, many memories.
fn with_extra_memories(hogs: u32, pages: u32) -> Vec<u8> {
    use wasm_encoder::{ComponentSection, ComponentSectionId, Encode, InstanceSection, RawSection};
    let mut component = support::wat_component("table-grower.wat", |wat| wat);
    let modules = wasmparser::Parser::new(0)
        .parse_all(&component)
        .filter(|payload| matches!(payload, Ok(wasmparser::Payload::ModuleSection { .. })))
        .count() as u32;
    // Sections appended at the end keep every existing index valid.
    let hog = wat::parse_str(format!("(module (memory {pages}))")).unwrap();
    let module = RawSection { id: ComponentSectionId::CoreModule as u8, data: &hog };
    component.push(module.id());
    module.encode(&mut component);
    let mut instances = InstanceSection::new();
    for _ in 0..hogs {
        instances.instantiate(modules, Vec::<(&str, wasm_encoder::ModuleArg)>::new());
    }
    component.push(ComponentSection::id(&instances));
    instances.encode(&mut component);
    component
}

#[test]
fn the_memory_limit_holds_for_all_memories_of_an_instance_together() {
    let host = strict_host(); // 32 MiB
    let load = |name: &str, component: &[u8]| Arc::new(host.load_file(&support::wat_bundle(name, component)).unwrap());
    // Eight 5 MiB memories: each under the limit, 40 MiB together.
    let hoarder = load("memory-hoarder", &with_extra_memories(8, 80));
    // Eight 3 MiB memories: 24 MiB together, within the limit.
    let modest = load("memory-modest", &with_extra_memories(8, 48));
    let set = PluginSet::builder(host)
        .add(hoarder, PluginConfig::default())
        .unwrap()
        .add(modest, PluginConfig::default())
        .unwrap()
        .add(plugin(host, "neighbour-of-hoarder"), mode("behave"))
        .unwrap()
        .build()
        .unwrap();
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    match &failure_of(&outcomes[0]).cause {
        FailureCause::MemoryLimit { limit, requested } => {
            assert_eq!(*limit, 32 << 20);
            assert!(*requested > 32 << 20 && *requested <= 36 << 20, "{requested}");
        }
        other => panic!("expected the memory limit, got {other}"),
    }
    // The modest one instantiates, then its hook grows a table without end.
    assert!(matches!(failure_of(&outcomes[1]).cause, FailureCause::TableLimit { .. }), "{:?}", outcomes[1].status);
    assert_eq!(outcomes[2].status.ok().unwrap().summary, "behaved as neighbour-of-hoarder");
}

#[test]
fn three_thousand_plugins_run_in_order_on_a_pool_of_a_thousand() {
    let host = host(); // the default pool: 1 000 instances
    let base = host.read_bundle(&misbehaving_bundle("many-0", 0)).unwrap();
    let mut builder = PluginSet::builder(host);
    for index in 0..3_000 {
        let manifest = paddock::Manifest::parse(format!("name: many-{index}\nversion: 0.0.1\n").as_bytes()).unwrap();
        let bundle =
            paddock::Bundle::new(manifest, base.component().to_vec(), Vec::new(), host.bundle_limits()).unwrap();
        builder = builder.add(host.load_bundle(bundle, "memory").unwrap(), mode("behave")).unwrap();
    }
    let set = builder.build().unwrap();
    let check = |outcomes: Vec<Outcome<paddock::ActionReport>>| {
        assert_eq!(outcomes.len(), 3_000);
        for (index, outcome) in outcomes.iter().enumerate() {
            assert_eq!(
                outcome.status.ok().map(|r| r.summary.as_str()),
                Some(format!("behaved as many-{index}").as_str())
            );
        }
    };
    check(set.call::<hooks::Deploy>(&Deployment::default()));
    // A warm session holds an instance per plugin until the pool runs out,
    // then gives its own back instead of failing plugins.
    let mut session = set.session();
    check(session.call::<hooks::Deploy>(&Deployment::default()));
    check(session.call::<hooks::Deploy>(&Deployment::default()));
}

/// The WIT package with its version replaced, in a temporary directory.
/// The 0.1.0 WIT renamed to `version`.
fn wit_at_version(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wit = std::fs::read_to_string(support::workspace_root().join("wit").join("paddock.wit")).unwrap();
    std::fs::write(
        dir.path().join("paddock.wit"),
        wit.replace("paddock:plugin@0.1.0", &format!("paddock:plugin@{version}")),
    )
    .unwrap();
    dir
}

#[test]
fn a_compatible_patch_version_of_the_hooks_loads_and_other_versions_are_refused_by_version() {
    let host = strict_host();
    let built_for = |version: &str| {
        let wit = wit_at_version(version);
        let rename =
            |wat: String| wat.replace("paddock:plugin/hooks@0.1.0", &format!("paddock:plugin/hooks@{version}"));
        support::wat_bundle(
            &format!("hooks-{}", version.replace('.', "-")),
            &support::wat_component_against("table-grower.wat", rename, wit.path()),
        )
    };
    let patch = host.load_file(&built_for("0.1.1")).unwrap();
    let set = PluginSet::builder(host).add(patch, PluginConfig::default()).unwrap().build().unwrap();
    let outcomes = set.call::<hooks::Deploy>(&Deployment::default());
    assert!(matches!(failure_of(&outcomes[0]).cause, FailureCause::TableLimit { .. }), "{:?}", outcomes[0].status);

    // A whole other version of the package: its types come from
    // `paddock:plugin/types@<version>`, which this host does not serve.
    // (Minor versions of one interface are tested in `versions`.)
    for version in ["0.2.0", "1.0.0"] {
        let error = host.load_file(&built_for(version)).unwrap_err().to_string();
        assert!(error.contains(&format!("paddock:plugin/types@{version}")), "{error}");
        assert!(error.contains("paddock:plugin@0.1.x") && error.contains("paddock:common@0.2.x"), "{error}");
    }
}
