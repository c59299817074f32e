//! What a session costs and how full its context is: `model`, `cost`, `context` and
//! `rate_limits` in the status file, from Claude Code's status line (`navi statusline`) or,
//! without it, from the transcript's token usage (`metrics.tokens`, and `transcript`: where
//! the incremental read stopped). Kept as JSON in `extra` (another tool's
//! keys inside them survive); read here for display, bounded, and merged in.
//!
//! ```json
//! "model": {"id": "claude-opus-4-6", "display_name": "Opus 4.6"},
//! "cost": {"total_cost_usd": 0.42},
//! "context": {"used_percentage": 42.5, "window_size": 200000, "source": "statusline"},
//! "rate_limits": {"five_hour": {"used_percentage": 23.5, "resets_at": 1738425600}, "seven_day": {…}}
//! ```

use super::fields::cut_chars;
use super::model::StatusFile;
use super::transcript::{Delta, Progress};
use serde::Serialize;
use serde_json::{Map, Value};

pub const MODEL_KEY: &str = "model";
pub const COST_KEY: &str = "cost";
pub const CONTEXT_KEY: &str = "context";
pub const RATE_LIMITS_KEY: &str = "rate_limits";
const TEXT_CHARS: usize = 128;
/// At most this many rate-limit windows are recorded or shown (Claude Code sends two).
const WINDOWS: usize = 8;

/// The usage a row, a footer and the metrics dialog show.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Usage {
    pub model: Option<String>,
    pub cost_usd: Option<f64>,
    pub context_percent: Option<f64>,
    pub context_size: Option<u64>,
    pub rate_limits: Vec<RateLimit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateLimit {
    /// `five_hour`, `seven_day`, …
    pub window: String,
    pub used_percent: f64,
    pub resets_at: Option<i64>,
}

/// A finite number in `0..=max`.
fn number(v: Option<&Value>, max: f64) -> Option<f64> {
    v?.as_f64().filter(|n| n.is_finite() && (0.0..=max).contains(n))
}

fn text(v: Option<&Value>) -> Option<String> {
    v?.as_str().filter(|s| !s.trim().is_empty()).map(|s| cut_chars(s, TEXT_CHARS))
}

/// The usage recorded in `f`; what is missing or of the wrong type reads as absent.
pub fn usage(f: &StatusFile) -> Usage {
    let x = &f.extra;
    let model = x.get(MODEL_KEY).and_then(|m| match m {
        Value::String(_) => text(Some(m)),
        _ => text(m.get("display_name")).or_else(|| text(m.get("id"))),
    });
    let context = x.get(CONTEXT_KEY);
    let rate_limits = x
        .get(RATE_LIMITS_KEY)
        .and_then(Value::as_object)
        .map(|w| {
            w.iter()
                .filter_map(|(k, v)| {
                    Some(RateLimit {
                        window: cut_chars(k, 32),
                        used_percent: number(v.get("used_percentage"), 1000.0)?,
                        resets_at: v.get("resets_at").and_then(Value::as_i64),
                    })
                })
                .take(WINDOWS)
                .collect()
        })
        .unwrap_or_default();
    Usage {
        model,
        cost_usd: number(x.get(COST_KEY).and_then(|c| c.get("total_cost_usd")), 1e9),
        context_percent: number(context.and_then(|c| c.get("used_percentage")), 1000.0),
        context_size: context.and_then(|c| c.get("window_size")).and_then(Value::as_u64),
        rate_limits,
    }
}

/// Sets `key.field` to `value`, keeping the object's other keys; a `key` that is not an
/// object is replaced (it said nothing navi could show).
fn set(f: &mut StatusFile, key: &str, field: &str, value: Value) {
    let slot = f.extra.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Some(o) = slot.as_object_mut() {
        o.insert(field.into(), value);
    }
}

