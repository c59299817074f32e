//! The `metrics` level of a status file: time spent per status and the tools used. Read
//! and written like the top level (see [`super::fields`]): what is not well typed is kept.

use super::fields::{self, counts, seconds, take, take_level, tool_names, write_known};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metrics {
    pub time: Option<TimeMetrics>,
    pub tools: Option<ToolMetrics>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimeMetrics {
    pub started: Option<i64>,
    pub total_seconds: i64,
    pub working_seconds: i64,
    pub waiting_seconds: i64,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolMetrics {
    /// Newest first, at most [`fields::RECENT_TOOLS`] when read.
    pub recent: Vec<String>,
    pub counts: Map<String, Value>,
    pub extra: Map<String, Value>,
}

impl Metrics {
    pub fn from_map(mut map: Map<String, Value>) -> Self {
        Metrics {
            time: take_level(&mut map, "time", TimeMetrics::from_map),
            tools: take_level(&mut map, "tools", ToolMetrics::from_map),
            extra: map,
        }
    }
}

impl TimeMetrics {
    pub fn from_map(mut map: Map<String, Value>) -> Self {
        let mut secs = |key: &str| take(&mut map, key, seconds).flatten();
        let started = secs("started");
        let total_seconds = secs("total_seconds").unwrap_or(0);
        let working_seconds = secs("working_seconds").unwrap_or(0);
        let waiting_seconds = secs("waiting_seconds").unwrap_or(0);
        TimeMetrics { started, total_seconds, working_seconds, waiting_seconds, extra: map }
    }
}

impl ToolMetrics {
    pub fn from_map(mut map: Map<String, Value>) -> Self {
        ToolMetrics {
            recent: take(&mut map, "recent", tool_names).unwrap_or_default(),
            counts: take(&mut map, "counts", counts).unwrap_or_default(),
            extra: map,
        }
    }
}

impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = &self.extra;
        let mut m = s.serialize_map(None)?;
        write_known(&mut m, x, "time", &self.time, self.time.is_some(), |v| {
            v.as_object().map(|o| TimeMetrics::from_map(o.clone()))
        })?;
        write_known(&mut m, x, "tools", &self.tools, self.tools.is_some(), |v| {
            v.as_object().map(|o| ToolMetrics::from_map(o.clone()))
        })?;
        fields::write_extra::<S>(m, x, &["time", "tools"])
    }
}

impl Serialize for TimeMetrics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = &self.extra;
        let mut m = s.serialize_map(None)?;
        let started = &self.started;
        write_known(&mut m, x, "started", started, started.is_some(), |v| seconds(v).value)?;
        for (key, n) in [
            ("total_seconds", self.total_seconds),
            ("working_seconds", self.working_seconds),
            ("waiting_seconds", self.waiting_seconds),
        ] {
            write_known(&mut m, x, key, &n, true, |v| seconds(v).value.unwrap_or(0))?;
        }
        fields::write_extra::<S>(m, x, &["started", "total_seconds", "working_seconds", "waiting_seconds"])
    }
}

impl Serialize for ToolMetrics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = &self.extra;
        let mut m = s.serialize_map(None)?;
        write_known(&mut m, x, "recent", &self.recent, true, |v| tool_names(v).value)?;
        write_known(&mut m, x, "counts", &self.counts, true, |v| counts(v).value)?;
        fields::write_extra::<S>(m, x, &["recent", "counts"])
    }
}

/// Each level reads from a JSON object, leniently.
macro_rules! deserialize_from_map {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(<$t>::from_map(Map::deserialize(d)?))
            }
        }
    )*};
}
deserialize_from_map!(Metrics, TimeMetrics, ToolMetrics);
