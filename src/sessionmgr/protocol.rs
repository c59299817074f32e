//! The marker protocol between the manager and a shell on a terminal: the start-up script,
//! how a command is typed, and the scanner that finds the markers in the output.
//!
//! A command never reaches the shell's parser as code: it travels as one single-quoted
//! argument of `command eval`, so a heredoc or an unfinished quote in it cannot swallow what
//! follows. The trailer that prints the end marker sits on the same logical line (a command
//! reading stdin cannot eat it) and is also bash's `PROMPT_COMMAND`, so it still fires when
//! Ctrl-C abandons the line. A command's stdin is /dev/null: the terminal is the shell's own
//! input, so a command reading it (`cat`, `python3`) would wait for input nobody can type;
//! a program that asks through /dev/tty (ssh, sudo) still reaches the terminal. Its stdout
//! and stderr are redirections of the `eval` too, so the shell undoes an `exec >log` when
//! the command ends and the markers, printed on the shell's own stdout, always arrive. Markers carry a random nonce per command, split in two on the
//! typed line so the terminal's echo never contains it whole; output cannot forge one.

/// Every marker is `RS "NAVI" nonce ":" kind RS`, kind being `R:<shell>`, `S` or `E:<status>`.
const RS: u8 = 0x1e;
const TAG: &[u8] = b"NAVI";

/// Lines typed into a PTY are limited (4095 bytes in canonical mode): commands are cut into
/// quoted pieces of at most this many bytes, joined by backslash-newline continuations.
const PIECE: usize = 256;

/// A fresh random nonce (128 bits, hex).
pub fn nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn halves(nonce: &str) -> (&str, &str) {
    nonce.split_at(nonce.len() / 2)
}

/// The start-up line: quiet terminal, no prompts, non-interactive tools, and the two
/// helpers; it ends by printing the ready marker. Works in bash and in a POSIX sh.
pub fn bootstrap(nonce: &str) -> String {
    let (a, b) = halves(nonce);
    [
        "stty -echo -onlcr -opost 2>/dev/null",
        // The terminal's modes, put back after a failing command: a program killed in raw
        // mode (an editor, a pager) would leave the terminal unusable for the next ones.
        "__navi_tty=$(stty -g 2>/dev/null)",
        "PS1=''; PS2=''; PS4='+ '",
        "unset HISTFILE MAIL MAILPATH PROMPT_COMMAND",
        "if [ -n \"$BASH_VERSION\" ]; then set +H; set +o history; fi",
        "export PAGER=cat GIT_PAGER=cat MANPAGER=cat SYSTEMD_PAGER=cat GIT_TERMINAL_PROMPT=0 \
         GIT_EDITOR=true DEBIAN_FRONTEND=noninteractive TERM=dumb NO_COLOR=1",
        // __navi_b hands the previous command's status on to the command (`echo $?`), as
        // __navi_p kept it: what runs before it on the typed line cannot change it. errexit
        // is off whenever it runs, so that status cannot end the shell.
        "set +e",
        "__navi_b() { __navi_pending=\"$1$2\"; printf '\\036NAVI%s:S\\036' \"$__navi_pending\"; \
         return \"${__navi_r:-0}\"; }",
        // errexit lasts one command: a `set -e` left on would end the shell at the next
        // failing command.
        "__navi_p() { __navi_r=$?; set +e; \
         if [ \"$__navi_r\" -ne 0 ] && [ -n \"$__navi_tty\" ]; then stty \"$__navi_tty\" 2>/dev/null; fi; \
         if [ -n \"$__navi_pending\" ]; then \
         printf '\\036NAVI%s:E:%d\\036' \"$__navi_pending\" \"$__navi_r\"; __navi_pending=; fi; return $__navi_r; }",
        // sh has no PROMPT_COMMAND; its prompt runs __navi_p (in a subshell, so an end
        // marker can repeat there: the scanner drops repeats). The EXIT trap reports the
        // status of an `exit` or of a `set -e` failure as the shell ends.
        // Each call sends its stderr to /dev/null: `set -x` would trace the helpers (and
        // the nonce) into the output.
        "if [ -n \"$BASH_VERSION\" ]; then PROMPT_COMMAND='{ __navi_p; } 2>/dev/null'; \
         else PS1='$({ __navi_p; } 2>/dev/null)'; fi",
        "trap '{ __navi_p; } 2>/dev/null' EXIT",
        &format!("printf '\\036NAVI%s%s:R:%s\\036' {a} {b} \"${{BASH_VERSION:+bash}}\"\n"),
    ]
    .join("; ")
}

