//! Built against the 0.2 packages by tool: implements Orbit's
//! `dockerfile-injection` and Racetrack's `job-runtime-env-vars` and
//! exports nothing else, so the host skips its other hooks without
//! instantiating it.

use paddock_guest::common::{Deployment, HookError, HookResult, PluginContext, log};
use paddock_guest::{export_hooks, orbit, racetrack, shell};

struct TeamLabels;

/// `owner` defaults to the team; a parameter lets an operator name a cost centre instead.
fn owner(plugin: &PluginContext, deployment: &Deployment) -> HookResult<String> {
    let owner = plugin.text("owner").unwrap_or(&deployment.team);
    if owner.is_empty() {
        return Err(HookError::failed("no team in the deployment and no `owner` parameter: set one of them"));
    }
    Ok(owner.to_string())
}

impl orbit::dockerfile_injection::Guest for TeamLabels {
    fn dockerfile_injection(plugin: PluginContext, deployment: Deployment) -> HookResult<Vec<String>> {
        let owner = owner(&plugin, &deployment)?;
        log::info(&format!("labelling the image of {owner}"));
        Ok(vec![
            format!("LABEL org.opencontainers.image.vendor={}", shell::quote(&owner)),
            format!("LABEL paddock.environment={}", shell::quote(&deployment.environment)),
        ])
    }
}

impl racetrack::job_runtime_env_vars::Guest for TeamLabels {
    fn job_runtime_env_vars(plugin: PluginContext, deployment: Deployment) -> HookResult<Vec<(String, String)>> {
        Ok(vec![
            ("TEAM_OWNER".to_string(), owner(&plugin, &deployment)?),
            ("TEAM_ENVIRONMENT".to_string(), deployment.environment),
        ])
    }
}

export_hooks!(TeamLabels: orbit::dockerfile_injection, racetrack::job_runtime_env_vars);
