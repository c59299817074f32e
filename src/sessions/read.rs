//! The one reader of status files' bytes, for the local folder and a remote's poll alike:
//! regular files only, opened without blocking (a FIFO never hangs a reader), at most
//! [`MAX_FILE_BYTES`] each; then a UTF-8 BOM is dropped and the stream parser reads them,
//! every problem naming its file.

use super::fields::{MESSAGE_CHARS, seconds, text_chars};
use super::model::StatusFile;
use super::status::Status;
use super::stream::{Parsed, parse_stream};
use std::io;
use std::path::Path;

/// A status file past this size is skipped: no real one comes near it.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a status file's bytes were not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, a device, a directory, a socket (or a symlink to one).
    #[error("not a regular file, skipped")]
    NotRegular,
    #[error("larger than 1 MiB, skipped")]
    TooLarge,
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => e,
            ReadError::NotRegular => io::Error::new(io::ErrorKind::Unsupported, e),
            ReadError::TooLarge => io::Error::new(io::ErrorKind::FileTooLarge, e),
        }
    }
}

/// The bytes of the status file at `path` (a symlink to a regular file is fine).
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    match crate::files::read_regular(path, MAX_FILE_BYTES) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(ReadError::Io(io::Error::from(io::ErrorKind::NotFound))),
        Err(e) if e.kind() == io::ErrorKind::Unsupported => Err(ReadError::NotRegular),
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => Err(ReadError::TooLarge),
        Err(e) => Err(ReadError::Io(e)),
    }
}

fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// Every status file of one stream of a file's bytes, each remembering `name` as its
/// source; problems are prefixed with the name.
pub fn parse_file(name: &str, bytes: &[u8]) -> Parsed {
    let shown = crate::text::sanitize_line(name);
    let mut parsed = parse_stream(without_bom(bytes));
    if parsed.files.is_empty() && parsed.errors.is_empty() {
        parsed.errors.push("empty file".into());
    }
    for f in &mut parsed.files {
        f.source = Some(name.to_string());
    }
    for e in &mut parsed.errors {
        *e = format!("{shown}: {e}");
    }
    parsed
}

/// Parses what was read of each file of a folder, in order. A file gone since it was
/// listed is no problem: its session just ended.
pub fn parse_files<B: AsRef<[u8]>>(files: impl IntoIterator<Item = (String, Result<B, ReadError>)>) -> Parsed {
    let mut out = Parsed::default();
    for (name, read) in files {
        match read {
            Ok(bytes) => {
                let parsed = parse_file(&name, bytes.as_ref());
                out.files.extend(parsed.files);
                out.errors.extend(parsed.errors);
            }
            Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => out.errors.push(format!("{}: {e}", crate::text::sanitize_line(&name))),
        }
    }
    out
}

/// The fields a status line needs of one session's file: name, status, timestamp, message.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub tmux_session: String,
    pub status: Status,
    pub timestamp: Option<i64>,
    pub message: Option<String>,
}

impl From<&StatusFile> for Head {
    fn from(f: &StatusFile) -> Self {
        Head {
            tmux_session: f.tmux_session.clone(),
            status: f.status.clone(),
            timestamp: f.timestamp,
            message: f.message.clone(),
        }
    }
}

/// The file's [`Head`], skipping everything else (metrics, tools): several times faster
/// than the whole model, which `navi status` in a status bar needs. Each value is read by
/// the model's own field readers, so it means what it means there. `None` when the bytes
/// are not one plain status object (a BOM aside): the caller then reads them with
/// [`parse_file`], which keeps what can be kept and says why.
pub fn parse_head(bytes: &[u8]) -> Option<Head> {
    #[derive(serde::Deserialize)]
    struct Raw {
        tmux_session: String,
        status: String,
        #[serde(default)]
        timestamp: Option<serde_json::Value>,
        #[serde(default)]
        message: Option<serde_json::Value>,
    }
    let raw: Raw = serde_json::from_slice(without_bom(bytes)).ok()?;
    Some(Head {
        tmux_session: raw.tmux_session,
        status: Status::parse(&raw.status),
        timestamp: raw.timestamp.as_ref().and_then(|v| seconds(v).value),
        message: raw.message.as_ref().and_then(|v| text_chars(v, MESSAGE_CHARS).value),
    })
}

/// One session's file: exactly one JSON object (after a BOM).
pub fn parse_one(bytes: &[u8]) -> Result<StatusFile, serde_json::Error> {
    serde_json::from_slice(without_bom(bytes))
}

#[cfg(test)]
pub(crate) mod tests;
