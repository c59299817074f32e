use super::*;

const FULL: &str = r#"{"tmux_session":"api","session_id":"abc","status":"waiting",
    "message":"Need input","cwd":"/src/api","timestamp":1700000000,
    "metrics":{"time":{"started":1699990000,"total_seconds":10,"working_seconds":6,"waiting_seconds":4,"x":1},
               "tools":{"recent":["Bash","Edit"],"counts":{"Bash":3,"Edit":1}},"tokens":{"in":5}},
    "team":"core","agents":[{"id":1}],"future_field":{"nested":true}}"#;

#[test]
fn unknown_fields_survive_a_round_trip() {
    let f: StatusFile = serde_json::from_str(FULL).unwrap();
    let back: Value = serde_json::from_slice(&f.to_json()).unwrap();
    let orig: Value = serde_json::from_str(FULL).unwrap();
    assert_eq!(back, orig);
}

#[test]
fn only_session_and_status_are_required() {
    let f: StatusFile = serde_json::from_str(r#"{"tmux_session":"a","status":"done"}"#).unwrap();
    assert_eq!(f.status, Status::Done);
    assert!(serde_json::from_str::<StatusFile>(r#"{"tmux_session":"a"}"#).is_err());
    assert!(serde_json::from_str::<StatusFile>(r#"{"status":"done"}"#).is_err());
}

#[test]
fn odd_types_are_tolerated() {
    let f: StatusFile = serde_json::from_str(
        r#"{"tmux_session":"a","status":"done","timestamp":1.7e9,"message":null,"metrics":"junk"}"#,
    )
    .unwrap();
    assert_eq!(f.timestamp, Some(1_700_000_000));
    assert_eq!(f.message, None);
    assert_eq!(f.metrics, None);
    assert_eq!(f.extra["metrics"], "junk", "kept as written");
}

#[test]
fn default_order_groups_then_newest() {
    let mk = |n: &str, s: Status, t: i64| {
        let mut f = StatusFile::new(n, s);
        f.timestamp = Some(t);
        f
    };
    let mut v = [
        mk("done-new", Status::Done, 50),
        mk("work-old", Status::Working, 1),
        mk("perm", Status::Permission, 2),
        mk("wait", Status::Waiting, 3),
        mk("work-new", Status::Working, 9),
    ];
    v.sort_by(default_order);
    let names: Vec<_> = v.iter().map(|f| f.tmux_session.as_str()).collect();
    assert_eq!(names, ["wait", "perm", "work-new", "work-old", "done-new"]);
}

fn read(json: &Value) -> StatusFile {
    serde_json::from_value(json.clone()).unwrap()
}

fn written(f: &StatusFile) -> Value {
    let text = String::from_utf8(f.to_json()).unwrap();
    // The text itself, not only the parsed value: a key written twice would be hidden by
    // a parser that keeps the last one.
    let v: Value = serde_json::from_str(&text).unwrap();
    for key in ["session_id", "message", "cwd", "timestamp", "metrics", "total_seconds", "recent", "tools"] {
        assert!(text.matches(&format!("\"{key}\":")).count() <= 1, "{key} twice in {text}");
    }
    v
}

#[test]
fn ill_typed_metrics_are_kept_whole_with_their_unknown_keys() {
    let orig = serde_json::json!({"tmux_session":"a","status":"done","metrics":{
        "time":{"started":"1699990000","total_seconds":12.7,"working_seconds":"abc","waiting_seconds":{"x":1}},
        "tools":[],"tokens":{"in":5}}});
    let f = read(&orig);
    let m = f.metrics.as_ref().expect("metrics read");
    let t = m.time.as_ref().unwrap();
    assert_eq!((t.started, t.total_seconds, t.working_seconds, t.waiting_seconds), (Some(1_699_990_000), 12, 0, 0));
    assert_eq!(m.tools, None);
    assert_eq!(m.extra["tokens"], serde_json::json!({"in":5}));
    assert_eq!(written(&f), orig, "untouched, everything is written back as it was");

    let mut f = f;
    let t = f.metrics.as_mut().unwrap().time.as_mut().unwrap();
    t.total_seconds = 20;
    t.working_seconds += 3;
    let mut want = orig.clone();
    want["metrics"]["time"]["total_seconds"] = 20.into();
    want["metrics"]["time"]["working_seconds"] = 3.into();
    assert_eq!(written(&f), want, "what the writer set wins and appears once");
}

#[test]
fn a_recent_list_with_other_values_is_kept_until_a_tool_is_added() {
    let orig = serde_json::json!({"tmux_session":"a","status":"done",
        "metrics":{"tools":{"recent":["Bash",7,"Edit"],"counts":{"Bash":1}}}});
    let mut f = read(&orig);
    let tools = f.metrics.as_mut().unwrap().tools.as_mut().unwrap();
    assert_eq!(tools.recent, ["Bash", "Edit"]);
    assert_eq!(written(&f), orig);
    let tools = f.metrics.as_mut().unwrap().tools.as_mut().unwrap();
    tools.recent.insert(0, "Read".into());
    assert_eq!(written(&f)["metrics"]["tools"]["recent"], serde_json::json!(["Read", "Bash", "Edit"]));
}

#[test]
fn non_string_message_cwd_and_session_id_are_kept() {
    let orig = serde_json::json!({"tmux_session":"a","status":"done","session_id":5,
        "message":{"text":"hi"},"cwd":["/x"],"timestamp":1.7e9});
    let mut f = read(&orig);
    assert_eq!((&f.session_id, &f.message, &f.cwd), (&None, &None, &None));
    assert_eq!(f.timestamp, Some(1_700_000_000));
    assert_eq!(written(&f), orig);
    f.session_id = Some("sid".into());
    f.message = Some("new".into());
    f.timestamp = Some(5);
    let mut want = orig.clone();
    want["session_id"] = "sid".into();
    want["message"] = "new".into();
    want["timestamp"] = 5.into();
    assert_eq!(written(&f), want);
}

#[test]
fn huge_fields_are_cut_when_read() {
    let long = "é".repeat(100_000);
    let recent: Vec<String> = (0..50).map(|i| format!("{i}{long}")).collect();
    let counts: serde_json::Map<String, Value> = (0..1000).map(|i| (format!("t{i}"), Value::from(i))).collect();
    let f = read(&serde_json::json!({"tmux_session":"a","status":"done","message":long,"cwd":long,
        "session_id":long,"metrics":{"tools":{"recent":recent,"counts":counts}}}));
    assert_eq!(f.message.as_ref().unwrap().chars().count(), fields::MESSAGE_CHARS);
    assert!(f.cwd.as_ref().unwrap().len() <= fields::CWD_BYTES);
    assert!(f.session_id.as_ref().unwrap().len() <= fields::SESSION_ID_BYTES);
    let tools = f.metrics.as_ref().unwrap().tools.as_ref().unwrap();
    assert_eq!(tools.recent.len(), fields::RECENT_TOOLS);
    assert!(tools.recent[0].starts_with('0') && tools.recent[9].starts_with('9'), "the newest (first) are kept");
    assert!(tools.recent.iter().all(|t| t.chars().count() <= fields::TOOL_NAME_CHARS));
    assert_eq!(tools.counts.len(), fields::COUNT_KEYS);
    assert!(f.extra.is_empty(), "nothing kept raw: {:?}", f.extra.keys().collect::<Vec<_>>());
}

#[test]
fn what_is_not_a_status_file_says_why() {
    for (json, why) in [
        ("[1]", "not a JSON object"),
        (r#"{"status":"done"}"#, "tmux_session"),
        (r#"{"tmux_session":5,"status":"done"}"#, "tmux_session"),
        (r#"{"tmux_session":"a","status":null}"#, "status"),
    ] {
        let e = serde_json::from_str::<StatusFile>(json).unwrap_err().to_string();
        assert!(e.contains(why), "{json}: {e}");
    }
}
