//! AWS Orbit Workbench's hooks (seed 001): what a team's plugins add to its
//! image and boot, and what they do when the team is deployed and
//! destroyed. WIT: `paddock:orbit` (`wit/v0.2/deps/orbit.wit`), and
//! `paddock:plugin/hooks@0.1.0` where 0.1.0 already had the hook.

use crate::hooks::{MergeError, MergeInputs, MergedView, PLUGIN_0_1_HOOKS, declare_hook, no_merge};
use crate::merge;
use crate::outcome::Outcome;
use crate::types::{ActionReport, Deployment};
use crate::validate::{OutputProblem, OutputRules};

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
        check: |rules, lines: Vec<String>| rules.check_dockerfile_lines(&lines).map(|()| lines),
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
        check: |rules, script: Option<String>| match script {
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
}

declare_hook! {
    /// `deploy`: actions when a team is deployed (Orbit `deploy`).
    Deploy {
        name: "deploy",
        input: Deployment,
        output: ActionReport,
        exports: [
            v0_2("paddock:orbit/deploy@0.2.0", crate::bindings::v0_2::paddock::common::types::ActionReport),
            v0_1(PLUGIN_0_1_HOOKS, crate::bindings::v0_1::paddock::plugin::types::ActionReport),
        ],
        check: check_report,
        describe: describe_report,
        merge: no_merge,
    }
}

declare_hook! {
    /// `destroy`: actions when a team is destroyed (Orbit `destroy`).
    Destroy {
        name: "destroy",
        input: Deployment,
        output: ActionReport,
        exports: [
            v0_2("paddock:orbit/destroy@0.2.0", crate::bindings::v0_2::paddock::common::types::ActionReport),
            v0_1(PLUGIN_0_1_HOOKS, crate::bindings::v0_1::paddock::plugin::types::ActionReport),
        ],
        check: check_report,
        describe: describe_report,
        merge: no_merge,
    }
}

fn check_report(rules: &OutputRules, report: ActionReport) -> Result<ActionReport, OutputProblem> {
    rules.check_report(&report).map(|()| report)
}

fn describe_report(report: &ActionReport) -> Vec<String> {
    std::iter::once(report.summary.clone())
        .chain(report.details.iter().map(|(key, value)| format!("  {key}: {value}")))
        .collect()
}
