//! The dashboard's state. Everything drawn comes from here; only `update` changes it.

use super::dialog::Dialog;
use super::keys::KeyMap;
use super::remotes::RemoteStatus;
use crate::backend::agent_shells::AgentShell;
use crate::backend::{GitInfo, Session};
use crate::sessions::Status;
use std::collections::{BTreeMap, HashMap};

/// Which session: its remote (`None`: this machine) and tmux name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    pub remote: Option<String>,
    pub name: String,
}

impl SessionKey {
    pub fn of(s: &Session) -> Self {
        SessionKey { remote: s.remote.clone(), name: s.name().to_string() }
    }

    /// The key of an agent shell's row (or of their group's header).
    pub fn is_shell_row(&self) -> bool {
        self.name.starts_with(SHELL_KEY)
    }

    /// The agent shell's name when this is its row's key.
    pub fn shell_name(&self) -> Option<&str> {
        self.name.strip_prefix(SHELL_KEY).filter(|n| !n.is_empty())
    }
}

/// Git facts are cached per host and directory, never per directory alone: a local and a
/// remote session in `/src/app` are different repositories.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GitKey {
    pub remote: Option<String>,
    pub cwd: String,
}

#[derive(Debug, Clone, Default)]
pub struct GitEntry {
    pub info: Option<GitInfo>,
    pub error: Option<String>,
    pub fetched_at: i64,
    /// The session timestamp seen when fetched: new activity earns an earlier refresh.
    pub seen_timestamp: i64,
    pub in_flight: bool,
}

/// A list row: a session, a remote that could not be listed (shown, never silent), the
/// header of the agent shells' group, or an agent shell (below the sessions).
#[derive(Debug, Clone, PartialEq)]
// Rows live in one Vec and are rebuilt rarely; boxing the session would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Row {
    Session(Session),
    Unreachable {
        remote: String,
        reason: String,
    },
    /// "agent shells": never selected, only drawn above the first shell.
    ShellsHeader,
    Shell(AgentShell),
}

/// Before an agent shell's name in its row's key: tmux never stores a `:` in a session
/// name, so no session's key can be a shell's.
const SHELL_KEY: &str = "agent-shell:";

