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
use crate::hooks::{self, CallTarget, HookSpec, LiveInstance};
use crate::manifest::validate_name;
use crate::outcome::{Outcome, Status};
use crate::plugin::Plugin;
use crate::types::{ActionReport, Deployment, Hook, HookValue, ParamValue, Parameters};

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
        Session { set: self, instances: self.entries.iter().map(|_| None).collect() }
    }

    /// Runs `deploy` on every plugin, each in a fresh instance.
    pub fn deploy(&self, deployment: &Deployment) -> Vec<Outcome<ActionReport>> {
        self.session().deploy(deployment)
    }

    /// Runs `destroy` on every plugin, each in a fresh instance.
    pub fn destroy(&self, deployment: &Deployment) -> Vec<Outcome<ActionReport>> {
        self.session().destroy(deployment)
    }

    /// Runs `dockerfile-injection` on every plugin, each in a fresh instance.
    pub fn dockerfile_injection(&self, deployment: &Deployment) -> Vec<Outcome<Vec<String>>> {
        self.session().dockerfile_injection(deployment)
    }

    /// Runs `bootstrap-injection` on every plugin, each in a fresh instance.
    pub fn bootstrap_injection(&self, deployment: &Deployment) -> Vec<Outcome<Option<String>>> {
        self.session().bootstrap_injection(deployment)
    }

    /// Runs `job-runtime-env-vars` on every plugin, each in a fresh instance.
    pub fn job_runtime_env_vars(&self, deployment: &Deployment) -> Vec<Outcome<Vec<(String, String)>>> {
        self.session().job_runtime_env_vars(deployment)
    }

    /// Runs a hook chosen at run time, each plugin in a fresh instance.
    pub fn run(&self, hook: Hook, deployment: &Deployment) -> Vec<Outcome<HookValue>> {
        self.session().run(hook, deployment)
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
}

impl Session<'_> {
    /// Runs `deploy` on every plugin.
    pub fn deploy(&mut self, deployment: &Deployment) -> Vec<Outcome<ActionReport>> {
        self.run_spec(deployment, &hooks::DEPLOY)
    }

    /// Runs `destroy` on every plugin.
    pub fn destroy(&mut self, deployment: &Deployment) -> Vec<Outcome<ActionReport>> {
        self.run_spec(deployment, &hooks::DESTROY)
    }

    /// Runs `dockerfile-injection` on every plugin.
    pub fn dockerfile_injection(&mut self, deployment: &Deployment) -> Vec<Outcome<Vec<String>>> {
        self.run_spec(deployment, &hooks::DOCKERFILE_INJECTION)
    }

    /// Runs `bootstrap-injection` on every plugin.
    pub fn bootstrap_injection(&mut self, deployment: &Deployment) -> Vec<Outcome<Option<String>>> {
        self.run_spec(deployment, &hooks::BOOTSTRAP_INJECTION)
    }

    /// Runs `job-runtime-env-vars` on every plugin.
    pub fn job_runtime_env_vars(&mut self, deployment: &Deployment) -> Vec<Outcome<Vec<(String, String)>>> {
        self.run_spec(deployment, &hooks::JOB_RUNTIME_ENV_VARS)
    }

    /// Runs a hook chosen at run time.
    pub fn run(&mut self, hook: Hook, deployment: &Deployment) -> Vec<Outcome<HookValue>> {
        fn wrap<T>(outcomes: Vec<Outcome<T>>, f: fn(T) -> HookValue) -> Vec<Outcome<HookValue>> {
            outcomes.into_iter().map(|outcome| outcome.map(f)).collect()
        }
        match hook {
            Hook::Deploy => wrap(self.deploy(deployment), HookValue::Report),
            Hook::Destroy => wrap(self.destroy(deployment), HookValue::Report),
            Hook::DockerfileInjection => wrap(self.dockerfile_injection(deployment), HookValue::DockerfileLines),
            Hook::BootstrapInjection => wrap(self.bootstrap_injection(deployment), HookValue::BootstrapScript),
            Hook::JobRuntimeEnvVars => wrap(self.job_runtime_env_vars(deployment), HookValue::EnvVars),
        }
    }

    fn run_spec<R, T>(&mut self, deployment: &Deployment, spec: &HookSpec<R, T>) -> Vec<Outcome<T>> {
        let set = self.set;
        let mut aborted = false;
        set.entries
            .iter()
            .zip(&mut self.instances)
            .map(|(entry, slot)| {
                let status = if aborted {
                    Status::NotRun
                } else {
                    let target =
                        CallTarget { plugin: &entry.plugin, id: &entry.id, parameters: &entry.parameters };
                    hooks::call_hook(&set.host, &target, deployment, spec, slot)
                };
                if let Status::Failed(failure) = &status {
                    tracing::debug!("{failure}");
                    aborted = set.policy == FailurePolicy::Abort;
                }
                Outcome {
                    plugin: entry.plugin.name().to_string(),
                    id: entry.id.clone(),
                    version: entry.plugin.version().clone(),
                    priority: entry.plugin.manifest().priority,
                    status,
                }
            })
            .collect()
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
        validate_name(&id).map_err(|e| Error::PluginSet {
            origin: plugin.source().to_string(),
            problem: format!("plugin id: {e}"),
        })?;
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
        let text = read_capped(path, MAX_SET_FILE_BYTES).map_err(set_error)?;
        let set: SetFile = serde_yaml::from_str(&text).map_err(|e| set_error(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for entry in set.plugins {
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
    let io_error = |e: std::io::Error| Error::PluginSet {
        origin: path.display().to_string(),
        problem: format!("cannot read: {e}"),
    };
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

/// Reads a small text file, refusing one larger than `limit`.
pub(crate) fn read_capped(path: &Path, limit: u64) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?.len();
    if size > limit {
        return Err(format!("is {size} bytes; the limit is {limit}"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// Converts YAML parameters, keeping their order. Nested maps and mixed
/// lists have no WIT shape in 0.1.0 and are refused with a hint.
pub fn parameters_from_yaml(mapping: &serde_yaml::Mapping) -> Result<Parameters, String> {
    mapping
        .iter()
        .map(|(key, value)| {
            let key = key.as_str().ok_or("parameter names must be strings")?;
            let hint = || {
                format!("parameter `{key}` must be a string, number, boolean or list of strings; encode anything else as a string")
            };
            let value = match value {
                serde_yaml::Value::String(text) => ParamValue::Text(text.clone()),
                serde_yaml::Value::Bool(flag) => ParamValue::Boolean(*flag),
                serde_yaml::Value::Number(n) => match n.as_i64() {
                    Some(i) => ParamValue::Integer(i),
                    None => ParamValue::Number(n.as_f64().ok_or_else(hint)?),
                },
                serde_yaml::Value::Sequence(items) => ParamValue::TextList(
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_string).ok_or_else(hint))
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(hint()),
            };
            Ok((key.to_string(), value))
        })
        .collect()
}
