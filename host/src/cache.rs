//! The precompiled-component cache: compile each component once, then load
//! it with a deserialize. Entries are keyed by the component's sha256 and the
//! engine's compatibility hash, and only ever written by the host itself:
//! nothing from a bundle is deserialized (bundles carrying `.cwasm` files are
//! rejected when read).
//!
//! Deserializing runs native code, so an entry is trusted only when
//! - the cache directory and the entry's engine directory belong to the
//!   user running Paddock and nobody else can write them ([`CompileCache::check`]),
//! - the entry is a regular file (never a symlink) owned by that user, as
//!   the opened file says (it is opened without following links, then
//!   checked, so nothing can be swapped in between), and
//! - its header holds the sha256 the host recorded when it wrote the entry,
//!   over the entry's key (component sha256, engine) and the whole artefact,
//!   so a flipped byte, a truncated file or two swapped entries are caught
//!   before wasmtime sees a byte of them.
//!
//! Anything else is recompiled, with a warning, and replaced.

use std::fs::File;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::fsutil::{self, PartialFile};

/// File extension of cache entries.
const ENTRY_EXTENSION: &str = "cwasm";

/// Extension of the partial files an entry is written through.
const PARTIAL_EXTENSION: &str = "tmp";

/// First bytes of every entry; the version changes when the layout does.
const MAGIC: &[u8; 16] = b"paddock-cwasm-1\n";

/// Magic, then the sha256 of key and artefact, then the artefact.
const HEADER_LEN: usize = MAGIC.len() + 32;

/// Largest entry read back. A 64 MiB component compiles to well under this.
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// Length of an engine directory's name (hex digits).
const ENGINE_DIR_LEN: usize = 16;

/// Environment variable overriding the default cache directory.
pub const CACHE_DIR_ENV: &str = "PADDOCK_CACHE_DIR";

/// How a plugin's component was obtained at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompileOrigin {
    /// Compiled now, caching disabled.
    Compiled,
    /// Compiled now and written to the cache.
    CompiledAndCached,
    /// Deserialized from the cache.
    FromCache,
    /// Shared with a plugin this host had already loaded from the same
    /// component bytes: nothing compiled or read.
    AlreadyLoaded,
}

/// What a file in the cache is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A precompiled component.
    Component,
    /// A partial write whose process no longer exists: debris from a crash
    /// or `kill -9`, removed by [`CompileCache::clear`].
    StalePartial,
    /// A partial write of a process that is still running: left alone.
    LivePartial,
}

/// One file in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// Path of the entry.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// What it is.
    pub kind: EntryKind,
}

/// Why a cache directory is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// Someone other than the current user could plant native code there.
    #[error(
        "compile cache {dir} {problem}; anyone who can write there can run code in Paddock. \
         Fix it (`chown` it to the user running Paddock, `chmod go-w`), choose another directory \
         with --cache-dir / PADDOCK_CACHE_DIR, or turn caching off with --no-cache"
    )]
    Unsafe {
        /// The directory.
        dir: String,
        /// Who owns it or who may write it.
        problem: String,
    },
    /// The directory's metadata could not be read.
    #[error("compile cache {dir}: {problem}")]
    Unreadable {
        /// The directory.
        dir: String,
        /// The I/O error.
        problem: String,
    },
}

/// A directory of precompiled components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileCache {
    dir: PathBuf,
}

/// The default cache directory: `$PADDOCK_CACHE_DIR`, else the platform cache
/// directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux) plus `paddock`.
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os(CACHE_DIR_ENV)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|dir| dir.join("paddock")))
}

/// Feeds `Hash` output into sha256 so the key is stable across processes
/// (std's hashers promise no such thing).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Only `write` is used; the digest is read with `finalize`.
        0
    }
}

