//! Plugin bundles: zip archives holding `plugin-manifest.yaml` and a
//! WebAssembly component. Read entirely in memory, never extracted.

use std::collections::HashSet;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::fsutil::ReadError;
use crate::manifest::{BUNDLE_FILES_DIR, MANIFEST_FILE, Manifest, ManifestError};

/// Size caps applied while reading a bundle. The defaults fit a Python or
/// JavaScript component (10-20 MB) with room to spare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleLimits {
    /// Largest bundle file accepted, in bytes.
    pub max_archive_bytes: u64,
    /// Largest inflated component accepted, in bytes.
    pub max_component_bytes: u64,
    /// Most entries (files and directories) a bundle may hold.
    pub max_entries: usize,
    /// Largest total of inflated `files/` entries.
    pub max_files_bytes: u64,
}

impl Default for BundleLimits {
    fn default() -> Self {
        BundleLimits {
            max_archive_bytes: 64 * 1024 * 1024,
            max_component_bytes: 64 * 1024 * 1024,
            max_entries: 256,
            max_files_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why a bundle was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bundle could not be read from disk.
    #[error("cannot read bundle: {0}")]
    Io(#[from] std::io::Error),
    /// The archive is bigger than [`BundleLimits::max_archive_bytes`].
    #[error("bundle is {size} bytes; the limit is {limit} bytes")]
    ArchiveTooLarge {
        /// Actual size.
        size: u64,
        /// Limit in force.
        limit: u64,
    },
    /// Not a zip archive, or a damaged one.
    #[error("bundle is not a readable zip archive ({0}); build it with `paddock bundle`")]
    NotZip(String),
    /// More entries than [`BundleLimits::max_entries`].
    #[error("bundle holds {count} entries; the limit is {limit}")]
    TooManyEntries {
        /// Entries found.
        count: usize,
        /// Limit in force.
        limit: usize,
    },
    /// An entry that must not appear in a bundle.
    #[error("bundle entry `{name}` is rejected: {reason}")]
    BadEntry {
        /// Entry name as stored (sanitised for display).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A required file is missing.
    #[error("bundle has no `{0}` at its root")]
    Missing(String),
    /// An entry inflates beyond its cap.
    #[error("bundle entry `{name}` inflates beyond {limit} bytes")]
    EntryTooLarge {
        /// Entry name.
        name: String,
        /// Limit in force.
        limit: u64,
    },
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The component entry is not a WebAssembly component.
    #[error("`{path}` is not a WebAssembly component: {reason}")]
    NotAComponent {
        /// Path inside the bundle.
        path: String,
        /// What it is instead and what to do.
        reason: String,
    },
    /// Writing a bundle failed.
    #[error("cannot write bundle: {0}")]
    Write(String),
}

/// A bundle in memory and checked: a valid manifest, the bytes of something
/// that at least looks like a WebAssembly component, and the files it ships.
///
/// Made only by reading an archive ([`Bundle::read_file`],
/// [`Bundle::from_bytes`]) or by [`Bundle::new`], which apply the same rules.
/// The host shares compiled code and names cache entries by the component's
/// sha256, so that hash is always computed here from the bytes, never taken
/// from a caller.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub(crate) manifest: Manifest,
    pub(crate) component: Vec<u8>,
    pub(crate) component_sha256: String,
    pub(crate) archive_size: u64,
    /// sha256 of the archive read, naming the bundle in audit records;
    /// `None` for a bundle made in memory.
    pub(crate) archive_sha256: Option<String>,
    pub(crate) files: Vec<BundleFile>,
}

/// A file shipped under `files/` for a plugin to read at run time. Any
/// value can be made; [`Bundle::new`] and [`Bundle::write`] refuse a path
/// that would not stay inside `files/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Path below `files/`, `/`-separated.
    pub path: String,
    /// The file's contents.
    pub contents: Vec<u8>,
}

/// The 8-byte preamble of a component binary: magic, version 0x0d, layer 1.
const COMPONENT_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const CORE_MODULE_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

impl Bundle {
    /// A bundle built in memory from its parts, as [`Bundle::write`] would
    /// store it: checked by the rules the reader applies with `limits`
    /// (component header and size, entry count, `files` paths, kinds and
    /// total size), so that what the host loads from it is what it would
    /// load from its archive. It has no archive yet, so
    /// [`Bundle::archive_size`] is 0.
    pub fn new(
        manifest: Manifest,
        component: Vec<u8>,
        files: Vec<BundleFile>,
        limits: &BundleLimits,
    ) -> Result<Bundle, BundleError> {
        check_component_preamble(manifest.component(), &component)?;
        check_before_writing(&manifest, &component, &files, limits)?;
        let component_sha256 = sha256_hex(&component);
        Ok(Bundle { manifest, component, component_sha256, archive_size: 0, archive_sha256: None, files })
    }

    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The component bytes.
    pub fn component(&self) -> &[u8] {
        &self.component
    }

    /// Lowercase hex sha256 of [`Bundle::component`].
    pub fn component_sha256(&self) -> &str {
        &self.component_sha256
    }

    /// Size of the archive it was read from, in bytes; 0 for a bundle made
    /// with [`Bundle::new`].
    pub fn archive_size(&self) -> u64 {
        self.archive_size
    }

    /// Lowercase hex sha256 of the archive it was read from (`None` for a
    /// bundle made with [`Bundle::new`]).
    pub fn archive_sha256(&self) -> Option<&str> {
        self.archive_sha256.as_deref()
    }

    /// The files under `files/`.
    pub fn files(&self) -> &[BundleFile] {
        &self.files
    }

    /// Reads a bundle file with the given limits. Only a regular file is
    /// read (a FIFO or device is refused without blocking on it), and never
    /// more than `max_archive_bytes` of it.
    pub fn read_file(path: &Path, limits: &BundleLimits) -> Result<Bundle, BundleError> {
        let bytes =
            crate::fsutil::read_regular_capped(path, limits.max_archive_bytes).map_err(|error| match error {
                ReadError::TooLarge { limit } => BundleError::ArchiveTooLarge {
                    size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(limit + 1),
                    limit,
                },
                ReadError::Io(error) => BundleError::Io(error),
                other => BundleError::Io(std::io::Error::other(other.to_string())),
            })?;
        Bundle::from_bytes(&bytes, limits)
    }

    /// Reads a bundle from archive bytes with the given limits.
    pub fn from_bytes(bytes: &[u8], limits: &BundleLimits) -> Result<Bundle, BundleError> {
        let archive_size = bytes.len() as u64;
        if archive_size > limits.max_archive_bytes {
            return Err(BundleError::ArchiveTooLarge { size: archive_size, limit: limits.max_archive_bytes });
        }
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| BundleError::NotZip(e.to_string()))?;
        if archive.len() > limits.max_entries {
            return Err(BundleError::TooManyEntries { count: archive.len(), limit: limits.max_entries });
        }
        if archive.has_duplicate_names() {
            return Err(BundleError::BadEntry {
                name: "(central directory)".into(),
                reason: "two entries share one name".into(),
            });
        }

        let mut seen = HashSet::new();
        let mut shipped_files = Vec::new();
        for index in 0..archive.len() {
            let entry = archive.by_index_raw(index).map_err(|e| BundleError::NotZip(e.to_string()))?;
            let display = crate::sanitize::for_terminal(&String::from_utf8_lossy(entry.name_raw()), 200);
            let bad = |reason: &str| BundleError::BadEntry { name: display.clone(), reason: reason.into() };
            let normalized = std::str::from_utf8(entry.name_raw())
                .ok()
                .and_then(normalized_path)
                .ok_or_else(|| bad("its path is absolute, escapes the bundle, or contains `..`, `\\` or NUL"))?;
            if entry.encrypted() {
                return Err(bad("encrypted entries are not supported"));
            }
            if entry.is_symlink() {
                return Err(bad("symbolic links are not allowed in bundles"));
            }
            if is_native_artifact(&normalized) {
                return Err(bad(
                    "bundles carry portable WebAssembly only; the host compiles it itself, never loads shipped native code",
                ));
            }
            if entry.is_dir() {
                continue;
            }
            if !seen.insert(normalized.clone()) {
                return Err(bad("another entry has the same path"));
            }
            if let Some(path) = normalized.strip_prefix(BUNDLE_FILES_DIR).and_then(|p| p.strip_prefix('/')) {
                shipped_files.push((normalized.clone(), path.to_string()));
            }
        }

        let manifest_bytes = read_entry(&mut archive, MANIFEST_FILE, crate::manifest::MAX_MANIFEST_BYTES as u64)?;
        let manifest = Manifest::parse(&manifest_bytes)?;
        let component = read_entry(&mut archive, manifest.component(), limits.max_component_bytes)?;
        check_component_preamble(manifest.component(), &component)?;
        let component_sha256 = sha256_hex(&component);
        // Read for every plugin: the host renders templates and checks
        // charts from them; the guest sees them only if granted `bundle-files`.
        let mut files = Vec::new();
        let mut budget = limits.max_files_bytes;
        for (entry_name, path) in shipped_files {
            let contents = read_entry(&mut archive, &entry_name, budget).map_err(|error| match error {
                BundleError::EntryTooLarge { .. } => BundleError::EntryTooLarge {
                    name: format!("{BUNDLE_FILES_DIR}/ (all files together)"),
                    limit: limits.max_files_bytes,
                },
                other => other,
            })?;
            budget -= contents.len() as u64;
            files.push(BundleFile { path, contents });
        }
        Ok(Bundle {
            manifest,
            component,
            component_sha256,
            archive_size,
            archive_sha256: Some(sha256_hex(bytes)),
            files,
        })
    }

    /// Writes the bundle (its manifest re-serialised, its component at the
    /// manifest's `component` path, its files under `files/`) to `out`,
    /// replacing it atomically. What is written is read back with `limits`
    /// before it replaces anything, so this never produces a bundle that
    /// [`Bundle::read_file`] with the same limits rejects. `out` must not
    /// exist, or be a regular file holding a zip archive (a bundle being
    /// rebuilt): devices, symlinks, directories and other files are refused,
    /// never replaced. On any error nothing is left behind.
    pub fn write(&self, out: &Path, limits: &BundleLimits) -> Result<(), BundleError> {
        let Bundle { manifest, component, files, .. } = self;
        // `limits` may be tighter than the ones the bundle was made with.
        check_before_writing(manifest, component, files, limits)?;
        check_replaceable(out)?;
        let write_err = |e: &dyn std::fmt::Display| BundleError::Write(format!("{}: {e}", out.display()));

        // Written beside the target and renamed, so a failed write never
        // leaves a half-written bundle where a good one is expected, and
        // streamed, so a large component is not held twice in memory.
        let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| write_err(&e))?;
        let file_name = out.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let mut partial = crate::fsutil::PartialFile::create(dir, &crate::fsutil::unique_name(&file_name, "partial"))
            .map_err(|e| write_err(&e))?;
        let mut zip = zip::ZipWriter::new(partial.file());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644)
            .large_file(component.len() as u64 >= u32::MAX as u64);
        zip.start_file(MANIFEST_FILE, options).map_err(|e| write_err(&e))?;
        zip.write_all(manifest.to_yaml().as_bytes()).map_err(|e| write_err(&e))?;
        zip.start_file(manifest.component(), options).map_err(|e| write_err(&e))?;
        zip.write_all(component).map_err(|e| write_err(&e))?;
        for file in files {
            zip.start_file(format!("{BUNDLE_FILES_DIR}/{}", file.path), options).map_err(|e| write_err(&e))?;
            zip.write_all(&file.contents).map_err(|e| write_err(&e))?;
        }
        zip.finish().map_err(|e| write_err(&e))?;

