//! The plugin set an operator wants on a target: like a [`crate::PluginSet`],
//! but each plugin keeps its bundle's bytes, so that an apply can record them
//! and a later apply can run the plugin's `destroy` from the store alone.

use std::path::Path;
use std::sync::Arc;

use crate::bundle::Bundle;
use crate::engine::Host;
use crate::hooks::Hook;
use crate::plugin::Plugin;
use crate::plugin_set::{FailurePolicy, PluginConfig, PluginSet};
use crate::types::Parameters;

use super::{PluginIdentity, StateError, sha256_hex};

/// One plugin of a [`DesiredSet`].
#[derive(Debug, Clone)]
pub struct DesiredPlugin {
    pub(super) plugin: Arc<Plugin>,
    pub(super) id: String,
    pub(super) parameters: Parameters,
    pub(super) bundle: Arc<[u8]>,
    pub(super) identity: PluginIdentity,
}

impl DesiredPlugin {
    /// The loaded plugin.
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }

    /// The id it runs under.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its configured parameters.
    pub fn parameters(&self) -> &Parameters {
        &self.parameters
    }

    /// The bundle archive's bytes.
    pub fn bundle_bytes(&self) -> &[u8] {
        &self.bundle
    }

    /// What an apply records about it.
    pub fn identity(&self) -> &PluginIdentity {
        &self.identity
    }
}

/// The plugins wanted on a target, in execution order (priority, then
/// configured order), with the failure policy an apply runs them under.
#[derive(Debug)]
pub struct DesiredSet {
    pub(super) host: Host,
    pub(super) plugins: Vec<DesiredPlugin>,
    pub(super) policy: FailurePolicy,
}

impl DesiredSet {
    /// Starts a desired set on `host`.
    pub fn builder(host: &Host) -> DesiredSetBuilder {
        DesiredSetBuilder { host: host.clone(), plugins: Vec::new(), policy: FailurePolicy::default() }
    }

    /// The plugins in execution order.
    pub fn plugins(&self) -> &[DesiredPlugin] {
        &self.plugins
    }

    /// What happens to the rest of an apply when a plugin fails.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.policy
    }

    /// The host the plugins were loaded on.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The same plugins as a [`PluginSet`], to run hooks without the state.
    pub fn to_plugin_set(&self) -> Result<PluginSet, StateError> {
        let mut builder = PluginSet::builder(&self.host).failure_policy(self.policy);
        for entry in &self.plugins {
            builder = builder.add(entry.plugin.clone(), config_of(entry))?;
        }
        Ok(builder.build()?)
    }
}

pub(super) fn config_of(entry: &DesiredPlugin) -> PluginConfig {
    PluginConfig { id: Some(entry.id.clone()), parameters: entry.parameters.clone() }
}

/// Collects a [`DesiredSet`] in configured order.
#[derive(Debug)]
pub struct DesiredSetBuilder {
    host: Host,
    plugins: Vec<DesiredPlugin>,
    policy: FailurePolicy,
}

impl DesiredSetBuilder {
    /// Chooses what happens after a failure (default: continue).
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Adds a bundle from its archive bytes; `source` names it in errors.
    pub fn add_bundle_bytes(mut self, bytes: Vec<u8>, source: &str, config: PluginConfig) -> Result<Self, StateError> {
        let bundle = Bundle::from_bytes(&bytes, self.host.bundle_limits())
            .map_err(|problem| crate::Error::Bundle { path: source.to_string(), problem })?;
        let plugin = self.host.load_bundle(bundle, source)?;
        let id = config.id.clone().unwrap_or_else(|| plugin.name().to_string());
        let identity = PluginIdentity {
            name: plugin.name().to_string(),
            version: plugin.version().to_string(),
            priority: plugin.manifest().priority(),
            bundle_sha256: sha256_hex(&bytes),
            component_sha256: plugin.component_sha256().to_string(),
            wit_packages: paddock_packages(&plugin),
            parameters: serde_json::to_value(&config.parameters).unwrap_or_default(),
        };
        self.plugins.push(DesiredPlugin {
            plugin: Arc::new(plugin),
            id,
            parameters: config.parameters,
            bundle: bytes.into(),
            identity,
        });
        Ok(self)
    }

    /// Reads and adds the bundle file at `path`.
    pub fn add_file(self, path: &Path, config: PluginConfig) -> Result<Self, StateError> {
        let bytes = self.read_file(path)?;
        self.add_bundle_bytes(bytes, &path.display().to_string(), config)
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>, StateError> {
        crate::fsutil::read_regular_capped(path, self.host.bundle_limits().max_archive_bytes)
            .map_err(|problem| StateError::Bundle { path: path.display().to_string(), problem })
    }

    /// Adds a bundle file, or every `*.zip` in a directory in file-name
    /// order, with default configuration.
    pub fn add_path(mut self, path: &Path) -> Result<Self, StateError> {
        for file in crate::plugin_set::bundle_files(path)? {
            self = self.add_file(&file, PluginConfig::default())?;
        }
        Ok(self)
    }

    /// Adds every plugin of a plugin-set file, in file order, with its id
    /// and parameters; a bundle its entry pins with `sha256:` is checked
    /// before it is used.
    pub fn add_set_file(mut self, path: &Path) -> Result<Self, StateError> {
        for entry in crate::plugin_set::read_set_file(path)? {
            let bytes = self.read_file(&entry.bundle)?;
            entry.check_digest(&sha256_hex(&bytes))?;
            self = self.add_bundle_bytes(bytes, &entry.bundle.display().to_string(), entry.config)?;
        }
        Ok(self)
    }

    /// Checks names, ids and requirements as [`crate::PluginSetBuilder::build`]
    /// does and puts the plugins in its execution order (priority, ties in
    /// configured order, required plugins first).
    pub fn build(self) -> Result<DesiredSet, StateError> {
        let mut check = PluginSet::builder(&self.host);
        for entry in &self.plugins {
            check = check.add(entry.plugin.clone(), config_of(entry))?;
        }
        check.build()?;
        let plugins = crate::plugin_set::in_execution_order(self.plugins, |entry| &*entry.plugin)?;
        Ok(DesiredSet { host: self.host, plugins, policy: self.policy })
    }
}

/// The Paddock WIT packages a plugin targets, as `package@version`, from
/// what it exports and imports.
fn paddock_packages(plugin: &Plugin) -> Vec<String> {
    let mut packages: Vec<String> = plugin
        .exports()
        .iter()
        .map(|export| export.name.as_str())
        .chain(plugin.imports().iter().map(String::as_str))
        .filter_map(package_of)
        .collect();
    packages.sort();
    packages.dedup();
    packages
}

/// `paddock:orbit@0.2.0` for `paddock:orbit/deploy@0.2.0`; `None` for
/// interfaces that are not Paddock's.
fn package_of(interface: &str) -> Option<String> {
    let (package, rest) = interface.split_once('/')?;
    package.starts_with("paddock:").then(|| {
        let version = rest.split_once('@').map(|(_, version)| version).unwrap_or("unversioned");
        format!("{package}@{version}")
    })
}

/// The WIT package of the export through which `plugin` implements `hook`.
pub(super) fn hook_package(plugin: &Plugin, hook: Hook) -> Option<String> {
    if !plugin.implements(hook) {
        return None;
    }
    let unversioned = |name: &str| name.split_once('@').map_or(name, |(name, _)| name).to_string();
    hook.locations().iter().find_map(|location| {
        let wanted = unversioned(location.interface());
        plugin
            .exports()
            .iter()
            .find(|export| unversioned(&export.name) == wanted)
            .and_then(|export| package_of(&export.name))
    })
}
