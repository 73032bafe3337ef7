//! Digital Rebar provider benchmarks: `cargo bench --bench providers`.
//!
//! A provider is one long-lived sandboxed instance behind a
//! [`ProviderRuntime`]. Digital Rebar itself runs a provider as a
//! long-lived native child process it talks to over a pipe; that is the
//! baseline here, measured in the same run: this binary re-executed with
//! `PADDOCK_BENCH_PROVIDER_CHILD=serve`, answering one JSON request per
//! line on stdin/stdout with the incrementer's logic, natively (counters in
//! memory, or in SQLite when `PADDOCK_BENCH_PROVIDER_DB` names a file, so
//! the store's cost is told apart from the sandbox's). The worst case is a
//! process spawned per action (`PADDOCK_BENCH_PROVIDER_CHILD=once`). The
//! report is printed and written to `target/BENCHMARKS.providers.md`.

#[path = "../../../tests/support/mod.rs"]
#[allow(dead_code)] // the benches use part of the tests' helpers
mod support;
mod timing;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use paddock::provider::{
    ActionRequest, Event, ObjectStore, ProviderError, ProviderRuntime, ProviderSettings, StoreCaps,
};
use paddock::{Host, Manifest};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Value, json};
use timing::{Stats, fmt, measure, measure_alternating, ratio};

const CHILD_ENV: &str = "PADDOCK_BENCH_PROVIDER_CHILD";
const DB_ENV: &str = "PADDOCK_BENCH_PROVIDER_DB";

const STEP: &str = "incrementer/step";
const PARAMETER: &str = "incrementer/parameter";

/// Where the native incrementer keeps its counters.
enum Counters {
    Memory(HashMap<String, i64>),
    /// The store's table and statements, as Paddock's object store has
    /// them (less its caps check): a read, then an upsert in an immediate
    /// transaction.
    Sqlite(Connection),
}

impl Counters {
    fn open(path: Option<&Path>) -> Counters {
        let Some(path) = path else { return Counters::Memory(HashMap::new()) };
        let connection = Connection::open(path).expect("open the native store");
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE IF NOT EXISTS provider_objects (
                     provider TEXT NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                     PRIMARY KEY (provider, type, key)
                 ) WITHOUT ROWID;",
            )
            .expect("create the native store");
        Counters::Sqlite(connection)
    }

    fn add(&mut self, key: &str, step: i64) -> i64 {
        match self {
            Counters::Memory(map) => {
                let value = map.entry(key.to_string()).or_insert(0);
                *value = value.saturating_add(step);
                *value
            }
            Counters::Sqlite(connection) => {
                let current: Option<String> = connection
                    .prepare_cached(
                        "SELECT value FROM provider_objects WHERE provider = 'incrementer' AND type = 'counters' AND key = ?1",
                    )
                    .and_then(|mut statement| statement.query_row(params![key], |row| row.get(0)).optional())
                    .expect("read a counter");
                let current = current
                    .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                    .and_then(|value| value["value"].as_i64())
                    .unwrap_or(0);
                let value = current.saturating_add(step);
                let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
                transaction
                    .execute(
                        "INSERT INTO provider_objects (provider, type, key, value) VALUES ('incrementer', 'counters', ?1, ?2)
                         ON CONFLICT (provider, type, key) DO UPDATE SET value = excluded.value",
                        params![key, json!({ "value": value }).to_string()],
                    )
                    .expect("write a counter");
                transaction.commit().expect("commit");
                value
            }
        }
    }
}

/// The incrementer sample's logic, natively.
struct NativeIncrementer {
    step: i64,
    parameter: String,
    machine_updates: u64,
    increments: u64,
    counters: Counters,
}

impl NativeIncrementer {
    fn new(counters: Counters) -> NativeIncrementer {
        NativeIncrementer {
            step: 1,
            parameter: "incrementer/count".to_string(),
            machine_updates: 0,
            increments: 0,
            counters,
        }
    }

