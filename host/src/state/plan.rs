//! Plan: what applying a desired set would change, plugin by plugin, with
//! each plugin's would-be contributions diffed against the recorded ones.
//! Apply: the same, under the target's lock, with every write in one
//! transaction.

use std::time::Instant;

use serde::Serialize;

use crate::bundle::Bundle;
use crate::engine::Host;
use crate::hooks::{Hook, RunContext};
use crate::plugin::Plugin;
use crate::plugin_set::{FailurePolicy, PluginConfig, PluginSet};
use crate::types::{Deployment, Parameters};

use super::desired::{DesiredPlugin, DesiredSet, config_of, hook_package};
use super::diff::{DiffLine, contribution_lines, diff_lines};
use super::{
    ApplyTransaction, AuditOutput, AuditRecord, PluginIdentity, PluginRecord, PluginStatus, RecordedOutput, StateError,
    StateStore, TargetState, Timestamp, check_target, sha256_hex,
};

/// What an apply does to one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Not recorded: its deploy-side hooks run and their outputs are recorded.
    Add,
    /// Recorded but no longer wanted: its `destroy` runs from the recorded
    /// bundle and parameters, and its record is removed.
    Remove,
    /// Another version or another bundle (its sha256 changed).
    Upgrade,
    /// The same bundle with other parameters.
    Reconfigure,
    /// Its last apply failed (under [`FailurePolicy::Continue`]): it is run again.
    Retry,
    /// The same bundle and parameters, but its contributions changed (the
    /// deployment context did).
    Refresh,
    /// Nothing to do.
    Unchanged,
}

impl Action {
    /// `add`, `remove`, `upgrade`, `reconfigure`, `retry`, `refresh` or `unchanged`.
    pub fn label(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Remove => "remove",
            Action::Upgrade => "upgrade",
            Action::Reconfigure => "reconfigure",
            Action::Retry => "retry",
            Action::Refresh => "refresh",
            Action::Unchanged => "unchanged",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One hook of one plugin in a plan: what was recorded and what it returns now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookPlan {
    /// The hook's name.
    pub hook: String,
    /// How the call ended: `ok`, `skipped`, `failed`, `not-run`, or
    /// `removed` (a removed plugin's recorded output, in a plan).
    pub status: String,
    /// The failure, for `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The recorded output.
    pub before: Option<serde_json::Value>,
    /// The output now.
    pub after: Option<serde_json::Value>,
    /// The WIT package of the export that was called.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wit_package: Option<String>,
    /// How long the call took, in microseconds.
    pub duration_us: u64,
}

impl HookPlan {
    /// True when the output differs from the recorded one (a failed call
    /// changes nothing: its plugin is retried instead).
    pub fn changed(&self) -> bool {
        self.status != "failed" && self.status != "not-run" && self.before != self.after
    }

    /// The recorded and the new output as a line diff.
    pub fn diff(&self) -> Vec<DiffLine> {
        let lines = |value: &Option<serde_json::Value>| value.as_ref().map(contribution_lines).unwrap_or_default();
        diff_lines(&lines(&self.before), &lines(&self.after))
    }
}

/// One plugin in a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedPlugin {
    /// The id it runs under.
    pub id: String,
    /// What an apply does to it.
    pub action: Action,
    /// What is recorded, if anything.
    pub recorded: Option<PluginIdentity>,
    /// What is wanted; `None` for a removed plugin.
    pub desired: Option<PluginIdentity>,
    /// Each hook: deploy-side hooks for a wanted plugin; the recorded outputs
    /// (and, in an apply, `destroy`) for a removed one.
    pub hooks: Vec<HookPlan>,
    /// Why the plugin could not be run at all (a recorded bundle that no
    /// longer loads, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PlannedPlugin {
    /// The manifest name, desired or recorded.
    pub fn name(&self) -> &str {
        self.desired.as_ref().or(self.recorded.as_ref()).map_or("", |identity| identity.name.as_str())
    }

    /// True when a hook failed or the plugin could not be run.
    pub fn failed(&self) -> bool {
        self.error.is_some() || self.hooks.iter().any(|hook| hook.status == "failed")
    }

    /// The first failure, for messages.
    pub fn failure(&self) -> Option<String> {
        self.error.clone().or_else(|| {
            self.hooks.iter().find(|hook| hook.status == "failed").map(|hook| hook.error.clone().unwrap_or_default())
        })
    }
}

/// What applying a desired set to a target would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The target.
    pub target: String,
    /// The recorded generation the plan was made against (`None`: nothing recorded).
    pub generation: Option<u64>,
    /// Wanted plugins in execution order, then removed ones.
    pub plugins: Vec<PlannedPlugin>,
    /// The wanted plugins that are also recorded run in another order.
    pub order_changed: bool,
}

