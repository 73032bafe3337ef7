//! AWS Orbit Workbench's hooks (`paddock:orbit@0.2.0`, seed 001): implement
//! a module's `Guest` trait for your plugin type and name the module in
//! [`crate::export_hooks!`]. `deploy`, `destroy`, `pre_hook` and
//! `post_hook` return a [`ResourcePlan`]: a report and the resources the
//! embedder creates or removes (a Helm release of a chart in your bundle's
//! `files/`, a CloudFormation stack, Kubernetes manifests).

use crate::common::hook_bindings;

pub use crate::common::__bindings::paddock::orbit::plan::ResourcePlan;

impl ResourcePlan {
    /// A plan with a summary, no details and no resources.
    pub fn new(summary: impl Into<String>) -> ResourcePlan {
        ResourcePlan { summary: summary.into(), details: Vec::new(), resources: Vec::new() }
    }

    /// Adds a detail.
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<String>) -> ResourcePlan {
        self.details.push((key.into(), value.into()));
        self
    }

    /// Adds a resource.
    pub fn resource(mut self, resource: crate::common::DesiredResource) -> ResourcePlan {
        self.resources.push(resource);
        self
    }
}

hook_bindings! {
    /// `dockerfile-injection`: Dockerfile instructions for the team's image.
    dockerfile_injection in orbit,
    "package paddock:guest-orbit-dockerfile-injection; world orbit-dockerfile-injection { import paddock:common/logging@0.2.0; export paddock:orbit/dockerfile-injection@0.2.0; }"
}

hook_bindings! {
    /// `bootstrap-injection`: a shell script run when the team's deployment boots.
    bootstrap_injection in orbit,
    "package paddock:guest-orbit-bootstrap-injection; world orbit-bootstrap-injection { import paddock:common/logging@0.2.0; export paddock:orbit/bootstrap-injection@0.2.0; }"
}

hook_bindings! {
    /// `deploy`: supplementary actions when the team is deployed.
    deploy in orbit,
    "package paddock:guest-orbit-deploy; world orbit-deploy { import paddock:common/logging@0.2.0; export paddock:orbit/deploy@0.2.0; }",
    uses ["paddock:common/resources@0.2.0": crate::common::__bindings::paddock::common::resources, "paddock:orbit/plan@0.2.0": crate::common::__bindings::paddock::orbit::plan]
}

hook_bindings! {
    /// `destroy`: supplementary actions when the team is destroyed.
    destroy in orbit,
    "package paddock:guest-orbit-destroy; world orbit-destroy { import paddock:common/logging@0.2.0; export paddock:orbit/destroy@0.2.0; }",
    uses ["paddock:common/resources@0.2.0": crate::common::__bindings::paddock::common::resources, "paddock:orbit/plan@0.2.0": crate::common::__bindings::paddock::orbit::plan]
}

hook_bindings! {
    /// `pre-hook`: before the team's own resources are deployed.
    pre_hook in orbit,
    "package paddock:guest-orbit-pre-hook; world orbit-pre-hook { import paddock:common/logging@0.2.0; export paddock:orbit/pre-hook@0.2.0; }",
    uses ["paddock:common/resources@0.2.0": crate::common::__bindings::paddock::common::resources, "paddock:orbit/plan@0.2.0": crate::common::__bindings::paddock::orbit::plan]
}

hook_bindings! {
    /// `post-hook`: after the team's own resources are destroyed.
    post_hook in orbit,
    "package paddock:guest-orbit-post-hook; world orbit-post-hook { import paddock:common/logging@0.2.0; export paddock:orbit/post-hook@0.2.0; }",
    uses ["paddock:common/resources@0.2.0": crate::common::__bindings::paddock::common::resources, "paddock:orbit/plan@0.2.0": crate::common::__bindings::paddock::orbit::plan]
}