        // The final word on what the reader accepts is the reader.
        Bundle::read_file(partial.path(), limits)?;
        partial.persist(out).map_err(|e| write_err(&e))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The reader's rules, applied before a bundle is made in memory or
/// written, with errors that say what to change.
fn check_before_writing(
    manifest: &Manifest,
    component: &[u8],
    files: &[BundleFile],
    limits: &BundleLimits,
) -> Result<(), BundleError> {
    if component.len() as u64 > limits.max_component_bytes {
        return Err(BundleError::EntryTooLarge {
            name: manifest.component().to_string(),
            limit: limits.max_component_bytes,
        });
    }
    let entries = 2 + files.len();
    if entries > limits.max_entries {
        return Err(BundleError::TooManyEntries { count: entries, limit: limits.max_entries });
    }
    let mut files_bytes = 0u64;
    let mut seen = HashSet::new();
    for file in files {
        let entry_name = format!("{BUNDLE_FILES_DIR}/{}", file.path);
        let bad = |reason: &str| BundleError::BadEntry {
            name: crate::sanitize::for_terminal(&entry_name, 200),
            reason: reason.into(),
        };
        // The reader would reject the bundle (or read the file under
        // another name); refuse to write it instead.
        if normalized_path(&file.path).as_deref() != Some(file.path.as_str()) {
            return Err(bad(
                "a shipped file's path must be relative, `/`-separated, without `.`, `..`, `\\`, `:` or NUL",
            ));
        }
        if is_native_artifact(&file.path) {
            return Err(bad("bundles carry portable WebAssembly only, never native code; remove it from files/"));
        }
        if !seen.insert(file.path.as_str()) || entry_name == manifest.component() {
            return Err(bad("another entry has the same path; ship each file once, beside the component"));
        }
        files_bytes += file.contents.len() as u64;
    }
    if files_bytes > limits.max_files_bytes {
        return Err(BundleError::EntryTooLarge {
            name: format!("{BUNDLE_FILES_DIR}/ (all files together: {files_bytes} bytes)"),
            limit: limits.max_files_bytes,
        });
    }
    Ok(())
}

/// Refuses to replace anything but a bundle: a device, FIFO, directory or
/// symlink at `out` would be destroyed by the rename, and any other file is
/// someone's data.
fn check_replaceable(out: &Path) -> Result<(), BundleError> {
    let refuse = |reason: &str| {
        BundleError::Write(format!(
            "refusing to replace {}: {reason}; remove it or choose another -o path",
            out.display()
        ))
    };
    let metadata = match std::fs::symlink_metadata(out) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(BundleError::Write(format!("{}: {error}", out.display()))),
    };
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err(refuse("it is a symbolic link"));
    }
    if !kind.is_file() {
        return Err(refuse("it is not a regular file"));
    }
    let mut magic = [0u8; 4];
    let read =
        std::fs::File::open(out).and_then(|mut file| file.read(&mut magic)).map_err(|e| refuse(&e.to_string()))?;
    if metadata.len() > 0 && (read < 4 || magic != *b"PK\x03\x04") {
        return Err(refuse("it is not a zip archive, so not a bundle"));
    }
    Ok(())
}

