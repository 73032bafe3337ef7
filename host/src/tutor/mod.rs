//! Tutor (seed 004): what the host does with the [`crate::hooks::tutor`]
//! hooks of a plugin set.
//!
//! - [`config`]: the configuration, merged from a base template tree's
//!   `config/base.yml` and `config/defaults.yml`, each plugin's `add`,
//!   `defaults` and `set`, and the user's stored `config.yml` with its
//!   `--set` overrides; `add` values are rendered once and stored.
//! - [`render`]: the environment, rendered from the base tree and each
//!   plugin's own templates with the configuration and every plugin's
//!   patches, sandboxed, and written all at once.
//! - [`jobs`]: the `pre-init` and `init` services with their rendered init
//!   commands, and the images to build (with their Dockerfiles) or pull.
//! - [`commands`]: the CLI commands plugins add, and command lines parsed
//!   against them before a plugin is called.
//!
//! A plugin's templates ship in its bundle under `files/templates/NAME/`,
//! NAME its manifest name, which also prefixes its `add` and `defaults`
//! keys (`myplugin` adds `MYPLUGIN_SECRET_KEY`): both stay the same however
//! a plugin set names the plugin. A project root ([`Project`]) holds the
//! stored `config.yml` and the rendered `env/`.
//!
//! ```no_run
//! use paddock::tutor::{Project, Tutor, render::TemplateTree};
//! use paddock::{Host, PluginSet};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let host = Host::new()?;
//! let set = PluginSet::builder(&host).add_path("plugins/".as_ref())?.build()?;
//! let tutor = Tutor::load(&set, Some(TemplateTree::read_dir("tutor-env".as_ref())?))?;
//! let saved = tutor.save(&Project::new("project".into()), &[("PLATFORM_NAME".into(), "Demo".into())])?;
//! for conflict in &saved.resolved.conflicts {
//!     eprintln!("{conflict}");
//! }
//! # Ok(()) }
//! ```

pub mod commands;
pub mod config;
pub mod jobs;
pub mod render;

use std::path::{Path, PathBuf};

use crate::hooks::tutor::{CommandSpec, ConfigDeclaration};
use crate::hooks::{self, HookDecl};
use crate::outcome::{HookFailure, Status};
use crate::plugin_set::PluginSet;
use crate::templates::TemplateError;

pub use commands::CommandError;
pub use config::{Conflict, Resolved, StoredConfig};
pub use render::{RenderedEnv, TemplateTree};

/// Why a Tutor operation did nothing: it names the plugin and version, the
/// file, key or template, and what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TutorError {
    /// A plugin's hook failed or returned an invalid value.
    #[error(transparent)]
    Hook(Box<HookFailure>),
    /// What a plugin declared does not fit with what it ships or with the
    /// rest of the set.
    #[error("plugin `{plugin}` {version}: {problem}")]
    Plugin {
        /// Manifest name.
        plugin: String,
        /// Manifest version.
        version: String,
        /// What is wrong and what to change.
        problem: String,
    },
    /// A template (a file, a config value, a patch) did not render.
    #[error("{origin}: {error}")]
    Template {
        /// Whose template: `plugin `myplugin` 0.1.0, config add `MYPLUGIN_SECRET_KEY``, `the base templates`.
        origin: String,
        /// The template's error, with its file and line.
        error: TemplateError,
    },
    /// A file the host reads (the stored config, the base tree) is unusable.
    #[error("{path}: {problem}")]
    File {
        /// The file, sanitised.
        path: String,
        /// What is wrong and what to change.
        problem: String,
    },
    /// A `--set KEY=VALUE` override is malformed.
    #[error("--set `{given}`: {problem}")]
    Override {
        /// What was given, sanitised.
        given: String,
        /// What is wrong.
        problem: String,
    },
    /// A key an `add` declares has no stored value yet, and this operation
    /// stores nothing.
    #[error("{key} ({owner}) is not in {config} yet; run `paddock config save` first, which generates and stores it")]
    NotSaved {
        /// The key.
        key: String,
        /// Who adds it.
        owner: String,
        /// The stored config file.
        config: String,
    },
    /// A key no part of the configuration defines.
    #[error("no configuration value `{key}`; the keys are the base config's, each plugin's (prefixed) and those set")]
    UnknownKey {
        /// The key, sanitised.
        key: String,
    },
    /// A command line did not fit the command's declaration.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Writing the stored config or the environment failed.
    #[error(transparent)]
    Write(#[from] crate::fsutil::WriteDirError),
}

