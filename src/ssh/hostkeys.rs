//! Host-key verification against known_hosts (plain, hashed and `[host]:port` entries),
//! under the three policies, and accepting a key (appending it to known_hosts).

use super::error::SshError;
use crate::config::HostKeyChecking;
use russh::keys::{Algorithm, HashAlg, PublicKey};
use std::path::{Path, PathBuf};

/// Who is being checked: enough to verify a key and to explain a refusal.
#[derive(Debug, Clone)]
pub struct HostCheck {
    pub remote: String,
    pub hop: String,
    pub host: String,
    pub port: u16,
    pub known_hosts: PathBuf,
    pub policy: HostKeyChecking,
}

/// `SHA256:...`, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The key as `type base64`, the second half of a known_hosts line.
fn openssh(key: &PublicKey) -> String {
    key.to_openssh().unwrap_or_default()
}

impl HostCheck {
    fn known_hosts_str(&self) -> String {
        self.known_hosts.display().to_string()
    }

    fn recorded(&self) -> Result<Vec<(usize, PublicKey)>, SshError> {
        russh::keys::known_hosts::known_host_keys_path(&self.host, self.port, &self.known_hosts)
            .map_err(|e| SshError::KnownHosts { known_hosts: self.known_hosts_str(), reason: e.to_string() })
    }

    /// The host-key algorithms recorded for this host, so the server is asked for a key we
    /// can check rather than one we have never seen.
    pub fn recorded_algorithms(&self) -> Vec<Algorithm> {
        let mut out: Vec<Algorithm> = Vec::new();
        for (_, key) in self.recorded().unwrap_or_default() {
            if !out.contains(&key.algorithm()) {
                out.push(key.algorithm());
            }
        }
        out
    }

    /// Accepts the key when known_hosts holds it; refuses a changed key always, and an
    /// unknown one unless the policy says otherwise (`accept-new` records it).
    pub fn verify(&self, key: &PublicKey) -> Result<(), SshError> {
        if self.policy == HostKeyChecking::Off {
            return Ok(());
        }
        let recorded = self.recorded()?;
        if recorded.iter().any(|(_, k)| k.key_data() == key.key_data()) {
            return Ok(());
        }
        if let Some((_, expected)) = recorded.iter().find(|(_, k)| k.algorithm() == key.algorithm()) {
            return Err(SshError::HostKeyChanged {
                remote: self.remote.clone(),
                hop: self.hop.clone(),
                host: self.host.clone(),
                port: self.port,
                expected: fingerprint(expected),
                actual: fingerprint(key),
                line: line_of(&self.known_hosts, expected),
                known_hosts: self.known_hosts_str(),
            });
        }
        if self.policy == HostKeyChecking::AcceptNew {
            return accept(&self.known_hosts, &self.host, self.port, &openssh(key))
                .map_err(|e| SshError::KnownHosts { known_hosts: self.known_hosts_str(), reason: e });
        }
        Err(SshError::UnknownHostKey {
            remote: self.remote.clone(),
            hop: self.hop.clone(),
            host: self.host.clone(),
            port: self.port,
            algorithm: key.algorithm().to_string(),
            fingerprint: fingerprint(key),
            openssh: openssh(key),
            known_hosts: self.known_hosts_str(),
        })
    }
}

/// The 1-based line of known_hosts that holds `key` (russh's own count skips comments).
fn line_of(path: &Path, key: &PublicKey) -> usize {
    let Ok(b64) = key.to_openssh().map(|s| s.split_whitespace().nth(1).unwrap_or_default().to_string()) else {
        return 0;
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.lines().position(|l| l.split_whitespace().any(|w| w == b64)))
        .map_or(0, |i| i + 1)
}

