//! Every hook Paddock serves, each declared once, by tool: [`orbit`],
//! [`racetrack`], [`devstack`], [`tutor`].
//!
//! A declaration names the hook, its input and output types, the WIT
//! locations it is served at (one per WIT version, each with its call shape
//! from `wire`), the output rules that check a value, how one plugin's value
//! is shown, and (optionally) how the values of several plugins merge into
//! what a deployment tool consumes. Everything else follows from it:
//! [`Hook`] and [`Hook::ALL`], name parsing, the export look-up at load, the
//! typed call `session.call::<hooks::DockerfileInjection>(&deployment)`, the
//! run-time call [`crate::Session::run`], and the CLI's `paddock run HOOK` in
//! text and JSON.
//!
//! Adding a hook: its interface in `wit/v0.2/deps/<tool>.wit` (and an
//! `export` line in the `served` world), a `declare_hook!` in the tool's
//! module here, and its name in the `hook_list!` in this file (the compiler
//! refuses a declaration missing from the list).
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
use std::str::FromStr;

use serde::Serialize;

use crate::outcome::Outcome;

pub mod devstack;
pub mod orbit;
pub mod racetrack;
pub mod tutor;
pub(crate) mod wire;

pub use devstack::{Clean, Settings, Stack, SystemPackages, Unstack};
pub use orbit::{BootstrapInjection, Deploy, Destroy, DockerfileInjection, PostHook, PreHook};
pub use racetrack::{
    DeleteJob, DeployJob, InfrastructureTargets, JobLogs, JobRuntimeEnvVars, JobStatus, JobTypes, MarkdownDocs,
    PostJobDelete, PostJobDeploy,
};
pub use tutor::{
    TutorBuildImage, TutorCommands, TutorConfig, TutorInit, TutorPatches, TutorPreInit, TutorRemoteImage,
    TutorRunCommand,
};

use wire::{Invoke, Typecheck};

/// One hook, as a type: `session.call::<hooks::Deploy>(&deployment)`.
///
/// Implemented only by the declarations in this module (sealed): a hook
/// needs its WIT export, which only Paddock's WIT defines.
pub trait HookDecl: sealed::Sealed + Send + Sync + 'static {
    /// The hook's name at run time.
    const HOOK: Hook;
    /// The hook's WIT function name, e.g. `dockerfile-injection`.
    const NAME: &'static str;
    /// What the hook is called with, besides the plugin's id and parameters.
    type Input: HookInput;
    /// What one plugin returns, after validation.
    type Output: Serialize + fmt::Debug + Clone + PartialEq + Send + 'static;
    /// Where the hook is served, newest WIT version first.
    const LOCATIONS: &'static [Location];
    /// How Paddock calls each location; not for use outside the crate.
    #[doc(hidden)]
    const SPEC: HookSpec<Self::Input, Self::Output>;

    /// One plugin's value as lines of text for a terminal (not yet
    /// sanitised: callers escape them).
    fn describe(value: &Self::Output) -> Vec<String>;

    /// The view merged over every plugin's outcome, for hooks that have one.
    fn merge(outcomes: &[Outcome<Self::Output>], inputs: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A hook input: what a run chosen at run time takes from its
/// [`RunContext`].
pub trait HookInput: fmt::Debug + Clone + PartialEq + Send + Sync + 'static {
    /// The [`RunContext`] field it comes from, for errors.
    const CONTEXT_FIELD: &'static str;
    /// This input, from the context of a run, if the context has it.
    fn from_context(context: &RunContext) -> Option<Self>;
}

impl HookInput for () {
    const CONTEXT_FIELD: &'static str = "(nothing)";
    fn from_context(_: &RunContext) -> Option<()> {
        Some(())
    }
}

/// Inputs held in a [`RunContext`] field.
macro_rules! context_inputs {
    ($($input:ty => $field:ident $(as $optional:ident)?),* $(,)?) => {$(
        impl HookInput for $input {
            const CONTEXT_FIELD: &'static str = stringify!($field);
            fn from_context(context: &RunContext) -> Option<Self> {
                context_inputs!(@get context.$field $(, $optional)?)
            }
        }
    )*};
    (@get $value:expr) => { Some($value.clone()) };
    (@get $value:expr, optional) => { $value.clone() };
}

context_inputs! {
    crate::types::Deployment => deployment,
    racetrack::JobDeployed => job_deployed as optional,
    racetrack::JobDeleted => job_deleted as optional,
    racetrack::JobOnTarget => job_on_target as optional,
    racetrack::ObservedJob => observed_job as optional,
    devstack::StackPhase => stack_phase as optional,
    tutor::CommandCall => command_call as optional,
}

