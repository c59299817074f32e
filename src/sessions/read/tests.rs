use super::*;
use std::os::unix::fs::symlink;

/// Makes a FIFO at `path` (for the tests of every reader that must not block on one).
pub(crate) fn mkfifo(path: &Path) {
    assert!(std::process::Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.json");
    mkfifo(&path);
    assert!(matches!(read_bounded(&path), Err(ReadError::NotRegular)));
}

#[test]
fn a_symlink_to_a_device_is_refused_and_to_a_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    symlink("/dev/zero", dir.path().join("zero.json")).unwrap();
    assert!(matches!(read_bounded(&dir.path().join("zero.json")), Err(ReadError::NotRegular)));
    std::fs::write(dir.path().join("real"), "{}").unwrap();
    symlink(dir.path().join("real"), dir.path().join("link.json")).unwrap();
    assert_eq!(read_bounded(&dir.path().join("link.json")).unwrap(), b"{}");
    assert!(matches!(read_bounded(dir.path()), Err(ReadError::NotRegular)), "a directory");
}

#[test]
fn a_file_past_the_bound_is_refused_and_one_at_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    std::fs::write(&path, vec![b' '; MAX_FILE_BYTES as usize + 1]).unwrap();
    assert!(matches!(read_bounded(&path), Err(ReadError::TooLarge)));
    std::fs::write(&path, vec![b' '; MAX_FILE_BYTES as usize]).unwrap();
    assert_eq!(read_bounded(&path).unwrap().len(), MAX_FILE_BYTES as usize);
    let e = io::Error::from(ReadError::TooLarge);
    assert_eq!((e.kind(), e.to_string()), (io::ErrorKind::FileTooLarge, "larger than 1 MiB, skipped".into()));
}

#[test]
fn a_bom_is_dropped() {
    let json = b"\xEF\xBB\xBF{\"tmux_session\":\"a\",\"status\":\"done\"}";
    let p = parse_file("a.json", json);
    assert_eq!(p.files.len(), 1, "{:?}", p.errors);
    assert_eq!(p.files[0].source.as_deref(), Some("a.json"));
    assert_eq!(parse_one(json).unwrap().tmux_session, "a");
}

#[test]
fn problems_name_their_file_and_the_rest_is_kept() {
    let files: Vec<(String, Result<&[u8], ReadError>)> = vec![
        ("x.json".into(), Err(ReadError::NotRegular)),
        ("big.json".into(), Err(ReadError::TooLarge)),
        ("gone.json".into(), Err(ReadError::Io(io::ErrorKind::NotFound.into()))),
        ("empty.json".into(), Ok(&b""[..])),
        ("ok.json".into(), Ok(&br#"{"tmux_session":"ok","status":"idle"}"#[..])),
        ("bad\u{1b}[31m.json".into(), Ok(&b"{"[..])),
    ];
    let p = parse_files(files);
    assert_eq!(p.files.len(), 1);
    assert_eq!(p.files[0].source.as_deref(), Some("ok.json"));
    assert_eq!(
        p.errors,
        [
            "x.json: not a regular file, skipped",
            "big.json: larger than 1 MiB, skipped",
            "empty.json: empty file",
            "bad.json: truncated object at byte 0",
        ]
    );
}
