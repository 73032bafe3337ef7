//! Every hook Paddock serves, each declared once.
//!
//! A declaration names the hook's WIT export, the raw type the export
//! returns, Paddock's own type for it, the output rules that check it, how
//! one plugin's value is shown, and (optionally) how the values of several
//! plugins merge into what a deployment tool consumes. Everything else
//! follows from it: [`Hook`] and [`Hook::ALL`], name parsing, the typed call
//! `session.call::<hooks::DockerfileInjection>(&deployment)`, the run-time
//! call [`crate::Session::run`], and the CLI's `paddock run HOOK` in text and
//! JSON.
//!
//! ```no_run
//! use paddock::{Deployment, Host, PluginSet, hooks};
//!
//! # fn main() -> Result<(), paddock::Error> {
//! let host = Host::new()?;
//! let plugins = PluginSet::builder(&host).add_path("plugins/".as_ref())?.build()?;
//! let deployment = Deployment { image_name: "python:3.11".into(), ..Default::default() };
//! let statuses: Vec<_> = plugins
//!     .call::<hooks::JobRuntimeEnvVars>(&deployment)
//!     .into_iter()
//!     .map(|outcome| (outcome.id, outcome.status))
//!     .collect();
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

use serde::Serialize;
use wasmtime::Store;
// `InstanceType` is what wasmtime's own generated bindings type-check
// exports against at load; it is public only under `__internal`, and the
// wasmtime version is pinned exactly.
use wasmtime::component::__internal::InstanceType;
use wasmtime::component::types::ComponentFunc;
use wasmtime::component::{ComponentExportIndex, Instance};

use crate::bindings::paddock::plugin::types as wit;
use crate::merge;
use crate::outcome::Outcome;
use crate::sandbox::SandboxState;
use crate::types::ActionReport;
use crate::validate::{OutputProblem, OutputRules};

/// One hook, as a type: `session.call::<hooks::Deploy>(&deployment)`.
///
/// Implemented only by the declarations in this module (sealed): a hook
/// needs its WIT export, which only Paddock's WIT defines.
pub trait HookDecl: sealed::Sealed + Send + Sync + 'static {
    /// The hook's name at run time.
    const HOOK: Hook;
    /// What one plugin returns, after validation.
    type Output: Serialize + fmt::Debug + Clone + PartialEq + Send + 'static;
    /// How Paddock calls the export; not for use outside the crate.
    #[doc(hidden)]
    const SPEC: HookSpec<Self::Output>;

    /// One plugin's value as lines of text for a terminal (not yet
    /// sanitised: callers escape them).
    fn describe(value: &Self::Output) -> Vec<String>;

    /// The view merged over every plugin's outcome, for hooks that have one.
    fn merge(outcomes: &[Outcome<Self::Output>], inputs: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>>;
}

mod sealed {
    pub trait Sealed {}
}

/// A call of one hook export: returns the raw result, lifted and checked.
type Invoke<T> = for<'a> fn(
    &'a Instance,
    &'a mut Store<SandboxState>,
    &'a ComponentExportIndex,
    &'a wit::HookContext,
    &'a OutputRules,
) -> Pin<
    Box<dyn Future<Output = wasmtime::Result<Result<Result<T, OutputProblem>, wit::HookError>>> + Send + 'a>,
>;

/// How the host calls a hook: opaque outside the crate.
#[doc(hidden)]
pub struct HookSpec<T> {
    /// Checks, at load, that a component's export has the hook's type.
    pub(crate) typecheck: fn(&ComponentFunc, &InstanceType<'_>) -> wasmtime::Result<()>,
    pub(crate) invoke: Invoke<T>,
}

/// Calls a typed export and lifts its result through `lift`.
async fn invoke<R, T>(
    instance: &Instance,
    store: &mut Store<SandboxState>,
    index: &ComponentExportIndex,
    context: &wit::HookContext,
    rules: &OutputRules,
    lift: fn(&OutputRules, R) -> Result<T, OutputProblem>,
) -> wasmtime::Result<Result<Result<T, OutputProblem>, wit::HookError>>
where
    R: wasmtime::component::ComponentType + wasmtime::component::Lift + Send + Sync + 'static,
{
    let func = instance.get_typed_func::<(&wit::HookContext,), (Result<R, wit::HookError>,)>(&mut *store, index)?;
    let (returned,) = func.call_async(&mut *store, (context,)).await?;
    Ok(returned.map(|raw| lift(rules, raw)))
}

/// What a merge may need beyond the outcomes.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeInputs<'a> {
    /// The image a rendered Dockerfile starts `FROM`.
    pub base_image: &'a str,
}

