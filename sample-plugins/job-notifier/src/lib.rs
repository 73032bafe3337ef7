//! Racetrack's notifier example: after a job is deployed or deleted, it
//! reports the message it would post (the sandbox has no network; the
//! embedder delivers it). `channel` names where it would go.

use paddock_guest::common::{ActionReport, HookResult, PluginContext, log};
use paddock_guest::export_hooks;
use paddock_guest::racetrack::{self, JobDeleted, JobDeployed};

struct JobNotifier;

fn channel(plugin: &PluginContext) -> String {
    plugin.text("channel").unwrap_or("#racetrack").to_string()
}

impl racetrack::post_job_deploy::Guest for JobNotifier {
    fn post_job_deploy(plugin: PluginContext, event: JobDeployed) -> HookResult<ActionReport> {
        let who = event.deployer.as_deref().unwrap_or("someone");
        let message = format!("{who} deployed {} {} ({})", event.job.name, event.job.version, event.image_name);
        log::info(&message);
        Ok(ActionReport::new(format!("would notify {}: {message}", channel(&plugin)))
            .detail("job", event.job.name)
            .detail("version", event.job.version)
            .detail("owner", event.manifest.owner_email)
            .detail("target", event.job.infrastructure_target.unwrap_or_default()))
    }
}

impl racetrack::post_job_delete::Guest for JobNotifier {
    fn post_job_delete(plugin: PluginContext, event: JobDeleted) -> HookResult<ActionReport> {
        let who = event.deleted_by.as_deref().unwrap_or("someone");
        Ok(ActionReport::new(format!(
            "would notify {}: {who} deleted {} {}",
            channel(&plugin),
            event.job.name,
            event.job.version
        ))
        .detail("job", event.job.name))
    }
}

impl racetrack::markdown_docs::Guest for JobNotifier {
    fn markdown_docs(plugin: PluginContext) -> HookResult<Option<String>> {
        Ok(Some(format!(
            "# job-notifier\n\nPosts to `{}` when a job is deployed or deleted.\n\n\
             Parameters:\n\n- `channel`: where to post (default `#racetrack`).\n",
            channel(&plugin)
        )))
    }
}

export_hooks!(JobNotifier: racetrack::post_job_deploy, racetrack::post_job_delete, racetrack::markdown_docs);