impl Row {
    pub fn key(&self) -> SessionKey {
        match self {
            Row::Session(s) => SessionKey::of(s),
            Row::Unreachable { remote, .. } => SessionKey { remote: Some(remote.clone()), name: String::new() },
            Row::ShellsHeader => SessionKey { remote: None, name: SHELL_KEY.into() },
            Row::Shell(s) => SessionKey { remote: s.remote.clone(), name: format!("{SHELL_KEY}{}", s.name) },
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match self {
            Row::Session(s) => Some(s),
            _ => None,
        }
    }

    pub fn shell(&self) -> Option<&AgentShell> {
        match self {
            Row::Shell(s) => Some(s),
            _ => None,
        }
    }
}

/// What one backend last answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Source {
    /// While `error` is set (a remote that cannot be listed), the sessions last seen there.
    pub sessions: Vec<Session>,
    pub error: Option<String>,
    /// When the listing started failing (Unix seconds).
    pub down_since: Option<i64>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortMode {
    #[default]
    Priority,
    Name,
    Age,
    Status,
    Directory,
}

impl SortMode {
    pub fn next(self) -> Self {
        match self {
            SortMode::Priority => SortMode::Name,
            SortMode::Name => SortMode::Age,
            SortMode::Age => SortMode::Status,
            SortMode::Status => SortMode::Directory,
            SortMode::Directory => SortMode::Priority,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortMode::Priority => "priority",
            SortMode::Name => "name",
            SortMode::Age => "age",
            SortMode::Status => "status",
            SortMode::Directory => "directory",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Location {
    #[default]
    All,
    Local,
    Remote,
}

impl Location {
    pub fn label(self) -> &'static str {
        match self {
            Location::All => "All",
            Location::Local => "Local",
            Location::Remote => "Remote",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreviewLayout {
    #[default]
    Side,
    Bottom,
}

#[derive(Debug, Clone, Default)]
pub struct Preview {
    pub visible: bool,
    pub layout: PreviewLayout,
    /// Columns (side) or rows (bottom) chosen with `[`/`]`; `None`: the default share.
    pub width: Option<u16>,
    pub height: Option<u16>,
    pub wrap: bool,
    pub focused: bool,
    /// First shown line when not following.
    pub scroll: usize,
    pub follow: bool,
    pub content: Option<(SessionKey, Result<String, String>)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    pub editing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// Seconds a status-line message stays up.
pub const STATUS_SECS: i64 = 6;
/// Messages kept waiting for the status line at most.
const MAX_QUEUED: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub level: Level,
    pub since: i64,
}

/// The status filters of keys 1–5, in key order.
pub const FILTER_STATUSES: [Status; 5] =
    [Status::Waiting, Status::Working, Status::Permission, Status::Done, Status::Error];

#[derive(Debug, Clone)]
pub struct Model {
    pub now: i64,
    pub home: String,
    /// Default directory of a new session.
    pub cwd: String,
    pub keys: KeyMap,
    /// Per backend (`None`: local), in the order they were configured.
    pub sources: BTreeMap<Option<String>, Source>,
    pub remote_names: Vec<String>,
    pub remotes: Vec<RemoteStatus>,
    pub rows: Vec<Row>,
    /// Indices into `rows` after filtering and sorting.
    pub visible: Vec<usize>,
    pub selected: usize,
    pub selected_key: Option<SessionKey>,
    /// The session the user last moved to: a row that vanishes for a moment (its remote
    /// failed one poll) gets the selection back when it returns. Only navigation sets it.
    pub wanted_key: Option<SessionKey>,
    /// First visible entry of `visible`.
    pub offset: usize,
    pub sort: SortMode,
    pub filters: Vec<Status>,
    pub hide_offline: bool,
    /// Only the sessions this agent runs (`e` cycles it).
    pub agent_filter: Option<crate::sessions::agent::Agent>,
    pub location: Location,
    pub search: Option<Search>,
    pub preview: Preview,
    pub dialog: Option<Dialog>,
    pub status: Option<StatusLine>,
    /// Problems waiting for the status line while another one is still shown.
    pub queued: std::collections::VecDeque<StatusLine>,
    pub git: HashMap<GitKey, GitEntry>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The row clicked last and when: a double click needs the same session both times.
    pub last_click: Option<(SessionKey, u64)>,
    /// False until the local backend answered once (the empty state waits for it).
    pub loaded: bool,
    /// Remote statuses come from the SSH pool once it reported.
    pub remotes_from_pool: bool,
    /// Host keys already asked about, (remote, fingerprint): a "no" is not asked again.
    pub asked_host_keys: Vec<(String, String)>,
    /// The newest unknown host key per remote: Enter on its unreachable row asks again.
    pub host_key_prompts: BTreeMap<String, super::remotes::HostKeyPrompt>,
    /// The agent shells of each host as last listed (`None`: this machine).
    pub shells: BTreeMap<Option<String>, Vec<AgentShell>>,
    /// Rows marked with `space`: actions apply to all of them (see `marks`).
    pub marks: std::collections::BTreeSet<SessionKey>,
    pub quit: bool,
}

impl Model {
    pub fn new(keys: KeyMap, home: String, cwd: String, remote_names: Vec<String>, now: i64) -> Self {
        let mut sources = BTreeMap::new();
        sources.insert(None, Source::default());
        Model {
            now,
            home,
            cwd,
            keys,
            sources,
            remotes: remote_names.iter().map(|n| RemoteStatus::connecting(n)).collect(),
            remote_names,
            rows: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            selected_key: None,
            wanted_key: None,
            offset: 0,
            sort: SortMode::default(),
            filters: Vec::new(),
            hide_offline: false,
            agent_filter: None,
            location: Location::default(),
            search: None,
            preview: Preview { follow: true, ..Default::default() },
            dialog: None,
            status: None,
            queued: Default::default(),
            git: HashMap::new(),
            size: (80, 24),
            last_click: None,
            loaded: false,
            remotes_from_pool: false,
            asked_host_keys: Vec::new(),
            host_key_prompts: BTreeMap::new(),
            shells: BTreeMap::new(),
            marks: Default::default(),
            quit: false,
        }
    }

    /// A remote that cannot be listed now: since when, and why. Its sessions are shown as
    /// last seen.
    pub fn down(&self, remote: &Option<String>) -> Option<(i64, &str)> {
        remote.as_ref()?;
        let src = self.sources.get(remote)?;
        Some((src.down_since?, src.error.as_deref()?))
    }

    /// "box is unreachable (for 2m 5s): reason", when it is.
    pub fn unreachable_text(&self, remote: &Option<String>) -> Option<String> {
        let (since, why) = self.down(remote)?;
        let name = remote.as_deref().unwrap_or_default();
        Some(format!("{name} is unreachable (for {}): {why}", crate::text::duration(self.now.saturating_sub(since))))
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.visible.get(self.selected).and_then(|i| self.rows.get(*i))
    }

    pub fn selected_session(&self) -> Option<&Session> {
        self.selected_row().and_then(Row::session)
    }

    /// The agent shell on the selected row.
    pub fn selected_shell(&self) -> Option<&AgentShell> {
        self.selected_row().and_then(Row::shell)
    }

    pub fn find(&self, key: &SessionKey) -> Option<&Session> {
        self.rows.iter().filter_map(Row::session).find(|s| s.remote == key.remote && s.name() == key.name)
    }

    pub fn git_for(&self, s: &Session) -> Option<&GitEntry> {
        let cwd = s.file.cwd.as_ref()?;
        self.git.get(&GitKey { remote: s.remote.clone(), cwd: cwd.clone() })
    }

    /// Shows a message. An error arriving while another error is still fresh waits its
    /// turn (several remotes.yaml problems at start-up all get read); news replaces news.
    pub fn set_status(&mut self, text: impl Into<String>, level: Level) {
        let line = StatusLine { text: crate::text::sanitize_line(&text.into()), level, since: self.now };
        if level == Level::Error && self.error_showing() {
            let known = self.status.iter().chain(&self.queued).any(|s| s.text == line.text);
            if !known && self.queued.len() < MAX_QUEUED {
                self.queued.push_back(line);
            }
        } else {
            self.status = Some(line);
        }
        // The status line makes the footer taller: the selected row must stay visible.
        super::view::keep_in_view(self);
    }

    /// Is an error on the status line, and fresh?
    pub fn error_showing(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.level == Level::Error && self.now - s.since < STATUS_SECS)
    }

    /// Ends the current message once it has been up long enough; the next queued one follows.
    pub fn expire_status(&mut self) -> bool {
        if self.status.as_ref().is_none_or(|s| self.now - s.since < STATUS_SECS) {
            return false;
        }
        self.status = self.queued.pop_front().map(|s| StatusLine { since: self.now, ..s });
        super::view::keep_in_view(self);
        true
    }
}