/// A hook's results merged across plugins, in a form to print and to
/// serialise.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedView {
    /// Key of the view in JSON output (`dockerfile`, `env`, `scripts`).
    pub key: &'static str,
    /// Heading of the view in text output.
    pub title: String,
    /// The view as text lines (not yet sanitised).
    pub lines: Vec<String>,
    /// What the operator should know about how it was merged, e.g. a
    /// variable two plugins set (not yet sanitised).
    pub notes: Vec<String>,
    /// The view as JSON.
    pub json: serde_json::Value,
}

/// Why a merged view could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// The Dockerfile's base image is not an image reference.
    #[error(transparent)]
    BaseImage(#[from] merge::InvalidBaseImage),
}

/// Declares the hooks: for each, a type implementing [`HookDecl`] and a
/// [`Hook`] variant, in the order `paddock run all` calls them.
macro_rules! declare_hooks {
    ($(
        $(#[$doc:meta])*
        $name:ident {
            interface: $interface:expr,
            export: $export:literal,
            raw: $raw:ty,
            output: $output:ty,
            lift: $lift:expr,
            describe: $describe:expr,
            merge: $merge:expr $(,)?
        }
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub struct $name;

            impl sealed::Sealed for $name {}

            impl HookDecl for $name {
                const HOOK: Hook = Hook::$name;
                type Output = $output;
                const SPEC: HookSpec<$output> = HookSpec {
                    typecheck: |func, ty| func.typecheck::<(&wit::HookContext,), (Result<$raw, wit::HookError>,)>(ty),
                    invoke: |instance, store, index, context, rules| {
                        Box::pin(invoke::<$raw, $output>(instance, store, index, context, rules, $lift))
                    },
                };

                fn describe(value: &$output) -> Vec<String> {
                    ($describe)(value)
                }

                fn merge(outcomes: &[Outcome<$output>], inputs: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>> {
                    ($merge)(outcomes, inputs)
                }
            }
        )*

        /// A hook chosen at run time (a CLI argument, a configuration
        /// file); the types in [`crate::hooks`] are the same hooks chosen at
        /// compile time.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
        #[serde(rename_all = "kebab-case")]
        #[non_exhaustive]
        pub enum Hook {
            $( $(#[$doc])* $name, )*
        }

        impl Hook {
            /// Every hook, in the order `paddock run all` calls them.
            pub const ALL: &'static [Hook] = &[$(Hook::$name),*];

            /// The hook's WIT name, e.g. `dockerfile-injection`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Hook::$name => $export,)*
                }
            }

            /// The interface that exports the hook, with the version this
            /// host serves, e.g. `paddock:plugin/hooks@0.1.0`.
            pub fn interface(self) -> &'static str {
                match self {
                    $(Hook::$name => $interface,)*
                }
            }

            /// Calls `visitor` with this hook as a type.
            pub fn visit<V: HookVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(Hook::$name => visitor.visit::<$name>(),)*
                }
            }

            /// Position in [`Hook::ALL`], for per-hook tables.
            pub(crate) fn index(self) -> usize {
                self as usize
            }

            /// Checks an export against this hook's type.
            pub(crate) fn typecheck(self, func: &ComponentFunc, ty: &InstanceType<'_>) -> wasmtime::Result<()> {
                match self {
                    $(Hook::$name => (<$name as HookDecl>::SPEC.typecheck)(func, ty),)*
                }
            }
        }
    };
}

impl Hook {
    /// Every interface a hook of this host lives in, each once, with the
    /// version served.
    pub fn interfaces() -> Vec<&'static str> {
        let mut interfaces: Vec<&'static str> = Hook::ALL.iter().map(|hook| hook.interface()).collect();
        interfaces.sort_unstable();
        interfaces.dedup();
        interfaces
    }
}

