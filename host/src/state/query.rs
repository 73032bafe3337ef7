//! Provenance: which plugin, version and bundle put a line into a rendered
//! Dockerfile or set an env var, and the invocation that returned it.

use serde::Serialize;

use crate::hooks::Hook;

use super::{AuditEntry, AuditOutput, HistoryQuery, StateError, StateStore, Timestamp};

/// What to trace back to the plugin that contributed it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trace {
    /// A line of the rendered Dockerfile, as printed (surrounding blanks ignored).
    DockerfileLine(String),
    /// An environment variable of the merged job environment, by name.
    Env(String),
}

/// One plugin's contribution that matches a [`Trace`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The target.
    pub target: String,
    /// The id the plugin ran under.
    pub plugin_id: String,
    /// Manifest name.
    pub plugin: String,
    /// Manifest version.
    pub version: String,
    /// sha256 of the bundle archive it ran from.
    pub bundle_sha256: String,
    /// The hook that returned it.
    pub hook: String,
    /// The contribution itself: the line, or `NAME=value`.
    pub contribution: String,
    /// False for an env var a later plugin overrode (the merged environment
    /// keeps the last plugin's value).
    pub effective: bool,
    /// When the plugin was last applied.
    pub applied_at: Timestamp,
    /// The audit record of the invocation that returned the recorded output,
    /// when the trail still holds it.
    pub invocation: Option<AuditEntry>,
}

/// Every recorded contribution to `target` that matches `trace`, in
/// execution order; empty when nothing recorded matches.
pub fn explain(store: &mut dyn StateStore, target: &str, trace: &Trace) -> Result<Vec<Provenance>, StateError> {
    let Some(state) = store.load(target)? else { return Ok(Vec::new()) };
    let (hook, wanted) = match trace {
        Trace::DockerfileLine(line) => (Hook::DockerfileInjection, line.trim()),
        Trace::Env(name) => (Hook::JobRuntimeEnvVars, name.as_str()),
    };
    let mut found = Vec::new();
    for plugin in &state.plugins {
        let Some(value) = plugin.output(hook.name()) else { continue };
        let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
        for item in items {
            let contribution = match (trace, item) {
                (Trace::DockerfileLine(_), serde_json::Value::String(line)) if line.trim() == wanted => line.clone(),
                (Trace::Env(_), serde_json::Value::Array(pair)) => match pair.as_slice() {
                    [serde_json::Value::String(name), serde_json::Value::String(value)] if name == wanted => {
                        format!("{name}={value}")
                    }
                    _ => continue,
                },
                _ => continue,
            };
            found.push((plugin, value, contribution));
        }
    }
    let last_env = found.len().checked_sub(1);
    let mut provenance = Vec::with_capacity(found.len());
    for (index, (plugin, value, contribution)) in found.into_iter().enumerate() {
        let digest = AuditOutput::of(value).sha256;
        let history = store.history(&HistoryQuery {
            target: Some(target.to_string()),
            plugin: Some(plugin.id.clone()),
            hook: Some(hook.name().to_string()),
            // The recorded output comes from the plugin's last applies.
            limit: Some(1_000),
            ..HistoryQuery::default()
        })?;
        let invocation = history.into_iter().rev().find(|entry| {
            entry.record.plugin_id == plugin.id
                && entry.record.status == "ok"
                && entry.record.output.as_ref().is_some_and(|output| output.sha256 == digest)
        });
        provenance.push(Provenance {
            target: target.to_string(),
            plugin_id: plugin.id.clone(),
            plugin: plugin.identity.name.clone(),
            version: plugin.identity.version.clone(),
            bundle_sha256: plugin.identity.bundle_sha256.clone(),
            hook: hook.name().to_string(),
            contribution,
            effective: matches!(trace, Trace::DockerfileLine(_)) || Some(index) == last_env,
            applied_at: plugin.applied_at,
            invocation,
        });
    }
    Ok(provenance)
}