impl CompileCache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Refuses a cache directory that another user owns or that its group
    /// or everyone may write. A directory that does not exist yet passes:
    /// the host creates it private to the user.
    pub fn check(&self) -> Result<(), CacheError> {
        match std::fs::metadata(&self.dir) {
            Ok(metadata) => safe_dir(&metadata)
                .map_err(|problem| CacheError::Unsafe { dir: self.dir.display().to_string(), problem }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => {
                Err(CacheError::Unreadable { dir: self.dir.display().to_string(), problem: error.to_string() })
            }
        }
    }

    /// Name of the directory for artefacts of engines compatible with `engine`.
    fn engine_dir_name(engine: &Engine) -> String {
        let mut hasher = Sha256Hasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        hex::encode(hasher.0.finalize())[..ENGINE_DIR_LEN].to_string()
    }

    /// Loads the component with hash `sha256` from the cache, or compiles
    /// `bytes` and stores the result. An entry that fails any check is
    /// recompiled and replaced; a cache that cannot be written only costs
    /// the compile.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CompileOrigin)> {
        let engine_dir = Self::engine_dir_name(engine);
        let key = EntryKey { component_sha256: sha256, engine_dir: &engine_dir };
        let dir = self.dir.join(&engine_dir);
        let file_name = format!("{sha256}.{ENTRY_EXTENSION}");
        let path = dir.join(&file_name);
        match self.read_verified(&dir, &file_name, &key) {
            Ok(Some(artefact)) => {
                // SAFETY: the artefact is byte for byte what `store` wrote from
                // `Component::serialize` on an engine with this compatibility
                // hash: its digest, recorded at write time over the key and
                // the artefact, matches, and the file and its directories
                // can be written only by this user.
                match unsafe { Component::deserialize(engine, &artefact[HEADER_LEN..]) } {
                    Ok(component) => return Ok((component, CompileOrigin::FromCache)),
                    Err(error) => tracing::warn!("recompiling: cache entry {} does not load: {error}", path.display()),
                }
            }
            Ok(None) => {}
            Err(problem) => tracing::warn!("recompiling: cache entry {} {problem}", path.display()),
        }
        let component = Component::new(engine, bytes)?;
        let origin = match self.store(&dir, &path, &key, &component) {
            Ok(()) => CompileOrigin::CompiledAndCached,
            Err(error) => {
                tracing::warn!("cannot write cache entry {}: {error}", path.display());
                CompileOrigin::Compiled
            }
        };
        Ok((component, origin))
    }

    /// The bytes of entry `file_name` in `dir`, header included, when it
    /// exists and passes every check; `None` when there is none; why not
    /// otherwise.
    fn read_verified(&self, dir: &Path, file_name: &str, key: &EntryKey<'_>) -> Result<Option<Vec<u8>>, String> {
        // The root may be a symlink the user set up (so it is followed);
        // the engine directory and the entry are Paddock's own, never links.
        // Both are checked on what was opened, and the entry is opened in the
        // directory that was checked, so no path can be swapped in between.
        let Some(root) = existing(std::fs::metadata(&self.dir))? else { return Ok(None) };
        safe_dir(&root).map_err(|problem| format!("is not used: {} {problem}", self.dir.display()))?;
        let not_used = |problem: String| format!("is not used: {} {problem}", dir.display());
        let Some(engine_dir) = open_no_follow(None, dir, OFlags::DIRECTORY).map_err(not_used)? else {
            return Ok(None);
        };
        safe_dir(&engine_dir.metadata().map_err(|e| not_used(e.to_string()))?).map_err(not_used)?;
        let Some(entry) = open_no_follow(Some(&engine_dir), Path::new(file_name), OFlags::empty())? else {
            return Ok(None);
        };
        let metadata = entry.metadata().map_err(|e| e.to_string())?;
        if !metadata.file_type().is_file() {
            return Err("is not a regular file".into());
        }
        owned_by_me(&metadata)?;
        let mut bytes = Vec::new();
        entry.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot be read: {e}"))?;
        if bytes.len() as u64 > MAX_ENTRY_BYTES {
            return Err(format!("is larger than the limit of {MAX_ENTRY_BYTES} bytes"));
        }
        if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
            return Err("has no Paddock header (damaged, or written by another program)".into());
        }
        if bytes[MAGIC.len()..HEADER_LEN] != key.digest(&bytes[HEADER_LEN..]) {
            return Err("does not match the digest recorded when it was written (damaged or replaced)".into());
        }
        Ok(Some(bytes))
    }

    fn store(&self, dir: &Path, path: &Path, key: &EntryKey<'_>, component: &Component) -> Result<(), String> {
        let artefact = component.serialize().map_err(|e| e.to_string())?;
        create_private_dir(&self.dir)?;
        create_private_dir(dir)?;
        // Creating accepts a link to a directory in its place; writing
        // through one would put the entry wherever it points.
        let engine_dir = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if engine_dir.file_type().is_symlink() {
            return Err(format!("{} is a symbolic link, not a directory Paddock made", dir.display()));
        }
        safe_dir(&engine_dir).map_err(|problem| format!("{} {problem}", dir.display()))?;
        // A unique partial file, then an atomic rename: concurrent hosts may
        // race to store the same entry and readers never see a partial file.
        let name = fsutil::unique_name(key.component_sha256, PARTIAL_EXTENSION);
        let mut partial = PartialFile::create(dir, &name).map_err(|e| e.to_string())?;
        let file = partial.file();
        file.write_all(MAGIC)
            .and_then(|()| file.write_all(&key.digest(&artefact)))
            .and_then(|()| file.write_all(&artefact))
            .map_err(|e| e.to_string())?;
        partial.persist(path).map_err(|e| e.to_string())
    }

    /// Every file in the cache that Paddock wrote, for `paddock cache`:
    /// `<engine>/<sha256>.cwasm` entries and partial writes. Nothing else
    /// is listed, and symlinks are never followed.
    pub fn entries(&self) -> std::io::Result<Vec<CacheEntry>> {
        let mut entries = Vec::new();
        let engine_dirs = match std::fs::read_dir(&self.dir) {
            Ok(dirs) => dirs,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
            Err(error) => return Err(error),
        };
        for engine_dir in engine_dirs {
            let engine_dir = engine_dir?;
            // `DirEntry::file_type` does not follow symlinks.
            if !engine_dir.file_type()?.is_dir() || !is_hex(&engine_dir.file_name().to_string_lossy(), ENGINE_DIR_LEN) {
                continue;
            }
            for file in std::fs::read_dir(engine_dir.path())? {
                let file = file?;
                if !file.file_type()?.is_file() {
                    continue;
                }
                let name = file.file_name();
                let Some(kind) = name.to_str().and_then(entry_kind) else {
                    continue;
                };
                entries.push(CacheEntry { size: file.metadata()?.len(), path: file.path(), kind });
            }
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// Removes every component and every partial write left by a process
    /// that no longer runs; returns what was removed. Files Paddock did not
    /// name, symlinks and live writers' partial files are left alone.
    pub fn clear(&self) -> std::io::Result<Vec<CacheEntry>> {
        let mut removed = Vec::new();
        for entry in self.entries()? {
            if entry.kind != EntryKind::LivePartial {
                std::fs::remove_file(&entry.path)?;
                removed.push(entry);
            }
        }
        Ok(removed)
    }
}

/// What an entry's digest binds it to, so an entry moved under another
/// component's name or another engine's directory fails verification.
struct EntryKey<'a> {
    component_sha256: &'a str,
    engine_dir: &'a str,
}

