//! The local backend: scripts run by `sh -c` on this machine (see [`super::process`]),
//! status files read and written in the local folder through the atomic store; every
//! read-modify-write of a file happens under the folder lock the hook takes too.

use super::process::run_sh;
use super::{BackendError, Edit, ExecOutput, SessionBackend, Snapshot, Tmux, stored_name, tmux};
use crate::sessions::StatusFile;
use crate::sessions::store::{Store, file_name_for, write_atomic};
use crate::ssh::exec::MAX_OUTPUT;
use async_trait::async_trait;
use std::path::PathBuf;
use std::time::Duration;

/// How long a local command may take before it is killed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a listing waits for tmux: a stopped server must not hold up the status files.
const LIST_TIMEOUT: Duration = Duration::from_secs(5);

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

    /// Whether navi's tmux server is the one the tmux client navi runs in belongs to (no
    /// socket of its own, or the same socket as `$TMUX`): then a client switches to a
    /// session instead of attaching tmux inside itself.
    pub fn serves_this_client(&self) -> bool {
        let Some(socket) = &self.socket else { return true };
        let Some(tmux) = std::env::var_os("TMUX") else { return false };
        let tmux = tmux.to_string_lossy();
        let client = std::path::Path::new(tmux.split(',').next().unwrap_or(""));
        match (std::fs::canonicalize(socket), std::fs::canonicalize(client)) {
            (Ok(a), Ok(b)) => a == b,
            _ => socket.as_path() == client,
        }
    }

    /// The private tmux server's socket, `None` for the user's own.
    pub fn socket(&self) -> Option<&std::path::Path> {
        self.socket.as_deref()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `f` with the store on a blocking thread (file I/O and the lock's wait).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(Store) -> Result<T, BackendError> + Send + 'static,
    ) -> Result<T, BackendError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store)).await.map_err(|e| BackendError::Transport(e.to_string()))?
    }
}

/// One session's file, read under a lock the caller holds; `None` when the name can have no
/// file (a `/` in it) or has none.
fn read_locked(store: &Store, name: &str) -> Result<Option<StatusFile>, BackendError> {
    if file_name_for(name).is_err() {
        return Ok(None);
    }
    Ok(store.read(name)?)
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
        run_sh(script, stdin, COMMAND_TIMEOUT, MAX_OUTPUT).await
    }

    async fn snapshot(&self) -> Result<Snapshot, BackendError> {
        // Files first, then tmux: a session created in between has no file in this
        // snapshot yet, so its new file can never be taken for stale.
        let files = self.blocking(|store| Ok(store.read_all())).await?;
        let listed = run_sh(&self.tmux.list_sessions(), None, LIST_TIMEOUT, MAX_OUTPUT).await;
        let parsed = match listed {
            Ok(out) => tmux::parse_list_sessions(out.status, &out.stdout, &out.stderr),
            Err(BackendError::TimedOut(after)) => Err(format!("tmux did not answer within {} s", after.as_secs())),
            Err(e) => Err(format!("tmux list-sessions: {e}")),
        };
        let (tmux_sessions, tmux_error) = match parsed {
            Ok(names) => (Some(names), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Snapshot { files, tmux_sessions, tmux_error })
    }

    async fn read_status(&self, name: &str) -> Result<Option<StatusFile>, BackendError> {
        let name = name.to_string();
        self.blocking(move |store| read_locked(&store, &name)).await
    }

    async fn write_status(&self, file: &StatusFile) -> Result<(), BackendError> {
        let file = file.clone();
        self.blocking(move |store| {
            let _lock = store.lock()?;
            Ok(store.write(&file)?)
        })
        .await
    }

    async fn update_status(&self, name: &str, edit: Edit) -> Result<Option<StatusFile>, BackendError> {
        let name = name.to_string();
        self.blocking(move |store| {
            let _lock = store.lock()?;
            let Some(mut file) = read_locked(&store, &name)? else { return Ok(None) };
            edit(&mut file);
            // Back into the file it came from, whatever name its content carries.
            write_atomic(&store.path_for(&name)?, &file.to_json())?;
            Ok(Some(file))
        })
        .await
    }

    async fn rename_moving_status(&self, old: &str, new: &str) -> Result<(), BackendError> {
        // One hold of the lock over the tmux rename and the move: a hook asks tmux for its
        // session under the same lock, so it sees the old name and file or the new ones.
        let lock = self.blocking(|store| Ok(store.lock()?)).await?;
        let old_name = old.to_string();
        let file = self.blocking(move |store| read_locked(&store, &old_name)).await?;
        let out = self.run_on(old, &self.tmux.rename(old, new)).await?;
        let stored = stored_name(&out, new);
        if let Some(mut file) = file {
            file.tmux_session = stored.clone();
            let written = self.blocking(move |store| Ok(store.write(&file)?)).await;
            if let Err(e) = written {
                let _ = self.run_ok(&self.tmux.rename(&stored, old)).await;
                return Err(e);
            }
            // A left-over old file is stale (its session is gone) and cleaned by a listing.
            let old_name = old.to_string();
            self.blocking(move |store| Ok(store.remove(&old_name)?)).await?;
        }
        drop(lock);
        Ok(())
    }

    async fn remove_files(&self, files: &[String]) -> Result<(), BackendError> {
        let files = files.to_vec();
        self.blocking(move |store| {
            let failed: Vec<String> = files
                .iter()
                .filter_map(|f| {
                    let removed = super::check_file_name(f).map_err(std::io::Error::other).and_then(|()| {
                        match std::fs::remove_file(store.dir().join(f)) {
                            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                            _ => Ok(()),
                        }
                    });
                    removed.err().map(|e| format!("{}: {e}", crate::text::sanitize_line(f)))
                })
                .collect();
            if failed.is_empty() { Ok(()) } else { Err(BackendError::Command(failed.join("; "))) }
        })
        .await
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

    fn attach_agent_shell_command(&self, name: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new("sh");
        // Another server than the user's: switch-client cannot reach it from their tmux.
        cmd.env_remove("TMUX");
        cmd.arg("-c").arg(Tmux::agents().attach(name, false));
        cmd
    }
}
