//! One-shot work on a host without a session: `exec` (stdout and stderr apart, the exit
//! code, a timeout; on several hosts at once, each with its own result), `put` and `get` of
//! a file, and `hosts`. Each is one POSIX `sh` script from the same builder whatever the
//! host: locally a child `/bin/sh -c`, on a remote `exec /bin/sh -c '…'` on a pool channel.

use super::files;
use crate::backend::shell::quote;
use crate::ssh::Pool;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What `exec` keeps of each of stdout and stderr locally (a remote's pool has its own
/// bound); past it the command is killed and the host's result is an error.
pub const MAX_OUTPUT: usize = 16 << 20;
/// `exec` without a timeout still ends after this long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How a script ended.
#[derive(Debug, Default)]
pub struct Ran {
    /// `None` when killed by a signal.
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[derive(Debug, Serialize)]
pub struct HostInfo {
    pub hostname: String,
    /// `connected`, `disconnected` (not yet used, or idle) or `error`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Executed {
    pub hostname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// Why the command could not run or be waited for on this host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where one-shot work goes: this machine, or a remote through the pool.
pub struct Machines {
    pool: Option<Arc<Pool>>,
}

impl Machines {
    pub fn new(pool: Option<Arc<Pool>>) -> Self {
        Machines { pool }
    }

    /// `local` and every configured remote with its connection state.
    pub fn hosts(&self) -> Vec<HostInfo> {
        let local = HostInfo { hostname: "local".into(), state: "connected".into(), last_error: None };
        let remotes = self.pool.iter().flat_map(|p| p.statuses()).map(|(name, st)| HostInfo {
            hostname: name,
            state: serde_json::to_value(st.state).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            last_error: st.last_error,
        });
        std::iter::once(local).chain(remotes).collect()
    }

    fn pool_for(&self, host: &str) -> Result<&Pool, String> {
        match &self.pool {
            Some(p) if p.remote(host).is_some() => Ok(p),
            _ => {
                let mut known = vec!["local".to_string()];
                known.extend(self.pool.iter().flat_map(|p| p.remotes().to_vec()));
                Err(format!(
                    "unknown hostname {host:?}: use \"local\" or the name of a remote in remotes.yaml (known: {})",
                    known.join(", ")
                ))
            }
        }
    }

    /// Runs `script` with `sh` on `host`, `stdin` fed to it; `Err` when it could not run or
    /// did not end within `limit` (`timed_out` says which).
    pub async fn run(&self, host: &str, script: &str, stdin: &[u8], limit: Duration) -> Result<Ran, Failure> {
        if host == "local" {
            return run_local(script, stdin, limit).await;
        }
        let pool = self.pool_for(host).map_err(Failure::Other)?;
        let remote = format!("exec /bin/sh -c {}", quote(script));
        match pool.exec_within(host, &remote, Some(stdin), limit).await {
            Ok(o) => Ok(Ran { status: o.status, stdout: o.stdout, stderr: o.stderr }),
            Err(crate::ssh::SshError::Timeout { .. }) => Err(Failure::TimedOut),
            Err(e) => Err(Failure::Other(e.to_string())),
        }
    }

    /// `command` on each of `hosts` at once; one result per host, in order.
    pub async fn exec(&self, hosts: &[String], command: &str, timeout: Option<Duration>) -> Vec<Executed> {
        let limit = timeout.unwrap_or(DEFAULT_TIMEOUT);
        let runs = hosts.iter().map(|h| async move {
            let mut out = Executed {
                hostname: h.clone(),
                exit_code: None,
                stdout: String::new(),
                stderr: String::new(),
                timed_out: false,
                error: None,
            };
            match self.run(h, command, b"", limit).await {
                Ok(r) => {
                    out.exit_code = r.status;
                    if r.status.is_none() {
                        out.error = Some("it was ended by a signal: no exit code".into());
                    }
                    // Cleaned as a read's output is (escape sequences and control
                    // characters out; newline, tab and carriage return kept), off the workers.
                    let clean = |b: Vec<u8>| crate::text::strip_escapes(&b, b"\n\t\r");
                    let (o, e) = (r.stdout, r.stderr);
                    (out.stdout, out.stderr) =
                        tokio::task::spawn_blocking(move || (clean(o), clean(e))).await.unwrap_or_default();
                }
                Err(Failure::TimedOut) => {
                    out.timed_out = true;
                    out.error = Some(format!("did not finish within {} s; killed", limit.as_secs()));
                }
                Err(Failure::Other(e)) => out.error = Some(e),
            }
            out
        });
        futures::future::join_all(runs).await
    }

    pub async fn put(&self, host: &str, path: &str, content: &[u8], mode: u32) -> Result<files::Put, String> {
        let script = files::put_script(path, mode)?;
        let r = self.run(host, &script, content, files::TRANSFER_TIMEOUT).await.map_err(Failure::message)?;
        files::checked(&r)?;
        Ok(files::Put { hostname: host.to_string(), path: path.to_string(), bytes: content.len() as u64 })
    }

    pub async fn get(&self, host: &str, path: &str, max_bytes: u64) -> Result<files::Got, String> {
        let script = files::get_script(path, max_bytes)?;
        let r = self.run(host, &script, b"", files::TRANSFER_TIMEOUT).await.map_err(Failure::message)?;
        files::checked(&r)?;
        Ok(files::got(host, path, r.stdout))
    }
}

#[derive(Debug)]
pub enum Failure {
    TimedOut,
    Other(String),
}

impl Failure {
    fn message(self) -> String {
        match self {
            Failure::TimedOut => "timed out".into(),
            Failure::Other(e) => e,
        }
    }
}

async fn run_local(script: &str, stdin: &[u8], limit: Duration) -> Result<Ran, Failure> {
    let mut child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // Its own process group, so a timeout kills what it started too.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::Other(format!("cannot run /bin/sh: {e}")))?;
    let pgid = child.id().and_then(|id| rustix::process::Pid::from_raw(id as i32));
    let (mut i, mut o, mut e) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let input = stdin.to_vec();
    let kill = move || {
        if let Some(g) = pgid {
            let _ = rustix::process::kill_process_group(g, rustix::process::Signal::KILL);
        }
    };
    // Past the bound the command is killed rather than left blocked on a full pipe.
    let capped = |r: Option<Vec<u8>>| {
        if r.is_none() {
            kill();
        }
        r
    };
    let work = async {
        let feed = async {
            if let Some(i) = i.as_mut() {
                // A script that does not read its input is fine.
                let _ = i.write_all(&input).await;
            }
            drop(i.take());
        };
        let (out, err) = (async { capped(bounded(o.as_mut()).await) }, async { capped(bounded(e.as_mut()).await) });
        let (_, out, err, status) = tokio::join!(feed, out, err, child.wait());
        (out, err, status)
    };
    let (out, err, status) = match tokio::time::timeout(limit, work).await {
        Ok(r) => r,
        Err(_) => {
            kill();
            return Err(Failure::TimedOut);
        }
    };
    let status = status.map_err(|e| Failure::Other(e.to_string()))?;
    let too_large = || Failure::Other(format!("more than {MAX_OUTPUT} bytes of output"));
    let (stdout, stderr) = (out.ok_or_else(too_large)?, err.ok_or_else(too_large)?);
    Ok(Ran { status: status.code(), stdout, stderr })
}

/// All of `r` up to `MAX_OUTPUT`; `None` past it.
async fn bounded<R: tokio::io::AsyncRead + Unpin>(r: Option<&mut R>) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    if let Some(r) = r {
        let _ = r.take(MAX_OUTPUT as u64 + 1).read_to_end(&mut buf).await;
    }
    (buf.len() <= MAX_OUTPUT).then_some(buf)
}
