//! The remote driver: a PTY shell on the SSH pool (`Pool::open_shell`), whose login shell is
//! replaced at once by bash (or sh) without start-up files. Stopping goes through the
//! terminal (Ctrl-C, then Ctrl-\); killing asks sshd to signal the shell, which ends the
//! session. When the connection dies the output ends and the session reports why.

use super::driver::{Connected, Driver, DriverError, Output, Shell, Stop};
use crate::ssh::{Pool, ShellEnd, ShellWriter};
use async_trait::async_trait;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// Typed into whatever login shell the user has (bash, zsh, fish, csh all accept it).
const EXEC_SHELL: &str = "exec /bin/sh -c 'if command -v bash >/dev/null 2>&1; then \
    exec bash --norc --noprofile --noediting -i; else exec sh -i; fi'\n";

pub struct RemoteDriver {
    pub pool: Arc<Pool>,
}

#[async_trait]
impl Driver for RemoteDriver {
    async fn connect(&self, hostname: &str) -> Result<Connected, DriverError> {
        let open = |reason: String| DriverError::Open { host: hostname.to_string(), reason };
        let channel = self.pool.open_shell(hostname).await.map_err(|e| open(e.to_string()))?;
        let (writer, mut rx) = channel.into_parts();
        writer.write(EXEC_SHELL.as_bytes()).await.map_err(|e| open(e.to_string()))?;
        let writer = Arc::new(writer);
        let weak: Weak<ShellWriter> = Arc::downgrade(&writer);
        let (tx, output) = mpsc::channel(64);
        tokio::spawn(async move {
            while let Some(chunk) = rx.recv().await {
                if tx.send(Output::Data(chunk)).await.is_err() {
                    return;
                }
            }
            let why = match weak.upgrade().and_then(|w| w.ended()) {
                Some(ShellEnd::Exited(n)) => format!("the shell exited (exit status: {n})"),
                Some(ShellEnd::Signalled(s)) => format!("the shell was killed ({s})"),
                Some(ShellEnd::Lost(r)) => format!("the connection was lost: {r}"),
                None => "the connection was lost".to_string(),
            };
            let _ = tx.send(Output::Closed(why)).await;
        });
        Ok(Connected { shell: Arc::new(RemoteShell { writer: Mutex::new(Some(writer)) }), output })
    }
}

struct RemoteShell {
    writer: Mutex<Option<Arc<ShellWriter>>>,
}

impl RemoteShell {
    fn writer(&self) -> Result<Arc<ShellWriter>, DriverError> {
        self.writer.lock().ok().and_then(|w| w.clone()).ok_or_else(|| DriverError::Gone("the session is closed".into()))
    }
}

fn gone(e: crate::ssh::SshError) -> DriverError {
    DriverError::Gone(e.to_string())
}

#[async_trait]
impl Shell for RemoteShell {
    async fn write(&self, data: &[u8]) -> Result<(), DriverError> {
        self.writer()?.write(data).await.map_err(gone)
    }

    async fn stop(&self, how: Stop) -> Result<(), DriverError> {
        let w = self.writer()?;
        match how {
            Stop::Interrupt => w.interrupt().await,
            // Ctrl-\ (SIGQUIT) kills what ignores Ctrl-C; the interactive shell ignores it.
            Stop::Terminate => w.write(&[0x03, 0x1c]).await,
            // No SIGKILL travels through a terminal: end the shell itself (the session).
            Stop::Kill => w.signal(russh::Sig::KILL).await,
        }
        .map_err(gone)
    }

    async fn resize(&self, rows: u16, cols: u16) -> Result<(), DriverError> {
        self.writer()?.resize(u32::from(cols), u32::from(rows)).await.map_err(gone)
    }

    fn typed_interrupt(&self) -> Option<&'static [u8]> {
        Some(&[0x03])
    }

    async fn close(&self) {
        let Some(mut w) = self.writer.lock().ok().and_then(|mut w| w.take()) else { return };
        let _ = w.interrupt().await;
        // A write still in flight holds a reference; give it a moment to finish.
        for _ in 0..20 {
            match Arc::try_unwrap(w) {
                Ok(owned) => {
                    let _ = tokio::time::timeout(Duration::from_secs(5), owned.close()).await;
                    return;
                }
                Err(shared) => w = shared,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
