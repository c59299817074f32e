//! tmux command builders and output parsers, shared by the local and remote backends.
//!
//! Every action first resolves the session's exact name to its id (`$3`) by comparing
//! strings in the shell, then targets the id. tmux's own exact form `=name` is not enough:
//! tmux reads a name that starts with `$` as a session id, so `=$1` would hit another
//! session. Resolving by id also means `x` on `al` can never touch `alpha`.
//!
//! tmux stores some names differently from how they were typed (`$HOME` becomes `\$HOME`,
//! a backslash is doubled), so create and rename print the name tmux actually stored, and
//! that name is the one the status file carries. `-u` is always passed: without a UTF-8
//! locale (common over SSH) tmux would print `ü` as `\303\274`.

use super::shell::{path, quote};

/// What `list-sessions` prints per session for [`parse_list_sessions`].
pub const LIST_SESSIONS_FORMAT: &str = "#{session_attached} #{session_name}";

/// Exit status of a script whose session does not exist.
pub const NO_SESSION: i32 = 4;

/// How to invoke tmux on a host: plain `tmux`, or `tmux -S SOCKET` for a private server.
#[derive(Debug, Clone)]
pub struct Tmux {
    prefix: String,
}

impl Default for Tmux {
    fn default() -> Self {
        Tmux { prefix: "tmux -u".into() }
    }
}

impl Tmux {
    /// tmux invoked as `prefix` (e.g. `tmux -u -L name`).
    pub(crate) fn with_prefix(prefix: String) -> Self {
        Tmux { prefix }
    }

    pub fn with_socket(socket: Option<&std::path::Path>) -> Self {
        match socket {
            Some(s) => Tmux { prefix: format!("tmux -u -S {}", quote(&s.to_string_lossy())) },
            None => Tmux::default(),
        }
    }

    /// Sets `$t` to the id of the session named exactly `name`, or exits with
    /// [`NO_SESSION`]. tmux prints names with control characters escaped, one per line.
    fn resolve(&self, name: &str) -> String {
        format!(
            "t=$({p} list-sessions -F '#{{session_id}} #{{session_name}}' 2>/dev/null | \
             while IFS= read -r l; do if [ \"${{l#* }}\" = {n} ]; then printf '%s' \"${{l%% *}}\"; break; fi; done)\n\
             [ -n \"$t\" ] || {{ printf 'no session named %s\\n' {n} >&2; exit {NO_SESSION}; }}\n",
            p = self.prefix,
            n = quote(name),
        )
    }

    /// Every session: how many clients show it, a space, its name (see
    /// [`parse_list_sessions`]).
    pub fn list_sessions(&self) -> String {
        format!("{} list-sessions -F '{LIST_SESSIONS_FORMAT}'", self.prefix)
    }

    /// Every pane of every session, one `-F` line each (`format` is quoted here).
    pub fn list_panes(&self, format: &str) -> String {
        format!("{} list-panes -a -F {}", self.prefix, quote(format))
    }

    /// Exits 0 when the session exists, [`NO_SESSION`] when it does not.
    pub fn has_session(&self, name: &str) -> String {
        self.resolve(name)
    }

    /// The last lines of the session's active pane, wrapped lines joined.
    pub fn capture(&self, name: &str, lines: usize) -> String {
        format!("{}{} capture-pane -p -J -t \"$t:\" -S -{}", self.resolve(name), self.prefix, lines)
    }

    pub fn kill(&self, name: &str) -> String {
        format!("{}{} kill-session -t \"$t\"", self.resolve(name), self.prefix)
    }

    /// Renames the session and prints the name tmux stored.
    pub fn rename(&self, old: &str, new: &str) -> String {
        format!("{}printf '%s\\n' \"$s\"", self.rename_into_s(old, new))
    }

    /// Renames the session (its id stays in `$t`) and sets `$s` to the name tmux stored,
    /// printing nothing: for a script that goes on with the new name.
    pub fn rename_into_s(&self, old: &str, new: &str) -> String {
        format!(
            "{r}{rename} || exit 1\ns=$({p} display-message -p -t \"$t\" '#{{session_name}}') && [ -n \"$s\" ] || s={n}\n",
            r = self.resolve(old),
            rename = self.rename_t(new),
            p = self.prefix,
            n = quote(new),
        )
    }

