//! Bad bundles and bad manifests, crafted by the tests, are rejected with an
//! error that says what is wrong.

use paddock::{Bundle, BundleError, BundleLimits, Error, ManifestError};

use crate::support::{self, GOOD_MANIFEST, component_bytes, host, zip_of};

const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

fn read(bytes: &[u8]) -> Result<Bundle, BundleError> {
    Bundle::from_bytes(bytes, &BundleLimits::default())
}

fn rejected(bytes: &[u8]) -> String {
    match read(bytes) {
        Ok(bundle) => panic!("expected a rejection, got {:?}", bundle.manifest()),
        Err(error) => error.to_string(),
    }
}

/// Offsets of `signature` in `bytes`.
fn find_all(bytes: &[u8], signature: &[u8]) -> Vec<usize> {
    bytes.windows(signature.len()).enumerate().filter(|(_, w)| *w == signature).map(|(i, _)| i).collect()
}

/// Rewrites a little-endian field in every local header (offset `local`) and
/// central directory header (offset `central`).
fn patch(bytes: &mut [u8], local: usize, central: usize, value: &[u8]) {
    for at in find_all(bytes, b"PK\x03\x04") {
        bytes[at + local..at + local + value.len()].copy_from_slice(value);
    }
    for at in find_all(bytes, b"PK\x01\x02") {
        bytes[at + central..at + central + value.len()].copy_from_slice(value);
    }
}

#[test]
fn a_good_bundle_reads_and_hashes_its_component() {
    let component = component_bytes("hello-world");
    let bundle = read(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", &component)])).unwrap();
    assert_eq!(bundle.manifest().name(), "crafted");
    assert_eq!(bundle.component(), component);
    assert_eq!(bundle.component_sha256().len(), 64);
}

#[test]
fn a_bundle_made_in_memory_hashes_its_own_component_and_follows_the_reader_rules() {
    let limits = BundleLimits::default();
    let manifest = || paddock::Manifest::parse(GOOD_MANIFEST).unwrap();
    let (hello, env) = (component_bytes("hello-world"), component_bytes("runtime-env"));
    let made = Bundle::new(manifest(), hello.clone(), Vec::new(), &limits).unwrap();
    let read = read(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", &hello)])).unwrap();
    assert_eq!(made.component_sha256(), read.component_sha256());
    assert_eq!(made.archive_size(), 0);
    let other = Bundle::new(manifest(), env, Vec::new(), &limits).unwrap();
    assert_ne!(other.component_sha256(), made.component_sha256(), "the hash is the component's, whoever builds it");

    // What the host runs is what it loaded: two components, two plugins.
    let (a, b) = (host().load_bundle(made, "memory").unwrap(), host().load_bundle(other, "memory").unwrap());
    assert_ne!(b.load_stats().origin, paddock::cache::CompileOrigin::AlreadyLoaded);
    let deploy = |plugin| {
        let set = paddock::PluginSet::builder(host()).add(plugin, paddock::PluginConfig::default()).unwrap();
        set.build().unwrap().call::<paddock::hooks::Deploy>(&paddock::Deployment::default()).remove(0).status
    };
    assert!(matches!(deploy(a), paddock::Status::Ok(_)), "hello-world deploys");
    assert_eq!(deploy(b), paddock::Status::Skipped, "runtime-env does not");

    let error = Bundle::new(manifest(), b"\x7fELF\x02".to_vec(), Vec::new(), &limits).unwrap_err();
    assert!(matches!(error, BundleError::NotAComponent { .. }), "{error}");
    let small = BundleLimits { max_component_bytes: 8, ..limits };
    let error = Bundle::new(manifest(), hello.clone(), Vec::new(), &small).unwrap_err();
    assert!(matches!(error, BundleError::EntryTooLarge { limit: 8, .. }), "{error}");
    let file = |path: &str| paddock::BundleFile { path: path.into(), contents: b"x".to_vec() };
    // Shipped files are the host's to read (templates, charts) whether or
    // not the plugin may read them too.
    let error =
        Bundle::new(manifest(), EMPTY_COMPONENT.to_vec(), vec![file("a.txt"), file("a.txt")], &limits).unwrap_err();
    assert!(error.to_string().contains("same path"), "{error}");
    let shipped = Bundle::new(manifest(), EMPTY_COMPONENT.to_vec(), vec![file("a.txt")], &limits).unwrap();
    assert_eq!(shipped.files(), [file("a.txt")]);
}

#[test]
fn path_traversal_entry_names_are_rejected() {
    for name in ["../x", "/etc/x", "C:\\x", "a/../../x", "a\\..\\x", "a/../b"] {
        let error = rejected(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), (name, b"x")]));
        assert!(error.contains("escapes the bundle"), "{name}: {error}");
    }
}

