//! The precompiled cache: a warm load is a deserialize, results do not
//! change, damaged entries are replaced, and the CLI can show and clear it.

use paddock::cache::{CompileCache, CompileOrigin};
use paddock::{Deployment, Host, HostConfig, PluginConfig, PluginSet, hooks};

use crate::support::{self, paddock, sample_bundle};

fn host_with_cache(dir: &std::path::Path) -> Host {
    Host::with_config(HostConfig { cache: Some(CompileCache::new(dir)), ..HostConfig::default() }).unwrap()
}

fn env_vars(host: &Host, plugin: paddock::Plugin) -> Vec<paddock::Outcome<Vec<(String, String)>>> {
    let set = PluginSet::builder(host).add(plugin, PluginConfig::default()).unwrap().build().unwrap();
    set.call::<hooks::JobRuntimeEnvVars>(&Deployment { job_name: "j".into(), ..Deployment::default() })
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

/// The cache entry of the component with `sha256` (the only engine dir).
fn entry_path(cache: &CompileCache, sha256: &str) -> std::path::PathBuf {
    let entry = cache.entries().unwrap().into_iter().find(|e| e.path.to_string_lossy().contains(sha256)).unwrap();
    entry.path
}

#[test]
fn a_changed_byte_anywhere_in_an_entry_is_caught_before_it_is_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let host = host_with_cache(dir.path());
    let bundle = sample_bundle("hello-world");
    let plugin = host.load_file(&bundle).unwrap();
    let path = entry_path(host.cache().unwrap(), plugin.component_sha256());
    let expected = env_vars(&host, plugin);
    let original = std::fs::read(&path).unwrap();
    // Offsets spread over the header, the ELF headers, code and data, the end.
    let mut offsets: Vec<usize> = (0..40).map(|i| i * original.len() / 40).collect();
    offsets.extend([0, 16, 47, 48, 49, original.len() - 1]);
    for offset in offsets {
        let mut damaged = original.clone();
        damaged[offset] ^= 0x01;
        std::fs::write(&path, &damaged).unwrap();
        // A fresh host, as another process would be: nothing shared in memory.
        let other = host_with_cache(dir.path());
        let reloaded = other.load_file(&bundle).unwrap();
        assert_eq!(reloaded.load_stats().origin, CompileOrigin::CompiledAndCached, "byte {offset}");
        assert_eq!(env_vars(&other, reloaded), expected, "byte {offset}");
        assert_eq!(std::fs::read(&path).unwrap(), original, "byte {offset}: the entry is rewritten");
    }
    // A truncated entry too.
    std::fs::write(&path, &original[..original.len() / 2]).unwrap();
    let other = host_with_cache(dir.path());
    assert_eq!(other.load_file(&bundle).unwrap().load_stats().origin, CompileOrigin::CompiledAndCached);
}

#[test]
fn an_entry_or_engine_directory_that_is_a_symlink_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let host = host_with_cache(&cache_dir);
    let bundle = sample_bundle("hello-world");
    let plugin = host.load_file(&bundle).unwrap();
    let entry = entry_path(host.cache().unwrap(), plugin.component_sha256());
    let expected = env_vars(&host, plugin);

    // A good entry moved out of the cache, linked back in its place: only
    // the link makes it look like the cache's, so it must not be read.
    let elsewhere = dir.path().join("elsewhere.cwasm");
    std::fs::rename(&entry, &elsewhere).unwrap();
    let outside = std::fs::read(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    let other = host_with_cache(&cache_dir);
    let reloaded = other.load_file(&bundle).unwrap();
    assert_eq!(reloaded.load_stats().origin, CompileOrigin::CompiledAndCached);
    assert_eq!(env_vars(&other, reloaded), expected);
    // Paddock's atomic write replaced the link itself, not what it points at.
    assert!(std::fs::symlink_metadata(&entry).unwrap().file_type().is_file());
    assert_eq!(std::fs::read(&elsewhere).unwrap(), outside);
    assert_eq!(host_with_cache(&cache_dir).load_file(&bundle).unwrap().load_stats().origin, CompileOrigin::FromCache);

    // An engine directory replaced by a link to one outside the cache is
    // neither read nor written through.
    let engine_dir = entry.parent().unwrap().to_path_buf();
    let outside_dir = dir.path().join("outside-engine");
    std::fs::rename(&engine_dir, &outside_dir).unwrap();
    std::fs::remove_file(outside_dir.join(entry.file_name().unwrap())).unwrap();
    std::os::unix::fs::symlink(&outside_dir, &engine_dir).unwrap();
    let listing = |dir: &std::path::Path| {
        let mut files: Vec<_> = walk(dir).into_iter().map(|path| (std::fs::read(&path).unwrap(), path)).collect();
        files.sort();
        files
    };
    let before = listing(&outside_dir);
    let other = host_with_cache(&cache_dir);
    let reloaded = other.load_file(&bundle).unwrap();
    assert_eq!(reloaded.load_stats().origin, CompileOrigin::Compiled, "compiled, and the cache left unwritten");
    assert_eq!(env_vars(&other, reloaded), expected);
    assert_eq!(listing(&outside_dir), before);
    assert!(std::fs::symlink_metadata(&engine_dir).unwrap().file_type().is_symlink(), "the link is left alone");
}

