//! Tutor's CLI (seed 004): `paddock config save` / `printvalue` /
//! `printroot`, `paddock plugins run PLUGIN COMMAND [ARGS...]`, `paddock
//! images list` and `paddock init list`, over a project root holding
//! `config.yml` and the rendered `env/`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use paddock::sanitize::{for_terminal, multiline_for_terminal};
use paddock::tutor::{Project, TemplateTree, Tutor, commands, jobs};
use paddock::{FailurePolicy, Host, HostConfig, PluginSet};

use crate::{emit, shown};

/// Longest output of a plugin's command shown.
const MAX_OUTPUT_CHARS: usize = 200_000;

/// Where the plugins come from.
#[derive(clap::Args)]
pub struct PluginArgs {
    /// A bundle, or a directory of bundles (loaded in file-name order). Repeatable.
    #[arg(long, value_name = "PATH")]
    plugins: Vec<PathBuf>,
    /// Plugin-set YAML: bundles with ids and parameters, in order.
    #[arg(long, value_name = "FILE")]
    plugin_set: Option<PathBuf>,
}

impl PluginArgs {
    fn load(&self, config: HostConfig) -> Result<(Host, PluginSet)> {
        if self.plugins.is_empty() && self.plugin_set.is_none() {
            bail!("no plugins given; pass --plugins PATH (a bundle or a directory of bundles) or --plugin-set FILE");
        }
        let host = Host::with_config(config)?;
        let set = crate::load_plugin_set(&host, self.plugin_set.as_deref(), &self.plugins, FailurePolicy::Continue)?;
        Ok((host, set))
    }
}

/// The project, its base templates and its plugins.
#[derive(clap::Args)]
pub struct ProjectArgs {
    /// The project root, holding config.yml and env/ [default: $PADDOCK_TUTOR_ROOT or paddock/tutor in the platform's data directory].
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The base template tree: config/defaults.yml, config/base.yml and
    /// the templates rendered into env/ (e.g. sample-plugins/tutor-env).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    #[command(flatten)]
    plugins: PluginArgs,
}

impl ProjectArgs {
    fn project(&self) -> Result<Project> {
        let root = self.root.clone().or_else(paddock::tutor::default_root).context(
            "no project root: pass --root DIR, or set PADDOCK_TUTOR_ROOT (there is no platform data directory)",
        )?;
        Ok(Project::new(root))
    }

    fn base(&self) -> Result<Option<TemplateTree>> {
        Ok(self.templates.as_deref().map(TemplateTree::read_dir).transpose()?)
    }
}

/// `paddock config`.
#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// Store the configuration (generating what plugins `add`) and render the environment.
    Save {
        #[command(flatten)]
        project: ProjectArgs,
        /// Override a value, stored in config.yml (VALUE is YAML: `true` is a boolean). Repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
        set: Vec<(String, String)>,
    },
    /// Print one configuration value, defaults included.
    Printvalue {
        /// The key, e.g. MYPLUGIN_DOCKER_IMAGE.
        key: String,
        #[command(flatten)]
        project: ProjectArgs,
    },
    /// Print the project root.
    Printroot {
        /// The project root [default: $PADDOCK_TUTOR_ROOT or the platform data directory].
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .ok_or_else(|| format!("`{}` is not KEY=VALUE", for_terminal(text, 80)))
}

/// `paddock plugins`.
#[derive(clap::Subcommand)]
pub enum PluginsCommand {
    /// Run a command a plugin adds; `paddock plugins run PLUGIN --help` lists them.
    Run {
        #[command(flatten)]
        plugins: PluginArgs,
        /// The plugin's id in the set (or its name), then the command with
        /// its arguments and options, or `--help` for the plugin's commands.
        // One list, so that everything after PLUGIN, `--help` included, is
        // the plugin's command line and not paddock's.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "PLUGIN [COMMAND [ARGS]...]"
        )]
        words: Vec<String>,
    },
}

/// `paddock images`.
#[derive(clap::Subcommand)]
pub enum ImagesCommand {
    /// List the images plugins build (with their rendered Dockerfiles in env/) and pull.
    List {
        #[command(flatten)]
        project: ProjectArgs,
    },
}

/// `paddock init`.
#[derive(clap::Subcommand)]
pub enum InitCommand {
    /// List the pre-init and init jobs, in order, with their rendered commands.
    List {
        #[command(flatten)]
        project: ProjectArgs,
    },
}

