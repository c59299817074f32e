//! The hook's input: `mapping::apply` with events made from the captured payloads (fields
//! replaced, removed, bytes mutated) over arbitrary existing status files. It never
//! panics, what the existing file holds that navi does not know survives, and the message
//! it sets is bounded.

use crate::mutate::{self, Mutation};
use navi::hook::mapping::{HookEvent, apply};
use navi::sessions::StatusFile;
use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;
use serde_json::{Map, Value};

/// What `mapping` cuts a message it sets to, in characters.
const MESSAGE_MAX: usize = 500;
const EVENTS: [&str; 10] = [
    "UserPromptSubmit",
    "PostToolUse",
    "PermissionRequest",
    "Notification",
    "Stop",
    "StopFailure",
    "SessionStart",
    "SessionEnd",
    "PreToolUse",
    "SubagentStop",
];
const FIELDS: [&str; 9] = [
    "hook_event_name",
    "session_id",
    "cwd",
    "notification_type",
    "message",
    "tool_name",
    "tool_input",
    "last_assistant_message",
    "error",
];

#[derive(Debug, Clone)]
enum Change {
    Set(&'static str, Value),
    Remove(&'static str),
}

fn change() -> impl Strategy<Value = Change> {
    let field = prop::sample::select(FIELDS.to_vec());
    prop_oneof![
        3 => (field.clone(), mutate::json()).prop_map(|(f, v)| Change::Set(f, v)),
        2 => (field.clone(), mutate::text()).prop_map(|(f, v)| Change::Set(f, Value::from(v))),
        2 => prop::sample::select(EVENTS.to_vec()).prop_map(|e| Change::Set("hook_event_name", e.into())),
        1 => prop::sample::select(vec!["permission_prompt", "idle_prompt", "elicitation_dialog", "auth_success"])
            .prop_map(|t| Change::Set("notification_type", t.into())),
        1 => field.prop_map(Change::Remove),
    ]
}

/// An event as JSON bytes: a payload, changed, serialised, mutated.
fn event() -> impl Strategy<Value = Vec<u8>> {
    let payloads = mutate::payloads();
    (prop::sample::select(payloads), prop::collection::vec(change(), 0..4), mutate::mutations(2)).prop_map(
        |(mut payload, changes, mutations): (Value, Vec<Change>, Vec<Mutation>)| {
            if let Value::Object(map) = &mut payload {
                for c in changes {
                    match c {
                        Change::Set(f, v) => {
                            map.insert(f.into(), v);
                        }
                        Change::Remove(f) => {
                            map.remove(f);
                        }
                    }
                }
            }
            let mut bytes = serde_json::to_vec(&payload).unwrap();
            mutate::apply(&mut bytes, &mutations);
            bytes
        },
    )
}

fn seconds() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..4_000_000_000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "-?[0-9]{1,25}(\\.[0-9]{0,3})?".prop_map(Value::from),
        mutate::json(),
    ]
}

fn extra() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((mutate::text(), mutate::json()), 0..4).prop_map(|kv| kv.into_iter().collect())
}

/// An existing status file: the known fields of any type, times of any size, and fields
/// navi does not know at every level.
fn existing() -> impl Strategy<Value = Option<StatusFile>> {
    let status = prop_oneof![
        prop::sample::select(vec!["working", "waiting", "permission", "done", "idle", "error", "offline"])
            .prop_map(Value::from),
        mutate::json(),
    ];
    let time = (seconds(), seconds(), seconds(), seconds(), extra()).prop_map(|(s, t, w, wa, mut m)| {
        m.extend([("started".into(), s), ("total_seconds".into(), t), ("working_seconds".into(), w)]);
        m.insert("waiting_seconds".into(), wa);
        Value::Object(m)
    });
    let tools = (prop::collection::vec(mutate::text(), 0..12), extra(), extra()).prop_map(|(recent, counts, mut m)| {
        m.insert("recent".into(), recent.into());
        m.insert("counts".into(), Value::Object(counts));
        Value::Object(m)
    });
    let metrics = prop_oneof![
        3 => (time, tools, extra()).prop_map(|(t, tl, mut m)| {
            m.insert("time".into(), t);
            m.insert("tools".into(), tl);
            Value::Object(m)
        }),
        1 => mutate::json(),
    ];
    let file = (status, mutate::json(), seconds(), metrics, extra(), mutate::text()).prop_map(
        |(status, message, timestamp, metrics, mut m, session)| {
            m.insert("tmux_session".into(), session.into());
            m.insert("status".into(), status);
            m.insert("message".into(), message);
            m.insert("timestamp".into(), timestamp);
            m.insert("metrics".into(), metrics);
            serde_json::from_value(Value::Object(m)).ok()
        },
    );
    prop_oneof![1 => Just(None), 4 => file]
}

fn check(existing: Option<StatusFile>, event: &[u8], now: i64) -> TestCaseResult {
    let Ok(event) = serde_json::from_slice::<HookEvent>(event) else { return Ok(()) };
    let Some(file) = apply(existing.clone(), "fuzz", &event, now) else { return Ok(()) };
    prop_assert_eq!(file.tmux_session.as_str(), "fuzz");
    let kept = file.message == existing.as_ref().and_then(|e| e.message.clone());
    prop_assert!(kept || file.message.as_ref().is_none_or(|m| m.chars().count() <= MESSAGE_MAX), "{:?}", file.message);
    let again: StatusFile = serde_json::from_slice(&file.to_json()).unwrap();
    prop_assert!(mutate::same_file(&again, &file), "{again:?}\n{file:?}");
    let Some(before) = existing else { return Ok(()) };
    let superset = |after: &Map<String, Value>, before: &Map<String, Value>| {
        before.iter().all(|(k, v)| after.get(k).is_some_and(|w| mutate::same_json(v, w)))
    };
    prop_assert!(superset(&file.extra, &before.extra));
    if let Some(m) = &before.metrics {
        let after = file.metrics.as_ref().unwrap();
        prop_assert!(superset(&after.extra, &m.extra));
        if let Some(t) = &m.time {
            prop_assert!(superset(&after.time.as_ref().unwrap().extra, &t.extra));
        }
        if let Some(t) = &m.tools {
            prop_assert!(superset(&after.tools.as_ref().unwrap().extra, &t.extra));
        }
    }
    Ok(())
}

pub fn run() {
    let now = prop_oneof![4 => 1_600_000_000i64..2_000_000_000, 1 => any::<i64>()];
    crate::fuzz("hook_events", (existing(), event(), now), |(existing, event, now)| check(existing, &event, now));
}
