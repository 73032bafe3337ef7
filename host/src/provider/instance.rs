//! One provider instance: compiled and linked once, instantiated into a
//! store that lives across calls. Every call runs under the host's
//! deadline and limits; a trap or timeout drops the store (a trapped store
//! is poisoned) and restarts from the last accepted config; a provider
//! that keeps failing backs off exponentially on the runtime's clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker};

use super::api::ProviderState;
use super::bindings::paddock::rebar::types as wit;
use super::bindings::{Provider as Bindings, ProviderPre};
use super::{Event, ProviderCall, ProviderError, ProviderSettings};
use crate::bundle::Bundle;
use crate::call::{MAX_GUEST_TEXT_CHARS, classify, deadline_ticks};
use crate::engine::Host;
use crate::grants::PluginGrants;
use crate::outcome::FailureCause;
use crate::plugin::{ComponentCheck, LoadStats};
use crate::sandbox::SandboxState;

/// The linker providers are instantiated with: WASI, logging and the
/// provider interfaces.
pub(crate) fn linker(host: &Host) -> Result<Linker<ProviderState>, ProviderError> {
    let engine_error = |e: wasmtime::Error| ProviderError::Host(format!("cannot link the provider interfaces: {e:#}"));
    let mut linker: Linker<ProviderState> = Linker::new(host.engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(engine_error)?;
    crate::bindings::v0_2::paddock::common::logging::add_to_linker::<_, HasSelf<SandboxState>>(&mut linker, |state| {
        &mut state.sandbox
    })
    .map_err(engine_error)?;
    super::bindings::paddock::rebar::types::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        .map_err(engine_error)?;
    super::bindings::paddock::rebar::objects::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        .map_err(engine_error)?;
    super::bindings::paddock::rebar::events::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
        .map_err(engine_error)?;
    Ok(linker)
}

fn load_error(name: &str, bundle: &Bundle, source: &str, problem: String) -> ProviderError {
    ProviderError::Load {
        provider: name.to_string(),
        version: bundle.manifest().version().to_string(),
        origin: source.to_string(),
        problem,
    }
}

/// Compiles `bundle` (or takes it from the cache), checks it imports only
/// what providers are given, and links it against the `provider` world.
fn link(
    host: &Host,
    linker: &Linker<ProviderState>,
    bundle: &Bundle,
    source: &str,
    name: &str,
) -> Result<(Component, ProviderPre<ProviderState>, LoadStats), ProviderError> {
    let started = std::time::Instant::now();
    let load_error = |problem: String| load_error(name, bundle, source, problem);
    let (component, origin) =
        host.compile(bundle).map_err(|e| load_error(format!("the component does not compile: {e:#}")))?;
    let stats = LoadStats { origin, compile_time: started.elapsed() };
    let component_type = component.component_type();
    let imports: Vec<&str> = component_type.imports(host.engine()).map(|(name, _)| name).collect();
    host.check_imports(&imports, true).map_err(load_error)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|e| load_error(format!("the component's imports do not match what this host provides: {e:#}")))?;
    let pre = ProviderPre::new(pre).map_err(|e| {
        load_error(format!(
            "the component does not export `paddock:rebar/provider@0.2.0` as this host serves it ({e:#}); \
             build it against the `provider` world with this Paddock's guest SDK"
        ))
    })?;
    Ok((component, pre, stats))
}

/// What `Host::check_bundle` reports for a provider bundle: it compiles,
/// imports only what providers get and exports the provider interface.
pub(crate) fn check_bundle(host: &Host, bundle: &Bundle, source: &str) -> Result<ComponentCheck, crate::Error> {
    let to_error = |error: ProviderError| match error {
        ProviderError::Load { provider, version, origin, problem } => {
            crate::Error::Load { plugin: provider, version, origin, problem }
        }
        other => crate::Error::Engine(other.to_string()),
    };
    let linker = linker(host).map_err(to_error)?;
    let (component, _, load_stats) = link(host, &linker, bundle, source, bundle.manifest().name()).map_err(to_error)?;
    let imports = component
        .component_type()
        .imports(host.engine())
        .map(|(name, _)| crate::sanitize::for_terminal(name, 200))
        .collect();
    Ok(ComponentCheck { load_stats, exports: host.exported_interfaces(&component), imports, hooks: Vec::new() })
}

