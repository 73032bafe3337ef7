//! Orbit's `custom_cfn` example: before the team is deployed, a
//! CloudFormation stack from the template the plugin ships
//! (`files/cfn/template.yaml`); after the team is destroyed, the same stack
//! to remove. The embedder runs `aws cloudformation` with what it returns.

use paddock_guest::common::{CloudformationStack, Deployment, DesiredResource, HookResult, PluginContext};
use paddock_guest::export_hooks;
use paddock_guest::orbit::{self, ResourcePlan};

struct CustomCfn;

fn stack(plugin: &PluginContext, deployment: &Deployment) -> CloudformationStack {
    CloudformationStack {
        stack_name: format!("orbit-{}-{}-{}", deployment.environment, deployment.team, plugin.plugin_id),
        template_path: "cfn/template.yaml".into(),
        parameters: vec![
            ("TeamName".into(), deployment.team.clone()),
            ("BucketPrefix".into(), plugin.text("bucket_prefix").unwrap_or("orbit").to_string()),
        ],
    }
}

impl orbit::pre_hook::Guest for CustomCfn {
    fn pre_hook(plugin: PluginContext, deployment: Deployment) -> HookResult<ResourcePlan> {
        let stack = stack(&plugin, &deployment);
        Ok(ResourcePlan::new(format!("create stack {}", stack.stack_name))
            .resource(DesiredResource::Cloudformation(stack)))
    }
}

impl orbit::post_hook::Guest for CustomCfn {
    fn post_hook(plugin: PluginContext, deployment: Deployment) -> HookResult<ResourcePlan> {
        let stack = stack(&plugin, &deployment);
        Ok(ResourcePlan::new(format!("delete stack {}", stack.stack_name))
            .resource(DesiredResource::Cloudformation(stack)))
    }
}

export_hooks!(CustomCfn: orbit::pre_hook, orbit::post_hook);