    /// Renames the session whose id is in `$t` (to undo a rename in the same script).
    pub fn rename_t(&self, name: &str) -> String {
        format!("{} rename-session -t \"$t\" -- {}", self.prefix, quote(name))
    }

    /// Prints what [`parse_screen`] reads (before anything is pasted), then pastes the
    /// script's stdin into the session as one bracketed paste and presses Enter. Claude
    /// Code takes a burst of typed keys for a paste and may swallow an Enter that arrives
    /// with it; a bracketed paste ends unmistakably before the Enter. `buffer` is a name
    /// unique to this send (`-d` deletes it once pasted). `empty`: nothing to paste.
    pub fn send_line(&self, name: &str, buffer: &str, empty: bool) -> String {
        let paste = if empty {
            String::new()
        } else {
            format!(
                "{p} load-buffer -b {b} - && {p} paste-buffer -p -d -b {b} -t \"$t:\" && ",
                p = self.prefix,
                b = quote(buffer)
            )
        };
        format!("{}{} && {paste}{}", self.resolve(name), self.screen_of_t(), self.enter_to_t())
    }

    /// The session's foreground command and visible screen (see [`parse_screen`]).
    pub fn screen(&self, name: &str) -> String {
        format!("{}{}", self.resolve(name), self.screen_of_t())
    }

    /// How many clients show the session of pane `pane` (`%3`): the user is looking at it.
    pub fn pane_session_attached(&self, pane: &str) -> String {
        format!("{} display-message -p -t {} '#{{session_attached}}'", self.prefix, quote(pane))
    }

    /// Whether the pane is dead, in a mode (copy mode), and its foreground program (see
    /// [`parse_pane_state`]).
    pub fn pane_state(&self, name: &str) -> String {
        format!(
            "{}{} display-message -p -t \"$t:\" '#{{pane_dead}} #{{pane_in_mode}} #{{pane_current_command}}'",
            self.resolve(name),
            self.prefix
        )
    }

    /// Presses Enter in the session.
    pub fn press_enter(&self, name: &str) -> String {
        format!("{}{}", self.resolve(name), self.enter_to_t())
    }

    /// Types `keys` into the session as they are (no Enter): a dialog's choice digit.
    pub fn type_keys(&self, name: &str, keys: &str) -> String {
        format!("{}{} send-keys -t \"$t:\" -l -- {}", self.resolve(name), self.prefix, quote(keys))
    }

    fn screen_of_t(&self) -> String {
        format!(
            "{p} display-message -p -t \"$t:\" '#{{pane_dead}} #{{pane_current_command}}' && {p} capture-pane -p -t \"$t:\"",
            p = self.prefix
        )
    }

    fn enter_to_t(&self) -> String {
        format!("{} send-keys -t \"$t:\" Enter", self.prefix)
    }

    /// Types `text` and Enter into the session whose id is in `$t`.
    fn send_to_t(&self, text: &str) -> String {
        format!("{p} send-keys -t \"$t:\" -l -- {} && {p} send-keys -t \"$t:\" Enter", quote(text), p = self.prefix)
    }

    /// Creates a detached session in `dir`, prints the resolved directory and the name tmux
    /// stored (one per line), then types `command` and Enter. A missing directory fails with
    /// exit 3 before anything runs.
    /// A script that creates the session in `dir` (which must exist) and types `command`
    /// into it; it prints [`CREATED`], the directory, a NUL and the name tmux stored (see
    /// [`parse_created`]).
    pub fn create(&self, name: &str, dir: &str, command: &str) -> String {
        format!(
            "cd -- {dir} 2>/dev/null || {{ echo \"no such directory: \"{qdir} >&2; exit 3; }}\n\
             d=$(pwd -P) && s=$({p} new-session -d -P -F '#{{session_id}} #{{session_name}}' -s {n} -c \"$d\") || exit 1\n\
             t=${{s%% *}}\nprintf '{CREATED}%s\\0%s\\n' \"$d\" \"${{s#* }}\"\n{send}",
            dir = path(dir),
            qdir = quote(dir),
            p = self.prefix,
            n = quote(name),
            send = self.send_to_t(command),
        )
    }

