//! Audit records for hooks run outside an apply (`paddock run --state`):
//! every invocation is on the trail, whoever ran it.

use super::desired::hook_package;
use super::plan::input_digest;
use super::{AuditOutput, AuditRecord, StateError, StateStore, Timestamp, check_target};
use crate::hooks::{HookRun, RunContext};
use crate::plugin_set::PluginSet;

/// Appends one audit record per plugin and hook of `runs` (as
/// [`crate::Session::run`] returned them for `set`) under `target`, with
/// `operation` (e.g. `run`) naming what ran them; returns how many.
pub fn record_runs(
    store: &mut dyn StateStore,
    target: &str,
    operation: &str,
    set: &PluginSet,
    runs: &[HookRun],
    context: &RunContext,
) -> Result<usize, StateError> {
    check_target(target)?;
    let time = Timestamp::now();
    let mut records = Vec::new();
    for run in runs {
        let hook = run.hook();
        let json = run.json().map_err(|error| StateError::Invalid(format!("an outcome of `{hook}`: {error}")))?;
        let outcomes = json.as_array().cloned().unwrap_or_default();
        for (index, ((plugin, id), outcome)) in set.plugins().zip(outcomes).enumerate() {
            let text = |field: &str| outcome.get(field).and_then(serde_json::Value::as_str).map(str::to_string);
            let status = text("status").unwrap_or_else(|| "failed".into());
            let duration = run.durations().get(index).copied().unwrap_or_default();
            let parameters = set.parameters_of(id).unwrap_or_default();
            records.push(AuditRecord {
                time,
                target: target.to_string(),
                operation: operation.to_string(),
                plugin: plugin.name().to_string(),
                plugin_id: id.to_string(),
                version: plugin.version().to_string(),
                bundle_sha256: plugin.archive_sha256().unwrap_or(plugin.component_sha256()).to_string(),
                wit_package: hook_package(plugin, hook),
                hook: hook.name().to_string(),
                duration_us: u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
                error: text("error"),
                input_sha256: input_digest(hook, id, &parameters, context),
                output: (status == "ok")
                    .then(|| AuditOutput::of(outcome.get("value").unwrap_or(&serde_json::Value::Null))),
                status,
            });
        }
    }
    store.append_audit(&records)?;
    Ok(records.len())
}
