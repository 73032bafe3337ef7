//! Calling one hook on one plugin: a fresh sandboxed store (or a session's
//! warm one), the typed call, classification of whatever went wrong,
//! validation of what came back. A hook the plugin does not export is
//! skipped before anything is instantiated.

use wasmtime::component::Instance;
use wasmtime::{Store, Trap};

use crate::engine::{EPOCH_TICK, Host};
use crate::hooks::wire::{ArgCache, CallArgs, CheckContext, Returned};
use crate::hooks::{Hook, HookDecl};
use crate::outcome::{FailureCause, HookFailure, Status};
use crate::plugin::Plugin;
use crate::sandbox::{LimitHit, Limits, SandboxState};
use crate::types::Parameters;

/// Longest plugin-provided text kept in an error (messages, console tail).
pub(crate) const MAX_GUEST_TEXT_CHARS: usize = 2_000;

/// Who is called, under which id, with which parameters.
pub(crate) struct CallTarget<'a> {
    pub(crate) plugin: &'a Plugin,
    pub(crate) id: &'a str,
    pub(crate) parameters: &'a Parameters,
}

/// A plugin instance and the store it lives in, kept between calls by a
/// [`crate::Session`]. Dropped after any trap: a trapped store is poisoned.
pub(crate) struct LiveInstance {
    store: Store<SandboxState>,
    instance: Instance,
    /// The lowered arguments of the last call.
    args: ArgCache,
}

async fn instantiate(host: &Host, plugin: &Plugin, hook: Hook) -> Result<LiveInstance, FailureCause> {
    let limits = host.limits();
    let state = SandboxState::new(limits, plugin.shared_name(), hook.name(), &plugin.grants)
        .map_err(FailureCause::Instantiate)?;
    let mut store = Store::new(host.engine(), state);
    store.limiter(|state| &mut state.limiter);
    store.epoch_deadline_trap();
    // Start-up code runs under the same deadline as the hook.
    store.set_epoch_deadline(deadline_ticks(limits));
    match plugin.linked.pre.instantiate_async(&mut store).await {
        Ok(instance) => Ok(LiveInstance { store, instance, args: None }),
        Err(error) if error.is::<wasmtime::PoolConcurrencyLimitError>() => {
            Err(FailureCause::HostCapacity(crate::sanitize::for_terminal(&error.to_string(), MAX_GUEST_TEXT_CHARS)))
        }
        Err(error) => Err(match classify(&error, store.data(), limits) {
            FailureCause::Trap { message, .. } if error.downcast_ref::<Trap>().is_none() => {
                FailureCause::Instantiate(message)
            }
            cause => cause,
        }),
    }
}

/// Calls hook `H` on `target`, in the instance in `slot` or a new one. The
/// instance is put back in `slot` unless the call trapped. Never panics on
/// guest behaviour; every problem becomes `Status::Failed`.
pub(crate) fn call_hook<H: HookDecl>(
    host: &Host,
    target: &CallTarget<'_>,
    input: &H::Input,
    slot: &mut Option<LiveInstance>,
) -> Status<H::Output> {
    let plugin = target.plugin;
    // Known from the component's exports at load: nothing to instantiate.
    let Some(export) = plugin.linked.hook_export(H::HOOK) else {
        return Status::Skipped;
    };
    // `location` indexes the hook's own locations, so it is in range.
    let Some(invoke) = H::SPEC.invoke.get(export.location) else {
        return Status::Skipped;
    };
    let fail = |cause| {
        Status::Failed(HookFailure {
            plugin: plugin.name().to_string(),
            version: plugin.version().clone(),
            hook: H::HOOK,
            cause,
        })
    };
    let limits = host.limits();
    let warm = slot.take();
    // Epoch interruption stops guest code at the deadline; this timeout
    // stops everything else: a guest blocked inside a host call (a sleep,
    // a poll on a pollable that never fires) never returns to guest code,
    // so only abandoning the call future ends it. The abandoned store is
    // dropped with the future's state.
    let run = async {
        let mut live = match warm {
            Some(mut live) => {
                live.store.set_epoch_deadline(deadline_ticks(limits));
                live
            }
            None => instantiate(host, plugin, H::HOOK).await?,
        };
        live.store.data_mut().begin_call(limits, H::HOOK.name());
        live.store.set_hostcall_fuel(limits.max_output_bytes);
        let args = CallArgs { plugin_id: target.id, parameters: target.parameters, input, cache: &mut live.args };
        let check = CheckContext { rules: host.output_rules(), files: plugin.bundle_files() };
        let result = invoke(&live.instance, &mut live.store, &export.index, args, &check).await;
        live.store.data().finish_logging();
        match result {
            Ok(returned) => Ok((live, returned)),
            Err(error) => Err(classify(&error, live.store.data(), limits)),
        }
    };
    let returned =
        match wasmtime_wasi::runtime::in_tokio(async { tokio::time::timeout(limits.hook_timeout, run).await }) {
            Ok(Ok((live, returned))) => {
                *slot = Some(live);
                returned
            }
            Ok(Err(cause)) => return fail(cause),
            Err(_elapsed) => return fail(FailureCause::Timeout { limit: limits.hook_timeout }),
        };
    match returned {
        Returned::Value(Ok(value)) => Status::Ok(value),
        Returned::Value(Err(problem)) => fail(FailureCause::InvalidOutput(problem)),
        Returned::Declined => Status::Skipped,
        Returned::Failed(message) => {
            fail(FailureCause::Reported(crate::sanitize::multiline_for_terminal(&message, MAX_GUEST_TEXT_CHARS)))
        }
    }
}

pub(crate) fn deadline_ticks(limits: &Limits) -> u64 {
    let ticks = limits.hook_timeout.as_millis().div_ceil(EPOCH_TICK.as_millis());
    // +1: the current tick may be almost over when the call starts.
    u64::try_from(ticks).unwrap_or(u64::MAX / 2).max(1) + 1
}

/// Works out why a call failed. The limiter is asked first: a refused memory
/// grow usually surfaces as the guest aborting, which only says "unreachable".
pub(crate) fn classify(error: &wasmtime::Error, state: &SandboxState, limits: &Limits) -> FailureCause {
    match state.limiter.hit {
        Some(LimitHit::Memory { requested }) => {
            return FailureCause::MemoryLimit { limit: limits.memory_bytes, requested };
        }
        Some(LimitHit::Table { requested }) => {
            return FailureCause::TableLimit { limit: limits.table_elements, requested };
        }
        None => {}
    }
    // wasmtime's error for this is private; its message is the only handle.
    if error.chain().any(|cause| cause.to_string().contains("fuel allocated for hostcalls has been exhausted")) {
        return FailureCause::OutputTooLarge { limit: limits.max_output_bytes };
    }
    let message = match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => return FailureCause::Timeout { limit: limits.hook_timeout },
        Some(trap) => trap.to_string(),
        // Not a trap: lifting the result failed (too large, invalid UTF-8, ...).
        None => error.chain().map(ToString::to_string).collect::<Vec<_>>().join(": "),
    };
    let console = state.console.text();
    let console = console.trim();
    FailureCause::Trap {
        message: crate::sanitize::for_terminal(&message, MAX_GUEST_TEXT_CHARS),
        console: (!console.is_empty()).then(|| crate::sanitize::multiline_for_terminal(console, MAX_GUEST_TEXT_CHARS)),
    }
}
