//! Declarative resources: what a sandboxed plugin asks the embedder to
//! create or remove (Kubernetes manifests, a Helm release or CloudFormation
//! stack from files in its bundle, a container run), since it cannot call a
//! cluster or cloud API itself. The host checks each one before handing it
//! on: YAML parses, sizes stay within [`ResourceRules`], Kubernetes kinds
//! are on the embedder's allow-list, names are DNS labels, and every file
//! named exists in the plugin's bundle.

use serde::Serialize;
use wasmtime::component::{ComponentType, Lift, Lower};

use crate::bundle::BundleFile;
use crate::sanitize::for_terminal;

/// Limits and allow-lists for resources; part of [`crate::OutputRules`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRules {
    /// Kubernetes kinds a plugin may ask for.
    pub allowed_kinds: Vec<String>,
    /// Largest YAML text (manifests, Helm values) in one resource.
    pub max_yaml_bytes: usize,
    /// Most resources from one call.
    pub max_resources: usize,
}

impl Default for ResourceRules {
    fn default() -> Self {
        // Workloads and their plumbing; nothing cluster-wide (no
        // ClusterRole, no CustomResourceDefinition, no Namespace): an
        // embedder that wants those adds them knowingly.
        let kinds = [
            "ConfigMap",
            "CronJob",
            "DaemonSet",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Ingress",
            "Job",
            "PersistentVolumeClaim",
            "Pod",
            "Role",
            "RoleBinding",
            "Secret",
            "Service",
            "ServiceAccount",
            "StatefulSet",
        ];
        ResourceRules {
            allowed_kinds: kinds.iter().map(|kind| kind.to_string()).collect(),
            max_yaml_bytes: 256 * 1024,
            max_resources: 64,
        }
    }
}

/// A Helm release of a chart shipped in the plugin's bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct HelmRelease {
    /// Release name, a DNS label.
    #[component(name = "release-name")]
    pub release_name: String,
    /// Namespace to install into, a DNS label.
    pub namespace: String,
    /// The chart's directory below the bundle's `files/`, holding `Chart.yaml`.
    #[component(name = "chart-dir")]
    pub chart_dir: String,
    /// Values overriding the chart's `values.yaml`, as a YAML mapping.
    #[component(name = "values-yaml")]
    pub values_yaml: String,
}

/// A CloudFormation stack from a template shipped in the plugin's bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct CloudFormationStack {
    /// Stack name: letters, digits and `-`, starting with a letter.
    #[component(name = "stack-name")]
    pub stack_name: String,
    /// The template's path below the bundle's `files/`.
    #[component(name = "template-path")]
    pub template_path: String,
    /// Template parameters, in order.
    pub parameters: Vec<(String, String)>,
}

/// A container run on a single host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ContainerRun {
    /// Container name, a DNS label.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Command and arguments; empty for the image's default.
    pub command: Vec<String>,
    /// Environment variables, in order.
    pub env: Vec<(String, String)>,
    /// Published ports: host port, container port.
    pub ports: Vec<(u16, u16)>,
}

/// A resource as a plugin returns it.
#[derive(Debug, Clone, PartialEq, Eq, ComponentType, Lift, Lower)]
#[component(variant)]
pub(crate) enum WireResource {
    #[component(name = "kubernetes")]
    Kubernetes(String),
    #[component(name = "helm")]
    Helm(HelmRelease),
    #[component(name = "cloudformation")]
    Cloudformation(CloudFormationStack),
    #[component(name = "container")]
    Container(ContainerRun),
}

/// One Kubernetes object of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KubernetesObject {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`, one of [`ResourceRules::allowed_kinds`].
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, if set.
    pub namespace: Option<String>,
    /// The whole object.
    pub document: serde_json::Value,
}

/// A checked resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
#[non_exhaustive]
pub enum Resource {
    /// Kubernetes manifests: the YAML as returned and its objects.
    Kubernetes {
        /// The YAML documents as the plugin wrote them.
        yaml: String,
        /// The objects, in order.
        objects: Vec<KubernetesObject>,
    },
    /// A Helm release; its chart directory holds `Chart.yaml` in the bundle.
    Helm(HelmRelease),
    /// A CloudFormation stack; its template exists in the bundle and parses.
    CloudFormation(CloudFormationStack),
    /// A container run.
    Container(ContainerRun),
}