/// `paddock config ...`.
pub fn config(host_config: HostConfig, command: ConfigCommand) -> Result<ExitCode> {
    match command {
        ConfigCommand::Save { project, set } => {
            let (_host, plugins) = project.plugins.load(host_config)?;
            let tutor = Tutor::load(&plugins, project.base()?)?;
            let root = project.project()?;
            let saved = tutor.save(&root, &set)?;
            let mut text = format!("saved {}", shown(&root.config_file()));
            if !saved.resolved.generated.is_empty() {
                text.push_str(&format!(" (generated {})", saved.resolved.generated.join(", ")));
            }
            text.push('\n');
            for conflict in &saved.resolved.conflicts {
                text.push_str(&format!("{}\n", for_terminal(&conflict.to_string(), 400)));
            }
            text.push_str(&format!("rendered {} files into {}\n", saved.env.files().len(), shown(&root.env_dir())));
            emit(&text)?;
        }
        ConfigCommand::Printvalue { key, project } => {
            let (_host, plugins) = project.plugins.load(host_config)?;
            let tutor = Tutor::load(&plugins, project.base()?)?;
            let value = tutor.config(&project.project()?, &[])?.print_value(&key)?;
            emit(&format!("{}\n", multiline_for_terminal(&value, 100_000)))?;
        }
        ConfigCommand::Printroot { root } => {
            let project =
                ProjectArgs { root, templates: None, plugins: PluginArgs { plugins: Vec::new(), plugin_set: None } };
            emit(&format!("{}\n", shown(project.project()?.root())))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `paddock plugins run`.
pub fn plugins(host_config: HostConfig, command: PluginsCommand) -> Result<ExitCode> {
    let PluginsCommand::Run { plugins, words } = command;
    let (plugin, rest) = words.split_first().context("no plugin given")?;
    let (_host, set) = plugins.load(host_config)?;
    match rest.split_first() {
        Some((command, args)) if command != "--help" && command != "-h" => {
            let output = commands::run(&set, plugin, command, args)?;
            emit(&format!("{}\n", multiline_for_terminal(&output, MAX_OUTPUT_CHARS)))?;
        }
        _ => {
            let (name, version, specs) = commands::commands_of(&set, plugin)?;
            let mut text = format!("Commands of plugin `{name}` {version}:\n");
            if specs.is_empty() {
                text.push_str("  none (it does not implement tutor-commands)\n");
            }
            for line in commands::help_lines(&specs) {
                text.push_str(&format!("{}\n", for_terminal(&line, 1_000)));
            }
            text.push_str(&format!("run one with: paddock plugins run {plugin} COMMAND [ARGS...]\n"));
            emit(&text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads the project's plugins and renders its environment in memory
/// (storing nothing), for the listings.
fn rendered<T>(
    host_config: HostConfig,
    project: &ProjectArgs,
    list: impl FnOnce(&Tutor<'_>, &paddock::tutor::RenderedEnv) -> Result<T>,
) -> Result<T> {
    let (_host, plugins) = project.plugins.load(host_config)?;
    let tutor = Tutor::load(&plugins, project.base()?)?;
    let resolved = tutor.config(&project.project()?, &[])?;
    let env = paddock::tutor::render::render(&tutor, &resolved)?;
    list(&tutor, &env)
}

/// `paddock images list`.
pub fn images(host_config: HostConfig, command: ImagesCommand) -> Result<ExitCode> {
    let ImagesCommand::List { project } = command;
    let text = rendered(host_config, &project, |tutor, env| {
        let mut text = String::from("build images:\n");
        for image in jobs::build_images(tutor, env)? {
            let context = image.context.unwrap_or_default();
            text.push_str(&format!(
                "  {} -> {} ({}; Dockerfile in env/{context})\n",
                image.name, image.tag, image.plugin
            ));
        }
        text.push_str("remote images:\n");
        for image in jobs::remote_images(tutor)? {
            text.push_str(&format!("  {} -> {} ({})\n", image.name, image.tag, image.plugin));
        }
        Ok(text)
    })?;
    emit(&format!("{}\n", multiline_for_terminal(&text, 1_000_000)))?;
    Ok(ExitCode::SUCCESS)
}

/// `paddock init list`.
pub fn init(host_config: HostConfig, command: InitCommand) -> Result<ExitCode> {
    let InitCommand::List { project } = command;
    let text = rendered(host_config, &project, |tutor, env| {
        let mut text = String::new();
        for job in jobs::init_jobs(tutor, env)? {
            let phase = match job.phase {
                jobs::Phase::PreInit => "pre-init",
                jobs::Phase::Init => "init",
            };
            text.push_str(&format!("== {phase} {} ({}, env/{}) ==\n", job.service, job.plugin, job.template));
            text.push_str(&job.commands);
            if !job.commands.ends_with('\n') {
                text.push('\n');
            }
        }
        if text.is_empty() {
            text.push_str("no plugin initialises a service\n");
        }
        Ok(text)
    })?;
    emit(&format!("{}\n", multiline_for_terminal(&text, 1_000_000)))?;
    Ok(ExitCode::SUCCESS)
}
