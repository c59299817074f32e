//! Local scripts run under `sh -c` with a deadline and a bound on what they print: past
//! either, the script's whole process group is killed (the tmux or cat it started, not only
//! the shell) and a clear error returned. The local half of the exec layer; the SSH half is
//! [`crate::ssh::exec`], which words its bound the same way.

use super::{BackendError, ExecOutput};
use rustix::process::{Pid, Signal, kill_process_group};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Kills the script's process group when dropped armed: on a timeout, an output past the
/// bound, or a caller that stopped waiting.
pub(crate) struct Group(Option<Pid>);

impl Group {
    /// The process group of `child`, which must have been started with `process_group(0)`.
    pub(crate) fn of(child: &tokio::process::Child) -> Group {
        Group(child.id().and_then(|id| Pid::from_raw(i32::try_from(id).ok()?)))
    }

    pub(crate) fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take() {
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }
}

/// Runs `cmd`, a quick program such as tmux, to its end within `limit`, without an async
/// runtime (the hook, the host side of agent shells). `Ok(None)`: it did not end in time,
/// and was killed. Its output is read once it ended, at most `max` bytes of each stream: it
/// must print less than a pipe holds.
pub fn output_within(
    cmd: &mut std::process::Command,
    limit: Duration,
    max: u64,
) -> std::io::Result<Option<std::process::Output>> {
    use std::io::Read;
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let deadline = std::time::Instant::now() + limit;
    let mut pause = Duration::from_micros(200);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let read = |pipe: Option<&mut dyn Read>| {
        let mut bytes = Vec::new();
        if let Some(pipe) = pipe {
            let _ = pipe.take(max).read_to_end(&mut bytes);
        }
        bytes
    };
    let stdout = read(child.stdout.as_mut().map(|p| p as &mut dyn Read));
    let stderr = read(child.stderr.as_mut().map(|p| p as &mut dyn Read));
    Ok(Some(std::process::Output { status, stdout, stderr }))
}

/// Runs `sh -c script` with `stdin` fed to it. It is killed, with everything it started,
/// after `timeout` ([`BackendError::TimedOut`]) or once stdout and stderr together pass
/// `max_output` bytes.
pub async fn run_sh(
    script: &str,
    stdin: Option<&[u8]>,
    timeout: Duration,
    max_output: usize,
) -> Result<ExecOutput, BackendError> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BackendError::Command(format!("cannot run sh: {e}")))?;
    let mut group = Group::of(&child);
    let (out, err, input) = (child.stdout.take(), child.stderr.take(), child.stdin.take());
    let work = async {
        let feed = async {
            if let (Some(data), Some(mut pipe)) = (stdin, input) {
                // A script that exits without reading its input is not an error.
                let _ = pipe.write_all(data).await;
            }
        };
        let ((), collected) = tokio::join!(feed, collect(out, err, max_output));
        let (stdout, stderr) = collected?;
        let status = child.wait().await?;
        Ok(ExecOutput { status: status.code(), stdout, stderr })
    };
    let result = tokio::time::timeout(timeout, work).await.map_err(|_| BackendError::TimedOut(timeout))?;
    if result.is_ok() {
        // Finished on its own: what it left running in the background (a tmux server
        // daemonizes on its own anyway) is not ours to kill.
        group.disarm();
    }
    result
}

/// Reads both pipes to their end, stopping with an error once they hold more than `max`
/// bytes together.
async fn collect(
    out: Option<impl AsyncRead + Unpin>,
    err: Option<impl AsyncRead + Unpin>,
    max: usize,
) -> Result<(Vec<u8>, Vec<u8>), BackendError> {
    let (Some(mut out), Some(mut err)) = (out, err) else {
        return Err(BackendError::Command("sh started without its output pipes".into()));
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    let (mut out_buf, mut err_buf) = (vec![0u8; 16 << 10], vec![0u8; 16 << 10]);
    while out_open || err_open {
        tokio::select! {
            n = out.read(&mut out_buf), if out_open => match n? {
                0 => out_open = false,
                n => stdout.extend_from_slice(&out_buf[..n]),
            },
            n = err.read(&mut err_buf), if err_open => match n? {
                0 => err_open = false,
                n => stderr.extend_from_slice(&err_buf[..n]),
            },
        }
        if stdout.len() + stderr.len() > max {
            return Err(BackendError::Command(crate::ssh::exec::too_large(max)));
        }
    }
    Ok((stdout, stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits until the process whose pid the script wrote to `pid_file` is gone.
    async fn assert_dies(pid_file: &std::path::Path) {
        let pid = std::fs::read_to_string(pid_file).unwrap().trim().to_string();
        let gone = || std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !gone() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone(), "{pid} still runs");
    }

    #[tokio::test]
    async fn endless_output_is_cut_at_the_bound_and_the_script_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        // The shell's child (`yes`) must die too, not only the shell.
        let script = format!("sh -c 'echo $$ > {}; exec yes'; echo after", pid_file.display());
        let e = run_sh(&script, None, Duration::from_secs(20), 1 << 20).await.unwrap_err();
        assert_eq!(e.to_string(), "output larger than 1 MiB");
        assert_dies(&pid_file).await;
    }

    #[tokio::test]
    async fn a_timeout_kills_what_the_script_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sh -c 'echo $$ > {}; exec sleep 30'; echo after", pid_file.display());
        let e = run_sh(&script, None, Duration::from_millis(500), 1 << 20).await.unwrap_err();
        assert!(matches!(e, BackendError::TimedOut(_)), "{e}");
        assert_dies(&pid_file).await;
        let out = run_sh("cat; printf err >&2", Some(b"in"), Duration::from_secs(10), 1 << 20).await.unwrap();
        assert_eq!((out.stdout.as_slice(), out.stderr.as_slice(), out.status), (&b"in"[..], &b"err"[..], Some(0)));
    }
}
