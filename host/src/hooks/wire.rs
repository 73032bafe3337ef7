//! How the host calls a hook export of each WIT version ("call shape"):
//! lowering the input, the typed call, and lifting the result into
//! Paddock's own types. A hook's declaration names one shape per WIT
//! location it is served at; adding a WIT version adds a shape here, never
//! an edit to the hooks.
//!
//! - `v0_1`: `paddock:plugin/hooks@0.1.0`, `func(ctx: hook-context) -> result<T, hook-error>`.
//! - `v0_2`: the packages by tool, `func(plugin: plugin-context, input: I) -> result<T, hook-error>`.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use wasmtime::Store;
// `InstanceType` is what wasmtime's own generated bindings type-check
// exports against at load; it is public only under `__internal`, and the
// wasmtime version is pinned exactly.
use wasmtime::component::__internal::InstanceType;
use wasmtime::component::types::ComponentFunc;
use wasmtime::component::{ComponentExportIndex, ComponentNamedList, ComponentType, Instance, Lift, Lower};

use crate::bindings::v0_1::paddock::plugin::types as wit01;
use crate::bindings::v0_2::paddock::common::types as wit02;
use crate::bundle::BundleFile;
use crate::sandbox::SandboxState;
use crate::types::{ActionReport, Deployment, ParamValue, Parameters};
use crate::validate::{OutputProblem, OutputRules};

/// The lowered arguments of an instance's last call, kept with the input
/// they were lowered from: a session calls one plugin with the same input
/// again and again, and lowering (a dozen strings) showed in the warm-call
/// profile.
pub(crate) type ArgCache = Option<Box<dyn Any + Send>>;

/// One call's arguments, before lowering.
pub(crate) struct CallArgs<'a, I> {
    pub(crate) plugin_id: &'a str,
    pub(crate) parameters: &'a Parameters,
    pub(crate) input: &'a I,
    pub(crate) cache: &'a mut ArgCache,
}

/// What a hook export returned, lifted.
pub(crate) enum Returned<O> {
    /// A value, checked against the output rules.
    Value(Result<O, OutputProblem>),
    /// `hook-error::not-implemented`: reported as skipped.
    Declined,
    /// `hook-error::failed(message)`.
    Failed(String),
}

/// What checking a value may look at: the host's rules and the files the
/// plugin's bundle ships (a chart or template a value names must exist).
pub(crate) struct CheckContext<'a> {
    pub(crate) rules: &'a OutputRules,
    pub(crate) files: &'a [BundleFile],
}

/// Checks a hook's lifted value and turns it into the hook's output.
pub(crate) type Check<C, O> = fn(&CheckContext<'_>, C) -> Result<O, OutputProblem>;

/// A call of one export of hook input `I` and output `O`.
pub(crate) type Invoke<I, O> = for<'a> fn(
    &'a Instance,
    &'a mut Store<SandboxState>,
    &'a ComponentExportIndex,
    CallArgs<'a, I>,
    &'a CheckContext<'a>,
) -> Pin<Box<dyn Future<Output = wasmtime::Result<Returned<O>>> + Send + 'a>>;