#[test]
fn swapped_entries_are_recompiled_not_run_as_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let host = host_with_cache(dir.path());
    let (hello, env) = (sample_bundle("hello-world"), sample_bundle("runtime-env"));
    let (a, b) = (host.load_file(&hello).unwrap(), host.load_file(&env).unwrap());
    let (path_a, path_b) = (
        entry_path(host.cache().unwrap(), a.component_sha256()),
        entry_path(host.cache().unwrap(), b.component_sha256()),
    );
    let (expected_a, expected_b) = (env_vars(&host, a), env_vars(&host, b));
    let swap = path_a.with_extension("swap");
    std::fs::rename(&path_a, &swap).unwrap();
    std::fs::rename(&path_b, &path_a).unwrap();
    std::fs::rename(&swap, &path_b).unwrap();

    let other = host_with_cache(dir.path());
    let (a, b) = (other.load_file(&hello).unwrap(), other.load_file(&env).unwrap());
    assert_eq!(a.load_stats().origin, CompileOrigin::CompiledAndCached);
    assert_eq!(b.load_stats().origin, CompileOrigin::CompiledAndCached);
    assert_eq!(env_vars(&other, a), expected_a);
    assert_eq!(env_vars(&other, b), expected_b);
}

#[test]
fn a_cache_directory_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let error = Host::with_config(HostConfig { cache: Some(CompileCache::new(&cache)), ..HostConfig::default() })
        .unwrap_err()
        .to_string();
    assert!(error.contains("writable by its group or by everyone (mode 777)"), "{error}");
    assert!(error.contains("--no-cache"), "{error}");
    let cli = paddock(&[
        "run",
        "all",
        "--plugins",
        sample_bundle("hello-world").to_str().unwrap(),
        "--context",
        "sample-plugins/context.yaml",
        "--cache-dir",
        cache.to_str().unwrap(),
    ]);
    assert_eq!(cli.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cli.stderr).contains("anyone who can write there can run code in Paddock"));

    // Owned by another user (the tests may run as root, who can chown).
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    if rustix::process::geteuid().is_root() {
        std::os::unix::fs::chown(&cache, Some(65_534), Some(65_534)).unwrap();
        let error = CompileCache::new(&cache).check().unwrap_err().to_string();
        assert!(error.contains("is owned by uid 65534, not by the user running Paddock (uid 0)"), "{error}");
    }
}

#[test]
fn clearing_removes_only_what_paddock_wrote_and_never_follows_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let host = host_with_cache(&cache_dir);
    let plugin = host.load_file(&sample_bundle("hello-world")).unwrap();
    let entry = entry_path(host.cache().unwrap(), plugin.component_sha256());
    let engine_dir = entry.parent().unwrap().to_path_buf();
    let sha = "0".repeat(64);

    // Someone's files that merely look like cache files.
    let theirs = [
        engine_dir.join("notes.cwasm"),
        engine_dir.join("README"),
        cache_dir.join("work").join(format!("{sha}.cwasm")),
        cache_dir.join(format!("{sha}.cwasm")),
    ];
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let outside_file = outside.join(format!("{sha}.cwasm"));
    for file in theirs.iter().chain([&outside_file]) {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, b"not paddock's").unwrap();
    }
    // A symlink named like an engine directory, and one like an entry.
    std::os::unix::fs::symlink(&outside, cache_dir.join("0123456789abcdef")).unwrap();
    std::os::unix::fs::symlink(&outside_file, engine_dir.join(format!("{}.cwasm", "1".repeat(64)))).unwrap();
    // Partial writes: one of a process that is gone, one of this one.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let stale = engine_dir.join(format!(".{sha}.{gone_pid}-0.tmp"));
    let live = engine_dir.join(format!(".{sha}.{}-0.tmp", std::process::id()));
    std::fs::write(&stale, b"partial").unwrap();
    std::fs::write(&live, b"partial").unwrap();

    let dir_arg = cache_dir.to_str().unwrap();
    let show = String::from_utf8_lossy(&paddock(&["cache", "--cache-dir", dir_arg]).stdout).into_owned();
    assert!(show.contains("1 components, 2 partial files"), "{show}");
    assert!(show.contains("left by a process that is gone") && !show.contains("notes.cwasm"), "{show}");
    let clear = paddock(&["cache", "--clear", "--cache-dir", dir_arg]);
    let clear_out = String::from_utf8_lossy(&clear.stdout);
    assert!(clear_out.contains("removed 1 cached components and 1 stale partial files"), "{clear_out}");

    assert!(!entry.exists() && !stale.exists());
    assert!(live.exists(), "a live writer's partial file is left alone");
    for file in theirs.iter().chain([&outside_file]) {
        assert_eq!(std::fs::read(file).unwrap(), b"not paddock's", "{}", file.display());
    }
    assert!(engine_dir.join(format!("{}.cwasm", "1".repeat(64))).symlink_metadata().is_ok());
}

#[test]
fn a_failed_cache_write_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let bundle = sample_bundle("docker-layers");
    // The entry is far larger than 64 KiB; the bundle is read, not written.
    let mut command = std::process::Command::new("sh");
    command.args([
        "-c",
        &format!("ulimit -f 128 && exec \"$0\" precompile {} --cache-dir {}", bundle.display(), cache_dir.display()),
    ]);
    command.arg(env!("CARGO_BIN_EXE_paddock")); // the script's $0
    let output = support::output_within(command, std::time::Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write cache entry"), "{stderr}");
    let left: Vec<_> = walk(&cache_dir);
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Every file below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().unwrap().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}
