//! Who else works inside a session's tmux session. Agent-team teammates live under `team`,
//! in the original navi's shape (`{"name", "agents": [{"name", "status", "timestamp",
//! "session_id"}]}`); the lead's running subagents under `subagents`, navi's own
//! (`[{"id", "type", "started"}]`; the original records none). Both stay JSON in the
//! file's `extra`, so whatever another tool adds to an entry survives a rewrite: this module
//! reads them for display, bounded, and makes the few changes the hook needs.

use super::fields::{cut_chars, seconds};
use super::model::StatusFile;
use super::status::Status;
use serde_json::{Map, Value, json};

pub const TEAM_KEY: &str = "team";
pub const SUBAGENTS_KEY: &str = "subagents";
/// At most this many teammates or subagents are read or recorded: a hostile file or a
/// runaway team cannot make every redraw carry thousands.
pub const MAX_MEMBERS: usize = 32;
const NAME_CHARS: usize = 64;

/// A teammate as the row shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub status: Status,
    pub timestamp: Option<i64>,
}

/// An agent team inside the session.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Team {
    pub name: Option<String>,
    pub members: Vec<Member>,
}

/// A subagent the lead started and that has not stopped yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Subagent {
    pub id: String,
    /// `general-purpose`, `Explore`, …; empty for the one `/compact` runs.
    pub kind: String,
}

/// The session's team, when `team` is an object (other shapes are kept but not shown).
pub fn team(f: &StatusFile) -> Option<Team> {
    let t = f.extra.get(TEAM_KEY)?.as_object()?;
    let name = t.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).map(|n| cut_chars(n, NAME_CHARS));
    let members = t
        .get("agents")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(member).take(MAX_MEMBERS).collect())
        .unwrap_or_default();
    Some(Team { name, members })
}

fn member(v: &Value) -> Option<Member> {
    let name = v.get("name")?.as_str().filter(|n| !n.is_empty())?;
    Some(Member {
        name: cut_chars(name, NAME_CHARS),
        status: Status::parse(v.get("status").and_then(Value::as_str).unwrap_or("")),
        timestamp: v.get("timestamp").and_then(|t| seconds(t).value),
    })
}

/// The running subagents, oldest first.
pub fn subagents(f: &StatusFile) -> Vec<Subagent> {
    let Some(list) = f.extra.get(SUBAGENTS_KEY).and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| {
            let id = v.get("id")?.as_str()?;
            let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
            Some(Subagent { id: cut_chars(id, NAME_CHARS), kind: cut_chars(kind, NAME_CHARS) })
        })
        .take(MAX_MEMBERS)
        .collect()
}

/// The team's entries, created when missing. `None` when `team` holds something other
/// than an object, or its `agents` something other than a list: that is kept as written.
fn members_mut<'a>(f: &'a mut StatusFile, team_name: Option<&str>) -> Option<&'a mut Vec<Value>> {
    let team = f.extra.entry(TEAM_KEY).or_insert_with(|| json!({"name": "", "agents": []}));
    let team = team.as_object_mut()?;
    if let Some(n) = team_name.filter(|n| !n.is_empty()) {
        team.insert("name".into(), Value::from(cut_chars(n, NAME_CHARS)));
    }
    team.entry("agents").or_insert_with(|| Value::Array(Vec::new())).as_array_mut()
}

/// Records a teammate's status, by name. An idle report never replaces `stopped`: a
/// teammate told to shut down may still say it went idle. False when nothing changed.
pub fn set_member(
    f: &mut StatusFile,
    team_name: Option<&str>,
    name: &str,
    status: &Status,
    session_id: Option<&str>,
    now: i64,
) -> bool {
    let name = cut_chars(name, NAME_CHARS);
    let Some(members) = members_mut(f, team_name) else {
        return false;
    };
    let at = match members.iter().position(|m| m.get("name").and_then(Value::as_str) == Some(name.as_str())) {
        Some(at) => at,
        None if members.len() >= MAX_MEMBERS => return false,
        None => {
            members.push(json!({"name": name}));
            members.len() - 1
        }
    };
    let entry = &mut members[at];
    let Some(entry) = entry.as_object_mut() else {
        return false;
    };
    if *status == Status::Idle && entry.get("status").and_then(Value::as_str) == Some("stopped") {
        return false;
    }
    entry.insert("status".into(), Value::from(status.as_str()));
    entry.insert("timestamp".into(), Value::from(now));
    if let Some(sid) = session_id.filter(|s| !s.is_empty()) {
        entry.insert("session_id".into(), Value::from(sid));
    }
    true
}