impl EntryKey<'_> {
    fn digest(&self, artefact: &[u8]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(MAGIC);
        hasher.update(self.component_sha256.as_bytes());
        hasher.update(b"/");
        hasher.update(self.engine_dir.as_bytes());
        hasher.update(b"/");
        hasher.update(artefact);
        hasher.finalize().into()
    }
}

/// The kind of a file named `name` inside an engine directory, if Paddock
/// makes files by that name.
fn entry_kind(name: &str) -> Option<EntryKind> {
    if let Some(stem) = name.strip_suffix(&format!(".{ENTRY_EXTENSION}")) {
        return is_hex(stem, 64).then_some(EntryKind::Component);
    }
    let pid = fsutil::writer_pid(name, PARTIAL_EXTENSION)?;
    let stem = name.strip_prefix('.')?.split('.').next()?;
    if !is_hex(stem, 64) {
        return None;
    }
    Some(if fsutil::writer_is_gone(pid) { EntryKind::StalePartial } else { EntryKind::LivePartial })
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The metadata of a path that exists; `None` when it does not.
fn existing(metadata: std::io::Result<std::fs::Metadata>) -> Result<Option<std::fs::Metadata>, String> {
    match metadata {
        Ok(metadata) => Ok(Some(metadata)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.to_string()),
    }
}

/// Opens `name` (in `dir` when given) read-only without following a
/// symlink at `name` and without blocking on a FIFO; `None` when nothing is
/// there. `flags` adds to those, e.g. [`OFlags::DIRECTORY`].
fn open_no_follow(dir: Option<&File>, name: &Path, flags: OFlags) -> Result<Option<File>, String> {
    let flags = flags | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let opened = match dir {
        Some(dir) => rustix::fs::openat(dir, name, flags, Mode::empty()),
        None => rustix::fs::open(name, flags, Mode::empty()),
    };
    match opened {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(Errno::NOENT) => Ok(None),
        // What O_NOFOLLOW answers for a link.
        Err(Errno::LOOP) => Err("is a symbolic link, not a file Paddock wrote".into()),
        Err(Errno::NOTDIR) => Err("is not a directory".into()),
        Err(errno) => Err(std::io::Error::from(errno).to_string()),
    }
}

/// Owned by the current user and writable by nobody else.
fn safe_dir(metadata: &std::fs::Metadata) -> Result<(), String> {
    if !metadata.is_dir() {
        return Err("is not a directory".into());
    }
    owned_by_me(metadata)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        if mode & 0o022 != 0 {
            return Err(format!("is writable by its group or by everyone (mode {:o})", mode & 0o7777));
        }
    }
    Ok(())
}

