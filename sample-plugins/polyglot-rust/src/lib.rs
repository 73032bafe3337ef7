//! polyglot-rust: the polyglot sample plugin in Rust (twins: polyglot-python,
//! polyglot-js).
//!
//! Racetrack-style runtime variables, Dockerfile and bootstrap injection built
//! from the deployment context and parameters; `deploy` is not implemented;
//! `destroy` reports what it would remove, fails when `fail_destroy` is true
//! and never returns when `loop_destroy` is true (to exercise the host's time
//! limit).

use paddock_guest::{ActionReport, HookContext, HookError, HookResult, Plugin, export_plugin, log};

struct Polyglot;

impl Plugin for Polyglot {
    fn job_runtime_env_vars(ctx: &HookContext) -> HookResult<Vec<(String, String)>> {
        let d = &ctx.deployment;
        let mut variables = vec![
            ("RACETRACK_JOB_NAME".to_string(), d.job_name.clone()),
            ("RACETRACK_JOB_VERSION".to_string(), d.job_version.clone()),
            ("RACETRACK_TEAM".to_string(), d.team.clone()),
            ("RACETRACK_ENVIRONMENT".to_string(), d.environment.clone()),
        ];
        if let Some(deployer) = &d.deployer {
            variables.push(("RACETRACK_DEPLOYER".to_string(), deployer.clone()));
        }
        variables.push(("LOG_LEVEL".to_string(), ctx.text("log_level").unwrap_or("info").to_string()));
        variables.push(("REPLICAS".to_string(), ctx.integer("replicas").unwrap_or(1).to_string()));
        variables.push(("DEBUG".to_string(), ctx.boolean("debug").unwrap_or(false).to_string()));
        log::info(&format!("setting {} variables for {}", variables.len(), d.job_name));
        Ok(variables)
    }

    fn dockerfile_injection(ctx: &HookContext) -> HookResult<Vec<String>> {
        let d = &ctx.deployment;
        let mut lines = vec![
            format!(
                "LABEL org.opencontainers.image.title=\"{}\" org.opencontainers.image.version=\"{}\"",
                d.job_name, d.job_version
            ),
            format!("ENV RACETRACK_TEAM={}", d.team),
        ];
        let packages = ctx.text_list("apt_packages").unwrap_or_default();
        if !packages.is_empty() {
            lines.push(format!(
                "RUN apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
                packages.join(" ")
            ));
        }
        if let Some(workdir) = ctx.text("workdir") {
            lines.push(format!("WORKDIR {workdir}"));
        }
        Ok(lines)
    }

    fn bootstrap_injection(ctx: &HookContext) -> HookResult<Option<String>> {
        let commands = ctx.text_list("bootstrap_commands").unwrap_or_default();
        let debug = ctx.boolean("debug").unwrap_or(false);
        if commands.is_empty() && !debug {
            return Ok(None);
        }
        let d = &ctx.deployment;
        let mut lines = vec!["#!/usr/bin/env sh".to_string(), "set -eu".to_string()];
        if debug {
            lines.push("set -x".to_string());
        }
        lines.push(format!(
            "echo \"{}: bootstrapping {} {} for team {} in {}\"",
            ctx.plugin_id, d.job_name, d.job_version, d.team, d.environment
        ));
        lines.extend(commands.iter().cloned());
        Ok(Some(lines.join("\n") + "\n"))
    }

    fn destroy(ctx: &HookContext) -> HookResult<ActionReport> {
        let d = &ctx.deployment;
        if ctx.boolean("loop_destroy").unwrap_or(false) {
            log::warn("loop_destroy is true: never returning");
            loop {
                std::hint::black_box(0);
            }
        }
        if ctx.boolean("fail_destroy").unwrap_or(false) {
            return Err(HookError::failed(format!(
                "refusing to destroy {}@{}: parameter `fail_destroy` is true",
                d.job_name, d.job_version
            )));
        }
        Ok(ActionReport::new(format!(
            "would destroy {}@{} for team {} in {}",
            d.job_name, d.job_version, d.team, d.environment
        ))
        .detail("plugin_id", ctx.plugin_id.as_str())
        .detail("image", d.image_name.as_str())
        .detail("deployer", d.deployer.as_deref().unwrap_or("(unknown)"))
        .detail("replicas", ctx.integer("replicas").unwrap_or(1).to_string()))
    }
}

export_plugin!(Polyglot);