/// Appends `host`'s key (`openssh`: `type base64 [comment]`) to known_hosts, creating the
/// file and its folder when needed. Used by `accept-new` and by the dashboard's dialog
/// after an [`SshError::UnknownHostKey`].
pub fn accept(known_hosts: &Path, host: &str, port: u16, openssh: &str) -> Result<(), String> {
    use std::io::Write;
    let mut words = openssh.split_whitespace();
    let (Some(kind), Some(b64)) = (words.next(), words.next()) else {
        return Err(format!("not an OpenSSH public key: {openssh:?}"));
    };
    russh::keys::parse_public_key_base64(b64).map_err(|e| format!("not an OpenSSH public key: {e}"))?;
    let name = if port == 22 { host.to_string() } else { format!("[{host}]:{port}") };
    let existing = std::fs::read(known_hosts).unwrap_or_default();
    let sep = if existing.is_empty() || existing.ends_with(b"\n") { "" } else { "\n" };
    if let Some(dir) = known_hosts.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(known_hosts)
        .map_err(|e| format!("{}: {e}", known_hosts.display()))?;
    file.write_all(format!("{sep}{name} {kind} {b64}\n").as_bytes())
        .map_err(|e| format!("{}: {e}", known_hosts.display()))
}

/// Accepts the key an [`SshError::UnknownHostKey`] carries; `false` for any other error.
pub fn accept_error(err: &SshError) -> Result<bool, String> {
    match err {
        SshError::UnknownHostKey { host, port, openssh, known_hosts, .. } => {
            accept(Path::new(known_hosts), host, *port, openssh).map(|_| true)
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO161vl+wiHS37GxVGKxfF1HwuukAWxjJ2fqO7sSJLLj";
    const OTHER: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB/KgXE3d9N9NL38T/dAvwSGfV61EvLx4/Njw8XR1t7O";

    fn key(s: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(s.split_whitespace().nth(1).unwrap()).unwrap()
    }

    fn check(dir: &Path, policy: HostKeyChecking, port: u16) -> HostCheck {
        HostCheck {
            remote: "r".into(),
            hop: "remote r".into(),
            host: "h.example".into(),
            port,
            known_hosts: dir.join("kh"),
            policy,
        }
    }

    #[test]
    fn plain_port_and_changed_entries() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("kh"), format!("# comment\nh.example {KEY}\n[h.example]:2222 {OTHER}\n")).unwrap();
        let c22 = check(d.path(), HostKeyChecking::Strict, 22);
        c22.verify(&key(KEY)).unwrap();
        let c2222 = check(d.path(), HostKeyChecking::Strict, 2222);
        c2222.verify(&key(OTHER)).unwrap();
        match c22.verify(&key(OTHER)) {
            Err(SshError::HostKeyChanged { expected, actual, line, .. }) => {
                assert_eq!(expected, fingerprint(&key(KEY)));
                assert_eq!(actual, fingerprint(&key(OTHER)));
                assert_eq!(line, 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_under_each_policy() {
        let d = tempfile::tempdir().unwrap();
        let strict = check(d.path(), HostKeyChecking::Strict, 2200);
        let err = strict.verify(&key(KEY)).unwrap_err();
        assert!(matches!(err, SshError::UnknownHostKey { .. }), "{err:?}");
        assert!(err.to_string().contains(&fingerprint(&key(KEY))));
        check(d.path(), HostKeyChecking::Off, 2200).verify(&key(KEY)).unwrap();
        assert!(!d.path().join("kh").exists());
        assert!(accept_error(&err).unwrap());
        strict.verify(&key(KEY)).unwrap();
        let text = std::fs::read_to_string(d.path().join("kh")).unwrap();
        assert!(text.starts_with("[h.example]:2200 ssh-ed25519 "), "{text}");
        let d2 = tempfile::tempdir().unwrap();
        check(d2.path(), HostKeyChecking::AcceptNew, 2200).verify(&key(KEY)).unwrap();
        check(d2.path(), HostKeyChecking::Strict, 2200).verify(&key(KEY)).unwrap();
    }

    #[test]
    fn hashed_entries_match() {
        // `ssh-keygen -H` output for "[h.example]:2200".
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("kh"), format!("[h.example]:2200 {KEY}\n")).unwrap();
        let out = std::process::Command::new("ssh-keygen").arg("-H").arg("-f").arg(d.path().join("kh")).output();
        if let Ok(out) = out {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let text = std::fs::read_to_string(d.path().join("kh")).unwrap();
            assert!(text.starts_with("|1|"), "{text}");
            check(d.path(), HostKeyChecking::Strict, 2200).verify(&key(KEY)).unwrap();
        } else {
            panic!("ssh-keygen is required: install openssh-client");
        }
    }
}