impl Plan {
    /// True when an apply would change the recorded state.
    pub fn has_changes(&self) -> bool {
        self.order_changed || self.plugins.iter().any(|plugin| plugin.action != Action::Unchanged)
    }

    /// True when a plugin failed while planning or applying.
    pub fn failed(&self) -> bool {
        self.plugins.iter().any(PlannedPlugin::failed)
    }

    /// The planned plugin with `id`.
    pub fn plugin(&self, id: &str) -> Option<&PlannedPlugin> {
        self.plugins.iter().find(|plugin| plugin.id == id)
    }
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplyReport {
    /// The plan, made under the target's lock, with each hook's actual
    /// outcome (and `destroy`'s report for removed plugins).
    pub plan: Plan,
    /// True when the new state was committed; false when there was nothing to
    /// change or a failure under [`FailurePolicy::Abort`] rolled it back.
    pub committed: bool,
    /// True when a failure under [`FailurePolicy::Abort`] left the state as it was.
    pub aborted: bool,
    /// The target's generation afterwards.
    pub generation: Option<u64>,
    /// When the apply got the target's lock.
    pub locked_at: Timestamp,
    /// When its last write was made, just before it committed (or rolled
    /// back) and released the lock.
    pub finished_at: Timestamp,
}

/// The hooks an apply runs for a wanted plugin, in this order: what it adds
/// to the image, the boot, the job's environment, and its deploy actions.
/// They all take the deployment alone, so every context has their input.
pub const DEPLOY_SIDE_HOOKS: [Hook; 4] =
    [Hook::DockerfileInjection, Hook::BootstrapInjection, Hook::JobRuntimeEnvVars, Hook::Deploy];

/// Compares `desired` with what `store` records for `target`, running the
/// deploy-side hooks of every wanted plugin in the sandbox (under the set's
/// failure policy) to show its contributions. Writes nothing, not even
/// audit records: a plan can run against a store it may only read.
pub fn plan(
    store: &mut dyn StateStore,
    target: &str,
    desired: &DesiredSet,
    context: &RunContext,
) -> Result<Plan, StateError> {
    check_target(target)?;
    let recorded = store.load(target)?;
    let mut run = Run::new(target, desired, context, recorded.as_ref());
    for entry in desired.plugins() {
        run.plan_wanted(entry)?;
    }
    for record in run.removed() {
        run.plan.plugins.push(removal(record));
    }
    Ok(run.plan)
}

/// Applies `desired` to `target`: takes the target's lock, plans against the
/// state recorded under it, runs the deploy-side hooks of every wanted plugin
/// and `destroy` of every removed one (from its recorded bundle bytes and
/// parameters, with the deployment context it was applied with), then
/// records the new state, the outputs and one audit record per invocation in
/// one transaction.
///
/// Under [`FailurePolicy::Abort`] a failure stops the apply and rolls every
/// state write back; the audit records of what ran are still appended.
/// Under [`FailurePolicy::Continue`] a failed plugin is recorded as failed,
/// with the outputs of the hooks that succeeded, and the next plan retries it.
pub fn apply(
    host: &Host,
    store: &mut dyn StateStore,
    target: &str,
    desired: &DesiredSet,
    context: &RunContext,
) -> Result<ApplyReport, StateError> {
    check_target(target)?;
    let mut tx = store.begin_apply(target)?;
    let locked_at = Timestamp::now();
    let recorded = tx.load()?;
    let mut run = Run::new(target, desired, context, recorded.as_ref());
    for (position, entry) in desired.plugins().iter().enumerate() {
        let audit_from = run.audit.len();
        let planned = run.plan_wanted(entry)?;
        if run.aborted {
            continue;
        }
        write_wanted(&mut *tx, position, entry, planned, recorded.as_ref())?;
        tx.append_audit(&run.audit[audit_from..])?;
    }
    let removed: Vec<PluginRecord> = run.removed().into_iter().cloned().collect();
    let recorded_context = recorded
        .as_ref()
        .and_then(|state| serde_json::from_value::<Deployment>(state.context.clone()).ok())
        .map(RunContext::from)
        .unwrap_or_else(|| context.clone());
    // Torn down in reverse execution order, as a stack is.
    for (index, record) in removed.iter().enumerate().rev() {
        let audit_from = run.audit.len();
        let planned = run.destroy(host, &mut *tx, record, &recorded_context)?;
        if run.aborted {
            continue;
        }
        if planned.failed() {
            let failed = PluginRecord {
                status: PluginStatus::Failed(planned.failure().unwrap_or_default()),
                applied_at: Timestamp::now(),
                ..record.clone()
            };
            tx.put_plugin(desired.plugins().len() + index, &failed)?;
        } else {
            tx.remove_plugin(&record.id)?;
        }
        tx.append_audit(&run.audit[audit_from..])?;
    }
    let Run { mut plan, audit, aborted, .. } = run;
    plan.plugins.sort_by_key(|plugin| plugin.action == Action::Remove);
    if aborted {
        let finished_at = Timestamp::now();
        drop(tx);
        store.append_audit(&audit)?;
        let generation = recorded.map(|state| state.generation);
        return Ok(ApplyReport { plan, committed: false, aborted: true, generation, locked_at, finished_at });
    }
    let changed = plan.has_changes();
    let generation = if changed {
        let context_json = serde_json::to_value(&context.deployment).unwrap_or_default();
        Some(tx.finish(&context_json, Timestamp::now())?)
    } else {
        recorded.map(|state| state.generation)
    };
    // Taken before the commit releases the lock: the next apply's
    // `locked_at` is never earlier.
    let finished_at = Timestamp::now();
    tx.commit()?;
    tracing::info!(target: "paddock::state", "applied to `{target}`: generation {generation:?}");
    Ok(ApplyReport { plan, committed: changed, aborted: false, generation, locked_at, finished_at })
}

/// Records one wanted plugin's outcome, writing only what changed.
fn write_wanted(
    tx: &mut dyn ApplyTransaction,
    position: usize,
    entry: &DesiredPlugin,
    planned: PlannedPlugin,
    recorded: Option<&TargetState>,
) -> Result<(), StateError> {
    let recorded_position = recorded.and_then(|state| state.plugins.iter().position(|plugin| plugin.id == entry.id));
    if planned.action == Action::Unchanged {
        if recorded_position != Some(position) {
            tx.set_position(&entry.id, position)?;
        }
        return Ok(());
    }
    let same_bundle = planned.recorded.as_ref().is_some_and(|old| old.bundle_sha256 == entry.identity.bundle_sha256);
    if !same_bundle {
        tx.put_bundle(&entry.identity.bundle_sha256, &entry.bundle)?;
    }
    let outputs = planned
        .hooks
        .iter()
        .filter(|hook| hook.status == "ok")
        .filter_map(|hook| Some(RecordedOutput { hook: hook.hook.clone(), value: hook.after.clone()? }))
        .collect();
    let status = match planned.failure() {
        Some(error) => PluginStatus::Failed(error),
        None => PluginStatus::Applied,
    };
    let record = PluginRecord {
        id: entry.id.clone(),
        identity: entry.identity.clone(),
        status,
        applied_at: Timestamp::now(),
        outputs,
    };
    tx.put_plugin(position, &record)
}

/// A plan or apply in progress.
struct Run<'a> {
    desired: &'a DesiredSet,
    context: &'a RunContext,
    recorded: Option<&'a TargetState>,
    plan: Plan,
    audit: Vec<AuditRecord>,
    /// A failure under [`FailurePolicy::Abort`] happened: nothing more runs.
    aborted: bool,
    hooks: Vec<Hook>,
}

