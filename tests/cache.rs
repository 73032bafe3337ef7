//! The precompiled cache: a warm load is a deserialize, results do not
//! change, damaged entries are replaced, and the CLI can show and clear it.

mod support;

use paddock::cache::{CompileCache, CompileOrigin};
use paddock::{Deployment, Host, HostConfig, PluginConfig, PluginSet};
use support::{paddock, sample_bundle};

fn host_with_cache(dir: &std::path::Path) -> Host {
    Host::with_config(HostConfig { cache: Some(CompileCache::new(dir)), ..HostConfig::default() }).unwrap()
}

fn env_vars(host: &Host, plugin: paddock::Plugin) -> Vec<paddock::Outcome<Vec<(String, String)>>> {
    let set = PluginSet::builder(host).add(plugin, PluginConfig::default()).unwrap().build().unwrap();
    set.job_runtime_env_vars(&Deployment { job_name: "j".into(), ..Deployment::default() })
}

#[test]
fn second_load_comes_from_the_cache_with_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let host = host_with_cache(dir.path());
    let bundle = sample_bundle("runtime-env");

    let cold = host.load_file(&bundle).unwrap();
    assert_eq!(cold.load_stats().origin, CompileOrigin::CompiledAndCached);
    let sha256 = cold.component_sha256().to_string();
    let expected = env_vars(&host, cold); // drops the plugin

    let warm = host.load_file(&bundle).unwrap();
    assert_eq!(warm.load_stats().origin, CompileOrigin::FromCache);
    // While one plugin holds the component, another load shares it.
    let shared = host.load_file(&bundle).unwrap();
    assert_eq!(shared.load_stats().origin, CompileOrigin::AlreadyLoaded);
    assert_eq!(env_vars(&host, warm), expected);
    assert_eq!(env_vars(&host, shared), expected);

    // Another host (another process, in real life) reuses the entry.
    let other = host_with_cache(dir.path());
    assert_eq!(other.load_file(&bundle).unwrap().load_stats().origin, CompileOrigin::FromCache);

    let entries = host.cache().unwrap().entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].path.to_string_lossy().ends_with(&format!("{sha256}.cwasm")));
}

#[test]
fn a_damaged_entry_is_recompiled_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let host = host_with_cache(dir.path());
    let bundle = sample_bundle("hello-world");
    let expected = env_vars(&host, host.load_file(&bundle).unwrap());
    let entry = host.cache().unwrap().entries().unwrap().remove(0);
    std::fs::write(&entry.path, b"not a precompiled component").unwrap();

    let reloaded = host.load_file(&bundle).unwrap();
    assert_eq!(reloaded.load_stats().origin, CompileOrigin::CompiledAndCached);
    assert_eq!(env_vars(&host, reloaded), expected);
    assert_eq!(host.load_file(&bundle).unwrap().load_stats().origin, CompileOrigin::FromCache);
}

#[test]
fn without_a_cache_every_load_compiles() {
    let host = Host::with_config(HostConfig { cache: None, ..HostConfig::default() }).unwrap();
    let plugin = host.load_file(&sample_bundle("docker-layers")).unwrap();
    assert_eq!(plugin.load_stats().origin, CompileOrigin::Compiled);
}

#[test]
fn the_cli_precompiles_shows_and_clears_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().to_str().unwrap();
    let bundle = sample_bundle("deploy-recorder");
    let bundle = bundle.to_str().unwrap();

    let first = paddock(&["precompile", bundle, "--cache-dir", cache_dir]);
    assert!(first.status.success());
    assert!(String::from_utf8_lossy(&first.stdout).contains("deploy-recorder 0.2.0: compiled and cached in"));
    let second = paddock(&["precompile", bundle, "--cache-dir", cache_dir]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("deploy-recorder 0.2.0: already cached in"));

    // Compiling needs no grants: the operator decides those at run time.
    let declaring = support::misbehaving_bundle_with("precompiled-proxy-user", "capabilities:\n  env: [HTTP_PROXY]\n");
    let ungranted = paddock(&["precompile", declaring.to_str().unwrap(), "--cache-dir", cache_dir]);
    assert!(ungranted.status.success(), "{}", String::from_utf8_lossy(&ungranted.stdout));

    let show = String::from_utf8_lossy(&paddock(&["cache", "--cache-dir", cache_dir]).stdout).into_owned();
    assert!(show.contains("2 components"), "{show}");
    let clear = String::from_utf8_lossy(&paddock(&["cache", "--clear", "--cache-dir", cache_dir]).stdout).into_owned();
    assert!(clear.contains("removed 2 cached components"), "{clear}");
    assert!(CompileCache::new(dir.path()).entries().unwrap().is_empty());
}
