//! Host-key verification against known_hosts (plain, hashed and `[host]:port` entries),
//! under the three policies (a revoked key, or one other than those recorded for the host,
//! is refused under every policy but `off`), and accepting a key.

use super::error::SshError;
use super::known_hosts::{self, Entry};
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

/// `TYPE SHA256:...`: what a refusal names, so a type mismatch is plain to see.
fn described(key: &PublicKey) -> String {
    format!("{} {}", key.algorithm(), fingerprint(key))
}

/// The key as `type base64`, the second half of a known_hosts line.
fn openssh(key: &PublicKey) -> String {
    key.to_openssh().unwrap_or_default()
}

impl HostCheck {
    fn known_hosts_str(&self) -> String {
        self.known_hosts.display().to_string()
    }

    fn entries(&self) -> Result<Vec<Entry>, SshError> {
        known_hosts::entries(&self.known_hosts, &self.host, self.port)
            .map_err(|e| SshError::KnownHosts { known_hosts: self.known_hosts_str(), reason: e.to_string() })
    }

    /// The host-key algorithms recorded for this host, so the server is asked for a key we
    /// can check rather than one we have never seen.
    pub fn recorded_algorithms(&self) -> Vec<Algorithm> {
        let mut out: Vec<Algorithm> = Vec::new();
        for e in self.entries().unwrap_or_default().into_iter().filter(|e| e.matches && !e.revoked) {
            if !out.contains(&e.key.algorithm()) {
                out.push(e.key.algorithm());
            }
        }
        out
    }

    /// Accepts the key when known_hosts holds it for this host. Refuses a revoked key, and
    /// any key when others are recorded for the host (whatever their type: a host that
    /// suddenly offers only an unrecorded type is as suspect as a changed key). A host with
    /// nothing recorded is refused as unknown unless the policy is `accept-new`, which
    /// records it.
    pub fn verify(&self, key: &PublicKey) -> Result<(), SshError> {
        if self.policy == HostKeyChecking::Off {
            return Ok(());
        }
        let entries = self.entries()?;
        // A revoked key is refused for every host, as its line may name another alias.
        if let Some(e) = entries.iter().find(|e| e.revoked && e.key.key_data() == key.key_data()) {
            return Err(SshError::HostKeyRevoked {
                remote: self.remote.clone(),
                hop: self.hop.clone(),
                host: self.host.clone(),
                port: self.port,
                key: described(key),
                line: e.line,
                known_hosts: self.known_hosts_str(),
            });
        }
        let recorded: Vec<&Entry> = entries.iter().filter(|e| e.matches && !e.revoked).collect();
        if recorded.iter().any(|e| e.key.key_data() == key.key_data()) {
            return Ok(());
        }
        let expected = recorded.iter().find(|e| e.key.algorithm() == key.algorithm()).or(recorded.first());
        if let Some(expected) = expected {
            return Err(SshError::HostKeyChanged {
                remote: self.remote.clone(),
                hop: self.hop.clone(),
                host: self.host.clone(),
                port: self.port,
                expected: described(&expected.key),
                actual: described(key),
                line: expected.line,
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

/// Appends `host`'s key (`openssh`: `type base64 [comment]`) to known_hosts unless it is
/// already there, creating the file and its folder when needed. Used by `accept-new` and
/// by the dashboard's dialog after an [`SshError::UnknownHostKey`].
pub fn accept(known_hosts: &Path, host: &str, port: u16, openssh: &str) -> Result<(), String> {
    let mut words = openssh.split_whitespace();
    let (Some(kind), Some(b64)) = (words.next(), words.next()) else {
        return Err(format!("not an OpenSSH public key: {openssh:?}"));
    };
    russh::keys::parse_public_key_base64(b64).map_err(|e| format!("not an OpenSSH public key: {e}"))?;
    known_hosts::append(known_hosts, host, port, kind, b64).map_err(|e| format!("{}: {e}", known_hosts.display()))
}

/// Accepts the key an [`SshError::UnknownHostKey`] carries; `false` for any other error
/// (a changed or revoked key is never accepted this way).
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

    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJ2bxR4CKN4elM6xOKRpBvSYEkPrbQaqeYWYDwmukC9JVAX+DqljP4IMR7DBwPe70fVLRs0SN+yNdZduw4oCXGU=";

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
                assert_eq!(expected, format!("ssh-ed25519 {}", fingerprint(&key(KEY))));
                assert_eq!(actual, format!("ssh-ed25519 {}", fingerprint(&key(OTHER))));
                assert_eq!(line, 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_key_of_an_unrecorded_type_is_a_changed_key_under_every_policy() {
        let d = tempfile::tempdir().unwrap();
        let text = format!("[H.Example]:2200 {KEY}\n");
        std::fs::write(d.path().join("kh"), &text).unwrap();
        for policy in [HostKeyChecking::Strict, HostKeyChecking::AcceptNew] {
            let err = check(d.path(), policy, 2200).verify(&key(ECDSA)).unwrap_err();
            match &err {
                SshError::HostKeyChanged { expected, actual, line, .. } => {
                    assert!(expected.starts_with("ssh-ed25519 SHA256:"), "{expected}");
                    assert!(actual.starts_with("ecdsa-sha2-nistp256 SHA256:"), "{actual}");
                    assert_eq!(*line, 1);
                }
                other => panic!("{policy:?}: {other:?}"),
            }
            assert!(!accept_error(&err).unwrap());
        }
        assert_eq!(std::fs::read_to_string(d.path().join("kh")).unwrap(), text, "nothing was appended");
        // Host names compare in lower case, as in OpenSSH.
        check(d.path(), HostKeyChecking::Strict, 2200).verify(&key(KEY)).unwrap();
    }

    #[test]
    fn revoked_keys_and_unreadable_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("kh"), format!("[h.example]:2200 {KEY}\n@revoked * {KEY}\n")).unwrap();
        for policy in [HostKeyChecking::Strict, HostKeyChecking::AcceptNew] {
            let err = check(d.path(), policy, 2200).verify(&key(KEY)).unwrap_err();
            assert!(matches!(err, SshError::HostKeyRevoked { line: 2, .. }), "{err:?}");
        }
        let mut unreadable = check(d.path(), HostKeyChecking::AcceptNew, 2200);
        unreadable.known_hosts = d.path().to_path_buf();
        let err = unreadable.verify(&key(KEY)).unwrap_err();
        assert!(matches!(err, SshError::KnownHosts { .. }), "{err:?}");
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
