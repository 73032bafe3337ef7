//! Orbit's hello-world plugin, as a sandboxed Paddock plugin.

use paddock_guest::{ActionReport, HookContext, HookResult, Plugin, export_plugin, log, shell};

struct HelloWorld;

impl Plugin for HelloWorld {
    fn deploy(ctx: &HookContext) -> HookResult<ActionReport> {
        log::debug("Running hello_world deploy!");
        let team = &ctx.deployment.team;
        Ok(ActionReport::new(format!("Team name: {team} | Plugin ID: {}", ctx.plugin_id))
            .detail("stack", format!("orbit-{}-{team}-hello", ctx.deployment.environment)))
    }

    fn destroy(ctx: &HookContext) -> HookResult<ActionReport> {
        let team = &ctx.deployment.team;
        Ok(ActionReport::new(format!("Destroying hello stack for team {team}"))
            .detail("stack", format!("orbit-{}-{team}-hello", ctx.deployment.environment)))
    }

    fn dockerfile_injection(ctx: &HookContext) -> HookResult<Vec<String>> {
        log::debug(&format!(
            "Team Env: {} | Team: {} | Image: {}",
            ctx.deployment.environment, ctx.deployment.team, ctx.deployment.image_name
        ));
        // Shell form, because the redirect needs a shell: the exec form would only move the greeting into
        // an `sh -c` argument. BuildKit hands the rest of a RUN line to `/bin/sh -c` as written, and the host
        // refuses line breaks, continuations and heredocs, so quoting the greeting for sh keeps it one word.
        let greeting = shell::quote(ctx.text("greeting").unwrap_or("Hello World!"));
        Ok(vec![format!("RUN echo {greeting} > /home/jovyan/hello-world-plugin.txt")])
    }

    fn bootstrap_injection(ctx: &HookContext) -> HookResult<Option<String>> {
        log::debug(&format!("Injecting hello-world commands for team {} bootstrap", ctx.deployment.team));
        Ok(Some(
            "#!/usr/bin/env bash\nset -ex\n\necho 'Hello World 2!' > /home/jovyan/hello-world-plugin-2.txt\n"
                .to_string(),
        ))
    }

    fn job_runtime_env_vars(ctx: &HookContext) -> HookResult<Vec<(String, String)>> {
        Ok(vec![
            ("HELLO_WORLD_GREETING".to_string(), ctx.text("greeting").unwrap_or("Hello World!").to_string()),
            ("LOG_LEVEL".to_string(), "debug".to_string()),
        ])
    }
}

export_plugin!(HelloWorld);