impl Resource {
    /// One line for an operator, e.g. `helm release data-ray (chart charts/ray) in data`.
    pub fn describe(&self) -> String {
        match self {
            Resource::Kubernetes { objects, .. } => {
                let names: Vec<String> = objects.iter().map(|o| format!("{}/{}", o.kind, o.name)).collect();
                format!("kubernetes {}", names.join(", "))
            }
            Resource::Helm(helm) => {
                format!("helm release {} (chart {}) in namespace {}", helm.release_name, helm.chart_dir, helm.namespace)
            }
            Resource::CloudFormation(stack) => {
                format!("cloudformation stack {} (template {})", stack.stack_name, stack.template_path)
            }
            Resource::Container(container) => format!("container {} from {}", container.name, container.image),
        }
    }
}

/// Why a resource was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceProblem {
    /// More resources than [`ResourceRules::max_resources`].
    #[error("{count} resources; the limit is {limit}")]
    TooMany {
        /// Resources returned.
        count: usize,
        /// Limit in force.
        limit: usize,
    },
    /// YAML text larger than [`ResourceRules::max_yaml_bytes`].
    #[error("its YAML is {bytes} bytes; the limit is {limit}")]
    TooLarge {
        /// Size of the YAML.
        bytes: usize,
        /// Limit in force.
        limit: usize,
    },
    /// YAML that does not parse, or is not the expected shape.
    #[error("{what} is not valid YAML: {problem}")]
    BadYaml {
        /// What was being read.
        what: String,
        /// The parser's message, sanitised.
        problem: String,
    },
    /// A Kubernetes object without `apiVersion`, `kind` or `metadata.name`.
    #[error("Kubernetes document {document} has no `{field}`; every object needs apiVersion, kind and metadata.name")]
    MissingField {
        /// 1-based document number.
        document: usize,
        /// The missing field.
        field: &'static str,
    },
    /// A Kubernetes kind the embedder does not allow.
    #[error("Kubernetes kind `{kind}` is not allowed here; allowed: {allowed}")]
    KindNotAllowed {
        /// The kind asked for.
        kind: String,
        /// The allow-list.
        allowed: String,
    },
    /// A name that is not what the target system accepts.
    #[error("{what} `{name}` is not valid: {rule}")]
    BadName {
        /// Which name.
        what: &'static str,
        /// The name, sanitised.
        name: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A path that is not inside the bundle's `files/`, or names nothing there.
    #[error("{what} `{path}` is not in the bundle's files/: {why}")]
    NotInBundle {
        /// Which path.
        what: &'static str,
        /// The path, sanitised.
        path: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A container image that is not an image reference.
    #[error("container image {0}")]
    Image(String),
}

fn yaml_problem(what: impl Into<String>, error: impl std::fmt::Display) -> ResourceProblem {
    ResourceProblem::BadYaml { what: what.into(), problem: for_terminal(&error.to_string(), 300) }
}

/// A DNS-1123 label: what Kubernetes and Helm accept as a name.
fn check_dns_label(what: &'static str, name: &str) -> Result<(), ResourceProblem> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ResourceProblem::BadName {
            what,
            name: for_terminal(name, 80),
            rule: "1-63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
        })
    }
}

/// `path` names a file (or, with `dir`, a directory) shipped in the bundle.
fn check_bundle_path(what: &'static str, path: &str, files: &[BundleFile], dir: bool) -> Result<(), ResourceProblem> {
    let refuse = |why| Err(ResourceProblem::NotInBundle { what, path: for_terminal(path, 200), why });
    if crate::bundle::normalized_path(path).as_deref() != Some(path) {
        return refuse("paths are relative to files/, `/`-separated, without `.`, `..`, `\\`, `:` or NUL");
    }
    let found = if dir {
        let prefix = format!("{path}/");
        files.iter().any(|file| file.path.starts_with(&prefix))
    } else {
        files.iter().any(|file| file.path == path)
    };
    if found { Ok(()) } else { refuse("no such file is shipped; put it under the plugin's files/ and bundle again") }
}

/// `path` names a file the bundle ships under `files/`.
pub(crate) fn check_bundle_file(what: &'static str, path: &str, files: &[BundleFile]) -> Result<(), ResourceProblem> {
    check_bundle_path(what, path, files, false)
}

fn bundle_file<'f>(files: &'f [BundleFile], path: &str) -> Option<&'f [u8]> {
    files.iter().find(|file| file.path == path).map(|file| file.contents.as_slice())
}

fn check_yaml_size(rules: &ResourceRules, text: &str) -> Result<(), ResourceProblem> {
    if text.len() > rules.max_yaml_bytes {
        return Err(ResourceProblem::TooLarge { bytes: text.len(), limit: rules.max_yaml_bytes });
    }
    Ok(())
}

