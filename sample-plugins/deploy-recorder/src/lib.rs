//! Implements only deploy and destroy, and reports exactly what it was asked
//! to do: a dry-run record an operator can audit.

use paddock_guest::{ActionReport, HookContext, HookResult, ParamValue, Plugin, export_plugin};

struct DeployRecorder;

impl Plugin for DeployRecorder {
    fn deploy(ctx: &HookContext) -> HookResult<ActionReport> {
        Ok(record("deploy", ctx))
    }

    fn destroy(ctx: &HookContext) -> HookResult<ActionReport> {
        Ok(record("destroy", ctx))
    }
}

fn record(action: &str, ctx: &HookContext) -> ActionReport {
    let d = &ctx.deployment;
    let mut report = ActionReport::new(format!(
        "asked to {action} {}@{} for team {} in {}",
        d.job_name, d.job_version, d.team, d.environment
    ))
    .detail("plugin_id", ctx.plugin_id.as_str())
    .detail("image", d.image_name.as_str())
    .detail("deployer", d.deployer.as_deref().unwrap_or("(unknown)"));
    for (name, value) in &ctx.parameters {
        report = report.detail(format!("param.{name}"), show(value));
    }
    report
}

fn show(value: &ParamValue) -> String {
    match value {
        ParamValue::Text(text) => text.clone(),
        ParamValue::Integer(n) => n.to_string(),
        ParamValue::Number(x) => x.to_string(),
        ParamValue::Boolean(b) => b.to_string(),
        ParamValue::TextList(items) => items.join(","),
    }
}

export_plugin!(DeployRecorder);
