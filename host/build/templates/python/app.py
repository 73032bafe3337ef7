"""{{name}}: a Paddock plugin. Implement the hooks you need; the others are
reported as skipped. See guest-sdk/python/README.md in the Paddock checkout."""

from paddock_guest import Context, Plugin, log


class Hooks(Plugin):
    def job_runtime_env_vars(self, ctx: Context) -> list[tuple[str, str]]:
        log.info(f"adding vars for {ctx.deployment.job_name}")
        level = ctx.text("log_level", "info")
        return [("LOG_LEVEL", level), ("JOB_NAME", ctx.deployment.job_name)]

    def dockerfile_injection(self, ctx: Context) -> list[str]:
        return [f'LABEL org.example.plugin="{ctx.plugin_id}"']
