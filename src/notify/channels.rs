//! The channels a notice goes out on. Every text is already clean (see [`super::Notice`]);
//! each channel still escapes what its receiver would interpret: markup for desktop
//! notifications, `#` formats for tmux, `;` separators in OSC 777. Session data is never
//! part of a shell string: the command channel gets it in its environment.

use super::{Notice, NotifyConfig};
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// Where the caller lets notices go besides the desktop and the command.
#[derive(Default)]
pub struct Outputs<'a> {
    /// The terminal navi draws on (the dashboard): OSC 777, OSC 9 and a bell go there.
    pub terminal: Option<&'a mut (dyn Write + Send)>,
    /// navi runs inside tmux: terminal sequences are wrapped for tmux's passthrough.
    pub inside_tmux: bool,
    /// The tmux server whose clients get `display-message` (`None`: the user's default).
    pub tmux_socket: Option<PathBuf>,
}

/// How long the desktop service and tmux get to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// Sends `notice` on every configured channel; returns one line per failure.
pub async fn send_all(notice: &Notice, config: &NotifyConfig, out: Outputs<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    if config.terminal
        && let Some(term) = out.terminal
    {
        let bytes = terminal_bytes(notice, out.inside_tmux);
        if let Err(e) = term.write_all(&bytes).and_then(|_| term.flush()) {
            problems.push(format!("terminal: {e}"));
        }
    }
    let desktop = async {
        if config.desktop && desktop_available() {
            tokio::time::timeout(ANSWER_WAIT, desktop(notice))
                .await
                .unwrap_or_else(|_| Err("the notification service did not answer".into()))
                .err()
                .map(|e| format!("desktop: {e}"))
        } else {
            None
        }
    };
    let tmux = async {
        if config.tmux {
            tmux(notice, out.tmux_socket.as_deref()).await.err().map(|e| format!("tmux: {e}"))
        } else {
            None
        }
    };
    let command = async {
        match &config.command {
            Some(argv) => command(notice, argv, config.command_timeout).await.err().map(|e| format!("command: {e}")),
            None => None,
        }
    };
    let (a, b, c) = tokio::join!(desktop, tmux, command);
    problems.extend([a, b, c].into_iter().flatten());
    problems
}

/// OSC 777 (title and body), OSC 9 (one line) and a bell. Inside tmux the OSCs go through
/// its passthrough (`allow-passthrough on`); the bell is tmux's own to handle.
pub fn terminal_bytes(notice: &Notice, inside_tmux: bool) -> Vec<u8> {
    let field = |s: &str| s.replace(';', ",");
    let osc777 = format!("\x1b]777;notify;{};{}\x1b\\", field(&notice.title()), field(&notice.message));
    let osc9 = format!("\x1b]9;{}\x1b\\", notice.line());
    let mut out = Vec::new();
    for seq in [osc777, osc9] {
        if inside_tmux {
            out.extend_from_slice(b"\x1bPtmux;");
            out.extend_from_slice(seq.replace('\x1b', "\x1b\x1b").as_bytes());
            out.extend_from_slice(b"\x1b\\");
        } else {
            out.extend_from_slice(seq.as_bytes());
        }
    }
    out.push(0x07);
    out
}