    /// The working directory of the session's active pane.
    pub fn pane_path(&self, name: &str) -> String {
        format!("{}{} display-message -p -t \"$t:\" '#{{pane_current_path}}'", self.resolve(name), self.prefix)
    }

    /// A script that attaches the terminal to the session (`switch-client` when navi runs
    /// inside the same tmux server).
    pub fn attach(&self, name: &str, switch_client: bool) -> String {
        let verb = if switch_client { "switch-client" } else { "attach-session" };
        format!("{}exec {} {verb} -t \"$t\"", self.resolve(name), self.prefix)
    }
}

/// A pane as [`Tmux::screen`] prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screen {
    /// The pane's program has ended (the pane stays with `remain-on-exit`).
    pub dead: bool,
    /// The pane's foreground program (`bash`, `claude`, …).
    pub command: String,
    /// The visible rows, top to bottom.
    pub text: String,
}

/// Splits [`Tmux::screen`]'s output: whether the pane is dead and its command on the
/// first line, the screen after it.
pub fn parse_screen(stdout: &str) -> Screen {
    let (head, text) = stdout.split_once('\n').unwrap_or((stdout, ""));
    let (dead, command) = head.split_once(' ').unwrap_or((head, ""));
    Screen { dead: dead == "1", command: command.trim().to_string(), text: text.to_string() }
}

/// A pane as [`Tmux::pane_state`] gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneState {
    pub dead: bool,
    /// In copy mode (or another mode): keys go to tmux, not to the program.
    pub in_mode: bool,
    pub command: String,
}

pub fn parse_pane_state(stdout: &str) -> PaneState {
    let mut parts = stdout.trim_end_matches('\n').splitn(3, ' ');
    let (dead, mode) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    PaneState { dead: dead == "1", in_mode: mode == "1", command: parts.next().unwrap_or("").trim().to_string() }
}

/// Starts what [`Tmux::create`] prints: output before it (a remote shell's startup files)
/// is ignored.
pub const CREATED: &str = "navi-created:";

/// The directory and the stored name [`Tmux::create`] printed (a directory may hold any
/// byte but NUL, newlines too); `None` when its output is not there.
pub fn parse_created(stdout: &str) -> Option<(String, String)> {
    let (_, rest) = stdout.split_once(CREATED)?;
    let (dir, name) = rest.split_once('\0')?;
    let name = name.strip_suffix('\n').unwrap_or(name);
    (!name.is_empty() && !dir.is_empty()).then(|| (dir.to_string(), name.to_string()))
}

/// One tmux session as `list-sessions` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmuxSession {
    pub name: String,
    /// A client shows it right now: the user is looking at it.
    pub attached: bool,
}

/// Parses [`Tmux::list_sessions`]: exit 0 gives the sessions; "no server running" (or no
/// socket at all) is an answer too, with no sessions. Anything else is an error: nothing
/// is known. tmux escapes control characters in names, so each session is one line.
pub fn parse_list_sessions(status: Option<i32>, stdout: &[u8], stderr: &[u8]) -> Result<Vec<TmuxSession>, String> {
    let out = String::from_utf8_lossy(stdout);
    if status == Some(0) {
        return Ok(out
            .lines()
            .filter_map(|l| {
                let (clients, name) = l.split_once(' ')?;
                let clients: u32 = clients.parse().ok()?;
                (!name.is_empty()).then(|| TmuxSession { name: name.to_string(), attached: clients > 0 })
            })
            .collect());
    }
    failed_listing(status, stderr, "list-sessions").map(|()| Vec::new())
}

/// A tmux listing that did not exit 0: `Ok` when no server runs (or there is no socket at
/// all), which is an answer with nothing in it; an error when tmux could not run or failed
/// otherwise (nothing is known). `what` names the tmux command in the error.
pub(crate) fn failed_listing(status: Option<i32>, stderr: &[u8], what: &str) -> Result<(), String> {
    let err = String::from_utf8_lossy(stderr);
    // The shell could not run tmux at all: nothing is known (and nothing may be cleaned).
    if matches!(status, Some(126 | 127)) {
        return Err(format!("tmux is not installed or cannot run (install tmux): {}", err.trim()));
    }
    let no_server = ["no server running", "No such file or directory", "Connection refused"];
    if status.is_some() && no_server.iter().any(|s| err.contains(s)) {
        return Ok(());
    }
    Err(match status {
        Some(code) => format!("tmux {what} failed ({code}): {}", crate::text::sanitize_line(err.trim())),
        None => format!("tmux {what} ended without an exit status"),
    })
}

