//! `put` and `get` as POSIX `sh` scripts (the same for every host): put writes a temp file
//! beside the target and renames it over, so a reader never sees half a file; get refuses
//! what is not a regular file and reads at most the asked bound.

use super::oneshot::Ran;
use crate::backend::shell::quote;
use base64::Engine as _;
use serde::Serialize;
use std::time::Duration;

/// The most `put` writes and `get` reads.
pub const MAX_FILE: u64 = 8 << 20;
/// `get` without `max_bytes`.
pub const DEFAULT_GET: u64 = 1 << 20;
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Serialize)]
pub struct Put {
    pub hostname: String,
    pub path: String,
    pub bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct Got {
    pub hostname: String,
    pub path: String,
    pub bytes: u64,
    /// `utf8` when the file is text, else `base64`.
    pub encoding: &'static str,
    pub content: String,
}

/// `path` as one shell word: `~` and `~/…` in the host user's home, others as given.
fn checked_path(path: &str) -> Result<String, String> {
    if path.is_empty() || path.contains('\0') {
        return Err("`path` must be a non-empty path without NUL bytes".into());
    }
    Ok(if path == "~" || path.starts_with("~/") {
        crate::backend::shell::path(path)
    } else if path.starts_with('/') {
        quote(path)
    } else {
        // Relative paths get "./", so a name starting with "-" is never an option.
        quote(&format!("./{path}"))
    })
}

/// `mode` from octal text ("644", "0755").
pub fn parse_mode(mode: Option<&str>) -> Result<u32, String> {
    let m = mode.unwrap_or("644");
    let ok = (3..=4).contains(&m.len()) && m.bytes().all(|b| (b'0'..=b'7').contains(&b));
    ok.then(|| u32::from_str_radix(m, 8).ok())
        .flatten()
        .ok_or_else(|| format!("`mode` {m:?} is not an octal mode such as \"644\""))
}

pub fn put_script(path: &str, mode: u32) -> Result<String, String> {
    let p = checked_path(path)?;
    Ok(format!(
        "p={p}; d=\"${{p%/*}}\"; [ -n \"$d\" ] || d=/\n\
         if [ -d \"$p\" ]; then echo \"is a directory: $p\" >&2; exit 2; fi\n\
         if [ ! -d \"$d\" ]; then echo \"no such directory: $d\" >&2; exit 2; fi\n\
         t=$(mktemp \"$d/.navi-put.XXXXXX\") || exit 2\n\
         trap 'rm -f \"$t\"' EXIT\n\
         cat >\"$t\" && chmod {mode:o} \"$t\" && mv -f \"$t\" \"$p\" || exit 2\n\
         trap - EXIT\n"
    ))
}

pub fn get_script(path: &str, max_bytes: u64) -> Result<String, String> {
    let p = checked_path(path)?;
    let max = max_bytes.min(MAX_FILE);
    Ok(format!(
        "p={p}\n\
         if [ ! -e \"$p\" ]; then echo \"no such file: $p\" >&2; exit 2; fi\n\
         if [ ! -f \"$p\" ]; then echo \"not a regular file: $p\" >&2; exit 2; fi\n\
         if [ ! -r \"$p\" ]; then echo \"permission denied: $p\" >&2; exit 2; fi\n\
         n=$(wc -c <\"$p\") || exit 2; n=$((n + 0))\n\
         if [ \"$n\" -gt {max} ]; then echo \"the file has $n bytes, more than max_bytes ({max})\" >&2; exit 3; fi\n\
         head -c {max} <\"$p\"\n"
    ))
}

/// A script's failure as its first line of stderr.
pub fn checked(r: &Ran) -> Result<(), String> {
    if r.status == Some(0) {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&r.stderr);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("failed").to_string();
    Err(match r.status {
        Some(_) => first,
        None => format!("killed: {first}"),
    })
}

pub fn got(host: &str, path: &str, data: Vec<u8>) -> Got {
    let bytes = data.len() as u64;
    let (encoding, content) = match String::from_utf8(data) {
        Ok(text) => ("utf8", text),
        Err(e) => ("base64", base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
    };
    Got { hostname: host.to_string(), path: path.to_string(), bytes, encoding, content }
}

/// `content` as bytes: text as it is, or base64.
pub fn decode(content: &str, encoding: Option<&str>) -> Result<Vec<u8>, String> {
    let bytes = match encoding.unwrap_or("utf8") {
        "utf8" => content.as_bytes().to_vec(),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(content.trim())
            .map_err(|e| format!("`content` is not base64: {e}"))?,
        other => return Err(format!("`encoding` {other:?}: use \"utf8\" or \"base64\"")),
    };
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("the file is larger than {MAX_FILE} bytes"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_paths_are_checked() {
        assert_eq!(parse_mode(None), Ok(0o644));
        assert_eq!(parse_mode(Some("0755")), Ok(0o755));
        for bad in ["9", "64", "rwx", "12345", "-644"] {
            assert!(parse_mode(Some(bad)).is_err(), "{bad}");
        }
        assert!(put_script("", 0o644).is_err() && get_script("a\0b", 10).is_err());
        assert!(put_script("-rf", 0o644).unwrap().starts_with("p=./-rf;"));
        assert_eq!(decode("aGk=", Some("base64")).unwrap(), b"hi");
        assert!(decode("hi", Some("latin1")).is_err());
        assert_eq!(got("h", "p", vec![0xff, 0]).encoding, "base64");
    }
}
