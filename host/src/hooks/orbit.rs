//! AWS Orbit Workbench's hooks (seed 001): what a team's plugins add to its
//! image and boot, and what they do when the team is deployed and
//! destroyed. WIT: `paddock:orbit` (`wit/v0.2/deps/orbit.wit`), and
//! `paddock:plugin/hooks@0.1.0` where 0.1.0 already had the hook.

use wasmtime::component::{ComponentType, Lift, Lower};

use crate::bindings::v0_1::paddock::plugin::types as wit01;
use crate::hooks::wire::CheckContext;
use crate::hooks::{MergeError, MergeInputs, MergedView, PLUGIN_0_1_HOOKS, declare_hook, describe_report, no_merge};
use crate::merge;
use crate::outcome::Outcome;
use crate::resources::WireResource;
use crate::types::{ActionReport, Deployment};
use crate::validate::OutputProblem;

declare_hook! {
    /// `dockerfile-injection`: Dockerfile instructions for the image (Orbit
    /// `dockerfile_injection`).
    DockerfileInjection {
        name: "dockerfile-injection",
        input: Deployment,
        output: Vec<String>,
        exports: [
            v0_2("paddock:orbit/dockerfile-injection@0.2.0", Vec<String>),
            v0_1(PLUGIN_0_1_HOOKS, Vec<String>),
        ],
        check: |ctx, lines: Vec<String>| ctx.rules.check_dockerfile_lines(&lines).map(|()| lines),
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
}

declare_hook! {
    /// `bootstrap-injection`: a boot-time shell script (Orbit
    /// `bootstrap_injection`), kept as `<plugin-id>.sh`.
    BootstrapInjection {
        name: "bootstrap-injection",
        input: Deployment,
        output: Option<String>,
        exports: [
            v0_2("paddock:orbit/bootstrap-injection@0.2.0", Option<String>),
            v0_1(PLUGIN_0_1_HOOKS, Option<String>),
        ],
        check: |ctx, script: Option<String>| match script {
            Some(text) => ctx.rules.check_script(&text).map(|()| Some(text)),
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
}

declare_hook! {
    /// `deploy`: the team's own resources are being deployed (Orbit
    /// `deploy`): a report and the resources to create.
    Deploy {
        name: "deploy",
        input: Deployment,
        output: ActionReport,
        exports: [
            v0_2("paddock:orbit/deploy@0.2.0", WirePlan),
            v0_1(PLUGIN_0_1_HOOKS, wit01::ActionReport),
        ],
        check: check_plan,
        describe: describe_report,
        merge: no_merge,
    }
}

declare_hook! {
    /// `destroy`: the team is being destroyed (Orbit `destroy`): a report
    /// and the resources to remove.
    Destroy {
        name: "destroy",
        input: Deployment,
        output: ActionReport,
        exports: [
            v0_2("paddock:orbit/destroy@0.2.0", WirePlan),
            v0_1(PLUGIN_0_1_HOOKS, wit01::ActionReport),
        ],
        check: check_plan,
        describe: describe_report,
        merge: no_merge,
    }
}

declare_hook! {
    /// `pre-hook`: before the team's own resources are deployed (Orbit's
    /// pre hook; `custom_cfn` creates its CloudFormation stack here).
    PreHook {
        name: "pre-hook",
        input: Deployment,
        output: ActionReport,
        exports: [v0_2("paddock:orbit/pre-hook@0.2.0", WirePlan)],
        check: check_plan,
        describe: describe_report,
        merge: no_merge,
    }
}

declare_hook! {
    /// `post-hook`: after the team's own resources are destroyed (Orbit's
    /// post hook; `custom_cfn` removes its stack here).
    PostHook {
        name: "post-hook",
        input: Deployment,
        output: ActionReport,
        exports: [v0_2("paddock:orbit/post-hook@0.2.0", WirePlan)],
        check: check_plan,
        describe: describe_report,
        merge: no_merge,
    }
}

/// `paddock:orbit/plan.resource-plan`: a report and resources.
#[derive(Debug, Clone, ComponentType, Lift, Lower)]
#[component(record)]
pub(crate) struct WirePlan {
    summary: String,
    details: Vec<(String, String)>,
    resources: Vec<WireResource>,
}

impl From<wit01::ActionReport> for WirePlan {
    fn from(report: wit01::ActionReport) -> WirePlan {
        WirePlan { summary: report.summary, details: report.details, resources: Vec::new() }
    }
}

fn check_plan(ctx: &CheckContext<'_>, plan: WirePlan) -> Result<ActionReport, OutputProblem> {
    let resources = crate::resources::check(&ctx.rules.resources, ctx.files, plan.resources)
        .map_err(|(index, problem)| OutputProblem::Resource { index, problem })?;
    let report = ActionReport { summary: plan.summary, details: plan.details, resources };
    ctx.rules.check_report(&report).map(|()| report)
}
