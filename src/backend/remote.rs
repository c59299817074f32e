//! The remote backend: the same actions as local, over the SSH pool. Scripts run under
//! `sh -c` whatever the remote user's login shell; a poll is one exec that prints the tmux
//! session list (with its exit status) and every status file; a status file is rewritten
//! by sending the new JSON on the channel's stdin into a temp file beside it, then `mv`.

use super::shell::{path, quote};
use super::{BackendError, ExecOutput, SessionBackend, Snapshot, Tmux, tmux};
use crate::config::{HostKeyChecking, Remote};
use crate::sessions::StatusFile;
use crate::sessions::store::file_name_for;
use crate::sessions::stream::parse_stream;
use crate::ssh::{Pool, SshError};
use async_trait::async_trait;
use std::sync::Arc;

pub struct RemoteBackend {
    remote: Remote,
    pool: Arc<Pool>,
    tmux: Tmux,
    known_hosts: std::path::PathBuf,
    policy: HostKeyChecking,
}

impl From<SshError> for BackendError {
    fn from(e: SshError) -> Self {
        BackendError::Ssh(Box::new(e))
    }
}

impl RemoteBackend {
    pub fn new(remote: Remote, pool: Arc<Pool>, known_hosts: std::path::PathBuf, policy: HostKeyChecking) -> Self {
        RemoteBackend { remote, pool, tmux: Tmux::default(), known_hosts, policy }
    }

    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// The sessions folder on the remote, quoted for its shell (`~/` → `"$HOME"/`).
    fn dir(&self) -> String {
        let d = self.remote.sessions_dir.trim_end_matches('/');
        path(if d.is_empty() { "/" } else { d })
    }

    fn file(&self, session: &str) -> Result<String, BackendError> {
        let name = file_name_for(session).map_err(BackendError::Command)?;
        Ok(format!("{}/{}", self.dir(), quote(&name)))
    }
}

/// Splits a poll's stdout: tmux's output, the marker line with tmux's exit status, then
/// the status files as one stream.
fn split_poll<'a>(stdout: &'a [u8], marker: &str) -> Option<(&'a [u8], Option<i32>, &'a [u8])> {
    let needle = format!("\n{marker} ");
    let at = stdout.windows(needle.len()).position(|w| w == needle.as_bytes())?;
    let rest = &stdout[at + needle.len()..];
    let eol = rest.iter().position(|&b| b == b'\n')?;
    let status = std::str::from_utf8(&rest[..eol]).ok()?.trim().parse().ok();
    Some((&stdout[..at], status, &rest[eol + 1..]))
}

#[async_trait]
impl SessionBackend for RemoteBackend {
    fn remote(&self) -> Option<&str> {
        Some(&self.remote.name)
    }

    fn tmux(&self) -> &Tmux {
        &self.tmux
    }

    async fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, BackendError> {
        let out = self.pool.exec(&self.remote.name, &format!("sh -c {}", quote(script)), stdin).await?;
        Ok(ExecOutput { status: out.status, stdout: out.stdout, stderr: out.stderr })
    }