impl<'a> Run<'a> {
    fn new(target: &str, desired: &'a DesiredSet, context: &'a RunContext, recorded: Option<&'a TargetState>) -> Self {
        let wanted: Vec<&str> = desired.plugins().iter().map(|entry| entry.id.as_str()).collect();
        let kept_order: Vec<&str> = recorded
            .map(|state| {
                state.plugins.iter().map(|plugin| plugin.id.as_str()).filter(|id| wanted.contains(id)).collect()
            })
            .unwrap_or_default();
        let recorded_ids: Vec<&str> =
            recorded.map(|state| state.plugins.iter().map(|p| p.id.as_str()).collect()).unwrap_or_default();
        let wanted_order: Vec<&str> = wanted.iter().copied().filter(|id| recorded_ids.contains(id)).collect();
        Run {
            desired,
            context,
            recorded,
            plan: Plan {
                target: target.to_string(),
                generation: recorded.map(|state| state.generation),
                plugins: Vec::new(),
                order_changed: kept_order != wanted_order,
            },
            audit: Vec::new(),
            aborted: false,
            hooks: DEPLOY_SIDE_HOOKS.to_vec(),
        }
    }

    /// The recorded plugins that are no longer wanted, in recorded order.
    fn removed(&self) -> Vec<&'a PluginRecord> {
        let wanted: Vec<&str> = self.desired.plugins().iter().map(|entry| entry.id.as_str()).collect();
        self.recorded
            .map(|state| state.plugins.iter().filter(|plugin| !wanted.contains(&plugin.id.as_str())).collect())
            .unwrap_or_default()
    }

    fn policy(&self) -> FailurePolicy {
        self.desired.failure_policy()
    }

    /// Runs a wanted plugin's deploy-side hooks and classifies it.
    fn plan_wanted(&mut self, entry: &DesiredPlugin) -> Result<PlannedPlugin, StateError> {
        let record = self.recorded.and_then(|state| state.plugin(&entry.id));
        let mut hooks = Vec::with_capacity(self.hooks.len());
        if self.aborted {
            for hook in &self.hooks {
                hooks.push(not_run(*hook, record));
            }
        } else {
            let set = PluginSet::builder(&self.desired.host).add(entry.plugin.clone(), config_of(entry))?.build()?;
            let mut session = set.session();
            let run_hooks = self.hooks.clone();
            for hook in run_hooks {
                if self.aborted {
                    hooks.push(not_run(hook, record));
                    continue;
                }
                tracing::info!(target: "paddock::state", "running {hook} of `{}` for `{}`", entry.id, self.plan.target);
                let call = invoke(
                    &mut session,
                    hook,
                    self.context,
                    &entry.plugin,
                    &entry.id,
                    &entry.parameters,
                    &entry.identity,
                );
                let planned = HookPlan {
                    hook: hook.name().to_string(),
                    status: call.status.clone(),
                    error: call.error.clone(),
                    before: record.and_then(|record| record.output(hook.name()).cloned()),
                    after: call.value.clone(),
                    wit_package: call.wit_package.clone(),
                    duration_us: call.duration_us,
                };
                if call.status == "failed" && self.policy() == FailurePolicy::Abort {
                    self.aborted = true;
                }
                self.audit.push(call.audit(&self.plan.target));
                hooks.push(planned);
            }
        }
        let action = match record {
            None => Action::Add,
            Some(record) if matches!(record.status, PluginStatus::Failed(_)) => Action::Retry,
            Some(record)
                if record.identity.version != entry.identity.version
                    || record.identity.bundle_sha256 != entry.identity.bundle_sha256 =>
            {
                Action::Upgrade
            }
            Some(record) if record.identity.parameters != entry.identity.parameters => Action::Reconfigure,
            Some(_) if hooks.iter().any(HookPlan::changed) => Action::Refresh,
            Some(_) if hooks.iter().any(|hook| hook.status == "failed") => Action::Retry,
            Some(_) => Action::Unchanged,
        };
        let planned = PlannedPlugin {
            id: entry.id.clone(),
            action,
            recorded: record.map(|record| record.identity.clone()),
            desired: Some(entry.identity.clone()),
            hooks,
            error: None,
        };
        self.plan.plugins.push(planned.clone());
        Ok(planned)
    }

    /// Runs a removed plugin's `destroy` from its recorded bundle.
    fn destroy(
        &mut self,
        host: &Host,
        tx: &mut dyn ApplyTransaction,
        record: &PluginRecord,
        context: &RunContext,
    ) -> Result<PlannedPlugin, StateError> {
        let mut planned = removal(record);
        if self.aborted {
            planned.hooks.push(not_run(Hook::Destroy, None));
            self.plan.plugins.push(planned.clone());
            return Ok(planned);
        }
        match recorded_plugin(host, tx, record) {
            Err(error) => planned.error = Some(error),
            Ok((plugin, parameters)) => {
                let plugin = std::sync::Arc::new(plugin);
                let set = PluginSet::builder(host)
                    .add(plugin.clone(), PluginConfig { id: Some(record.id.clone()), parameters: parameters.clone() })?
                    .build()?;
                tracing::info!(target: "paddock::state", "running destroy of `{}` for `{}`", record.id, self.plan.target);
                let call = invoke(
                    &mut set.session(),
                    Hook::Destroy,
                    context,
                    &plugin,
                    &record.id,
                    &parameters,
                    &record.identity,
                );
                planned.hooks.push(HookPlan {
                    hook: Hook::Destroy.name().to_string(),
                    status: call.status.clone(),
                    error: call.error.clone(),
                    before: None,
                    after: call.value.clone(),
                    wit_package: call.wit_package.clone(),
                    duration_us: call.duration_us,
                });
                self.audit.push(call.audit(&self.plan.target));
            }
        }
        if planned.failed() && self.policy() == FailurePolicy::Abort {
            self.aborted = true;
        }
        self.plan.plugins.push(planned.clone());
        Ok(planned)
    }
}

