//! Shared by the integration tests (and the benches): builds every guest
//! from source once per process (cargo makes later builds no-ops), bundles
//! them, and crafts archives.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use paddock::cache::CompileCache;
use paddock::{Host, HostConfig, Manifest};
use paddock_build::{ComponentSource, GUEST_TARGET, bundle_plugin_dir};

/// The four sample plugins, in the order the tests configure them.
pub const SAMPLES: [&str; 4] = ["hello-world", "runtime-env", "docker-layers", "deploy-recorder"];

/// Guests built for the tests: the samples plus test-only ones.
const GUEST_CRATES: [&str; 21] = [
    "hello-world",
    "runtime-env",
    "docker-layers",
    "deploy-recorder",
    "team-labels",
    "job-notifier",
    "python3-job-type",
    "infra-targets",
    "custom-cfn",
    "ray",
    "devstack-template",
    "devstack-database",
    "devstack-api",
    "myplugin",
    "incrementer",
    "misbehaving",
    "foreign-imports",
    "startup-loop",
    "devstack-echo",
    "tutor-probe",
    "provider-probe",
];

/// The checkout: the tests and benches are targets of the CLI package, at
/// `host/cli/`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("host/cli/ is two levels down").to_path_buf()
}

/// A target dir of its own, so the nested cargo never waits on the lock of
/// the `cargo test` that runs us.
pub fn guest_target_dir() -> PathBuf {
    workspace_root().join("target").join("guest-build")
}

fn out_dir() -> PathBuf {
    let dir = workspace_root().join("target").join("test-bundles");
    std::fs::create_dir_all(&dir).expect("create target/test-bundles");
    dir
}

/// Builds every guest once per process and returns the release artifact dir.
fn built_guests() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command
            .current_dir(workspace_root())
            .args(["build", "--release", "--target", GUEST_TARGET, "--target-dir"])
            .arg(guest_target_dir());
        for guest in GUEST_CRATES {
            command.args(["-p", guest]);
        }
        let status = command.status().expect("run cargo to build the guests");
        assert!(status.success(), "building the guests failed");
        guest_target_dir().join(GUEST_TARGET).join("release")
    })
}

/// The component of a guest crate.
pub fn component_path(crate_name: &str) -> PathBuf {
    built_guests().join(format!("{}.wasm", crate_name.replace('-', "_")))
}

pub fn component_bytes(crate_name: &str) -> Vec<u8> {
    std::fs::read(component_path(crate_name)).expect("read built component")
}

/// The tests' compile cache, inside target/ so runs never touch the user's.
pub fn test_cache_dir() -> PathBuf {
    workspace_root().join("target").join("test-cache")
}

/// Default host settings with the tests' cache.
pub fn host_config() -> HostConfig {
    HostConfig { cache: Some(CompileCache::new(test_cache_dir())), ..HostConfig::default() }
}

/// A shared host with default limits.
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::with_config(host_config()).expect("host"))
}

/// The bundle of a sample plugin, built through `paddock_build` like
/// `paddock bundle --wasm` does.
pub fn sample_bundle(name: &str) -> PathBuf {
    static BUNDLED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let out = out_dir().join(format!("{name}.zip"));
    let mut bundled = BUNDLED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if bundled.insert(name.to_string()) {
        let dir = workspace_root().join("sample-plugins").join(name);
        bundle_plugin_dir(host(), &dir, &ComponentSource::Prebuilt(component_path(name)), Some(&out))
            .expect("bundle sample");
    }
    out
}

/// A bundle of the misbehaving guest under `name` with `priority`.
pub fn misbehaving_bundle(name: &str, priority: i32) -> PathBuf {
    misbehaving_bundle_with(name, &format!("priority: {priority}\n"))
}

/// A bundle of the misbehaving guest under `name`, with `extra` manifest YAML.
pub fn misbehaving_bundle_with(name: &str, extra: &str) -> PathBuf {
    misbehaving_bundle_with_files(name, extra, &[])
}

/// A bundle of the misbehaving guest under `name`, with `extra` manifest
/// YAML and `files` shipped under `files/`.
pub fn misbehaving_bundle_with_files(name: &str, extra: &str, files: &[paddock::BundleFile]) -> PathBuf {
    let manifest = Manifest::parse(format!("name: {name}\nversion: 0.0.1\n{extra}").as_bytes()).expect("manifest");
    write_bundle(manifest, component_bytes("misbehaving"), files, &out_dir().join(format!("{name}.zip")))
}

/// Writes a bundle of `manifest`, `component` and `files` to `out`.
pub fn write_bundle(manifest: Manifest, component: Vec<u8>, files: &[paddock::BundleFile], out: &Path) -> PathBuf {
    let limits = paddock::BundleLimits::default();
    let bundle = paddock::Bundle::new(manifest, component, files.to_vec(), &limits).expect("bundle");
    bundle.write(out, &limits).expect("write bundle");
    out.to_path_buf()
}