/// Something done with a hook chosen at run time, as its type: see
/// [`Hook::visit`].
pub trait HookVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the hook as a type.
    fn visit<H: HookDecl>(self) -> Self::Output;
}

/// The hooks interface of the first published package, `paddock:plugin@0.1.0`.
pub const PLUGIN_0_1_HOOKS: &str = "paddock:plugin/hooks@0.1.0";

declare_hooks! {
    /// `dockerfile-injection`: Dockerfile instructions for the image (Orbit
    /// `dockerfile_injection`).
    DockerfileInjection {
        interface: PLUGIN_0_1_HOOKS,
        export: "dockerfile-injection",
        raw: Vec<String>,
        output: Vec<String>,
        lift: |rules, lines| rules.check_dockerfile_lines(&lines).map(|()| lines),
        describe: |lines: &Vec<String>| lines.clone(),
        merge: |outcomes: &[Outcome<Vec<String>>], inputs: &MergeInputs<'_>| {
            Some(merge::render_dockerfile(inputs.base_image, outcomes).map_err(MergeError::from).map(|text| MergedView {
                key: "dockerfile",
                title: "Rendered Dockerfile".into(),
                lines: text.lines().map(str::to_string).collect(),
                notes: Vec::new(),
                json: text.into(),
            }))
        },
    }

    /// `bootstrap-injection`: a boot-time shell script (Orbit
    /// `bootstrap_injection`), kept as `<plugin-id>.sh`.
    BootstrapInjection {
        interface: PLUGIN_0_1_HOOKS,
        export: "bootstrap-injection",
        raw: Option<String>,
        output: Option<String>,
        lift: |rules, script: Option<String>| match script {
            Some(text) => rules.check_script(&text).map(|()| Some(text)),
            None => Ok(None),
        },
        describe: |script: &Option<String>| vec![match script {
            Some(text) => format!("script of {} bytes, {} lines", text.len(), text.lines().count()),
            None => "no script".to_string(),
        }],
        merge: |outcomes: &[Outcome<Option<String>>], _: &MergeInputs<'_>| {
            let scripts = merge::bootstrap_scripts(outcomes);
            let mut lines = Vec::new();
            for script in &scripts {
                lines.push(format!("--- {} ---", script.file_name));
                lines.extend(script.content.lines().map(str::to_string));
            }
            Some(Ok(MergedView {
                key: "scripts",
                title: format!("Bootstrap scripts ({})", scripts.len()),
                lines,
                notes: Vec::new(),
                json: serde_json::to_value(&scripts).unwrap_or_default(),
            }))
        },
    }

    /// `job-runtime-env-vars`: environment variables for the job (Racetrack
    /// `job_runtime_env_vars`), as ordered name/value pairs.
    JobRuntimeEnvVars {
        interface: PLUGIN_0_1_HOOKS,
        export: "job-runtime-env-vars",
        raw: Vec<(String, String)>,
        output: Vec<(String, String)>,
        lift: |rules, vars| rules.check_env_vars(&vars).map(|()| vars),
        describe: |vars: &Vec<(String, String)>| vars.iter().map(|(name, value)| format!("{name}={value}")).collect(),
        merge: |outcomes: &[Outcome<Vec<(String, String)>>], _: &MergeInputs<'_>| {
            let merged = merge::merge_env_vars(outcomes);
            let notes = merged
                .conflicts
                .iter()
                .map(|conflict| {
                    let setters: Vec<String> =
                        conflict.settings.iter().map(|(id, value)| format!("{id}={value}")).collect();
                    format!("conflict: {} set by {}; kept {}'s value", conflict.name, setters.join(", "), conflict.winner)
                })
                .collect();
            Some(Ok(MergedView {
                key: "env",
                title: format!("Merged environment ({} variables)", merged.vars.len()),
                lines: merged.vars.iter().map(|(name, value)| format!("{name}={value}")).collect(),
                notes,
                json: serde_json::to_value(&merged).unwrap_or_default(),
            }))
        },
    }

    /// `deploy`: actions when a deployment is created (Orbit `deploy`,
    /// Racetrack `post_job_deploy`).
    Deploy {
        interface: PLUGIN_0_1_HOOKS,
        export: "deploy",
        raw: wit::ActionReport,
        output: ActionReport,
        lift: lift_report,
        describe: describe_report,
        merge: no_merge,
    }

    /// `destroy`: actions when a deployment is removed (Orbit `destroy`).
    Destroy {
        interface: PLUGIN_0_1_HOOKS,
        export: "destroy",
        raw: wit::ActionReport,
        output: ActionReport,
        lift: lift_report,
        describe: describe_report,
        merge: no_merge,
    }
}

