//! Racetrack's hooks (seed 000): what plugins add to a job's runtime. WIT:
//! `paddock:racetrack` (`wit/v0.2/deps/racetrack.wit`), and
//! `paddock:plugin/hooks@0.1.0` where 0.1.0 already had the hook.

use crate::hooks::{MergeInputs, MergedView, PLUGIN_0_1_HOOKS, declare_hook};
use crate::merge;
use crate::outcome::Outcome;
use crate::types::Deployment;

declare_hook! {
    /// `job-runtime-env-vars`: environment variables for the job (Racetrack
    /// `job_runtime_env_vars`), as ordered name/value pairs.
    JobRuntimeEnvVars {
        name: "job-runtime-env-vars",
        input: Deployment,
        output: Vec<(String, String)>,
        exports: [
            v0_2("paddock:racetrack/job-runtime-env-vars@0.2.0", Vec<(String, String)>),
            v0_1(PLUGIN_0_1_HOOKS, Vec<(String, String)>),
        ],
        check: |rules, vars: Vec<(String, String)>| rules.check_env_vars(&vars).map(|()| vars),
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
}
