//! An ordered set of plugins and running hooks across it.
//!
//! Order: lowest priority first; ties keep the configured order (the order
//! plugins were added, the order of a plugin-set file, or file-name order in
//! a directory).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::engine::Host;
use crate::error::Error;
use crate::call::{self, CallTarget, LiveInstance};
use crate::hooks::{Hook, HookDecl, HookRun, HookVisitor};
use crate::outcome::{Outcome, Status};
use crate::plugin::Plugin;
use crate::types::{Deployment, ParamValue, Parameters};

/// What happens to the rest of a run when a plugin fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Record the failure and run the remaining plugins (default).
    #[default]
    Continue,
    /// Stop at the first failure; later plugins are reported as `NotRun`.
    Abort,
}

/// How one plugin is configured in a set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginConfig {
    /// The id the plugin runs under; defaults to its manifest name.
    pub id: Option<String>,
    /// Parameters passed to every hook.
    pub parameters: Parameters,
}

struct Entry {
    plugin: Arc<Plugin>,
    id: String,
    parameters: Parameters,
}

/// Plugins in execution order, ready to run hooks.
///
/// Hook methods block the calling thread until every plugin has finished
/// or hit its deadline; from async code, call them inside
/// `tokio::task::spawn_blocking`, not on a runtime worker.
pub struct PluginSet {
    host: Host,
    entries: Vec<Entry>,
    policy: FailurePolicy,
}

/// Collects plugins in configured order, then sorts and checks them.
pub struct PluginSetBuilder {
    host: Host,
    entries: Vec<Entry>,
    policy: FailurePolicy,
}

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
/// ```
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    plugins: Vec<SetFileEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFileEntry {
    bundle: PathBuf,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parameters: serde_yaml::Mapping,
}

/// Largest plugin-set file accepted.
const MAX_SET_FILE_BYTES: u64 = 1024 * 1024;

impl PluginSet {
    /// Starts a set on `host`.
    pub fn builder(host: &Host) -> PluginSetBuilder {
        PluginSetBuilder { host: host.clone(), entries: Vec::new(), policy: FailurePolicy::default() }
    }

    /// Plugins in execution order with their configured ids.
    pub fn plugins(&self) -> impl Iterator<Item = (&Plugin, &str)> {
        self.entries.iter().map(|entry| (&*entry.plugin, entry.id.as_str()))
    }

    /// Number of plugins.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the set holds no plugin.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A session keeps one warm instance per plugin across hook calls (a
    /// trapped instance is replaced on its next call). The hook methods of
    /// `PluginSet` itself use a fresh instance for every call.
    pub fn session(&self) -> Session<'_> {
        Session { set: self, instances: self.entries.iter().map(|_| None).collect(), keep_warm: true }
    }

    /// A session that drops each instance right after its call, so a run
    /// holds one pool slot at a time however many plugins the set has.
    fn fresh(&self) -> Session<'_> {
        Session { set: self, instances: self.entries.iter().map(|_| None).collect(), keep_warm: false }
    }

    /// Runs hook `H` on every plugin, each in a fresh instance:
    /// `set.call::<hooks::DockerfileInjection>(&deployment)`.
    pub fn call<H: HookDecl>(&self, deployment: &Deployment) -> Vec<Outcome<H::Output>> {
        self.fresh().call::<H>(deployment)
    }

    /// Runs a hook chosen at run time, each plugin in a fresh instance.
    pub fn run(&self, hook: Hook, deployment: &Deployment) -> HookRun {
        self.fresh().run(hook, deployment)
    }
}

/// Hook calls that reuse one instance per plugin: for an embedder running
/// several hooks for one deployment. Plugin state (globals, memory) persists
/// between the calls of a session, so use one session per deployment, never
/// across tenants. A failed call never poisons later ones: an instance that
/// trapped is dropped and the next call gets a new one.
pub struct Session<'a> {
    set: &'a PluginSet,
    instances: Vec<Option<LiveInstance>>,
    /// Whether instances outlive their call (a session) or not (the
    /// set's own methods).
    keep_warm: bool,
}

