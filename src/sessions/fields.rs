//! How the model reads and writes a field it knows. A well-typed value becomes the typed
//! field (cut to a bound, so a hostile file cannot make every redraw carry megabytes); a
//! value of another type stays in the level's `extra`, verbatim, and is written back
//! unchanged as long as the typed field still says what was read from it. When a writer
//! sets the typed field, the typed value wins and appears once.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

pub const MESSAGE_CHARS: usize = 2000;
pub const CWD_BYTES: usize = 4096;
pub const SESSION_ID_BYTES: usize = 256;
pub const TOOL_NAME_CHARS: usize = 128;
pub const RECENT_TOOLS: usize = 10;
pub const COUNT_KEYS: usize = 256;

/// A known field as read: its typed value, and whether its raw value says more than that
/// (another type, a repaired number) and so must be kept.
pub struct Read<T> {
    pub value: T,
    pub keep_raw: bool,
}

impl<T> Read<T> {
    fn typed(value: T) -> Self {
        Read { value, keep_raw: false }
    }
    fn kept(value: T) -> Self {
        Read { value, keep_raw: true }
    }
}

/// Takes `key` out of `map` when it is well typed; leaves it there (for `extra`) when not.
pub fn take<T>(map: &mut Map<String, Value>, key: &str, read: impl Fn(&Value) -> Read<T>) -> Option<T> {
    let r = read(map.get(key)?);
    if !r.keep_raw {
        map.shift_remove(key);
    }
    Some(r.value)
}

/// Takes the nested level `key` out of `map` when it is an object, read by `from_map`;
/// anything else stays in `map` (for `extra`) and reads as absent.
pub fn take_level<T>(map: &mut Map<String, Value>, key: &str, from_map: impl Fn(Map<String, Value>) -> T) -> Option<T> {
    if !map.get(key)?.is_object() {
        return None;
    }
    match map.shift_remove(key) {
        Some(Value::Object(m)) => Some(from_map(m)),
        _ => None,
    }
}

/// Writes a known field: the raw value kept in `extra` while the typed value still says
/// the same, else the typed value (when `write_typed`).
pub fn write_known<M: SerializeMap, T: Serialize + PartialEq>(
    m: &mut M,
    extra: &Map<String, Value>,
    key: &str,
    typed: &T,
    write_typed: bool,
    read: impl Fn(&Value) -> T,
) -> Result<(), M::Error> {
    match extra.get(key) {
        Some(raw) if read(raw) == *typed => m.serialize_entry(key, raw),
        _ if write_typed => m.serialize_entry(key, typed),
        _ => Ok(()),
    }
}

/// Writes the fields of `extra` that are not known at this level (those went out above).
pub fn write_extra<S: Serializer>(
    mut m: S::SerializeMap,
    extra: &Map<String, Value>,
    known: &[&str],
) -> Result<S::Ok, S::Error> {
    for (k, v) in extra.iter().filter(|(k, _)| !known.contains(&k.as_str())) {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// A string, cut to `max` characters.
pub fn text_chars(raw: &Value, max: usize) -> Read<Option<String>> {
    match raw {
        Value::String(s) => Read::typed(Some(cut_chars(s, max))),
        _ => Read::kept(None),
    }
}

/// A string, cut to at most `max` bytes on a character boundary.
pub fn text_bytes(raw: &Value, max: usize) -> Read<Option<String>> {
    match raw {
        Value::String(s) => Read::typed(Some(cut_bytes(s, max).to_string())),
        _ => Read::kept(None),
    }
}

/// Whole seconds. An integer is well typed; a float or a numeric string is repaired to
/// whole seconds and kept as written until the field changes.
pub fn seconds(raw: &Value) -> Read<Option<i64>> {
    match raw {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Read::typed(Some(i)),
            None => Read::kept(n.as_f64().map(|f| f as i64)),
        },
        Value::String(s) => Read::kept(s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => Read::kept(None),
    }
}

/// The most recent tool names, newest first (the original navi's order): at most
/// [`RECENT_TOOLS`], each cut. A list holding anything but strings is kept as written; its
/// strings are still shown.
pub fn tool_names(raw: &Value) -> Read<Vec<String>> {
    let Value::Array(items) = raw else {
        return Read::kept(Vec::new());
    };
    let names: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
    let keep_raw = names.len() != items.len();
    let value = names.iter().take(RECENT_TOOLS).map(|n| cut_chars(n, TOOL_NAME_CHARS)).collect();
    Read { value, keep_raw }
}

/// Tool counts: an object, of at most [`COUNT_KEYS`] keys.
pub fn counts(raw: &Value) -> Read<Map<String, Value>> {
    match raw {
        Value::Object(m) => Read::typed(m.iter().take(COUNT_KEYS).map(|(k, v)| (k.clone(), v.clone())).collect()),
        _ => Read::kept(Map::new()),
    }
}

pub fn cut_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

pub fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
