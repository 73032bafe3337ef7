//! What `paddock` prints: per-plugin outcomes and the merged contributions.

use std::fmt::Write as _;

use paddock::merge::{bootstrap_scripts, merge_env_vars, render_dockerfile};
use paddock::sanitize::{for_terminal, multiline_for_terminal};
use paddock::{ActionReport, Bundle, ComponentCheck, Deployment, Hook, HookValue, Outcome, PluginSet, Status};
use serde::Serialize;

/// The outcomes of one hook, typed so they can be merged.
pub enum HookRun {
    Report(Hook, Vec<Outcome<ActionReport>>),
    Dockerfile(Vec<Outcome<Vec<String>>>),
    Bootstrap(Vec<Outcome<Option<String>>>),
    Env(Vec<Outcome<Vec<(String, String)>>>),
    /// Hooks this CLI has no merged view for: printed value by value.
    Other(Hook, Vec<Outcome<HookValue>>),
}

impl HookRun {
    fn hook(&self) -> Hook {
        match self {
            HookRun::Report(hook, _) | HookRun::Other(hook, _) => *hook,
            HookRun::Dockerfile(_) => Hook::DockerfileInjection,
            HookRun::Bootstrap(_) => Hook::BootstrapInjection,
            HookRun::Env(_) => Hook::JobRuntimeEnvVars,
        }
    }

    fn statuses(&self) -> Vec<&'static str> {
        fn labels<T>(outcomes: &[Outcome<T>]) -> Vec<&'static str> {
            outcomes.iter().map(|o| o.status.label()).collect()
        }
        match self {
            HookRun::Report(_, o) => labels(o),
            HookRun::Dockerfile(o) => labels(o),
            HookRun::Bootstrap(o) => labels(o),
            HookRun::Env(o) => labels(o),
            HookRun::Other(_, o) => labels(o),
        }
    }

    /// The merged view of the hook's results, named, for `--format json`
    /// of `all`: the Dockerfile, the environment with its conflicts, the
    /// scripts. `None` for hooks that have none.
    fn merged_json(&self, base_image: &str) -> anyhow::Result<Option<(&'static str, serde_json::Value)>> {
        Ok(match self {
            HookRun::Dockerfile(o) => Some(("dockerfile", render_dockerfile(base_image, o)?.into())),
            HookRun::Env(o) => Some(("env", serde_json::to_value(merge_env_vars(o))?)),
            HookRun::Bootstrap(o) => Some(("scripts", serde_json::to_value(bootstrap_scripts(o))?)),
            HookRun::Report(..) | HookRun::Other(..) => None,
        })
    }

    fn json(&self) -> serde_json::Result<serde_json::Value> {
        fn records<T: Serialize>(outcomes: &[Outcome<T>]) -> serde_json::Result<serde_json::Value> {
            serde_json::to_value(outcomes.iter().map(Outcome::record).collect::<Vec<_>>())
        }
        match self {
            HookRun::Report(_, o) => records(o),
            HookRun::Dockerfile(o) => records(o),
            HookRun::Bootstrap(o) => records(o),
            HookRun::Env(o) => records(o),
            HookRun::Other(_, o) => records(o),
        }
    }
}

/// Runs the hooks in one session: one deployment, so each plugin keeps a
/// warm instance across the hooks.
pub fn run_hooks(set: &PluginSet, hooks: &[Hook], deployment: &Deployment) -> Vec<HookRun> {
    let mut session = set.session();
    hooks
        .iter()
        .map(|&hook| match hook {
            Hook::DockerfileInjection => HookRun::Dockerfile(session.dockerfile_injection(deployment)),
            Hook::BootstrapInjection => HookRun::Bootstrap(session.bootstrap_injection(deployment)),
            Hook::JobRuntimeEnvVars => HookRun::Env(session.job_runtime_env_vars(deployment)),
            Hook::Deploy => HookRun::Report(hook, session.deploy(deployment)),
            Hook::Destroy => HookRun::Report(hook, session.destroy(deployment)),
            _ => HookRun::Other(hook, session.run(hook, deployment)),
        })
        .collect()
}

pub fn all_succeeded(runs: &[HookRun]) -> bool {
    runs.iter().all(|run| run.statuses().iter().all(|s| *s == "ok" || *s == "skipped"))
}

/// One hook: an array of outcomes. Several (`all`): an array in execution
/// order of `{"hook", "outcomes"}`, with the merged view of the hooks that
/// have one (`dockerfile`, `env`, `scripts`).
pub fn runs_json(runs: &[HookRun], all: bool, base_image: &str) -> anyhow::Result<String> {
    let value = if all {
        let mut hooks = Vec::new();
        for run in runs {
            let mut object = serde_json::Map::new();
            object.insert("hook".into(), run.hook().name().into());
            object.insert("outcomes".into(), run.json()?);
            if let Some((name, merged)) = run.merged_json(base_image)? {
                object.insert(name.into(), merged);
            }
            hooks.push(serde_json::Value::Object(object));
        }
        serde_json::Value::Array(hooks)
    } else {
        runs.first().map(HookRun::json).transpose()?.unwrap_or_default()
    };
    Ok(serde_json::to_string_pretty(&value)?)
}