#[test]
fn symlinks_encryption_and_unknown_compression_are_rejected() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_symlink("plugin.wasm", "/etc/passwd", zip::write::SimpleFileOptions::default()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert!(rejected(&bytes).contains("symbolic links"));

    let mut encrypted = zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST)]);
    patch(&mut encrypted, 6, 8, &[0x01, 0x00]);
    assert!(rejected(&encrypted).contains("encrypted"), "{}", rejected(&encrypted));

    let mut lzma = zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST)]);
    patch(&mut lzma, 8, 10, &[14, 0]);
    let error = rejected(&lzma);
    assert!(error.contains("plugin-manifest.yaml") && error.contains("rejected"), "{error}");
}

#[test]
fn duplicate_entries_are_rejected() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("plugin-manifest.yaml", options).unwrap();
    std::io::Write::write_all(&mut zip, GOOD_MANIFEST).unwrap();
    zip.start_file("./plugin-manifest.yaml", options).unwrap();
    std::io::Write::write_all(&mut zip, b"name: evil\nversion: 6.6.6\n").unwrap();
    let error = rejected(&zip.finish().unwrap().into_inner());
    assert!(error.contains("same path"), "{error}");
}

#[test]
fn zip_bombs_stop_at_the_cap_even_with_a_lying_header() {
    let limits = BundleLimits { max_component_bytes: 1 << 20, ..BundleLimits::default() };
    let zeros = vec![0u8; 64 << 20];
    let bomb = zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", &zeros)]);
    assert!(bomb.len() < 1 << 20, "the bomb is small on disk");
    let error = Bundle::from_bytes(&bomb, &limits).unwrap_err();
    assert!(matches!(error, BundleError::EntryTooLarge { limit, .. } if limit == 1 << 20), "{error}");

    // Claim 1 000 bytes uncompressed; the reader must still stop at the cap
    // (or reject the lie), never inflate 64 MiB into memory.
    let mut liar = bomb.clone();
    let local_and_central = find_all(&liar, b"PK\x01\x02").len();
    assert_eq!(local_and_central, 2);
    patch(&mut liar, 22, 24, &1000u32.to_le_bytes());
    assert!(Bundle::from_bytes(&liar, &limits).is_err());
}

#[test]
fn too_many_entries_are_rejected() {
    let names: Vec<String> = (0..100_000).map(|i| format!("f{i}")).collect();
    let mut entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    entries.push(("plugin-manifest.yaml", GOOD_MANIFEST));
    let error = rejected(&zip_of(&entries));
    assert!(error.contains("100001 entries; the limit is 256"), "{error}");
}

#[test]
fn truncated_and_non_zip_files_are_rejected() {
    let good = zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", EMPTY_COMPONENT)]);
    for bytes in [&good[..good.len() / 2], b"just some text", &[]] {
        assert!(rejected(bytes).contains("not a readable zip archive"));
    }
}

#[test]
fn over_size_archives_and_manifests_are_rejected() {
    let limits = BundleLimits { max_archive_bytes: 1000, ..BundleLimits::default() };
    let big = zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", &component_bytes("hello-world"))]);
    assert!(matches!(Bundle::from_bytes(&big, &limits), Err(BundleError::ArchiveTooLarge { .. })));

    let mut manifest = GOOD_MANIFEST.to_vec();
    manifest.extend(std::iter::repeat_n(b'#', 10 << 20));
    let error = rejected(&zip_of(&[("plugin-manifest.yaml", &manifest)]));
    assert!(error.contains("inflates beyond 65536 bytes"), "{error}");
}

#[test]
fn missing_files_are_named() {
    assert_eq!(
        rejected(&zip_of(&[("plugin.wasm", EMPTY_COMPONENT)])),
        "bundle has no `plugin-manifest.yaml` at its root"
    );
    assert_eq!(
        rejected(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST)])),
        "bundle has no `plugin.wasm` at its root"
    );
    let custom = b"name: crafted\nversion: 1.0.0\ncomponent: lib/crafted.wasm\n";
    let bundle = read(&zip_of(&[("plugin-manifest.yaml", custom), ("lib/crafted.wasm", EMPTY_COMPONENT)])).unwrap();
    assert_eq!(bundle.manifest().component(), "lib/crafted.wasm");
}