/// A request to the guest, with its arguments in WIT form.
pub(crate) enum Request {
    Define,
    Config(Vec<wit::Param>),
    Validate,
    Action(wit::ActionRequest),
    Publish(wit::Event),
    Stop,
}

impl Request {
    fn call(&self) -> ProviderCall {
        match self {
            Request::Define => ProviderCall::Define,
            Request::Config(_) => ProviderCall::Config,
            Request::Validate => ProviderCall::Validate,
            Request::Action(_) => ProviderCall::Action,
            Request::Publish(_) => ProviderCall::Publish,
            Request::Stop => ProviderCall::Stop,
        }
    }
}

/// What the guest returned.
pub(crate) enum Reply {
    Definition(wit::ProviderDefinition),
    Done(Result<(), wit::ProviderError>),
    Value(Result<String, wit::ProviderError>),
}

/// What one call left behind besides its reply.
pub(crate) struct Aftermath {
    /// Events the call published, in order.
    pub(crate) events: Vec<Event>,
    /// Events the host refused for exceeding the per-call limit.
    pub(crate) refused_events: usize,
}

struct Live {
    store: Store<ProviderState>,
    bindings: Bindings,
}

/// One provider instance and its life cycle.
pub(crate) struct Instance {
    name: Arc<str>,
    version: String,
    pre: ProviderPre<ProviderState>,
    grants: PluginGrants,
    live: Option<Live>,
    /// The object types of its definition, given to every new store.
    object_types: Arc<[String]>,
    /// The last config the provider accepted, replayed after a restart.
    config: Option<Vec<wit::Param>>,
    pub(crate) restarts: u32,
    pub(crate) failures: u32,
    retry_at: Option<Instant>,
    pub(crate) stopped: bool,
}

