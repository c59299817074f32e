//! What can go wrong talking to a remote, as variants callers act on: a host key to accept
//! or refuse, a timeout naming the step, a dropped connection, a refused login.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum SshError {
    /// The host is not in known_hosts and checking is strict. Everything needed to accept
    /// the key is here (see [`crate::ssh::hostkeys::accept`]).
    #[error(
        "{host}:{port} ({hop}) is not in {known_hosts}; its {algorithm} key fingerprint is {fingerprint}. \
         If that is right, accept it in the dashboard, or add it with: \
         ssh-keyscan -p {port} {host} >> {known_hosts}"
    )]
    UnknownHostKey {
        remote: String,
        /// Which hop: "remote NAME" or "jump host H".
        hop: String,
        host: String,
        port: u16,
        algorithm: String,
        fingerprint: String,
        /// The key as a known_hosts `type base64` pair.
        openssh: String,
        known_hosts: String,
    },
    /// known_hosts holds keys for the host and none is the one offered (of the same type or
    /// not): never accepted automatically. `expected` and `actual` are `TYPE SHA256:...`.
    #[error(
        "HOST KEY CHANGED for {host}:{port} ({hop}): expected {expected} (line {line} of {known_hosts}), \
         got {actual}. Someone may be intercepting the connection; if the server was reinstalled, \
         remove line {line} and connect again"
    )]
    HostKeyChanged {
        remote: String,
        hop: String,
        host: String,
        port: u16,
        expected: String,
        actual: String,
        line: usize,
        known_hosts: String,
    },
    #[error("REVOKED host key for {host}:{port} ({hop}): {key} is marked @revoked on line {line} of {known_hosts}")]
    HostKeyRevoked {
        remote: String,
        hop: String,
        host: String,
        port: u16,
        key: String,
        line: usize,
        known_hosts: String,
    },
    #[error("reading {known_hosts}: {reason}")]
    KnownHosts { known_hosts: String, reason: String },
    #[error("timed out after {}s {what}", after.as_secs())]
    Timeout { what: String, after: Duration },
    #[error("connection lost: {0}")]
    Disconnected(String),
    #[error("authentication failed for {user}@{host} ({hop}): {reason}")]
    Auth { user: String, host: String, hop: String, reason: String },
    #[error("cannot connect to {host}:{port} ({hop}): {reason}")]
    Connect { host: String, port: u16, hop: String, reason: String },
    #[error("channel: {0}")]
    Channel(String),
    /// The command printed more than its bound; it was killed and its channel closed.
    #[error("{}", super::exec::too_large(*limit))]
    OutputTooLarge { limit: usize },
    #[error("no remote named {0:?}")]
    NoSuchRemote(String),
}

impl SshError {
    /// True when the connection itself is gone, so a fresh one may succeed.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, SshError::Disconnected(_))
    }
}
