"""polyglot-python: the polyglot sample plugin in Python (twins: polyglot-rust, polyglot-js).

Racetrack-style runtime variables, Dockerfile and bootstrap injection built
from the deployment context and parameters; `deploy` is not implemented;
`destroy` reports what it would remove, fails when `fail_destroy` is true and
never returns when `loop_destroy` is true (to exercise the host's time limit).
"""

from typing import Optional

from paddock_guest import ActionReport, Context, HookFailed, Plugin, log, report


class Hooks(Plugin):
    def job_runtime_env_vars(self, ctx: Context) -> list[tuple[str, str]]:
        d = ctx.deployment
        variables = [
            ("RACETRACK_JOB_NAME", d.job_name),
            ("RACETRACK_JOB_VERSION", d.job_version),
            ("RACETRACK_TEAM", d.team),
            ("RACETRACK_ENVIRONMENT", d.environment),
        ]
        if d.deployer is not None:
            variables.append(("RACETRACK_DEPLOYER", d.deployer))
        variables.append(("LOG_LEVEL", ctx.text("log_level", "info")))
        variables.append(("REPLICAS", str(ctx.integer("replicas", 1))))
        variables.append(("DEBUG", "true" if ctx.boolean("debug", False) else "false"))
        log.info(f"setting {len(variables)} variables for {d.job_name}")
        return variables

    def dockerfile_injection(self, ctx: Context) -> list[str]:
        d = ctx.deployment
        lines = [
            f'LABEL org.opencontainers.image.title="{d.job_name}" org.opencontainers.image.version="{d.job_version}"',
            f"ENV RACETRACK_TEAM={d.team}",
        ]
        packages = ctx.text_list("apt_packages", [])
        if packages:
            lines.append(
                "RUN apt-get update && apt-get install -y --no-install-recommends "
                + " ".join(packages)
                + " && rm -rf /var/lib/apt/lists/*"
            )
        workdir = ctx.text("workdir")
        if workdir is not None:
            lines.append(f"WORKDIR {workdir}")
        return lines

    def bootstrap_injection(self, ctx: Context) -> Optional[str]:
        commands = ctx.text_list("bootstrap_commands", [])
        debug = ctx.boolean("debug", False)
        if not commands and not debug:
            return None
        d = ctx.deployment
        lines = ["#!/usr/bin/env sh", "set -eu"]
        if debug:
            lines.append("set -x")
        lines.append(
            f'echo "{ctx.plugin_id}: bootstrapping {d.job_name} {d.job_version} for team {d.team} in {d.environment}"'
        )
        lines.extend(commands)
        return "\n".join(lines) + "\n"

    def destroy(self, ctx: Context) -> ActionReport:
        d = ctx.deployment
        if ctx.boolean("loop_destroy", False):
            log.warn("loop_destroy is true: never returning")
            while True:
                pass
        if ctx.boolean("fail_destroy", False):
            raise HookFailed(f"refusing to destroy {d.job_name}@{d.job_version}: parameter `fail_destroy` is true")
        return report(
            f"would destroy {d.job_name}@{d.job_version} for team {d.team} in {d.environment}",
            [
                ("plugin_id", ctx.plugin_id),
                ("image", d.image_name),
                ("deployer", d.deployer if d.deployer is not None else "(unknown)"),
                ("replicas", str(ctx.integer("replicas", 1))),
            ],
        )
