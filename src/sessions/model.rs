//! The status file, in the original navi's format both ways. Every level keeps the fields
//! it does not know in `extra`, so a rewrite never drops what another tool wrote.

use super::status::Status;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusFile {
    pub tmux_session: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_seconds")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_metrics")]
    pub metrics: Option<Metrics>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolMetrics>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TimeMetrics {
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub started: Option<i64>,
    #[serde(default)]
    pub total_seconds: i64,
    #[serde(default)]
    pub working_seconds: i64,
    #[serde(default)]
    pub waiting_seconds: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ToolMetrics {
    #[serde(default)]
    pub recent: Vec<String>,
    #[serde(default)]
    pub counts: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StatusFile {
    pub fn new(tmux_session: &str, status: Status) -> Self {
        StatusFile {
            tmux_session: tmux_session.to_string(),
            session_id: None,
            status,
            message: None,
            cwd: None,
            timestamp: None,
            metrics: None,
            extra: Map::new(),
            source: None,
        }
    }

    /// The file's JSON, pretty-printed, with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing a struct of strings, numbers and JSON values cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    pub fn timestamp(&self) -> i64 {
        self.timestamp.unwrap_or(0)
    }
}

/// The default order: waiting and permission first, then working, then the rest; newest
/// first inside a group; then by name so the order is stable.
pub fn default_order(a: &StatusFile, b: &StatusFile) -> Ordering {
    a.status
        .priority()
        .cmp(&b.status.priority())
        .then_with(|| b.timestamp().cmp(&a.timestamp()))
        .then_with(|| a.tmux_session.cmp(&b.tmux_session))
}

/// Strings stay strings; null or any other type reads as absent instead of failing the file.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// Unix seconds written as an integer, a float or a numeric string.
fn lenient_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    })
}

/// Metrics of an unexpected shape are ignored rather than failing the whole file.
fn lenient_metrics<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Metrics>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

#[cfg(test)]
mod tests {
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
}
