//! Orbit's `ray` example: deploy installs the ray Helm chart the plugin
//! ships (`files/ray/`) as `<team>-<plugin-id>` in the team's namespace;
//! destroy uninstalls that release. The embedder runs `helm` with it.
//! Parameters: `image`, `workers`, and `chart` (the chart's directory under
//! `files/`, default `ray`).

use paddock_guest::common::{Deployment, DesiredResource, HelmRelease, HookResult, PluginContext};
use paddock_guest::export_hooks;
use paddock_guest::orbit::{self, ResourcePlan};

struct Ray;

fn release(plugin: &PluginContext, deployment: &Deployment) -> HelmRelease {
    let workers = plugin.integer("workers").unwrap_or(2);
    HelmRelease {
        release_name: format!("{}-{}", deployment.team, plugin.plugin_id),
        namespace: deployment.team.clone(),
        chart_dir: plugin.text("chart").unwrap_or("ray").into(),
        values_yaml: format!("image: {}\nworkers: {workers}\n", plugin.text("image").unwrap_or("rayproject/ray:2.9.0")),
    }
}

impl orbit::deploy::Guest for Ray {
    fn deploy(plugin: PluginContext, deployment: Deployment) -> HookResult<ResourcePlan> {
        let release = release(&plugin, &deployment);
        Ok(ResourcePlan::new(format!("install ray as {}", release.release_name))
            .detail("namespace", release.namespace.clone())
            .resource(DesiredResource::Helm(release)))
    }
}

impl orbit::destroy::Guest for Ray {
    fn destroy(plugin: PluginContext, deployment: Deployment) -> HookResult<ResourcePlan> {
        let release = release(&plugin, &deployment);
        Ok(ResourcePlan::new(format!("uninstall {}", release.release_name)).resource(DesiredResource::Helm(release)))
    }
}

export_hooks!(Ray: orbit::deploy, orbit::destroy);
