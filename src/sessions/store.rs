//! The local status-file folder: atomic writes, bounded reads through the shared reader
//! ([`super::read`]), and the folder lock ([`super::lock`]).

pub use super::lock::FolderLock;
use super::lock::{DEFAULT_WAIT, lock_dir};
use super::model::StatusFile;
use super::read::{Head, ReadError, parse_files, parse_head, parse_one, read_bounded};
use super::stream::Parsed;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temp file in the same folder, synced, renamed.
/// Readers see the old content or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_mode(path, bytes, 0o644)
}

/// [`write_atomic`] with the file's permission bits (`0o600` for private state).
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".navi-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
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
        match self.status_paths() {
            Ok(paths) => parse_files(paths.iter().map(|p| read_entry(p))),
            Err(e) => Parsed { files: Vec::new(), errors: vec![e] },
        }
    }

    /// The [`Head`] of every status file in the folder (see [`parse_head`]): what a status
    /// line needs, fast. A file the quick read cannot take is read whole, as by
    /// [`Store::read_all`], which reports its problems.
    pub fn read_heads(&self) -> (Vec<Head>, Vec<String>) {
        let paths = match self.status_paths() {
            Ok(paths) => paths,
            Err(e) => return (Vec::new(), vec![e]),
        };
        let mut heads = Vec::with_capacity(paths.len());
        let mut errors = Vec::new();
        for path in &paths {
            let (name, read) = read_entry(path);
            if let Some(head) = read.as_ref().ok().and_then(|b| parse_head(b)) {
                heads.push(head);
                continue;
            }
            let parsed = parse_files([(name, read)]);
            heads.extend(parsed.files.iter().map(Head::from));
            errors.extend(parsed.errors);
        }
        (heads, errors)
    }

    /// The status files' paths, sorted; none when the folder is missing.
    fn status_paths(&self) -> Result<Vec<PathBuf>, String> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", self.dir.display())),
        };
        let mut paths: Vec<PathBuf> =
            entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| is_status_file(p)).collect();
        // One folder: comparing whole paths as bytes orders by name, without splitting them.
        paths.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        Ok(paths)
    }

    /// The status file of one session; `Ok(None)` when there is none. A file that is not
    /// JSON, not an object or lacks `tmux_session`/`status` is `InvalidData`; one that is
    /// not a regular file is `Unsupported`, one past the size bound `FileTooLarge`.
    pub fn read(&self, session: &str) -> io::Result<Option<StatusFile>> {
        let path = self.path_for(session)?;
        let bytes = match read_bounded(&path).map_err(io::Error::from) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        };
        let mut file = parse_one(&bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))?;
        file.source = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(Some(file))
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

    /// Locks the folder against other navi processes doing a read-modify-write, waiting
    /// at most [`DEFAULT_WAIT`] for another holder.
    pub fn lock(&self) -> io::Result<FolderLock> {
        self.lock_within(DEFAULT_WAIT)
    }

    /// [`Store::lock`], waiting at most `wait`.
    pub fn lock_within(&self, wait: std::time::Duration) -> io::Result<FolderLock> {
        lock_dir(&self.dir, wait)
    }
}

/// A listed file's name and bytes.
fn read_entry(path: &Path) -> (String, Result<Vec<u8>, ReadError>) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let read = match read_bounded(path) {
        // A symlink to nothing: named, as a remote's poll names it, not taken for a file
        // removed since the folder was listed.
        Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::NotFound && path.is_symlink() => Err(ReadError::NotRegular),
        read => read,
    };
    (name, read)
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
        f.source = Some("my app.json".into());
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
    fn special_files_are_skipped_by_name_and_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.write(&StatusFile::new("good", Status::Working)).unwrap();
        crate::sessions::read::tests::mkfifo(&dir.path().join("x.json"));
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.json")).unwrap();
        std::os::unix::fs::symlink("/nowhere", dir.path().join("dangling.json")).unwrap();
        fs::write(dir.path().join("big.json"), vec![b' '; 2 << 20]).unwrap();
        let all = store.read_all();
        assert_eq!(all.files.len(), 1);
        assert_eq!(
            all.errors,
            [
                "big.json: larger than 1 MiB, skipped",
                "dangling.json: not a regular file, skipped",
                "x.json: not a regular file, skipped",
                "zero.json: not a regular file, skipped"
            ]
        );
        for (name, kind) in [("x", io::ErrorKind::Unsupported), ("zero", io::ErrorKind::Unsupported)] {
            let e = store.read(name).unwrap_err();
            assert_eq!(e.kind(), kind, "{name}: {e}");
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        assert_eq!(store.read("big").unwrap_err().kind(), io::ErrorKind::FileTooLarge);
        fs::write(dir.path().join("bad.json"), "{").unwrap();
        assert_eq!(store.read("bad").unwrap_err().kind(), io::ErrorKind::InvalidData);
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
    fn heads_say_what_the_whole_files_say() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut full = StatusFile::new("full", Status::Permission);
        full.timestamp = Some(7);
        full.message = Some("m".repeat(3000));
        full.metrics = serde_json::from_str(r#"{"tools": {"recent": ["Bash"], "counts": {"Bash": 2}}}"#).ok();
        Store::new(d).write(&full).unwrap();
        fs::write(d.join("bom.json"), "\u{feff}{\"tmux_session\":\"bom\",\"status\":\"waiting\"}").unwrap();
        let odd = r#"{"tmux_session":"odd","status":"zzz","timestamp":"12.5","message":{"x":1},"metrics":7}"#;
        fs::write(d.join("odd.json"), odd).unwrap();
        let float = r#"{"tmux_session":"float","status":"done","timestamp":3.9e1}"#;
        fs::write(d.join("float.json"), float).unwrap();
        // What the quick read does not take is read whole: two objects, a duplicate key.
        fs::write(d.join("two.json"), r#"{"tmux_session":"a","status":"done"}{"tmux_session":"b","status":"done"}"#)
            .unwrap();
        fs::write(d.join("dup.json"), r#"{"tmux_session":"x","status":"done","status":"error"}"#).unwrap();
        fs::write(d.join("broken.json"), "{").unwrap();
        fs::write(d.join("noname.json"), r#"{"status":"done"}"#).unwrap();
        let store = Store::new(d);
        let all = store.read_all();
        let (heads, errors) = store.read_heads();
        assert_eq!(heads, all.files.iter().map(Head::from).collect::<Vec<_>>());
        assert_eq!(errors, all.errors);
        assert_eq!(heads.len(), 7, "{heads:?}");
        assert_eq!(errors.len(), 2, "{errors:?}");
        let odd = heads.iter().find(|h| h.tmux_session == "odd").unwrap();
        assert_eq!((odd.timestamp, odd.message.as_deref()), (Some(12), None));
    }

    #[test]
    fn missing_folder_is_empty() {
        let all = Store::new("/nonexistent/navi/test").read_all();
        assert!(all.files.is_empty() && all.errors.is_empty());
    }
}
