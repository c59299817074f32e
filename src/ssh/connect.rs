//! Opening a connection: TCP (or a direct-tcpip channel through a jump host), the SSH
//! handshake with host-key verification, then login. Every hop has its own timeout and
//! its errors name the hop.

use super::auth::{Login, authenticate};
use super::error::SshError;
use super::hostkeys::HostCheck;
use crate::config::{Hop, HostKeyChecking, Remote};
use russh::client::{self, DisconnectReason, Handle};
use russh::keys::{Algorithm, HashAlg, PublicKeyOrCertificate};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A silent peer is dropped after three unanswered keepalives: about 15 s.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
pub const KEEPALIVE_MAX: usize = 2;

/// russh's callbacks: the host-key check, and why the connection ended.
pub struct Client {
    check: HostCheck,
    verdict: Arc<Mutex<Option<SshError>>>,
    ended: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let result = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.check.verify(key),
            PublicKeyOrCertificate::Certificate(_) => Err(SshError::Connect {
                host: self.check.host.clone(),
                port: self.check.port,
                hop: self.check.hop.clone(),
                reason: "the server sent a host certificate, which navi does not check".into(),
            }),
        };
        match result {
            Ok(()) => Ok(true),
            Err(e) => {
                if let Ok(mut v) = self.verdict.lock() {
                    *v = Some(e);
                }
                Ok(false)
            }
        }
    }

    async fn disconnected(&mut self, reason: DisconnectReason<Self::Error>) -> Result<(), Self::Error> {
        let (text, result) = match reason {
            DisconnectReason::ReceivedDisconnect(info) => {
                (format!("the server closed the connection: {}", info.message), Ok(()))
            }
            DisconnectReason::Error(e) => (e.to_string(), Err(e)),
        };
        if let Ok(mut ended) = self.ended.lock() {
            ended.get_or_insert(text);
        }
        result
    }
}

/// An authenticated connection, with the jump connection it runs through (kept alive as
/// long as this one is).
pub struct Connection {
    pub handle: Handle<Client>,
    ended: Arc<Mutex<Option<String>>>,
    jump: Option<Box<Connection>>,
    /// Shells open on this connection (see [`ShellLease`]).
    shells: std::sync::atomic::AtomicUsize,
}

/// Counts one shell on a connection for as long as it lives.
pub struct ShellLease(Arc<Connection>);

impl ShellLease {
    pub fn new(conn: Arc<Connection>) -> Self {
        conn.shells.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ShellLease(conn)
    }

    pub fn conn(&self) -> &Arc<Connection> {
        &self.0
    }
}

