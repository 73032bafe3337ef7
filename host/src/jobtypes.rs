//! Racetrack job types: a job-type plugin lists, per job type, images as a
//! base-image Dockerfile and a Dockerfile template shipped in its bundle
//! ([`crate::hooks::JobTypes`]); this renders them for a job's manifest.
//! The template sees `manifest`, `base_image` (the tag the base Dockerfile
//! builds), `env_vars` (the manifest's build env) and `job_type`; the
//! result must be a whole Dockerfile that passes the host's rules.

use serde::Serialize;

use crate::hooks::racetrack::{JobManifest, JobType};
use crate::plugin::Plugin;
use crate::templates::TemplateError;
use crate::validate::{OutputProblem, OutputRules};

/// One image of a job type, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedImage {
    /// The tag the base Dockerfile is built as; the job's Dockerfile starts `FROM` it.
    pub base_image: String,
    /// Path of the base Dockerfile below the bundle's `files/`.
    pub base_dockerfile_path: String,
    /// The base Dockerfile, as shipped.
    pub base_dockerfile: String,
    /// Path of the template below the bundle's `files/`.
    pub template_path: String,
    /// The job's Dockerfile, rendered.
    pub dockerfile: String,
}

/// Why a job type did not render; names the plugin, its version and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin `{plugin}` {version}, job type `{job_type}`: {problem}")]
pub struct RenderError {
    /// The job-type plugin.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// The job type, `name:version`.
    pub job_type: String,
    /// What went wrong.
    pub problem: Box<RenderProblem>,
}

/// What went wrong rendering a job type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderProblem {
    /// A template error (undefined variable, syntax, a file the bundle lacks).
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The base Dockerfile or the rendered one breaks the Dockerfile rules.
    #[error("{0}")]
    Dockerfile(OutputProblem),
}

/// The job type a manifest's `jobtype` (`name:version`) names, among `types`.
pub fn find<'t>(types: &'t [JobType], jobtype: &str) -> Option<&'t JobType> {
    types.iter().find(|job_type| job_type.full_name() == jobtype)
}

/// Renders every image of `job_type` (from `plugin`'s bundle) for `manifest`.
pub fn render(
    plugin: &Plugin,
    job_type: &JobType,
    manifest: &JobManifest,
    rules: &OutputRules,
) -> Result<Vec<RenderedImage>, RenderError> {
    let fail = |problem: RenderProblem| RenderError {
        plugin: plugin.name().to_string(),
        version: plugin.version().to_string(),
        job_type: job_type.full_name(),
        problem: Box::new(problem),
    };
    let files = plugin.bundle_files();
    let env_vars: std::collections::BTreeMap<&str, &str> =
        manifest.build_env.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    let mut images = Vec::with_capacity(job_type.images.len());
    for (index, image) in job_type.images.iter().enumerate() {
        let base_dockerfile = files
            .iter()
            .find(|file| file.path == image.base_dockerfile)
            .and_then(|file| std::str::from_utf8(&file.contents).ok())
            .ok_or_else(|| fail(TemplateError::NotShipped { template: image.base_dockerfile.clone() }.into()))?
            .to_string();
        rules
            .check_whole_dockerfile(&format!("base Dockerfile `{}`", image.base_dockerfile), &base_dockerfile)
            .map_err(|problem| fail(RenderProblem::Dockerfile(problem)))?;
        let base_image = format!("paddock/{}-base:{}-{index}", job_type.name.to_ascii_lowercase(), job_type.version);
        let context = minijinja::context! {
            manifest => manifest,
            base_image => &base_image,
            env_vars => &env_vars,
            job_type => job_type,
        };
        let dockerfile =
            crate::templates::render(files, &image.dockerfile_template, context).map_err(|e| fail(e.into()))?;
        rules
            .check_whole_dockerfile(
                &format!("the Dockerfile rendered from `{}`", image.dockerfile_template),
                &dockerfile,
            )
            .map_err(|problem| fail(RenderProblem::Dockerfile(problem)))?;
        images.push(RenderedImage {
            base_image,
            base_dockerfile_path: image.base_dockerfile.clone(),
            base_dockerfile,
            template_path: image.dockerfile_template.clone(),
            dockerfile,
        });
    }
    Ok(images)
}
