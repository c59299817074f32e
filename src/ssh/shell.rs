//! Interactive shells for persistent sessions: a PTY (so Ctrl-C, byte 0x03, interrupts the
//! foreground command) and a login shell, on a channel of a pooled connection. Output comes
//! as chunks on a channel; when the shell or its connection ends, the channel closes, so a
//! reader never hangs on a dead peer (keepalive notices a silent one within about 15 s).

use super::connect::{Connection, ShellLease};
use super::error::SshError;
use russh::client::Msg;
use russh::{Channel, ChannelMsg, ChannelWriteHalf, Sig};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

pub const DEFAULT_COLS: u32 = 200;
pub const DEFAULT_ROWS: u32 = 50;
/// How long the server may take to open a shell's channel, or grant a PTY or a shell.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How a shell ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellEnd {
    Exited(u32),
    Signalled(String),
    /// The channel or connection closed without an exit status.
    Lost(String),
}

/// The writing side of a shell; cheap to share behind an `Arc`.
pub struct ShellWriter {
    /// `None` only while being closed.
    writer: Option<ChannelWriteHalf<Msg>>,
    end: Arc<Mutex<Option<ShellEnd>>>,
    /// Keeps the connection, and counts this shell on it until the writer is dropped.
    lease: ShellLease,
    /// Ends the reader task.
    stop: Option<oneshot::Sender<()>>,
}

/// A shell: its writer, and its output as chunks (`None` from `recv` once it ended).
pub struct ShellChannel {
    pub writer: ShellWriter,
    pub output: mpsc::Receiver<Vec<u8>>,
}

impl ShellChannel {
    /// Opens a shell on `conn`; the caller chose the connection and ends it on failure
    /// when nothing else uses it.
    pub(crate) async fn open(conn: Arc<Connection>) -> Result<Self, SshError> {
        Self::open_for(conn, None).await
    }

    /// Runs `command` (no PTY) on `conn` as a long-lived channel: its output (stdout and
    /// stderr, as they come) is read like a shell's, and it ends like one.
    pub(crate) async fn open_command(conn: Arc<Connection>, command: &str) -> Result<Self, SshError> {
        Self::open_for(conn, Some(command)).await
    }

    async fn open_for(conn: Arc<Connection>, command: Option<&str>) -> Result<Self, SshError> {
        let (channel, early) = Self::requests(&conn, command).await?;
        let (mut reader, writer) = channel.split();
        let (tx, output) = mpsc::channel(256);
        for chunk in early {
            let _ = tx.try_send(chunk);
        }
        let end = Arc::new(Mutex::new(None));
        let end_w = end.clone();
        let conn_r = conn.clone();
        // russh forgets a channel once we closed it and drops the server's answer, so the
        // reader is told to stop rather than waiting for a `Close` that never comes.
        let (stop, mut stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut ended = None;
            loop {
                let msg = tokio::select! {
                    msg = reader.wait() => msg,
                    _ = &mut stopped => {
                        ended.get_or_insert(ShellEnd::Lost("the shell was closed".into()));
                        break;
                    }
                };
                match msg {
                    None | Some(ChannelMsg::Close) => break,
                    Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. })
                        if tx.send(data.to_vec()).await.is_err() =>
                    {
                        break;
                    }
                    Some(ChannelMsg::ExitStatus { exit_status }) => ended = Some(ShellEnd::Exited(exit_status)),
                    Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                        ended = Some(ShellEnd::Signalled(format!("{signal_name:?}")))
                    }
                    Some(_) => {}
                }
            }
            let ended = ended.unwrap_or_else(|| ShellEnd::Lost(conn_r.end_reason()));
            if let Ok(mut e) = end_w.lock() {
                e.get_or_insert(ended);
            }
            // Dropping `tx` here ends the reader's stream.
        });
        let writer = ShellWriter { writer: Some(writer), end, lease: ShellLease::new(conn), stop: Some(stop) };
        Ok(ShellChannel { writer, output })
    }

    /// Opens the channel and asks for a PTY and a shell (or runs `command`), each confirmed
    /// by the server; output that came before the last confirmation is returned with the
    /// channel.
    async fn requests(conn: &Connection, command: Option<&str>) -> Result<(Channel<Msg>, Vec<Vec<u8>>), SshError> {
        let lost = |e: russh::Error| SshError::Channel(format!("opening a shell: {e}"));
        let mut channel = tokio::time::timeout(REQUEST_TIMEOUT, conn.handle.channel_open_session())
            .await
            .map_err(|_| SshError::Timeout { what: "opening a channel for a shell".into(), after: REQUEST_TIMEOUT })?
            .map_err(|e| {
                if matches!(e, russh::Error::ChannelOpenFailure(_)) {
                    SshError::Channel(format!("the server refused a channel for a shell: {e}"))
                } else {
                    lost(e)
                }
            })?;
        let mut early = Vec::new();
        let granted = async {
            if let Some(command) = command {
                channel.exec(true, command.as_bytes()).await.map_err(lost)?;
                return confirmed(&mut channel, "a command", &mut early).await;
            }
            channel.request_pty(true, "xterm", DEFAULT_COLS, DEFAULT_ROWS, 0, 0, &[]).await.map_err(lost)?;
            confirmed(&mut channel, "a PTY", &mut early).await?;
            channel.request_shell(true).await.map_err(lost)?;
            confirmed(&mut channel, "a shell", &mut early).await
        }
        .await;
        if let Err(e) = granted {
            // The connection may carry other channels: close just this one.
            let _ = channel.close().await;
            return Err(e);
        }
        Ok((channel, early))
    }

    pub fn into_parts(self) -> (ShellWriter, mpsc::Receiver<Vec<u8>>) {
        (self.writer, self.output)
    }

    /// The next chunk of output; `None` once the shell ended (see [`ShellWriter::ended`]).
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        self.output.recv().await
    }

    pub async fn write(&self, bytes: &[u8]) -> Result<(), SshError> {
        self.writer.write(bytes).await
    }

    pub async fn close(self) {
        self.writer.close().await
    }
}