/// `raw` as `a/b/c` (empty and `.` parts dropped), or `None` when it is
/// absolute, escapes the archive root, or uses a backslash, `:`, NUL or `..`
/// anywhere. Entry names are read and shipped-file paths written through it.
pub(crate) fn normalized_path(raw: &str) -> Option<String> {
    if raw.contains(['\\', '\0', ':']) || raw.starts_with('/') {
        return None;
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn is_native_artifact(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".cwasm", ".so", ".dylib", ".dll", ".exe", ".o"].iter().any(|ext| lower.ends_with(ext))
}

/// Reads one entry by exact name, counting the bytes actually inflated so a
/// header that lies about the size cannot get past `limit`.
fn read_entry(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str, limit: u64) -> Result<Vec<u8>, BundleError> {
    // Entry names come from the archive: never quote them raw.
    let shown = || crate::sanitize::for_terminal(name, 200);
    let entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Err(BundleError::Missing(shown())),
        Err(e) => {
            return Err(BundleError::BadEntry {
                name: shown(),
                reason: crate::sanitize::for_terminal(&e.to_string(), 200),
            });
        }
    };
    if entry.size() > limit {
        return Err(BundleError::EntryTooLarge { name: shown(), limit });
    }
    let mut bytes = Vec::with_capacity(entry.size().min(limit) as usize);
    entry.take(limit + 1).read_to_end(&mut bytes).map_err(|e| BundleError::BadEntry {
        name: shown(),
        reason: crate::sanitize::for_terminal(&e.to_string(), 200),
    })?;
    if bytes.len() as u64 > limit {
        return Err(BundleError::EntryTooLarge { name: shown(), limit });
    }
    Ok(bytes)
}

/// Cheap structural check before handing bytes to the compiler, so common
/// mistakes get an error that says what to do; `path` names the component
/// in the error.
pub fn check_component_preamble(path: &str, bytes: &[u8]) -> Result<(), BundleError> {
    let reason = if bytes.starts_with(&COMPONENT_PREAMBLE) {
        return Ok(());
    } else if bytes.starts_with(&CORE_MODULE_PREAMBLE) {
        "it is a core WebAssembly module; build for `wasm32-wasip2` (or wrap it with `wasm-tools component new`)"
    } else if bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"MZ") || bytes.starts_with(b"\xcf\xfa\xed\xfe") {
        "it is a native executable; bundles carry WebAssembly components only"
    } else {
        "it does not start with the WebAssembly component header"
    };
    Err(BundleError::NotAComponent { path: path.to_string(), reason: reason.to_string() })
}