/// A recorded plugin the desired set no longer holds: each of its recorded
/// outputs goes.
fn removal(record: &PluginRecord) -> PlannedPlugin {
    PlannedPlugin {
        id: record.id.clone(),
        action: Action::Remove,
        recorded: Some(record.identity.clone()),
        desired: None,
        hooks: record
            .outputs
            .iter()
            .map(|output| HookPlan {
                hook: output.hook.clone(),
                status: "removed".into(),
                error: None,
                before: Some(output.value.clone()),
                after: None,
                wit_package: None,
                duration_us: 0,
            })
            .collect(),
        error: None,
    }
}

/// A removed plugin, loaded again from the bundle bytes and parameters in
/// the store, or why it cannot be.
fn recorded_plugin(
    host: &Host,
    tx: &mut dyn ApplyTransaction,
    record: &PluginRecord,
) -> Result<(Plugin, Parameters), String> {
    let sha256 = &record.identity.bundle_sha256;
    let bytes = tx
        .bundle(sha256)
        .map_err(|error| error.to_string())?
        .ok_or_else(|| format!("its bundle (sha256 {sha256}) is not in the state store"))?;
    let source = format!("the state store (bundle sha256 {sha256})");
    let bundle = Bundle::from_bytes(&bytes, host.bundle_limits()).map_err(|problem| format!("{source}: {problem}"))?;
    let plugin = host.load_bundle(bundle, &source).map_err(|error| error.to_string())?;
    let parameters: Parameters = serde_json::from_value(record.identity.parameters.clone())
        .map_err(|error| format!("its recorded parameters cannot be read: {error}"))?;
    Ok((plugin, parameters))
}