/// Waits for the server's answer to a request sent with `want_reply`, keeping any output
/// that arrives meanwhile.
async fn confirmed(channel: &mut Channel<Msg>, what: &str, early: &mut Vec<Vec<u8>>) -> Result<(), SshError> {
    let answer = async {
        loop {
            match channel.wait().await {
                Some(ChannelMsg::Success) => return Ok(()),
                Some(ChannelMsg::Failure) => return Err(SshError::Channel(format!("the server refused {what}"))),
                Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }) => early.push(data.to_vec()),
                Some(ChannelMsg::Close) | None => {
                    return Err(SshError::Disconnected(format!("the channel closed while asking for {what}")));
                }
                Some(_) => {}
            }
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, answer)
        .await
        .map_err(|_| SshError::Timeout { what: format!("asking for {what}"), after: REQUEST_TIMEOUT })?
}

impl ShellWriter {
    fn conn(&self) -> &Connection {
        self.lease.conn()
    }

    fn lost(&self) -> SshError {
        SshError::Disconnected(self.conn().end_reason())
    }

    fn channel(&self) -> Result<&ChannelWriteHalf<Msg>, SshError> {
        self.writer.as_ref().ok_or_else(|| SshError::Channel("the shell is closed".into()))
    }

    pub async fn write(&self, bytes: &[u8]) -> Result<(), SshError> {
        if self.conn().is_closed() {
            return Err(self.lost());
        }
        self.channel()?.data_bytes(bytes.to_vec()).await.map_err(|_| self.lost())
    }

    /// Ctrl-C through the PTY: interrupts the foreground command, like a terminal would.
    pub async fn interrupt(&self) -> Result<(), SshError> {
        self.write(&[0x03]).await
    }

    /// An SSH `signal` request (OpenSSH delivers it to the shell process itself).
    pub async fn signal(&self, sig: Sig) -> Result<(), SshError> {
        self.channel()?.signal(sig).await.map_err(|_| self.lost())
    }

    pub async fn resize(&self, cols: u32, rows: u32) -> Result<(), SshError> {
        self.channel()?.window_change(cols, rows, 0, 0).await.map_err(|_| self.lost())
    }

    /// How the shell ended, once it did.
    pub fn ended(&self) -> Option<ShellEnd> {
        self.end.lock().ok().and_then(|e| e.clone())
    }

    pub fn is_closed(&self) -> bool {
        self.ended().is_some() || self.conn().is_closed()
    }

    /// Closes the shell's channel. Its connection lives on while the pool or another shell
    /// uses it, and ends with the last of them.
    pub async fn close(mut self) {
        if let Some(writer) = self.writer.take() {
            let _ = writer.eof().await;
            let _ = writer.close().await;
        }
    }
}

impl Drop for ShellWriter {
    /// A shell dropped without [`ShellWriter::close`] is closed in the background, so it
    /// never keeps a channel of a shared connection.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(writer) = self.writer.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = writer.eof().await;
                let _ = writer.close().await;
            });
        }
    }
}
