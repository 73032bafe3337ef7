//! `paddock docs` (a plugin's Markdown documentation, Racetrack
//! `markdown_docs`) and `paddock render-job` (a job's Dockerfiles from the
//! job type a set provides, Racetrack `job_types`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use paddock::hooks::racetrack::JobManifest;
use paddock::{Host, HostConfig, PluginConfig, PluginSet, Status, hooks};

use crate::{emit, out_dir, shown};

/// Largest job manifest accepted.
const MAX_MANIFEST_BYTES: u64 = 256 * 1024;

/// `paddock render-job`'s arguments.
#[derive(clap::Args)]
pub struct RenderJobArgs {
    /// The job's manifest (job.yaml: name, owner_email, jobtype as `name:version`, git_remote, ...).
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The plugins providing job types.
    #[command(flatten)]
    pub plugins: crate::PluginArgs,
    /// Write the Dockerfiles into this new directory (atomically) instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `paddock docs BUNDLE`.
pub fn docs(config: HostConfig, bundle: &Path) -> Result<ExitCode> {
    let host = Host::with_config(config)?;
    let plugin = host.load_file(bundle)?;
    let name = format!("{} {}", plugin.name(), plugin.version());
    let set = PluginSet::builder(&host).add(plugin, PluginConfig::default())?.build()?;
    match set.call::<hooks::MarkdownDocs>(&()).remove(0).status {
        Status::Ok(Some(docs)) => emit(&format!("{}\n", paddock::sanitize::markdown_for_terminal(&docs, 200_000)))?,
        Status::Ok(None) | Status::Skipped | Status::NotRun => {
            emit(&format!("{name} has no documentation (it does not implement markdown-docs)\n"))?
        }
        Status::Failed(failure) => bail!("{failure}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn read_manifest(path: &Path) -> Result<JobManifest> {
    let text = paddock::fsutil::read_text_capped(path, MAX_MANIFEST_BYTES)
        .map_err(|problem| anyhow::anyhow!("job manifest {}: {problem}", shown(path)))?;
    serde_yaml::from_str(&text).with_context(|| format!("job manifest {} is not valid", shown(path)))
}

/// `paddock render-job`.
pub fn render_job(config: HostConfig, args: RenderJobArgs) -> Result<ExitCode> {
    let manifest = read_manifest(&args.manifest)?;
    let host = Host::with_config(config)?;
    let set = args.plugins.load(&host, paddock::FailurePolicy::Continue)?;
    let mut provided = Vec::new();
    for ((plugin, _), outcome) in set.plugins().zip(set.call::<hooks::JobTypes>(&())) {
        match outcome.status {
            Status::Ok(types) => provided.extend(types.into_iter().map(|job_type| (plugin, job_type))),
            Status::Failed(failure) => bail!("{failure}"),
            Status::Skipped | Status::NotRun => {}
        }
    }
    let Some((plugin, job_type)) = provided.iter().find(|(_, job_type)| job_type.full_name() == manifest.jobtype)
    else {
        let known: Vec<String> =
            provided.iter().map(|(plugin, t)| format!("{} ({})", t.full_name(), plugin.name())).collect();
        bail!(
            "job manifest {} asks for job type `{}`, which no plugin provides; the plugins provide: {}",
            shown(&args.manifest),
            paddock::sanitize::for_terminal(&manifest.jobtype, 80),
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        );
    };
    let images = paddock::jobtypes::render(plugin, job_type, &manifest, host.output_rules())?;
    match &args.out {
        Some(dir) => {
            let mut files = Vec::new();
            for (index, image) in images.iter().enumerate() {
                files.push((format!("{index}-base.Dockerfile"), image.base_dockerfile.clone().into_bytes()));
                files.push((format!("{index}.Dockerfile"), image.dockerfile.clone().into_bytes()));
            }
            out_dir::write(dir, &files)?;
            emit(&format!("wrote {} Dockerfiles of {} to {}\n", files.len(), job_type.full_name(), shown(dir)))?;
        }
        None => {
            let mut text = String::new();
            for image in &images {
                text.push_str(&format!("== base image {} ({}) ==\n", image.base_image, image.base_dockerfile_path));
                text.push_str(&paddock::sanitize::multiline_for_terminal(&image.base_dockerfile, 1_000_000));
                text.push_str(&format!("\n== job image ({}) ==\n", image.template_path));
                text.push_str(&paddock::sanitize::multiline_for_terminal(&image.dockerfile, 1_000_000));
                text.push('\n');
            }
            emit(&text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
