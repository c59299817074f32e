//! Teammates and subagents read from and written into the original navi's shapes.

use super::*;
use serde_json::json;

fn file(v: Value) -> StatusFile {
    serde_json::from_value(v).unwrap()
}

#[test]
fn the_original_navis_team_reads_and_unknown_entry_fields_survive() {
    let mut f = file(json!({"tmux_session":"s","status":"working","team":{"name":"core","agents":[
        {"name":"alice","status":"working","timestamp":5,"session_id":"a1","colour":"red"},
        {"name":"bob","status":"idle","timestamp":6}]}}));
    let t = team(&f).unwrap();
    assert_eq!(t.name.as_deref(), Some("core"));
    assert_eq!(t.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
    assert!(set_member(&mut f, None, "alice", &Status::Done, None, 9));
    let out: Value = serde_json::from_slice(&f.to_json()).unwrap();
    assert_eq!(
        out["team"]["agents"][0],
        json!({"name":"alice","status":"done","timestamp":9,"session_id":"a1","colour":"red"})
    );
    assert_eq!(out["team"]["name"], "core");
}

#[test]
fn members_are_added_by_name_and_idle_never_replaces_stopped() {
    let mut f = StatusFile::new("s", Status::Working);
    assert!(set_member(&mut f, Some("core"), "alice", &Status::Working, Some("sid-a"), 1));
    assert!(set_member(&mut f, None, "bob", &Status::Working, None, 2));
    assert!(stop_member_by_session(&mut f, "sid-a", 3));
    assert!(!stop_member_by_session(&mut f, "sid-zzz", 3));
    assert!(!set_member(&mut f, None, "alice", &Status::Idle, None, 4), "a late idle does not revive it");
    let t = team(&f).unwrap();
    assert_eq!(t.name.as_deref(), Some("core"));
    assert_eq!(t.members[0].status, Status::Stopped);
    drop_stopped_members(&mut f);
    assert_eq!(team(&f).unwrap().members.len(), 1);
    assert!(set_member(&mut f, None, "bob", &Status::Stopped, None, 5));
    drop_stopped_members(&mut f);
    assert!(!f.extra.contains_key(TEAM_KEY), "an empty team goes");
}

#[test]
fn a_team_of_another_shape_is_kept_as_written() {
    let mut f = file(json!({"tmux_session":"s","status":"working","team":"core"}));
    assert!(team(&f).is_none());
    assert!(!set_member(&mut f, None, "alice", &Status::Working, None, 1));
    assert_eq!(f.extra[TEAM_KEY], json!("core"));
}

#[test]
fn subagents_come_and_go_and_stay_bounded() {
    let mut f = StatusFile::new("s", Status::Working);
    subagent_started(&mut f, "a1", "Explore", 1);
    subagent_started(&mut f, "a2", "general-purpose", 2);
    assert_eq!(summary(&f).as_deref(), Some("2 subagents"));
    assert!(subagent_stopped(&mut f, "a1"));
    assert!(!subagent_stopped(&mut f, "a1"));
    assert_eq!(subagents(&f), [Subagent { id: "a2".into(), kind: "general-purpose".into() }]);
    assert!(subagent_stopped(&mut f, "a2"));
    assert!(!f.extra.contains_key(SUBAGENTS_KEY));
    for i in 0..100 {
        subagent_started(&mut f, &format!("x{i}"), "", i);
    }
    let subs = subagents(&f);
    assert_eq!(subs.len(), MAX_MEMBERS);
    assert_eq!(subs[0].id, format!("x{}", 100 - MAX_MEMBERS), "the oldest went");
    clear_subagents(&mut f);
    assert!(subagents(&f).is_empty());
}

#[test]
fn the_summary_names_teammates_with_their_icons() {
    let mut f = StatusFile::new("s", Status::Working);
    set_member(&mut f, Some("core"), "alice", &Status::Working, None, 1);
    set_member(&mut f, Some("core"), "bob", &Status::Idle, None, 1);
    subagent_started(&mut f, "a1", "Explore", 1);
    assert_eq!(summary(&f).as_deref(), Some("team core: alice ⚙ bob ⏸ · 1 subagent"));
}