impl Instance {
    /// Compiles and links `bundle` as a provider named `name`.
    pub(crate) fn load(
        host: &Host,
        linker: &Linker<ProviderState>,
        bundle: &Bundle,
        source: &str,
        name: Arc<str>,
    ) -> Result<Instance, ProviderError> {
        let manifest = bundle.manifest();
        let (_, pre, _) = link(host, linker, bundle, source, &name)?;
        let grants = host
            .grants()
            .resolve(manifest, bundle.files())
            .map_err(|problem| load_error(&name, bundle, source, problem))?;
        Ok(Instance {
            name,
            version: manifest.version().to_string(),
            pre,
            grants,
            live: None,
            object_types: Arc::from(Vec::new()),
            config: None,
            restarts: 0,
            failures: 0,
            retry_at: None,
            stopped: false,
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn version(&self) -> &str {
        &self.version
    }

    pub(crate) fn set_object_types(&mut self, types: &[String]) {
        self.object_types = Arc::from(types.to_vec());
        if let Some(live) = &mut self.live {
            live.store.data_mut().object_types = self.object_types.clone();
        }
    }

    /// Records `params` as the config to replay after a restart.
    pub(crate) fn remember_config(&mut self, params: Vec<wit::Param>) {
        self.config = Some(params);
    }

    /// Whether the provider is backing off at `now`, and for how long.
    pub(crate) fn backing_off(&self, now: Instant) -> Option<Duration> {
        self.retry_at.and_then(|at| at.checked_duration_since(now)).filter(|left| !left.is_zero())
    }

    /// Runs `request`, instantiating (and replaying the last config) first
    /// if the instance is gone.
    pub(crate) fn request(
        &mut self,
        host: &Host,
        settings: &ProviderSettings,
        request: Request,
    ) -> Result<(Reply, Aftermath), ProviderError> {
        let call = request.call();
        if self.stopped {
            return Err(ProviderError::Stopped { provider: self.name.to_string(), version: self.version.clone() });
        }
        let now = settings.clock.now();
        if let Some(retry_in) = self.backing_off(now) {
            return Err(ProviderError::BackingOff {
                provider: self.name.to_string(),
                version: self.version.clone(),
                failures: self.failures,
                retry_in,
            });
        }
        let mut aftermath = Aftermath { events: Vec::new(), refused_events: 0 };
        let live = match self.live.take() {
            Some(live) => live,
            None => match self.start(host, settings, &mut aftermath) {
                Ok(live) => live,
                Err(cause) => return Err(self.crashed(host, settings, call, cause, false)),
            },
        };
        match run(host, live, &request) {
            Ok((live, reply, after)) => {
                self.live = Some(live);
                self.failures = 0;
                self.retry_at = None;
                aftermath.events.extend(after.events);
                aftermath.refused_events += after.refused_events;
                Ok((reply, aftermath))
            }
            Err(cause) => Err(self.crashed(host, settings, call, cause, true)),
        }
    }

    /// Counts a failure, backs off after too many in a row, and otherwise
    /// restarts at once so the next call finds a configured instance.
    fn crashed(
        &mut self,
        host: &Host,
        settings: &ProviderSettings,
        call: ProviderCall,
        cause: FailureCause,
        restart: bool,
    ) -> ProviderError {
        self.live = None;
        self.record_failure(settings);
        let after = if self.retry_at.is_some() {
            format!(
                "marked failed after {} failures in a row, backing off for {} ms (restarts so far: {})",
                self.failures,
                self.backing_off(settings.clock.now()).unwrap_or_default().as_millis(),
                self.restarts
            )
        } else if !restart {
            format!("it will be started again on the next call (restarts so far: {})", self.restarts)
        } else {
            let mut ignored = Aftermath { events: Vec::new(), refused_events: 0 };
            match self.start(host, settings, &mut ignored) {
                Ok(live) => {
                    self.live = Some(live);
                    self.restarts += 1;
                    let from = if self.config.is_some() { "from its last config" } else { "(no config accepted yet)" };
                    format!("restarted {from} (restart {})", self.restarts)
                }
                Err(restart_cause) => {
                    self.record_failure(settings);
                    format!(
                        "restarting it failed too ({restart_cause}); it will be tried again on the next call \
                         (restarts so far: {})",
                        self.restarts
                    )
                }
            }
        };
        ProviderError::Crashed {
            provider: self.name.to_string(),
            version: self.version.clone(),
            call,
            cause: Box::new(cause),
            restarts: self.restarts,
            after,
        }
    }

    fn record_failure(&mut self, settings: &ProviderSettings) {
        self.failures += 1;
        let policy = settings.restart;
        if self.failures >= policy.failures_before_backoff {
            let doublings = (self.failures - policy.failures_before_backoff).min(30);
            let backoff = policy.backoff_base.saturating_mul(1 << doublings).min(policy.backoff_max);
            self.retry_at = Some(settings.clock.now() + backoff);
        }
    }

    /// A fresh instance, configured with the last accepted config.
    fn start(
        &mut self,
        host: &Host,
        settings: &ProviderSettings,
        aftermath: &mut Aftermath,
    ) -> Result<Live, FailureCause> {
        let live = instantiate(host, settings, &self.pre, &self.grants, &self.name, &self.object_types)?;
        let Some(config) = self.config.clone() else {
            return Ok(live);
        };
        let (live, reply, after) = run(host, live, &Request::Config(config))?;
        match reply {
            Reply::Done(Ok(())) => {
                aftermath.events.extend(after.events);
                aftermath.refused_events += after.refused_events;
                Ok(live)
            }
            Reply::Done(Err(error)) => Err(FailureCause::Reported(format!(
                "its last config, replayed after the restart, was rejected: {}",
                crate::sanitize::for_terminal(&error.message, MAX_GUEST_TEXT_CHARS)
            ))),
            Reply::Definition(_) | Reply::Value(_) => {
                Err(FailureCause::Instantiate("its config call returned no config result".to_string()))
            }
        }
    }

    /// Calls `stop` if an instance is running, then drops it; the provider
    /// takes no further calls.
    pub(crate) fn stop(&mut self, host: &Host) -> Result<(), ProviderError> {
        self.stopped = true;
        let Some(live) = self.live.take() else {
            return Ok(());
        };
        run(host, live, &Request::Stop).map(drop).map_err(|cause| ProviderError::Crashed {
            provider: self.name.to_string(),
            version: self.version.clone(),
            call: ProviderCall::Stop,
            cause: Box::new(cause),
            restarts: self.restarts,
            after: "the instance was dropped".to_string(),
        })
    }
}

fn instantiate(
    host: &Host,
    settings: &ProviderSettings,
    pre: &ProviderPre<ProviderState>,
    grants: &PluginGrants,
    name: &Arc<str>,
    object_types: &Arc<[String]>,
) -> Result<Live, FailureCause> {
    let limits = host.limits();
    let sandbox = SandboxState::new(limits, name.clone(), "instantiate", grants).map_err(FailureCause::Instantiate)?;
    let mut state = ProviderState::new(sandbox, name.clone(), settings.store.clone(), settings.events.max_per_call);
    state.object_types = object_types.clone();
    state.deadline = Instant::now() + limits.hook_timeout;
    let mut store = Store::new(host.engine(), state);
    store.limiter(|state| &mut state.sandbox.limiter);
    store.epoch_deadline_trap();
    store.set_epoch_deadline(deadline_ticks(limits));
    let instantiated = wasmtime_wasi::runtime::in_tokio(async {
        tokio::time::timeout(limits.hook_timeout, pre.instantiate_async(&mut store)).await
    });
    match instantiated {
        Ok(Ok(bindings)) => Ok(Live { store, bindings }),
        Ok(Err(error)) => Err(match classify(&error, &store.data().sandbox, limits) {
            FailureCause::Trap { message, .. } if error.downcast_ref::<wasmtime::Trap>().is_none() => {
                FailureCause::Instantiate(message)
            }
            cause => cause,
        }),
        Err(_elapsed) => Err(FailureCause::Timeout { limit: limits.hook_timeout }),
    }
}

/// One call under the deadline. The store comes back only if the call
/// neither trapped nor timed out: a trapped store is poisoned.
fn run(host: &Host, live: Live, request: &Request) -> Result<(Live, Reply, Aftermath), FailureCause> {
    let limits = host.limits();
    // Epoch interruption stops guest code; the timeout also stops a guest
    // blocked in a host call, dropping the store with the future.
    let call = async move {
        let mut live = live;
        live.store.set_epoch_deadline(deadline_ticks(limits));
        live.store.set_hostcall_fuel(limits.max_output_bytes);
        let state = live.store.data_mut();
        state.sandbox.begin_call(limits, request.call().name());
        state.deadline = Instant::now() + limits.hook_timeout;
        state.outbox.clear();
        state.refused_events = 0;
        let result = invoke(&mut live, request).await;
        live.store.data().sandbox.finish_logging();
        match result {
            Ok(reply) => {
                let state = live.store.data_mut();
                let aftermath =
                    Aftermath { events: std::mem::take(&mut state.outbox), refused_events: state.refused_events };
                Ok((live, reply, aftermath))
            }
            Err(error) => Err(classify(&error, &live.store.data().sandbox, limits)),
        }
    };
    match wasmtime_wasi::runtime::in_tokio(async { tokio::time::timeout(limits.hook_timeout, call).await }) {
        Ok(result) => result,
        Err(_elapsed) => Err(FailureCause::Timeout { limit: limits.hook_timeout }),
    }
}

async fn invoke(live: &mut Live, request: &Request) -> wasmtime::Result<Reply> {
    let guest = live.bindings.paddock_rebar_provider();
    let store = &mut live.store;
    Ok(match request {
        Request::Define => Reply::Definition(guest.call_define(store).await?),
        Request::Config(params) => Reply::Done(guest.call_config(store, params).await?),
        Request::Validate => Reply::Value(guest.call_validate(store).await?),
        Request::Action(action) => Reply::Value(guest.call_action(store, action).await?),
        Request::Publish(event) => Reply::Done(guest.call_publish(store, event).await?),
        Request::Stop => {
            guest.call_stop(store).await?;
            Reply::Done(Ok(()))
        }
    })
}
