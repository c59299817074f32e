//! Interactive shells for persistent sessions: a PTY (so Ctrl-C, byte 0x03, interrupts the
//! foreground command) and a login shell, on a connection of the shell's own. Output comes
//! as chunks on a channel; when the shell or its connection ends, the channel closes, so a
//! reader never hangs on a dead peer (keepalive notices a silent one within about 15 s).

use super::connect::Connection;
use super::error::SshError;
use russh::client::Msg;
use russh::{Channel, ChannelMsg, ChannelWriteHalf, Sig};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

pub const DEFAULT_COLS: u32 = 200;
pub const DEFAULT_ROWS: u32 = 50;
/// How long the server may take to grant a PTY or a shell.
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
    writer: ChannelWriteHalf<Msg>,
    end: Arc<Mutex<Option<ShellEnd>>>,
    conn: Arc<Connection>,
}

/// A shell: its writer, and its output as chunks (`None` from `recv` once it ended).
pub struct ShellChannel {
    pub writer: ShellWriter,
    pub output: mpsc::Receiver<Vec<u8>>,
}

impl ShellChannel {
    pub(crate) async fn open(conn: Arc<Connection>) -> Result<Self, SshError> {
        let opened = Self::requests(&conn).await;
        if opened.is_err() {
            // The connection is the shell's own: nothing else will end it.
            let _ = conn.handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
        }
        let (channel, early) = opened?;
        let (mut reader, writer) = channel.split();
        let (tx, output) = mpsc::channel(256);
        for chunk in early {
            let _ = tx.try_send(chunk);
        }
        let end = Arc::new(Mutex::new(None));
        let end_w = end.clone();
        let conn_r = conn.clone();
        tokio::spawn(async move {
            let mut ended = None;
            while let Some(msg) = reader.wait().await {
                match msg {
                    ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }
                        if tx.send(data.to_vec()).await.is_err() =>
                    {
                        break;
                    }
                    ChannelMsg::ExitStatus { exit_status } => ended = Some(ShellEnd::Exited(exit_status)),
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        ended = Some(ShellEnd::Signalled(format!("{signal_name:?}")))
                    }
                    ChannelMsg::Close => break,
                    _ => {}
                }
            }
            let ended = ended.unwrap_or_else(|| ShellEnd::Lost(conn_r.end_reason()));
            if let Ok(mut e) = end_w.lock() {
                e.get_or_insert(ended);
            }
            // Dropping `tx` here ends the reader's stream.
        });
        Ok(ShellChannel { writer: ShellWriter { writer, end, conn }, output })
    }

    /// Opens the channel and asks for a PTY and a shell, each confirmed by the server;
    /// output that came before the last confirmation is returned with the channel.
    async fn requests(conn: &Connection) -> Result<(Channel<Msg>, Vec<Vec<u8>>), SshError> {
        let lost = |e: russh::Error| SshError::Channel(format!("opening a shell: {e}"));
        let mut channel = conn.handle.channel_open_session().await.map_err(lost)?;
        let mut early = Vec::new();
        channel.request_pty(true, "xterm", DEFAULT_COLS, DEFAULT_ROWS, 0, 0, &[]).await.map_err(lost)?;
        confirmed(&mut channel, "a PTY", &mut early).await?;
        channel.request_shell(true).await.map_err(lost)?;
        confirmed(&mut channel, "a shell", &mut early).await?;
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
    fn lost(&self) -> SshError {
        SshError::Disconnected(self.conn.end_reason())
    }

    pub async fn write(&self, bytes: &[u8]) -> Result<(), SshError> {
        if self.conn.is_closed() {
            return Err(self.lost());
        }
        self.writer.data_bytes(bytes.to_vec()).await.map_err(|_| self.lost())
    }

    /// Ctrl-C through the PTY: interrupts the foreground command, like a terminal would.
    pub async fn interrupt(&self) -> Result<(), SshError> {
        self.write(&[0x03]).await
    }

    /// An SSH `signal` request (OpenSSH delivers it to the shell process itself).
    pub async fn signal(&self, sig: Sig) -> Result<(), SshError> {
        self.writer.signal(sig).await.map_err(|_| self.lost())
    }

    pub async fn resize(&self, cols: u32, rows: u32) -> Result<(), SshError> {
        self.writer.window_change(cols, rows, 0, 0).await.map_err(|_| self.lost())
    }

    /// How the shell ended, once it did.
    pub fn ended(&self) -> Option<ShellEnd> {
        self.end.lock().ok().and_then(|e| e.clone())
    }

    pub fn is_closed(&self) -> bool {
        self.ended().is_some() || self.conn.is_closed()
    }

    /// Closes the channel and the shell's connection.
    pub async fn close(self) {
        let _ = self.writer.eof().await;
        let _ = self.writer.close().await;
        let _ = self.conn.handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
    }
}
