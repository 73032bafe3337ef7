//! Plugin-set files (Orbit's `<team>-plugins.yaml`, DevStack's
//! `enable_plugin` lines): bundles in configured order with ids and
//! parameters, each named by path or by URL with a pinned digest.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

use super::params::{parameters_from_mapping, parse_keeping_tags};
use super::{PluginConfig, PluginSetBuilder, check_id};

/// Plugin-set file: Orbit's `<team>-plugins.yaml` in Paddock's shape.
///
/// ```yaml
/// plugins:
///   - bundle: hello-world.zip     # relative to this file
///     id: hello                   # optional, defaults to the manifest name
///     parameters:                 # optional
///       greeting: Hello
///       replicas: 3
///       tags: [a, b]
///   - url: file:///srv/plugins/devstack-template.zip   # DevStack `enable_plugin NAME URL`
///     sha256: 3f5a...             # required with `url:`, optional with `bundle:`
/// ```
///
/// An entry names its bundle by `bundle:` (a path) or by `url:` (only
/// `file://` for now; fetching over the network may come later), and may
/// pin it with `sha256:`, the archive's digest, which is checked before the
/// bundle is used.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    plugins: Vec<SetFileItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFileItem {
    #[serde(default)]
    bundle: Option<PathBuf>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parameters: serde_yaml::Mapping,
}

/// Largest plugin-set file accepted.
const MAX_SET_FILE_BYTES: u64 = 1024 * 1024;

impl PluginSetBuilder {
    /// Loads and adds every plugin of a plugin-set file, in file order.
    pub fn add_set_file(mut self, path: &Path) -> Result<Self, Error> {
        let origin = path.display().to_string();
        let set_error = |problem: String| Error::PluginSet { origin: origin.clone(), problem };
        let text = crate::fsutil::read_text_capped(path, MAX_SET_FILE_BYTES).map_err(|e| set_error(e.to_string()))?;
        let set = parse_set_file(&text).map_err(set_error)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for (index, item) in set.plugins.into_iter().enumerate() {
            let at = format!("entry {} of plugin-set file {origin}", index + 1);
            // Checked before the bundle is loaded, so the error blames the
            // set file's entry rather than the bundle.
            if let Some(id) = &item.id {
                check_id(id, || at.clone())?;
            }
            let source = BundleSource::of(&item, base, index, &origin).map_err(set_error)?;
            let bundle = self.host.read_bundle(&source.path)?;
            source.check_digest(bundle.archive_sha256().unwrap_or_default())?;
            let plugin = self.host.load_bundle(bundle, &source.path.display().to_string())?;
            let parameters = parameters_from_mapping(&item.parameters)
                .map_err(|problem| set_error(format!("plugin `{}`: {problem}", plugin.name())))?;
            self = self.add(plugin, PluginConfig { id: item.id, parameters })?;
        }
        Ok(self)
    }
}

/// One entry of a plugin-set file, not yet loaded: what
/// [`crate::state::DesiredSetBuilder::add_set_file`] records per plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct SetFileEntry {
    /// The bundle's path, resolved against the set file's directory (or
    /// from its `file://` URL).
    pub bundle: PathBuf,
    /// The configured id and parameters.
    pub config: PluginConfig,
    source: BundleSource,
}

impl SetFileEntry {
    /// Checks the archive's SHA-256 (lowercase hex) against the entry's
    /// `sha256:`, if it pins one: call it before using the bundle.
    pub fn check_digest(&self, actual: &str) -> Result<(), Error> {
        self.source.check_digest(actual)
    }
}

/// Where an entry's bundle is, and the digest it is pinned to.
#[derive(Debug, Clone, PartialEq)]
struct BundleSource {
    path: PathBuf,
    sha256: Option<String>,
    /// The entry, for errors: `entry 2 of plugin-set file plugins.yaml (url file:///...)`.
    entry: String,
}

impl BundleSource {
    /// The `bundle:` or `url:` of entry `index` (0-based) of the set file
    /// `origin`, resolved against `base`. Problems name the entry; the
    /// caller adds the file.
    fn of(item: &SetFileItem, base: &Path, index: usize, origin: &str) -> Result<BundleSource, String> {
        let at = format!("entry {}", index + 1);
        let sha256 = match &item.sha256 {
            Some(digest) => Some(check_sha256(digest).map_err(|problem| format!("{at}: `sha256:` {problem}"))?),
            None => None,
        };
        let (path, entry) = match (&item.bundle, &item.url) {
            (Some(bundle), None) => (base.join(bundle), format!("bundle {}", bundle.display())),
            (None, Some(url)) => {
                if sha256.is_none() {
                    return Err(format!(
                        "{at}: `url:` needs `sha256:`, the bundle archive's digest (`sha256sum BUNDLE.zip`), so \
                         what is loaded is what was reviewed"
                    ));
                }
                let shown = crate::sanitize::for_terminal(url, 200);
                (
                    file_url_path(url).map_err(|problem| format!("{at}: url `{shown}` {problem}"))?,
                    format!("url {shown}"),
                )
            }
            (Some(_), Some(_)) => return Err(format!("{at}: has both `bundle:` and `url:`; keep one")),
            (None, None) => {
                return Err(format!("{at}: names no bundle; add `bundle: PATH` or `url: URL` with `sha256:`"));
            }
        };
        Ok(BundleSource { path, sha256, entry: format!("{at} of plugin-set file {origin} ({entry})") })
    }

