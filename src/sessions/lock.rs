//! The folder lock that serialises read-modify-write cycles between navi processes (every
//! hook run, the dashboard's actions). Its file is opened without following a symlink and
//! without blocking, must be a regular file, and is waited for only so long: a stuck
//! holder or a planted FIFO makes callers fail with a clear error, never hang.

use rustix::fs::{Mode, OFlags};
use std::fs::{self, File, TryLockError};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// The lock file's name inside the sessions folder.
pub const LOCK_FILE: &str = ".navi.lock";

/// How long [`super::store::Store::lock`] waits for another holder.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// Held while a read-modify-write is in progress; unlocks on drop.
pub struct FolderLock {
    _file: File,
}

/// Locks `dir` (created if missing), waiting at most `wait` for another holder.
pub fn lock_dir(dir: &Path, wait: Duration) -> io::Result<FolderLock> {
    fs::create_dir_all(dir)?;
    let path = dir.join(LOCK_FILE);
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(&path, flags, Mode::from_raw_mode(0o644)).map_err(|e| {
        let why = match e {
            rustix::io::Errno::LOOP => "is a symbolic link, which navi does not follow".to_string(),
            rustix::io::Errno::NXIO => "is not a regular file".to_string(),
            e => io::Error::from(e).to_string(),
        };
        io::Error::new(io::ErrorKind::InvalidInput, format!("lock file {}: {why}", path.display()))
    })?;
    let file = File::from(fd);
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("lock file {}: is not a regular file", path.display()),
        ));
    }
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(FolderLock { _file: file }),
            Err(TryLockError::Error(e)) => return Err(e),
            Err(TryLockError::WouldBlock) => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("another navi process has held the lock on {} for {} s", path.display(), wait.as_secs_f32()),
            ));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_second_holder_waits_then_gives_up_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_dir(dir.path(), Duration::ZERO).unwrap();
        let e = lock_dir(dir.path(), Duration::from_millis(50)).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains("another navi process has held the lock on"), "{e}");
        drop(held);
        lock_dir(dir.path(), Duration::ZERO).unwrap();
    }

    #[test]
    fn a_symlink_at_the_lock_path_is_refused_and_nothing_is_created_outside() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("planted");
        symlink(&target, dir.path().join(LOCK_FILE)).unwrap();
        let e = lock_dir(dir.path(), Duration::ZERO).err().unwrap();
        assert!(e.to_string().contains(LOCK_FILE) && e.to_string().contains("symbolic link"), "{e}");
        assert!(!target.exists(), "no file created through the link");
    }

    #[test]
    fn a_fifo_or_a_directory_at_the_lock_path_is_refused_at_once() {
        for make in ["fifo", "dir"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(LOCK_FILE);
            if make == "fifo" {
                crate::sessions::read::tests::mkfifo(&path);
            } else {
                fs::create_dir(&path).unwrap();
            }
            let e = lock_dir(dir.path(), Duration::from_secs(60)).err().unwrap();
            assert!(e.to_string().contains(LOCK_FILE), "{make}: {e}");
        }
    }
}
