//! Racetrack's hooks (seed 000): what plugins add to a job's runtime, what
//! they do after a job is deployed or deleted, their docs, the job types
//! they provide and the infrastructure targets jobs deploy to. WIT:
//! `paddock:racetrack` (`wit/v0.2/deps/racetrack.wit`), and
//! `paddock:plugin/hooks@0.1.0` where 0.1.0 already had the hook. The
//! values here are Paddock's own types and, through their derived
//! `ComponentType`, the WIT's too.

use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};

use crate::bindings::v0_2::paddock::common::types as wit02;
use crate::hooks::wire::CheckContext;
use crate::hooks::{MergeInputs, MergedView, PLUGIN_0_1_HOOKS, declare_hook, describe_report, no_merge};
use crate::merge;
use crate::outcome::Outcome;
use crate::resources::{Resource, WireResource};
use crate::types::{ActionReport, Deployment};
use crate::validate::OutputProblem;

declare_hook! {
    /// `job-runtime-env-vars`: environment variables for the job (Racetrack
    /// `job_runtime_env_vars`), as ordered name/value pairs.
    JobRuntimeEnvVars {
        name: "job-runtime-env-vars",
        input: Deployment,
        output: Vec<(String, String)>,
        exports: [
            v0_2("paddock:racetrack/job-runtime-env-vars@0.2.0", Vec<(String, String)>),
            v0_1(PLUGIN_0_1_HOOKS, Vec<(String, String)>),
        ],
        check: |ctx, vars: Vec<(String, String)>| ctx.rules.check_env_vars(&vars).map(|()| vars),
        describe: |vars: &Vec<(String, String)>| vars.iter().map(|(name, value)| format!("{name}={value}")).collect(),
        merge: |outcomes: &[Outcome<Vec<(String, String)>>], _: &MergeInputs<'_>| {
            let merged = merge::merge_env_vars(outcomes);
            let notes = merged
                .conflicts
                .iter()
                .map(|conflict| {
                    let setters: Vec<String> =
                        conflict.settings.iter().map(|(id, value)| format!("{id}={value}")).collect();
                    format!("conflict: {} set by {}; kept {}'s value", conflict.name, setters.join(", "), conflict.winner)
                })
                .collect();
            Some(Ok(MergedView {
                key: "env",
                title: format!("Merged environment ({} variables)", merged.vars.len()),
                lines: merged.vars.iter().map(|(name, value)| format!("{name}={value}")).collect(),
                notes,
                json: serde_json::to_value(&merged).unwrap_or_default(),
            }))
        },
    }
}

declare_hook! {
    /// `post-job-deploy`: supplementary actions after a job is deployed
    /// (Racetrack `post_job_deploy(manifest, job, image_name, deployer_username)`).
    PostJobDeploy {
        name: "post-job-deploy",
        input: JobDeployed,
        output: ActionReport,
        exports: [v0_2("paddock:racetrack/post-job-deploy@0.2.0", wit02::ActionReport)],
        check: check_report,
        describe: describe_report,
        merge: no_merge,
    }
}

declare_hook! {
    /// `post-job-delete`: supplementary actions after a job is deleted
    /// (Racetrack `post_job_delete(job, username_executor)`).
    PostJobDelete {
        name: "post-job-delete",
        input: JobDeleted,
        output: ActionReport,
        exports: [v0_2("paddock:racetrack/post-job-delete@0.2.0", wit02::ActionReport)],
        check: check_report,
        describe: describe_report,
        merge: no_merge,
    }
}

declare_hook! {
    /// `markdown-docs`: the plugin's documentation in Markdown (Racetrack
    /// `markdown_docs`); show it with [`crate::sanitize::markdown_for_terminal`].
    MarkdownDocs {
        name: "markdown-docs",
        input: (),
        output: Option<String>,
        exports: [v0_2("paddock:racetrack/markdown-docs@0.2.0", Option<String>)],
        check: |ctx, docs: Option<String>| match docs {
            Some(text) => ctx.rules.check_document("the Markdown docs", &text).map(|()| Some(text)),
            None => Ok(None),
        },
        describe: |docs: &Option<String>| match docs {
            Some(text) => text.lines().map(str::to_string).collect(),
            None => vec!["no documentation".to_string()],
        },
        merge: no_merge,
    }
}

