//! Property tests for the two parsers that see untrusted bytes first: the
//! bundle reader and the manifest parser. They must return an error, never
//! panic, for any input. CI runs the default budget; for a longer run:
//! `PROPTEST_CASES=200000 cargo test --test integration --release fuzz::`.

use paddock::{Bundle, BundleLimits, Manifest};
use proptest::prelude::*;

use crate::support::zip_of;

const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

fn small_limits() -> BundleLimits {
    BundleLimits {
        max_archive_bytes: 1 << 20,
        max_component_bytes: 64 << 10,
        max_entries: 16,
        max_files_bytes: 64 << 10,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_bundle_reader(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = Bundle::from_bytes(&bytes, &small_limits());
    }

    #[test]
    fn mutated_valid_bundles_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
    ) {
        // Declares bundle-files, so the shipped-files path is exercised too.
        let mut bytes = zip_of(&[
            ("plugin-manifest.yaml", b"name: crafted\nversion: 1.0.0\ncapabilities:\n  bundle-files: true\n"),
            ("plugin.wasm", EMPTY_COMPONENT),
            ("files/a.txt", b"hello"),
            ("files/d/b.txt", b"world"),
        ]);
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= value;
        }
        let keep = cut.index(bytes.len() + 1);
        let _ = Bundle::from_bytes(&bytes[..keep], &small_limits());
        let _ = Bundle::from_bytes(&bytes, &small_limits());
    }

    #[test]
    fn arbitrary_entry_names_and_contents_never_panic(
        entries in proptest::collection::vec(("\\PC{0,40}", proptest::collection::vec(any::<u8>(), 0..256)), 0..8),
    ) {
        let entries: Vec<(&str, &[u8])> = entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        // zip_of panics on names the zip writer itself refuses; only feed it what it takes.
        if let Ok(bytes) = std::panic::catch_unwind(|| zip_of(&entries)) {
            let _ = Bundle::from_bytes(&bytes, &small_limits());
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_manifest_parser(text in "\\PC{0,400}") {
        let _ = Manifest::parse(text.as_bytes());
    }

    #[test]
    fn manifest_shaped_yaml_is_accepted_or_rejected_cleanly(
        name in "[a-zA-Z0-9_./-]{0,20}",
        version in "[0-9a-z.+-]{0,12}",
        priority in any::<i64>(),
        extra in prop::option::of(("[a-z]{1,10}", "[ -~]{0,20}")),
    ) {
        let mut yaml = format!("name: \"{name}\"\nversion: \"{version}\"\npriority: {priority}\n");
        if let Some((key, value)) = extra {
            yaml.push_str(&format!("{key}: \"{}\"\n", value.replace(['"', '\\'], "")));
        }
        match Manifest::parse(yaml.as_bytes()) {
            Ok(manifest) => {
                prop_assert_eq!(manifest.name(), name);
                prop_assert!(i32::try_from(priority).is_ok());
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}
