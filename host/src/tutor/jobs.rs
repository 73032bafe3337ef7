//! Tutor's `hooks`: the services `pre-init` and `init` run (every
//! plugin's `pre-init` services first, then every `init` service, each in
//! plugin order) with the commands rendered from the plugin's
//! `NAME/hooks/SERVICE/init` template, and the images to build (from the
//! plugin's `NAME/build/IMAGE/Dockerfile`) or to pull and push. The host
//! lists them and renders what each needs; running Docker is the
//! embedder's.

use serde::Serialize;

use super::render::RenderedEnv;
use super::{Declared, Tutor, TutorError};

/// When an initialisation job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Before every `init` job (databases the others need).
    PreInit,
    /// Initialisation proper (migrations).
    Init,
}

/// One service to initialise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitJob {
    /// When it runs.
    pub phase: Phase,
    /// The plugin's manifest name.
    pub plugin: String,
    /// The service (Tutor runs `SERVICE-job` of `docker-compose.jobs.yml`).
    pub service: String,
    /// The rendered template, below `env/`.
    pub template: String,
    /// The commands, rendered.
    pub commands: String,
}

/// One image a plugin builds or pulls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    /// The plugin's manifest name.
    pub plugin: String,
    /// The image's name (`paddock images build NAME`).
    pub name: String,
    /// The tag.
    pub tag: String,
    /// For a built image: its build context below `env/`, holding the
    /// rendered `Dockerfile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

fn missing(plugin: &Declared<'_>, what: String, shipped: String) -> TutorError {
    TutorError::Plugin {
        plugin: plugin.name().to_string(),
        version: plugin.version().to_string(),
        problem: format!("{what} has no template; ship it in the bundle as files/{shipped}"),
    }
}

/// Every `pre-init` job, then every `init` job, with their commands from
/// `env` (rendered from the same `tutor`).
pub fn init_jobs(tutor: &Tutor<'_>, env: &RenderedEnv) -> Result<Vec<InitJob>, TutorError> {
    let mut jobs = Vec::new();
    for phase in [Phase::PreInit, Phase::Init] {
        for plugin in tutor.plugins() {
            let (services, hook) = match phase {
                Phase::PreInit => (&plugin.pre_init, "tutor-pre-init"),
                Phase::Init => (&plugin.init, "tutor-init"),
            };
            for service in services {
                let rest = format!("{}/hooks/{service}/init", plugin.name());
                let template = format!("plugins/{rest}");
                let commands = env.file(&template).ok_or_else(|| {
                    missing(plugin, format!("hook `{hook}`: service `{service}`"), format!("templates/{rest}"))
                })?;
                jobs.push(InitJob {
                    phase,
                    plugin: plugin.name().to_string(),
                    service: service.clone(),
                    template,
                    commands: String::from_utf8_lossy(commands).into_owned(),
                });
            }
        }
    }
    Ok(jobs)
}

/// Every image the plugins build, each with its rendered Dockerfile in
/// `env`; two plugins building one image name is an error naming both.
pub fn build_images(tutor: &Tutor<'_>, env: &RenderedEnv) -> Result<Vec<Image>, TutorError> {
    let images = listed(tutor, |plugin| &plugin.build_images, "builds")?;
    images
        .into_iter()
        .map(|(plugin, mut image)| {
            let rest = format!("{}/build/{}", image.plugin, image.name);
            if env.file(&format!("plugins/{rest}/Dockerfile")).is_none() {
                return Err(missing(
                    plugin,
                    format!("hook `tutor-build-image`: image `{}`", image.name),
                    format!("templates/{rest}/Dockerfile"),
                ));
            }
            image.context = Some(format!("plugins/{rest}"));
            Ok(image)
        })
        .collect()
}

/// Every image the plugins pull and push.
pub fn remote_images(tutor: &Tutor<'_>) -> Result<Vec<Image>, TutorError> {
    Ok(listed(tutor, |plugin| &plugin.remote_images, "pulls")?.into_iter().map(|(_, image)| image).collect())
}

fn listed<'t, 'a>(
    tutor: &'t Tutor<'a>,
    images: impl for<'d> Fn(&'d Declared<'_>) -> &'d Vec<(String, String)>,
    verb: &str,
) -> Result<Vec<(&'t Declared<'a>, Image)>, TutorError> {
    let mut out: Vec<(&'t Declared<'a>, Image)> = Vec::new();
    for plugin in tutor.plugins() {
        for (name, tag) in images(plugin) {
            if let Some((_, first)) = out.iter().find(|(_, image)| image.name == *name) {
                return Err(plugin.error(format!(
                    "image `{name}` is one plugin `{}` {verb} too; an image name is one plugin's, rename one of them",
                    first.plugin
                )));
            }
            out.push((
                plugin,
                Image { plugin: plugin.name().to_string(), name: name.clone(), tag: tag.clone(), context: None },
            ));
        }
    }
    Ok(out)
}
