"""team-labels-python: the team-labels sample in Python (twins: team-labels in Rust, team-labels-js).

Built against the 0.2 packages by tool: the manifest declares
`hooks: [dockerfile-injection, job-runtime-env-vars]`, so the component
exports those two interfaces only and the host skips its other hooks
without instantiating it.
"""

from paddock_guest import Deployment, Hook, HookFailed, PluginContext, log, shell_quote


def owner(plugin: PluginContext, deployment: Deployment) -> str:
    """`owner` defaults to the team; a parameter lets an operator name a cost centre instead."""
    name = plugin.text("owner", deployment.team)
    if not name:
        raise HookFailed("no team in the deployment and no `owner` parameter: set one of them")
    return name


class DockerfileInjection(Hook):
    def dockerfile_injection(self, plugin: PluginContext, deployment: Deployment) -> list[str]:
        name = owner(plugin, deployment)
        log.info(f"labelling the image of {name}")
        return [
            f"LABEL org.opencontainers.image.vendor={shell_quote(name)}",
            f"LABEL paddock.environment={shell_quote(deployment.environment)}",
        ]


class JobRuntimeEnvVars(Hook):
    def job_runtime_env_vars(self, plugin: PluginContext, deployment: Deployment) -> list[tuple[str, str]]:
        return [
            ("TEAM_OWNER", owner(plugin, deployment)),
            ("TEAM_ENVIRONMENT", deployment.environment),
        ]