impl Session<'_> {
    /// Runs hook `H` on every plugin: `session.call::<hooks::Deploy>(&deployment)`.
    pub fn call<H: HookDecl>(&mut self, deployment: &Deployment) -> Vec<Outcome<H::Output>> {
        let set = self.set;
        let mut aborted = false;
        let mut outcomes = Vec::with_capacity(set.entries.len());
        for (index, entry) in set.entries.iter().enumerate() {
            let status = if aborted {
                Status::NotRun
            } else {
                let target = CallTarget { plugin: &entry.plugin, id: &entry.id, parameters: &entry.parameters };
                let mut status = call::call_hook::<H>(&set.host, &target, deployment, &mut self.instances[index]);
                if is_host_capacity(&status) && self.instances.iter().any(Option::is_some) {
                    // A warm session over more plugins than the pool has
                    // slots: give back this session's own instances and try
                    // again, rather than blame the plugin for the host's size.
                    self.instances.iter_mut().for_each(|slot| *slot = None);
                    status = call::call_hook::<H>(&set.host, &target, deployment, &mut self.instances[index]);
                }
                if !self.keep_warm {
                    self.instances[index] = None;
                }
                status
            };
            if let Status::Failed(failure) = &status {
                tracing::debug!("{failure}");
                aborted = set.policy == FailurePolicy::Abort;
            }
            outcomes.push(Outcome {
                plugin: entry.plugin.name().to_string(),
                id: entry.id.clone(),
                version: entry.plugin.version().clone(),
                priority: entry.plugin.manifest().priority,
                status,
            });
        }
        outcomes
    }

    /// Runs a hook chosen at run time.
    pub fn run(&mut self, hook: Hook, deployment: &Deployment) -> HookRun {
        struct Run<'s, 'a> {
            session: &'s mut Session<'a>,
            deployment: &'s Deployment,
        }
        impl HookVisitor for Run<'_, '_> {
            type Output = HookRun;
            fn visit<H: HookDecl>(self) -> HookRun {
                HookRun::new::<H>(self.session.call::<H>(self.deployment))
            }
        }
        hook.visit(Run { session: self, deployment })
    }
}

impl PluginSetBuilder {
    /// Chooses what happens after a failure (default: continue).
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Adds a loaded plugin with its configuration.
    pub fn add(mut self, plugin: impl Into<Arc<Plugin>>, config: PluginConfig) -> Result<Self, Error> {
        let plugin = plugin.into();
        let id = config.id.unwrap_or_else(|| plugin.name().to_string());
        check_id(&id, || format!("given for {}", plugin.source()))?;
        self.entries.push(Entry { plugin, id, parameters: config.parameters });
        Ok(self)
    }

    /// Loads and adds a bundle file, or every `*.zip` in a directory in
    /// file-name order, with default configuration.
    pub fn add_path(mut self, path: &Path) -> Result<Self, Error> {
        for bundle in bundle_files(path)? {
            let plugin = self.host.load_file(&bundle)?;
            self = self.add(plugin, PluginConfig::default())?;
        }
        Ok(self)
    }

    /// Loads and adds every plugin of a plugin-set file, in file order.
    pub fn add_set_file(mut self, path: &Path) -> Result<Self, Error> {
        let origin = path.display().to_string();
        let set_error = |problem: String| Error::PluginSet { origin: origin.clone(), problem };
        let text = crate::fsutil::read_text_capped(path, MAX_SET_FILE_BYTES).map_err(|e| set_error(e.to_string()))?;
        let set = parse_set_file(&text).map_err(set_error)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for (index, entry) in set.plugins.into_iter().enumerate() {
            // Checked before the bundle is loaded, so the error blames the
            // set file's entry rather than the bundle.
            if let Some(id) = &entry.id {
                check_id(id, || format!("entry {} of plugin-set file {origin}", index + 1))?;
            }
            let plugin = self.host.load_file(&base.join(&entry.bundle))?;
            let parameters = parameters_from_yaml(&entry.parameters)
                .map_err(|problem| set_error(format!("plugin `{}`: {problem}", plugin.name())))?;
            self = self.add(plugin, PluginConfig { id: entry.id, parameters })?;
        }
        Ok(self)
    }

    /// Sorts by priority (stable, so ties keep configured order) and rejects
    /// two plugins with one name or one id.
    pub fn build(mut self) -> Result<PluginSet, Error> {
        for (index, entry) in self.entries.iter().enumerate() {
            if let Some(other) = self.entries[..index]
                .iter()
                .find(|other| other.plugin.name() == entry.plugin.name() || other.id == entry.id)
            {
                return Err(Error::DuplicatePlugin {
                    name: if other.id == entry.id { entry.id.clone() } else { entry.plugin.name().to_string() },
                    first: other.plugin.source().to_string(),
                    second: entry.plugin.source().to_string(),
                });
            }
        }
        self.entries.sort_by_key(|entry| entry.plugin.manifest().priority);
        Ok(PluginSet { host: self.host, entries: self.entries, policy: self.policy })
    }
}

