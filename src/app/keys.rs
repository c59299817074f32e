//! Key bindings: a typed list of actions with default keys, a user file
//! (`<config dir>/keys.yaml`) that lists only overrides, and the hints drawn from it.

use super::input::{Key, KeyCode};
use std::collections::HashMap;

macro_rules! actions {
    ($( $variant:ident, $name:literal, $help:literal, [$($key:expr),*]; )*) => {
        /// Everything a key can do on the session list (and in the focused preview).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name used in the keys file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            pub fn help(self) -> &'static str {
                match self { $(Action::$variant => $help),* }
            }

            fn default_keys(self) -> Vec<Key> {
                match self { $(Action::$variant => vec![$($key),*]),* }
            }
        }
    };
}

const fn k(code: KeyCode) -> Key {
    Key::plain(code)
}

actions! {
    Down, "down", "next session (wraps)", [Key::ch('j'), k(KeyCode::Down)];
    Up, "up", "previous session (wraps)", [Key::ch('k'), k(KeyCode::Up)];
    Attach, "attach", "attach (detach to come back)", [k(KeyCode::Enter)];
    Jump, "jump", "attach the session waiting longest for you", [Key::ch('J')];
    New, "new", "new session (next match while searching)", [Key::ch('n')];
    SearchPrev, "search_prev", "previous search match", [Key::ch('N')];
    Kill, "kill", "kill session (asks first)", [Key::ch('x')];
    Rename, "rename", "rename session", [Key::ch('R')];
    Dismiss, "dismiss", "dismiss: mark seen, clear message", [Key::ch('d')];
    Finish, "finish", "finish a worktree session: merge, pull request or remove", [Key::ch('F')];
    Send, "send", "type a prompt into the session", [Key::ch('m')];
    Approve, "approve", "approve the permission dialog (shows it first)", [Key::ch('a')];
    ApproveAlways, "approve_always", "approve, don't ask again (shows it first)", [Key::ch('A')];
    Deny, "deny", "deny the permission dialog (shows it first)", [Key::ch('D')];
    Mark, "mark", "mark / unmark: kill, dismiss, approve, deny act on all marked", [Key::ch(' ')];
    Refresh, "refresh", "refresh now", [Key::ch('r')];
    Mute, "mute", "mute notices for an hour / unmute", [Key::ch('M')];
    Setup, "setup", "install navi on a remote that lacks it (asks first)", [Key::ch('S')];
    TogglePreview, "preview", "toggle preview", [Key::ch('p')];
    FocusPreview, "focus_preview", "focus preview / back", [k(KeyCode::Tab)];
    PreviewShrink, "preview_shrink", "shrink preview", [Key::ch('[')];
    PreviewGrow, "preview_grow", "grow preview", [Key::ch(']')];
    PreviewLayout, "preview_layout", "preview side / bottom", [Key::ch('L')];
    PreviewWrap, "preview_wrap", "wrap preview lines", [Key::ch('W')];
    Git, "git", "git detail and diff", [Key::ch('G')];
    Metrics, "metrics", "metrics: time and tools", [Key::ch('i')];
    Search, "search", "search name, dir, message", [Key::ch('/')];
    Sort, "sort", "cycle sort order", [Key::ch('s')];
    ClearFilter, "filter_clear", "clear status filters", [Key::ch('0')];
    FilterWaiting, "filter_waiting", "toggle waiting filter", [Key::ch('1')];
    FilterWorking, "filter_working", "toggle working filter", [Key::ch('2')];
    FilterPermission, "filter_permission", "toggle permission filter", [Key::ch('3')];
    FilterDone, "filter_done", "toggle done filter", [Key::ch('4')];
    FilterError, "filter_error", "toggle error filter", [Key::ch('5')];
    HideOffline, "hide_offline", "hide offline sessions", [Key::ch('o')];
    AgentFilter, "agent_filter", "only one agent: claude / codex / gemini / opencode / all", [Key::ch('e')];
    Location, "location", "all / local / remote", [Key::ch('f')];
    Help, "help", "this help", [Key::ch('?')];
    Back, "back", "clear search, then filters", [k(KeyCode::Esc)];
    Quit, "quit", "quit", [Key::ch('q'), Key::ctrl('c')];
    ScrollDown, "scroll_down", "preview: scroll down", [Key::ch('j'), k(KeyCode::Down)];
    ScrollUp, "scroll_up", "preview: scroll up", [Key::ch('k'), k(KeyCode::Up)];
    PageDown, "page_down", "preview: 10 lines down", [k(KeyCode::PageDown)];
    PageUp, "page_up", "preview: 10 lines up", [k(KeyCode::PageUp)];
    Top, "top", "preview: top", [Key::ch('g')];
    Bottom, "bottom", "preview: bottom and follow", [Key::ch('G')];
}

