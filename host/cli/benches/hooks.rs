//! Paddock benchmarks: `cargo bench --bench hooks`.
//!
//! Every figure is printed next to a baseline measured in the same run, as a
//! ratio, and the whole report is written to `target/BENCHMARKS.generated.md`
//! (copy it into BENCHMARKS.md). Timing loops run for a fixed count; the
//! report gives medians and p99s.
//!
//! The spawn-per-call baseline re-executes this binary with
//! `PADDOCK_BENCH_CHILD=1`: a native executable that reads a JSON request on
//! stdin and writes a JSON response, like subprocess plugin systems do.

#[path = "../../../tests/support/mod.rs"]
#[allow(dead_code)] // the benches use part of the tests' helpers
mod support;
mod timing;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use paddock::cache::CompileCache;
use paddock::{Deployment, Host, HostConfig, ParamValue, Plugin, PluginConfig, PluginSet, hooks};
use timing::{fmt, measure, measure_alternating, ratio};

const CHILD_ENV: &str = "PADDOCK_BENCH_CHILD";

/// Set to run one workload only, for a profiler (after one full run, which
/// writes the bundles; see BENCHMARKS.md for the commands):
/// - `fresh` / `warm`: `PROFILE_CALLS` fresh-instance / warm calls on the
///   runtime-env sample, as in table 3;
/// - `warm-one`: `PROFILE_CALLS` warm calls on one plugin;
/// - `warm-distinct`: the same number of warm calls spread over
///   `PROFILE_DISTINCT` plugins with distinct components.
///
/// Each runs its calls inside `profiled_calls`, for `--toggle-collect`.
const PROFILE_ENV: &str = "PADDOCK_BENCH_PROFILE";
const PROFILE_CALLS: usize = 2_000;
/// Plugins in `warm-distinct`: fewer than the timed table's 100, because
/// under valgrind the CPU features differ, so the cache misses and each
/// component is compiled at valgrind speed (~40 s) on the first run.
const PROFILE_DISTINCT: usize = 25;

/// The logic of the runtime-env sample, natively: the in-process floor.
trait EnvVarsPlugin {
    fn job_runtime_env_vars(&self, deployment: &Deployment, log_level: &str) -> Vec<(String, String)>;
}

struct NativeRuntimeEnv;

impl EnvVarsPlugin for NativeRuntimeEnv {
    fn job_runtime_env_vars(&self, d: &Deployment, log_level: &str) -> Vec<(String, String)> {
        let mut vars = vec![
            ("RACETRACK_JOB_NAME".to_string(), d.job_name.clone()),
            ("RACETRACK_JOB_VERSION".to_string(), d.job_version.clone()),
            ("RACETRACK_TEAM".to_string(), d.team.clone()),
            ("LOG_LEVEL".to_string(), log_level.to_string()),
        ];
        if let Some(deployer) = &d.deployer {
            vars.push(("RACETRACK_DEPLOYER".to_string(), deployer.clone()));
        }
        vars
    }
}

fn child_main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("read request");
    let request: serde_json::Value = serde_json::from_str(&input).expect("parse request");
    let deployment: Deployment = serde_json::from_value(request["deployment"].clone()).expect("deployment");
    let vars = NativeRuntimeEnv.job_runtime_env_vars(&deployment, request["log_level"].as_str().unwrap_or("info"));
    serde_json::to_writer(std::io::stdout(), &vars).expect("write response");
}