#[test]
fn things_that_are_not_components_are_rejected_with_a_hint() {
    let core_module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    let truncated = &component_bytes("hello-world")[..1000];
    for (bytes, expected) in [
        (&core_module[..], "core WebAssembly module; build for `wasm32-wasip2`"),
        (b"\x7fELF\x02\x01\x01", "native executable"),
        (b"garbage garbage", "does not start with the WebAssembly component header"),
    ] {
        let error = rejected(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", bytes)]));
        assert!(error.contains(expected), "{error}");
    }
    // Structurally plausible, but not a Paddock plugin: errors at load.
    for (bytes, expected) in [
        (truncated, "does not compile"),
        (
            EMPTY_COMPONENT,
            "does not export `paddock:plugin/hooks@0.1.0` or any other hook interface this host serves (it exports: nothing)",
        ),
    ] {
        let bundle = read(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", bytes)])).unwrap();
        let error = host().load_bundle(bundle, "crafted.zip").unwrap_err();
        assert!(matches!(&error, Error::Load { plugin, version, .. } if plugin == "crafted" && version == "1.0.0"));
        assert!(error.to_string().starts_with("plugin `crafted` 1.0.0 (crafted.zip): "), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn shipped_native_artefacts_are_rejected() {
    for name in ["plugin.cwasm", "lib/native.so"] {
        let error = rejected(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), (name, b"\x7fELF")]));
        assert!(error.contains("never loads shipped native code"), "{error}");
    }
}

#[test]
fn bad_manifests_say_which_field_and_what_to_write() {
    // Both go through the reserved `parameters` field, which serde_yaml
    // parses as a generic value, so its alias and depth limits are reached.
    let laughs = "name: x\nversion: 1.0.0\nparameters:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
        \x20 b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
        \x20 d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
        \x20 f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    let deep = format!("name: x\nversion: 1.0.0\nparameters: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(String, &str)> = vec![
        ("version: 1.0.0\n".into(), "missing field `name`"),
        ("name: x\n".into(), "missing field `version`"),
        ("name: x\nversion: 1.0.0\nauthor: me\n".into(), "unknown field `author`"),
        ("name: x\nversion: [1]\n".into(), "version"),
        ("name: x\nversion: one\n".into(), "not a semantic version"),
        ("name: x\nversion: 1.0.0\npriority: 2147483648\n".into(), "priority"),
        ("name: x\nversion: 1.0.0\npriority: -2147483649\n".into(), "priority"),
        ("name: a/b\nversion: 1.0.0\n".into(), "'/'"),
        ("name: ..\nversion: 1.0.0\n".into(), "must start with a lowercase letter"),
        ("name: \"a\\0b\"\nversion: 1.0.0\n".into(), "'\\0'"),
        ("name: Hello\nversion: 1.0.0\n".into(), "must start with a lowercase letter"),
        ("name: x\nname: y\nversion: 1.0.0\n".into(), "duplicate"),
        ("name: x\nversion: 1.0.0\n---\nname: y\nversion: 1.0.0\n".into(), "more than one document"),
        (laughs.into(), "repetition limit exceeded"),
        (deep, "recursion limit"),
    ];
    for (yaml, expected) in cases {
        let error = rejected(&zip_of(&[("plugin-manifest.yaml", yaml.as_bytes()), ("plugin.wasm", EMPTY_COMPONENT)]));
        assert!(error.contains(expected), "{yaml:.60}: expected `{expected}` in: {error}");
    }
    let error = paddock::Manifest::parse(&vec![b' '; 70_000]).unwrap_err();
    assert_eq!(error, ManifestError::TooLarge { size: 70_000 });
}

#[test]
fn imports_the_host_does_not_provide_are_all_listed_at_load() {
    let bundle =
        read(&zip_of(&[("plugin-manifest.yaml", GOOD_MANIFEST), ("plugin.wasm", &component_bytes("foreign-imports"))]))
            .unwrap();
    let error = host().load_bundle(bundle, "foreign.zip").unwrap_err().to_string();
    assert!(
        error.starts_with(
            "plugin `crafted` 1.0.0 (foreign.zip): the component imports interfaces this host does not provide: "
        ),
        "{error}"
    );
    for missing in ["example:unknown/telemetry@1.0.0", "acme:secrets/vault@2.1.0", "wasi:http/handler@0.3.0"] {
        assert!(error.contains(missing), "{missing} not listed in: {error}");
    }
}

#[test]
fn an_embedder_can_refuse_socket_imports_at_load() {
    let strict = paddock::Host::with_config(paddock::HostConfig {
        socket_imports: paddock::SocketImports::RejectAtLoad,
        ..support::host_config()
    })
    .unwrap();
    // The misbehaving guest probes TCP, UDP and DNS, so it imports wasi:sockets.
    let error = strict.load_file(&support::misbehaving_bundle("socket-importer", 0)).unwrap_err().to_string();
    assert!(
        error.starts_with("plugin `socket-importer` 0.0.1 (")
            && error.contains("the component imports interfaces this host does not provide: "),
        "{error}"
    );
    for interface in ["wasi:sockets/tcp@0.2.", "wasi:sockets/udp@0.2.", "wasi:sockets/ip-name-lookup@0.2."] {
        assert!(error.contains(interface), "{interface} not listed in: {error}");
    }
    assert!(!error.contains("wasi:sockets@0.2.x"), "sockets must not be offered: {error}");
    // A plugin that never touches the network loads as before.
    strict.load_file(&support::sample_bundle("hello-world")).unwrap();
    // The default host loads the socket importer and denies it at run time
    // (the sandbox tests check the denial).
    host().load_file(&support::misbehaving_bundle("socket-importer", 0)).unwrap();
}

#[test]
fn shipped_files_are_read_within_their_budget_whether_or_not_the_plugin_may_read_them() {
    let declaring = b"name: crafted\nversion: 1.0.0\ncapabilities:\n  bundle-files: true\n";
    let big = vec![b'x'; 40 << 10];
    let bundle = |manifest: &'static [u8]| {
        zip_of(&[
            ("plugin-manifest.yaml", manifest),
            ("plugin.wasm", EMPTY_COMPONENT),
            ("files/a.bin", &big),
            ("files/nested/b.bin", &big),
        ])
    };
    let limits = BundleLimits { max_files_bytes: 64 << 10, ..BundleLimits::default() };

    // 80 KiB together is over the 64 KiB budget, though each file fits.
    for manifest in [GOOD_MANIFEST, declaring] {
        let error = Bundle::from_bytes(&bundle(manifest), &limits).unwrap_err().to_string();
        assert_eq!(error, "bundle entry `files/ (all files together)` inflates beyond 65536 bytes");
    }

    let roomy = BundleLimits { max_files_bytes: 100 << 10, ..limits };
    let read = Bundle::from_bytes(&bundle(declaring), &roomy).unwrap();
    let paths: Vec<&str> = read.files().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["a.bin", "nested/b.bin"]);
    assert!(read.files().iter().all(|f| f.contents == big));
}