/// Actions that only apply while the preview has the focus.
const PREVIEW_ACTIONS: &[Action] =
    &[Action::ScrollDown, Action::ScrollUp, Action::PageDown, Action::PageUp, Action::Top, Action::Bottom];

#[derive(Debug, Clone)]
pub struct KeyMap {
    keys: HashMap<Action, Vec<Key>>,
    list: HashMap<Key, Action>,
    preview: HashMap<Key, Action>,
}

impl Default for KeyMap {
    fn default() -> Self {
        Self::build(Action::ALL.iter().map(|a| (*a, a.default_keys())).collect())
    }
}

impl KeyMap {
    fn build(keys: HashMap<Action, Vec<Key>>) -> Self {
        let mut list = HashMap::new();
        let mut preview = HashMap::new();
        // Insert in declaration order so an earlier action wins a clash.
        for action in Action::ALL.iter().rev() {
            let table = if PREVIEW_ACTIONS.contains(action) { &mut preview } else { &mut list };
            for key in keys.get(action).into_iter().flatten() {
                table.insert(*key, *action);
            }
        }
        // Leaving the focused preview and quitting work there too.
        for action in [Action::FocusPreview, Action::Back, Action::Quit] {
            for key in keys.get(&action).into_iter().flatten() {
                preview.entry(*key).or_insert(action);
            }
        }
        KeyMap { keys, list, preview }
    }

