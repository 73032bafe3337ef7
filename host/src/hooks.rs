//! Calling one hook on one plugin: a fresh sandboxed store, the typed call,
//! classification of whatever went wrong, validation of what came back.

use std::future::Future;
use std::pin::Pin;

use wasmtime::{Store, Trap};

use crate::bindings::exports::paddock::plugin::hooks::Guest as HooksExport;
use crate::bindings::Plugin as PluginWorld;
use crate::bindings::paddock::plugin::types as wit;
use crate::engine::{EPOCH_TICK, Host};
use crate::outcome::{FailureCause, HookFailure, Status};
use crate::plugin::Plugin;
use crate::sandbox::{LimitHit, Limits, SandboxState};
use crate::types::{ActionReport, Deployment, Hook, ParamValue, Parameters};
use crate::validate::OutputRules;

/// Longest plugin-provided text kept in an error (messages, console tail).
const MAX_GUEST_TEXT_CHARS: usize = 2_000;

/// The raw call of one export on an instance: a future, so that the
/// deadline can abandon it wherever it is blocked.
pub(crate) type ExportCall<R> = for<'a> fn(
    &'a HooksExport,
    &'a mut Store<SandboxState>,
    &'a wit::HookContext,
) -> Pin<Box<dyn Future<Output = wasmtime::Result<Result<R, wit::HookError>>> + Send + 'a>>;

/// Turns a raw result into Paddock's value, checking it against the rules.
pub(crate) type Lift<R, T> = fn(&OutputRules, R) -> Result<T, String>;

/// One typed hook: its name, how to call it and how to lift its result.
pub(crate) struct HookSpec<R, T> {
    pub(crate) hook: Hook,
    pub(crate) call: ExportCall<R>,
    pub(crate) lift: Lift<R, T>,
}

pub(crate) const DEPLOY: HookSpec<wit::ActionReport, ActionReport> =
    HookSpec { hook: Hook::Deploy, call: |exports, store, ctx| Box::pin(exports.call_deploy(store, ctx)), lift: lift_report };
pub(crate) const DESTROY: HookSpec<wit::ActionReport, ActionReport> =
    HookSpec { hook: Hook::Destroy, call: |exports, store, ctx| Box::pin(exports.call_destroy(store, ctx)), lift: lift_report };
pub(crate) const DOCKERFILE_INJECTION: HookSpec<Vec<String>, Vec<String>> = HookSpec {
    hook: Hook::DockerfileInjection,
    call: |exports, store, ctx| Box::pin(exports.call_dockerfile_injection(store, ctx)),
    lift: |rules, lines| rules.check_dockerfile_lines(&lines).map(|()| lines),
};
pub(crate) const BOOTSTRAP_INJECTION: HookSpec<Option<String>, Option<String>> = HookSpec {
    hook: Hook::BootstrapInjection,
    call: |exports, store, ctx| Box::pin(exports.call_bootstrap_injection(store, ctx)),
    lift: |rules, script| match script {
        Some(text) => rules.check_script(&text).map(|()| Some(text)),
        None => Ok(None),
    },
};
/// Environment variables as ordered name/value pairs.
type EnvVars = Vec<(String, String)>;

pub(crate) const JOB_RUNTIME_ENV_VARS: HookSpec<EnvVars, EnvVars> = HookSpec {
    hook: Hook::JobRuntimeEnvVars,
    call: |exports, store, ctx| Box::pin(exports.call_job_runtime_env_vars(store, ctx)),
    lift: |rules, vars| rules.check_env_vars(&vars).map(|()| vars),
};

fn lift_report(rules: &OutputRules, report: wit::ActionReport) -> Result<ActionReport, String> {
    let report = ActionReport { summary: report.summary, details: report.details };
    rules.check_report(&report).map(|()| report)
}

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
    bindings: PluginWorld,
    /// The context of the last call and the deployment it was built for.
    /// A session calls the same target again and again, and rebuilding the
    /// context (a dozen strings) showed in the warm-call profile.
    last_context: Option<(Deployment, wit::HookContext)>,
}

