//! The configuration (Tutor `config.yml`, `config["add"]`, `["defaults"]`,
//! `["set"]`). Precedence, highest first:
//!
//! 1. the stored `config.yml`: the user's `--set` overrides (this run's
//!    included) and the `add` values generated before;
//! 2. plugins' `set`, the first plugin in order winning over later ones;
//! 3. `add` (the base tree's `config/base.yml`, then each plugin's,
//!    prefixed): a key not stored yet is rendered once, then stored;
//! 4. defaults (the base tree's `config/defaults.yml`, then each plugin's,
//!    prefixed): rendered every time, never stored.
//!
//! A plugin's `set` of a key the base config or another plugin defines, or
//! another plugin sets too, is a [`Conflict`] naming who set it and what
//! won. String values are Jinja templates rendered with the keys before
//! them (stored keys, then `add`, `set` and defaults in order), with
//! Tutor's filters ([`super::render`]).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use super::{Tutor, TutorError};
use crate::hooks::tutor::is_config_key;
use crate::sanitize::for_terminal;

/// A configuration value: any YAML (`--set ENABLE_HTTPS=true` is a boolean).
pub type Value = serde_yaml::Value;

/// Largest stored `config.yml`, or base config file, read.
const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;
/// Longest rendered value.
const MAX_RENDERED_BYTES: usize = 64 * 1024;

/// The user's stored configuration: `config.yml` of a [`super::Project`],
/// keys in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredConfig {
    values: BTreeMap<String, Value>,
}

impl StoredConfig {
    /// Reads `path` (capped, a mapping of UPPER_SNAKE keys); a missing file
    /// is an empty configuration.
    pub fn read(path: &Path) -> Result<StoredConfig, TutorError> {
        match std::fs::symlink_metadata(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(StoredConfig::default()),
            _ => {}
        }
        Ok(StoredConfig { values: read_mapping(path)?.into_iter().collect() })
    }

    /// The stored values.
    pub fn values(&self) -> &BTreeMap<String, Value> {
        &self.values
    }

    /// Writes it to `path` atomically (a partial file renamed into place).
    pub fn write(&self, path: &Path) -> Result<(), TutorError> {
        let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let failed = |action: &'static str| {
            let path = for_terminal(&path.display().to_string(), 1_000);
            move |error: std::io::Error| crate::fsutil::WriteDirError::Io { action, path, error }
        };
        let text =
            serde_yaml::to_string(&self.values).map_err(|error| failed("serialise")(std::io::Error::other(error)))?;
        let mut partial = crate::fsutil::PartialFile::create(dir, &crate::fsutil::unique_name("config.yml", "partial"))
            .map_err(failed("create a partial file for"))?;
        partial.file().write_all(text.as_bytes()).map_err(failed("write"))?;
        partial.persist(path).map_err(failed("replace"))?;
        Ok(())
    }
}

/// Reads a YAML mapping of config keys (`config.yml`, `config/base.yml`,
/// `config/defaults.yml`), capped, in the file's order.
pub(crate) fn read_mapping(path: &Path) -> Result<Vec<(String, Value)>, TutorError> {
    let shown = for_terminal(&path.display().to_string(), 1_000);
    let problem = |problem: String| TutorError::File { path: shown.clone(), problem };
    let text = crate::fsutil::read_text_capped(path, MAX_CONFIG_FILE_BYTES).map_err(|e| problem(e.to_string()))?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let values: serde_yaml::Mapping = serde_yaml::from_str(&text).map_err(|e| {
        problem(format!("is not a YAML mapping of keys to values: {}", for_terminal(&e.to_string(), 300)))
    })?;
    values
        .into_iter()
        .map(|(key, value)| match key {
            Value::String(key) if is_config_key(&key) => Ok((key, value)),
            key => Err(problem(format!(
                "key `{}` is not an UPPER_SNAKE key (1-128 uppercase letters, digits or `_`, starting with a letter)",
                for_terminal(serde_yaml::to_string(&key).unwrap_or_default().trim_end(), 80)
            ))),
        })
        .collect()
}