    async fn snapshot(&self) -> Result<Snapshot, BackendError> {
        let marker = format!("NAVI-{}", uuid::Uuid::new_v4().simple());
        let script = format!(
            "{list}\nprintf '\\n%s %s\\n' {marker} \"$?\"\ncat {dir}/*.json 2>/dev/null\nexit 0",
            list = self.tmux.list_sessions(),
            dir = self.dir(),
        );
        let out = self.exec(&script, None).await?;
        let Some((names, status, files)) = split_poll(&out.stdout, &marker) else {
            return Err(BackendError::Command(format!("unexpected answer to a poll: {}", out.error_text())));
        };
        let (tmux_sessions, tmux_error) = match tmux::parse_list_sessions(status, names, &out.stderr) {
            Ok(names) => (Some(names), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Snapshot { files: parse_stream(files), tmux_sessions, tmux_error })
    }

    async fn read_status(&self, name: &str) -> Result<Option<StatusFile>, BackendError> {
        let script = format!("f={}\n[ -e \"$f\" ] || exit 3\ncat \"$f\"", self.file(name)?);
        let out = self.exec(&script, None).await?;
        match out.status {
            Some(3) => Ok(None),
            Some(0) => serde_json::from_slice(&out.stdout)
                .map(Some)
                .map_err(|e| BackendError::Command(format!("{}'s status file on {}: {e}", name, self.remote.name))),
            _ => Err(BackendError::Command(out.error_text())),
        }
    }

    async fn write_status(&self, file: &StatusFile) -> Result<(), BackendError> {
        let script = format!(
            "d={dir}\nmkdir -p \"$d\" && t=$(mktemp \"$d/.navi-XXXXXX\") || exit 1\n\
             if cat > \"$t\" && chmod 644 \"$t\" && mv -f \"$t\" {file}; then exit 0; fi\n\
             rm -f \"$t\"; exit 1",
            dir = self.dir(),
            file = self.file(&file.tmux_session)?,
        );
        let out = self.exec(&script, Some(&file.to_json())).await?;
        if out.success() { Ok(()) } else { Err(BackendError::Command(out.error_text())) }
    }

    async fn remove_status(&self, names: &[String]) -> Result<(), BackendError> {
        if names.is_empty() {
            return Ok(());
        }
        let files: Result<Vec<String>, _> = names.iter().map(|n| self.file(n)).collect();
        let out = self.exec(&format!("rm -f -- {}", files?.join(" ")), None).await?;
        if out.success() { Ok(()) } else { Err(BackendError::Command(out.error_text())) }
    }

    fn attach_command(&self, name: &str, _inside_tmux: bool) -> std::process::Command {
        let r = &self.remote;
        let mut cmd = std::process::Command::new("ssh");
        cmd.arg("-t").arg("-i").arg(&r.key).arg("-p").arg(r.port.to_string());
        if let Some(j) = &r.jump_host {
            let host = if j.host.contains(':') { format!("[{}]", j.host) } else { j.host.clone() };
            cmd.arg("-J").arg(format!("{}@{}:{}", r.user, host, j.port));
        }
        let strict = if self.policy == HostKeyChecking::Off { "no" } else { "yes" };
        cmd.arg("-o").arg(format!("UserKnownHostsFile={}", self.known_hosts.display()));
        cmd.arg("-o").arg(format!("StrictHostKeyChecking={strict}"));
        cmd.arg(format!("{}@{}", r.user, r.host)).arg("--");
        // The same attach script as local (exact name → session id), under `sh` whatever
        // the remote user's login shell is.
        cmd.arg(format!("sh -c {}", quote(&self.tmux.attach(name, false))));
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_output_is_split_at_the_marker() {
        let out = b"a\nb c\n\nNAVI-x 0\n{\"tmux_session\":\"a\",\"status\":\"done\"}";
        let (names, status, files) = split_poll(out, "NAVI-x").unwrap();
        assert_eq!(names, b"a\nb c\n");
        assert_eq!(status, Some(0));
        assert!(files.starts_with(b"{"));
        let (names, status, files) = split_poll(b"\nNAVI-x 1\n", "NAVI-x").unwrap();
        assert_eq!((names, status, files), (&b""[..], Some(1), &b""[..]));
        assert!(split_poll(b"garbage", "NAVI-x").is_none());
    }

    #[test]
    fn attach_uses_navis_files_and_exact_target() {
        let remote = Remote {
            name: "r".into(),
            host: "h".into(),
            port: 2222,
            user: "u".into(),
            key: "/k/id".into(),
            sessions_dir: "~/.claude-sessions".into(),
            jump_host: Some(crate::config::HostPort { host: "j".into(), port: 2200 }),
        };
        let pool = Arc::new(Pool::new(&Default::default()));
        let b = RemoteBackend::new(remote, pool, "/kh".into(), HostKeyChecking::Strict);
        let cmd = b.attach_command("it's $(x)", false);
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            args,
            [
                "-t",
                "-i",
                "/k/id",
                "-p",
                "2222",
                "-J",
                "u@j:2200",
                "-o",
                "UserKnownHostsFile=/kh",
                "-o",
                "StrictHostKeyChecking=yes",
                "u@h",
                "--",
                &format!("sh -c {}", quote(&Tmux::default().attach("it's $(x)", false))),
            ]
        );
    }
}
