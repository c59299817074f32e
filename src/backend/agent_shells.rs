//! Agent shells (the `connect_session` tool's sessions) live on a tmux server of navi's own
//! on each host, `tmux -L navi-agents`, so `kill-server` on the user's tmux never touches
//! them and they outlive any `navi mcp` process. This is the one home of that server's name
//! and of the session names on it (`a-` and 8 lowercase hex digits).

use super::tmux::{self, Tmux};
use super::{BackendError, SessionBackend};
use crate::text::{sanitize_line, truncate};
use serde::Serialize;

/// The `-L` socket name of the agent-shell server.
pub const SOCKET: &str = "navi-agents";

/// Whether `name` is an agent shell's tmux session name (`a-3f9a1c07`).
pub fn is_name(name: &str) -> bool {
    name.len() == 10
        && name.starts_with("a-")
        && name[2..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh session name.
pub fn new_name() -> String {
    format!("a-{:08x}", rand::random::<u32>())
}

impl Tmux {
    /// The agent-shell server on this host (`tmux -u -L navi-agents`).
    pub fn agents() -> Self {
        Tmux::with_prefix(format!("tmux -u -L {SOCKET}"))
    }
}

/// At most this many agent shells are read from one host: what a host prints is untrusted.
pub const MAX_SHELLS: usize = 512;
/// Display columns kept of a shell's command and of its directory.
const MAX_COMMAND: usize = 64;
const MAX_CWD: usize = 512;

/// One agent shell as its host's tmux reports it; every text already sanitised (one line,
/// no escapes) and bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentShell {
    /// The remote it lives on (`None`: this machine).
    pub remote: Option<String>,
    /// Its tmux session on the agent-shell server (`a-3f9a1c07`).
    pub name: String,
    /// The pane's foreground command (`sleep`, `cargo`; `bash` when idle).
    pub command: String,
    /// The pane's working directory.
    pub cwd: String,
    /// Seconds since the last output or key in it, by the host's clock.
    pub idle_seconds: i64,
    /// A tmux client shows it right now (someone attached).
    pub attached: bool,
    /// When it was created (Unix seconds, the host's clock); `None` if tmux did not say.
    pub created: Option<i64>,
    /// Its shell has ended (the pane stays with `remain-on-exit`).
    pub dead: bool,
}

impl AgentShell {
    /// Where it lives, as shown: the remote's name or `local`.
    pub fn host(&self) -> &str {
        self.remote.as_deref().unwrap_or("local")
    }
}

/// The one script that lists the agent shells of a host, locally and over SSH: the host's
/// clock (`date +%s`, for idle times by its own clock), then one `list-panes -a` line per
/// pane; its exit status and stderr are tmux's (see [`parse_list`]). Paths and commands
/// may hold any byte tmux passes on as is (tabs, newlines, escapes), so each field starts
/// with `marker` (unique to this call, so no field can contain it) and a letter: `h` the
/// fixed fields, `c` the command, `p` the directory, which runs to the next marker. The
/// command and directory are the shell's as its keeper (`navi agent-shell keep`, the pane's
/// own process) reports them in `@navi-command` / `@navi-path`, else the pane's.
pub fn list_command(marker: &str) -> String {
    format!("date +%s\n{}", panes_command(marker))
}

/// The tmux part of [`list_command`], without the clock: what a host's own navi runs (it
/// knows its clock) when it pushes the listing (`navi watch --stream`).
pub fn panes_command(marker: &str) -> String {
    let format = format!(
        "{marker}h #{{session_name}} #{{session_created}} #{{session_activity}} #{{window_activity}} \
         #{{session_attached_list}} #{{pane_dead}} #{{pane_active}}#{{window_active}}\
         {marker}c #{{?@navi-command,#{{@navi-command}},#{{pane_current_command}}}}\
         {marker}p #{{?@navi-path,#{{@navi-path}},#{{pane_current_path}}}}"
    );
    // Not `exec`: tmux's parent stays this script's shell, whatever becomes of tmux.
    Tmux::agents().list_panes(&format)
}

/// Can `marker` be a [`list_command`] marker? A host's stream names its own, and a short
/// one could be found inside a field.
pub fn is_marker(marker: &str) -> bool {
    marker.len() >= 16 && marker.len() <= 64 && marker.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A fresh marker for [`list_command`].
pub fn new_marker() -> String {
    format!("NAVI{}", uuid::Uuid::new_v4().simple())
}

/// Reads what [`list_command`] printed. No agent-shell server on the host (none was ever
/// started, or its last shell ended) is an empty list; a tmux that cannot run or fails
/// otherwise is an error. Sessions whose names are not agent-shell names are skipped; one
/// per session (its active pane), sorted by name, at most [`MAX_SHELLS`].
pub fn parse_list(
    status: Option<i32>,
    stdout: &[u8],
    stderr: &[u8],
    marker: &str,
    remote: Option<&str>,
    local_now: i64,
) -> Result<Vec<AgentShell>, String> {
    if status != Some(0) {
        return tmux::failed_listing(status, stderr, "list-panes").map(|()| Vec::new());
    }
    let text = String::from_utf8_lossy(stdout);
    let mut parts = text.split(marker);
    // The host's clock on the first line; ours when it did not say.
    let now = parts.next().and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(local_now);
    let mut shells: Vec<(AgentShell, bool)> = Vec::new();
    let mut current: Option<(AgentShell, bool)> = None;
    let finish = |current: &mut Option<(AgentShell, bool)>, shells: &mut Vec<(AgentShell, bool)>| {
        let Some((shell, active)) = current.take() else { return };
        match shells.iter().position(|(s, _)| s.name == shell.name) {
            // Several panes: the active one of the active window speaks for the session.
            Some(i) if active && !shells[i].1 => shells[i] = (shell, active),
            Some(_) => {}
            None if shells.len() < MAX_SHELLS => shells.push((shell, active)),
            None => {}
        }
    };
    for part in parts {
        let Some((tag, body)) = part.split_at_checked(1) else { continue };
        let body = body.strip_prefix(' ').unwrap_or(body);
        match tag {
            "h" => {
                finish(&mut current, &mut shells);
                current = head(body, now, remote);
            }
            "c" => {
                if let Some((s, _)) = current.as_mut() {
                    s.command = truncate(sanitize_line(body).trim(), MAX_COMMAND);
                }
            }
            "p" => {
                if let Some((s, _)) = current.as_mut() {
                    // tmux ends each pane's line with a newline; the path is what comes before.
                    let path = body.strip_suffix('\n').unwrap_or(body);
                    s.cwd = truncate(&sanitize_line(path), MAX_CWD);
                }
            }
            _ => {}
        }
    }
    finish(&mut current, &mut shells);
    let mut shells: Vec<AgentShell> = shells.into_iter().map(|(s, _)| s).collect();
    shells.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(shells)
}

/// The fixed fields: name, created, session and window activity, clients, dead, and
/// whether the pane is the active one of the active window. `None` for a session that is
/// not an agent shell or a line that is not whole.
fn head(body: &str, now: i64, remote: Option<&str>) -> Option<(AgentShell, bool)> {
    let mut f = body.split(' ');
    let name = f.next()?;
    if !is_name(name) {
        return None;
    }
    let num = |f: &mut std::str::Split<'_, char>| f.next().and_then(|v| v.trim().parse::<i64>().ok());
    // The session's activity is read past, unused: a client attaching counts in it, and
    // navi's own control clients attach whenever an agent lists or types.
    let (created, _, window_activity) = (num(&mut f), num(&mut f), num(&mut f));
    // People attached: clients on a terminal. navi's own control clients (typing for
    // `navi mcp`) have none, so tmux names them `client-PID`.
    let people = f.next().map_or(0, |l| l.split(',').filter(|c| !c.is_empty() && !c.starts_with("client-")).count());
    let dead = num(&mut f);
    let active = f.next().is_some_and(|v| v.trim() == "11");
    let last = window_activity.or(created);
    Some((
        AgentShell {
            remote: remote.map(str::to_string),
            name: name.to_string(),
            command: String::new(),
            cwd: String::new(),
            idle_seconds: last.map_or(0, |t| now.saturating_sub(t).max(0)),
            attached: people > 0,
            created,
            dead: dead == Some(1),
        },
        active,
    ))
}

/// The agent shells of the host `backend` runs on: as its stream pushed them, else one
/// exec of [`list_command`].
pub async fn list(backend: &dyn SessionBackend) -> Result<Vec<AgentShell>, BackendError> {
    if let Some(pushed) = backend.pushed_shells() {
        return pushed.map_err(BackendError::Command);
    }
    let marker = new_marker();
    let out = backend.exec(&list_command(&marker), None).await?;
    parse_list(out.status, &out.stdout, &out.stderr, &marker, backend.remote(), crate::text::now_unix())
        .map_err(BackendError::Command)
}

/// The last `lines` lines of the agent shell's pane, sanitized (as a session's preview).
pub async fn preview(backend: &dyn SessionBackend, name: &str, lines: usize) -> Result<String, BackendError> {
    if !is_name(name) {
        return Err(BackendError::InvalidName { name: name.into(), reason: "not an agent shell's name".into() });
    }
    let out = backend.run_on(name, &Tmux::agents().capture(name, lines)).await?;
    Ok(tmux::tail_lines(&crate::text::sanitize_bytes(&out.stdout), lines))
}

/// Kills the agent shell `name` on `backend`'s host (its exact name, nothing else).
pub async fn kill(backend: &dyn SessionBackend, name: &str) -> Result<(), BackendError> {
    if !is_name(name) {
        return Err(BackendError::InvalidName { name: name.into(), reason: "not an agent shell's name".into() });
    }
    backend.run_on(name, &Tmux::agents().kill(name)).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "NAVIm";

    /// One pane's line as [`list_command`] makes tmux print it.
    /// A pane line with `clients` people attached (and always one of navi's control
    /// clients, which does not count).
    fn pane(name: &str, times: (i64, i64, i64), clients: u32, flags: &str, command: &str, path: &str) -> String {
        let mut list: Vec<String> = (0..clients).map(|i| format!("/dev/pts/{i}")).collect();
        list.push("client-4242".into());
        let list = list.join(",");
        format!("{M}h {name} {} {} {} {list} {flags}{M}c {command}{M}p {path}\n", times.0, times.1, times.2)
    }

    fn parse(out: &str) -> Vec<AgentShell> {
        parse_list(Some(0), out.as_bytes(), b"", M, None, 0).unwrap()
    }

    #[test]
    fn hostile_paths_and_commands_stay_in_their_row_and_are_cleaned() {
        let path = "/tmp/a\tb\nNAVIx c NAVIn\u{1b}[2J\u{1b}]0;t\u{7}d\u{202e}e";
        let out = format!(
            "1000\n{}{}",
            pane("a-0123abcd", (900, 950, 990), 0, "0 11", "sl\te\u{1b}[31mep\nx", path),
            pane("a-89abcdef", (100, 200, 100), 2, "1 11", "bash", "/srv")
        );
        let shells = parse(&out);
        assert_eq!(shells.len(), 2, "{shells:?}");
        let a = &shells[0];
        assert_eq!(a.name, "a-0123abcd");
        assert_eq!(a.command, "sl eep x");
        assert_eq!(a.cwd, "/tmp/a b NAVIx c NAVInde");
        assert_eq!((a.idle_seconds, a.attached, a.dead, a.created), (10, false, false, Some(900)));
        let b = &shells[1];
        assert_eq!((b.command.as_str(), b.cwd.as_str()), ("bash", "/srv"));
        // Its session's activity (200, a client attaching) is not activity: its output is.
        assert_eq!((b.idle_seconds, b.attached, b.dead), (900, true, true));
        assert_eq!(b.host(), "local");
    }

    #[test]
    fn other_sessions_are_skipped() {
        let out = format!(
            "1000\n{}{}{}{}",
            pane("main", (1, 1, 1), 0, "0 11", "bash", "/"),
            pane("a-0123ABCD", (1, 1, 1), 0, "0 11", "bash", "/"),
            pane("a-0123abcd\nx", (1, 1, 1), 0, "0 11", "bash", "/"),
            pane("a-00000000", (1, 1, 1), 0, "0 11", "bash", "/ok"),
        );
        let names: Vec<String> = parse(&out).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["a-00000000"]);
    }

    #[test]
    fn one_row_per_session_from_its_active_pane() {
        let out = format!(
            "1000\n{}{}{}",
            pane("a-0000000b", (1, 1, 1), 0, "0 11", "vim", "/b"),
            pane("a-0000000a", (1, 1, 1), 0, "0 01", "top", "/x"),
            pane("a-0000000a", (1, 1, 1), 0, "0 11", "cargo", "/a"),
        );
        let shells = parse(&out);
        let got: Vec<(&str, &str)> = shells.iter().map(|s| (s.name.as_str(), s.command.as_str())).collect();
        assert_eq!(got, [("a-0000000a", "cargo"), ("a-0000000b", "vim")], "sorted by name");
    }

    #[test]
    fn garbage_and_cut_output_never_panic_and_are_bounded() {
        for out in ["", "x", "1000\nNAVImh", "NAVImh a-0123abcd", "NAVImc x NAVImp y", "1000\nNAVImh a-0123abcd x y"] {
            let _ = parse(out);
        }
        let cut = parse("1000\nNAVImh a-0123abcd 5 6");
        assert_eq!((cut.len(), cut[0].idle_seconds, cut[0].command.as_str()), (1, 995, ""), "from its creation");
        let long = "x".repeat(5000);
        let many: String =
            (0..MAX_SHELLS + 10).map(|i| pane(&format!("a-{i:08x}"), (1, 1, 1), 0, "0 11", &long, &long)).collect();
        let shells = parse(&format!("1000\n{many}"));
        assert_eq!(shells.len(), MAX_SHELLS);
        assert!(shells.iter().all(|s| s.command.chars().count() <= MAX_COMMAND && s.cwd.chars().count() <= MAX_CWD));
    }

    #[test]
    fn the_hosts_clock_gives_the_idle_time_and_ours_when_it_did_not_say() {
        let line = pane("a-0123abcd", (100, 400, 300), 0, "0 11", "bash", "/");
        assert_eq!(parse(&format!("1000\n{line}"))[0].idle_seconds, 700);
        let shells = parse_list(Some(0), line.as_bytes(), b"", M, Some("box"), 500).unwrap();
        assert_eq!((shells[0].idle_seconds, shells[0].host()), (200, "box"));
        // A clock behind the shell's activity is no negative idle time.
        assert_eq!(parse(&format!("10\n{line}"))[0].idle_seconds, 0);
    }

    #[test]
    fn no_server_is_an_empty_list_and_a_missing_tmux_an_error() {
        let err = b"no server running on /tmp/tmux-0/navi-agents";
        assert_eq!(parse_list(Some(1), b"1000\n", err, M, None, 0), Ok(vec![]));
        let err = b"error connecting to /tmp/tmux-0/navi-agents (No such file or directory)";
        assert_eq!(parse_list(Some(1), b"1000\n", err, M, None, 0), Ok(vec![]));
        assert!(
            parse_list(Some(127), b"", b"sh: 1: exec: tmux: not found", M, None, 0)
                .unwrap_err()
                .contains("install tmux")
        );
        assert!(parse_list(Some(1), b"", b"permission denied", M, None, 0).is_err());
        assert!(parse_list(None, b"", b"", M, None, 0).is_err());
    }

    #[test]
    fn the_listing_asks_the_agent_server_with_one_quoted_format() {
        let cmd = list_command(M);
        assert!(cmd.starts_with("date +%s\ntmux -u -L navi-agents list-panes -a -F '"), "{cmd}");
        assert_eq!(cmd.matches('\'').count(), 2, "{cmd}");
        for field in ["session_name", "pane_current_command", "pane_current_path", "session_attached_list", "pane_dead"]
        {
            assert!(cmd.contains(&format!("#{{{field}}}")), "{field}: {cmd}");
        }
        assert_ne!(new_marker(), new_marker());
    }

    #[test]
    fn names() {
        assert!(is_name(&new_name()));
        assert!(is_name("a-0123abcd"));
        assert!(!is_name("a-0123ABCD") && !is_name("a-0123abc") && !is_name("b-0123abcd") && !is_name("a-0123abcg"));
    }
}
