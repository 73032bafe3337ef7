//! A loaded plugin: its manifest, the hash of its component and the
//! pre-linked component ready to instantiate.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{ComponentExportIndex, InstancePre};

use crate::bundle::{Bundle, BundleFile};
use crate::cache::CompileOrigin;
use crate::grants::PluginGrants;
use crate::hooks::Hook;
use crate::manifest::Manifest;
use crate::sandbox::SandboxState;

/// An interface a component exports, with its functions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportedInterface {
    /// Fully qualified name, e.g. `paddock:plugin/hooks@0.1.0`.
    pub name: String,
    /// Function names.
    pub functions: Vec<String>,
}

/// How loading a plugin went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    /// Compiled now or taken from the cache.
    pub origin: CompileOrigin,
    /// Time spent compiling or deserializing.
    pub compile_time: Duration,
}

/// A compiled, linked plugin. Instantiated afresh for every hook call.
pub struct Plugin {
    manifest: Manifest,
    name: Arc<str>,
    component_sha256: String,
    component_size: usize,
    archive_size: u64,
    archive_sha256: Option<String>,
    /// What the bundle ships under `files/`: templates, charts and content
    /// the host reads (the guest sees them only if granted `bundle-files`).
    files: Vec<BundleFile>,
    source: String,
    pub(crate) linked: Arc<Linked>,
    load_stats: LoadStats,
    pub(crate) grants: PluginGrants,
}

/// A compiled component linked against the host, ready to instantiate.
/// Shared by every plugin loaded from the same component bytes.
pub(crate) struct Linked {
    pub(crate) pre: InstancePre<SandboxState>,
    pub(crate) exports: Vec<ExportedInterface>,
    pub(crate) imports: Vec<String>,
    /// Per hook (by [`Hook::index`]), the type-checked export that
    /// implements it; `None` for a hook the component does not export.
    pub(crate) hooks: Vec<Option<HookExport>>,
}

/// Where a component implements a hook.
pub(crate) struct HookExport {
    /// Which of the hook's [`Hook::locations`] the export matches: selects
    /// the call shape.
    pub(crate) location: usize,
    /// The exported function, looked up once at load.
    pub(crate) index: ComponentExportIndex,
}

impl Linked {
    /// The export implementing `hook`, if the component has one.
    pub(crate) fn hook_export(&self, hook: Hook) -> Option<&HookExport> {
        self.hooks.get(hook.index()).and_then(Option::as_ref)
    }

    /// The hooks the component exports, in [`Hook::ALL`] order.
    pub(crate) fn implemented(&self) -> Vec<Hook> {
        Hook::ALL.iter().copied().filter(|hook| self.hook_export(*hook).is_some()).collect()
    }
}

/// What [`crate::Host::check_bundle`] found: the component compiles and
/// links on this host. Nothing is granted, so it cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ComponentCheck {
    /// Whether the component came from the cache, and how long that took.
    #[serde(skip)]
    pub load_stats: LoadStats,
    /// Interfaces the component exports.
    pub exports: Vec<ExportedInterface>,
    /// Interfaces the component imports (all provided by this host).
    pub imports: Vec<String>,
    /// The hooks the component exports; the others are skipped without
    /// instantiating it.
    pub hooks: Vec<Hook>,
}

impl ComponentCheck {
    /// The Paddock WIT packages the component targets, as `package@version`
    /// (from what it exports and imports), e.g. `paddock:plugin@0.1.0`.
    pub fn paddock_packages(&self) -> Vec<String> {
        let mut packages: Vec<String> = self
            .exports
            .iter()
            .map(|export| export.name.as_str())
            .chain(self.imports.iter().map(String::as_str))
            .filter(|name| name.starts_with("paddock:"))
            .filter_map(|name| {
                let (package, rest) = name.split_once('/')?;
                let version = rest.split_once('@').map(|(_, version)| version).unwrap_or("unversioned");
                Some(format!("{package}@{version}"))
            })
            .collect();
        packages.sort();
        packages.dedup();
        packages
    }
}

impl Plugin {
    pub(crate) fn new(
        bundle: Bundle,
        source: String,
        linked: Arc<Linked>,
        load_stats: LoadStats,
        grants: PluginGrants,
    ) -> Plugin {
        Plugin {
            name: Arc::from(bundle.manifest.name()),
            manifest: bundle.manifest,
            component_sha256: bundle.component_sha256,
            component_size: bundle.component.len(),
            archive_size: bundle.archive_size,
            archive_sha256: bundle.archive_sha256,
            files: bundle.files,
            source,
            linked,
            load_stats,
            grants,
        }
    }

    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Manifest name.
    pub fn name(&self) -> &str {
        self.manifest.name()
    }

    pub(crate) fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    /// Manifest version.
    pub fn version(&self) -> &semver::Version {
        self.manifest.version()
    }

    /// Lowercase hex sha256 of the component.
    pub fn component_sha256(&self) -> &str {
        &self.component_sha256
    }

    /// Component size in bytes.
    pub fn component_size(&self) -> usize {
        self.component_size
    }

    /// Lowercase hex sha256 of the bundle archive (`None` for a bundle made
    /// in memory).
    pub fn archive_sha256(&self) -> Option<&str> {
        self.archive_sha256.as_deref()
    }

    /// Bundle size in bytes; 0 for a bundle made in memory
    /// ([`crate::Bundle::new`]).
    pub fn archive_size(&self) -> u64 {
        self.archive_size
    }

    /// The files the bundle ships under `files/`.
    pub fn bundle_files(&self) -> &[BundleFile] {
        &self.files
    }

    /// Where the bundle was loaded from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the component came from the cache, and how long that took.
    pub fn load_stats(&self) -> LoadStats {
        self.load_stats
    }

    /// Environment variables granted to this plugin, with their values.
    pub fn granted_env(&self) -> &[(String, String)] {
        &self.grants.env
    }

    /// Whether this plugin reads its bundle's `files/` at `/bundle`.
    pub fn reads_bundle_files(&self) -> bool {
        self.grants.bundle_files.is_some()
    }

    /// Interfaces the component exports.
    pub fn exports(&self) -> &[ExportedInterface] {
        &self.linked.exports
    }

    /// Interfaces the component imports.
    pub fn imports(&self) -> &[String] {
        &self.linked.imports
    }

    /// Whether the component exports `hook`. A hook it does not export is
    /// reported as skipped without the plugin being instantiated.
    pub fn implements(&self, hook: Hook) -> bool {
        self.linked.hook_export(hook).is_some()
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("manifest", &self.manifest)
            .field("component_sha256", &self.component_sha256)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}