/// What a run of hooks chosen at run time (`paddock run`, [`crate::Session::run`])
/// passes to them: each hook takes its input from here. A context file
/// (`paddock run --context FILE`) holds the deployment's fields at the top
/// and, for the Racetrack job hooks, these sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunContext {
    /// Where deployment hooks run.
    #[serde(flatten)]
    pub deployment: crate::types::Deployment,
    /// For `post-job-deploy`.
    pub job_deployed: Option<racetrack::JobDeployed>,
    /// For `post-job-delete`.
    pub job_deleted: Option<racetrack::JobDeleted>,
    /// For `deploy-job`, `delete-job` and `job-logs`.
    pub job_on_target: Option<racetrack::JobOnTarget>,
    /// For `job-status`.
    pub observed_job: Option<racetrack::ObservedJob>,
    /// For DevStack's `stack`: the phase (`pre-install`, `install`, ...).
    pub stack_phase: Option<devstack::StackPhase>,
    /// For `tutor-run-command`.
    pub command_call: Option<tutor::CommandCall>,
}

/// A hook chosen at run time whose input the [`RunContext`] lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hook `{hook}` needs `{field}` in the context; add a `{field}:` section to the context file")]
pub struct MissingInput {
    /// The hook.
    pub hook: Hook,
    /// The context field it takes its input from.
    pub field: &'static str,
}

impl From<crate::types::Deployment> for RunContext {
    fn from(deployment: crate::types::Deployment) -> RunContext {
        RunContext { deployment, ..RunContext::default() }
    }
}

/// Where a hook is served: an interface at a WIT version and the function
/// in it.
#[derive(Debug, Clone, Copy)]
pub struct Location {
    interface: &'static str,
    function: &'static str,
    pub(crate) typecheck: Typecheck,
}

impl Location {
    #[doc(hidden)]
    pub const fn new(interface: &'static str, function: &'static str, typecheck: Typecheck) -> Location {
        Location { interface, function, typecheck }
    }

    /// The interface with its version, e.g. `paddock:orbit/deploy@0.2.0`.
    pub fn interface(&self) -> &'static str {
        self.interface
    }

    /// The function in the interface, e.g. `deploy`.
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The package with its version, e.g. `paddock:orbit@0.2.0`.
    pub fn package(&self) -> String {
        let (name, version) = self.interface.split_once('@').unwrap_or((self.interface, ""));
        let package = name.split_once('/').map_or(name, |(package, _)| package);
        format!("{package}@{version}")
    }
}

/// How the host calls a hook: opaque outside the crate.
#[doc(hidden)]
pub struct HookSpec<I: 'static, O: 'static> {
    /// One per [`HookDecl::LOCATIONS`], in the same order.
    pub(crate) invoke: &'static [Invoke<I, O>],
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
    BaseImage(#[from] crate::merge::InvalidBaseImage),
}

/// Declares one hook: a type implementing [`HookDecl`]. `exports` lists
/// the WIT locations, newest first, each as `shape(interface, wire output
/// type)`; the wire type converts `Into` the type `check` takes.
macro_rules! declare_hook {
    (
        $(#[$doc:meta])*
        $name:ident {
            name: $hook_name:literal,
            input: $input:ty,
            output: $output:ty,
            exports: [$($shape:ident($interface:expr, $wire:ty)),+ $(,)?],
            check: $check:expr,
            describe: $describe:expr,
            merge: $merge:expr $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name;

        impl $crate::hooks::sealed::Sealed for $name {}

        impl $crate::hooks::HookDecl for $name {
            const HOOK: $crate::hooks::Hook = $crate::hooks::Hook::$name;
            const NAME: &'static str = $hook_name;
            type Input = $input;
            type Output = $output;
            const LOCATIONS: &'static [$crate::hooks::Location] = &[$(
                $crate::hooks::Location::new($interface, $hook_name, $crate::hooks::wire::$shape::typecheck::<$input, $wire>),
            )+];
            const SPEC: $crate::hooks::HookSpec<$input, $output> = $crate::hooks::HookSpec {
                invoke: &[$(
                    |instance, store, index, call, rules| {
                        Box::pin($crate::hooks::wire::$shape::invoke::<$wire, _, _, _>(instance, store, index, call, rules, $check))
                    },
                )+],
            };

            fn describe(value: &$output) -> Vec<String> {
                ($describe)(value)
            }

            fn merge(
                outcomes: &[$crate::outcome::Outcome<$output>],
                inputs: &$crate::hooks::MergeInputs<'_>,
            ) -> Option<Result<$crate::hooks::MergedView, $crate::hooks::MergeError>> {
                ($merge)(outcomes, inputs)
            }
        }
    };
}
pub(crate) use declare_hook;

/// Lists the declared hooks, in the order `paddock run all` calls them:
/// makes [`Hook`] and everything that maps it to the declarations.
macro_rules! hook_list {
    ($($module:ident::$name:ident),+ $(,)?) => {
        /// A hook chosen at run time (a CLI argument, a configuration
        /// file); the types in [`crate::hooks`] are the same hooks chosen at
        /// compile time.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
        #[serde(rename_all = "kebab-case")]
        #[non_exhaustive]
        pub enum Hook {
            $(
                #[doc = concat!("[`", stringify!($module), "::", stringify!($name), "`]")]
                $name,
            )+
        }

        impl Hook {
            /// Every hook, in the order `paddock run all` calls them.
            pub const ALL: &'static [Hook] = &[$(Hook::$name),+];

            /// The hook's WIT name, e.g. `dockerfile-injection`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Hook::$name => <$module::$name as HookDecl>::NAME,)+
                }
            }

            /// Where the hook is served, newest WIT version first.
            pub fn locations(self) -> &'static [Location] {
                match self {
                    $(Hook::$name => <$module::$name as HookDecl>::LOCATIONS,)+
                }
            }