declare_hook! {
    /// `job-types`: the job types a plugin provides (Racetrack `job_types`),
    /// each image's base Dockerfile and Dockerfile template shipped in its
    /// bundle; render one with [`crate::jobtypes::render`].
    JobTypes {
        name: "job-types",
        input: (),
        output: Vec<JobType>,
        exports: [v0_2("paddock:racetrack/job-types@0.2.0", Vec<JobType>)],
        check: check_job_types,
        describe: |types: &Vec<JobType>| {
            types.iter().map(|job_type| format!("{} ({} images)", job_type.full_name(), job_type.images.len())).collect()
        },
        merge: |outcomes: &[Outcome<Vec<JobType>>], _: &MergeInputs<'_>| {
            Some(Ok(listing("job-types", "Job types", outcomes, JobType::full_name)))
        },
    }
}

declare_hook! {
    /// `infrastructure-targets`: the names of the deployment targets a
    /// plugin provides (Racetrack `infrastructure_targets`); each is a job
    /// deployer ([`DeployJob`], [`DeleteJob`]), monitor ([`JobStatus`]) and
    /// logs streamer ([`JobLogs`]).
    InfrastructureTargets {
        name: "infrastructure-targets",
        input: (),
        output: Vec<String>,
        exports: [v0_2(INFRASTRUCTURE_TARGET, Vec<String>)],
        check: check_target_names,
        describe: |names: &Vec<String>| names.clone(),
        merge: |outcomes: &[Outcome<Vec<String>>], _: &MergeInputs<'_>| {
            Some(Ok(listing("targets", "Infrastructure targets", outcomes, String::clone)))
        },
    }
}

declare_hook! {
    /// `deploy-job`: a target's deployer: the resources to create for a job.
    DeployJob {
        name: "deploy-job",
        input: JobOnTarget,
        output: Vec<Resource>,
        exports: [v0_2(INFRASTRUCTURE_TARGET, Vec<WireResource>)],
        check: check_resources,
        describe: |resources: &Vec<Resource>| describe_resources(resources),
        merge: no_merge,
    }
}

declare_hook! {
    /// `delete-job`: a target's deployer: the resources to remove for a job.
    DeleteJob {
        name: "delete-job",
        input: JobOnTarget,
        output: Vec<Resource>,
        exports: [v0_2(INFRASTRUCTURE_TARGET, Vec<WireResource>)],
        check: check_resources,
        describe: |resources: &Vec<Resource>| describe_resources(resources),
        merge: no_merge,
    }
}

declare_hook! {
    /// `job-status`: a target's monitor: the job's health from what the
    /// embedder observed.
    JobStatus {
        name: "job-status",
        input: ObservedJob,
        output: JobHealth,
        exports: [v0_2(INFRASTRUCTURE_TARGET, JobHealth)],
        check: |ctx, health: JobHealth| match &health {
            JobHealth::Progressing(reason) | JobHealth::Failed(reason) => ctx
                .rules
                .check_document("the job status reason", reason)
                .map(|()| health),
            JobHealth::Ready => Ok(health),
        },
        describe: |health: &JobHealth| vec![match health {
            JobHealth::Ready => "ready".to_string(),
            JobHealth::Progressing(reason) => format!("progressing: {reason}"),
            JobHealth::Failed(reason) => format!("failed: {reason}"),
        }],
        merge: no_merge,
    }
}

declare_hook! {
    /// `job-logs`: a target's logs streamer: how to select the job's logs.
    JobLogs {
        name: "job-logs",
        input: JobOnTarget,
        output: LogSelector,
        exports: [v0_2(INFRASTRUCTURE_TARGET, LogSelector)],
        check: |_, selector: LogSelector| {
            if selector.selector.is_empty() || selector.selector.contains(['\0', '\n']) {
                return Err(OutputProblem::Listing {
                    what: "log selector",
                    name: crate::sanitize::for_terminal(&selector.selector, 80),
                    problem: "must be one non-empty line: a label selector or a container name",
                });
            }
            Ok(selector)
        },
        describe: |selector: &LogSelector| vec![format!(
            "namespace {} selector {}{}",
            if selector.namespace.is_empty() { "-" } else { &selector.namespace },
            selector.selector,
            selector.container.as_ref().map(|c| format!(" container {c}")).unwrap_or_default()
        )],
        merge: no_merge,
    }
}

/// The interface of an infrastructure target's roles.
const INFRASTRUCTURE_TARGET: &str = "paddock:racetrack/infrastructure-target@0.2.0";

fn check_report(ctx: &CheckContext<'_>, report: ActionReport) -> Result<ActionReport, OutputProblem> {
    ctx.rules.check_report(&report).map(|()| report)
}

