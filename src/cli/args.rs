//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "navi",
    version,
    about = "A dashboard for Claude Code sessions in tmux, local and over SSH",
    long_about = "navi lists every Claude Code session running in tmux, on this machine and on remote machines \
    over SSH, with its status, age, directory and last message.\n\nRun without a command for the dashboard."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Run a self-contained demo on a private tmux server (cleaned up on exit)
    #[arg(long)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct Global {
    /// Folder of status files [default: ~/.claude-sessions]
    #[arg(long, global = true, value_name = "DIR", env = "NAVI_SESSIONS_DIR", value_parser = path_or_empty)]
    pub sessions_dir: Option<PathBuf>,
    /// Remotes file [default: $XDG_CONFIG_HOME/navi/remotes.yaml]
    #[arg(long, global = true, value_name = "FILE", env = "NAVI_REMOTES", value_parser = path_or_empty)]
    pub remotes: Option<PathBuf>,
    /// Socket of the local tmux server to use [default: tmux's own]
    #[arg(long, global = true, value_name = "PATH", env = "NAVI_TMUX_SOCKET", value_parser = path_or_empty)]
    pub tmux_socket: Option<PathBuf>,
}

/// A path option; an empty one (`NAVI_SESSIONS_DIR=` in a hook's environment) is taken
/// as not given (see [`Global::without_empty`]), never as an error: the hook must not fail.
fn path_or_empty(s: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(s))
}

impl Global {
    /// The options with empty paths taken as not given.
    pub fn without_empty(self) -> Global {
        let given = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
        Global {
            sessions_dir: given(self.sessions_dir),
            remotes: given(self.remotes),
            tmux_socket: given(self.tmux_socket),
        }
    }
}

/// An agent on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AgentArg {
    #[default]
    Claude,
    Codex,
    Gemini,
    Opencode,
}

impl From<AgentArg> for crate::sessions::agent::Agent {
    fn from(a: AgentArg) -> Self {
        use crate::sessions::agent::Agent;
        match a {
            AgentArg::Claude => Agent::Claude,
            AgentArg::Codex => Agent::Codex,
            AgentArg::Gemini => Agent::Gemini,
            AgentArg::Opencode => Agent::OpenCode,
        }
    }
}

/// The agents `install-hooks` can set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum InstallAgent {
    #[default]
    Claude,
    Codex,
    Gemini,
    Opencode,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Filter {
    #[default]
    All,
    Local,
    Remote,
}

/// What `navi status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum StatusFormat {
    /// Lines for a person
    #[default]
    Plain,
    /// One line for tmux's `status-right`
    Tmux,
    /// One JSON object
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct On {
    /// Act on a session of this remote (a name from remotes.yaml)
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
}

