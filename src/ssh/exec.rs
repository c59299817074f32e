//! One command on one channel: open, exec, feed stdin, collect stdout, stderr and the exit
//! status. A channel that ends without an exit status, or before the server's EOF, is a
//! failure, never an empty or partial success; a channel given up on is closed.

use super::connect::Connection;
use super::error::SshError;
use russh::client::Msg;
use russh::{ChannelMsg, ChannelWriteHalf, Sig};

/// What a remote command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// `None` when the command was killed by a signal (named in `stderr`).
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Where a command failed: before anything ran (safe to retry on a new connection), or
/// after it was started (not retried: it may have had effects).
#[derive(Debug)]
pub enum ExecFailure {
    /// The connection is gone.
    Open(SshError),
    /// The server refused the channel, usually because its `MaxSessions` slots are not
    /// yet freed from channels that just closed: worth a short wait and another try.
    Busy(SshError),
    Run(SshError),
    /// The command did not end in time; it was killed and its channel closed.
    TimedOut,
    /// The command printed more than the bound (stdout and stderr together); it was
    /// killed and its channel closed.
    TooLarge(usize),
}

/// What a command may print, stdout and stderr together, unless its caller says otherwise:
/// far above any status folder or pane capture, far below what would hurt this machine.
pub const MAX_OUTPUT: usize = 16 << 20;

/// Closes a channel that is dropped before the server closed it (a timeout, a cancelled
/// future, an early return): without this the server keeps the command, and its session
/// slot, until the connection ends. Best effort: kill the command, then close.
struct Closer {
    writer: Option<ChannelWriteHalf<Msg>>,
}

impl Closer {
    /// The server closed the channel (russh answers that itself): nothing left to do.
    fn closed(&mut self) {
        self.writer = None;
    }
}

impl Drop for Closer {
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else { return };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = writer.signal(Sig::KILL).await;
                let _ = writer.eof().await;
                let _ = writer.close().await;
            });
        }
    }
}

/// How long a command given up on gets to be killed and its channel closed before the
/// caller moves on (and may end the connection).
const KILL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs `command` on a new channel of `conn`. When it has not ended within `limit`, or has
/// printed more than `max_output` bytes, it is killed (`signal KILL`, then EOF and close)
/// before this returns [`ExecFailure::TimedOut`] or [`ExecFailure::TooLarge`], so a caller
/// that then ends the connection cannot race the kill and leave it running.
pub async fn run(
    conn: &Connection,
    command: &str,
    stdin: Option<&[u8]>,
    limit: std::time::Duration,
    max_output: usize,
) -> Result<Output, ExecFailure> {
    let deadline = tokio::time::Instant::now() + limit;
    let channel = tokio::time::timeout_at(deadline, conn.handle.channel_open_session())
        .await
        .map_err(|_| ExecFailure::TimedOut)?
        .map_err(|e| {
            if conn.is_closed()
                || matches!(e, russh::Error::SendError | russh::Error::RecvError | russh::Error::Disconnect)
            {
                ExecFailure::Open(SshError::Disconnected(conn.end_reason()))
            } else if matches!(e, russh::Error::ChannelOpenFailure(_)) {
                ExecFailure::Busy(SshError::Channel(format!("the server refused a channel: {e}")))
            } else {
                ExecFailure::Run(SshError::Channel(format!("the server refused a channel: {e}")))
            }
        })?;
    let (mut reader, writer) = channel.split();
    let mut closer = Closer { writer: Some(writer) };
    let mut server_closed = false;
    let outcome = match closer.writer.as_ref() {
        Some(writer) => {
            let talking = talk(conn, writer, &mut reader, command, stdin, max_output, &mut server_closed);
            tokio::time::timeout_at(deadline, talking).await
        }
        None => Ok(Err(ExecFailure::Run(SshError::Channel("no channel".into())))),
    };
    if server_closed {
        closer.closed();
    }
    let failure = match outcome {
        Ok(Err(ExecFailure::TooLarge(n))) => ExecFailure::TooLarge(n),
        Ok(result) => return result,
        Err(_) => ExecFailure::TimedOut,
    };
    if let Some(writer) = closer.writer.take() {
        let _ = tokio::time::timeout(KILL_GRACE, async {
            let _ = writer.signal(Sig::KILL).await;
            let _ = writer.eof().await;
            let _ = writer.close().await;
        })
        .await;
    }
    Err(failure)
}

/// Starts the command, feeds stdin and collects everything until the server closed the
/// channel (`server_closed` is set then), or until more than `max_output` bytes came.
async fn talk(
    conn: &Connection,
    writer: &ChannelWriteHalf<Msg>,
    reader: &mut russh::ChannelReadHalf,
    command: &str,
    stdin: Option<&[u8]>,
    max_output: usize,
    server_closed: &mut bool,
) -> Result<Output, ExecFailure> {
    let lost = |_| ExecFailure::Run(SshError::Disconnected(conn.end_reason()));
    writer.exec(true, command.as_bytes()).await.map_err(lost)?;
    if let Some(data) = stdin {
        writer.data(data).await.map_err(lost)?;
    }
    writer.eof().await.map_err(lost)?;

    let mut out = Output::default();
    let mut exited = false;
    // OpenSSH may send the exit status before the last of the output: the output is
    // complete only once the server also sent EOF or closed the channel.
    let mut drained = false;
    while let Some(msg) = reader.wait().await {
        let arrived = match &msg {
            ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. } => data.len(),
            _ => 0,
        };
        if out.stdout.len() + out.stderr.len() + arrived > max_output {
            return Err(ExecFailure::TooLarge(max_output));
        }
        match msg {
            ChannelMsg::Data { data } => out.stdout.extend_from_slice(&data),
            ChannelMsg::ExtendedData { data, ext: 1 } => out.stderr.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => {
                out.status = Some(i32::try_from(exit_status).unwrap_or(i32::MAX));
                exited = true;
            }
            ChannelMsg::ExitSignal { signal_name, error_message, .. } => {
                out.stderr.extend_from_slice(format!("killed by signal {signal_name:?} {error_message}").as_bytes());
                exited = true;
            }
            ChannelMsg::Failure => {
                return Err(ExecFailure::Run(SshError::Channel("the server refused to run the command".into())));
            }
            ChannelMsg::Eof => drained = true,
            ChannelMsg::Close => {
                *server_closed = true;
                drained = true;
                break;
            }
            _ => {}
        }
    }
    if !exited || !drained {
        let why = if conn.is_closed() { conn.end_reason() } else { "the channel closed".into() };
        let what = if exited { "the output was cut short" } else { "the command ended without an exit status" };
        return Err(ExecFailure::Run(SshError::Disconnected(format!("{what}: {why}"))));
    }
    Ok(out)
}

/// "output larger than 16 MiB": the one wording of a bound on output, local or remote.
pub fn too_large(max_output: usize) -> String {
    format!("output larger than {}", crate::files::size(max_output as u64))
}