            /// Calls `visitor` with this hook as a type.
            pub fn visit<V: HookVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(Hook::$name => visitor.visit::<$module::$name>(),)+
                }
            }

            /// Position in [`Hook::ALL`], for per-hook tables.
            pub(crate) fn index(self) -> usize {
                self as usize
            }
        }
    };
}

hook_list! {
    orbit::DockerfileInjection,
    orbit::BootstrapInjection,
    racetrack::JobRuntimeEnvVars,
    orbit::PreHook,
    orbit::Deploy,
    orbit::Destroy,
    orbit::PostHook,
    racetrack::PostJobDeploy,
    racetrack::PostJobDelete,
    racetrack::MarkdownDocs,
    racetrack::JobTypes,
    racetrack::InfrastructureTargets,
    racetrack::DeployJob,
    racetrack::DeleteJob,
    racetrack::JobStatus,
    racetrack::JobLogs,
    devstack::Settings,
    devstack::SystemPackages,
    devstack::Stack,
    devstack::Unstack,
    devstack::Clean,
    tutor::TutorConfig,
    tutor::TutorPatches,
    tutor::TutorPreInit,
    tutor::TutorInit,
    tutor::TutorBuildImage,
    tutor::TutorRemoteImage,
    tutor::TutorCommands,
    tutor::TutorRunCommand,
}

impl Hook {
    /// The newest location of the hook: what a plugin built now exports.
    pub fn current(self) -> &'static Location {
        // Every declaration lists at least one location (the macro's `+`).
        &self.locations()[0]
    }

    /// Every interface a hook of this host is served at, each once.
    pub fn interfaces() -> Vec<&'static str> {
        let mut interfaces: Vec<&'static str> =
            Hook::ALL.iter().flat_map(|hook| hook.locations()).map(Location::interface).collect();
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

/// A report as lines: the summary, its details, then its resources.
pub(crate) fn describe_report(report: &crate::types::ActionReport) -> Vec<String> {
    std::iter::once(report.summary.clone())
        .chain(report.details.iter().map(|(key, value)| format!("  {key}: {value}")))
        .chain(report.resources.iter().map(|resource| format!("  + {}", resource.describe())))
        .collect()
}

/// For hooks whose outcomes are read plugin by plugin.
pub(crate) fn no_merge<T>(_: &[Outcome<T>], _: &MergeInputs<'_>) -> Option<Result<MergedView, MergeError>> {
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
    durations: Vec<std::time::Duration>,
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
        HookRun { hook: H::HOOK, outcomes: Box::new(Typed::<H>(outcomes)), durations: Vec::new() }
    }

    pub(crate) fn with_durations(mut self, durations: Vec<std::time::Duration>) -> HookRun {
        self.durations = durations;
        self
    }

    /// How long each plugin's call took, in execution order (zero for one
    /// skipped without an instance or not run).
    pub fn durations(&self) -> &[std::time::Duration] {
        &self.durations
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