/// Who gave a key its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "plugin")]
pub enum Source {
    /// The base tree's `config/defaults.yml`.
    BaseDefault,
    /// The base tree's `config/base.yml` (stored once generated).
    BaseAdd,
    /// A plugin's `defaults`.
    PluginDefault(String),
    /// A plugin's `add` (stored once generated).
    PluginAdd(String),
    /// A plugin's `set`.
    PluginSet(String),
    /// The user's `config.yml` or `--set`.
    User,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::BaseDefault => f.write_str("the base config's defaults"),
            Source::BaseAdd => f.write_str("the base config"),
            Source::PluginDefault(plugin) => write!(f, "plugin `{plugin}`'s defaults"),
            Source::PluginAdd(plugin) => write!(f, "plugin `{plugin}`'s add"),
            Source::PluginSet(plugin) => write!(f, "plugin `{plugin}`'s set"),
            Source::User => f.write_str("the user's config.yml"),
        }
    }
}

/// A plugin's `set` of a key someone else defines or sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The key.
    pub key: String,
    /// The plugin whose `set` it is.
    pub plugin: String,
    /// Who else defines or sets the key.
    pub defined_by: Source,
    /// Whose value the configuration holds.
    pub kept: Source,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "conflict: {} is set by plugin `{}` and defined by {}; kept the value of {}",
            self.key, self.plugin, self.defined_by, self.kept
        )
    }
}

/// A configuration resolved for a project.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Every key's value.
    pub values: BTreeMap<String, Value>,
    /// Who gave each key its value.
    pub sources: BTreeMap<String, Source>,
    /// What `config.yml` holds after this run: the stored values, this
    /// run's overrides and the generated `add` values.
    pub stored: StoredConfig,
    /// The `add` keys generated by this run, in order.
    pub generated: Vec<String>,
    /// Every plugin `set` of someone else's key.
    pub conflicts: Vec<Conflict>,
}

impl Resolved {
    /// A key's value, as `paddock config printvalue` prints it (a string as
    /// is, anything else as YAML).
    pub fn print_value(&self, key: &str) -> Result<String, TutorError> {
        match self.values.get(key) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(value) => Ok(serde_yaml::to_string(value).unwrap_or_default().trim_end().to_string()),
            None => Err(TutorError::UnknownKey { key: for_terminal(key, 80) }),
        }
    }
}

/// Whether resolving may render and store `add` values not stored yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generate {
    /// `config save`.
    Yes,
    /// Everything else: a missing `add` value is an error.
    No,
}

/// Parses `KEY=VALUE` overrides, VALUE as YAML as Tutor does (`true` is a
/// boolean, `"01"` stays text).
fn overrides(given: &[(String, String)]) -> Result<Vec<(String, Value)>, TutorError> {
    given
        .iter()
        .map(|(key, text)| {
            let fail =
                |problem: String| TutorError::Override { given: for_terminal(&format!("{key}={text}"), 200), problem };
            if !is_config_key(key) {
                return Err(fail("the key must be UPPER_SNAKE (1-128 uppercase letters, digits or `_`)".into()));
            }
            if text.len() > MAX_RENDERED_BYTES {
                return Err(fail(format!("the value is larger than the limit of {MAX_RENDERED_BYTES} bytes")));
            }
            let value = if text.is_empty() {
                Value::String(String::new())
            } else {
                serde_yaml::from_str(text)
                    .map_err(|e| fail(format!("the value is not YAML: {}", for_terminal(&e.to_string(), 200))))?
            };
            Ok((key.clone(), value))
        })
        .collect()
}

/// One declared key with its template and owner.
struct Entry {
    key: String,
    value: Value,
    source: Source,
    /// For messages: `plugin `x` 1.0, config add `KEY``.
    origin: String,
}