#[test]
fn making_or_writing_refuses_shipped_file_paths_that_the_reader_would_reject() {
    let manifest =
        paddock::Manifest::parse(b"name: crafted\nversion: 1.0.0\ncapabilities:\n  bundle-files: true\n").unwrap();
    let limits = BundleLimits::default();
    for path in ["../escape.txt", "/etc/passwd", "a//b", "a/./b", "C:\\x", ""] {
        let file = paddock::BundleFile { path: path.into(), contents: b"x".to_vec() };
        let error = Bundle::new(manifest.clone(), EMPTY_COMPONENT.to_vec(), vec![file], &limits).unwrap_err();
        assert!(matches!(error, BundleError::BadEntry { .. }), "{path:?}: {error}");
    }
    // Limits tighter at write time than when the bundle was made.
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("crafted.zip");
    let file = paddock::BundleFile { path: "a.txt".into(), contents: vec![b'x'; 100] };
    let bundle = Bundle::new(manifest, EMPTY_COMPONENT.to_vec(), vec![file], &limits).unwrap();
    let error = bundle.write(&target, &BundleLimits { max_files_bytes: 10, ..limits }).unwrap_err();
    assert!(matches!(error, BundleError::EntryTooLarge { limit: 10, .. }), "{error}");
    assert!(!target.exists(), "nothing is written");
    bundle.write(&target, &limits).unwrap();
    assert_eq!(Bundle::read_file(&target, &limits).unwrap().files(), bundle.files());
}

