//! What `paddock` prints: per-plugin outcomes and the merged contributions.

use std::fmt::Write as _;

use paddock::hooks::MergeInputs;
use paddock::sanitize::for_terminal;
use paddock::{Bundle, ComponentCheck, Hook, HookRun, MissingInput, PluginSet, RunContext, Status};
use serde::Serialize;

/// Runs the hooks in one session: one deployment, so each plugin keeps a
/// warm instance across the hooks.
/// Hooks whose input the context lacks are not run; they come back apart.
pub fn run_hooks(set: &PluginSet, hooks: &[Hook], context: &RunContext) -> (Vec<HookRun>, Vec<MissingInput>) {
    let mut session = set.session();
    let (runs, missing): (Vec<_>, Vec<_>) =
        hooks.iter().map(|&hook| session.run(hook, context)).partition(Result::is_ok);
    (runs.into_iter().filter_map(Result::ok).collect(), missing.into_iter().filter_map(Result::err).collect())
}

pub fn all_succeeded(runs: &[HookRun]) -> bool {
    runs.iter().all(HookRun::succeeded)
}

/// One hook: an array of outcomes. Several (`all`): an array in execution
/// order of `{"hook", "outcomes"}`, with the merged view of the hooks that
/// have one (`dockerfile`, `env`, `scripts`).
pub fn runs_json(runs: &[HookRun], all: bool, base_image: &str) -> anyhow::Result<String> {
    let inputs = MergeInputs { base_image };
    let value = if all {
        let mut hooks = Vec::new();
        for run in runs {
            let mut object = serde_json::Map::new();
            object.insert("hook".into(), run.hook().name().into());
            object.insert("outcomes".into(), run.json()?);
            if let Some(merged) = run.merged(&inputs).transpose()? {
                object.insert(merged.key.into(), merged.json);
            }
            hooks.push(serde_json::Value::Object(object));
        }
        serde_json::Value::Array(hooks)
    } else {
        runs.first().map(HookRun::json).transpose()?.unwrap_or_default()
    };
    Ok(serde_json::to_string_pretty(&value)?)
}

/// The plugins in order, then per hook each plugin's outcome and the
/// merged view; every hook is shown the same way, from its declaration.
pub fn runs_text(set: &PluginSet, runs: &[HookRun], base_image: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(out, "Plugins in execution order:");
    for (plugin, id) in set.plugins() {
        let _ = writeln!(out, "  {:>4}  {id} ({} {})", plugin.manifest().priority(), plugin.name(), plugin.version());
    }
    for run in runs {
        let _ = writeln!(out, "\n== {} ==", run.hook());
        for outcome in run.described() {
            let _ = writeln!(out, "  {} {}: {}", outcome.id, outcome.version, outcome.status.label());
            match &outcome.status {
                Status::Ok(lines) => {
                    for line in lines {
                        let _ = writeln!(out, "      {}", for_terminal(line, 2_000));
                    }
                }
                Status::Failed(failure) => {
                    let cause = failure.cause.to_string();
                    let _ = writeln!(out, "      {}", cause.replace('\n', "\n      "));
                }
                Status::Skipped | Status::NotRun => {}
            }
        }
        if let Some(merged) = run.merged(&MergeInputs { base_image }).transpose()? {
            let _ = writeln!(out, "  {}:", merged.title);
            for line in &merged.lines {
                let _ = writeln!(out, "    | {}", for_terminal(line, 2_000));
            }
            for note in &merged.notes {
                let _ = writeln!(out, "  {}", for_terminal(note, 2_000));
            }
        }
    }
    Ok(out)
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
        manifest: bundle.manifest(),
        component_sha256: bundle.component_sha256(),
        component_size: bundle.component().len(),
        bundle_size: bundle.archive_size(),
        shipped_files: bundle.files().iter().map(|file| file.path.as_str()).collect(),
        check,
    }
}

pub fn inspect_text(bundle: &Bundle, check: &ComponentCheck) -> String {
    let manifest = bundle.manifest();
    let mut out = String::new();
    let _ = writeln!(out, "name:        {}", manifest.name());
    let _ = writeln!(out, "version:     {}", manifest.version());
    let _ = writeln!(out, "priority:    {}", manifest.priority());
    if let Some(url) = manifest.url() {
        let _ = writeln!(out, "url:         {url}");
    }
    if let Some(description) = manifest.description() {
        let _ = writeln!(out, "description: {description}");
    }
    let _ = writeln!(out, "component:   {} ({} bytes)", manifest.component(), bundle.component().len());
    let _ = writeln!(out, "sha256:      {}", bundle.component_sha256());
    let _ = writeln!(out, "bundle size: {} bytes", bundle.archive_size());
    let capabilities = manifest.capabilities();
    if !capabilities.env.is_empty() {
        let _ = writeln!(out, "asks for env: {}", capabilities.env.join(", "));
    }
    if capabilities.bundle_files {
        let _ = writeln!(out, "asks for bundle-files: {} files shipped", bundle.files().len());
    }
    let _ = writeln!(out, "targets:     {}", check.paddock_packages().join(", "));
    let hooks: Vec<&str> = check.hooks.iter().map(|hook| hook.name()).collect();
    let _ = writeln!(out, "implements:  {}", if hooks.is_empty() { "no hook".to_string() } else { hooks.join(", ") });
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
