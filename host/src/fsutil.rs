//! The two ways Paddock touches files it does not own: reading an
//! operator's file through a hard cap, and writing a file of its own through
//! a partial file that is renamed into place or removed, never left behind.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The path is a directory, device, FIFO or socket (after following
    /// symlinks): something whose size is not known up front.
    #[error("is {kind}, not a regular file; pass a regular file")]
    NotRegular {
        /// What it is instead.
        kind: &'static str,
    },
    /// The file holds more than the cap.
    #[error("is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The cap in force.
        limit: u64,
    },
    /// Opening or reading failed.
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
}

/// Reads a regular file, never more than `limit` bytes. A FIFO, device or
/// directory is refused without blocking on it, also when a symlink points
/// there, and a file that grows while being read stops at the cap.
pub fn read_regular_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK
    // makes the open return at once (it changes nothing for regular files).
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, rustix::fs::OFlags::NONBLOCK.bits() as i32);
    let file = options.open(path)?;
    // Checked on the opened file, so the path cannot be swapped in between.
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotRegular { kind: describe(kind) });
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// [`read_regular_capped`] for UTF-8 text.
pub fn read_text_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_regular_capped(path, limit)?)
        .map_err(|_| ReadError::Io(io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text")))
}

fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() { "a directory" } else { "not a regular file" }
}

/// Partial files this process is writing, so that a signal handler can
/// remove them ([`remove_partial_files`]).
struct Pending {
    paths: Vec<PathBuf>,
    /// Set once the process is going away: no new partial file may start.
    closing: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending { paths: Vec::new(), closing: false });

fn pending() -> std::sync::MutexGuard<'static, Pending> {
    // Only paths are kept; a panicking holder leaves nothing inconsistent.
    PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes every partial file this process has not finished writing and
/// refuses new ones. For a binary's SIGINT/SIGTERM handler, just before it
/// exits: without it a signal leaves the partial files behind.
pub fn remove_partial_files() {
    let mut pending = pending();
    pending.closing = true;
    for path in pending.paths.drain(..) {
        let _ = std::fs::remove_file(path);
    }
}

/// A file written beside its destination under a temporary name, then
/// renamed over it by [`PartialFile::persist`]. Dropped without persisting
/// (an error, a panic) it is removed; a signal removes it through
/// [`remove_partial_files`].
pub(crate) struct PartialFile {
    path: PathBuf,
    file: Option<File>,
}

impl PartialFile {
    /// Creates `dir/name`, where `name` must be unique to this process and
    /// write; [`unique_name`] makes such names.
    pub(crate) fn create(dir: &Path, name: &str) -> io::Result<PartialFile> {
        let path = dir.join(name);
        {
            // Registered before it exists, so a signal never misses it.
            let mut pending = pending();
            if pending.closing {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "the process is shutting down"));
            }
            pending.paths.push(path.clone());
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => Ok(PartialFile { path, file: Some(file) }),
            Err(error) => {
                unregister(&path);
                Err(error)
            }
        }
    }

    /// Where the partial file is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The open file.
    pub(crate) fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("the file is open until persist or drop")
    }

    /// Flushes the file and renames it to `target`, replacing what is there.
    pub(crate) fn persist(mut self, target: &Path) -> io::Result<()> {
        let file = self.file.take().expect("the file is open until persist or drop");
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.path, target)?;
        unregister(&self.path);
        // Renamed: nothing left to remove.
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file.take();
            let _ = std::fs::remove_file(&self.path);
            unregister(&self.path);
        }
    }
}

fn unregister(path: &Path) {
    let mut pending = pending();
    if let Some(index) = pending.paths.iter().position(|p| p == path) {
        pending.paths.swap_remove(index);
    }
}

/// `<stem>.<pid>-<n>.<extension>`: unique within this process and across
/// processes alive at the same time. The pid lets a cleaner tell a live
/// writer's file from one left by a killed process ([`writer_is_gone`]).
pub(crate) fn unique_name(stem: &str, extension: &str) -> String {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    format!(".{stem}.{}-{}.{extension}", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed))
}

/// The pid in a name made by [`unique_name`] with this `extension`, if it
/// is one.
pub(crate) fn writer_pid(name: &str, extension: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(extension)?.strip_suffix('.')?;
    let (_, ids) = rest.rsplit_once('.')?;
    let (pid, count) = ids.split_once('-')?;
    count.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// True when no process with `pid` exists any more, so its partial files
/// are debris. Another user's live process counts as alive.
pub(crate) fn writer_is_gone(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    match rustix::process::Pid::from_raw(pid as i32) {
        Some(pid) => rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH),
        None => false,
    }
}

