//! One command on one channel: open, exec, feed stdin, collect stdout, stderr and the exit
//! status. A channel that ends without an exit status is a failure, never an empty success.

use super::connect::Connection;
use super::error::SshError;
use russh::ChannelMsg;

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
}

pub async fn run(conn: &Connection, command: &str, stdin: Option<&[u8]>) -> Result<Output, ExecFailure> {
    let mut channel = conn.handle.channel_open_session().await.map_err(|e| {
        if conn.is_closed() || matches!(e, russh::Error::SendError | russh::Error::RecvError | russh::Error::Disconnect)
        {
            ExecFailure::Open(SshError::Disconnected(conn.end_reason()))
        } else if matches!(e, russh::Error::ChannelOpenFailure(_)) {
            ExecFailure::Busy(SshError::Channel(format!("the server refused a channel: {e}")))
        } else {
            ExecFailure::Run(SshError::Channel(format!("the server refused a channel: {e}")))
        }
    })?;
    let lost = |_| ExecFailure::Run(SshError::Disconnected(conn.end_reason()));
    channel.exec(true, command.as_bytes()).await.map_err(lost)?;
    if let Some(data) = stdin {
        channel.data(data).await.map_err(lost)?;
    }
    channel.eof().await.map_err(lost)?;

    let mut out = Output::default();
    let mut exited = false;
    while let Some(msg) = channel.wait().await {
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
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    if !exited {
        let why = if conn.is_closed() { conn.end_reason() } else { "the channel closed".into() };
        return Err(ExecFailure::Run(SshError::Disconnected(format!(
            "the command ended without an exit status: {why}"
        ))));
    }
    Ok(out)
}
