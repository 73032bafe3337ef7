//! Racetrack's job-type example: a `python3` job type whose image is a
//! base Dockerfile plus a Jinja template for the job's own Dockerfile, both
//! shipped under `files/python3/`. The host checks the files exist and
//! renders the template for a job's manifest.

use paddock_guest::common::{HookResult, PluginContext};
use paddock_guest::export_hooks;
use paddock_guest::racetrack::{self, job_types::JobImage, job_types::JobType};

struct Python3JobType;

impl racetrack::job_types::Guest for Python3JobType {
    fn job_types(_plugin: PluginContext) -> HookResult<Vec<JobType>> {
        Ok(vec![JobType {
            name: "python3".into(),
            version: "2.4.0".into(),
            images: vec![JobImage {
                base_dockerfile: "python3/base.Dockerfile".into(),
                dockerfile_template: "python3/job-template.Dockerfile".into(),
            }],
        }])
    }
}

impl racetrack::markdown_docs::Guest for Python3JobType {
    fn markdown_docs(_plugin: PluginContext) -> HookResult<Option<String>> {
        Ok(Some(
            "# python3 job type\n\nRuns a Python 3.11 job: `requirements.txt` is installed, \
             `entrypoint_path` is the module to serve.\n"
                .into(),
        ))
    }
}

export_hooks!(Python3JobType: racetrack::job_types, racetrack::markdown_docs);