    fn check_digest(&self, actual: &str) -> Result<(), Error> {
        match &self.sha256 {
            Some(expected) if expected != actual => Err(Error::BundleDigest {
                entry: self.entry.clone(),
                expected: expected.clone(),
                actual: actual.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

/// A pinned digest: 64 hex digits, taken in lowercase.
fn check_sha256(digest: &str) -> Result<String, String> {
    let digest = digest.trim();
    if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(digest.to_ascii_lowercase())
    } else {
        Err(format!(
            "`{}` is not a SHA-256 digest; write the 64 hex digits `sha256sum BUNDLE.zip` prints",
            crate::sanitize::for_terminal(digest, 80)
        ))
    }
}

/// The local path of a `file://` URL; other schemes are not fetched (yet).
fn file_url_path(url: &str) -> Result<PathBuf, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    if parsed.scheme() != "file" {
        return Err(format!(
            "uses `{}:`, which is not supported yet: only `file://` URLs are; download the bundle and name it with \
             `bundle: PATH` and its `sha256:`",
            parsed.scheme()
        ));
    }
    parsed.to_file_path().map_err(|()| "is not a local absolute path (file:///PATH)".to_string())
}

/// Reads a plugin-set file's entries in file order without loading their
/// bundles; ids and parameters are checked as [`PluginSetBuilder::add_set_file`] checks them.
pub fn read_set_file(path: &Path) -> Result<Vec<SetFileEntry>, Error> {
    let origin = path.display().to_string();
    let set_error = |problem: String| Error::PluginSet { origin: origin.clone(), problem };
    let text = crate::fsutil::read_text_capped(path, MAX_SET_FILE_BYTES).map_err(|e| set_error(e.to_string()))?;
    let set: SetFile = parse_set_file(&text).map_err(set_error)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut entries = Vec::with_capacity(set.plugins.len());
    for (index, item) in set.plugins.into_iter().enumerate() {
        let at = format!("entry {} of plugin-set file {origin}", index + 1);
        if let Some(id) = &item.id {
            check_id(id, || at.clone())?;
        }
        let source = BundleSource::of(&item, base, index, &origin).map_err(set_error)?;
        let parameters = parameters_from_mapping(&item.parameters)
            .map_err(|problem| set_error(format!("entry {} ({}): {problem}", index + 1, source.path.display())))?;
        entries.push(SetFileEntry {
            bundle: source.path.clone(),
            config: PluginConfig { id: item.id, parameters },
            source,
        });
    }
    Ok(entries)
}

/// Parses a plugin-set file so that no YAML tag on a parameter is lost
/// (see [`parse_keeping_tags`]).
fn parse_set_file(text: &str) -> Result<SetFile, String> {
    parse_keeping_tags(text)
}

#[cfg(test)]
mod parameter_tests {
    use super::*;
    use crate::types::{ParamValue, Parameters};

    fn parameters(yaml: &str) -> Result<Parameters, String> {
        let set = parse_set_file(&format!("plugins:\n  - bundle: a.zip\n    parameters:\n{yaml}"))?;
        parameters_from_mapping(&set.plugins[0].parameters).map_err(|error| error.to_string())
    }

    #[test]
    fn parameters_convert_exactly_or_not_at_all() {
        let exact = "      text: hi\n      quoted: \"007\"\n      int: -9223372036854775808\n      float: 1.5\n      \
                     flag: true\n      list: [a, b]\n";
        assert_eq!(
            parameters(&format!("{exact}      str_tag: !!str 12\n")),
            Err(
                "parameter `str_tag` must be a string, a 64-bit integer, a number, a boolean or a list of strings; it \
                 carries a YAML tag (!str) (quote it to pass it as a string)"
                    .to_string()
            )
        );
        assert_eq!(
            parameters(exact),
            Ok(vec![
                ("text".into(), ParamValue::Text("hi".into())),
                ("quoted".into(), ParamValue::Text("007".into())),
                ("int".into(), ParamValue::Integer(i64::MIN)),
                ("float".into(), ParamValue::Number(1.5)),
                ("flag".into(), ParamValue::Boolean(true)),
                ("list".into(), ParamValue::TextList(vec!["a".into(), "b".into()])),
            ])
        );
        for (yaml, expected) in [
            ("      big: 18446744073709551615\n", "parameter `big` must be a string"),
            ("      big: 9223372036854775808\n", "is 9223372036854775808, outside the 64-bit integer range"),
            ("      blob: !!binary aGVsbG8=\n", "carries a YAML tag (!binary)"),
            ("      cmd: !!python/object:os.system [ls]\n", "carries a YAML tag (!python/object:os.system)"),
            ("      local: !mine x\n", "carries a YAML tag (!mine)"),
            ("      verbatim: !<!mine> x\n", "carries a YAML tag (!mine)"),
            ("      list: [a, !!binary aGVsbG8=]\n", "is a list with an item that carries a YAML tag (!binary)"),
            ("      list: [a, 1]\n", "is a list with an item that is not a string"),
            ("      nothing:\n", "is empty (null)"),
            ("      nested: {a: 1}\n", "parameter `nested` must be a string"),
            ("      1: x\n", "parameter name `1` is not a plain string"),
        ] {
            let error = parameters(yaml).expect_err(yaml);
            assert!(error.contains(expected), "{yaml}: {error}");
        }
    }

    #[test]
    fn set_files_with_their_own_document_markers_still_parse() {
        for text in [
            "plugins: []\n",
            "\u{feff}plugins: []\n",
            "# team plugins\n---\nplugins: []\n",
            "%YAML 1.2\n---\nplugins: []\n",
            "--- \nplugins: []\n",
        ] {
            assert!(parse_set_file(text).is_ok_and(|set| set.plugins.is_empty()), "{text:?}");
        }
        let error = parse_set_file("plugins:\n  - bundle: a.zip\n    parmeters: {}\n").err().unwrap();
        assert!(error.contains("unknown field `parmeters`") && error.contains("line 3"), "{error}");
    }
}