fn kubernetes_objects(rules: &ResourceRules, yaml: &str) -> Result<Vec<KubernetesObject>, ResourceProblem> {
    check_yaml_size(rules, yaml)?;
    let mut objects = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let number = index + 1;
        let value = <serde_json::Value as serde::Deserialize>::deserialize(document)
            .map_err(|e| yaml_problem(format!("Kubernetes document {number}"), e))?;
        if value.is_null() {
            continue; // an empty document between `---` separators
        }
        let text = |field: &'static str, value: Option<&serde_json::Value>| {
            value
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .ok_or(ResourceProblem::MissingField { document: number, field })
        };
        let api_version = text("apiVersion", value.get("apiVersion"))?;
        let kind = text("kind", value.get("kind"))?;
        let metadata = value.get("metadata");
        let name = text("metadata.name", metadata.and_then(|m| m.get("name")))?;
        if !rules.allowed_kinds.contains(&kind) {
            return Err(ResourceProblem::KindNotAllowed {
                kind: for_terminal(&kind, 80),
                allowed: rules.allowed_kinds.join(", "),
            });
        }
        check_dns_label("metadata.name", &name)?;
        let namespace = metadata.and_then(|m| m.get("namespace")).and_then(serde_json::Value::as_str);
        if let Some(namespace) = namespace {
            check_dns_label("metadata.namespace", namespace)?;
        }
        objects.push(KubernetesObject {
            api_version,
            kind,
            name,
            namespace: namespace.map(str::to_string),
            document: value,
        });
    }
    if objects.is_empty() {
        return Err(yaml_problem("the Kubernetes manifest", "it holds no object"));
    }
    Ok(objects)
}

fn check_one(rules: &ResourceRules, files: &[BundleFile], resource: WireResource) -> Result<Resource, ResourceProblem> {
    match resource {
        WireResource::Kubernetes(yaml) => {
            let objects = kubernetes_objects(rules, &yaml)?;
            Ok(Resource::Kubernetes { yaml, objects })
        }
        WireResource::Helm(helm) => {
            check_dns_label("release name", &helm.release_name)?;
            check_dns_label("namespace", &helm.namespace)?;
            check_bundle_path("chart directory", &helm.chart_dir, files, true)?;
            check_bundle_path("chart", &format!("{}/Chart.yaml", helm.chart_dir), files, false)?;
            check_yaml_size(rules, &helm.values_yaml)?;
            let values: serde_json::Value =
                serde_yaml::from_str(&helm.values_yaml).map_err(|e| yaml_problem("the Helm values", e))?;
            if !(values.is_object() || values.is_null()) {
                return Err(yaml_problem("the Helm values", "they must be a mapping"));
            }
            Ok(Resource::Helm(helm))
        }
        WireResource::Cloudformation(stack) => {
            let valid_name = stack.stack_name.len() <= 128
                && stack.stack_name.starts_with(|c: char| c.is_ascii_alphabetic())
                && stack.stack_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !valid_name {
                return Err(ResourceProblem::BadName {
                    what: "stack name",
                    name: for_terminal(&stack.stack_name, 80),
                    rule: "up to 128 letters, digits and `-`, starting with a letter",
                });
            }
            check_bundle_path("template", &stack.template_path, files, false)?;
            let template = bundle_file(files, &stack.template_path).unwrap_or_default();
            let template = std::str::from_utf8(template).map_err(|e| yaml_problem("the template", e))?;
            check_yaml_size(rules, template)?;
            // CloudFormation's short forms (`!Sub`, `!Ref`) are YAML tags,
            // which only serde_yaml's own value keeps.
            let parsed: serde_yaml::Value =
                serde_yaml::from_str(template).map_err(|e| yaml_problem("the template", e))?;
            if parsed.get("Resources").is_none() {
                return Err(yaml_problem("the template", "it has no `Resources` section"));
            }
            Ok(Resource::CloudFormation(stack))
        }
        WireResource::Container(container) => {
            check_dns_label("container name", &container.name)?;
            crate::validate::check_image_reference(&container.image).map_err(ResourceProblem::Image)?;
            Ok(Resource::Container(container))
        }
    }
}

/// Checks every resource a plugin returned, in order.
pub(crate) fn check(
    rules: &ResourceRules,
    files: &[BundleFile],
    resources: Vec<WireResource>,
) -> Result<Vec<Resource>, (usize, ResourceProblem)> {
    if resources.len() > rules.max_resources {
        return Err((0, ResourceProblem::TooMany { count: resources.len(), limit: rules.max_resources }));
    }
    resources
        .into_iter()
        .enumerate()
        .map(|(index, resource)| check_one(rules, files, resource).map_err(|p| (index + 1, p)))
        .collect()
}
