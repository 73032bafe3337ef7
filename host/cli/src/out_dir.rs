//! `--out DIR`: results written as files, all at once. The files are
//! written into a fresh directory beside DIR, which then takes DIR's place,
//! so DIR holds either the previous results or the new ones, never a mix.
//! Only a directory paddock wrote (it holds the marker file) is replaced:
//! nothing else is ever touched.

use std::path::{Component, Path};

use anyhow::{Context, Result, bail};
use paddock::{HookRun, PluginSet};

use crate::shown;

/// Present in every directory paddock writes.
const MARKER: &str = ".paddock-output";

/// Writes `files` (relative paths and contents) as the directory `dir`.
pub fn write(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let exists = match std::fs::symlink_metadata(dir) {
        Ok(metadata) => {
            if !metadata.is_dir() || !dir.join(MARKER).is_file() {
                bail!("{} exists and paddock did not write it; choose a new directory, or remove it first", shown(dir));
            }
            true
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => bail!("cannot look at {}: {error}", shown(dir)),
    };
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", shown(parent)))?;
    let staging = tempfile::Builder::new()
        .prefix(".paddock-out-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a directory in {}", shown(parent)))?;
    std::fs::write(staging.path().join(MARKER), "written by paddock; `paddock ... --out` replaces it whole\n")?;
    for (path, contents) in files {
        // Paths come from plugins (release and stack names, chart files):
        // only plain relative ones, so nothing lands outside the directory.
        let relative = Path::new(path);
        if path.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            bail!("refusing to write `{}`: not a plain relative path", paddock::sanitize::for_terminal(path, 200));
        }
        let target = staging.path().join(relative);
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", shown(folder)))?;
        }
        std::fs::write(&target, contents).with_context(|| format!("cannot write {}", shown(&target)))?;
    }
    if exists {
        let old = tempfile::Builder::new().prefix(".paddock-old-").tempdir_in(parent)?;
        std::fs::rename(dir, old.path().join("previous"))
            .with_context(|| format!("cannot move {} aside", shown(dir)))?;
        std::fs::rename(staging.keep(), dir).with_context(|| format!("cannot put the results at {}", shown(dir)))?;
        // `old` removes the previous results when dropped.
    } else {
        std::fs::rename(staging.keep(), dir).with_context(|| format!("cannot put the results at {}", shown(dir)))?;
    }
    Ok(())
}

/// The resources in `runs` as files ready for `kubectl`, `helm` and `aws
/// cloudformation`, one folder per hook and plugin; charts and templates are
/// copied from the plugin's bundle. Also `resources.json` with all of them.
pub fn resource_files(set: &PluginSet, runs: &[HookRun]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut all = Vec::new();
    for run in runs {
        let records = run.json()?;
        for record in records.as_array().into_iter().flatten() {
            let id = record["id"].as_str().unwrap_or_default();
            let value = &record["value"];
            let resources = value.get("resources").unwrap_or(value).as_array().cloned().unwrap_or_default();
            let Some((plugin, _)) = set.plugins().find(|(_, plugin_id)| *plugin_id == id) else { continue };
            for (index, resource) in resources.iter().enumerate() {
                let folder = format!("{}/{id}/{index}-{}", run.hook(), resource["type"].as_str().unwrap_or("resource"));
                match resource["type"].as_str() {
                    Some("kubernetes") => {
                        files.push((format!("{folder}/manifests.yaml"), text(&resource["yaml"]).into_bytes()));
                    }
                    Some("helm") => {
                        let chart = text(&resource["chart_dir"]);
                        for file in plugin.bundle_files() {
                            if let Some(rest) = file.path.strip_prefix(&format!("{chart}/")) {
                                files.push((format!("{folder}/chart/{rest}"), file.contents.clone()));
                            }
                        }
                        files.push((format!("{folder}/values.yaml"), text(&resource["values_yaml"]).into_bytes()));
                        let command = format!(
                            "helm upgrade --install {} ./chart --namespace {} --values values.yaml\n",
                            text(&resource["release_name"]),
                            text(&resource["namespace"])
                        );
                        files.push((format!("{folder}/helm-command.txt"), command.into_bytes()));
                    }
                    Some("cloud-formation") => {
                        let template = text(&resource["template_path"]);
                        if let Some(file) = plugin.bundle_files().iter().find(|file| file.path == template) {
                            files.push((format!("{folder}/template.yaml"), file.contents.clone()));
                        }
                        let parameters = serde_json::to_vec_pretty(&resource["parameters"])?;
                        files.push((format!("{folder}/parameters.json"), parameters));
                    }
                    _ => files.push((format!("{folder}/resource.json"), serde_json::to_vec_pretty(resource)?)),
                }
                all.push(serde_json::json!({ "hook": run.hook(), "plugin": id, "resource": resource }));
            }
        }
    }
    files.push(("resources.json".to_string(), serde_json::to_vec_pretty(&all)?));
    Ok(files)
}

fn text(value: &serde_json::Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}
