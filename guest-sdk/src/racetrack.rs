//! Racetrack's hooks (`paddock:racetrack@0.2.0`, seed 000): implement a
//! module's `Guest` trait for your plugin type and name the module in
//! [`crate::export_hooks!`].

use crate::common::hook_bindings;

pub use crate::common::__bindings::paddock::racetrack::jobs::{JobDeleted, JobDeployed, JobManifest, JobRecord};

hook_bindings! {
    /// `job-runtime-env-vars`: environment variables for the job's runtime.
    job_runtime_env_vars in racetrack,
    "package paddock:guest-racetrack-job-runtime-env-vars; world racetrack-job-runtime-env-vars { import paddock:common/logging@0.2.0; export paddock:racetrack/job-runtime-env-vars@0.2.0; }"
}

hook_bindings! {
    /// `post-job-deploy`: supplementary actions after a job is deployed.
    post_job_deploy in racetrack,
    "package paddock:guest-racetrack-post-job-deploy; world racetrack-post-job-deploy { import paddock:common/logging@0.2.0; export paddock:racetrack/post-job-deploy@0.2.0; }",
    uses ["paddock:racetrack/jobs@0.2.0": crate::common::__bindings::paddock::racetrack::jobs]
}

hook_bindings! {
    /// `post-job-delete`: supplementary actions after a job is deleted.
    post_job_delete in racetrack,
    "package paddock:guest-racetrack-post-job-delete; world racetrack-post-job-delete { import paddock:common/logging@0.2.0; export paddock:racetrack/post-job-delete@0.2.0; }",
    uses ["paddock:racetrack/jobs@0.2.0": crate::common::__bindings::paddock::racetrack::jobs]
}

hook_bindings! {
    /// `markdown-docs`: the plugin's documentation in Markdown.
    markdown_docs in racetrack,
    "package paddock:guest-racetrack-markdown-docs; world racetrack-markdown-docs { import paddock:common/logging@0.2.0; export paddock:racetrack/markdown-docs@0.2.0; }"
}

hook_bindings! {
    /// `job-types`: job types with their base Dockerfile and template, shipped under `files/`.
    job_types in racetrack,
    "package paddock:guest-racetrack-job-types; world racetrack-job-types { import paddock:common/logging@0.2.0; export paddock:racetrack/job-types@0.2.0; }"
}

hook_bindings! {
    /// An infrastructure target: `infrastructure-targets`, `deploy-job`, `delete-job`, `job-status` and `job-logs`.
    infrastructure_target in racetrack,
    "package paddock:guest-racetrack-infrastructure-target; world racetrack-infrastructure-target { import paddock:common/logging@0.2.0; export paddock:racetrack/infrastructure-target@0.2.0; }",
    uses ["paddock:common/resources@0.2.0": crate::common::__bindings::paddock::common::resources, "paddock:racetrack/jobs@0.2.0": crate::common::__bindings::paddock::racetrack::jobs]
}
