//! The arguments of `connect_session`: one `operation` and the fields the operations use.
//! The doc comments are what an agent reads in the schema (flattened by `schema`).

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Start a shell on `hostname`; returns `session_id`.
    Open,
    /// Run `command` in the session (queued behind a running command).
    Send,
    /// Get output from `offset`, and `exit_code` once the command finished.
    Read,
    /// List the open sessions.
    List,
    /// Stop the running command and drop queued ones: Ctrl-C; asked again for the same
    /// command, SIGTERM; a third time, SIGKILL (if the shell itself runs it, a builtin loop,
    /// that ends the session).
    Interrupt,
    /// End the session and everything running in it.
    Close,
    /// Type `text` and then `keys` into the running program, to answer a prompt that
    /// `waiting_for_input` reported (only while a command runs).
    Write,
    /// Set the session's terminal size to `rows` x `cols`.
    Resize,
    /// Run `command` once on `hostname`, or on every host of `hostnames` at once, without a
    /// session: stdout and stderr apart, exit_code; one result per host.
    Exec,
    /// Write `content` to the file `path` on `hostname` (temp file then rename; `mode`).
    Put,
    /// Read the file `path` on `hostname` (at most `max_bytes`; base64 when not text).
    Get,
    /// List the hosts: "local" and the remotes, with their connection state.
    Hosts,
}

/// One operation on a persistent shell session, or one-shot work on a host. A session keeps
/// its working directory and variables between commands. Typical use: `open` → `send` →
/// `read` with `wait_seconds` until `finished` is true (then `exit_code` is the command's
/// status) → more `send`s → `close`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectSession {
    /// What to do: open, send, read, list, interrupt, close, write, resize, exec, put, get
    /// or hosts.
    pub operation: Operation,
    /// open, exec, put, get: the machine: "local", or the name of a remote in navi's
    /// remotes.yaml (see hosts).
    pub hostname: Option<String>,
    /// exec: several machines at once instead of `hostname`; one result per host.
    pub hostnames: Option<Vec<String>>,
    /// open: close the session after this many seconds without any operation on it
    /// (default 1800; 0 = never).
    pub idle_ttl_seconds: Option<u64>,
    /// send, read, interrupt, close, write, resize: the id that open returned.
    pub session_id: Option<String>,
    /// send, exec: shell command line(s), run by bash (or sh) as typed; multi-line scripts
    /// and heredocs are fine. Commands get no stdin (it is /dev/null: `cat` or `read` see end
    /// of input at once); pass input with a heredoc or a pipe, and flags such as -y. In a
    /// session, `exit` ends the session (its status is the exit_code); `set -e` lasts for
    /// that command only; a failure under it ends the shell like `exit`; `exec >file` lasts
    /// for that command only.
    pub command: Option<String>,
    /// send, exec: interrupt the command if it runs longer than this (send: 0 or absent: no
    /// limit, and read then says `timed_out`; exec: default 600).
    pub timeout_seconds: Option<u64>,
    /// read: offset in raw output bytes (escape sequences included, unlike `data`), normally
    /// the previous read's `next_cursor`.
    /// Default: where the latest command's output starts.
    pub offset: Option<u64>,
    /// read: at most this many bytes of `data` (default 32768; values below 64 count as 64,
    /// above 1048576 as 1048576), cut on character boundaries. get: the largest file read
    /// (default 1048576, at most 8388608); a larger file is an error.
    pub max_bytes: Option<u64>,
    /// read: wait up to this many seconds (max 120) for the command to finish, or for a
    /// prompt waiting for input, before answering. Default 0: answer at once.
    pub wait_seconds: Option<u64>,
    /// write: text typed as is (no newline added: add the key Enter).
    pub text: Option<String>,
    /// write: named keys typed after `text`: Enter, Tab, Escape, Backspace, Delete, Space,
    /// Up, Down, Left, Right, Home, End, PageUp, PageDown, F1-F12, Ctrl-<letter> (Ctrl-C).
    pub keys: Option<Vec<String>>,
    /// resize: terminal lines (1-1000).
    pub rows: Option<u64>,
    /// resize: terminal columns (1-1000).
    pub cols: Option<u64>,
    /// put, get: the file's path; relative paths start in the home directory on a remote
    /// and in navi's directory locally.
    pub path: Option<String>,
    /// put: the file's content (at most 8 MiB), as text or base64 (see `encoding`).
    pub content: Option<String>,
    /// put: how `content` is given: "utf8" (default) or "base64".
    pub encoding: Option<String>,
    /// put: the file's mode in octal, such as "644" (default) or "755".
    pub mode: Option<String>,
}
