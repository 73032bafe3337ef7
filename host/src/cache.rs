//! The precompiled-component cache: compile each component once, then load
//! it with a deserialize. Entries are keyed by the component's sha256 and the
//! engine's compatibility hash, and only ever written by the host itself:
//! nothing from a bundle is deserialized (bundles carrying `.cwasm` files are
//! rejected when read).

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// File extension of cache entries.
const ENTRY_EXTENSION: &str = "cwasm";

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

/// One file in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// Path of the entry.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
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

    /// Directory for artefacts of engines compatible with `engine`.
    fn engine_dir(&self, engine: &Engine) -> PathBuf {
        let mut hasher = Sha256Hasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        self.dir.join(&hex::encode(hasher.0.finalize())[..16])
    }

    /// Loads the component with hash `sha256` from the cache, or compiles
    /// `bytes` and stores the result. A damaged or incompatible entry is
    /// replaced; a cache that cannot be written only costs the compile.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CompileOrigin)> {
        let path = self.engine_dir(engine).join(format!("{sha256}.{ENTRY_EXTENSION}"));
        if path.is_file() {
            // SAFETY: files in the cache directory are written only by
            // `store` below from output of `Component::serialize` for this
            // engine configuration; the directory is created private to the
            // user. Bundle contents never reach this path.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CompileOrigin::FromCache)),
                Err(error) => tracing::warn!("ignoring unusable cache entry {}: {error}", path.display()),
            }
        }
        let component = Component::new(engine, bytes)?;
        let origin = match self.store(&path, &component) {
            Ok(()) => CompileOrigin::CompiledAndCached,
            Err(error) => {
                tracing::warn!("cannot write cache entry {}: {error}", path.display());
                CompileOrigin::Compiled
            }
        };
        Ok((component, origin))
    }

    fn store(&self, path: &Path, component: &Component) -> Result<(), String> {
        let artefact = component.serialize().map_err(|e| e.to_string())?;
        let dir = path.parent().ok_or("cache entry has no directory")?;
        create_private_dir(&self.dir)?;
        create_private_dir(dir)?;
        // Unique temporary name, then an atomic rename: concurrent hosts may
        // race to store the same entry and readers never see a partial file.
        let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), unique_suffix()));
        std::fs::write(&tmp, artefact).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            e.to_string()
        })
    }

    /// Every entry in the cache, for `paddock cache`.
    pub fn entries(&self) -> std::io::Result<Vec<CacheEntry>> {
        let mut entries = Vec::new();
        let engine_dirs = match std::fs::read_dir(&self.dir) {
            Ok(dirs) => dirs,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
            Err(error) => return Err(error),
        };
        for engine_dir in engine_dirs {
            let engine_dir = engine_dir?.path();
            if !engine_dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&engine_dir)? {
                let file = file?;
                let path = file.path();
                if path.extension().is_some_and(|ext| ext == ENTRY_EXTENSION) {
                    entries.push(CacheEntry { size: file.metadata()?.len(), path });
                }
            }
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// Removes every entry; returns how many were removed.
    pub fn clear(&self) -> std::io::Result<usize> {
        let entries = self.entries()?;
        for entry in &entries {
            std::fs::remove_file(&entry.path)?;
        }
        Ok(entries.len())
    }
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}
