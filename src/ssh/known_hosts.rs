//! Reading and appending known_hosts the way OpenSSH does: plain, wildcard, negated,
//! `[host]:port` and hashed (`|1|salt|hash`) patterns, host names compared in lower case,
//! `@revoked` lines, and appends serialised (a process-wide lock plus `flock`) so parallel
//! first connections record a key once.

use russh::keys::ssh_encoding::base64::{Base64, Encoding};
use russh::keys::{PublicKey, parse_public_key_base64};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// One usable line of known_hosts.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 1-based, counting every line of the file.
    pub line: usize,
    pub revoked: bool,
    /// Whether the line's patterns name the host being checked.
    pub matches: bool,
    pub key: PublicKey,
}

/// The name known_hosts records for `host` on `port`, lower-cased as OpenSSH does.
pub fn host_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 { host } else { format!("[{host}]:{port}") }
}

/// Every key line of `path`, with whether it names `host`:`port`. A missing file has no
/// entries; any other read failure is an error (an unreadable file is not an empty one).
pub fn entries(path: &Path, host: &str, port: u16) -> std::io::Result<Vec<Entry>> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(parse(&text, &host_name(host, port)))
}

fn parse(text: &str, name: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace().peekable();
        let mut revoked = false;
        match words.peek() {
            None => continue,
            Some(w) if w.starts_with('#') => continue,
            Some(&"@revoked") => {
                revoked = true;
                words.next();
            }
            // `@cert-authority` and markers we do not know: not a host key.
            Some(w) if w.starts_with('@') => continue,
            Some(_) => {}
        }
        let (Some(patterns), Some(_kind), Some(b64)) = (words.next(), words.next(), words.next()) else { continue };
        // OpenSSH skips a line it cannot parse, too.
        let Ok(key) = parse_public_key_base64(b64) else { continue };
        out.push(Entry { line: i + 1, revoked, matches: patterns_match(patterns, name), key });
    }
    out
}

/// OpenSSH's pattern list: any positive match, and no negated (`!pat`) one.
fn patterns_match(list: &str, name: &str) -> bool {
    let mut hit = false;
    for pat in list.split(',') {
        if let Some(neg) = pat.strip_prefix('!') {
            if glob(&neg.to_ascii_lowercase(), name) {
                return false;
            }
        } else if pat.starts_with("|1|") {
            hit |= hashed_match(pat, name);
        } else {
            hit |= glob(&pat.to_ascii_lowercase(), name);
        }
    }
    hit
}

fn hashed_match(pat: &str, name: &str) -> bool {
    let mut parts = pat.split('|').skip(2);
    let (Some(salt), Some(hash)) = (parts.next(), parts.next()) else { return false };
    let (Ok(salt), Ok(hash)) = (Base64::decode_vec(salt), Base64::decode_vec(hash)) else { return false };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &salt);
    ring::hmac::verify(&key, name.as_bytes(), &hash).is_ok()
}

/// `*` and `?` wildcards, as in OpenSSH's `match_pattern`.
fn glob(pat: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((b'?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pat.as_bytes(), name.as_bytes())
}

/// Serialises appends within this process; `flock` covers other processes.
static APPEND: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Appends `name kind b64` unless the file (re-read under the lock) already holds that key
/// for that host, creating the file and its folder when needed.
pub fn append(path: &Path, host: &str, port: u16, kind: &str, b64: &str) -> std::io::Result<()> {
    let _in_process = APPEND.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().create(true).read(true).append(true).open(path)?;
    file.lock()?;
    let mut existing = Vec::new();
    file.rewind()?;
    file.read_to_end(&mut existing)?;
    let name = host_name(host, port);
    let wanted = parse_public_key_base64(b64).map_err(|e| std::io::Error::other(e.to_string()))?;
    let text = String::from_utf8_lossy(&existing);
    if parse(&text, &name).iter().any(|e| e.matches && !e.revoked && e.key.key_data() == wanted.key_data()) {
        return Ok(());
    }
    let sep = if existing.is_empty() || existing.ends_with(b"\n") { "" } else { "\n" };
    file.write_all(format!("{sep}{name} {kind} {b64}\n").as_bytes())
    // The lock goes with the file.
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIO161vl+wiHS37GxVGKxfF1HwuukAWxjJ2fqO7sSJLLj";

    #[test]
    fn patterns_case_wildcards_negation_and_markers() {
        let text = format!(
            "# c\n\nH.Example ssh-ed25519 {KEY}\n*.wild,!no.wild ssh-ed25519 {KEY}\n\
             @revoked bad.example ssh-ed25519 {KEY}\n@cert-authority *.example ssh-ed25519 {KEY}\n\
             [h.example]:2222\tssh-ed25519   {KEY} comment\nbroken.example ssh-ed25519 notbase64\n"
        );
        let hits = |name: &str| -> Vec<(usize, bool)> {
            parse(&text, name).into_iter().filter(|e| e.matches).map(|e| (e.line, e.revoked)).collect()
        };
        assert_eq!(hits(&host_name("h.EXAMPLE", 22)), [(3, false)]);
        assert_eq!(hits(&host_name("a.wild", 22)), [(4, false)]);
        assert_eq!(hits(&host_name("no.wild", 22)), []);
        assert_eq!(hits(&host_name("bad.example", 22)), [(5, true)]);
        assert_eq!(hits(&host_name("h.example", 2222)), [(7, false)]);
        assert_eq!(hits(&host_name("broken.example", 22)), []);
    }

    #[test]
    fn unreadable_file_is_an_error_missing_is_empty() {
        let d = tempfile::tempdir().unwrap();
        assert!(entries(&d.path().join("none"), "h", 22).unwrap().is_empty());
        // A folder where the file should be cannot be read.
        assert!(entries(d.path(), "h", 22).is_err());
    }

    #[test]
    fn parallel_appends_record_a_key_once() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("sub/kh");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || append(&path, "H", 2200, "ssh-ed25519", KEY).unwrap())
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("[h]:2200 ssh-ed25519 {KEY}\n"));
    }
}
