//! The status file, in the original navi's format both ways. Every level keeps the fields
//! it does not know in `extra`, and so does a known field of an unexpected type (see
//! [`super::fields`]), so a rewrite never drops what another tool wrote.

use super::fields::{
    self, CWD_BYTES, MESSAGE_CHARS, SESSION_ID_BYTES, seconds, take, take_level, text_bytes, text_chars, write_known,
};
use super::metrics::Metrics;
use super::status::Status;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusFile {
    pub tmux_session: String,
    pub session_id: Option<String>,
    pub status: Status,
    pub message: Option<String>,
    pub cwd: Option<String>,
    pub timestamp: Option<i64>,
    pub metrics: Option<Metrics>,
    pub extra: Map<String, Value>,
    /// The file's name inside its sessions folder (`x.json`), when it was read from one:
    /// it may differ from `tmux_session`. Never written.
    pub source: Option<String>,
}

/// Why a JSON value is not a status file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotAStatusFile {
    #[error("not a JSON object")]
    NotAnObject,
    #[error("no string \"{0}\" field")]
    Missing(&'static str),
}

const KNOWN: &[&str] = &["tmux_session", "session_id", "status", "message", "cwd", "timestamp", "metrics"];

impl StatusFile {
    pub fn new(tmux_session: &str, status: Status) -> Self {
        StatusFile { tmux_session: tmux_session.to_string(), status, ..Default::default() }
    }

    /// Reads a parsed JSON value; only a string `tmux_session` and `status` are required.
    pub fn from_value(value: Value) -> Result<Self, NotAStatusFile> {
        let Value::Object(mut map) = value else {
            return Err(NotAStatusFile::NotAnObject);
        };
        let mut required = |key: &'static str| match map.get(key) {
            Some(Value::String(_)) => match map.shift_remove(key) {
                Some(Value::String(s)) => Ok(s),
                _ => Err(NotAStatusFile::Missing(key)),
            },
            _ => Err(NotAStatusFile::Missing(key)),
        };
        let tmux_session = required("tmux_session")?;
        let status = Status::parse(&required("status")?);
        Ok(StatusFile {
            tmux_session,
            status,
            session_id: take(&mut map, "session_id", |v| text_bytes(v, SESSION_ID_BYTES)).flatten(),
            message: take(&mut map, "message", |v| text_chars(v, MESSAGE_CHARS)).flatten(),
            cwd: take(&mut map, "cwd", |v| text_bytes(v, CWD_BYTES)).flatten(),
            timestamp: take(&mut map, "timestamp", seconds).flatten(),
            metrics: take_level(&mut map, "metrics", Metrics::from_map),
            extra: map,
            source: None,
        })
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

impl Serialize for StatusFile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = &self.extra;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("tmux_session", &self.tmux_session)?;
        let id = &self.session_id;
        write_known(&mut m, x, "session_id", id, id.is_some(), |v| text_bytes(v, SESSION_ID_BYTES).value)?;
        m.serialize_entry("status", &self.status)?;
        let msg = &self.message;
        write_known(&mut m, x, "message", msg, msg.is_some(), |v| text_chars(v, MESSAGE_CHARS).value)?;
        write_known(&mut m, x, "cwd", &self.cwd, self.cwd.is_some(), |v| text_bytes(v, CWD_BYTES).value)?;
        let ts = &self.timestamp;
        write_known(&mut m, x, "timestamp", ts, ts.is_some(), |v| seconds(v).value)?;
        let metrics = &self.metrics;
        write_known(&mut m, x, "metrics", metrics, metrics.is_some(), |v| {
            v.as_object().map(|o| Metrics::from_map(o.clone()))
        })?;
        fields::write_extra::<S>(m, x, KNOWN)
    }
}

impl<'de> Deserialize<'de> for StatusFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        StatusFile::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
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

#[cfg(test)]
mod tests;
