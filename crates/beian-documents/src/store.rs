//! Files stored outside the database under server-generated names.
//!
//! Layout: `ROOT/ab/ab…(32 hex).ext`, one sub-directory per first two hex digits of the name
//! (256 at most), so that no directory grows to millions of entries. A file is written as
//! `ROOT/ab/<name>.tmp`, fsync'd, renamed to `<name>`, and the directory fsync'd: after a crash a
//! name is either absent or complete. Leftover `*.tmp` files are removed by [`FileStore::open`].
//! On Unix, directories are created `0700` and files `0600`: the documents are identity papers.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::ImageFormat;

const TMP_SUFFIX: &str = ".tmp";
/// A temporary file this old is a leftover of an interrupted write, not one in flight.
pub const TMP_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Files stored outside the database under server-generated names.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// Create the directory if needed; remove leftover temporary files of an interrupted write
    /// (in the root and in the shard directories) once they are [`TMP_MAX_AGE`] old, so that
    /// several processes may share a root: a write takes milliseconds, and another process's
    /// write in flight is never that old.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<FileStore> {
        let root = root.into();
        create_dir(&root, true)?;
        sweep_tmp(&root)?;
        for entry in fs::read_dir(&root)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() && is_shard(&entry.file_name().to_string_lossy()) {
                sweep_tmp(&entry.path())?;
            }
        }
        Ok(FileStore { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Write crash-safely: random 128-bit hex name + "." + extension, written to a temp file in
    /// the same directory, fsync'd, renamed into place, directory fsync'd. Returns the name (never
    /// derived from user input).
    pub fn put(&self, bytes: &[u8], format: ImageFormat) -> io::Result<String> {
        let name = random_name(format)?;
        let dir = self.root.join(&name[..2]);
        if !dir.is_dir() {
            create_dir(&dir, false)?;
            // The new directory entry must be durable before a file in it is reported stored.
            sync_dir(&self.root)?;
        }
        let tmp = dir.join(format!("{name}{TMP_SUFFIX}"));
        let written = write_new(&tmp, bytes)
            .and_then(|()| fs::rename(&tmp, dir.join(&name)))
            .and_then(|()| sync_dir(&dir));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(name)
    }

    /// The path of a stored file (for streaming it), after the same check as [`read`](Self::read).
    pub fn path(&self, name: &str) -> io::Result<PathBuf> {
        if !is_stored_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a stored file name ([0-9a-f]{32}.(jpg|png|gif))",
            ));
        }
        Ok(self.root.join(&name[..2]).join(name))
    }

    /// Read a stored file; a name that is not of the form `[0-9a-f]{32}\.(jpg|png|gif)` is
    /// refused (InvalidInput) — no path traversal.
    pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(name)?)
    }

    /// Remove (used when the database write that would reference the file fails). Missing file =
    /// Ok. Not fsync'd: a removal lost in a crash leaves an orphan for the caller's sweep.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        match fs::remove_file(self.path(name)?) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Names of stored files, sorted (for an orphan sweep by the caller). Entries that are not
    /// stored files (temporary files, anything put there by hand) are skipped.
    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for shard in fs::read_dir(&self.root)? {
            let shard = shard?;
            let shard_name = shard.file_name().to_string_lossy().into_owned();
            if !is_shard(&shard_name) || !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(shard.path())? {
                let entry = entry?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                if is_stored_name(&name) && name.starts_with(&shard_name) {
                    names.push(name);
                }
            }
        }
        names.sort_unstable();
        Ok(names)
    }
}

/// `[0-9a-f]{32}\.(jpg|png|gif)`.
pub fn is_stored_name(name: &str) -> bool {
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 32
        && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && matches!(ext, "jpg" | "png" | "gif")
}

fn is_shard(name: &str) -> bool {
    name.len() == 2 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn random_name(format: ImageFormat) -> io::Result<String> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| io::Error::other(format!("getrandom: {e}")))?;
    Ok(format!("{}.{}", crate::hex(&id), format.extension()))
}

fn create_dir(dir: &Path, recursive: bool) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(recursive);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        // Another put created the shard in between.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other,
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Make a directory's entries durable (a rename or a new entry). A no-op where directories
/// cannot be opened as files (Windows).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

fn sweep_tmp(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let is_tmp = entry.file_name().to_string_lossy().ends_with(TMP_SUFFIX);
        let stale = || {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= TMP_MAX_AGE)
        };
        if is_tmp && entry.file_type()?.is_file() && stale() {
            match fs::remove_file(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}