fn entries(tutor: &Tutor<'_>, section: Section) -> Vec<Entry> {
    let mut out = Vec::new();
    let base = match section {
        Section::Add => &tutor.base().added,
        Section::Defaults => &tutor.base().defaults,
        Section::Set => &Vec::new(),
    };
    for (key, value) in base {
        let source = if section == Section::Add { Source::BaseAdd } else { Source::BaseDefault };
        out.push(Entry { key: key.clone(), value: value.clone(), source, origin: format!("the base config `{key}`") });
    }
    for plugin in tutor.plugins() {
        let (pairs, label) = match section {
            Section::Add => (&plugin.config.add, "add"),
            Section::Defaults => (&plugin.config.defaults, "default"),
            Section::Set => (&plugin.config.set, "set"),
        };
        let prefix = if section == Section::Set { String::new() } else { plugin.key_prefix() };
        for (key, value) in pairs {
            let key = format!("{prefix}{key}");
            let source = match section {
                Section::Add => Source::PluginAdd(plugin.name().to_string()),
                Section::Defaults => Source::PluginDefault(plugin.name().to_string()),
                Section::Set => Source::PluginSet(plugin.name().to_string()),
            };
            out.push(Entry {
                origin: format!("{}, config {label} `{key}`", plugin.label()),
                key,
                value: Value::String(value.clone()),
                source,
            });
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Add,
    Defaults,
    Set,
}

/// Resolves the configuration of `tutor` over `stored` with `given`
/// overrides; `config_file` names the stored file in messages.
pub(crate) fn resolve(
    tutor: &Tutor<'_>,
    stored: &StoredConfig,
    given: &[(String, String)],
    generate: Generate,
    config_file: &Path,
) -> Result<Resolved, TutorError> {
    let mut stored = stored.clone();
    for (key, value) in overrides(given)? {
        stored.values.insert(key, value);
    }
    let added = entries(tutor, Section::Add);
    let defaults = entries(tutor, Section::Defaults);
    let sets = entries(tutor, Section::Set);
    // Who defines each key, for conflicts: adds and defaults, in order.
    let mut definers: BTreeMap<String, Source> = BTreeMap::new();
    for entry in added.iter().chain(&defaults) {
        definers.entry(entry.key.clone()).or_insert_with(|| entry.source.clone());
    }
    let renderer = super::render::values_env();
    let render = |entry: &Entry, context: &BTreeMap<String, Value>| -> Result<Value, TutorError> {
        let Value::String(template) = &entry.value else { return Ok(entry.value.clone()) };
        let rendered = renderer.render_str(template, context).map_err(|error| TutorError::Template {
            origin: entry.origin.clone(),
            error: crate::templates::render_error("value", &error),
        })?;
        if rendered.len() > MAX_RENDERED_BYTES {
            return Err(TutorError::Template {
                origin: entry.origin.clone(),
                error: crate::templates::TemplateError::Render {
                    template: "value".into(),
                    line: None,
                    message: format!("renders to more than the limit of {MAX_RENDERED_BYTES} bytes"),
                },
            });
        }
        Ok(Value::String(rendered))
    };

    let mut values = stored.values.clone();
    let mut sources: BTreeMap<String, Source> = values
        .keys()
        .map(|key| (key.clone(), added.iter().find(|e| e.key == *key).map_or(Source::User, |e| e.source.clone())))
        .collect();
    let mut generated = Vec::new();
    for entry in &added {
        if values.contains_key(&entry.key) {
            continue;
        }
        if generate == Generate::No {
            return Err(TutorError::NotSaved {
                key: entry.key.clone(),
                owner: entry.source.to_string(),
                config: for_terminal(&config_file.display().to_string(), 1_000),
            });
        }
        let value = render(entry, &values)?;
        stored.values.insert(entry.key.clone(), value.clone());
        values.insert(entry.key.clone(), value);
        sources.insert(entry.key.clone(), entry.source.clone());
        generated.push(entry.key.clone());
    }
    let mut conflicts = Vec::new();
    for entry in &sets {
        let Source::PluginSet(plugin) = &entry.source else { continue };
        let owned_by_self =
            |source: &Source| matches!(source, Source::PluginAdd(p) | Source::PluginDefault(p) if p == plugin);
        let earlier = sources.get(&entry.key).filter(|source| matches!(source, Source::PluginSet(_))).cloned();
        let defined_by = earlier.clone().or_else(|| definers.get(&entry.key).cloned()).filter(|s| !owned_by_self(s));
        if stored.values.contains_key(&entry.key) || earlier.is_some() {
            let kept = sources.get(&entry.key).cloned().unwrap_or(Source::User);
            conflicts.push(Conflict {
                key: entry.key.clone(),
                plugin: plugin.clone(),
                defined_by: defined_by.unwrap_or_else(|| kept.clone()),
                kept,
            });
            continue;
        }
        let value = render(entry, &values)?;
        values.insert(entry.key.clone(), value);
        sources.insert(entry.key.clone(), entry.source.clone());
        if let Some(defined_by) = defined_by {
            conflicts.push(Conflict {
                key: entry.key.clone(),
                plugin: plugin.clone(),
                defined_by,
                kept: entry.source.clone(),
            });
        }
    }
    for entry in &defaults {
        if values.contains_key(&entry.key) {
            continue;
        }
        let value = render(entry, &values)?;
        values.insert(entry.key.clone(), value);
        sources.insert(entry.key.clone(), entry.source.clone());
    }
    Ok(Resolved { values, sources, stored, generated, conflicts })
}
