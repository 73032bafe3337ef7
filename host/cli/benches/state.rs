//! State benchmarks: `cargo bench --bench state`.
//!
//! What `paddock::state::apply` adds over a plain run of the same hooks (4
//! and 100 plugins), what one audit record costs, and `history` on 100 000
//! records, each next to a baseline measured in the same process. SQLite
//! always; PostgreSQL too when `PADDOCK_TEST_POSTGRES_URL` is set (a schema
//! of its own, dropped afterwards). The report is printed and written to
//! `target/BENCHMARKS-state.generated.md`.

#[path = "../../../tests/support/mod.rs"]
#[allow(dead_code)] // the benches use part of the tests' helpers
mod support;
#[allow(dead_code)] // this report gives medians only
mod timing;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use paddock::state::{self, AuditOutput, AuditRecord, DesiredSet, HistoryQuery, StateStore, Timestamp};
use paddock::{Deployment, FailurePolicy, ParamValue, PluginConfig, PluginSet, RunContext, hooks};
use timing::fmt;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(iterations: usize, mut f: impl FnMut()) -> Duration {
    f();
    median(
        (0..iterations)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
}

fn context() -> RunContext {
    RunContext::from(Deployment {
        environment: "prod".into(),
        team: "data-science".into(),
        job_name: "sentiment".into(),
        job_version: "1.4.2".into(),
        image_name: "python:3.11".into(),
        deployer: Some("alice".into()),
    })
}

/// `count` plugins: the four samples, or copies of the misbehaving guest
/// (one component, compiled once) under distinct names.
fn desired(count: usize, tag: &str) -> DesiredSet {
    let host = support::host();
    let mut builder = DesiredSet::builder(host).failure_policy(FailurePolicy::Continue);
    let tagged =
        |name: &str| PluginConfig { id: None, parameters: vec![(name.to_string(), ParamValue::Text(tag.into()))] };
    if count == 4 {
        for sample in support::SAMPLES {
            builder = builder.add_file(&support::sample_bundle(sample), tagged("bench_tag")).expect("sample");
        }
    } else {
        for i in 0..count {
            let bundle = support::misbehaving_bundle(&format!("bench-state-{i:03}"), 0);
            builder = builder.add_file(&bundle, tagged("bench_tag")).expect("copy");
        }
    }
    builder.build().expect("set")
}

/// The same hooks as an apply, across the same plugins, without the state.
fn plain_run(set: &PluginSet, context: &RunContext) {
    let mut session = set.session();
    for hook in state::DEPLOY_SIDE_HOOKS {
        drop(session.run(hook, context));
    }
}

struct Backend {
    name: &'static str,
    location: String,
    _dir: Option<tempfile::TempDir>,
    cleanup: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.cleanup
            && let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut backends = vec![Backend {
        name: "SQLite",
        location: dir.path().join("bench.db").display().to_string(),
        _dir: Some(dir),
        cleanup: None,
    }];
    if let Some(url) = std::env::var("PADDOCK_TEST_POSTGRES_URL").ok().filter(|url| !url.is_empty()) {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let next = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let schema = format!("paddock_bench_{}_{next}", std::process::id());
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        client.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("schema");
        let separator = if url.contains('?') { '&' } else { '?' };
        backends.push(Backend {
            name: "PostgreSQL",
            location: format!("{url}{separator}options=-c%20search_path%3D{schema}"),
            _dir: None,
            cleanup: Some((url, schema)),
        });
    }
    backends
}

fn audit_record(i: usize, target: &str) -> AuditRecord {
    let value = serde_json::json!([format!("RUN echo {i}")]);
    AuditRecord {
        time: Timestamp::from_micros(1_790_000_000_000_000 + i as i64 * 1_000),
        target: target.to_string(),
        operation: "apply".into(),
        plugin: format!("plugin-{:02}", i % 50),
        plugin_id: format!("plugin-{:02}", i % 50),
        version: "1.0.0".into(),
        bundle_sha256: "0".repeat(64),
        wit_package: Some("paddock:orbit@0.2.0".into()),
        hook: "dockerfile-injection".into(),
        duration_us: 42,
        status: "ok".into(),
        error: None,
        input_sha256: "1".repeat(64),
        output: Some(AuditOutput::of(&value)),
    }
}

/// A history query for a store of the given number of records.
type QueryOf<'a> = Box<dyn Fn(usize) -> HistoryQuery + 'a>;

fn main() {
    let context = context();
    let mut report = String::from("## State: plan, apply and the audit trail (`cargo bench --bench state`)\n\n");
    let _ = writeln!(
        report,
        "Plain run = the four deploy-side hooks across the set in one session, no state. Apply (no changes) = \
         lock, read the state, the same hooks, diff, one audit record per invocation, commit. Apply (all \
         changed) = every plugin reconfigured, so every plugin's record and outputs are rewritten.\n"
    );
    let _ = writeln!(
        report,
        "| backend | plugins | plain run | plan | apply, no changes | apply, all changed | apply (no changes) / plain | added per plugin |\n|---|---|---|---|---|---|---|---|"
    );
    for backend in backends() {
        for (count, iterations) in [(4usize, 30usize), (100, 8)] {
            let mut store = state::open(&backend.location).expect("open");
            let target = format!("bench/{count}");
            let (a, b) = (desired(count, "a"), desired(count, "b"));
            let set = a.to_plugin_set().expect("plugin set");
            state::apply(support::host(), &mut *store, &target, &a, &context).expect("first apply");
            let plain = measure(iterations, || plain_run(&set, &context));
            let plan = measure(iterations, || drop(state::plan(&mut *store, &target, &a, &context).expect("plan")));
            let unchanged = measure(iterations, || {
                drop(state::apply(support::host(), &mut *store, &target, &a, &context).expect("apply"))
            });
            let mut flip = false;
            let changed = measure(iterations, || {
                flip = !flip;
                let set = if flip { &b } else { &a };
                let report = state::apply(support::host(), &mut *store, &target, set, &context).expect("apply");
                assert!(report.committed);
            });
            let per_plugin = unchanged.saturating_sub(plain) / count as u32;
            let _ = writeln!(
                report,
                "| {} | {count} | {} | {} | {} | {} | {} | {} |",
                backend.name,
                fmt(plain),
                fmt(plan),
                fmt(unchanged),
                fmt(changed),
                ratio(unchanged, plain),
                fmt(per_plugin)
            );
        }
    }

    // The audit append: one record in its own transaction, and per record
    // in a batch of 400 (a 100-plugin apply), next to one warm hook call.
    let _ = writeln!(
        report,
        "\n| backend | one warm hook call (baseline) | append 1 record (own transaction) | per record, batch of 400 | batch per record / warm call |\n|---|---|---|---|---|"
    );
    let env_set = PluginSet::builder(support::host())
        .add(support::host().load_file(&support::sample_bundle("runtime-env")).expect("load"), PluginConfig::default())
        .expect("add")
        .build()
        .expect("set");
    let mut session = env_set.session();
    let warm = measure(2_000, || drop(session.call::<hooks::JobRuntimeEnvVars>(&context.deployment)));
    for backend in backends() {
        let mut store = state::open(&backend.location).expect("open");
        let one = [audit_record(0, "bench/audit")];
        let single = measure(200, || store.append_audit(&one).expect("append"));
        let batch: Vec<AuditRecord> = (0..400).map(|i| audit_record(i, "bench/audit")).collect();
        let per_record = measure(20, || store.append_audit(&batch).expect("append")) / 400;
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} | {} |",
            backend.name,
            fmt(warm),
            fmt(single),
            fmt(per_record),
            ratio(per_record, warm)
        );
    }

    // `history` on 100 000 records (10 targets x 50 plugins), against the
    // same query on 1 000 records: the index keeps it flat.
    let _ = writeln!(
        report,
        "\n| backend | query | 1 000 records (baseline) | 100 000 records | 100k / 1k |\n|---|---|---|---|---|"
    );
    for (small_backend, large_backend) in backends().into_iter().zip(backends()) {
        let fill = |store: &mut dyn StateStore, total: usize| {
            for chunk in (0..total).collect::<Vec<_>>().chunks(10_000) {
                let records: Vec<AuditRecord> =
                    chunk.iter().map(|&i| audit_record(i, &format!("bench/{}", i % 10))).collect();
                store.append_audit(&records).expect("fill");
            }
        };
        let mut small = state::open(&small_backend.location).expect("open");
        let mut large = state::open(&large_backend.location).expect("open");
        fill(&mut *small, 1_000);
        fill(&mut *large, 100_000);
        let since = |total: usize| Timestamp::from_micros(1_790_000_000_000_000 + (total * 9 / 10) as i64 * 1_000);
        let queries: [(&str, QueryOf<'_>); 3] = [
            (
                "target + plugin, newest 50",
                Box::new(|_| HistoryQuery {
                    target: Some("bench/3".into()),
                    plugin: Some("plugin-13".into()),
                    limit: Some(50),
                    ..HistoryQuery::default()
                }),
            ),
            (
                "target + plugin + since (newest 10%)",
                Box::new(move |total| HistoryQuery {
                    target: Some("bench/3".into()),
                    plugin: Some("plugin-13".into()),
                    since: Some(since(total)),
                    ..HistoryQuery::default()
                }),
            ),
            (
                "plugin (all targets), newest 50",
                Box::new(|_| HistoryQuery {
                    plugin: Some("plugin-13".into()),
                    limit: Some(50),
                    ..HistoryQuery::default()
                }),
            ),
        ];
        for (label, query) in &queries {
            let at_1k = measure(50, || drop(small.history(&query(1_000)).expect("history")));
            let at_100k = measure(50, || drop(large.history(&query(100_000)).expect("history")));
            let _ = writeln!(
                report,
                "| {} | {label} | {} | {} | {} |",
                small_backend.name,
                fmt(at_1k),
                fmt(at_100k),
                ratio(at_100k, at_1k)
            );
        }
    }

    print!("{report}");
    let out = support::workspace_root().join("target").join("BENCHMARKS-state.generated.md");
    std::fs::write(&out, &report).expect("write report");
    eprintln!("\nwritten to {}", out.display());
}