impl From<HookFailure> for TutorError {
    fn from(failure: HookFailure) -> TutorError {
        TutorError::Hook(Box::new(failure))
    }
}

/// A Tutor project root: the stored `config.yml` and the rendered `env/`
/// (Tutor's `$(tutor config printroot)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    root: PathBuf,
}

impl Project {
    /// The project at `root`; nothing is read or created yet.
    pub fn new(root: PathBuf) -> Project {
        Project { root }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The stored configuration: `ROOT/config.yml`.
    pub fn config_file(&self) -> PathBuf {
        self.root.join("config.yml")
    }

    /// The rendered environment: `ROOT/env`.
    pub fn env_dir(&self) -> PathBuf {
        self.root.join("env")
    }
}

/// The default project root: `$PADDOCK_TUTOR_ROOT`, else `paddock/tutor`
/// in the platform's data directory.
pub fn default_root() -> Option<PathBuf> {
    std::env::var_os("PADDOCK_TUTOR_ROOT")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|dir| dir.join("paddock").join("tutor")))
}

/// What one plugin of the set declared through the Tutor hooks.
#[derive(Debug, Clone)]
pub struct Declared<'a> {
    plugin: &'a crate::Plugin,
    id: &'a str,
    /// `tutor-config`.
    pub config: ConfigDeclaration,
    /// `tutor-patches`.
    pub patches: Vec<(String, String)>,
    /// `tutor-pre-init`.
    pub pre_init: Vec<String>,
    /// `tutor-init`.
    pub init: Vec<String>,
    /// `tutor-build-image`.
    pub build_images: Vec<(String, String)>,
    /// `tutor-remote-image`.
    pub remote_images: Vec<(String, String)>,
    /// `tutor-commands`.
    pub commands: Vec<CommandSpec>,
}

impl Declared<'_> {
    /// The plugin's manifest name: its key prefix and template directory.
    pub fn name(&self) -> &str {
        self.plugin.name()
    }

    /// The id the set runs it under.
    pub fn id(&self) -> &str {
        self.id
    }

    /// Manifest version.
    pub fn version(&self) -> &semver::Version {
        self.plugin.version()
    }

    /// Prefix of its `add` and `defaults` keys: the name in upper case,
    /// `-` as `_`, then `_` (`my-plugin` -> `MY_PLUGIN_`).
    pub fn key_prefix(&self) -> String {
        format!("{}_", self.name().to_ascii_uppercase().replace('-', "_"))
    }

    /// `plugin `NAME` VERSION`, for messages.
    pub(crate) fn label(&self) -> String {
        format!("plugin `{}` {}", self.name(), self.version())
    }

    fn error(&self, problem: String) -> TutorError {
        TutorError::Plugin { plugin: self.name().to_string(), version: self.version().to_string(), problem }
    }

    /// The files its bundle ships.
    pub(crate) fn files(&self) -> &[crate::BundleFile] {
        self.plugin.bundle_files()
    }
}

/// A plugin set's Tutor declarations, with the base template tree.
pub struct Tutor<'a> {
    set: &'a PluginSet,
    base: TemplateTree,
    plugins: Vec<Declared<'a>>,
}

/// What [`Tutor::save`] did.
#[derive(Debug)]
pub struct Saved {
    /// The configuration, with what was generated and every conflict.
    pub resolved: Resolved,
    /// The environment written.
    pub env: RenderedEnv,
}