/// Checks, at load, that an export has the type a shape calls it with.
pub(crate) type Typecheck = fn(&ComponentFunc, &InstanceType<'_>) -> wasmtime::Result<()>;

/// Lowered arguments for `input`: the cached ones when the input is the
/// same as last time, else freshly lowered. Taken out of the cache for the
/// call and put back by [`keep`].
fn lowered<I, A>(cache: &mut ArgCache, input: &I, lower: impl FnOnce() -> A) -> Box<(I, A)>
where
    I: PartialEq + Clone + Send + 'static,
    A: Send + 'static,
{
    match cache.take().and_then(|cached| cached.downcast::<(I, A)>().ok()) {
        Some(cached) if cached.0 == *input => cached,
        _ => Box::new((input.clone(), lower())),
    }
}

fn keep<I: Send + 'static, A: Send + 'static>(cache: &mut ArgCache, args: Box<(I, A)>) {
    *cache = Some(args);
}

/// Calls a typed export with lowered `params` and lifts what it returned.
async fn typed_call<P, W, E, C, O>(
    instance: &Instance,
    store: &mut Store<SandboxState>,
    index: &ComponentExportIndex,
    params: P,
    rules: &CheckContext<'_>,
    check: Check<C, O>,
) -> wasmtime::Result<Returned<O>>
where
    P: ComponentNamedList + Lower + Send + Sync,
    W: ComponentType + Lift + Into<C> + Send + Sync + 'static,
    E: ComponentType + Lift + Into<Returned<O>> + Send + Sync + 'static,
{
    let func = instance.get_typed_func::<P, (Result<W, E>,)>(&mut *store, index)?;
    let (returned,) = func.call_async(&mut *store, params).await?;
    Ok(match returned {
        Ok(value) => Returned::Value(check(rules, value.into())),
        Err(refusal) => refusal.into(),
    })
}

/// A WIT version's `hook-error` as what the call returned.
macro_rules! lift_hook_error {
    ($($wit:ident),*) => {$(
        impl<O> From<$wit::HookError> for Returned<O> {
            fn from(error: $wit::HookError) -> Returned<O> {
                match error {
                    $wit::HookError::NotImplemented => Returned::Declined,
                    $wit::HookError::Failed(message) => Returned::Failed(message),
                }
            }
        }
    )*};
}

lift_hook_error!(wit01, wit02);

/// Converts a parameter value into a WIT version's `param-value`.
macro_rules! lower_param {
    ($wit:ident, $value:expr) => {
        match $value {
            ParamValue::Text(text) => $wit::ParamValue::Text(text.clone()),
            ParamValue::Integer(n) => $wit::ParamValue::Integer(*n),
            ParamValue::Number(x) => $wit::ParamValue::Number(*x),
            ParamValue::Boolean(b) => $wit::ParamValue::Boolean(*b),
            ParamValue::TextList(items) => $wit::ParamValue::TextList(items.clone()),
        }
    };
}

/// Converts a deployment into a WIT version's `deployment`.
macro_rules! lower_deployment {
    ($wit:ident, $deployment:expr) => {{
        let deployment: &Deployment = $deployment;
        $wit::Deployment {
            environment: deployment.environment.clone(),
            team: deployment.team.clone(),
            job_name: deployment.job_name.clone(),
            job_version: deployment.job_version.clone(),
            image_name: deployment.image_name.clone(),
            deployer: deployment.deployer.clone(),
        }
    }};
}

/// Converts a WIT version's `action-report` into Paddock's.
macro_rules! lift_report {
    ($($wit:ident),*) => {$(
        impl From<$wit::ActionReport> for ActionReport {
            fn from(report: $wit::ActionReport) -> ActionReport {
                ActionReport { summary: report.summary, details: report.details, resources: Vec::new() }
            }
        }
    )*};
}

lift_report!(wit01, wit02);

/// A hook input 0.1.0 can carry: its `hook-context` has a deployment and
/// nothing else.
pub(crate) trait Lower01: PartialEq + Clone + Send + Sync + 'static {
    fn deployment(&self) -> &Deployment;
}

impl Lower01 for Deployment {
    fn deployment(&self) -> &Deployment {
        self
    }
}

/// `paddock:plugin/hooks@0.1.0`: one `hook-context` holding the plugin's id
/// and parameters and the deployment. Serves hooks whose input is a
/// [`Deployment`].
pub(crate) mod v0_1 {
    use super::*;

    type Params<'a> = (&'a wit01::HookContext,);
    type Results<W> = (Result<W, wit01::HookError>,);

    pub(crate) fn typecheck<I: Lower01, W: ComponentType + Lift>(
        func: &ComponentFunc,
        ty: &InstanceType<'_>,
    ) -> wasmtime::Result<()> {
        func.typecheck::<Params<'static>, Results<W>>(ty)
    }

    pub(crate) async fn invoke<W, I, C, O>(
        instance: &Instance,
        store: &mut Store<SandboxState>,
        index: &ComponentExportIndex,
        call: CallArgs<'_, I>,
        rules: &CheckContext<'_>,
        check: Check<C, O>,
    ) -> wasmtime::Result<Returned<O>>
    where
        W: ComponentType + Lift + Into<C> + Send + Sync + 'static,
        I: Lower01,
    {
        let args = lowered(call.cache, call.input, || wit01::HookContext {
            plugin_id: call.plugin_id.to_string(),
            parameters: call.parameters.iter().map(|(k, v)| (k.clone(), lower_param!(wit01, v))).collect(),
            deployment: lower_deployment!(wit01, call.input.deployment()),
        });
        let returned =
            typed_call::<_, W, wit01::HookError, C, O>(instance, store, index, (&args.1,), rules, check).await;
        keep(call.cache, args);
        returned
    }
}