/// The bytes typed to run `command` under `nonce`. `None` when the command holds a NUL
/// byte, which no shell argument can carry.
///
/// The helpers' stderr is /dev/null so `set -x` cannot trace them (and the nonce) into the
/// output; the call of `__navi_b` itself is traced before the start marker, where nothing
/// is kept. It is not a `{ …; }` group because bash, after `eval` hit an unfinished quote,
/// fails to parse a `{` that starts the next line.
///
/// It starts with Ctrl-E Ctrl-U: whatever a person typed into the shell's line and left
/// there (an attached human, typing ahead) is dropped, by readline (end of line, kill to
/// its start) or by the terminal's line discipline (kill the line) alike. Otherwise it
/// would run glued to the front of this line, with no start marker ever printed. On a
/// terminal left without its line discipline (`stty raw` that succeeded, on a plain shell:
/// an agent shell's keeper puts the modes back) the two reach the shell as characters: the
/// `:` after them makes that a word of its own, a command not found whose complaint goes
/// to /dev/null, and the line after it runs as ever.
pub fn command_line(command: &str, nonce: &str) -> Option<String> {
    if command.contains('\0') {
        return None;
    }
    let (a, b) = halves(nonce);
    Some(format!(
        "\x05\x15: 2>/dev/null; __navi_b {a} {b} 2>/dev/null; command eval {} </dev/null >/dev/tty 2>/dev/tty; \
         {{ __navi_p; }} 2>/dev/null\n",
        quote_pieces(command)
    ))
}

/// `command` as one shell word made of short quoted pieces. Control characters other than
/// newline and tab would be acted on by the terminal's line discipline (Ctrl-C, Ctrl-U, CR
/// → LF, …), so they travel as `"$(printf '\ooo')"`.
fn quote_pieces(command: &str) -> String {
    let mut pieces: Vec<String> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, pieces: &mut Vec<String>| {
        if !cur.is_empty() {
            pieces.push(format!("'{}'", cur.replace('\'', r"'\''")));
            cur.clear();
        }
    };
    for c in command.chars() {
        if c.is_ascii_control() && c != '\n' && c != '\t' {
            flush(&mut cur, &mut pieces);
            pieces.push(format!("\"$(printf '\\{:03o}')\"", c as u32));
            continue;
        }
        if cur.len() + c.len_utf8() > PIECE {
            flush(&mut cur, &mut pieces);
        }
        cur.push(c);
        if c == '\n' {
            flush(&mut cur, &mut pieces);
        }
    }
    flush(&mut cur, &mut pieces);
    if pieces.is_empty() {
        return "''".to_string();
    }
    pieces.join("\\\n")
}

/// What the scanner found, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Output of the command (or of background jobs while idle).
    Data(Vec<u8>),
    /// The shell is set up; `bash` or empty for a POSIX sh.
    Ready(String),
    Started,
    Finished(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Start-up chatter (motd, prompts, echo): dropped until the ready marker.
    Boot,
    /// Between commands: output of background jobs is kept, repeats of the last marker
    /// dropped.
    Idle,
    /// A command was typed: its echo is dropped until the start marker.
    AwaitStart,
    Running,
}

/// Splits the byte stream into data and markers of the expected nonce. A marker cut by a
/// chunk boundary is held back until the next chunk, so no part of one ever reaches the data.
#[derive(Debug)]
pub struct Scanner {
    mode: Mode,
    head: Vec<u8>,
    held: Vec<u8>,
}

enum Suffix {
    Done(Piece, usize),
    Incomplete,
    Invalid,
}

impl Scanner {
    pub fn new(ready_nonce: &str) -> Self {
        Scanner { mode: Mode::Boot, head: head(ready_nonce), held: Vec::new() }
    }

    /// A command was typed under `nonce`.
    pub fn begin(&mut self, nonce: &str) {
        self.mode = Mode::AwaitStart;
        self.head = head(nonce);
    }

