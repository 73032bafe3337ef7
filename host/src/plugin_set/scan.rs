//! Finding the bundles at a path: a file, or every `*.zip` in a directory.

use std::path::{Path, PathBuf};

use crate::error::Error;

use super::{PluginConfig, PluginSetBuilder};

impl PluginSetBuilder {
    /// Loads and adds a bundle file, or every `*.zip` in a directory in
    /// file-name order, with default configuration.
    pub fn add_path(mut self, path: &Path) -> Result<Self, Error> {
        for bundle in bundle_files(path)? {
            let plugin = self.host.load_file(&bundle)?;
            self = self.add(plugin, PluginConfig::default())?;
        }
        Ok(self)
    }
}

/// `path` itself when it is a file; the `*.zip` files in it, sorted by name,
/// when it is a directory.
pub fn bundle_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let io_error = |problem: std::io::Error| Error::PluginPath { path: path.display().to_string(), problem };
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io_error)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io_error)? {
        let file = entry.map_err(io_error)?.path();
        if file.is_file() && file.extension().is_some_and(|ext| ext == "zip") {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}