/// `navi new --worktree` and its options.
#[derive(Debug, Clone, Args)]
pub struct WorktreeArgs {
    /// Start the session in a new git worktree of the directory's repository
    #[arg(long)]
    pub worktree: bool,
    /// The worktree's branch [default: navi/NAME]
    #[arg(long, value_name = "BRANCH", requires = "worktree", allow_hyphen_values = true)]
    pub branch: Option<String>,
    /// What the branch starts from [default: the current branch]
    #[arg(long, value_name = "REF", requires = "worktree", allow_hyphen_values = true)]
    pub base: Option<String>,
    /// Start in the branch (and its worktree) when they exist already
    #[arg(long, requires = "worktree")]
    pub reuse: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every session once and exit
    List {
        /// Print a JSON array: every status-file field plus "remote"
        #[arg(long)]
        json: bool,
        #[arg(long, value_enum, default_value_t = Filter::All)]
        filter: Filter,
        /// Only the sessions this agent runs
        #[arg(long, value_enum)]
        agent: Option<AgentArg>,
    },
    /// Print the last lines of a session's pane
    Preview {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[arg(long, default_value_t = 50)]
        lines: usize,
        #[command(flatten)]
        on: On,
    },
    /// Show git information for a session's directory
    Git {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[arg(long)]
        json: bool,
        /// Include the diff
        #[arg(long)]
        diff: bool,
        #[command(flatten)]
        on: On,
    },
    /// Kill a session's tmux session and remove its status file
    Kill {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[command(flatten)]
        on: On,
    },
    /// Rename a session (tmux session and status file)
    Rename {
        #[arg(allow_hyphen_values = true)]
        old: String,
        #[arg(allow_hyphen_values = true)]
        new: String,
        #[command(flatten)]
        on: On,
    },
    /// Mark a session as seen: status working, message cleared
    Dismiss {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[command(flatten)]
        on: On,
    },
    /// Start Claude Code in a new tmux session
    New {
        #[arg(allow_hyphen_values = true)]
        name: String,
        /// Working directory [default: the current one]
        #[arg(long, value_name = "DIR", allow_hyphen_values = true)]
        dir: Option<String>,
        /// Start it without permission prompts (claude --dangerously-skip-permissions, codex
        /// --dangerously-bypass-approvals-and-sandbox, gemini --yolo)
        #[arg(long)]
        skip_permissions: bool,
        /// The agent to start
        #[arg(long, value_enum, default_value = "claude")]
        agent: AgentArg,
        #[command(flatten)]
        worktree: WorktreeArgs,
        #[command(flatten)]
        on: On,
    },
    /// End a worktree session: merge its branch (--merge) or open a pull request (--pr),
    /// then remove the worktree and the branch (once merged), the session and its status
    /// file. Refuses to lose uncommitted changes or unmerged commits without --force
    Finish {
        #[arg(allow_hyphen_values = true)]
        name: String,
        /// Merge the branch into its base in the main checkout (fast-forward when possible)
        #[arg(long, conflicts_with = "pr")]
        merge: bool,
        /// Push the branch and open a pull request with gh
        #[arg(long)]
        pr: bool,
        /// Go on even when uncommitted changes or unmerged commits would be lost
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        on: On,
    },
    /// List navi's worktrees: session (or "no session"), branch, ahead/behind its base,
    /// uncommitted changes
    Worktrees {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        on: On,
    },
    /// Paste text into a session and press Enter (with Claude Code: until it is submitted)
    Send {
        #[arg(allow_hyphen_values = true)]
        name: String,
        /// The text; may hold newlines. `-` reads it from stdin (at most 1 MiB)
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[command(flatten)]
        on: On,
    },
    /// Answer "Yes" to the permission dialog in a session (nothing is typed unless the pane
    /// shows one)
    Approve {
        #[arg(allow_hyphen_values = true)]
        name: String,
        /// Pick the dialog's "Yes, and don't ask again" choice (an error when it has none)
        #[arg(long)]
        always: bool,
        #[command(flatten)]
        on: On,
    },
    /// Answer "No" to the permission dialog in a session (nothing is typed unless the pane
    /// shows one)
    Deny {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[command(flatten)]
        on: On,
    },
    /// Count sessions by status, for tmux's status bar; opens no SSH connection (remote
    /// sessions come from the summary the dashboard and navi watch keep)
    Status {
        #[arg(long, value_enum, default_value_t = StatusFormat::Plain)]
        format: StatusFormat,
    },
    /// Go to the session that has waited longest for you: permission, then waiting, then
    /// error, then done, oldest first (inside tmux: switch to it; outside: attach)
    Jump {
        /// Only sessions of this remote (`local`: this machine's)
        #[arg(long, value_name = "REMOTE")]
        remote: Option<String>,
    },
    /// Agent hook handler: reads the event JSON on stdin (always exits 0)
    Hook {
        /// The agent that runs it
        #[arg(long, value_enum, default_value = "claude")]
        agent: AgentArg,
        /// Codex's `notify` program passes its JSON here instead of on stdin
        #[arg(allow_hyphen_values = true)]
        payload: Option<String>,
    },
    /// Claude Code's status line: records model, cost, context and rate limits, then prints
    /// the user's own status line
    #[command(hide = true)]
    Statusline {
        /// The user's own status line command, run with the same input
        #[arg(long, value_name = "COMMAND", allow_hyphen_values = true)]
        then: Option<String>,
    },
    /// Add navi's handlers to an agent's settings (Claude Code's settings.json by default)
    InstallHooks {
        /// Which agent's hooks: claude, codex, gemini, opencode, or all of them
        #[arg(long, value_enum, default_value = "claude")]
        agent: InstallAgent,
        /// Settings file [default: the agent's own, e.g. ~/.claude/settings.json]
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// Remove navi's handlers instead
        #[arg(long)]
        uninstall: bool,
    },
    /// Make a remote ready: install this navi there (same OS and architecture), its hooks
    /// and the sessions folder; says what to do by hand otherwise
    Setup {
        /// The remote's name in remotes.yaml
        remote: String,
        /// Change nothing: say what is missing (exit 1 when something is)
        #[arg(long)]
        check: bool,
        /// Replace a newer navi there too
        #[arg(long)]
        force: bool,
    },
    /// Try every remote and print its connection state and round-trip time
    Remotes {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<RemotesAction>,
    },
    /// Silence notices for a while (`1h`, `30m`, `90s`, `2d`), or `off` to hear them again;
    /// without an argument, say whether they are muted
    Mute { duration: Option<String> },
    /// Follow every session, local and remote, without a terminal: send notices and keep
    /// the summary for `navi status` fresh, until stopped (one per user)
    Watch {
        /// Stream this machine's sessions as JSON lines on stdout, for a navi elsewhere
        /// that follows this one over SSH (see docs/remote.md)
        #[arg(long)]
        stream: bool,
    },
    /// Sends one notice (started by the hook)
    #[command(hide = true)]
    Notice {
        /// The pane of the session: no notice while a tmux client shows it
        #[arg(long)]
        pane: Option<String>,
        notice: String,
    },
    /// Serve the connect_session MCP tool on stdio
    Mcp,
    /// The host side of the MCP tool's agent shells (run by navi itself, locally or on a
    /// remote)
    #[command(hide = true, subcommand)]
    AgentShell(AgentShell),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum RemotesAction {
    /// Add a remote to remotes.yaml (comments and other entries kept), after one
    /// successful connection to it
    Add {
        /// Its name in navi
        name: String,
        /// Take the host from this Host alias of ~/.ssh/config (its HostName, User,
        /// IdentityFile, ProxyJump apply)
        #[arg(long, value_name = "HOST", conflicts_with = "host")]
        from_ssh_config: Option<String>,
        /// Host name or address (default: NAME)
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        port: Option<u16>,
        /// Private key file
        #[arg(long)]
        key: Option<String>,
        /// Jump host, `[user@]host[:port]`
        #[arg(long)]
        jump_host: Option<String>,
        /// Sessions folder on the remote (default ~/.claude-sessions)
        #[arg(long)]
        sessions_dir: Option<String>,
    },
}

/// `navi agent-shell …`: see `sessionmgr::host`.
#[derive(Debug, Subcommand)]
pub enum AgentShell {
    /// Make a session; prints its name
    Create {
        #[arg(long)]
        hostname: String,
        #[arg(long, default_value_t = 1800)]
        ttl: u64,
        #[arg(long, default_value_t = 1 << 20)]
        seg: u64,
        #[arg(long, default_value_t = 64)]
        max: usize,
        #[arg(long, default_value_t = 50)]
        rows: u16,
        #[arg(long, default_value_t = 200)]
        cols: u16,
        #[arg(long)]
        ready: String,
        #[arg(long)]
        cwd: Option<String>,
    },
    /// Run the shell of the session whose folder is DIR (the pane's program)
    Keep { dir: std::path::PathBuf },
    /// Bridge a session to a navi mcp over stdin/stdout
    Attach { name: String },
    /// The sessions on this host, as JSON
    List,
    /// End a session
    Kill { name: String },
    /// End the sessions idle past their time to live
    Reap,
}
