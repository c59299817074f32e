//! Text hygiene for anything that reaches a terminal: escape-sequence stripping, truncation
//! by display width, home shortening and relative ages. Used by the CLI and the dashboard.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Strips every escape sequence (CSI, OSC, DCS, …) and control character from `input`,
/// keeping printable text and newlines. Tabs become single spaces so widths stay known.
pub fn sanitize(input: &str) -> String {
    sanitize_bytes(input.as_bytes())
}

/// Same as [`sanitize`] for raw bytes (pane captures may hold invalid UTF-8).
pub fn sanitize_bytes(input: &[u8]) -> String {
    strip_escapes(input, b"\n\t").replace('\t', " ")
}

/// One line of display text: like [`sanitize`], with newlines turned into spaces.
pub fn sanitize_line(input: &str) -> String {
    sanitize(input).replace('\n', " ")
}

pub use crate::escapes::{is_format, strip_escapes};

/// Cleans every string of a JSON value, keys and values alike, as [`sanitize`] does (tabs
/// kept: JSON escapes them), so machine-readable output is as safe to print as the rest.
pub fn sanitize_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if needs_cleaning(s) => *s = strip_escapes(s.as_bytes(), b"\n\t"),
        Value::Array(items) => items.iter_mut().for_each(sanitize_json),
        Value::Object(map) => {
            if map.keys().any(|k| needs_cleaning(k)) {
                let old = std::mem::take(map);
                map.extend(old.into_iter().map(|(k, v)| (strip_escapes(k.as_bytes(), b"\n\t"), v)));
            }
            map.values_mut().for_each(sanitize_json);
        }
        _ => {}
    }
}

/// `s` cleaned as [`sanitize_json`] cleans a string: borrowed when it is already clean,
/// which is almost always.
pub fn clean_json_str(s: &str) -> std::borrow::Cow<'_, str> {
    if needs_cleaning(s) {
        std::borrow::Cow::Owned(strip_escapes(s.as_bytes(), b"\n\t"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Every escape sequence starts with a control character, so text without controls or
/// format characters is already clean.
fn needs_cleaning(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || is_format(c))
}

/// Cuts `s` to at most `width` display columns, ending in `…` when something was cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Replaces a leading `home` with `~`.
pub fn shorten_home(path: &str, home: &str) -> String {
    if home.is_empty() || home == "/" {
        return path.to_string();
    }
    match path.strip_prefix(home) {
        Some("") => "~".to_string(),
        Some(rest) if rest.starts_with('/') => format!("~{rest}"),
        _ => path.to_string(),
    }
}

/// `12s ago`, `5m ago`, `3h ago`, `2d ago`; `now` for the future or the same second.
pub fn age(now: i64, then: i64) -> String {
    // Timestamps come from files anyone can write: never overflow on hostile ones.
    let secs = now.saturating_sub(then);
    match secs {
        i64::MIN..=0 => "now".to_string(),
        1..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86_399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// A duration in seconds as `1h 5m`, `4m 10s`, `12s`.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_controls() {
        let hostile = "a\x1b[31mred\x1b[0m\x1b]0;title\x07b\x1b]8;;http://x\x1b\\link\rc\x08d\x00e\x7ff\u{9b}2Jg";
        // A UTF-8 encoded C1 control is dropped; what follows it is plain text.
        assert_eq!(sanitize(hostile), "aredblinkcdef2Jg");
    }

    #[test]
    fn strips_bidi_and_invisible_format_characters() {
        let hostile = "ab\u{202E}cd\u{2066}e\u{2069}f\u{200B}g\u{200F}h\u{FEFF}i";
        assert_eq!(sanitize(hostile), "abcdefghi");
        assert_eq!(sanitize_line("é世界\u{00AD}x"), "é世界\u{00AD}x", "other text is kept");
    }

    #[test]
    fn strips_every_invisible_format_character() {
        let hidden = "\u{061C}\u{180E}\u{2028}\u{2029}\u{2060}\u{2064}\u{206A}\u{206F}\u{FFF9}\u{FFFB}\u{E0001}\u{E0041}\u{E007F}";
        let hostile: String = hidden.chars().map(|c| format!("{c}x")).collect();
        assert_eq!(sanitize_line(&hostile), "x".repeat(hidden.chars().count()));
    }

    #[test]
    fn json_strings_are_cleaned_keys_and_values_at_every_depth() {
        let mut v = serde_json::json!({"a\u{202E}b": ["x\u{1b}[31my", {"k": "\u{85}c1\u{7f}del\u{9b}2J"}], "n": 1,
            "t": "line\nnext\ttab"});
        sanitize_json(&mut v);
        assert_eq!(v, serde_json::json!({"ab": ["xy", {"k": "c1del2J"}], "n": 1, "t": "line\nnext\ttab"}));
    }

    #[test]
    fn ages_of_hostile_timestamps_do_not_overflow() {
        assert_eq!(age(1_700_000_000, i64::MIN), format!("{}d ago", i64::MAX / 86_400));
        assert_eq!(age(i64::MIN, i64::MAX), "now");
    }

    #[test]
    fn keeps_newlines_and_unicode() {
        assert_eq!(sanitize("héllo\n世界\ttab"), "héllo\n世界 tab");
        assert_eq!(sanitize_line("a\nb"), "a b");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let out = sanitize_bytes(b"ok\xff\xfeok");
        assert!(out.starts_with("ok") && out.ends_with("ok"));
        assert!(!out.chars().any(|c| c.is_control()));
    }

    #[test]
    fn truncates_by_width() {
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("世界世界", 5), "世界…");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn home_is_shortened_only_on_a_boundary() {
        assert_eq!(shorten_home("/home/al/src", "/home/al"), "~/src");
        assert_eq!(shorten_home("/home/al", "/home/al"), "~");
        assert_eq!(shorten_home("/home/alpha", "/home/al"), "/home/alpha");
    }

    #[test]
    fn ages() {
        assert_eq!(age(100, 88), "12s ago");
        assert_eq!(age(1000, 700), "5m ago");
        assert_eq!(age(20_000, 9_200), "3h ago");
        assert_eq!(age(100, 200), "now");
        assert_eq!(duration(3900), "1h 5m");
        assert_eq!(duration(250), "4m 10s");
    }
}
