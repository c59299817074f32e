//! Bounded reads of files anyone may have tampered with (configuration, state): only
//! regular files, opened without blocking (a FIFO never hangs us) and read up to a limit
//! (a symlink to /dev/zero never fills memory).

use rustix::fs::{Mode, OFlags};
use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, Instant};

/// Reads at most `max` bytes of the regular file at `path`. `Ok(None)`: there is no file.
/// Anything else (a FIFO, a device, a folder, a larger file) is an error that says so.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    let fd = match rustix::fs::open(path, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let file = std::fs::File::from(fd);
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(max) as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(io::ErrorKind::FileTooLarge, format!("larger than {}", size(max))));
    }
    Ok(Some(bytes))
}

/// [`read_regular`] as UTF-8 text (a leading BOM removed).
pub fn read_text(path: &Path, max: u64) -> io::Result<Option<String>> {
    let Some(bytes) = read_regular(path, max)? else { return Ok(None) };
    let text = String::from_utf8(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))?;
    Ok(Some(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text)))
}

/// Opens (creating it) the lock file at `path` without following a symlink there, and
/// takes its exclusive lock, waiting at most `wait` for another holder to let go.
pub fn lock(path: &Path, wait: Duration) -> io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::from_raw_mode(0o644)).map_err(|e| {
        let why = if e == rustix::io::Errno::LOOP { "a symlink".to_string() } else { e.to_string() };
        io::Error::new(io::Error::from(e).kind(), format!("cannot use {} as a lock: {why}", path.display()))
    })?;
    let file = std::fs::File::from(fd);
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot use {} as a lock: not a regular file", path.display()),
        ));
    }
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} is held by another process for {} s", path.display(), wait.as_secs_f32()),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// `1 MiB`, `64 KiB`, `12 bytes`.
pub fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_only_and_bounded() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a");
        std::fs::write(&f, "\u{feff}hello").unwrap();
        assert_eq!(read_text(&f, 100).unwrap().as_deref(), Some("hello"));
        assert_eq!(read_regular(&d.path().join("none"), 100).unwrap(), None);
        let e = read_regular(&f, 4).unwrap_err();
        assert!(e.to_string().contains("larger than 4 bytes"), "{e}");
        let fifo = d.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(read_regular(&fifo, 100).unwrap_err().to_string().contains("not a regular file"));
        let zero = d.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(read_regular(&zero, 100).unwrap_err().to_string().contains("not a regular file"));
        assert!(read_regular(d.path(), 100).is_err());
    }

    #[test]
    fn locks_refuse_symlinks_and_fifos_and_wait_a_bounded_time() {
        let d = tempfile::tempdir().unwrap();
        let link = d.path().join("link.lock");
        std::os::unix::fs::symlink(d.path().join("elsewhere"), &link).unwrap();
        assert!(lock(&link, Duration::ZERO).unwrap_err().to_string().contains("a symlink"));
        assert!(!d.path().join("elsewhere").exists(), "nothing created behind the link");
        let fifo = d.path().join("fifo.lock");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(lock(&fifo, Duration::ZERO).is_err());
        let path = d.path().join("sub/ok.lock");
        let held = lock(&path, Duration::ZERO).unwrap();
        let e = lock(&path, Duration::from_millis(20)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        drop(held);
        lock(&path, Duration::ZERO).unwrap();
    }
}