/// Present in every directory [`replace_dir`] writes: only such a
/// directory is ever replaced.
pub const OUTPUT_MARKER: &str = ".paddock-output";

/// Why [`replace_dir`] wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteDirError {
    /// The directory exists and holds no [`OUTPUT_MARKER`]: not Paddock's.
    #[error("{path} exists and paddock did not write it; choose a new directory, or remove it first")]
    NotOurs {
        /// The directory, sanitised.
        path: String,
    },
    /// A file's path would leave the directory.
    #[error("refusing to write `{path}`: not a plain relative path")]
    BadPath {
        /// The path, sanitised.
        path: String,
    },
    /// Creating, writing or renaming failed.
    #[error("cannot {action} {path}: {error}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where, sanitised.
        path: String,
        /// The error.
        error: io::Error,
    },
}

fn shown(path: &Path) -> String {
    crate::sanitize::for_terminal(&path.display().to_string(), 1_000)
}

/// Whether `dir` exists, when [`replace_dir`] may write it: it is absent, or
/// a directory holding [`OUTPUT_MARKER`]. For checking before other writes
/// that belong with it.
pub fn replaceable(dir: &Path) -> Result<bool, WriteDirError> {
    match std::fs::symlink_metadata(dir) {
        Ok(metadata) if metadata.is_dir() && dir.join(OUTPUT_MARKER).is_file() => Ok(true),
        Ok(_) => Err(WriteDirError::NotOurs { path: shown(dir) }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(WriteDirError::Io { action: "look at", path: shown(dir), error }),
    }
}

/// Writes `files` (relative paths and contents) as the directory `dir`, all
/// at once: into a fresh directory beside `dir`, which then takes its
/// place, so `dir` holds either the previous files or the new ones, never a
/// mix. Only a directory this wrote before (it holds [`OUTPUT_MARKER`]) is
/// replaced: nothing else is ever touched.
pub fn replace_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), WriteDirError> {
    let io = |action: &'static str, path: &Path| {
        let path = shown(path);
        move |error: io::Error| WriteDirError::Io { action, path, error }
    };
    let exists = replaceable(dir)?;
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".paddock-out-")
        .tempdir_in(parent)
        .map_err(io("create a directory in", parent))?;
    let marker = staging.path().join(OUTPUT_MARKER);
    std::fs::write(&marker, "written by paddock; paddock replaces this directory whole\n")
        .map_err(io("write", &marker))?;
    for (path, contents) in files {
        // Paths can come from plugins: only plain relative ones, so nothing
        // lands outside the directory.
        let relative = Path::new(path);
        if path.is_empty() || !relative.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
            return Err(WriteDirError::BadPath { path: crate::sanitize::for_terminal(path, 200) });
        }
        let target = staging.path().join(relative);
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder).map_err(io("create", folder))?;
        }
        std::fs::write(&target, contents).map_err(io("write", &target))?;
    }
    if exists {
        let old = tempfile::Builder::new()
            .prefix(".paddock-old-")
            .tempdir_in(parent)
            .map_err(io("create a directory in", parent))?;
        std::fs::rename(dir, old.path().join("previous")).map_err(io("move aside", dir))?;
        // `old` removes the previous files when dropped.
    }
    std::fs::rename(staging.keep(), dir).map_err(io("put the files at", dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names_round_trip() {
        let name = unique_name("x.zip", "partial");
        assert_eq!(writer_pid(&name, "partial"), Some(std::process::id()));
        assert_eq!(writer_pid(".x.zip.12-3.partial", "partial"), Some(12));
        assert_eq!(writer_pid("x.zip", "partial"), None);
        assert_eq!(writer_pid(".x.zip.12-3.partial", "tmp"), None);
        assert!(!writer_is_gone(std::process::id()));
    }

    #[test]
    fn a_dropped_partial_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let partial = PartialFile::create(dir.path(), &unique_name("a", "partial")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(partial);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn reads_refuse_what_is_not_a_regular_file_and_stop_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 100]).unwrap();
        assert!(matches!(read_regular_capped(&big, 99), Err(ReadError::TooLarge { limit: 99 })));
        assert_eq!(read_regular_capped(&big, 100).unwrap().len(), 100);
        assert!(matches!(read_regular_capped(dir.path(), 10), Err(ReadError::NotRegular { .. })));
        assert!(matches!(read_regular_capped(Path::new("/dev/zero"), 10), Err(ReadError::NotRegular { .. })));
    }
}
