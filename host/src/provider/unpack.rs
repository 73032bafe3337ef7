//! `unpack`: a provider's shipped files (its bundle's `files/`) published
//! read-only into the static file space, at `FILESPACE/<provider>/`. The
//! new tree is written beside the old one and swapped in with one rename,
//! so a reader sees the old files or the new ones, never a mix; a directory
//! Paddock did not make is never replaced.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{ProviderError, ProviderRuntime};
use crate::fsutil::unique_name;

/// The file marking a directory of the file space as one Paddock made.
pub const MARKER_FILE: &str = ".paddock-provider";

/// Publishes provider `name`'s files into `filespace/<name>/`, replacing
/// what an earlier unpack put there. Returns that directory.
pub fn unpack(runtime: &ProviderRuntime, name: &str, filespace: &Path) -> Result<PathBuf, ProviderError> {
    let bundle = runtime.bundle(name)?;
    let target = filespace.join(name);
    let fail = |problem: String| ProviderError::Unpack {
        provider: name.to_string(),
        path: target.display().to_string(),
        problem,
    };
    if !std::fs::metadata(filespace).map(|meta| meta.is_dir()).unwrap_or(false) {
        return Err(fail(format!("the file space {} is not a directory; create it first", filespace.display())));
    }
    let existing = match std::fs::symlink_metadata(&target) {
        Ok(meta) => {
            let marked = std::fs::symlink_metadata(target.join(MARKER_FILE)).map(|m| m.is_file()).unwrap_or(false);
            if !meta.is_dir() || !marked {
                return Err(fail(format!(
                    "it exists and Paddock did not make it (no {MARKER_FILE}); move it away or choose another file space"
                )));
            }
            true
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => return Err(fail(error.to_string())),
    };
    let staging = Staging(filespace.join(unique_name(name, "unpacking")));
    write_tree(&staging.0, bundle, name).map_err(|e| fail(format!("writing the files failed: {e}")))?;
    if existing {
        swap(&staging.0, &target).map_err(|e| fail(format!("swapping in the new files failed: {e}")))?;
        // The old tree is now at the staging path; `Staging` removes it.
    } else {
        std::fs::rename(&staging.0, &target).map_err(|e| fail(format!("moving the files into place failed: {e}")))?;
    }
    Ok(target)
}

/// A directory removed when dropped: the new tree until it is renamed into
/// place, the old one after a swap.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_tree(dir: &Path, bundle: &crate::Bundle, name: &str) -> std::io::Result<()> {
    std::fs::create_dir(dir)?;
    // Paths were checked to stay inside `files/` when the bundle was read.
    for file in bundle.files() {
        let path = dir.join(Path::new(&file.path));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_read_only(&path, &file.contents)?;
    }
    let manifest = bundle.manifest();
    write_read_only(&dir.join(MARKER_FILE), format!("{name} {} {}\n", manifest.name(), manifest.version()).as_bytes())
}

fn write_read_only(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(contents)?;
    file.sync_all()?;
    let mut permissions = file.metadata()?.permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(path, permissions)
}

#[cfg(target_os = "linux")]
fn swap(new: &Path, target: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, new, CWD, target, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn swap(new: &Path, target: &Path) -> std::io::Result<()> {
    // No atomic exchange here: move the old tree aside, then the new one in.
    let aside = new.with_extension("old");
    std::fs::rename(target, &aside)?;
    std::fs::rename(new, target)?;
    std::fs::rename(&aside, new)
}
