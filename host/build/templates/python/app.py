"""{{name}}: a Paddock plugin, built against the 0.2 packages by tool. It
implements the hooks its manifest's `hooks:` lists, one class each named after
the hook; the host skips every other hook. To add one, define its class and
list it in `hooks:`. See guest-sdk/python/README.md in the Paddock checkout."""

from paddock_guest import Deployment, Hook, PluginContext, log


class JobRuntimeEnvVars(Hook):
    def job_runtime_env_vars(self, plugin: PluginContext, deployment: Deployment) -> list[tuple[str, str]]:
        log.info(f"adding vars for {deployment.job_name}")
        level = plugin.text("log_level", "info")
        return [("LOG_LEVEL", level), ("JOB_NAME", deployment.job_name)]


class DockerfileInjection(Hook):
    def dockerfile_injection(self, plugin: PluginContext, deployment: Deployment) -> list[str]:
        return [f'LABEL org.example.plugin="{plugin.plugin_id}"']
