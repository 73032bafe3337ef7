//! Racetrack's infrastructure targets, sandboxed: `kubernetes` deploys a
//! job as a Deployment and a Service, `docker` as a container run on one
//! host. Each returns what to create or remove instead of calling a cluster
//! API, judges a job's health from what the embedder observed, and says how
//! to select its logs.

use paddock_guest::common::{ContainerRun, DesiredResource, HookError, HookResult, PluginContext};
use paddock_guest::export_hooks;
use paddock_guest::racetrack::{self, infrastructure_target::*};

struct InfraTargets;

const KUBERNETES: &str = "kubernetes";
const DOCKER: &str = "docker";

/// The job's name as a DNS label: Kubernetes object and container names.
fn resource_name(job: &JobOnTarget) -> String {
    let name: String = format!("job-{}-{}", job.job.name, job.job.version)
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.trim_end_matches('-').chars().take(63).collect()
}

fn namespace(plugin: &PluginContext) -> String {
    plugin.text("namespace").unwrap_or("racetrack").to_string()
}

fn unknown_target(target: &str) -> HookError {
    HookError::failed(format!("unknown target `{target}`; this plugin provides `{KUBERNETES}` and `{DOCKER}`"))
}

fn kubernetes_manifests(plugin: &PluginContext, job: &JobOnTarget) -> String {
    let name = resource_name(job);
    let namespace = namespace(plugin);
    let env: String = job
        .manifest
        .runtime_env
        .iter()
        .map(|(key, value)| format!("            - name: {key}\n              value: {value:?}\n"))
        .collect();
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{app: {name}, racetrack/job: {job_name}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, racetrack/job: {job_name}}}
    spec:
      containers:
        - name: job
          image: {image}
          ports: [{{containerPort: 7000}}]
          env:
{env}---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 7000}}]
",
        job_name = job.job.name,
        replicas = job.manifest.replicas.max(1),
        image = job.image_name,
    )
}

impl racetrack::infrastructure_target::Guest for InfraTargets {
    fn infrastructure_targets(_plugin: PluginContext) -> HookResult<Vec<String>> {
        Ok(vec![KUBERNETES.into(), DOCKER.into()])
    }

    fn deploy_job(plugin: PluginContext, job: JobOnTarget) -> HookResult<Vec<DesiredResource>> {
        match job.target.as_str() {
            KUBERNETES => Ok(vec![DesiredResource::Kubernetes(kubernetes_manifests(&plugin, &job))]),
            DOCKER => Ok(vec![DesiredResource::Container(ContainerRun {
                name: resource_name(&job),
                image: job.image_name.clone(),
                command: Vec::new(),
                env: job.manifest.runtime_env.clone(),
                ports: vec![(7000, 7000)],
            })]),
            other => Err(unknown_target(other)),
        }
    }

    fn delete_job(plugin: PluginContext, job: JobOnTarget) -> HookResult<Vec<DesiredResource>> {
        // What to remove is what deploy created.
        Self::deploy_job(plugin, job)
    }

    fn job_status(_plugin: PluginContext, observed: ObservedJob) -> HookResult<JobHealth> {
        if let Some(bad) =
            observed.conditions.iter().find(|c| c.contains("CrashLoopBackOff") || c.contains("ImagePullBackOff"))
        {
            return Ok(JobHealth::Failed(format!("{}: {bad}", observed.job.name)));
        }
        if observed.replicas_ready >= observed.replicas_wanted.max(1) {
            Ok(JobHealth::Ready)
        } else {
            Ok(JobHealth::Progressing(format!(
                "{} of {} replicas ready",
                observed.replicas_ready, observed.replicas_wanted
            )))
        }
    }

    fn job_logs(plugin: PluginContext, job: JobOnTarget) -> HookResult<LogSelector> {
        match job.target.as_str() {
            KUBERNETES => Ok(LogSelector {
                namespace: namespace(&plugin),
                selector: format!("app={}", resource_name(&job)),
                container: Some("job".into()),
            }),
            DOCKER => Ok(LogSelector { namespace: String::new(), selector: resource_name(&job), container: None }),
            other => Err(unknown_target(other)),
        }
    }
}

export_hooks!(InfraTargets: racetrack::infrastructure_target);
