//! Racetrack-style `job_runtime_env_vars`: variables describing the job,
//! plus whatever the operator configured under the `extra` parameter.

use paddock_guest::{HookContext, HookError, HookResult, Plugin, export_plugin};

struct RuntimeEnv;

impl Plugin for RuntimeEnv {
    fn job_runtime_env_vars(ctx: &HookContext) -> HookResult<Vec<(String, String)>> {
        let d = &ctx.deployment;
        let mut vars = vec![
            ("RACETRACK_JOB_NAME".to_string(), d.job_name.clone()),
            ("RACETRACK_JOB_VERSION".to_string(), d.job_version.clone()),
            ("RACETRACK_TEAM".to_string(), d.team.clone()),
            ("LOG_LEVEL".to_string(), ctx.text("log_level").unwrap_or("info").to_string()),
        ];
        if let Some(deployer) = &d.deployer {
            vars.push(("RACETRACK_DEPLOYER".to_string(), deployer.clone()));
        }
        // `extra: ["NAME=value", ...]` lets operators add variables without a new plugin.
        for entry in ctx.text_list("extra").unwrap_or_default() {
            let (name, value) = entry.split_once('=').ok_or_else(|| {
                HookError::failed(format!("parameter `extra` item `{entry}` must look like NAME=value"))
            })?;
            vars.push((name.to_string(), value.to_string()));
        }
        Ok(vars)
    }
}

export_plugin!(RuntimeEnv);
