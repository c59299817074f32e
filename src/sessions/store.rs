//! The local status-file folder: atomic writes, reads through the stream parser, and a
//! folder lock that serialises read-modify-write cycles between concurrent hook runs.

use super::model::StatusFile;
use super::stream::{Parsed, parse_stream};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temp file in the same folder, synced, renamed.
/// Readers see the old content or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".navi-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Checks that a tmux session name can be a file name in the folder: not empty, no `/`
/// or NUL, and not `.`/`..`.
pub fn file_name_for(session: &str) -> Result<String, String> {
    if session.is_empty() {
        return Err("session name is empty".into());
    }
    if session.contains('/') || session.contains('\0') || session == "." || session == ".." {
        return Err(format!("session name {session:?} cannot be a status file name"));
    }
    Ok(format!("{session}.json"))
}

/// A folder of `<tmux session>.json` files.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// Held while a read-modify-write is in progress; unlocks on drop.
pub struct FolderLock {
    _file: File,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_for(&self, session: &str) -> io::Result<PathBuf> {
        let name = file_name_for(session).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Ok(self.dir.join(name))
    }

    /// Every status file in the folder. A missing folder holds no sessions. Problems come
    /// back as messages naming the file; the other files are still read.
    pub fn read_all(&self) -> Parsed {
        let mut out = Parsed::default();
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return out,
            Err(e) => {
                out.errors.push(format!("{}: {e}", self.dir.display()));
                return out;
            }
        };
        let mut paths: Vec<PathBuf> =
            entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| is_status_file(p)).collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match fs::read(&path) {
                Ok(bytes) => {
                    let parsed = parse_stream(&bytes);
                    if parsed.files.is_empty() && parsed.errors.is_empty() {
                        out.errors.push(format!("{name}: empty file"));
                    }
                    out.files.extend(parsed.files);
                    out.errors.extend(parsed.errors.into_iter().map(|e| format!("{name}: {e}")));
                }
                // Removed between listing and reading: the session just went away.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => out.errors.push(format!("{name}: {e}")),
            }
        }
        out
    }

    /// The status file of one session; `Ok(None)` when there is none.
    pub fn read(&self, session: &str) -> io::Result<Option<StatusFile>> {
        let path = self.path_for(session)?;
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
    }

    pub fn write(&self, file: &StatusFile) -> io::Result<()> {
        write_atomic(&self.path_for(&file.tmux_session)?, &file.to_json())
    }

    /// Removes a session's file; a file that is already gone is fine.
    pub fn remove(&self, session: &str) -> io::Result<()> {
        match fs::remove_file(self.path_for(session)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Locks the folder against other navi processes doing a read-modify-write.
    pub fn lock(&self) -> io::Result<FolderLock> {
        fs::create_dir_all(&self.dir)?;
        let file = fs::OpenOptions::new().create(true).truncate(false).write(true).open(self.dir.join(".navi.lock"))?;
        file.lock()?;
        Ok(FolderLock { _file: file })
    }
}

fn is_status_file(p: &Path) -> bool {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.ends_with(".json") && !name.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::Status;

    #[test]
    fn write_read_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("sessions"));
        let mut f = StatusFile::new("my app", Status::Done);
        f.message = Some("hi".into());
        store.write(&f).unwrap();
        assert_eq!(store.read("my app").unwrap(), Some(f.clone()));
        let all = store.read_all();
        assert_eq!(all.files, vec![f]);
        store.remove("my app").unwrap();
        store.remove("my app").unwrap();
        assert_eq!(store.read("my app").unwrap(), None);
        let leftovers: Vec<_> = fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn bad_files_are_reported_by_name_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.write(&StatusFile::new("good", Status::Working)).unwrap();
        fs::write(dir.path().join("empty.json"), "").unwrap();
        fs::write(dir.path().join("broken.json"), "{\"tmux_session\":").unwrap();
        fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        fs::write(dir.path().join(".navi-x.tmp"), "ignored").unwrap();
        let all = store.read_all();
        assert_eq!(all.files.len(), 1);
        assert_eq!(all.errors.len(), 2, "{:?}", all.errors);
        assert!(all.errors.iter().any(|e| e.starts_with("broken.json:")));
        assert!(all.errors.iter().any(|e| e.starts_with("empty.json:")));
    }

    #[test]
    fn names_that_escape_the_folder_are_refused() {
        let store = Store::new("/tmp/x");
        for bad in ["", "a/b", "..", ".", "a\0b"] {
            assert!(store.path_for(bad).is_err(), "{bad:?}");
        }
        assert!(store.path_for("-x $(y) 'z'").is_ok());
    }

    #[test]
    fn missing_folder_is_empty() {
        let all = Store::new("/nonexistent/navi/test").read_all();
        assert!(all.files.is_empty() && all.errors.is_empty());
    }
}