/// The Racetrack job record the tests pass to job hooks.
pub fn job_record() -> paddock::hooks::racetrack::JobRecord {
    paddock::hooks::racetrack::JobRecord {
        name: "sentiment".into(),
        version: "1.4.2".into(),
        status: "running".into(),
        id: "8f14e45f".into(),
        create_time: "2026-11-30T10:00:00Z".into(),
        update_time: "2026-12-01T09:30:00Z".into(),
        deploy_time: Some("2026-12-01T09:30:00Z".into()),
        infrastructure_target: Some("kubernetes".into()),
        deployed_by: Some("alice".into()),
        internal_name: None,
    }
}

/// The deployment context the tests pass to hooks.
pub fn deployment() -> paddock::Deployment {
    paddock::Deployment {
        environment: "dev-env".into(),
        team: "data-science".into(),
        job_name: "sentiment".into(),
        job_version: "1.4.2".into(),
        image_name: "jupyter:1".into(),
        deployer: Some("alice".into()),
    }
}

/// A zip holding `entries` (name, bytes), deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("start entry");
        zip.write_all(bytes).expect("write entry");
    }
    zip.finish().expect("finish zip").into_inner()
}

pub const GOOD_MANIFEST: &[u8] = b"name: crafted\nversion: 1.0.0\n";

/// The `paddock` binary, set up as the tests run it.
pub fn paddock_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paddock"));
    command
        .args(args)
        .current_dir(workspace_root())
        .env("PADDOCK_LOG", "warn")
        .env(paddock::cache::CACHE_DIR_ENV, test_cache_dir());
    command
}

/// Runs the `paddock` binary.
pub fn paddock(args: &[&str]) -> std::process::Output {
    paddock_command(args).output().expect("run paddock")
}

/// Runs `command` to completion, killing it and failing the test if it
/// takes longer than `limit`: for commands whose bug is a hang.
pub fn output_within(mut command: Command, limit: std::time::Duration) -> std::process::Output {
    use std::process::Stdio;
    let started = std::time::Instant::now();
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null()).spawn().expect("spawn");
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} was still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

/// A component from a hand-written core module in `tests/wat/`, with
/// Paddock's WIT world embedded, for behaviour no source language emits on
/// demand. `edit` rewrites the WAT text first, to derive variants of one file.
pub fn wat_component(file_name: &str, edit: impl FnOnce(String) -> String) -> Vec<u8> {
    wat_component_against(file_name, edit, &workspace_root().join("wit"))
}

/// [`wat_component`] built against the WIT package in `wit_dir`, for
/// plugins that target another version of Paddock's WIT.
pub fn wat_component_against(file_name: &str, edit: impl FnOnce(String) -> String, wit_dir: &Path) -> Vec<u8> {
    let path = workspace_root().join("tests").join("wat").join(file_name);
    let source = edit(std::fs::read_to_string(&path).expect("read WAT guest"));
    let mut module = wat::parse_str(&source).expect("the WAT guest parses");
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(wit_dir).expect("parse the WIT");
    let world = resolve.select_world(&[package], Some("plugin")).expect("world `plugin`");
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .expect("embed the world");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("a core module that fits the world")
        .validate(true)
        .encode()
        .expect("encode the component")
}

/// A bundle of a WAT guest under `name`.
pub fn wat_bundle(name: &str, component: &[u8]) -> PathBuf {
    let manifest = Manifest::parse(format!("name: {name}\nversion: 0.0.1\n").as_bytes()).expect("manifest");
    write_bundle(manifest, component.to_vec(), &[], &out_dir().join(format!("{name}.zip")))
}

/// A component exporting only `dockerfile-injection`, whose start-up traps:
/// anything that instantiates it fails.
pub fn dockerfile_only_component() -> Vec<u8> {
    let wit = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(workspace_root().join("wit/paddock.wit")).unwrap();
    // The same package with every hook but one removed from the interface.
    let kept: Vec<&str> = source
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            !["deploy:", "destroy:", "bootstrap-injection:", "job-runtime-env-vars:"]
                .iter()
                .any(|f| line.starts_with(f))
        })
        .collect();
    std::fs::write(wit.path().join("paddock.wit"), kept.join("\n")).unwrap();
    wat_component_against(
        "table-grower.wat",
        |wat| {
            wat.lines()
                .filter(|line| {
                    !line.contains("(export \"paddock:plugin/hooks@0.1.0#") || line.contains("#dockerfile-injection")
                })
                .collect::<Vec<_>>()
                .join("\n")
                .replacen("(module", "(module\n  (func $boom unreachable)\n  (start $boom)", 1)
        },
        wit.path(),
    )
}