    /// Answers one request: an action, or an event (`"call": "publish"`).
    fn handle(&mut self, request: &Value) -> Value {
        if request["call"] == "publish" {
            if request["type"] == "machines" && request["action"] == "update" {
                self.machine_updates += 1;
            }
            return json!({ "ok": true });
        }
        let params = &request["params"];
        match (request["command"].as_str(), request["object_type"].as_str()) {
            (Some("increment"), Some("machines")) => {
                let parameter = params[PARAMETER].as_str().unwrap_or(&self.parameter).to_string();
                let step = params[STEP].as_i64().unwrap_or(self.step);
                let machine = request["object_key"].as_str().unwrap_or_default();
                let value = self.counters.add(&format!("{machine}/{parameter}"), step);
                self.increments += 1;
                json!({ "machine": machine, "parameter": parameter, "value": value })
            }
            (Some("status"), Some("plugins")) => json!({
                "step": self.step,
                "parameter": self.parameter,
                "machine_updates": self.machine_updates,
                "increments": self.increments,
            }),
            (command, object_type) => json!({ "error": format!("no action {command:?} on {object_type:?}") }),
        }
    }
}

fn child_main(mode: &str) {
    let db = std::env::var_os(DB_ENV).map(PathBuf::from);
    let mut provider = NativeIncrementer::new(Counters::open(db.as_deref()));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if mode == "once" {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input).expect("read request");
        let request: Value = serde_json::from_str(&input).expect("parse request");
        serde_json::to_writer(&mut out, &provider.handle(&request)).expect("write response");
        return;
    }
    for line in std::io::stdin().lock().lines() {
        let request: Value = serde_json::from_str(&line.expect("read request")).expect("parse request");
        serde_json::to_writer(&mut out, &provider.handle(&request)).expect("write response");
        out.write_all(b"\n").and_then(|()| out.flush()).expect("write response");
    }
}

fn child_command(mode: &str, db: Option<&Path>) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    command.env(CHILD_ENV, mode).stdin(Stdio::piped()).stdout(Stdio::piped());
    if let Some(db) = db {
        command.env(DB_ENV, db);
    }
    command
}

/// A long-lived native provider process: one JSON request per line.
struct NativeProvider {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    line: String,
}

impl NativeProvider {
    fn start(db: Option<&Path>) -> NativeProvider {
        let mut child = child_command("serve", db).spawn().expect("spawn the native provider");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        NativeProvider { child, stdin, stdout, line: String::new() }
    }

    fn call(&mut self, request: &Value) -> Value {
        let stdin = self.stdin.as_mut().expect("stdin");
        let mut text = request.to_string();
        text.push('\n');
        stdin.write_all(text.as_bytes()).and_then(|()| stdin.flush()).expect("send");
        self.line.clear();
        self.stdout.read_line(&mut self.line).expect("receive");
        serde_json::from_str(&self.line).expect("parse response")
    }
}

