//! `--out DIR`: results written as files, all at once. The files are
//! written into a fresh directory beside DIR, which then takes DIR's place,
//! so DIR holds either the previous results or the new ones, never a mix.
//! Only a directory paddock wrote (it holds the marker file) is replaced:
//! nothing else is ever touched.

use std::path::Path;

use anyhow::Result;
use paddock::{HookRun, PluginSet};

/// Writes `files` (relative paths and contents) as the directory `dir`.
pub fn write(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    Ok(paddock::fsutil::replace_dir(dir, files)?)
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
