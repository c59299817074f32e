//! Claude Code's `statusLine` in settings.json: navi's `statusline` command goes in front of
//! the user's own, which it keeps as `--then '<command>'` and runs; uninstalling puts the
//! user's command back (or removes the entry navi added). Other keys of the entry (`padding`,
//! …) are left as they are.

use serde_json::{Map, Value, json};
use std::path::Path;

pub const KEY: &str = "statusLine";

/// The words of a navi status-line command: `<…/navi> [options] statusline [--then CMD]`.
/// `Some(then)` when `command` is one.
pub fn navi_statusline(command: &str) -> Option<Option<String>> {
    let words = shlex::split(command)?;
    let program_is_navi = words.first().and_then(|p| Path::new(p).file_name()).is_some_and(|n| n == "navi");
    let at = words.iter().position(|w| w == "statusline")?;
    if !program_is_navi {
        return None;
    }
    let rest = &words[at + 1..];
    let then = match rest {
        [flag, cmd] if flag == "--then" => Some(cmd.clone()),
        [one] => one.strip_prefix("--then=").map(str::to_string),
        _ => None,
    };
    Some(then)
}

/// Puts `navi` (the status-line command without `--then`) in front of whatever command the
/// entry has; with `uninstall`, takes it away again. Entries of another type are left alone.
pub fn wire(root: &mut Map<String, Value>, navi: &str, uninstall: bool) {
    let user = match root.get(KEY) {
        None => None,
        Some(entry) => match entry.get("command").and_then(Value::as_str) {
            Some(cmd) => match navi_statusline(cmd) {
                Some(then) => then,
                None => Some(cmd.to_string()),
            },
            // Not a command status line: nothing navi can chain.
            None => return,
        },
    };
    if uninstall {
        match (user, root.get_mut(KEY).and_then(Value::as_object_mut)) {
            (Some(user), Some(entry)) => {
                entry.insert("command".into(), Value::from(user));
            }
            _ => {
                root.remove(KEY);
            }
        }
        return;
    }
    let command = match &user {
        Some(user) => format!("{navi} --then {}", crate::backend::shell::quote(user)),
        None => navi.to_string(),
    };
    match root.get_mut(KEY).and_then(Value::as_object_mut) {
        Some(entry) => {
            entry.insert("command".into(), Value::from(command));
        }
        None => {
            root.insert(KEY.into(), json!({"type": "command", "command": command}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAVI: &str = "/opt/bin/navi statusline";

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_users_command_is_chained_kept_through_reinstalls_and_restored() {
        let user = "bash ~/.claude/my line.sh --flag 'x y'";
        let original = obj(json!({"statusLine": {"type": "command", "command": user, "padding": 0}, "x": 1}));
        let mut s = original.clone();
        wire(&mut s, NAVI, false);
        let cmd = s[KEY]["command"].as_str().unwrap().to_string();
        assert!(cmd.starts_with("/opt/bin/navi statusline --then "), "{cmd}");
        assert_eq!(navi_statusline(&cmd), Some(Some(user.to_string())));
        assert_eq!(s[KEY]["padding"], 0);
        let once = s.clone();
        wire(&mut s, NAVI, false);
        assert_eq!(s, once, "idempotent");
        wire(&mut s, "/new/navi statusline", false);
        assert_eq!(navi_statusline(s[KEY]["command"].as_str().unwrap()), Some(Some(user.to_string())));
        wire(&mut s, NAVI, true);
        assert_eq!(s, original);
    }

    #[test]
    fn without_a_status_line_navi_adds_one_and_takes_it_away() {
        let mut s = obj(json!({"x": 1}));
        wire(&mut s, NAVI, false);
        assert_eq!(s[KEY], json!({"type": "command", "command": NAVI}));
        wire(&mut s, NAVI, true);
        assert_eq!(s, obj(json!({"x": 1})));
        let mut other = obj(json!({"statusLine": {"type": "future"}}));
        wire(&mut other, NAVI, false);
        assert_eq!(other, obj(json!({"statusLine": {"type": "future"}})), "left alone");
    }

    #[test]
    fn only_navis_own_status_line_is_recognised() {
        assert_eq!(navi_statusline("navi statusline"), Some(None));
        assert_eq!(
            navi_statusline("'/a b/navi' --sessions-dir /x statusline --then='echo hi'"),
            Some(Some("echo hi".into()))
        );
        assert_eq!(navi_statusline("echo navi statusline"), None);
        assert_eq!(navi_statusline("/bin/other statusline"), None);
        assert_eq!(navi_statusline("navi hook"), None);
    }
}
