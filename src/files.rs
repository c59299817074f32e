//! Bounded reads of files anyone may have tampered with (configuration, state): only
//! regular files, opened without blocking (a FIFO never hangs us) and read up to a limit
//! (a symlink to /dev/zero never fills memory).

use rustix::fs::{Mode, OFlags};
use std::io::{self, Read};
use std::path::Path;

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
        return Err(io::Error::new(io::ErrorKind::Unsupported, "not a regular file"));
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

/// Appends `line` (made one clean line) to the log at `path`, after a Unix time; past
/// 1 MiB the log moves to `<path>.1` first. Best effort: a log must never fail its caller.
pub fn append_log(path: &Path, line: &str) {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.len() > 1 << 20) {
        let mut old = path.as_os_str().to_owned();
        old.push(".1");
        let _ = std::fs::rename(path, old);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{} {}", crate::text::now_unix(), crate::text::sanitize_line(line));
    }
}

/// `1 MiB`, `64 KiB`, `12 bytes`.
pub fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
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
}