/// `path` itself when it is a file; the `*.zip` files in it, sorted by name,
/// when it is a directory.
pub fn bundle_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let io_error = |problem: std::io::Error| Error::PluginPath { path: path.display().to_string(), problem };
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io_error)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io_error)? {
        let file = entry.map_err(io_error)?.path();
        if file.is_file() && file.extension().is_some_and(|ext| ext == "zip") {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// Ids follow the plugin-name rules: they name bootstrap scripts
/// (`<id>.sh`) and Dockerfile comments. `origin` says where the id was
/// configured.
fn check_id(id: &str, origin: impl FnOnce() -> String) -> Result<(), Error> {
    match crate::manifest::name_problem(id) {
        None => Ok(()),
        Some(problem) => {
            Err(Error::PluginId { id: crate::sanitize::for_terminal(id, 80), origin: origin(), problem })
        }
    }
}

/// Parses a plugin-set file so that no YAML tag on a parameter is lost.
/// serde_yaml resolves `!!str`, `!!int`, `!!float`, `!!bool` and `!!null`
/// but reads a scalar under any other `!!` tag (`!!binary`,
/// `!!python/object:...`) as a plain string, dropping the tag. Bound to
/// the local handle, every `!!` tag reaches [`parameters_from_yaml`] as a
/// tagged value, which it refuses.
fn parse_set_file(text: &str) -> Result<SetFile, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let is_document_start = |line: &str| line.starts_with('%') || line == "---" || line.starts_with("--- ");
    let opens_with_marker = text
        .lines()
        .find(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .is_some_and(is_document_start);
    let rebound = format!("%TAG !! !\n{}{text}", if opens_with_marker { "" } else { "---\n" });
    serde_yaml::from_str(&rebound).map_err(|rebound_error| {
        // Error positions must be those of the file as written.
        match serde_yaml::from_str::<SetFile>(text) {
            Err(error) => error.to_string(),
            Ok(_) => rebound_error.to_string(),
        }
    })
}

/// Converts YAML parameters, keeping their order. Only what has an exact
/// `param-value` is accepted: a string, an integer that fits an i64, a
/// number written as a float, a boolean, a list of strings. Everything else
/// (nested maps, mixed lists, null, larger integers, YAML tags) is refused
/// naming the parameter, rather than converted into something else.
///
/// serde_yaml drops most `!!` tags while parsing; a plugin-set file read by
/// [`PluginSetBuilder::add_set_file`] keeps them, so they are refused too.
pub fn parameters_from_yaml(mapping: &serde_yaml::Mapping) -> Result<Parameters, String> {
    mapping
        .iter()
        .map(|(key, value)| {
            let key = key.as_str().ok_or("parameter names must be plain strings")?;
            let value = param_value(value).map_err(|problem| {
                format!(
                    "parameter `{}` must be a string, a 64-bit integer, a number, a boolean or a list of strings; \
                     it {problem} (quote it to pass it as a string)",
                    crate::sanitize::for_terminal(key, 80)
                )
            })?;
            Ok((key.to_string(), value))
        })
        .collect()
}

/// The exact `param-value` of `value`, or what it is instead.
fn param_value(value: &serde_yaml::Value) -> Result<ParamValue, String> {
    use serde_yaml::Value;
    let tagged = |tag: &serde_yaml::value::Tag| {
        format!("carries a YAML tag ({})", crate::sanitize::for_terminal(&tag.to_string(), 80))
    };
    Ok(match value {
        Value::String(text) => ParamValue::Text(text.clone()),
        Value::Bool(flag) => ParamValue::Boolean(*flag),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(integer), _) => ParamValue::Integer(integer),
            (None, Some(float)) if n.is_f64() => ParamValue::Number(float),
            _ => return Err(format!("is {n}, outside the 64-bit integer range")),
        },
        Value::Sequence(items) => ParamValue::TextList(
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    Value::Tagged(item) => Err(format!("is a list with an item that {}", tagged(&item.tag))),
                    _ => Err("is a list with an item that is not a string".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Tagged(tagged_value) => return Err(tagged(&tagged_value.tag)),
        Value::Null => return Err("is empty (null)".to_string()),
        Value::Mapping(_) => return Err("is a map".to_string()),
    })
}

fn is_host_capacity<T>(status: &Status<T>) -> bool {
    matches!(status, Status::Failed(failure) if matches!(failure.cause, crate::outcome::FailureCause::HostCapacity(_)))
}

#[cfg(test)]
mod parameter_tests {
    use super::*;

    fn parameters(yaml: &str) -> Result<Parameters, String> {
        let set = parse_set_file(&format!("plugins:\n  - bundle: a.zip\n    parameters:\n{yaml}"))?;
        parameters_from_yaml(&set.plugins[0].parameters)
    }

    #[test]
    fn parameters_convert_exactly_or_not_at_all() {
        let exact = "      text: hi\n      quoted: \"007\"\n      int: -9223372036854775808\n      float: 1.5\n      \
                     flag: true\n      list: [a, b]\n";
        assert_eq!(
            parameters(&format!("{exact}      str_tag: !!str 12\n")),
            Err("parameter `str_tag` must be a string, a 64-bit integer, a number, a boolean or a list of strings; it \
                 carries a YAML tag (!str) (quote it to pass it as a string)"
                .to_string())
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
            ("      1: x\n", "parameter names must be plain strings"),
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