fn not_run(hook: Hook, record: Option<&PluginRecord>) -> HookPlan {
    HookPlan {
        hook: hook.name().to_string(),
        status: "not-run".into(),
        error: None,
        before: record.and_then(|record| record.output(hook.name()).cloned()),
        after: None,
        wit_package: None,
        duration_us: 0,
    }
}

/// One hook call on one plugin, with what the audit trail keeps of it.
struct Call {
    time: Timestamp,
    hook: Hook,
    plugin: String,
    plugin_id: String,
    version: String,
    bundle_sha256: String,
    wit_package: Option<String>,
    duration_us: u64,
    status: String,
    error: Option<String>,
    value: Option<serde_json::Value>,
    input_sha256: String,
}

impl Call {
    fn audit(&self, target: &str) -> AuditRecord {
        AuditRecord {
            time: self.time,
            target: target.to_string(),
            operation: "apply".into(),
            plugin: self.plugin.clone(),
            plugin_id: self.plugin_id.clone(),
            version: self.version.clone(),
            bundle_sha256: self.bundle_sha256.clone(),
            wit_package: self.wit_package.clone(),
            hook: self.hook.name().to_string(),
            duration_us: self.duration_us,
            status: self.status.clone(),
            error: self.error.clone(),
            input_sha256: self.input_sha256.clone(),
            output: self.value.as_ref().map(AuditOutput::of),
        }
    }
}

