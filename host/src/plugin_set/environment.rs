//! Orbit-style environments: an environment names its teams, and each team
//! its own plugin-set file (Orbit's `<team>-plugins.yaml` named in the
//! environment's manifest). Hooks run team by team, each with the team's
//! context (its name and image).
//!
//! ```yaml
//! name: dev-env
//! teams:
//!   - name: data-science
//!     image: jupyter/minimal-notebook:2026-11
//!     plugins: data-science-plugins.yaml   # relative to this file
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::hooks::RunContext;

/// Largest environment file accepted.
const MAX_ENVIRONMENT_BYTES: u64 = 256 * 1024;

/// An environment and its teams, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    name: String,
    teams: Vec<Team>,
}

/// One team: its name, image and plugin-set file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    name: String,
    image: Option<String>,
    plugins: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    name: String,
    teams: Vec<RawTeam>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    name: String,
    #[serde(default)]
    image: Option<String>,
    plugins: PathBuf,
}

impl Environment {
    /// Reads and checks an environment file; team plugin-set paths are
    /// relative to it.
    pub fn read_file(path: &Path) -> Result<Environment, Error> {
        let origin = path.display().to_string();
        let fail = |problem: String| Error::PluginSet { origin: format!("{origin} (environment)"), problem };
        let text = crate::fsutil::read_text_capped(path, MAX_ENVIRONMENT_BYTES).map_err(|e| fail(e.to_string()))?;
        let raw: RawEnvironment = serde_yaml::from_str(&text).map_err(|e| {
            fail(format!(
                "{}; write `name:` and `teams:` with each team's `name`, `plugins` (its plugin-set file) and optional `image`",
                crate::sanitize::for_terminal(&e.to_string(), 300)
            ))
        })?;
        if raw.name.trim().is_empty() || raw.name.contains(['\n', '\0']) {
            return Err(fail("`name` must be one non-empty line".into()));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let mut teams: Vec<Team> = Vec::with_capacity(raw.teams.len());
        for team in raw.teams {
            if let Some(problem) = crate::manifest::name_problem(&team.name) {
                return Err(fail(format!("team `{}` {problem}", crate::sanitize::for_terminal(&team.name, 80))));
            }
            if teams.iter().any(|seen| seen.name == team.name) {
                return Err(fail(format!("team `{}` is listed twice; list each team once", team.name)));
            }
            if let Some(image) = &team.image {
                crate::validate::check_image_reference(image)
                    .map_err(|problem| fail(format!("team `{}` image {problem}", team.name)))?;
            }
            teams.push(Team { name: team.name, image: team.image, plugins: base.join(team.plugins) });
        }
        if teams.is_empty() {
            return Err(fail("`teams` is empty; name at least one team and its plugin-set file".into()));
        }
        Ok(Environment { name: raw.name, teams })
    }

    /// The environment's name (Orbit `context.name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The teams, in file order.
    pub fn teams(&self) -> &[Team] {
        &self.teams
    }

    /// The context for hooks of `team`: `base` with this environment's
    /// name and the team's name and image.
    pub fn context_for(&self, team: &Team, base: &RunContext) -> RunContext {
        let mut context = base.clone();
        context.deployment.environment = self.name.clone();
        context.deployment.team = team.name.clone();
        if let Some(image) = &team.image {
            context.deployment.image_name = image.clone();
        }
        context
    }
}

impl Team {
    /// The team's name (Orbit `team_context.name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The team's image (Orbit `team_context.image`), if set.
    pub fn image(&self) -> Option<&str> {
        self.image.as_deref()
    }

    /// The team's plugin-set file.
    pub fn plugins(&self) -> &Path {
        &self.plugins
    }
}