/// A hook input as the 0.2 packages carry it: lowered once per input
/// (then cached), and passed after the plugin context.
pub(crate) trait Lower02: PartialEq + Clone + Send + Sync + 'static {
    /// The input in its WIT form.
    type Wire: Send + Sync + 'static;
    /// The export's parameters: the plugin context, then the input (if any).
    type Params<'a>: ComponentNamedList + Lower + Send + Sync;
    fn lower(&self) -> Self::Wire;
    fn params<'a>(plugin: &'a wit02::PluginContext, wire: &'a Self::Wire) -> Self::Params<'a>;
}

/// Hooks that take nothing but the plugin context (`markdown-docs`).
impl Lower02 for () {
    type Wire = ();
    type Params<'a> = (&'a wit02::PluginContext,);
    fn lower(&self) {}
    fn params<'a>(plugin: &'a wit02::PluginContext, (): &'a ()) -> Self::Params<'a> {
        (plugin,)
    }
}

impl Lower02 for Deployment {
    type Wire = wit02::Deployment;
    type Params<'a> = (&'a wit02::PluginContext, &'a wit02::Deployment);
    fn lower(&self) -> wit02::Deployment {
        lower_deployment!(wit02, self)
    }
    fn params<'a>(plugin: &'a wit02::PluginContext, wire: &'a wit02::Deployment) -> Self::Params<'a> {
        (plugin, wire)
    }
}

/// Inputs whose Paddock type is its own WIT type (derived `ComponentType`).
macro_rules! lower_as_is {
    ($($input:ty),*) => {$(
        impl Lower02 for $input {
            type Wire = $input;
            type Params<'a> = (&'a wit02::PluginContext, &'a $input);
            fn lower(&self) -> $input {
                self.clone()
            }
            fn params<'a>(plugin: &'a wit02::PluginContext, wire: &'a $input) -> Self::Params<'a> {
                (plugin, wire)
            }
        }
    )*};
}

lower_as_is!(
    crate::hooks::racetrack::JobDeployed,
    crate::hooks::racetrack::JobDeleted,
    crate::hooks::racetrack::JobOnTarget,
    crate::hooks::racetrack::ObservedJob,
    crate::hooks::devstack::StackPhase,
    crate::hooks::tutor::CommandCall
);

/// The packages by tool from 0.2 on: `plugin-context` first, then the
/// hook's input.
pub(crate) mod v0_2 {
    use super::*;

    type Results<W> = (Result<W, wit02::HookError>,);

    pub(crate) fn typecheck<I: Lower02, W: ComponentType + Lift>(
        func: &ComponentFunc,
        ty: &InstanceType<'_>,
    ) -> wasmtime::Result<()> {
        func.typecheck::<I::Params<'static>, Results<W>>(ty)
    }

    pub(crate) async fn invoke<W, I, C, O>(
        instance: &Instance,
        store: &mut Store<SandboxState>,
        index: &ComponentExportIndex,
        call: CallArgs<'_, I>,
        rules: &CheckContext<'_>,
        check: Check<C, O>,
    ) -> wasmtime::Result<Returned<O>>
    where
        W: ComponentType + Lift + Into<C> + Send + Sync + 'static,
        I: Lower02,
    {
        let args = lowered(call.cache, call.input, || {
            let plugin = wit02::PluginContext {
                plugin_id: call.plugin_id.to_string(),
                parameters: call.parameters.iter().map(|(k, v)| (k.clone(), lower_param!(wit02, v))).collect(),
            };
            (plugin, call.input.lower())
        });
        let (plugin, input) = &args.1;
        let params = I::params(plugin, input);
        let returned = typed_call::<_, W, wit02::HookError, C, O>(instance, store, index, params, rules, check).await;
        keep(call.cache, args);
        returned
    }
}