fn check_resources(ctx: &CheckContext<'_>, resources: Vec<WireResource>) -> Result<Vec<Resource>, OutputProblem> {
    crate::resources::check(&ctx.rules.resources, ctx.files, resources)
        .map_err(|(index, problem)| OutputProblem::Resource { index, problem })
}

fn describe_resources(resources: &[Resource]) -> Vec<String> {
    resources.iter().map(Resource::describe).collect()
}

/// Names of job types and targets: what Racetrack puts in URLs and labels.
fn check_name(what: &'static str, name: &str) -> Result<(), OutputProblem> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(OutputProblem::Listing {
            what,
            name: crate::sanitize::for_terminal(name, 80),
            problem: "must be 1-64 letters, digits, `-`, `_` or `.`, starting with a letter or digit",
        })
    }
}

/// Refuses a name listed twice (job types, targets; DevStack services and packages).
pub(crate) fn check_unique(what: &'static str, names: impl Iterator<Item = String>) -> Result<(), OutputProblem> {
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if !seen.insert(name.clone()) {
            return Err(OutputProblem::Listing {
                what,
                name: crate::sanitize::for_terminal(&name, 80),
                problem: "is listed twice; list each once",
            });
        }
    }
    Ok(())
}

fn check_target_names(_: &CheckContext<'_>, names: Vec<String>) -> Result<Vec<String>, OutputProblem> {
    for name in &names {
        check_name("infrastructure target", name)?;
    }
    check_unique("infrastructure target", names.iter().cloned())?;
    Ok(names)
}

/// Every job type has a name, a version and images whose files the bundle
/// ships: Racetrack's job-type plugins ship them, and the host renders the
/// templates from there.
fn check_job_types(ctx: &CheckContext<'_>, types: Vec<JobType>) -> Result<Vec<JobType>, OutputProblem> {
    for job_type in &types {
        check_name("job type", &job_type.name)?;
        check_name("job type version", &job_type.version)?;
        if job_type.images.is_empty() {
            return Err(OutputProblem::Listing {
                what: "job type",
                name: crate::sanitize::for_terminal(&job_type.full_name(), 80),
                problem: "has no images; give it at least one base Dockerfile and template",
            });
        }
        for image in &job_type.images {
            for path in [&image.base_dockerfile, &image.dockerfile_template] {
                crate::resources::check_bundle_file("job type file", path, ctx.files)
                    .map_err(OutputProblem::BundleFile)?;
            }
        }
    }
    check_unique("job type", types.iter().map(JobType::full_name))?;
    Ok(types)
}

/// The names every plugin provides, as a merged view with a note for each
/// name two plugins provide (the first in order wins, as in Racetrack).
fn listing<T>(key: &'static str, title: &str, outcomes: &[Outcome<Vec<T>>], name: fn(&T) -> String) -> MergedView {
    let provided: Vec<(String, &str)> = outcomes
        .iter()
        .filter_map(|outcome| outcome.status.ok().map(|items| (items, outcome.id.as_str())))
        .flat_map(|(items, id)| items.iter().map(move |item| (name(item), id)))
        .collect();
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    let mut winners: Vec<(&str, &str)> = Vec::new();
    for (name, id) in &provided {
        match winners.iter().find(|(seen, _)| seen == name) {
            Some((_, first)) => notes.push(format!("conflict: {name} provided by {first} and {id}; kept {first}'s")),
            None => {
                winners.push((name, id));
                lines.push(format!("{name} ({id})"));
            }
        }
    }
    let json = winners.iter().map(|(name, id)| serde_json::json!({ "name": name, "plugin": id })).collect();
    MergedView {
        key,
        title: format!("{title} ({})", winners.len()),
        lines,
        notes,
        json: serde_json::Value::Array(json),
    }
}

/// A job's manifest (`job.yaml`), as Racetrack passes it to plugins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(default, deny_unknown_fields)]
pub struct JobManifest {
    /// Job name.
    pub name: String,
    /// Owner's e-mail or name.
    #[component(name = "owner-email")]
    pub owner_email: String,
    /// Job type with its version, e.g. `python3:2.4.0`.
    pub jobtype: String,
    /// Git remote of the job's code.
    #[component(name = "git-remote")]
    pub git_remote: String,
    /// Git branch, if not the default.
    #[component(name = "git-branch")]
    pub git_branch: Option<String>,
    /// Directory of the job within the repository.
    #[component(name = "git-directory")]
    pub git_directory: Option<String>,
    /// The image to build from, when the manifest overrides the job type's.
    pub image: Option<String>,
    /// Environment while building.
    #[component(name = "build-env")]
    pub build_env: Vec<(String, String)>,
    /// Environment at run time.
    #[component(name = "runtime-env")]
    pub runtime_env: Vec<(String, String)>,
    /// Labels, in order.
    pub labels: Vec<(String, String)>,
    /// Replicas to run.
    pub replicas: u32,
    /// Memory and CPU requests and limits as written (`memory_max: 1Gi`).
    pub resources: Vec<(String, String)>,
    /// The job type's own settings, as YAML.
    #[component(name = "jobtype-extra")]
    pub jobtype_extra: Option<String>,
}

