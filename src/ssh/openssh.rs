//! The OpenSSH client command for a remote (`navi attach` hands the terminal to it). Every
//! hop, the jump host's too, uses navi's known_hosts, policy and key: OpenSSH does not
//! apply `-o`/`-i` to a `-J` hop but does pass `-F` on, so the settings go in a small
//! ssh_config file of navi's own, written 0600 beside its other state.

use crate::config::{HostKeyChecking, Remote};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What every hop needs, and where the generated ssh_config goes.
#[derive(Debug, Clone)]
pub struct OpenSsh {
    pub known_hosts: PathBuf,
    pub policy: HostKeyChecking,
    /// The folder for generated ssh_config files (navi's state folder).
    pub config_dir: PathBuf,
}

/// A path as an ssh_config value: quoted, `%` escaped (OpenSSH expands `%` tokens in
/// these options). A path holding a double quote cannot be written.
fn config_path(path: &Path) -> std::io::Result<String> {
    let text = path.to_string_lossy();
    if text.contains('"') || text.chars().any(char::is_control) {
        return Err(std::io::Error::other(format!("{text:?}: an ssh_config path cannot hold '\"'")));
    }
    Ok(format!("\"{}\"", text.replace('%', "%%")))
}

impl OpenSsh {
    /// The ssh_config text for `remote`: applies to every host ssh connects to here,
    /// the jump host included.
    pub fn config_text(&self, remote: &Remote) -> std::io::Result<String> {
        let strict = if self.policy == HostKeyChecking::Off { "no" } else { "yes" };
        let mut text = format!("# Written by navi for remote {:?}; rewritten on every attach.\n", remote.name);
        // A jump host with its own key or known_hosts (from ~/.ssh/config) gets its own
        // block: ssh takes the first value it finds, so these come before `Host *`.
        for hop in remote.jumps.iter().filter(|h| h.key != remote.key || h.known_hosts.is_some()) {
            text.push_str(&format!("Host {}\n  IdentityFile {}\n", hop.host, config_path(&hop.key)?));
            if let Some(kh) = &hop.known_hosts {
                text.push_str(&format!("  UserKnownHostsFile {}\n", config_path(kh)?));
            }
        }
        text.push_str(&format!(
            "Host *\n  UserKnownHostsFile {kh}\n  StrictHostKeyChecking {strict}\n  IdentityFile {key}\n  IdentitiesOnly yes\n",
            kh = config_path(&self.known_hosts)?,
            key = config_path(&remote.key)?,
        ));
        Ok(text)
    }

    /// Writes the remote's ssh_config (0600) and returns its path.
    fn write_config(&self, remote: &Remote) -> std::io::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let text = self.config_text(remote)?;
        let dir = self.config_dir.join("ssh");
        std::fs::create_dir_all(&dir)?;
        let safe: String = remote
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let path = dir.join(format!("{safe}.conf"));
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes())?;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    /// `ssh [-t] -F CONFIG -i KEY -o UserKnownHostsFile=… -o StrictHostKeyChecking=… -p PORT
    /// [-J USER@JUMP:PORT] -- USER@HOST COMMAND`. The flags repeat the config for the
    /// destination (and show in `ps`); the config carries them to the jump hop. Fails when
    /// the config cannot be written (without it the jump hop would use ssh's defaults).
    pub fn command(&self, remote: &Remote, tty: bool, remote_command: &str) -> std::io::Result<Command> {
        let config = self.write_config(remote)?;
        let strict = if self.policy == HostKeyChecking::Off { "no" } else { "yes" };
        let mut cmd = Command::new("ssh");
        if tty {
            cmd.arg("-t");
        }
        cmd.arg("-F").arg(config);
        cmd.arg("-i").arg(remote.key.to_string_lossy().replace('%', "%%"));
        let known_hosts = remote.known_hosts.as_ref().unwrap_or(&self.known_hosts);
        cmd.arg("-o").arg(format!("UserKnownHostsFile={}", config_path(known_hosts)?));
        cmd.arg("-o").arg(format!("StrictHostKeyChecking={strict}"));
        cmd.arg("-p").arg(remote.port.to_string());
        if !remote.jumps.is_empty() {
            let hops: Vec<String> = remote
                .jumps
                .iter()
                .map(|j| {
                    let host = if j.host.contains(':') { format!("[{}]", j.host) } else { j.host.clone() };
                    format!("{}@{}:{}", j.user, host, j.port)
                })
                .collect();
            cmd.arg("-J").arg(hops.join(","));
        }
        cmd.arg("--").arg(format!("{}@{}", remote.user, remote.host)).arg(remote_command);
        Ok(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_quotes_paths_and_escapes_percent() {
        let o = OpenSsh { known_hosts: "/a b/k%h".into(), policy: HostKeyChecking::Off, config_dir: "/x".into() };
        let r = Remote::new("r", "h", 22, "u", "/k/id".into());
        let text = o.config_text(&r).unwrap();
        assert!(text.contains("UserKnownHostsFile \"/a b/k%%h\"\n"), "{text}");
        assert!(text.contains("StrictHostKeyChecking no\n") && text.contains("IdentityFile \"/k/id\"\n"), "{text}");
        let bad = OpenSsh { known_hosts: "/a\"b".into(), ..o };
        assert!(bad.config_text(&r).is_err());
    }
}
