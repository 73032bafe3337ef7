//! Paddock's own values passed to and returned from hooks. The generated
//! bindings are converted to and from these at the sandbox boundary.

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

/// What a hook that acts reports: a summary and details for the operator,
/// and (from the 0.2 Orbit hooks on) the resources the embedder is to
/// create or remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActionReport {
    /// One-line summary.
    pub summary: String,
    /// Ordered key/value details.
    pub details: Vec<(String, String)>,
    /// Resources to create (deploy, pre-hook) or remove (destroy,
    /// post-hook), checked, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<crate::resources::Resource>,
}