pub fn runs_text(set: &PluginSet, runs: &[HookRun], base_image: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(out, "Plugins in execution order:");
    for (plugin, id) in set.plugins() {
        let _ = writeln!(
            out,
            "  {:>4}  {id} ({} {})",
            plugin.manifest().priority,
            plugin.name(),
            plugin.version()
        );
    }
    for run in runs {
        let _ = writeln!(out, "\n== {} ==", run.hook());
        match run {
            HookRun::Report(_, outcomes) => outcomes_text(&mut out, outcomes, |out, report| {
                let _ = writeln!(out, "      {}", for_terminal(&report.summary, 500));
                for (key, value) in &report.details {
                    let _ = writeln!(out, "        {}: {}", for_terminal(key, 100), for_terminal(value, 500));
                }
            }),
            HookRun::Dockerfile(outcomes) => {
                outcomes_text(&mut out, outcomes, |out, lines| {
                    for line in lines {
                        let _ = writeln!(out, "      {}", for_terminal(line, 500));
                    }
                });
                let _ = writeln!(out, "  Rendered Dockerfile:");
                for line in render_dockerfile(base_image, outcomes)?.lines() {
                    let _ = writeln!(out, "    | {}", for_terminal(line, 500));
                }
            }
            HookRun::Bootstrap(outcomes) => {
                outcomes_text(&mut out, outcomes, |out, script| match script {
                    Some(text) => {
                        let _ = writeln!(out, "      script of {} bytes, {} lines", text.len(), text.lines().count());
                    }
                    None => {
                        let _ = writeln!(out, "      no script");
                    }
                });
                let scripts = bootstrap_scripts(outcomes);
                let _ = writeln!(out, "  Bootstrap scripts ({}):", scripts.len());
                for script in scripts {
                    let _ = writeln!(out, "    --- {} ---", script.file_name);
                    for line in multiline_for_terminal(&script.content, 20_000).lines() {
                        let _ = writeln!(out, "    | {line}");
                    }
                }
            }
            HookRun::Other(_, outcomes) => outcomes_text(&mut out, outcomes, |out, value| {
                let json = serde_json::to_string(value).unwrap_or_default();
                let _ = writeln!(out, "      {}", for_terminal(&json, 2_000));
            }),
            HookRun::Env(outcomes) => {
                outcomes_text(&mut out, outcomes, |out, vars| {
                    for (name, value) in vars {
                        let _ = writeln!(out, "      {name}={}", for_terminal(value, 500));
                    }
                });
                let merged = merge_env_vars(outcomes);
                let _ = writeln!(out, "  Merged environment ({} variables):", merged.vars.len());
                for (name, value) in &merged.vars {
                    let _ = writeln!(out, "    {name}={}", for_terminal(value, 500));
                }
                for conflict in &merged.conflicts {
                    let setters: Vec<String> =
                        conflict.settings.iter().map(|(id, value)| format!("{id}={}", for_terminal(value, 80))).collect();
                    let _ = writeln!(
                        out,
                        "  conflict: {} set by {}; kept {}'s value",
                        conflict.name,
                        setters.join(", "),
                        conflict.winner
                    );
                }
            }
        }
    }
    Ok(out)
}

fn outcomes_text<T>(out: &mut String, outcomes: &[Outcome<T>], value: impl Fn(&mut String, &T)) {
    for outcome in outcomes {
        let _ = writeln!(out, "  {} {}: {}", outcome.id, outcome.version, outcome.status.label());
        match &outcome.status {
            Status::Ok(v) => value(out, v),
            Status::Failed(failure) => {
                let cause = failure.cause.to_string();
                let _ = writeln!(out, "      {}", cause.replace('\n', "\n      "));
            }
            Status::Skipped | Status::NotRun => {}
        }
    }
}

#[derive(Serialize)]
pub struct InspectJson<'a> {
    manifest: &'a paddock::Manifest,
    component_sha256: &'a str,
    component_size: usize,
    bundle_size: u64,
    shipped_files: Vec<&'a str>,
    #[serde(flatten)]
    check: &'a ComponentCheck,
}

pub fn inspect_json<'a>(bundle: &'a Bundle, check: &'a ComponentCheck) -> InspectJson<'a> {
    InspectJson {
        manifest: &bundle.manifest,
        component_sha256: &bundle.component_sha256,
        component_size: bundle.component.len(),
        bundle_size: bundle.archive_size,
        shipped_files: bundle.files.iter().map(|file| file.path.as_str()).collect(),
        check,
    }
}

pub fn inspect_text(bundle: &Bundle, check: &ComponentCheck) -> String {
    let manifest = &bundle.manifest;
    let mut out = String::new();
    let _ = writeln!(out, "name:        {}", manifest.name);
    let _ = writeln!(out, "version:     {}", manifest.version);
    let _ = writeln!(out, "priority:    {}", manifest.priority);
    if let Some(url) = &manifest.url {
        let _ = writeln!(out, "url:         {url}");
    }
    if let Some(description) = &manifest.description {
        let _ = writeln!(out, "description: {description}");
    }
    let _ = writeln!(out, "component:   {} ({} bytes)", manifest.component, bundle.component.len());
    let _ = writeln!(out, "sha256:      {}", bundle.component_sha256);
    let _ = writeln!(out, "bundle size: {} bytes", bundle.archive_size);
    if !manifest.capabilities.env.is_empty() {
        let _ = writeln!(out, "asks for env: {}", manifest.capabilities.env.join(", "));
    }
    if manifest.capabilities.bundle_files {
        let _ = writeln!(out, "asks for bundle-files: {} files shipped", bundle.files.len());
    }
    let _ = writeln!(out, "exports:");
    for export in &check.exports {
        let _ = writeln!(out, "  {}: {}", export.name, export.functions.join(", "));
    }
    let _ = writeln!(out, "imports:");
    for import in &check.imports {
        let _ = writeln!(out, "  {import}");
    }
    out
}