fn spawn_call(deployment: &Deployment) -> Vec<(String, String)> {
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let request = serde_json::json!({ "deployment": deployment, "log_level": "info" });
    child.stdin.take().expect("stdin").write_all(request.to_string().as_bytes()).expect("send");
    let output = child.wait_with_output().expect("child output");
    serde_json::from_slice(&output.stdout).expect("parse response")
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|pages| pages.parse::<u64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn deployment() -> Deployment {
    Deployment {
        environment: "prod".into(),
        team: "data-science".into(),
        job_name: "sentiment".into(),
        job_version: "1.4.2".into(),
        image_name: "python:3.11".into(),
        deployer: Some("alice".into()),
    }
}

fn host(cache: Option<&Path>, pooled: bool) -> Host {
    Host::with_config(HostConfig {
        cache: cache.map(CompileCache::new),
        instance_pool: if pooled { Some(paddock::PoolSize::default()) } else { None },
        ..HostConfig::default()
    })
    .expect("host")
}

fn set_of(host: &Host, plugins: impl IntoIterator<Item = (Arc<Plugin>, PluginConfig)>) -> PluginSet {
    let mut builder = PluginSet::builder(host);
    for (plugin, config) in plugins {
        builder = builder.add(plugin, config).expect("add");
    }
    builder.build().expect("set")
}

fn mode(mode: &str, extra: &[(&str, ParamValue)]) -> PluginConfig {
    let mut parameters = vec![("mode".to_string(), ParamValue::Text(mode.into()))];
    parameters.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    PluginConfig { id: None, parameters }
}

/// A bundle of `component` with a custom section appended that makes its
/// bytes, hence its sha256 and its compiled code, unique to `copy`.
fn distinct_bundle(name: &str, component: &[u8], copy: usize) -> std::path::PathBuf {
    const SECTION_NAME: &[u8] = b"paddock-bench-copy";
    let payload = copy.to_le_bytes();
    let body_len = 1 + SECTION_NAME.len() + payload.len();
    assert!(body_len < 128 && SECTION_NAME.len() < 128, "one-byte LEB128 lengths");
    let mut bytes = component.to_vec();
    bytes.extend([0u8, body_len as u8, SECTION_NAME.len() as u8]);
    bytes.extend(SECTION_NAME);
    bytes.extend(payload);
    let manifest = paddock::Manifest::parse(format!("name: {name}\nversion: 0.0.1\n").as_bytes()).expect("manifest");
    let out = support::workspace_root().join("target").join("test-bundles").join(format!("{name}.zip"));
    support::write_bundle(manifest, bytes, &[], &out)
}

/// Runs one workload for a profiler. On-demand allocation: valgrind cannot
/// reserve the pool's address space. Bundles and cache entries come from a
/// previous full run, so nothing is compiled under the profiler.
fn profile(workload: &str) {
    let host = host(Some(&support::test_cache_dir()), false);
    let bundles = support::workspace_root().join("target/test-bundles");
    let load = |name: &str| {
        Arc::new(host.load_file(&bundles.join(format!("{name}.zip"))).expect("run the full benchmark once first"))
    };
    let d = deployment();
    match workload {
        "fresh" => {
            let set = set_of(&host, [(load("runtime-env"), PluginConfig::default())]);
            profiled_calls(PROFILE_CALLS, || drop(set.call::<hooks::JobRuntimeEnvVars>(&d)));
        }
        "warm" => {
            let set = set_of(&host, [(load("runtime-env"), runtime_env_config())]);
            let mut session = set.session();
            drop(session.call::<hooks::JobRuntimeEnvVars>(&d));
            profiled_calls(PROFILE_CALLS, || drop(session.call::<hooks::JobRuntimeEnvVars>(&d)));
        }
        "warm-one" | "warm-distinct" => {
            let count = if workload == "warm-one" { 1 } else { PROFILE_DISTINCT };
            let plugins = (0..count).map(|i| (load(&format!("bench-distinct-{i:03}")), mode("behave", &[])));
            let set = set_of(&host, plugins);
            let mut session = set.session();
            drop(session.call::<hooks::JobRuntimeEnvVars>(&d));
            profiled_calls(PROFILE_CALLS / count, || drop(session.call::<hooks::JobRuntimeEnvVars>(&d)));
        }
        other => panic!("unknown {PROFILE_ENV} workload `{other}`; use fresh, warm, warm-one or warm-distinct"),
    }
}

fn runtime_env_config() -> PluginConfig {
    PluginConfig { id: None, parameters: vec![("log_level".into(), ParamValue::Text("info".into()))] }
}

#[inline(never)]
fn profiled_calls(rounds: usize, mut call: impl FnMut()) {
    for _ in 0..rounds {
        call();
    }
}

fn main() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child_main();
        return;
    }
    if let Some(workload) = std::env::var_os(PROFILE_ENV) {
        profile(workload.to_str().unwrap_or_default());
        return;
    }
    // `cargo bench` passes `--bench`; any other argument filters nothing here.
    let mut report = String::new();
    let cache_dir = tempfile::tempdir().expect("temp cache");
    let small = support::sample_bundle("runtime-env");
    let large = support::misbehaving_bundle("bench-large", 0);
    let d = deployment();

    let _ = writeln!(report, "## Machine and configuration\n");
    let _ = writeln!(
        report,
        "- {} cores, {}; wasmtime 48.0.8, Cranelift, epoch interruption, pooling allocator \
         (copy-on-write memory images are wasmtime's default), release build.",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        std::env::consts::ARCH
    );
    let _ = writeln!(
        report,
        "- Components: small = runtime-env sample, {} bytes; large = misbehaving test guest, {} bytes.\n",
        std::fs::metadata(support::component_path("runtime-env")).map(|m| m.len()).unwrap_or(0),
        std::fs::metadata(support::component_path("misbehaving")).map(|m| m.len()).unwrap_or(0),
    );

    // 1. Cold load (compile) vs warm load (deserialize from the cache).
    let _ = writeln!(
        report,
        "## 1. Load: cold compile vs warm cache\n\n| plugin | cold (compile) | warm (cache) | cold / warm |\n|---|---|---|---|"
    );
    for (label, bundle) in [("small", &small), ("large", &large)] {
        let uncached = host(None, true);
        let cold = measure(10, || drop(uncached.load_file(bundle).expect("load")));
        let cached = host(Some(cache_dir.path()), true);
        cached.load_file(bundle).expect("prime cache");
        let warm = measure(50, || drop(cached.load_file(bundle).expect("load")));
        let _ = writeln!(
            report,
            "| {label} | {} | {} | {} |",
            fmt(cold.median),
            fmt(warm.median),
            ratio(cold.median, warm.median)
        );
    }

    // 2. Fresh instance + a skipped call (the cost of a new instance), pooled vs on-demand, 1 and 2 threads.
    let _ = writeln!(
        report,
        "\n## 2. Fresh instance per call (instantiate + a hook the plugin skips)\n\n| allocator | threads | p50 | p99 |\n|---|---|---|---|"
    );
    for pooled in [true, false] {
        let host = host(Some(cache_dir.path()), pooled);
        let recorder = Arc::new(host.load_file(&support::sample_bundle("deploy-recorder")).expect("load"));
        let set = Arc::new(set_of(&host, [(recorder, PluginConfig::default())]));
        for threads in [1, 2] {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let set = set.clone();
                    std::thread::spawn(move || {
                        measure(2_000, || drop(set.call::<hooks::JobRuntimeEnvVars>(&deployment())))
                    })
                })
                .collect();
            for handle in handles {
                let stats = handle.join().expect("thread");
                let _ = writeln!(
                    report,
                    "| {} | {threads} | {} | {} |",
                    if pooled { "pooling" } else { "on-demand" },
                    fmt(stats.median),
                    fmt(stats.p99)
                );
            }
        }
    }

    // 2b. A hook the component does not export: known at load, so skipped
    // with no instance at all, next to a hook it exports but skips.
    let _ = writeln!(
        report,
        "\n## 2b. A skipped hook: not exported (known at load) vs exported but not implemented\n\n| skipped hook | p50 | p99 | ratio |\n|---|---|---|---|"
    );
    {
        let host = host(Some(cache_dir.path()), true);
        let partial = Arc::new(
            host.load_file(&support::wat_bundle("bench-partial", &support::dockerfile_only_component())).expect("load"),
        );
        let recorder = Arc::new(host.load_file(&support::sample_bundle("deploy-recorder")).expect("load"));
        let not_exported = set_of(&host, [(partial, PluginConfig::default())]);
        let not_implemented = set_of(&host, [(recorder, PluginConfig::default())]);
        let absent = measure(20_000, || drop(not_exported.call::<hooks::JobRuntimeEnvVars>(&d)));
        let instantiated = measure(2_000, || drop(not_implemented.call::<hooks::JobRuntimeEnvVars>(&d)));
        let _ = writeln!(
            report,
            "| not exported: no instance | {} | {} | 1.0x |\n| exported, returns not-implemented: fresh instance | {} | {} | {} |",
            fmt(absent.median),
            fmt(absent.p99),
            fmt(instantiated.median),
            fmt(instantiated.p99),
            ratio(instantiated.median, absent.median)
        );
    }

    // 3. One small hook call: warm wasm vs native trait object vs spawn per call.
    let host = host(Some(cache_dir.path()), true);
    let runtime_env = Arc::new(host.load_file(&small).expect("load"));
    let env_config = runtime_env_config();
    let set = set_of(&host, [(runtime_env.clone(), env_config.clone())]);
    let expected = NativeRuntimeEnv.job_runtime_env_vars(&d, "info");
    assert_eq!(set.call::<hooks::JobRuntimeEnvVars>(&d)[0].status.ok(), Some(&expected), "wasm and native agree");
    assert_eq!(spawn_call(&d), expected, "subprocess and native agree");
    let native: Box<dyn EnvVarsPlugin> = Box::new(NativeRuntimeEnv);
    let native_stats = measure(100_000, || drop(std::hint::black_box(native.job_runtime_env_vars(&d, "info"))));
    let mut session = set.session();
    let warm = measure(20_000, || drop(session.call::<hooks::JobRuntimeEnvVars>(&d)));
    let fresh = measure(5_000, || drop(set.call::<hooks::JobRuntimeEnvVars>(&d)));
    let spawn = measure(200, || drop(spawn_call(&d)));
    let _ = writeln!(
        report,
        "\n## 3. One hook call, small payload (job-runtime-env-vars of runtime-env)\n\n| how | median | p99 | vs native | spawn / this |\n|---|---|---|---|---|"
    );
    for (label, stats) in [
        ("native trait object (floor)", &native_stats),
        ("wasm, warm instance (Session)", &warm),
        ("wasm, fresh instance (default)", &fresh),
        ("native process spawned per call, JSON over stdio", &spawn),
    ] {
        let _ = writeln!(
            report,
            "| {label} | {} | {} | {} | {} |",
            fmt(stats.median),
            fmt(stats.p99),
            ratio(stats.median, native_stats.median),
            ratio(spawn.median, stats.median)
        );
    }

    // 3b. The same small call through each WIT version's call shape: a
    // 0.1.0 plugin (one hook-context record) and a 0.2 plugin (plugin
    // context, then the deployment), warm, timed alternately.
    {
        let team_labels = Arc::new(host.load_file(&support::sample_bundle("team-labels")).expect("load"));
        let old = set_of(&host, [(runtime_env.clone(), env_config.clone())]);
        let new = set_of(&host, [(team_labels, PluginConfig::default())]);
        let (mut old_session, mut new_session) = (old.session(), new.session());
        let (v01, v02) = measure_alternating(
            20_000,
            || drop(old_session.call::<hooks::JobRuntimeEnvVars>(&d)),
            || drop(new_session.call::<hooks::JobRuntimeEnvVars>(&d)),
        );
        let _ = writeln!(
            report,
            "\n## 3b. The call shape of each WIT version (warm job-runtime-env-vars)\n\n| plugin | WIT | median | p99 | ratio |\n|---|---|---|---|---|\n| runtime-env (6 vars) | `paddock:plugin@0.1.0` | {} | {} | 1.0x |\n| team-labels (2 vars) | `paddock:racetrack@0.2.0` | {} | {} | {} |",
            fmt(v01.median),
            fmt(v01.p99),
            fmt(v02.median),
            fmt(v02.p99),
            ratio(v02.median, v01.median)
        );
    }

    // 4. Large payloads through the boundary.
    let large_plugin = Arc::new(host.load_file(&large).expect("load"));
    let _ = writeln!(
        report,
        "\n## 4. Large payloads (warm instance)\n\n| payload | bytes moved | median | throughput |\n|---|---|---|---|"
    );
    let script = "echo 'a line of a bootstrap script that is exactly sixty-four b'\n".repeat(16_384);
    let cases: Vec<(&str, PluginConfig, usize)> = vec![
        ("1 000 Dockerfile lines (out)", mode("lines", &[("count", ParamValue::Integer(1_000))]), 0),
        ("1 000 env vars (out)", mode("vars", &[("count", ParamValue::Integer(1_000))]), 1),
        ("1 MiB bootstrap script (in and out)", mode("echo", &[("script", ParamValue::Text(script.clone()))]), 2),
    ];
    for (label, config, which) in cases {
        let set = set_of(&host, [(large_plugin.clone(), config)]);
        let mut session = set.session();
        let bytes = match which {
            0 => session.call::<hooks::DockerfileInjection>(&d)[0]
                .status
                .ok()
                .expect("lines")
                .iter()
                .map(String::len)
                .sum::<usize>(),
            1 => session.call::<hooks::JobRuntimeEnvVars>(&d)[0]
                .status
                .ok()
                .expect("vars")
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum(),
            _ => {
                2 * session.call::<hooks::BootstrapInjection>(&d)[0]
                    .status
                    .ok()
                    .expect("script")
                    .as_ref()
                    .expect("some")
                    .len()
            }
        };
        let stats = match which {
            0 => measure(200, || drop(session.call::<hooks::DockerfileInjection>(&d))),
            1 => measure(200, || drop(session.call::<hooks::JobRuntimeEnvVars>(&d))),
            _ => measure(200, || drop(session.call::<hooks::BootstrapInjection>(&d))),
        };
        let _ = writeln!(
            report,
            "| {label} | {bytes} | {} | {:.0} MB/s |",
            fmt(stats.median),
            bytes as f64 / stats.median.as_secs_f64() / 1e6
        );
    }

    // 5. One hook across 1, 10 and 100 plugins. 6. Memory per plugin and per instance.
    // Two kinds of plugin set: 100 plugins built from one component (the host
    // shares its compiled code), and 100 components that differ only in a
    // custom section, so each has its own compiled code, as distinct plugins do.
    let misbehaving = std::fs::read(support::component_path("misbehaving")).expect("read component");
    let mut kinds = Vec::new();
    for (kind, distinct) in [("one component", false), ("distinct components", true)] {
        let rss_before_load = rss_bytes();
        let plugins: Vec<Arc<Plugin>> = (0..100)
            .map(|i| {
                let name = format!("bench-{}-{i:03}", if distinct { "distinct" } else { "shared" });
                let bundle = if distinct {
                    distinct_bundle(&name, &misbehaving, i)
                } else {
                    support::misbehaving_bundle(&name, (i % 7) as i32)
                };
                Arc::new(host.load_file(&bundle).expect("load"))
            })
            .collect();
        let per_plugin_kib = rss_bytes().saturating_sub(rss_before_load) / 100 / 1024;
        kinds.push((kind, plugins, per_plugin_kib));
    }
    // Measured before any of these plugins ran, while their pool slots are
    // still untouched: afterwards a slot keeps its pages resident for reuse.
    let (_, distinct_plugins, _) = &kinds[1];
    let set = set_of(&host, distinct_plugins.iter().map(|p| (p.clone(), mode("behave", &[]))));
    let mut session = set.session();
    let rss_before_instances = rss_bytes();
    drop(session.call::<hooks::JobRuntimeEnvVars>(&d));
    let rss_after_instances = rss_bytes();
    drop(session);
    let _ = writeln!(
        report,
        "\n## 5. One hook across many plugins\n\n| plugins (N) | built from | instances | N plugins, median | N calls to one plugin, median | per plugin | ratio |\n|---|---|---|---|---|---|---|"
    );
    for (kind, plugins, _) in &kinds {
        for warm in [false, true] {
            let one_set = set_of(&host, plugins.iter().take(1).map(|p| (p.clone(), mode("behave", &[]))));
            let mut one_session = one_set.session();
            for count in [10usize, 100] {
                let set = set_of(&host, plugins.iter().take(count).map(|p| (p.clone(), mode("behave", &[]))));
                let mut session = set.session();
                // The baseline (one plugin called `count` times) and the set
                // run alternately, so drift on a shared machine hits both.
                let (one, many) = if warm {
                    measure_alternating(
                        200,
                        || (0..count).for_each(|_| drop(one_session.call::<hooks::JobRuntimeEnvVars>(&d))),
                        || drop(session.call::<hooks::JobRuntimeEnvVars>(&d)),
                    )
                } else {
                    measure_alternating(
                        200,
                        || (0..count).for_each(|_| drop(one_set.call::<hooks::JobRuntimeEnvVars>(&d))),
                        || drop(set.call::<hooks::JobRuntimeEnvVars>(&d)),
                    )
                };
                let _ = writeln!(
                    report,
                    "| {count} | {kind} | {} | {} | {} | {} | {} |",
                    if warm { "warm (Session)" } else { "fresh per call" },
                    fmt(many.median),
                    fmt(one.median),
                    fmt(many.median / count as u32),
                    ratio(many.median, one.median)
                );
            }
        }
    }
    let _ = writeln!(
        report,
        "\n## 6. Memory (resident set, /proc/self/statm)\n\n| what | per item |\n|---|---|\n\
         | loaded plugin, 100 distinct components (compiled code + InstancePre each) | {} KiB |\n\
         | loaded plugin, 100 plugins of one component (shared code) | {} KiB |\n\
         | live warm instance, 100 alive in a Session | {} KiB |",
        kinds[1].2,
        kinds[0].2,
        (rss_after_instances.saturating_sub(rss_before_instances)) / 100 / 1024
    );

    // 7. The CLI end to end, warm cache vs no cache.
    let bundles = tempfile::tempdir().expect("bundles dir");
    for sample in support::SAMPLES {
        std::fs::copy(support::sample_bundle(sample), bundles.path().join(format!("{sample}.zip"))).expect("copy");
    }
    let cli_cache = tempfile::tempdir().expect("cli cache");
    let run_cli = |extra: &[&str]| {
        let status = Command::new(env!("CARGO_BIN_EXE_paddock"))
            .args(["run", "all", "--plugins"])
            .arg(bundles.path())
            .arg("--context")
            .arg(support::workspace_root().join("sample-plugins").join("context.yaml"))
            .args(extra)
            .stdout(Stdio::null())
            .status()
            .expect("run paddock");
        assert!(status.success());
    };
    let cache_arg = cli_cache.path().to_str().expect("utf-8 path");
    run_cli(&["--cache-dir", cache_arg]);
    let cli_warm = measure(10, || run_cli(&["--cache-dir", cache_arg]));
    let cli_cold = measure(10, || run_cli(&["--no-cache"]));
    let _ = writeln!(
        report,
        "\n## 7. `paddock run all` on the sample set, end to end\n\n| cache | median | cold / warm |\n|---|---|---|\n| warm | {} | |\n| none (compile every plugin) | {} | {} |",
        fmt(cli_warm.median),
        fmt(cli_cold.median),
        ratio(cli_cold.median, cli_warm.median)
    );

    print!("{report}");
    let out = support::workspace_root().join("target").join("BENCHMARKS.generated.md");
    std::fs::write(&out, &report).expect("write report");
    eprintln!("\nwritten to {}", out.display());
}