fn owned_by_me(metadata: &std::fs::Metadata) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        if metadata.uid() != me {
            return Err(format!("is owned by uid {}, not by the user running Paddock (uid {me})", metadata.uid()));
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_paddock_makes_are_entries() {
        let sha = "a".repeat(64);
        assert_eq!(entry_kind(&format!("{sha}.cwasm")), Some(EntryKind::Component));
        assert_eq!(entry_kind("notes.cwasm"), None);
        assert_eq!(entry_kind(&format!("{}.cwasm", "A".repeat(64))), None);
        assert_eq!(entry_kind(&format!(".{sha}.{}-0.tmp", std::process::id())), Some(EntryKind::LivePartial));
        assert_eq!(entry_kind(".other.1-0.tmp"), None);
        assert_eq!(entry_kind("README"), None);
    }

    #[test]
    fn entries_are_opened_without_following_links_or_blocking_on_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"x").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("link")).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(dir.path().join("fifo")).status().unwrap().success());
        let open = |name: &str| open_no_follow(None, &dir.path().join(name), OFlags::empty());
        assert!(open("target").unwrap().is_some());
        assert!(open("missing").unwrap().is_none());
        assert_eq!(open("link").unwrap_err(), "is a symbolic link, not a file Paddock wrote");
        let fifo = open("fifo").unwrap().expect("opened at once");
        assert!(!fifo.metadata().unwrap().is_file());
        let parent = open_no_follow(None, dir.path(), OFlags::DIRECTORY).unwrap().unwrap();
        assert!(open_no_follow(Some(&parent), Path::new("target"), OFlags::empty()).unwrap().is_some());
        assert!(open_no_follow(Some(&parent), Path::new("link"), OFlags::empty()).is_err());
        assert_eq!(open_no_follow(None, &target, OFlags::DIRECTORY).unwrap_err(), "is not a directory");
    }
}