/// Calls `hook` on the one plugin of `session` and reads its outcome back
/// from the hook's own JSON form, so that any hook is recorded the same way.
fn invoke(
    session: &mut crate::Session<'_>,
    hook: Hook,
    context: &RunContext,
    plugin: &Plugin,
    id: &str,
    parameters: &Parameters,
    identity: &PluginIdentity,
) -> Call {
    let inputs = input_digest(hook, id, parameters, context);
    let time = Timestamp::now();
    let started = Instant::now();
    let run = session.run(hook, context);
    let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let (record, missing) = match run {
        Ok(run) => {
            (run.json().ok().and_then(|json| json.as_array().and_then(|records| records.first().cloned())), None)
        }
        Err(missing) => (None, Some(missing.to_string())),
    };
    let field = |name: &str| record.as_ref().and_then(|record| record.get(name)).cloned();
    let status =
        field("status").and_then(|status| status.as_str().map(str::to_string)).unwrap_or_else(|| "failed".into());
    let error = field("error").and_then(|error| error.as_str().map(str::to_string)).or(missing);
    let error =
        if status == "failed" && error.is_none() { Some("the outcome could not be read".into()) } else { error };
    Call {
        time,
        hook,
        plugin: plugin.name().to_string(),
        plugin_id: id.to_string(),
        version: plugin.version().to_string(),
        bundle_sha256: identity.bundle_sha256.clone(),
        wit_package: hook_package(plugin, hook),
        duration_us,
        value: if status == "ok" { Some(field("value").unwrap_or(serde_json::Value::Null)) } else { None },
        status,
        error,
        input_sha256: inputs,
    }
}

/// The sha256 of a call's inputs (hook, plugin id, parameters, deployment) as JSON.
pub(super) fn input_digest(hook: Hook, id: &str, parameters: &Parameters, context: &RunContext) -> String {
    let inputs = serde_json::json!({
        "hook": hook.name(),
        "plugin_id": id,
        "parameters": parameters,
        "deployment": context.deployment,
    });
    sha256_hex(inputs.to_string().as_bytes())
}
