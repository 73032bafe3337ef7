"""job-notifier-python: Racetrack's notifier example in Python (twin: job-notifier in Rust).

After a job is deployed or deleted, it reports the message it would post
(the sandbox has no network; the embedder delivers it). `channel` names
where it would go. Built against the 0.2 packages: the manifest declares
`hooks: [post-job-deploy, post-job-delete, markdown-docs]`.
"""

from typing import Optional

from paddock_guest import ActionReport, Hook, JobDeleted, JobDeployed, PluginContext, log, report


def channel(plugin: PluginContext) -> str:
    return plugin.text("channel", "#racetrack")


def who(user: Optional[str]) -> str:
    return "someone" if user is None else user


class PostJobDeploy(Hook):
    def post_job_deploy(self, plugin: PluginContext, event: JobDeployed) -> ActionReport:
        job = event.job
        message = f"{who(event.deployer)} deployed {job.name} {job.version} ({event.image_name})"
        log.info(message)
        return report(
            f"would notify {channel(plugin)}: {message}",
            [
                ("job", job.name),
                ("version", job.version),
                ("owner", event.manifest.owner_email),
                ("target", job.infrastructure_target or ""),
            ],
        )


class PostJobDelete(Hook):
    def post_job_delete(self, plugin: PluginContext, event: JobDeleted) -> ActionReport:
        job = event.job
        return report(
            f"would notify {channel(plugin)}: {who(event.deleted_by)} deleted {job.name} {job.version}",
            [("job", job.name)],
        )


class MarkdownDocs(Hook):
    def markdown_docs(self, plugin: PluginContext) -> Optional[str]:
        return (
            f"# job-notifier\n\nPosts to `{channel(plugin)}` when a job is deployed or deleted.\n\n"
            "Parameters:\n\n- `channel`: where to post (default `#racetrack`).\n"
        )