/// A session bus to talk to: Linux and the BSDs need one (no bus: the channel is off,
/// silently); macOS has its notification centre.
fn desktop_available() -> bool {
    if cfg!(target_os = "macos") {
        return true;
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    let uid = rustix::process::getuid().as_raw();
    std::path::Path::new(&format!("/run/user/{uid}/bus")).exists()
}

async fn desktop(notice: &Notice) -> Result<(), String> {
    // The freedesktop body may hold markup: show it as the text it is.
    let body = notice.message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    notify_rust::Notification::new()
        .appname("navi")
        .summary(&notice.title())
        .body(&body)
        .show_async()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// tmux expands `#{…}` and runs `#(…)` in a displayed message: every `#` is doubled.
pub fn tmux_text(notice: &Notice) -> String {
    format!("navi: {}", notice.line()).replace('#', "##")
}

async fn tmux(notice: &Notice, socket: Option<&std::path::Path>) -> Result<(), String> {
    let base = || {
        let mut c = tokio::process::Command::new("tmux");
        c.arg("-u");
        if let Some(s) = socket {
            c.arg("-S").arg(s);
        }
        c.stdin(Stdio::null()).kill_on_drop(true);
        c
    };
    let clients = run(base().args(["list-clients", "-F", "#{client_name}"])).await?;
    let text = tmux_text(notice);
    for client in String::from_utf8_lossy(&clients).lines().filter(|l| !l.is_empty()).take(64) {
        run(base().args(["display-message", "-d", "5000", "-c", client, "--", &text])).await?;
    }
    Ok(())
}

/// Runs a tmux command with a timeout; no server is no failure (nobody to show it to).
async fn run(cmd: &mut tokio::process::Command) -> Result<Vec<u8>, String> {
    let out = tokio::time::timeout(ANSWER_WAIT, cmd.output())
        .await
        .map_err(|_| "did not answer".to_string())?
        .map_err(|e| e.to_string())?;
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || err.contains("no server running") || err.contains("No such file or directory") {
        Ok(if out.status.success() { out.stdout } else { Vec::new() })
    } else {
        Err(crate::text::sanitize_line(err.trim()))
    }
}

/// Runs the user's command with the notice in its environment and nothing on its stdin;
/// it is killed when it outlives `timeout`.
async fn command(notice: &Notice, argv: &[String], timeout: Duration) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("NAVI_SESSION", &notice.session)
        .env("NAVI_REMOTE", notice.remote.as_deref().unwrap_or(""))
        .env("NAVI_STATUS", &notice.status)
        .env("NAVI_REASON", notice.reason.as_str())
        .env("NAVI_MESSAGE", &notice.message)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", crate::text::sanitize_line(program)))?;
    // Past the timeout, everything it started goes too (a script's `sleep`, `curl`).
    let mut group = crate::backend::process::Group::of(&child);
    let waited = tokio::time::timeout(timeout, child.wait()).await;
    if waited.is_ok() {
        group.disarm();
    }
    match waited {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("{} ended with {status}", crate::text::sanitize_line(program))),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => {
            drop(group);
            let _ = child.kill().await;
            Err(format!("{} was killed after {} s", crate::text::sanitize_line(program), timeout.as_secs()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Reason;

    fn notice(message: &str) -> Notice {
        Notice {
            session: "api #(touch x)".into(),
            remote: Some("prod".into()),
            status: "permission".into(),
            reason: Reason::Permission,
            message: message.into(),
            at: 1,
        }
    }

    #[test]
    fn terminal_sequences_plain_and_through_tmux() {
        let n = notice("Allow Bash; rm?");
        let plain = String::from_utf8(terminal_bytes(&n, false)).unwrap();
        assert_eq!(
            plain,
            "\x1b]777;notify;api #(touch x) (prod) needs permission;Allow Bash, rm?\x1b\\\
             \x1b]9;api #(touch x) (prod) needs permission: Allow Bash; rm?\x1b\\\x07"
        );
        let wrapped = String::from_utf8(terminal_bytes(&n, true)).unwrap();
        assert!(wrapped.starts_with("\x1bPtmux;\x1b\x1b]777;notify;"), "{wrapped:?}");
        assert!(wrapped.ends_with("\x1b\x1b\\\x1b\\\x07"), "{wrapped:?}");
    }

    #[test]
    fn tmux_formats_are_not_expanded() {
        assert_eq!(tmux_text(&notice("#{pane_pid}")), "navi: api ##(touch x) (prod) needs permission: ##{pane_pid}");
    }

    #[tokio::test]
    async fn a_command_past_its_timeout_is_killed_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 60 & echo $! > '{}'; wait", pid_file.display());
        let argv = vec!["sh".to_string(), "-c".to_string(), script];
        let e = command(&notice("m"), &argv, Duration::from_millis(500)).await.unwrap_err();
        assert!(e.contains("killed after"), "{e}");
        let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            let pid = rustix::process::Pid::from_raw(pid).unwrap();
            rustix::process::test_kill_process(pid).is_err()
        });
        assert!(gone, "the command's child {pid} outlived its timeout");
    }
}
