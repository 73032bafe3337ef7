//! Paddock's own values passed to and returned from hooks. The generated
//! bindings are converted to and from these at the sandbox boundary.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The deployment a hook contributes to (Orbit's context and team context,
/// Racetrack's job, image and deployer). Read from `--context FILE` by the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Deployment {
    /// Environment name (Orbit `context.name`).
    pub environment: String,
    /// Team name (Orbit `team_context.name`).
    pub team: String,
    /// Job name (Racetrack).
    pub job_name: String,
    /// Job version (Racetrack).
    pub job_version: String,
    /// Image being built or deployed.
    pub image_name: String,
    /// The user deploying, when known.
    pub deployer: Option<String>,
}

/// One plugin parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A boolean.
    Boolean(bool),
    /// A whole number.
    Integer(i64),
    /// A floating-point number.
    Number(f64),
    /// A string.
    Text(String),
    /// A list of strings.
    TextList(Vec<String>),
}

/// A plugin's parameters in configured order.
pub type Parameters = Vec<(String, ParamValue)>;

/// What a deploy or destroy hook reports having done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    /// One-line summary.
    pub summary: String,
    /// Ordered key/value details.
    pub details: Vec<(String, String)>,
}

/// The hooks of Paddock 0.1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Hook {
    /// `deploy`: actions when a deployment is created.
    Deploy,
    /// `destroy`: actions when a deployment is removed.
    Destroy,
    /// `dockerfile-injection`: Dockerfile instructions for the image.
    DockerfileInjection,
    /// `bootstrap-injection`: a boot-time shell script.
    BootstrapInjection,
    /// `job-runtime-env-vars`: environment variables for the job.
    JobRuntimeEnvVars,
}

impl Hook {
    /// Every hook, in the order `paddock run all` calls them.
    pub const ALL: [Hook; 5] = [
        Hook::DockerfileInjection,
        Hook::BootstrapInjection,
        Hook::JobRuntimeEnvVars,
        Hook::Deploy,
        Hook::Destroy,
    ];

    /// The hook's WIT name, e.g. `dockerfile-injection`.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Deploy => "deploy",
            Hook::Destroy => "destroy",
            Hook::DockerfileInjection => "dockerfile-injection",
            Hook::BootstrapInjection => "bootstrap-injection",
            Hook::JobRuntimeEnvVars => "job-runtime-env-vars",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown hook name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hook `{0}`; the hooks are: deploy, destroy, dockerfile-injection, bootstrap-injection, job-runtime-env-vars")]
pub struct UnknownHook(pub String);

impl FromStr for Hook {
    type Err = UnknownHook;
    fn from_str(s: &str) -> Result<Hook, UnknownHook> {
        let normalized = s.replace('_', "-");
        Hook::ALL
            .into_iter()
            .find(|hook| hook.name() == normalized)
            .ok_or_else(|| UnknownHook(crate::sanitize::for_terminal(s, 60)))
    }
}

/// A hook's result when the hook is chosen at run time (the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum HookValue {
    /// From `deploy` or `destroy`.
    Report(ActionReport),
    /// From `dockerfile-injection`.
    DockerfileLines(Vec<String>),
    /// From `bootstrap-injection`.
    BootstrapScript(Option<String>),
    /// From `job-runtime-env-vars`.
    EnvVars(Vec<(String, String)>),
}