impl Drop for ShellLease {
    fn drop(&mut self) {
        self.0.shells.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Connection {
    /// How many shells are open on this connection.
    pub fn shells(&self) -> usize {
        self.shells.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn is_closed(&self) -> bool {
        self.handle.is_closed() || self.jump.as_ref().is_some_and(|j| j.is_closed())
    }

    /// Why the connection ended, when it did.
    pub fn end_reason(&self) -> String {
        let own = self.ended.lock().ok().and_then(|e| e.clone());
        let jump = self.jump.as_ref().filter(|j| j.is_closed()).map(|j| format!("jump host: {}", j.end_reason()));
        own.or(jump).unwrap_or_else(|| "the connection closed".into())
    }
}

/// What to connect to, with the settings shared by every remote.
#[derive(Debug, Clone)]
pub struct Target {
    pub remote: Remote,
    pub known_hosts: PathBuf,
    pub policy: HostKeyChecking,
}

impl Target {
    fn check(&self, name: &str, hop: &Hop) -> HostCheck {
        HostCheck {
            remote: self.remote.name.clone(),
            hop: name.into(),
            host: hop.host.clone(),
            port: hop.port,
            known_hosts: hop.known_hosts.clone().unwrap_or_else(|| self.known_hosts.clone()),
            policy: self.policy,
        }
    }
}

/// Opens a connection to the remote, through its jump host when it has one.
pub async fn connect(target: &Target) -> Result<Connection, SshError> {
    let r = &target.remote;
    let hops: Vec<Hop> = r.jumps.iter().cloned().chain(std::iter::once(r.target())).collect();
    let n = hops.len();
    let mut previous: Option<Connection> = None;
    for (i, hop) in hops.iter().enumerate() {
        let name = if i + 1 == n {
            match &previous {
                None => format!("remote {}", r.name),
                Some(_) => format!("remote {} via {}", r.name, hop_name(&hops[i - 1], i, n)),
            }
        } else {
            hop_name(hop, i + 1, n)
        };
        let check = target.check(&name, hop);
        let login = within(&name, &hop.host, hop.port, async {
            match &previous {
                None => handshake(tcp(&hop.host, hop.port, &name).await?, check, hop).await,
                Some(via) => {
                    let channel = via
                        .handle
                        .channel_open_direct_tcpip(hop.host.clone(), u32::from(hop.port), "127.0.0.1", 0)
                        .await;
                    let channel = channel.map_err(|e| SshError::Connect {
                        host: hop.host.clone(),
                        port: hop.port,
                        hop: name.clone(),
                        reason: format!("the jump host could not open a tunnel: {e}"),
                    })?;
                    handshake(channel.into_stream(), check, hop).await
                }
            }
        })
        .await;
        let mut conn = login?;
        conn.jump = previous.take().map(Box::new);
        previous = Some(conn);
    }
    previous.ok_or_else(|| SshError::Channel("no hop to connect to".into()))
}

/// `jump host HOST:PORT`, numbered in a chain of more than one: `jump host 2 of 3 HOST:PORT`.
fn hop_name(hop: &Hop, index: usize, hops: usize) -> String {
    if hops > 2 {
        format!("jump host {index} of {} {}:{}", hops - 1, hop.host, hop.port)
    } else {
        format!("jump host {}:{}", hop.host, hop.port)
    }
}

async fn within<T>(
    hop: &str,
    host: &str,
    port: u16,
    fut: impl Future<Output = Result<T, SshError>>,
) -> Result<T, SshError> {
    tokio::time::timeout(CONNECT_TIMEOUT, fut).await.map_err(|_| SshError::Timeout {
        what: format!("connecting to {host}:{port} ({hop})"),
        after: CONNECT_TIMEOUT,
    })?
}

async fn tcp(host: &str, port: u16, hop: &str) -> Result<tokio::net::TcpStream, SshError> {
    let stream = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| SshError::Connect {
        host: host.into(),
        port,
        hop: hop.into(),
        reason: e.to_string(),
    })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

fn config(check: &HostCheck) -> Arc<client::Config> {
    let mut config = client::Config {
        keepalive_interval: Some(KEEPALIVE_INTERVAL),
        keepalive_max: KEEPALIVE_MAX,
        nodelay: true,
        ..Default::default()
    };
    // Ask for a key type known_hosts holds, so a recorded host is not refused as unknown
    // only because it offered another of its keys first.
    let recorded = check.recorded_algorithms();
    if !recorded.is_empty() {
        let mut keys = host_key_algorithms(&recorded);
        keys.extend(config.preferred.key.iter().filter(|a| !keys.contains(a)).cloned().collect::<Vec<_>>());
        config.preferred.key = keys.into();
    }
    Arc::new(config)
}

/// The signature algorithms to ask for, first, for the key types known_hosts records. An
/// RSA key is asked for with SHA-2 signatures: OpenSSH no longer offers `ssh-rsa` (SHA-1),
/// so asking for that alone would end up with another key type, one never recorded.
fn host_key_algorithms(recorded: &[Algorithm]) -> Vec<Algorithm> {
    let mut out = Vec::new();
    for a in recorded {
        let expanded = match a {
            Algorithm::Rsa { .. } => {
                vec![Algorithm::Rsa { hash: Some(HashAlg::Sha512) }, Algorithm::Rsa { hash: Some(HashAlg::Sha256) }]
            }
            other => vec![other.clone()],
        };
        out.extend(expanded.into_iter().filter(|e| !out.contains(e)).collect::<Vec<_>>());
    }
    out
}

async fn handshake<S>(stream: S, check: HostCheck, login: &Hop) -> Result<Connection, SshError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let verdict = Arc::new(Mutex::new(None));
    let ended = Arc::new(Mutex::new(None));
    let (host, port, hop) = (check.host.clone(), check.port, check.hop.clone());
    let client = Client { check: check.clone(), verdict: verdict.clone(), ended: ended.clone() };
    let mut handle = match client::connect_stream(config(&check), stream, client).await {
        Ok(h) => h,
        Err(e) => {
            if let Some(v) = verdict.lock().ok().and_then(|mut v| v.take()) {
                return Err(v);
            }
            return Err(SshError::Connect { host, port, hop, reason: e.to_string() });
        }
    };
    let only = login.identities_only;
    authenticate(&mut handle, &Login { user: &login.user, host: &host, hop: &hop, key: &login.key, only }).await?;
    Ok(Connection { handle, ended, jump: None, shells: Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_rsa_key_asks_for_sha2_signatures_only() {
        let got = host_key_algorithms(&[Algorithm::Ed25519, Algorithm::Rsa { hash: None }]);
        assert_eq!(
            got,
            [
                Algorithm::Ed25519,
                Algorithm::Rsa { hash: Some(HashAlg::Sha512) },
                Algorithm::Rsa { hash: Some(HashAlg::Sha256) }
            ]
        );
    }
}