    /// Picks up in the middle of command `nonce`'s output (its start marker was seen).
    pub fn running(&mut self, nonce: &str) {
        self.mode = Mode::Running;
        self.head = head(nonce);
        self.held.clear();
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Piece> {
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            match find(&buf[i..], &self.head) {
                Some(k) => {
                    let at = i + k;
                    match suffix(&buf[at + self.head.len()..]) {
                        // Between commands, a marker of the last nonce is a repeat.
                        Suffix::Done(_, len) if self.mode == Mode::Idle => {
                            self.emit(&mut out, &buf[i..at]);
                            i = at + self.head.len() + len;
                        }
                        Suffix::Done(piece, len) => {
                            self.emit(&mut out, &buf[i..at]);
                            self.mode = match piece {
                                Piece::Started => Mode::Running,
                                _ => Mode::Idle,
                            };
                            out.push(piece);
                            i = at + self.head.len() + len;
                        }
                        Suffix::Incomplete => {
                            self.emit(&mut out, &buf[i..at]);
                            self.held = buf[at..].to_vec();
                            return out;
                        }
                        Suffix::Invalid => {
                            self.emit(&mut out, &buf[i..=at]);
                            i = at + 1;
                        }
                    }
                }
                None => {
                    let keep = partial_head_at(&buf[i..], &self.head).map_or(buf.len(), |j| i + j);
                    self.emit(&mut out, &buf[i..keep]);
                    self.held = buf[keep..].to_vec();
                    return out;
                }
            }
        }
        out
    }

    fn emit(&self, out: &mut Vec<Piece>, data: &[u8]) {
        if data.is_empty() || matches!(self.mode, Mode::Boot | Mode::AwaitStart) {
            return;
        }
        if let Some(Piece::Data(prev)) = out.last_mut() {
            prev.extend_from_slice(data);
        } else {
            out.push(Piece::Data(data.to_vec()));
        }
    }
}

/// What the text of a marker between its two separators says (`NAVI<nonce>:S`,
/// `…:E:<status>`, `…:R:<shell>`), whatever its nonce: for a reader that knows none (the
/// pane). `None` when it is not a whole marker.
pub fn marker_kind(text: &[u8]) -> Option<Piece> {
    let rest = text.strip_prefix(TAG)?;
    let colon = rest.iter().position(|&b| b == b':')?;
    let mut after = rest[colon + 1..].to_vec();
    after.push(RS);
    match suffix(&after) {
        Suffix::Done(piece, len) if len == after.len() => Some(piece),
        _ => None,
    }
}

fn head(nonce: &str) -> Vec<u8> {
    let mut h = vec![RS];
    h.extend_from_slice(TAG);
    h.extend_from_slice(nonce.as_bytes());
    h.push(b':');
    h
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = memchr::memchr(needle[0], &hay[from..]) {
        let at = from + p;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Where a proper prefix of `head` starts at the very end of `buf`.
fn partial_head_at(buf: &[u8], head: &[u8]) -> Option<usize> {
    let from = buf.len().saturating_sub(head.len() - 1);
    (from..buf.len()).find(|&j| buf[j] == RS && head.starts_with(&buf[j..]))
}

/// Parses `S RS`, `E:<digits> RS` or `R:<word> RS` after the head.
fn suffix(rest: &[u8]) -> Suffix {
    let Some(&kind) = rest.first() else { return Suffix::Incomplete };
    let body = match kind {
        b'S' => {
            return match rest.get(1) {
                None => Suffix::Incomplete,
                Some(&RS) => Suffix::Done(Piece::Started, 2),
                Some(_) => Suffix::Invalid,
            };
        }
        b'E' | b'R' => &rest[1..],
        _ => return Suffix::Invalid,
    };
    match body.first() {
        None => return Suffix::Incomplete,
        Some(b':') => {}
        Some(_) => return Suffix::Invalid,
    }
    let value = &body[1..];
    let ok = |b: u8| if kind == b'E' { b.is_ascii_digit() } else { b.is_ascii_lowercase() };
    for (n, &b) in value.iter().enumerate().take(12) {
        if b == RS {
            let text = String::from_utf8_lossy(&value[..n]).into_owned();
            let piece = if kind == b'E' {
                match text.parse::<i32>() {
                    Ok(code) => Piece::Finished(code),
                    Err(_) => return Suffix::Invalid,
                }
            } else {
                Piece::Ready(text)
            };
            return Suffix::Done(piece, 2 + n + 1);
        }
        if !ok(b) {
            return Suffix::Invalid;
        }
    }
    if value.len() >= 12 { Suffix::Invalid } else { Suffix::Incomplete }
}

#[cfg(test)]
mod tests;
