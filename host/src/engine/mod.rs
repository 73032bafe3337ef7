//! The host: one wasmtime `Engine` and `Linker` shared by every plugin, an
//! epoch ticker for deadlines, and loading of bundles into [`Plugin`]s.
//! Here: the [`Host`] itself; `config` holds its settings and pool sizing,
//! `link` compiles, shares and links components and finds their hooks,
//! `imports` decides which imports the host provides.

mod config;
mod imports;
mod link;

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy};

use crate::bindings::{v0_1, v0_2};
use crate::bundle::{Bundle, BundleLimits};
use crate::cache::CompileCache;
use crate::error::Error;
use crate::plugin::{ComponentCheck, Linked, Plugin};
use crate::sandbox::{Limits, SandboxState};
use crate::validate::OutputRules;

pub use config::{HostConfig, PoolSize, SocketImports};
use link::load_error;

/// The first hooks interface this host speaks. Later package versions add
/// interfaces beside it; they never change it. Every hook names its own
/// interfaces in its declaration ([`crate::Hook::locations`]).
pub const HOOKS_INTERFACE: &str = crate::hooks::PLUGIN_0_1_HOOKS;

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
            wasm_config
                .allocation_strategy(InstanceAllocationStrategy::Pooling(config::pooling_config(pool, &config.limits)));
        }
        let engine = Engine::new(&wasm_config).map_err(|e| Error::Engine(format!("{e:#}")))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| Error::Engine(format!("{e:#}")))?;
        // Every WIT version's imports at once: a set may mix plugins of each.
        v0_1::Plugin::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| Error::Engine(format!("{e:#}")))?;
        v0_2::Served::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |state| state)
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

        Ok(Host { inner: Arc::new(HostInner { engine, linker, config, linked: Mutex::default(), _ticker: ticker }) })
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
        if bundle.manifest().is_provider() {
            return Err(load_error(
                &bundle,
                source,
                "is a Digital Rebar provider (`provider: true`), not a hook plugin: run it with \
                 `paddock provider serve` (`paddock::provider::ProviderRuntime`), not in a plugin set"
                    .to_string(),
            ));
        }
        let (linked, stats) = self.link(&bundle, source)?;
        link::check_declared_hooks(&bundle, &linked).map_err(|problem| load_error(&bundle, source, problem))?;
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
        if bundle.manifest().is_provider() {
            return crate::provider::check_bundle(self, bundle, source);
        }
        let (linked, load_stats) = self.link(bundle, source)?;
        link::check_declared_hooks(bundle, &linked).map_err(|problem| load_error(bundle, source, problem))?;
        Ok(ComponentCheck {
            load_stats,
            exports: linked.exports.clone(),
            imports: linked.imports.clone(),
            hooks: linked.implemented(),
        })
    }

    /// The compile cache in use, if any.
    pub fn cache(&self) -> Option<&CompileCache> {
        self.inner.config.cache.as_ref()
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The capabilities the embedder allows.
    pub(crate) fn grants(&self) -> &crate::Grants {
        &self.inner.config.grants
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("config", &self.inner.config).finish_non_exhaustive()
    }
}
