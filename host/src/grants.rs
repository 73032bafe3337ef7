//! Capability grants: what the embedder allows, and what one plugin gets.
//! A plugin receives a capability only if its manifest declares it and the
//! embedder allows it; declaring one that is not allowed fails the load, so
//! the author learns at load time instead of from a silent denial at run time.

use std::collections::BTreeMap;
use std::path::Path;

use crate::bundle::BundleFile;
use crate::manifest::{BUNDLE_FILES_DIR, Manifest};

/// Capabilities the embedder allows. Everything is off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Environment variables plugins may read, with the values they see.
    pub env: BTreeMap<String, String>,
    /// Whether plugins may read the files shipped under `files/` in their own
    /// bundle (read-only, at [`crate::manifest::BUNDLE_FILES_MOUNT`]).
    pub bundle_files: bool,
}

/// What one loaded plugin was granted.
#[derive(Debug)]
pub(crate) struct PluginGrants {
    pub(crate) env: Vec<(String, String)>,
    /// The plugin's `files/`, written out once at load because WASI can only
    /// mount a host directory; removed when the plugin is dropped.
    pub(crate) bundle_files: Option<tempfile::TempDir>,
}

impl Grants {
    /// Resolves what `manifest` declares against what this embedder allows.
    pub(crate) fn resolve(&self, manifest: &Manifest, files: &[BundleFile]) -> Result<PluginGrants, String> {
        let env = manifest
            .capabilities()
            .env
            .iter()
            .map(|name| match self.env.get(name) {
                Some(value) => Ok((name.clone(), value.clone())),
                None => Err(format!(
                    "declares capability `env: {name}`, which this host does not grant; grant it \
                     (`Grants::env`, CLI `--grant-env {name}`) or remove it from the manifest"
                )),
            })
            .collect::<Result<_, _>>()?;
        let bundle_files = match (manifest.capabilities().bundle_files, self.bundle_files) {
            (false, _) => None,
            (true, false) => {
                return Err("declares capability `bundle-files`, which this host does not grant; grant it \
                            (`Grants::bundle_files`, CLI `--grant-bundle-files`) or remove it from the manifest"
                    .to_string());
            }
            (true, true) => Some(
                write_read_only(files)
                    .map_err(|e| format!("cannot prepare its `{BUNDLE_FILES_DIR}/` for reading: {e}"))?,
            ),
        };
        Ok(PluginGrants { env, bundle_files })
    }
}

/// Writes `files` into a new private temporary directory, each file
/// read-only. Paths were checked to stay inside it when the bundle was
/// read or made ([`crate::Bundle::new`]).
fn write_read_only(files: &[BundleFile]) -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("paddock-bundle-files-").tempdir()?;
    for file in files {
        let path = dir.path().join(Path::new(&file.path));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.contents)?;
        let mut permissions = std::fs::metadata(&path)?.permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&path, permissions)?;
    }
    Ok(dir)
}