/// Paths below `files/` with their contents.
type Files<'a> = Vec<(&'a str, Vec<u8>)>;

/// A plugin directory with `manifest` and the given `files/` entries.
fn plugin_dir(manifest: &str, files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plugin-manifest.yaml"), manifest).unwrap();
    for (path, contents) in files {
        let path = dir.path().join("files").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

/// `paddock bundle DIR --wasm WASM -o OUT`, which must end within a minute.
fn bundle_cli(dir: &std::path::Path, wasm: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    support::output_within(bundle_command(dir, wasm, out), std::time::Duration::from_secs(60))
}

/// `paddock bundle DIR --wasm WASM -o OUT`, not yet started.
fn bundle_command(dir: &std::path::Path, wasm: &std::path::Path, out: &std::path::Path) -> std::process::Command {
    support::paddock_command(&[
        "bundle",
        dir.to_str().unwrap(),
        "--wasm",
        wasm.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

/// Files in `dir` whose names mark a partial write.
fn partial_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect()
}

#[test]
fn bundle_never_writes_a_bundle_its_own_reader_rejects() {
    let wasm = support::component_path("misbehaving");
    let declared = "name: shipper\nversion: 1.0.0\ncapabilities:\n  bundle-files: true\n";
    let many: Vec<(String, Vec<u8>)> = (0..300).map(|i| (format!("f{i}.txt"), b"x".to_vec())).collect();
    let many: Files = many.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
    let cases: [(&str, Files, &str); 3] = [
        (
            "native code",
            vec![("lib.so", b"\x7fELF".to_vec())],
            "files/lib.so` is rejected: bundles carry portable WebAssembly only",
        ),
        ("too many entries", many, "bundle holds 302 entries; the limit is 256"),
        (
            "over the files budget",
            vec![("big.bin", vec![7; 17 << 20])],
            "all of files/ together may hold 16777216 bytes",
        ),
    ];
    for (what, files, expected) in cases {
        let dir = plugin_dir(declared, &files);
        let out = dir.path().join("out.zip");
        let output = bundle_cli(dir.path(), &wasm, &out);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert!(!out.exists(), "{what}: a bundle was written");
        assert!(partial_files(dir.path()).is_empty(), "{what}");
    }
    // A component over the 64 MiB cap is refused after reading at most that much.
    let dir = plugin_dir("name: huge\nversion: 1.0.0\n", &[]);
    let huge = dir.path().join("huge.wasm");
    let mut bytes = EMPTY_COMPONENT.to_vec();
    bytes.resize((64 << 20) + 1, 0);
    std::fs::write(&huge, bytes).unwrap();
    let out = dir.path().join("out.zip");
    let output = bundle_cli(dir.path(), &huge, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is larger than the limit of 67108864 bytes"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn bundle_refuses_to_replace_devices_links_inputs_and_other_files() {
    let wasm_source = support::component_path("misbehaving");
    let dir = plugin_dir(
        "name: careful\nversion: 1.0.0\ncapabilities:\n  bundle-files: true\n",
        &[("data.zip", b"PK\x03\x04 not really".to_vec())],
    );
    let wasm = dir.path().join("plugin.wasm");
    std::fs::copy(&wasm_source, &wasm).unwrap();
    let manifest = dir.path().join("plugin-manifest.yaml");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "someone's notes").unwrap();
    let target = dir.path().join("target.zip");
    std::fs::write(&target, b"PK\x03\x04 the link's target").unwrap();
    let link = dir.path().join("link.zip");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let shipped = dir.path().join("files").join("data.zip");

    let dev_null = std::path::Path::new("/dev/null");
    let cases = [
        (dev_null, "it is not a regular file"),
        (link.as_path(), "it is a symbolic link"),
        (wasm.as_path(), "is one of the inputs"),
        (manifest.as_path(), "is one of the inputs"),
        (shipped.as_path(), "is one of the inputs"),
        (notes.as_path(), "it is not a zip archive, so not a bundle"),
        (dir.path(), "it is not a regular file"),
    ];
    let before = |path: &std::path::Path| std::fs::symlink_metadata(path).map(|m| (m.file_type(), m.len())).ok();
    for (out, expected) in cases {
        let was = before(out);
        let contents = std::fs::read(out).ok();
        let output = bundle_cli(dir.path(), &wasm, out);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {stderr}", out.display());
        assert!(stderr.contains(expected), "{}: {stderr}", out.display());
        assert_eq!(before(out), was, "{} changed", out.display());
        assert_eq!(std::fs::read(out).ok(), contents, "{} changed", out.display());
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert_eq!(std::fs::read(&target).unwrap(), b"PK\x03\x04 the link's target");
    // A bundle it wrote before is replaced, as a rebuild should.
    let out = dir.path().join("careful.zip");
    assert!(bundle_cli(dir.path(), &wasm, &out).status.success());
    assert!(bundle_cli(dir.path(), &wasm, &out).status.success());
    assert!(partial_files(dir.path()).is_empty());
}

#[test]
fn files_that_are_not_regular_are_refused_without_reading_or_blocking() {
    let dir = plugin_dir("name: fifo-user\nversion: 1.0.0\n", &[]);
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let zero_manifest = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", zero_manifest.path().join("plugin-manifest.yaml")).unwrap();
    let wasm = support::component_path("misbehaving");
    let out = dir.path().join("out.zip");

    // --wasm a FIFO; a manifest that is /dev/zero.
    let output = bundle_cli(dir.path(), &fifo, &out);
    assert!(String::from_utf8_lossy(&output.stderr).contains("is a FIFO, not a regular file"), "{output:?}");
    let output = bundle_cli(zero_manifest.path(), &wasm, &out);
    assert!(String::from_utf8_lossy(&output.stderr).contains("is a device, not a regular file"), "{output:?}");
    // A bundle that is a FIFO or /dev/zero.
    for bundle in [fifo.to_str().unwrap(), "/dev/zero"] {
        let output =
            support::output_within(support::paddock_command(&["validate", bundle]), std::time::Duration::from_secs(60));
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("not a regular file"), "{bundle}: {text}");
        assert!(!output.status.success());
    }
    let error = host().load_file(&fifo).unwrap_err().to_string();
    assert!(error.contains("is a FIFO, not a regular file"), "{error}");
}

/// A component that takes long to compress: the table grower with `size`
/// bytes of incompressible data.
fn slow_to_compress_component(size: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut data = String::with_capacity(size * 3);
    for _ in 0..size {
        // xorshift: cheap bytes deflate cannot shrink.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.push_str(&format!("\\{:02x}", state as u8));
    }
    let pages = size.div_ceil(65_536) + 1;
    support::wat_component("table-grower.wat", |wat| {
        wat.replace("(memory (export \"memory\") 1)", &format!("(memory (export \"memory\") {pages})")).replace(
            "(table $grown 1 funcref)",
            &format!("(table $grown 1 funcref)\n  (data (i32.const 65536) \"{data}\")"),
        )
    })
}

#[test]
fn an_interrupted_bundle_write_leaves_nothing_behind() {
    let dir = plugin_dir("name: interrupted\nversion: 1.0.0\n", &[]);
    let wasm = dir.path().join("big.wasm");
    std::fs::write(&wasm, slow_to_compress_component(40 << 20)).unwrap();
    let out = dir.path().join("out.zip");

    // SIGTERM while the partial file is being written.
    let mut command = bundle_command(dir.path(), &wasm, &out);
    command.arg("--no-cache");
    command.env_remove(paddock::cache::CACHE_DIR_ENV);
    let mut child = command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let started = std::time::Instant::now();
    while partial_files(dir.path()).is_empty() {
        assert!(child.try_wait().unwrap().is_none(), "finished before the partial file was seen");
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "no partial file appeared");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15), "{status:?}");
    assert!(partial_files(dir.path()).is_empty(), "{:?}", partial_files(dir.path()));
    assert!(!out.exists());

    // A file-size limit: the write fails with an error instead of killing
    // the process, and the partial file goes too.
    let script = format!(
        "ulimit -f 2048 && exec \"$0\" bundle {} --wasm {} -o {} --no-cache",
        dir.path().display(),
        wasm.display(),
        out.display()
    );
    let mut command = std::process::Command::new("sh");
    command.args(["-c", &script]).arg(env!("CARGO_BIN_EXE_paddock"));
    let output = support::output_within(command, std::time::Duration::from_secs(120));
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write bundle"), "{output:?}");
    assert!(partial_files(dir.path()).is_empty() && !out.exists());
}