/// Merges what Claude Code gives its status line (`model`, `cost.total_cost_usd`,
/// `context_window.used_percentage` / `context_window_size`, `rate_limits`) into `f`. Only
/// what the input has is changed: a field it lacks (early in a session, or an older
/// Claude Code) keeps its value. True when the file changed.
pub fn merge_statusline(f: &mut StatusFile, input: &Value) -> bool {
    let before: Vec<Option<Value>> =
        [MODEL_KEY, COST_KEY, CONTEXT_KEY, RATE_LIMITS_KEY].iter().map(|k| f.extra.get(*k).cloned()).collect();
    if let Some(m) = input.get("model") {
        for field in ["id", "display_name"] {
            if let Some(t) = text(m.get(field)) {
                set(f, MODEL_KEY, field, Value::from(t));
            }
        }
    }
    if let Some(cost) = number(input.get("cost").and_then(|c| c.get("total_cost_usd")), 1e9) {
        set(f, COST_KEY, "total_cost_usd", Value::from(cost));
    }
    let window = input.get("context_window");
    if let Some(pct) = number(window.and_then(|w| w.get("used_percentage")), 1000.0) {
        set(f, CONTEXT_KEY, "used_percentage", Value::from(pct));
        set(f, CONTEXT_KEY, "source", Value::from("statusline"));
    }
    if let Some(size) = window.and_then(|w| w.get("context_window_size")).and_then(Value::as_u64) {
        set(f, CONTEXT_KEY, "window_size", Value::from(size));
    }
    if let Some(limits) = input.get("rate_limits").and_then(Value::as_object) {
        for (name, w) in limits.iter().take(WINDOWS) {
            let Some(pct) = number(w.get("used_percentage"), 1000.0) else { continue };
            let mut entry = Map::new();
            entry.insert("used_percentage".into(), Value::from(pct));
            if let Some(at) = w.get("resets_at").and_then(Value::as_i64) {
                entry.insert("resets_at".into(), Value::from(at));
            }
            set(f, RATE_LIMITS_KEY, &cut_chars(name, 32), Value::Object(entry));
        }
    }
    let after = [MODEL_KEY, COST_KEY, CONTEXT_KEY, RATE_LIMITS_KEY].iter().map(|k| f.extra.get(*k));
    before.iter().zip(after).any(|(b, a)| b.as_ref() != a)
}

/// The key of the transcript read's progress (`{"path", "offset", "last_id"}`).
pub const TRANSCRIPT_KEY: &str = "transcript";

/// Where the last transcript read stopped, as the file records it.
pub fn transcript_progress(f: &StatusFile) -> Progress {
    let t = f.extra.get(TRANSCRIPT_KEY);
    Progress {
        path: t.and_then(|t| t.get("path")).and_then(Value::as_str).unwrap_or("").to_string(),
        offset: t.and_then(|t| t.get("offset")).and_then(Value::as_u64).unwrap_or(0),
        last_id: t.and_then(|t| t.get("last_id")).and_then(Value::as_str).map(str::to_string),
    }
}

/// True when Claude Code's status line feeds this file: its numbers beat the transcript's.
pub fn has_status_line(f: &StatusFile) -> bool {
    f.extra.get(CONTEXT_KEY).and_then(|c| c.get("source")).and_then(Value::as_str) == Some("statusline")
}

/// Adds what a transcript read found: token totals in `metrics.tokens` (the original navi's
/// `{input, output, total}`, plus the cache counts), the context fill (unless the status
/// line gives it), the model when none is known, and the read's progress.
pub fn merge_transcript(f: &mut StatusFile, progress: &Progress, delta: &Delta) {
    let metrics = f.metrics.get_or_insert_with(Default::default);
    let old = metrics.extra.get("tokens").filter(|_| !delta.restarted);
    let n = |key: &str| old.and_then(|t| t.get(key)).and_then(Value::as_u64).unwrap_or(0);
    let (input, output) = (n("input").saturating_add(delta.input), n("output").saturating_add(delta.output));
    let cache_read = n("cache_read").saturating_add(delta.cache_read);
    let cache_creation = n("cache_creation").saturating_add(delta.cache_creation);
    metrics.extra.insert(
        "tokens".into(),
        serde_json::json!({"input": input, "output": output, "total": input.saturating_add(output),
                           "cache_read": cache_read, "cache_creation": cache_creation}),
    );
    if let Some(model) = &delta.model
        && f.extra.get(MODEL_KEY).is_none()
    {
        set(f, MODEL_KEY, "id", Value::from(model.clone()));
    }
    if let Some(used) = delta.context
        && !has_status_line(f)
    {
        let one_million = delta.model.as_deref().is_some_and(|m| m.contains("[1m]"));
        let size = if one_million { 1_000_000 } else { DEFAULT_WINDOW };
        let pct = (used as f64 * 100.0 / size as f64 * 10.0).round() / 10.0;
        set(f, CONTEXT_KEY, "used_percentage", Value::from(pct));
        set(f, CONTEXT_KEY, "window_size", Value::from(size));
        set(f, CONTEXT_KEY, "source", Value::from("transcript"));
    }
    let mut t = Map::new();
    t.insert("path".into(), Value::from(progress.path.clone()));
    t.insert("offset".into(), Value::from(progress.offset));
    if let Some(id) = &progress.last_id {
        t.insert("last_id".into(), Value::from(id.clone()));
    }
    f.extra.insert(TRANSCRIPT_KEY.into(), Value::Object(t));
}

/// The context window of a model whose size the transcript does not say.
const DEFAULT_WINDOW: u64 = 200_000;

/// `$0.42`, `$12.30`, `$1234`: a cost in the width a row can spare.
pub fn dollars(usd: f64) -> String {
    if usd >= 1000.0 { format!("${usd:.0}") } else { format!("${usd:.2}") }
}

#[cfg(test)]
mod tests;
