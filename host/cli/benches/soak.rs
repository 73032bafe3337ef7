//! Soak: `cargo bench --bench soak`. Loads 200 plugins and runs 100 000
//! hook calls (500 runs of one hook across all of them, a fresh instance per
//! call), with misbehaving plugins (timeouts, traps, memory limits) among them, and reports resident memory as it goes. Memory must stay
//! flat: every store is dropped after its call, whatever happened in it.

#[path = "../../../tests/support/mod.rs"]
#[allow(dead_code)] // the benches use part of the tests' helpers
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use paddock::{Deployment, Host, HostConfig, Limits, ParamValue, PluginConfig, PluginSet, Status, hooks};

const PLUGINS: usize = 200;
const CALLS: usize = 100_000;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|pages| pages.parse::<u64>().ok()))
        .map(|pages| (pages * 4096) as f64 / (1024.0 * 1024.0))
        .unwrap_or(0.0)
}

fn main() {
    let limits = Limits { hook_timeout: Duration::from_millis(20), memory_bytes: 32 << 20, ..Limits::default() };
    let host = Host::with_config(HostConfig { limits, ..support::host_config() }).expect("host");
    let component = Arc::new(host.load_file(&support::misbehaving_bundle("soak-template", 0)).expect("load"));
    drop(component);

    let rss_start = rss_mib();
    let mut builder = PluginSet::builder(&host);
    for i in 0..PLUGINS {
        let plugin =
            host.load_file(&support::misbehaving_bundle(&format!("soak-{i:03}"), (i % 5) as i32)).expect("load");
        let mode = match (i % 50, i % 10) {
            (3, _) => "loop",
            (_, 6) => "panic",
            (9 | 34, _) => "alloc",
            _ => "behave",
        };
        let config = PluginConfig { id: None, parameters: vec![("mode".into(), ParamValue::Text(mode.into()))] };
        builder = builder.add(plugin, config).expect("add");
    }
    let set = builder.build().expect("set");
    let rss_loaded = rss_mib();
    println!("RSS at start {rss_start:.1} MiB; after loading {PLUGINS} plugins {rss_loaded:.1} MiB");

    let deployment = Deployment { team: "soak".into(), ..Deployment::default() };
    let started = Instant::now();
    let (mut ok, mut failed) = (0usize, 0usize);
    let runs = CALLS / PLUGINS;
    for run in 0..runs {
        // `deploy` misbehaves in the chosen slots; every other plugin succeeds.
        for outcome in set.call::<hooks::Deploy>(&deployment) {
            match outcome.status {
                Status::Ok(_) => ok += 1,
                Status::Failed(_) => failed += 1,
                Status::Skipped | Status::NotRun => {}
            }
        }
        if run % 100 == 0 || run + 1 == runs {
            println!("after {:>6} calls: RSS {:.1} MiB", (run + 1) * PLUGINS, rss_mib());
        }
    }
    let rss_end = rss_mib();
    println!(
        "{} calls in {:.1} s: {ok} ok, {failed} failed as intended; RSS after loading {rss_loaded:.1} MiB, at end {rss_end:.1} MiB ({:+.1} MiB)",
        ok + failed,
        started.elapsed().as_secs_f64(),
        rss_end - rss_loaded
    );
}
