//! An ordered set of plugins and running hooks across it.
//!
//! Order: lowest priority first; ties keep the configured order (the order
//! plugins were added, the order of a plugin-set file, or file-name order in
//! a directory). Requirements (a manifest's `requires:`, DevStack's
//! `plugin_requires`) come first: a required plugin runs before every
//! plugin requiring it whatever their priorities, and the others keep
//! their priority order wherever the requirements allow (`order`). A
//! requirement missing from the set, or a cycle, fails [`PluginSetBuilder::build`].
//! Here: the set and its builder; [`session`] runs hooks,
//! `set_file` reads plugin-set files, `params` converts their parameters,
//! `scan` finds the bundles in a directory.

mod environment;
mod order;
mod params;
mod scan;
pub mod session;
mod set_file;

use std::sync::Arc;

use crate::engine::Host;
use crate::error::Error;
use crate::hooks::{Hook, HookDecl, HookRun, RunContext};
use crate::outcome::Outcome;
use crate::plugin::Plugin;
use crate::types::Parameters;

pub use environment::{Environment, Team};
pub use params::{ParamsError, parameters_from_yaml_str};
pub use scan::bundle_files;
pub use session::Session;
pub use set_file::{SetFileEntry, read_set_file};

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

impl PluginSet {
    /// Starts a set on `host`.
    pub fn builder(host: &Host) -> PluginSetBuilder {
        PluginSetBuilder { host: host.clone(), entries: Vec::new(), policy: FailurePolicy::default() }
    }

    /// Plugins in execution order with their configured ids.
    pub fn plugins(&self) -> impl Iterator<Item = (&Plugin, &str)> {
        self.entries.iter().map(|entry| (&*entry.plugin, entry.id.as_str()))
    }

    /// The parameters the plugin configured under `id` gets.
    pub fn parameters_of(&self, id: &str) -> Option<Parameters> {
        self.entries.iter().find(|entry| entry.id == id).map(|entry| entry.parameters.clone())
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
    pub fn call<H: HookDecl>(&self, input: &H::Input) -> Vec<Outcome<H::Output>> {
        self.fresh().call::<H>(input)
    }

    /// Runs hook `H` on the plugin configured under `id` alone, in a fresh
    /// instance (a command one plugin adds); `None` when the set has no
    /// plugin of that id.
    pub fn call_one<H: HookDecl>(&self, id: &str, input: &H::Input) -> Option<Outcome<H::Output>> {
        let entry = self.entries.iter().find(|entry| entry.id == id)?;
        let alone = PluginSet {
            host: self.host.clone(),
            entries: vec![Entry {
                plugin: entry.plugin.clone(),
                id: entry.id.clone(),
                parameters: entry.parameters.clone(),
            }],
            policy: self.policy,
        };
        alone.call::<H>(input).pop()
    }

    /// Runs a hook chosen at run time, each plugin in a fresh instance, with
    /// its input taken from `context`.
    pub fn run(&self, hook: Hook, context: &RunContext) -> Result<HookRun, crate::hooks::MissingInput> {
        self.fresh().run(hook, context)
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

    /// Orders the plugins (priority, ties in configured order, bent by
    /// requirements: see [`crate::plugin_set`]) and rejects two plugins
    /// with one name or one id, a requirement missing from the set
    /// ([`Error::MissingRequirement`]) and a cycle of requirements
    /// ([`Error::RequirementCycle`]).
    pub fn build(self) -> Result<PluginSet, Error> {
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
        let entries = in_execution_order(self.entries, |entry| &*entry.plugin)?;
        Ok(PluginSet { host: self.host, entries, policy: self.policy })
    }
}

/// `items` (in configured order), each holding a plugin, in execution order.
pub(crate) fn in_execution_order<T>(items: Vec<T>, plugin: impl Fn(&T) -> &Plugin) -> Result<Vec<T>, Error> {
    let nodes: Vec<order::Node<'_>> = items
        .iter()
        .map(|item| {
            let plugin = plugin(item);
            order::Node {
                name: plugin.name(),
                version: plugin.version().to_string(),
                priority: plugin.manifest().priority(),
                requires: plugin.manifest().requires(),
                origin: plugin.source(),
            }
        })
        .collect();
    let order = order::execution_order(&nodes)?;
    let mut items: Vec<Option<T>> = items.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|index| items[index].take()).collect())
}

/// Ids follow the plugin-name rules: they name bootstrap scripts
/// (`<id>.sh`) and Dockerfile comments. `origin` says where the id was
/// configured.
fn check_id(id: &str, origin: impl FnOnce() -> String) -> Result<(), Error> {
    match crate::manifest::name_problem(id) {
        None => Ok(()),
        Some(problem) => Err(Error::PluginId { id: crate::sanitize::for_terminal(id, 80), origin: origin(), problem }),
    }
}