async fn instantiate(host: &Host, plugin: &Plugin, hook: Hook) -> Result<LiveInstance, FailureCause> {
    let limits = host.limits();
    let state = SandboxState::new(limits, plugin.shared_name(), hook.name(), &plugin.grants).map_err(FailureCause::Instantiate)?;
    let mut store = Store::new(host.engine(), state);
    store.limiter(|state| &mut state.limiter);
    store.epoch_deadline_trap();
    // Start-up code runs under the same deadline as the hook.
    store.set_epoch_deadline(deadline_ticks(limits));
    match plugin.linked.pre.instantiate_async(&mut store).await {
        Ok(bindings) => Ok(LiveInstance { store, bindings, last_context: None }),
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

/// Calls `spec` on `target`, in the instance in `slot` or a new one. The
/// instance is put back in `slot` unless the call trapped. Never panics on
/// guest behaviour; every problem becomes `Status::Failed`.
pub(crate) fn call_hook<R, T>(
    host: &Host,
    target: &CallTarget<'_>,
    deployment: &Deployment,
    spec: &HookSpec<R, T>,
    slot: &mut Option<LiveInstance>,
) -> Status<T> {
    let plugin = target.plugin;
    let fail = |cause| {
        Status::Failed(HookFailure {
            plugin: plugin.name().to_string(),
            version: plugin.version().clone(),
            hook: spec.hook,
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
            None => instantiate(host, plugin, spec.hook).await?,
        };
        live.store.data_mut().begin_call(limits, spec.hook.name());
        live.store.set_hostcall_fuel(limits.max_output_bytes);
        let context = match &live.last_context {
            Some((built_for, context)) if built_for == deployment => context,
            _ => {
                let context = wit::HookContext {
                    plugin_id: target.id.to_string(),
                    parameters: target.parameters.iter().map(|(k, v)| (k.clone(), to_wit_param(v))).collect(),
                    deployment: to_wit_deployment(deployment),
                };
                &live.last_context.insert((deployment.clone(), context)).1
            }
        };
        let result = (spec.call)(live.bindings.paddock_plugin_hooks(), &mut live.store, context).await;
        live.store.data().finish_logging();
        match result {
            Ok(returned) => Ok((live, returned)),
            Err(error) => Err(classify(&error, live.store.data(), limits)),
        }
    };
    let returned = match wasmtime_wasi::runtime::in_tokio(async { tokio::time::timeout(limits.hook_timeout, run).await }) {
        Ok(Ok((live, returned))) => {
            *slot = Some(live);
            returned
        }
        Ok(Err(cause)) => return fail(cause),
        Err(_elapsed) => return fail(FailureCause::Timeout { limit: limits.hook_timeout }),
    };
    match returned {
        Ok(raw) => match (spec.lift)(host.output_rules(), raw) {
            Ok(value) => Status::Ok(value),
            Err(problem) => fail(FailureCause::InvalidOutput(problem)),
        },
        Err(wit::HookError::NotImplemented) => Status::Skipped,
        Err(wit::HookError::Failed(message)) => {
            fail(FailureCause::Reported(crate::sanitize::multiline_for_terminal(&message, MAX_GUEST_TEXT_CHARS)))
        }
    }
}

fn deadline_ticks(limits: &Limits) -> u64 {
    let ticks = limits.hook_timeout.as_millis().div_ceil(EPOCH_TICK.as_millis());
    // +1: the current tick may be almost over when the call starts.
    u64::try_from(ticks).unwrap_or(u64::MAX / 2).max(1) + 1
}

/// Works out why a call failed. The limiter is asked first: a refused memory
/// grow usually surfaces as the guest aborting, which only says "unreachable".
fn classify(error: &wasmtime::Error, state: &SandboxState, limits: &Limits) -> FailureCause {
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
        console: (!console.is_empty())
            .then(|| crate::sanitize::multiline_for_terminal(console, MAX_GUEST_TEXT_CHARS)),
    }
}

fn to_wit_param(value: &ParamValue) -> wit::ParamValue {
    match value {
        ParamValue::Text(text) => wit::ParamValue::Text(text.clone()),
        ParamValue::Integer(n) => wit::ParamValue::Integer(*n),
        ParamValue::Number(x) => wit::ParamValue::Number(*x),
        ParamValue::Boolean(b) => wit::ParamValue::Boolean(*b),
        ParamValue::TextList(items) => wit::ParamValue::TextList(items.clone()),
    }
}

fn to_wit_deployment(deployment: &Deployment) -> wit::Deployment {
    wit::Deployment {
        environment: deployment.environment.clone(),
        team: deployment.team.clone(),
        job_name: deployment.job_name.clone(),
        job_version: deployment.job_version.clone(),
        image_name: deployment.image_name.clone(),
        deployer: deployment.deployer.clone(),
    }
}
