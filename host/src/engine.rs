//! The host: one wasmtime `Engine` and `Linker` shared by every plugin, an
//! epoch ticker for deadlines, and loading of bundles into [`Plugin`]s.

use std::path::Path;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, ComponentExportIndex, InstancePre, Linker, types::ComponentItem};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::Plugin as PluginWorld;
use crate::hooks::Hook;
use crate::bundle::{Bundle, BundleLimits};
use crate::cache::{CompileCache, CompileOrigin};
use crate::error::Error;
use crate::grants::Grants;
use crate::plugin::{ComponentCheck, ExportedInterface, LoadStats, Linked, Plugin};
use crate::sandbox::{Limits, SandboxState};
use crate::validate::OutputRules;

/// The first hooks interface this host speaks. Later package versions add
/// interfaces beside it; they never change it. Every hook names its own
/// interface in its declaration ([`crate::Hook::interface`]).
pub const HOOKS_INTERFACE: &str = crate::hooks::PLUGIN_0_1_HOOKS;

/// Packages whose interfaces the linker provides, with the version prefix
/// it accepts. `wasi:sockets` is subject to [`SocketImports`].
const PROVIDED_PACKAGES: &[(&str, &str)] = &[
    ("wasi:cli", "0.2."),
    ("wasi:clocks", "0.2."),
    ("wasi:filesystem", "0.2."),
    ("wasi:io", "0.2."),
    ("wasi:random", "0.2."),
    ("wasi:sockets", "0.2."),
    ("paddock:plugin", "0.1."),
];

/// Settings fixed when a [`Host`] is built.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Per-call limits applied to every hook call.
    pub limits: Limits,
    /// Size caps applied when reading bundles.
    pub bundle_limits: BundleLimits,
    /// Rules every hook result must pass.
    pub output_rules: OutputRules,
    /// Where compiled components are kept between runs; `None` compiles on
    /// every load.
    pub cache: Option<CompileCache>,
    /// What this host is willing to grant plugins that declare a capability.
    pub grants: Grants,
    /// Pre-allocate instance slots (memories, tables, stacks) in a pool
    /// sized from `limits`, so a fresh instance per call is cheap. `None`
    /// allocates on demand.
    pub instance_pool: Option<PoolSize>,
    /// Whether components that import `wasi:sockets` load at all.
    pub socket_imports: SocketImports,
}

/// What the host does with a component that imports `wasi:sockets`. Either
/// way no plugin ever opens a socket or resolves a name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketImports {
    /// Load it; every socket operation fails with `access-denied`. The
    /// default, because CPython (componentize-py) imports `wasi:sockets`
    /// whether or not the plugin uses the network.
    #[default]
    DenyAtRunTime,
    /// Refuse to load it, naming the imports: for embedders that run no
    /// Python plugins and want network use caught at load time.
    RejectAtLoad,
}

/// How many instances the pooling allocator keeps slots for. Each slot
/// reserves address space for `Limits::memory_bytes` (not resident memory).
/// A released slot keeps the pages its last instance touched, up to 1 MiB
/// per memory and table, so the next instance in it starts without page
/// faults or `madvise`: budget up to `instances` MiB of resident memory for
/// a host that runs that many different large plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSize {
    /// Component instances alive at once, across all threads.
    pub instances: u32,
}

impl Default for PoolSize {
    fn default() -> Self {
        PoolSize { instances: 1_000 }
    }
}

impl Default for HostConfig {
    /// Default limits and rules, caching in [`crate::cache::default_dir`].
    fn default() -> Self {
        HostConfig {
            limits: Limits::default(),
            bundle_limits: BundleLimits::default(),
            output_rules: OutputRules::default(),
            cache: crate::cache::default_dir().map(CompileCache::new),
            instance_pool: Some(PoolSize::default()),
            grants: Grants::default(),
            socket_imports: SocketImports::default(),
        }
    }
}

/// The Paddock host: loads plugin bundles and runs hooks on them.
///
/// Cheap to clone (shared state behind an `Arc`); `Send + Sync`.
#[derive(Clone)]
pub struct Host {
    inner: Arc<HostInner>,
}

