//! The `local` driver: an interactive shell (bash if it is on PATH, else sh) without start-up
//! files, on a pseudo-terminal of its own. Stopping a command signals the terminal's
//! foreground process group directly, so it never waits behind typed input.

use super::driver::{Connected, Driver, DriverError, Output, Shell, Stop};
use async_trait::async_trait;
use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Wide enough that tools formatting to the terminal width rarely wrap.
const COLS: u16 = 200;
const ROWS: u16 = 50;

#[derive(Debug, Clone, Default)]
pub struct LocalDriver {
    /// The shell to run; `None`: bash from PATH, else sh.
    pub shell: Option<PathBuf>,
    /// Where the shell starts; `None`: this process's directory.
    pub cwd: Option<PathBuf>,
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn open_err(e: impl std::fmt::Display) -> DriverError {
    DriverError::Open { host: "local".into(), reason: e.to_string() }
}

/// A shell started while this process ignores SIGINT or SIGQUIT (a background job of a
/// non-interactive script) would ignore them too, since an ignored signal survives exec,
/// and Ctrl-C could never stop a command. A caught signal is reset to the default on exec,
/// so installing tokio's handlers once (they stay for the life of the process) is enough.
/// `navi mcp` handles SIGINT itself (it shuts down cleanly).
fn children_get_default_interrupts() {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        use tokio::signal::unix::{SignalKind, signal};
        for kind in [SignalKind::interrupt(), SignalKind::quit()] {
            let _ = signal(kind);
        }
    });
}

#[async_trait]
impl Driver for LocalDriver {
    async fn connect(&self, _hostname: &str) -> Result<Connected, DriverError> {
        let program = match &self.shell {
            Some(p) => p.clone(),
            None => find_on_path("bash").unwrap_or_else(|| PathBuf::from("sh")),
        };
        let is_bash = program.file_name().is_some_and(|n| n == "bash");
        let args: &[&str] = if is_bash { &["--norc", "--noprofile", "--noediting", "-i"] } else { &["-i"] };
        children_get_default_interrupts();
        let (pty, pts) = pty_process::open().map_err(open_err)?;
        pty.resize(pty_process::Size::new(ROWS, COLS)).map_err(open_err)?;
        let mut cmd = pty_process::Command::new(&program)
            .args(args)
            .env("TERM", "dumb")
            .env_remove("ENV")
            .env_remove("BASH_ENV")
            .env_remove("PROMPT_COMMAND")
            .kill_on_drop(true);
        if let Some(dir) = &self.cwd {
            cmd = cmd.current_dir(dir);
        }
        let mut child = cmd.spawn(pts).map_err(|e| open_err(format!("{}: {e}", program.display())))?;
        let pid =
            child.id().and_then(|id| Pid::from_raw(id as i32)).ok_or_else(|| open_err("the shell died at once"))?;
        let ctl = pty.as_fd().try_clone_to_owned().map_err(open_err)?;
        let (mut reader, writer) = pty.into_split();

        let (tx, rx) = mpsc::channel(64);
        let (reader_done_tx, mut reader_done) = watch::channel(false);
        let data_tx = tx.clone();
        let read_task = tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            // EIO is how Linux says every slave descriptor is closed: the end of output.
            while let Ok(n) = reader.read(&mut buf).await {
                if n == 0 || data_tx.send(Output::Data(buf[..n].to_vec())).await.is_err() {
                    break;
                }
            }
            let _ = reader_done_tx.send(true);
        });

        let (kill_tx, kill_rx) = oneshot::channel::<()>();
        let (exited_tx, exited) = watch::channel(false);
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s,
                _ = kill_rx => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            // Let the last output through before saying the shell is gone.
            let _ = tokio::time::timeout(Duration::from_millis(500), reader_done.wait_for(|d| *d)).await;
            let why = match status {
                Ok(s) => format!("the shell exited ({s})"),
                Err(e) => format!("the shell was lost: {e}"),
            };
            let _ = tx.send(Output::Closed(why)).await;
            let _ = exited_tx.send(true);
        });

        let shell = LocalShell {
            writer: tokio::sync::Mutex::new(writer),
            ctl,
            pid,
            kill: Mutex::new(Some(kill_tx)),
            exited,
            read_task,
        };
        Ok(Connected { shell: Arc::new(shell), output: rx })
    }
}

struct LocalShell {
    writer: tokio::sync::Mutex<pty_process::OwnedWritePty>,
    /// A second handle on the master, to ask for the foreground process group.
    ctl: OwnedFd,
    pid: Pid,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    exited: watch::Receiver<bool>,
    read_task: JoinHandle<()>,
}

impl LocalShell {
    fn foreground(&self) -> Result<Pid, DriverError> {
        rustix::termios::tcgetpgrp(self.ctl.as_fd()).map_err(|e| DriverError::Gone(e.to_string()))
    }

    async fn wait_exit(&self, within: Duration) -> bool {
        let mut exited = self.exited.clone();
        tokio::time::timeout(within, exited.wait_for(|e| *e)).await.is_ok()
    }
}

#[async_trait]
impl Shell for LocalShell {
    async fn write(&self, data: &[u8]) -> Result<(), DriverError> {
        let mut w = self.writer.lock().await;
        w.write_all(data).await.map_err(|e| DriverError::Gone(e.to_string()))?;
        w.flush().await.map_err(|e| DriverError::Gone(e.to_string()))
    }

    async fn stop(&self, how: Stop) -> Result<(), DriverError> {
        let fg = self.foreground()?;
        let own = fg == self.pid;
        // The shell itself in the foreground means a builtin is running: it only gets
        // Ctrl-C, unless killing is asked for, which ends the session.
        let result = match how {
            Stop::Interrupt => kill_process_group(fg, Signal::INT),
            Stop::Terminate if own => kill_process_group(fg, Signal::INT),
            Stop::Terminate => kill_process_group(fg, Signal::TERM),
            Stop::Kill if own => kill_process(self.pid, Signal::KILL),
            Stop::Kill => kill_process_group(fg, Signal::KILL),
        };
        result.map_err(|e| DriverError::Gone(e.to_string()))
    }

    async fn resize(&self, rows: u16, cols: u16) -> Result<(), DriverError> {
        let w = self.writer.lock().await;
        w.resize(pty_process::Size::new(rows, cols)).map_err(|e| DriverError::Gone(e.to_string()))
    }

    async fn close(&self) {
        if let Ok(fg) = self.foreground()
            && fg != self.pid
        {
            let _ = kill_process_group(fg, Signal::KILL);
        }
        // A hang-up, as when a terminal closes: bash passes it on to its jobs.
        let _ = kill_process(self.pid, Signal::HUP);
        if !self.wait_exit(Duration::from_secs(1)).await {
            let kill = self.kill.lock().ok().and_then(|mut k| k.take());
            if let Some(k) = kill {
                let _ = k.send(());
            }
            self.wait_exit(Duration::from_secs(3)).await;
        }
        self.read_task.abort();
    }
}

impl Drop for LocalShell {
    fn drop(&mut self) {
        self.read_task.abort();
    }
}