impl Drop for NativeProvider {
    fn drop(&mut self) {
        // End of input is its signal to exit.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// One action in a native process spawned for it.
fn spawn_call(request: &Value, db: Option<&Path>) -> Value {
    let mut child = child_command("once", db).spawn().expect("spawn child");
    child.stdin.take().expect("stdin").write_all(request.to_string().as_bytes()).expect("send");
    let output = child.wait_with_output().expect("child output");
    serde_json::from_slice(&output.stdout).expect("parse response")
}

/// The wire form of `request`, as the native provider reads it.
fn native_request(request: &ActionRequest) -> Value {
    json!({
        "call": "action",
        "command": request.command,
        "object_type": request.object_type,
        "object_key": request.object_key,
        "object": request.object,
        "params": request.params,
    })
}

fn native_event(event: &Event) -> Value {
    json!({
        "call": "publish",
        "type": event.event_type(),
        "action": event.action(),
        "key": event.key(),
        "object": event.object(),
    })
}

fn increment(key: &str) -> ActionRequest {
    ActionRequest::new("increment", "machines", key, json!({ "Name": key }))
}

fn status() -> ActionRequest {
    ActionRequest::new("status", "plugins", "incrementer", json!({}))
}

fn probe_bundle() -> PathBuf {
    let manifest = Manifest::parse(b"name: provider-probe\nversion: 0.0.1\nprovider: true\n").expect("manifest");
    let out = support::workspace_root().join("target/test-bundles/provider-probe.zip");
    support::write_bundle(manifest, support::component_bytes("provider-probe"), &[], &out)
}

fn row(report: &mut String, label: &str, stats: &Stats, baselines: &[&Stats]) {
    let ratios: String = baselines.iter().map(|b| format!(" {} |", ratio(stats.median, b.median))).collect();
    let _ = writeln!(report, "| {label} | {} | {} |{ratios}", fmt(stats.median), fmt(stats.p99));
}

fn main() {
    if let Some(mode) = std::env::var_os(CHILD_ENV) {
        child_main(mode.to_str().unwrap_or_default());
        return;
    }
    let mut report = String::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let host = Host::with_config(support::host_config()).expect("host");
    let store = ObjectStore::open(&dir.path().join("objects.sqlite3"), StoreCaps::default()).expect("store");
    let mut runtime =
        ProviderRuntime::new(&host, ProviderSettings { store: Some(store), ..Default::default() }).expect("runtime");
    let name = runtime.load_file(&support::sample_bundle("incrementer"), None).expect("load the incrementer");
    runtime.config(&name, &BTreeMap::new()).expect("config");
    let native_db = dir.path().join("native.sqlite3");
    let spawn_db = dir.path().join("spawn.sqlite3");
    let mut in_memory = NativeProvider::start(None);
    let mut on_sqlite = NativeProvider::start(Some(&native_db));

    // The same first answer everywhere, and the counter kept where each keeps it.
    let wasm_first = runtime.action(&name, &increment("check")).expect("increment").value;
    for native in
        [in_memory.call(&native_request(&increment("check"))), on_sqlite.call(&native_request(&increment("check")))]
    {
        assert_eq!(native, wasm_first, "wasm and native agree");
    }
    assert_eq!(spawn_call(&native_request(&increment("check")), Some(&spawn_db)), wasm_first, "spawned agrees");
    assert_eq!(spawn_call(&native_request(&increment("check")), Some(&spawn_db))["value"], 2, "spawned keeps counting");
    assert_eq!(runtime.action(&name, &increment("check")).expect("increment").value["value"], 2);

    let _ = writeln!(report, "## Machine and configuration\n");
    let _ = writeln!(
        report,
        "- {} cores, {}; wasmtime 48.0.8, Cranelift, pooling allocator, release build; provider store: SQLite \
         (WAL) in a temp directory.",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        std::env::consts::ARCH
    );
    let _ = writeln!(
        report,
        "- Provider: incrementer sample, {} bytes; restart: provider-probe test guest. Native baselines: this \
         bench binary re-executed, the incrementer's logic in Rust, JSON per line over stdin/stdout.\n",
        std::fs::metadata(support::component_path("incrementer")).map(|m| m.len()).unwrap_or(0)
    );

    // 1. An action that touches no store: the sandbox's cost alone.
    let status_request = native_request(&status());
    let (native_status, wasm_status) = measure_alternating(
        10_000,
        || drop(in_memory.call(&status_request)),
        || drop(runtime.action(&name, &status()).expect("status")),
    );
    let spawn_status = measure(200, || drop(spawn_call(&status_request, None)));
    let _ = writeln!(
        report,
        "## P1. An action without the store (`status` on the incrementer)\n\n\
         | how | median | p99 | vs native child |\n|---|---|---|---|"
    );
    row(&mut report, "native long-lived child, JSON line over a pipe (baseline)", &native_status, &[&native_status]);
    row(&mut report, "wasm, ProviderRuntime (warm instance)", &wasm_status, &[&native_status]);
    row(&mut report, "native process spawned per action", &spawn_status, &[&native_status]);

    // 2. An action that reads and writes a counter in SQLite.
    let memory_request = native_request(&increment("m1"));
    let sqlite_request = native_request(&increment("m2"));
    let spawn_request = native_request(&increment("m3"));
    // The in-memory child alone: timed beside an fsync-bound commit, a
    // baseline this cheap would measure the other's wake-ups.
    let native_memory = measure(10_000, || drop(in_memory.call(&memory_request)));
    let (native_sqlite, wasm_increment) = measure_alternating(
        2_000,
        || drop(on_sqlite.call(&sqlite_request)),
        || drop(runtime.action(&name, &increment("m4")).expect("increment")),
    );
    let spawn_increment = measure(200, || drop(spawn_call(&spawn_request, Some(&spawn_db))));
    let _ = writeln!(
        report,
        "\n## P2. An action on the object store (`increment`: read a counter, write it back, publish an event)\n\n\
         | how | median | p99 | vs native child, in memory | vs native child, SQLite |\n|---|---|---|---|---|"
    );
    let baselines = [&native_memory, &native_sqlite];
    row(&mut report, "native long-lived child, counters in memory", &native_memory, &baselines);
    row(&mut report, "native long-lived child, counters in SQLite", &native_sqlite, &baselines);
    row(&mut report, "wasm, ProviderRuntime, SQLite store (timed alternately with it)", &wasm_increment, &baselines);
    row(&mut report, "native process spawned per action, SQLite", &spawn_increment, &baselines);

    // 3. Events: one the incrementer selects, and one nobody selects.
    let matching = Event::new("machines", "update", "m1", json!({ "Name": "m1" })).expect("event");
    let unmatched = Event::new("subnets", "update", "s1", json!({ "Name": "s1" })).expect("event");
    assert_eq!(runtime.publish(matching.clone()).deliveries.len(), 1, "machines.update.* selects it");
    assert!(runtime.publish(unmatched.clone()).deliveries.is_empty(), "nothing selects subnets");
    let native_event_request = native_event(&matching);
    let (native_publish, wasm_publish) = measure_alternating(
        10_000,
        || drop(in_memory.call(&native_event_request)),
        || drop(runtime.publish(matching.clone())),
    );
    let filtered = measure(10_000, || drop(runtime.publish(unmatched.clone())));
    let _ = writeln!(
        report,
        "\n## P3. Event delivery (one provider loaded)\n\n\
         | event | median | p99 | vs native child | vs no match |\n|---|---|---|---|---|"
    );
    row(&mut report, "native long-lived child, event as a JSON line", &native_publish, &[&native_publish, &filtered]);
    row(&mut report, "wasm: `machines.update.m1`, selected, delivered", &wasm_publish, &[&native_publish, &filtered]);
    row(
        &mut report,
        "wasm: `subnets.update.s1`, selected by none (filter only)",
        &filtered,
        &[&native_publish, &filtered],
    );

    // 4. A trap, and the restart from the last config, against a warm call.
    let probe = runtime.load_file(&probe_bundle(), None).expect("load the probe");
    runtime.config(&probe, &BTreeMap::new()).expect("config the probe");
    let count = ActionRequest::new("count", "machines", "m1", json!({}));
    let crash = ActionRequest::new("crash", "machines", "m1", json!({}));
    let restarts_before = runtime.status(&probe).expect("status").restarts;
    // Alternation keeps failures from running in a row, so the probe never
    // backs off: every crash is followed by a restart.
    let runtime = std::cell::RefCell::new(runtime);
    let (warm, restart) = measure_alternating(
        200,
        || drop(runtime.borrow_mut().action(&probe, &count).expect("a warm call after a restart")),
        || match runtime.borrow_mut().action(&probe, &crash) {
            Err(ProviderError::Crashed { .. }) => {}
            other => panic!("expected a crash and a restart, got {other:?}"),
        },
    );
    let mut runtime = runtime.into_inner();
    let restarts = runtime.status(&probe).expect("status").restarts - restarts_before;
    assert_eq!(restarts, 220, "one restart per crash, warm-up included");
    let _ = writeln!(
        report,
        "\n## P4. Restart: a trap, then a fresh instance configured again (provider-probe)\n\n\
         | call | median | p99 | vs warm call |\n|---|---|---|---|"
    );
    row(&mut report, "warm action (`count`)", &warm, &[&warm]);
    row(&mut report, "`crash`: trap + restart from config", &restart, &[&warm]);
    drop((in_memory, on_sqlite));
    runtime.shutdown();

    print!("{report}");
    let out = support::workspace_root().join("target").join("BENCHMARKS.providers.md");
    std::fs::write(&out, &report).expect("write report");
    eprintln!("\nwritten to {}", out.display());
}