fn lift_report(rules: &OutputRules, report: wit::ActionReport) -> Result<ActionReport, OutputProblem> {
    let report = ActionReport { summary: report.summary, details: report.details };
    rules.check_report(&report).map(|()| report)
}

fn describe_report(report: &ActionReport) -> Vec<String> {
    std::iter::once(report.summary.clone())
        .chain(report.details.iter().map(|(key, value)| format!("  {key}: {value}")))
        .collect()
}

/// For hooks whose outcomes are read plugin by plugin.
fn no_merge<T>(_: &[Outcome<T>], _: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>> {
    None
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown hook name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hook `{given}`; the hooks are: {}", Hook::ALL.iter().map(|hook| hook.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownHook {
    given: String,
}

impl FromStr for Hook {
    type Err = UnknownHook;
    fn from_str(s: &str) -> Result<Hook, UnknownHook> {
        let normalized = s.replace('_', "-");
        Hook::ALL
            .iter()
            .copied()
            .find(|hook| hook.name() == normalized)
            .ok_or_else(|| UnknownHook { given: crate::sanitize::for_terminal(s, 60) })
    }
}

/// The outcomes of one hook chosen at run time, with what the hook's
/// declaration knows about showing and merging them.
pub struct HookRun {
    hook: Hook,
    outcomes: Box<dyn ErasedOutcomes>,
}

/// Outcomes of one hook, with the hook's type erased.
trait ErasedOutcomes {
    fn described(&self) -> Vec<Outcome<Vec<String>>>;
    fn json(&self) -> serde_json::Result<serde_json::Value>;
    fn labels(&self) -> Vec<&'static str>;
    fn merged(&self, inputs: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>>;
}

struct Typed<H: HookDecl>(Vec<Outcome<H::Output>>);

impl<H: HookDecl> ErasedOutcomes for Typed<H> {
    fn described(&self) -> Vec<Outcome<Vec<String>>> {
        self.0.iter().map(|outcome| outcome.clone().map(|value| H::describe(&value))).collect()
    }

    fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(self.0.iter().map(Outcome::record).collect::<Vec<_>>())
    }

    fn labels(&self) -> Vec<&'static str> {
        self.0.iter().map(|outcome| outcome.status.label()).collect()
    }

    fn merged(&self, inputs: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>> {
        H::merge(&self.0, inputs)
    }
}

impl HookRun {
    pub(crate) fn new<H: HookDecl>(outcomes: Vec<Outcome<H::Output>>) -> HookRun {
        HookRun { hook: H::HOOK, outcomes: Box::new(Typed::<H>(outcomes)) }
    }

    /// The hook that ran.
    pub fn hook(&self) -> Hook {
        self.hook
    }

    /// Each plugin's outcome, its value as text lines (not yet sanitised).
    pub fn described(&self) -> Vec<Outcome<Vec<String>>> {
        self.outcomes.described()
    }

    /// The outcomes as JSON records (`plugin`, `id`, `version`, `priority`,
    /// `status`, `value` or `error`).
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        self.outcomes.json()
    }

    /// True when every plugin succeeded or was skipped.
    pub fn succeeded(&self) -> bool {
        self.outcomes.labels().iter().all(|label| *label == "ok" || *label == "skipped")
    }

    /// The hook's merged view, if it has one.
    pub fn merged(&self, inputs: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>> {
        self.outcomes.merged(inputs)
    }
}

impl fmt::Debug for HookRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookRun").field("hook", &self.hook).field("outcomes", &self.described()).finish()
    }
}