    /// The defaults with the overrides of a YAML file (`action: key` or `action: [keys]`).
    pub fn with_overrides(text: &str) -> Result<Self, String> {
        let raw: HashMap<String, serde_yaml_ng::Value> = match serde_yaml_ng::from_str(text) {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(Self::default()),
            Err(e) => return Err(e.to_string()),
        };
        let mut overrides: HashMap<Action, Vec<Key>> = HashMap::new();
        for (name, value) in raw {
            let action = Action::ALL
                .iter()
                .find(|a| a.name() == name)
                .ok_or_else(|| format!("unknown action {name:?} (see docs/keys.md)"))?;
            let specs: Vec<String> = match value {
                serde_yaml_ng::Value::String(s) => vec![s],
                serde_yaml_ng::Value::Sequence(seq) => seq
                    .into_iter()
                    .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("{name}: keys must be strings")))
                    .collect::<Result<_, _>>()?,
                _ => return Err(format!("{name}: expected a key or a list of keys")),
            };
            let parsed: Result<Vec<Key>, String> =
                specs.iter().map(|s| Key::parse(s).map_err(|e| format!("{name}: {e}"))).collect();
            overrides.insert(*action, parsed?);
        }
        // Two overrides on one key are a mistake; an override takes its key from the
        // action that had it by default (`help: j` leaves `down` with ↓ only).
        let mut named: Vec<(&Action, &Vec<Key>)> = overrides.iter().collect();
        named.sort_by_key(|(a, _)| a.name());
        for (i, (a, a_keys)) in named.iter().enumerate() {
            for (b, b_keys) in &named[i + 1..] {
                if let Some(key) = a_keys.iter().find(|k| b_keys.contains(k) && Self::share_a_table(**a, **b)) {
                    return Err(format!("{key} is bound to both {} and {}", a.name(), b.name()));
                }
            }
        }
        let mut keys: HashMap<Action, Vec<Key>> = HashMap::new();
        for action in Action::ALL {
            let mine = overrides.get(action).cloned().unwrap_or_else(|| {
                let taken =
                    |k: &Key| overrides.iter().any(|(o, ok)| ok.contains(k) && Self::share_a_table(*o, *action));
                action.default_keys().into_iter().filter(|k| !taken(k)).collect()
            });
            keys.insert(*action, mine);
        }
        Ok(Self::build(keys))
    }

    /// Whether keys of `a` and `b` can clash: both act on the list, or both in the focused
    /// preview (where leaving it and quitting work too).
    fn share_a_table(a: Action, b: Action) -> bool {
        const BOTH: [Action; 3] = [Action::FocusPreview, Action::Back, Action::Quit];
        let preview = |x: Action| PREVIEW_ACTIONS.contains(&x);
        BOTH.contains(&a) || BOTH.contains(&b) || preview(a) == preview(b)
    }

    /// Loads `path`; a missing file is the defaults, a bad one the defaults and a warning.
    pub fn load(path: &std::path::Path) -> (Self, Option<String>) {
        match std::fs::read_to_string(path) {
            Ok(text) => match Self::with_overrides(&text) {
                Ok(map) => (map, None),
                Err(e) => (Self::default(), Some(format!("using the default keys: {}: {e}", path.display()))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (Self::default(), Some(format!("using the default keys: {}: {e}", path.display()))),
        }
    }

    pub fn list_action(&self, key: Key) -> Option<Action> {
        if key == Key::ctrl('c') {
            return Some(Action::Quit);
        }
        self.list.get(&key).copied()
    }

    pub fn preview_action(&self, key: Key) -> Option<Action> {
        if key == Key::ctrl('c') {
            return Some(Action::Quit);
        }
        self.preview.get(&key).copied()
    }

    /// Is `key` bound to anything?
    pub fn binds(&self, key: Key) -> bool {
        self.list.contains_key(&key) || self.preview.contains_key(&key)
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.keys.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// `j/↓`: the keys of an action as shown in hints and help.
    pub fn label(&self, action: Action) -> String {
        // Keys come from the user's keys.yaml: whatever it holds never reaches the terminal raw.
        let keys = self.keys(action).iter().map(Key::to_string).collect::<Vec<_>>().join("/");
        crate::text::sanitize_line(&keys)
    }

    /// The footer's hints, in order of usefulness: (keys, what).
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        const HINTS: &[(Action, &str)] = &[
            (Action::Attach, "attach"),
            (Action::New, "new"),
            (Action::Send, "send"),
            (Action::Kill, "kill"),
            (Action::TogglePreview, "preview"),
            (Action::Search, "search"),
            (Action::Sort, "sort"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ];
        HINTS.iter().filter_map(|(a, what)| self.keys(*a).first().map(|k| (k.to_string(), *what))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_original() {
        let m = KeyMap::default();
        assert_eq!(m.list_action(Key::ch('j')), Some(Action::Down));
        assert_eq!(m.list_action(Key::plain(KeyCode::Enter)), Some(Action::Attach));
        assert_eq!(m.list_action(Key::ch('G')), Some(Action::Git));
        assert_eq!(m.preview_action(Key::ch('G')), Some(Action::Bottom));
        assert_eq!(m.preview_action(Key::plain(KeyCode::Esc)), Some(Action::Back));
        assert_eq!(m.list_action(Key::ctrl('c')), Some(Action::Quit));
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let m = KeyMap::with_overrides("kill: X\nattach: [enter, l]\n").unwrap();
        assert_eq!(m.list_action(Key::ch('X')), Some(Action::Kill));
        assert_eq!(m.list_action(Key::ch('x')), None);
        assert_eq!(m.list_action(Key::ch('l')), Some(Action::Attach));
        assert_eq!(m.list_action(Key::ch('j')), Some(Action::Down));
    }

    #[test]
    fn an_override_takes_its_key_from_the_default_owner() {
        let m = KeyMap::with_overrides("help: j\n").unwrap();
        assert_eq!(m.list_action(Key::ch('j')), Some(Action::Help));
        assert_eq!(m.list_action(Key::plain(KeyCode::Down)), Some(Action::Down));
        assert_eq!(m.label(Action::Down), "↓");
        assert!(m.hints().contains(&("j".to_string(), "help")));
        // The preview's own `j` (scroll) is another table: it stays.
        assert_eq!(m.preview_action(Key::ch('j')), Some(Action::ScrollDown));
        // Swapping two keys works when both are named.
        let m = KeyMap::with_overrides("kill: d\ndismiss: x\n").unwrap();
        assert_eq!(m.list_action(Key::ch('d')), Some(Action::Kill));
        assert_eq!(m.list_action(Key::ch('x')), Some(Action::Dismiss));
    }

    #[test]
    fn two_overrides_on_one_key_are_refused() {
        let e = KeyMap::with_overrides("kill: z\nrename: [Z, z]\n").unwrap_err();
        assert!(e.contains("kill") && e.contains("rename"), "{e}");
        // A list action and a preview-only action may share a key, as j does by default.
        assert!(KeyMap::with_overrides("git: y\ntop: y\n").is_ok());
        assert!(KeyMap::with_overrides("quit: y\ntop: y\n").is_err());
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert!(KeyMap::with_overrides("nope: x").unwrap_err().contains("nope"));
        assert!(KeyMap::with_overrides("kill: hyper-x").unwrap_err().contains("kill"));
        assert!(KeyMap::with_overrides("kill: {a: 1}").is_err());
        assert!(KeyMap::with_overrides(": : :").is_err());
        assert!(KeyMap::with_overrides("").is_ok());
    }

    #[test]
    fn a_bad_file_loads_the_defaults_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.yaml");
        std::fs::write(&path, "kill: [[[").unwrap();
        let (map, warning) = KeyMap::load(&path);
        assert!(warning.unwrap().contains("default keys"));
        assert_eq!(map.list_action(Key::ch('x')), Some(Action::Kill));
        assert!(KeyMap::load(&dir.path().join("none.yaml")).1.is_none());
    }
}