/// A job's record in Racetrack.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(default, deny_unknown_fields)]
pub struct JobRecord {
    /// Job name.
    pub name: String,
    /// Job version.
    pub version: String,
    /// `running`, `error`, `deleted`, ...
    pub status: String,
    /// Racetrack's id of the job.
    pub id: String,
    /// When it was created (RFC 3339).
    #[component(name = "create-time")]
    pub create_time: String,
    /// When it was last updated (RFC 3339).
    #[component(name = "update-time")]
    pub update_time: String,
    /// When it was last deployed (RFC 3339).
    #[component(name = "deploy-time")]
    pub deploy_time: Option<String>,
    /// Where it runs.
    #[component(name = "infrastructure-target")]
    pub infrastructure_target: Option<String>,
    /// Who deployed it.
    #[component(name = "deployed-by")]
    pub deployed_by: Option<String>,
    /// Its name in the cluster, when running.
    #[component(name = "internal-name")]
    pub internal_name: Option<String>,
}

/// What `post-job-deploy` receives (`post_job_deploy(manifest, job, image_name, deployer_username)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(default, deny_unknown_fields)]
pub struct JobDeployed {
    /// The job's manifest.
    pub manifest: JobManifest,
    /// The job's record.
    pub job: JobRecord,
    /// The image deployed.
    #[component(name = "image-name")]
    pub image_name: String,
    /// Who deployed it.
    pub deployer: Option<String>,
}

/// What `post-job-delete` receives (`post_job_delete(job, username_executor)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(default, deny_unknown_fields)]
pub struct JobDeleted {
    /// The job's record.
    pub job: JobRecord,
    /// Who deleted it.
    #[component(name = "deleted-by")]
    pub deleted_by: Option<String>,
}

/// One image of a job type: files below the bundle's `files/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct JobImage {
    /// The Dockerfile of the base image.
    #[component(name = "base-dockerfile")]
    pub base_dockerfile: String,
    /// The Jinja template of the job's Dockerfile.
    #[component(name = "dockerfile-template")]
    pub dockerfile_template: String,
}

/// A job type a plugin provides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct JobType {
    /// Name, e.g. `python3`.
    pub name: String,
    /// Version, e.g. `2.4.0`.
    pub version: String,
    /// Images, in build order.
    pub images: Vec<JobImage>,
}

impl JobType {
    /// `name:version`, as a job manifest's `jobtype` names it.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.name, self.version)
    }
}

/// A job to deploy on, or delete from, one of a plugin's targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(default, deny_unknown_fields)]
pub struct JobOnTarget {
    /// The target's name, one the plugin lists.
    pub target: String,
    /// The job's manifest.
    pub manifest: JobManifest,
    /// The job's record.
    pub job: JobRecord,
    /// The job's image.
    #[component(name = "image-name")]
    pub image_name: String,
}

/// What the embedder observed of a job on a target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(default, deny_unknown_fields)]
pub struct ObservedJob {
    /// The target's name.
    pub target: String,
    /// The job's record.
    pub job: JobRecord,
    /// Replicas wanted.
    #[component(name = "replicas-wanted")]
    pub replicas_wanted: u32,
    /// Replicas ready.
    #[component(name = "replicas-ready")]
    pub replicas_ready: u32,
    /// Recent events or conditions, oldest first.
    pub conditions: Vec<String>,
}

/// A monitor's verdict on a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(variant)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum JobHealth {
    /// Running as wanted.
    #[component(name = "ready")]
    Ready,
    /// Not yet ready, and why.
    #[component(name = "progressing")]
    Progressing(String),
    /// Failed, and why.
    #[component(name = "failed")]
    Failed(String),
}

/// How to select a job's log stream on a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct LogSelector {
    /// Kubernetes namespace, or empty for a single-host target.
    pub namespace: String,
    /// A label selector, or a container name.
    pub selector: String,
    /// The container within a pod, if several.
    pub container: Option<String>,
}
