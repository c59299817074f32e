//! The local backend: scripts run by `sh -c` on this machine, status files read and
//! written in the local folder through the atomic store.

use super::{BackendError, ExecOutput, SessionBackend, Snapshot, Tmux, tmux};
use crate::sessions::StatusFile;
use crate::sessions::store::Store;
use async_trait::async_trait;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How long a local command may take before it is killed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct LocalBackend {
    tmux: Tmux,
    socket: Option<PathBuf>,
    store: Store,
}

impl LocalBackend {
    /// `socket`: a private tmux server's socket (the demo, tests); `None` for the default.
    pub fn new(sessions_dir: PathBuf, socket: Option<PathBuf>) -> Self {
        LocalBackend { tmux: Tmux::with_socket(socket.as_deref()), socket, store: Store::new(sessions_dir) }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Runs `sh -c script` with a timeout; the child is killed if the future is dropped.
pub async fn run_sh(script: &str, stdin: Option<&[u8]>, timeout: Duration) -> Result<ExecOutput, BackendError> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BackendError::Command(format!("cannot run sh: {e}")))?;
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A script that exits without reading its input is not an error.
        let _ = pipe.write_all(data).await;
    }
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| BackendError::Command(format!("command timed out after {}s", timeout.as_secs())))??;
    Ok(ExecOutput { status: out.status.code(), stdout: out.stdout, stderr: out.stderr })
}

#[async_trait]
impl SessionBackend for LocalBackend {
    fn remote(&self) -> Option<&str> {
        None
    }

    fn tmux(&self) -> &Tmux {
        &self.tmux
    }

    async fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, BackendError> {
        run_sh(script, stdin, COMMAND_TIMEOUT).await
    }

    async fn snapshot(&self) -> Result<Snapshot, BackendError> {
        // Files first, then tmux: a session created in between has no file in this
        // snapshot yet, so its new file can never be taken for stale.
        let store = self.store.clone();
        let files = tokio::task::spawn_blocking(move || store.read_all())
            .await
            .map_err(|e| BackendError::Transport(e.to_string()))?;
        let out = self.exec(&self.tmux.list_sessions(), None).await?;
        let (tmux_sessions, tmux_error) = match tmux::parse_list_sessions(out.status, &out.stdout, &out.stderr) {
            Ok(names) => (Some(names), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Snapshot { files, tmux_sessions, tmux_error })
    }

    async fn read_status(&self, name: &str) -> Result<Option<StatusFile>, BackendError> {
        Ok(self.store.read(name)?)
    }

    async fn write_status(&self, file: &StatusFile) -> Result<(), BackendError> {
        let _lock = self.store.lock()?;
        Ok(self.store.write(file)?)
    }

    async fn remove_status(&self, names: &[String]) -> Result<(), BackendError> {
        for name in names {
            self.store.remove(name)?;
        }
        Ok(())
    }

    fn attach_command(&self, name: &str, inside_tmux: bool) -> std::process::Command {
        let mut cmd = std::process::Command::new("sh");
        if self.socket.is_some() {
            // A private server: switch-client cannot reach it from the user's tmux.
            cmd.env_remove("TMUX");
        }
        cmd.arg("-c").arg(self.tmux.attach(name, inside_tmux && self.socket.is_none()));
        cmd
    }
}