struct HostInner {
    engine: Engine,
    linker: Linker<SandboxState>,
    config: HostConfig,
    /// Components already linked, by sha256, while some plugin holds them:
    /// plugins with the same component share one copy of compiled code and
    /// one memory image instead of each mapping its own.
    linked: Mutex<HashMap<String, Weak<Linked>>>,
    // Dropping the sender stops the ticker thread.
    _ticker: mpsc::Sender<()>,
}

/// Granularity of deadlines: the engine's epoch advances this often.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

impl Host {
    /// A host with default limits.
    pub fn new() -> Result<Host, Error> {
        Host::with_config(HostConfig::default())
    }

    /// A host with the given limits.
    pub fn with_config(config: HostConfig) -> Result<Host, Error> {
        if let Some(cache) = &config.cache {
            cache.check()?;
        }
        let mut wasm_config = Config::new();
        wasm_config.wasm_component_model(true).epoch_interruption(true);
        if let Some(pool) = config.instance_pool {
            wasm_config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(pool, &config.limits)));
        }
        let engine = Engine::new(&wasm_config).map_err(|e| Error::Engine(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| Error::Engine(format!("{e:#}")))?;
        PluginWorld::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| Error::Engine(format!("{e:#}")))?;

        let (ticker, stop) = mpsc::channel::<()>();
        let ticking_engine = engine.clone();
        std::thread::Builder::new()
            .name("paddock-epoch".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(EPOCH_TICK) {
                    ticking_engine.increment_epoch();
                }
            })
            .map_err(|e| Error::Engine(format!("cannot start the deadline ticker thread: {e}")))?;

        Ok(Host {
            inner: Arc::new(HostInner { engine, linker, config, linked: Mutex::default(), _ticker: ticker }),
        })
    }

    /// The per-call limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.config.limits
    }

    /// The output rules in force.
    pub fn output_rules(&self) -> &OutputRules {
        &self.inner.config.output_rules
    }

    /// The bundle size caps in force.
    pub fn bundle_limits(&self) -> &BundleLimits {
        &self.inner.config.bundle_limits
    }

    /// Reads, validates, compiles and links the bundle at `path`.
    pub fn load_file(&self, path: &Path) -> Result<Plugin, Error> {
        self.load_bundle(self.read_bundle(path)?, &path.display().to_string())
    }

    /// Reads and validates the bundle at `path` with this host's caps.
    pub fn read_bundle(&self, path: &Path) -> Result<Bundle, Error> {
        Bundle::read_file(path, self.bundle_limits())
            .map_err(|problem| Error::Bundle { path: path.display().to_string(), problem })
    }

    /// Compiles and links an already read bundle and grants it what its
    /// manifest declares; `source` names where it came from in errors.
    pub fn load_bundle(&self, bundle: Bundle, source: &str) -> Result<Plugin, Error> {
        let (linked, stats) = self.link(&bundle, source)?;
        let grants = self
            .inner
            .config
            .grants
            .resolve(&bundle.manifest, &bundle.files)
            .map_err(|problem| load_error(&bundle, source, problem))?;
        Ok(Plugin::new(bundle, source.to_string(), linked, stats, grants))
    }

    /// Compiles (or takes from the cache) and links `bundle` without
    /// granting anything: checks that this host could run it once the
    /// capabilities its manifest declares are granted.
    pub fn check_bundle(&self, bundle: &Bundle, source: &str) -> Result<ComponentCheck, Error> {
        let (linked, load_stats) = self.link(bundle, source)?;
        Ok(ComponentCheck {
            load_stats,
            exports: linked.exports.clone(),
            imports: linked.imports.clone(),
            hooks: linked.implemented(),
        })
    }

    fn link(&self, bundle: &Bundle, source: &str) -> Result<(Arc<Linked>, LoadStats), Error> {
        let started = Instant::now();
        let already = self.linked().get(&bundle.component_sha256).and_then(Weak::upgrade);
        if let Some(linked) = already {
            return Ok((linked, LoadStats { origin: CompileOrigin::AlreadyLoaded, compile_time: started.elapsed() }));
        }
        let load_error = |problem: String| load_error(bundle, source, problem);
        let (component, origin) = self
            .compile(bundle)
            .map_err(|e| {
                let error = format!("{e:#}");
                // The pooling allocator checks declared sizes at compile time.
                if error.contains("pooling allocator") {
                    load_error(format!(
                        "the component declares more than this host's limits allow: {error}; raise \
                         `Limits::memory_bytes` / `Limits::table_elements` or make the plugin smaller"
                    ))
                } else {
                    load_error(format!("the component does not compile: {error}"))
                }
            })?;
        let compile_time = started.elapsed();
        let exports = self.exported_interfaces(&component);
        if !exports.iter().any(|export| Hook::interfaces().iter().any(|served| serves(served, &export.name))) {
            let found: Vec<&str> = exports.iter().map(|e| e.name.as_str()).collect();
            let served = Hook::interfaces().iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
            return Err(load_error(format!(
                "the component does not export `{HOOKS_INTERFACE}` or a compatible version of any interface \
                 this host serves (it exports: {}); this host serves {served}, each also at compatible \
                 versions (0.1.x for 0.1.0): build the plugin against that WIT with the guest SDK",
                if found.is_empty() { "nothing".to_string() } else { found.join(", ") }
            )));
        }
        let component_type = component.component_type();
        let import_names: Vec<&str> = component_type.imports(&self.inner.engine).map(|(name, _)| name).collect();
        // Listed all at once so the author can fix them in one go (the
        // linker reports only the first).
        let unprovided: Vec<String> = import_names
            .iter()
            .filter(|name| !self.provides(name))
            .map(|name| crate::sanitize::for_terminal(name, 200))
            .collect();
        if !unprovided.is_empty() {
            return Err(load_error(format!(
                "the component imports interfaces this host does not provide: {}; plugins may import only {}",
                unprovided.join(", "),
                self.provided_packages().map(|(package, version)| format!("{package}@{version}x")).collect::<Vec<_>>().join(", ")
            )));
        }
        let instance_pre = self.inner.linker.instantiate_pre(&component).map_err(|e| {
            load_error(format!("the component's imports do not match what this host provides: {e:#}"))
        })?;
        let hooks = hook_exports(&instance_pre, &exports).map_err(load_error)?;
        let imports = import_names.iter().map(|name| crate::sanitize::for_terminal(name, 200)).collect();
        let linked = Arc::new(Linked { pre: instance_pre, exports, imports, hooks });
        let mut known = self.linked();
        known.retain(|_, linked| linked.strong_count() > 0);
        known.insert(bundle.component_sha256.clone(), Arc::downgrade(&linked));
        Ok((linked, LoadStats { origin, compile_time }))
    }

    fn linked(&self) -> std::sync::MutexGuard<'_, HashMap<String, Weak<Linked>>> {
        // The map holds no invariant a panicking holder could break.
        self.inner.linked.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn compile(&self, bundle: &Bundle) -> wasmtime::Result<(Component, CompileOrigin)> {
        let engine = &self.inner.engine;
        match &self.inner.config.cache {
            Some(cache) => cache.load_or_compile(engine, &bundle.component_sha256, &bundle.component),
            None => Ok((Component::new(engine, &bundle.component)?, CompileOrigin::Compiled)),
        }
    }

    /// The compile cache in use, if any.
    pub fn cache(&self) -> Option<&CompileCache> {
        self.inner.config.cache.as_ref()
    }

    /// Whether the import `name` (`package/interface@version`) comes from a
    /// package this host links.
    fn provides(&self, name: &str) -> bool {
        let Some((package, rest)) = name.split_once('/') else {
            return false;
        };
        let version = rest.split_once('@').map(|(_, v)| v).unwrap_or("");
        self.provided_packages()
            .any(|(provided, major_minor)| package == provided && version.starts_with(major_minor))
    }

    /// The packages plugins may import, with the version prefix accepted.
    fn provided_packages(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        PROVIDED_PACKAGES.iter().copied().filter(|(package, _)| {
            *package != "wasi:sockets" || self.inner.config.socket_imports == SocketImports::DenyAtRunTime
        })
    }

    fn exported_interfaces(&self, component: &Component) -> Vec<ExportedInterface> {
        let engine = &self.inner.engine;
        component
            .component_type()
            .exports(engine)
            .filter_map(|(name, export)| match export.ty {
                ComponentItem::ComponentInstance(instance) => Some(ExportedInterface {
                    name: name.to_string(),
                    functions: instance
                        .exports(engine)
                        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
                        .map(|(func, _)| func.to_string())
                        .collect(),
                }),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

/// Finds, once per component, the export of every hook it implements and
/// checks its type, so that calls need no look-up and a hook the component
/// lacks is skipped without instantiating it. A component may export only
/// some of the hooks.
fn hook_exports(
    pre: &InstancePre<SandboxState>,
    exports: &[ExportedInterface],
) -> Result<Vec<Option<ComponentExportIndex>>, String> {
    let component = pre.component();
    let instance_type = pre.instance_type();
    Hook::ALL
        .iter()
        .map(|hook| {
            let interface = exports
                .iter()
                .find(|export| serves(hook.interface(), &export.name))
                .and_then(|export| component.get_export(None, export.name.as_str()))
                .map(|(_, index)| index);
            (hook, interface)
        })
        .map(|(hook, interface)| match interface.as_ref().and_then(|interface| component.get_export(Some(interface), hook.name())) {
            None => Ok(None),
            Some((ComponentItem::ComponentFunc(func), index)) => hook
                .typecheck(&func, &instance_type)
                .map(|()| Some(index))
                .map_err(|e| format!("its `{hook}` export does not have the type `{}` gives it: {e:#}", hook.interface())),
            Some(_) => Err(format!("its `{hook}` export is not a function")),
        })
        .collect()
}

/// Whether an exported interface `name` is a version of the interface
/// `served` (`package/interface@version`) this host can call: the same
/// package and interface at a semver-compatible version (for 0.x, the same
/// minor: `0.1.1` but not `0.2.0`). The linker matches imports this way;
/// exports follow the same rule.
fn serves(served: &str, name: &str) -> bool {
    let (served, served_version) = served.split_once('@').unwrap_or((served, ""));
    let Some((exported, version)) = name.split_once('@') else {
        return false;
    };
    let (Ok(served_version), Ok(version)) = (semver::Version::parse(served_version), semver::Version::parse(version))
    else {
        return false;
    };
    exported == served && semver::Comparator {
        op: semver::Op::Caret,
        major: served_version.major,
        minor: Some(served_version.minor),
        patch: Some(0),
        pre: semver::Prerelease::EMPTY,
    }
    .matches(&version)
}

/// Pool limits sized for plugins: a component may hold several core
/// instances (the WASI adapter, the guest, shims), each with a memory and
/// tables; memories and tables are capped by the per-call limits.
fn pooling_config(pool: PoolSize, limits: &Limits) -> PoolingAllocationConfig {
    const CORE_PER_COMPONENT: u32 = 20;
    const KEEP_RESIDENT_BYTES: usize = 1 << 20;
    let mut config = PoolingAllocationConfig::default();
    config
        .total_component_instances(pool.instances)
        .total_core_instances(pool.instances.saturating_mul(4))
        .total_memories(pool.instances.saturating_mul(2))
        .total_tables(pool.instances.saturating_mul(4))
        .total_stacks(pool.instances)
        .max_core_instances_per_component(CORE_PER_COMPONENT)
        .max_memories_per_component(CORE_PER_COMPONENT)
        .max_tables_per_component(CORE_PER_COMPONENT)
        // Keep a warm slot per plugin: a slot that last held the same
        // component reuses its mapped memory image instead of remapping it.
        .max_unused_warm_slots(pool.instances)
        // Reset the pages a small plugin touches with memset instead of
        // madvise: madvise in a multi-threaded host costs a syscall and a
        // TLB shootdown on every core, which made 2-thread calls 4x slower.
        // With PAGEMAP_SCAN (Linux 6.7+) only the resident pages are reset.
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(Enabled::Auto)
        .max_memory_size(limits.memory_bytes)
        .table_elements(limits.table_elements)
        // Interpreted-language components (Python, JavaScript) have large
        // instance records; these are address-space reservations only.
        .max_component_instance_size(8 << 20)
        .max_core_instance_size(8 << 20);
    config
}

fn load_error(bundle: &Bundle, source: &str, problem: String) -> Error {
    Error::Load {
        plugin: bundle.manifest.name.clone(),
        version: bundle.manifest.version.to_string(),
        origin: source.to_string(),
        problem,
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("config", &self.inner.config).finish_non_exhaustive()
    }
}