/// The last `lines` lines of a capture, without the blank rows below the cursor and without
/// the spaces `capture-pane -J` pads each row with to the pane's width.
pub fn tail_lines(capture: &str, lines: usize) -> String {
    let all: Vec<&str> = capture.lines().map(str::trim_end).collect();
    let end = all.iter().rposition(|l| !l.is_empty()).map_or(0, |i| i + 1);
    let start = end.saturating_sub(lines);
    all[start..end].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tmux_is_an_error_even_when_the_shell_says_no_such_file() {
        let e = parse_list_sessions(Some(127), b"", b"sh: 1: tmux: not found").unwrap_err();
        assert!(e.contains("install tmux"), "{e}");
        assert!(parse_list_sessions(Some(127), b"", b"sh: tmux: No such file or directory").is_err());
        assert_eq!(parse_list_sessions(Some(1), b"", b"no server running on /tmp/x"), Ok(vec![]));
    }

    #[test]
    fn created_output_keeps_newlines_in_the_directory_and_skips_startup_noise() {
        let out = format!("motd: hello\n{CREATED}/tmp/a\nb;c\0name\n");
        assert_eq!(parse_created(&out), Some(("/tmp/a\nb;c".to_string(), "name".to_string())));
        // A directory naming the marker itself is still whole.
        let out = format!("{CREATED}/x/{CREATED}y\0n\n");
        assert_eq!(parse_created(&out), Some((format!("/x/{CREATED}y"), "n".to_string())));
        assert_eq!(parse_created("nothing"), None);
    }

    #[test]
    fn a_screen_names_its_program_and_whether_it_ended() {
        let s = parse_screen("0 claude\n❯ hi\n\n");
        assert_eq!((s.dead, s.command.as_str(), s.text.as_str()), (false, "claude", "❯ hi\n\n"));
        assert!(parse_screen("1 claude\n").dead);
        let p = parse_pane_state("0 1 claude.exe\n");
        assert_eq!((p.dead, p.in_mode, p.command.as_str()), (false, true, "claude.exe"));
    }

    #[test]
    fn private_socket_is_quoted() {
        let s = Tmux::with_socket(Some(std::path::Path::new("/tmp/a b/sock")));
        assert!(s.list_sessions().starts_with("tmux -u -S '/tmp/a b/sock' list-sessions"));
    }

    #[test]
    fn list_sessions_outcomes() {
        let s = |name: &str, attached| TmuxSession { name: name.into(), attached };
        assert_eq!(parse_list_sessions(Some(0), b"0 a\n2 b c\n", b""), Ok(vec![s("a", false), s("b c", true)]));
        assert_eq!(parse_list_sessions(Some(1), b"", b"no server running on /tmp/x"), Ok(vec![]));
        assert_eq!(
            parse_list_sessions(Some(1), b"", b"error connecting to /tmp/tmux-0/default (No such file or directory)"),
            Ok(vec![])
        );
        assert!(parse_list_sessions(Some(1), b"", b"permission denied").is_err());
        assert!(parse_list_sessions(None, b"a\n", b"").is_err());
        assert!(parse_list_sessions(Some(127), b"", b"sh: tmux: not found").is_err());
    }

    #[test]
    fn tail_drops_trailing_blank_rows() {
        assert_eq!(tail_lines("a\nb\nc\n\n\n", 2), "b\nc");
        assert_eq!(tail_lines("\n\n", 5), "");
        assert_eq!(tail_lines("a\n\nb", 10), "a\n\nb");
    }

    #[test]
    fn tail_drops_the_padding_to_the_pane_width() {
        assert_eq!(tail_lines("  a b   \n    \nc\u{a0} \n        \n", 10), "  a b\n\nc");
    }
}