impl<'a> Tutor<'a> {
    /// Calls every Tutor hook on every plugin of `set` (one warm instance
    /// per plugin); a plugin without a hook declares nothing there. `base`
    /// is the embedder's template tree, if any. The first failure is the
    /// error: a configuration missing one plugin's part is not rendered.
    pub fn load(set: &'a PluginSet, base: Option<TemplateTree>) -> Result<Tutor<'a>, TutorError> {
        let mut session = set.session();
        fn values<H: HookDecl>(session: &mut crate::Session<'_>) -> Result<Vec<H::Output>, TutorError>
        where
            H::Input: Default,
            H::Output: Default,
        {
            session
                .call::<H>(&H::Input::default())
                .into_iter()
                .map(|outcome| match outcome.status {
                    Status::Ok(value) => Ok(value),
                    Status::Skipped | Status::NotRun => Ok(H::Output::default()),
                    Status::Failed(failure) => Err(failure.into()),
                })
                .collect()
        }
        let config = values::<hooks::TutorConfig>(&mut session)?;
        let patches = values::<hooks::TutorPatches>(&mut session)?;
        let pre_init = values::<hooks::TutorPreInit>(&mut session)?;
        let init = values::<hooks::TutorInit>(&mut session)?;
        let build = values::<hooks::TutorBuildImage>(&mut session)?;
        let remote = values::<hooks::TutorRemoteImage>(&mut session)?;
        let commands = values::<hooks::TutorCommands>(&mut session)?;
        let mut plugins = Vec::with_capacity(set.len());
        let columns = config.into_iter().zip(patches).zip(pre_init).zip(init).zip(build).zip(remote).zip(commands);
        for ((plugin, id), ((((((config, patches), pre_init), init), build_images), remote_images), commands)) in
            set.plugins().zip(columns)
        {
            plugins.push(Declared {
                plugin,
                id,
                config,
                patches,
                pre_init,
                init,
                build_images,
                remote_images,
                commands,
            });
        }
        Ok(Tutor { set, base: base.unwrap_or_default(), plugins })
    }

    /// Each plugin's declarations, in the set's order.
    pub fn plugins(&self) -> &[Declared<'a>] {
        &self.plugins
    }

    /// The base template tree.
    pub fn base(&self) -> &TemplateTree {
        &self.base
    }

    /// The configuration for `project` with `overrides` (`--set`) applied,
    /// storing nothing: an `add` key not stored yet is an error.
    pub fn config(&self, project: &Project, overrides: &[(String, String)]) -> Result<Resolved, TutorError> {
        let stored = StoredConfig::read(&project.config_file())?;
        config::resolve(self, &stored, overrides, config::Generate::No, &project.config_file())
    }

    /// Tutor's `config save`: resolves the configuration (generating what
    /// `add` declares and is not stored yet), renders the environment,
    /// checks every init job and image has its template, and
    /// only then writes `config.yml` (atomically) and `env/` (a new
    /// directory swapped in, only over an `env/` Paddock wrote). A failure
    /// before the writes, an `env/` that is not Paddock's included, writes
    /// nothing.
    pub fn save(&self, project: &Project, overrides: &[(String, String)]) -> Result<Saved, TutorError> {
        let stored = StoredConfig::read(&project.config_file())?;
        let resolved = config::resolve(self, &stored, overrides, config::Generate::Yes, &project.config_file())?;
        let env = render::render(self, &resolved)?;
        // A job or image whose template the plugin lacks is its bug: caught
        // now, not when the embedder runs it.
        jobs::init_jobs(self, &env)?;
        jobs::build_images(self, &env)?;
        jobs::remote_images(self)?;
        // Refused before config.yml changes: a save writes both or neither.
        crate::fsutil::replaceable(&project.env_dir())?;
        std::fs::create_dir_all(project.root()).map_err(|error| TutorError::File {
            path: crate::sanitize::for_terminal(&project.root().display().to_string(), 1_000),
            problem: format!("cannot create the project root: {error}"),
        })?;
        resolved.stored.write(&project.config_file())?;
        env.write(&project.env_dir())?;
        Ok(Saved { resolved, env })
    }

    /// The plugin set.
    pub fn set(&self) -> &'a PluginSet {
        self.set
    }
}