/// Marks the teammate whose own session is `session_id` stopped. False when none is.
pub fn stop_member_by_session(f: &mut StatusFile, session_id: &str, now: i64) -> bool {
    let Some(members) = f.extra.get_mut(TEAM_KEY).and_then(|t| t.get_mut("agents")).and_then(Value::as_array_mut)
    else {
        return false;
    };
    let mut changed = false;
    for m in members.iter_mut().filter_map(Value::as_object_mut) {
        if m.get("session_id").and_then(Value::as_str) == Some(session_id) {
            m.insert("status".into(), Value::from("stopped"));
            m.insert("timestamp".into(), Value::from(now));
            changed = true;
        }
    }
    changed
}

/// Forgets the teammates that stopped, and the team once nobody is left in it (what the
/// original navi does when the lead gets a new prompt).
pub fn drop_stopped_members(f: &mut StatusFile) {
    let Some(team) = f.extra.get_mut(TEAM_KEY).and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(members) = team.get_mut("agents").and_then(Value::as_array_mut) {
        members.retain(|m| m.get("status").and_then(Value::as_str) != Some("stopped"));
        if members.is_empty() {
            f.extra.shift_remove(TEAM_KEY);
        }
    }
}

/// A subagent started; the oldest entry goes when the list is full.
pub fn subagent_started(f: &mut StatusFile, id: &str, kind: &str, now: i64) {
    let list = f.extra.entry(SUBAGENTS_KEY).or_insert_with(|| Value::Array(Vec::new()));
    let Some(list) = list.as_array_mut() else {
        return; // Not navi's shape: kept as written.
    };
    let id = cut_chars(id, NAME_CHARS);
    list.retain(|v| v.get("id").and_then(Value::as_str) != Some(id.as_str()));
    if list.len() >= MAX_MEMBERS {
        list.remove(0);
    }
    let mut entry = Map::new();
    entry.insert("id".into(), Value::from(id));
    entry.insert("type".into(), Value::from(cut_chars(kind, NAME_CHARS)));
    entry.insert("started".into(), Value::from(now));
    list.push(Value::Object(entry));
}

/// A subagent stopped. False when it was not listed.
pub fn subagent_stopped(f: &mut StatusFile, id: &str) -> bool {
    let Some(list) = f.extra.get_mut(SUBAGENTS_KEY).and_then(Value::as_array_mut) else {
        return false;
    };
    let before = list.len();
    list.retain(|v| v.get("id").and_then(Value::as_str) != Some(id));
    let changed = list.len() != before;
    if list.is_empty() {
        f.extra.shift_remove(SUBAGENTS_KEY);
    }
    changed
}

/// The session (re)started or ended: no subagent of it can still run.
pub fn clear_subagents(f: &mut StatusFile) {
    if f.extra.get(SUBAGENTS_KEY).is_some_and(Value::is_array) {
        f.extra.shift_remove(SUBAGENTS_KEY);
    }
}

/// `team core: alice ⚙ bob ⏸ · 2 subagents`: who else works in the session, for the row.
pub fn summary(f: &StatusFile) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(t) = team(f).filter(|t| !t.members.is_empty()) {
        // Without the emoji selector: terminals disagree on its width (see the row's icon).
        let who: Vec<String> =
            t.members.iter().map(|m| format!("{} {}", m.name, m.status.icon().trim_end_matches('\u{fe0f}'))).collect();
        let label = t.name.map_or_else(|| "team".to_string(), |n| format!("team {n}"));
        parts.push(format!("{label}: {}", who.join(" ")));
    }
    let subs = subagents(f);
    if !subs.is_empty() {
        parts.push(format!("{} subagent{}", subs.len(), if subs.len() == 1 { "" } else { "s" }));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[cfg(test)]
mod tests;
