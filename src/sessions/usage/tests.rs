//! The status line's input merged into a status file, and read back.

use super::*;
use crate::sessions::Status;
use serde_json::json;

/// Shaped like what Claude Code sends its status line (docs: code.claude.com statusline).
fn statusline_input() -> Value {
    json!({
        "hook_event_name": "Status",
        "session_id": "abc123",
        "transcript_path": "/home/u/.claude/projects/x/abc123.jsonl",
        "cwd": "/home/u/src/api",
        "model": {"id": "claude-opus-4-6", "display_name": "Opus 4.6"},
        "workspace": {"current_dir": "/home/u/src/api", "project_dir": "/home/u/src/api"},
        "version": "2.1.90",
        "output_style": {"name": "default"},
        "cost": {"total_cost_usd": 0.4213, "total_duration_ms": 45000, "total_api_duration_ms": 2300,
                 "total_lines_added": 156, "total_lines_removed": 23},
        "context_window": {"total_input_tokens": 15234, "total_output_tokens": 4521, "context_window_size": 200000,
                           "used_percentage": 42.5, "remaining_percentage": 57.5,
                           "current_usage": {"input_tokens": 8500, "output_tokens": 1200,
                                             "cache_creation_input_tokens": 5000, "cache_read_input_tokens": 2000}},
        "exceeds_200k_tokens": false,
        "rate_limits": {"five_hour": {"used_percentage": 23.5, "resets_at": 1738425600},
                        "seven_day": {"used_percentage": 41.2, "resets_at": 1738857600}}
    })
}

#[test]
fn the_status_lines_numbers_are_recorded_and_read_back() {
    let mut f = StatusFile::new("s", Status::Working);
    f.extra.insert("cost".into(), json!({"by_someone_else": 1}));
    assert!(merge_statusline(&mut f, &statusline_input()));
    let u = usage(&f);
    assert_eq!(u.model.as_deref(), Some("Opus 4.6"));
    assert_eq!(u.cost_usd, Some(0.4213));
    assert_eq!((u.context_percent, u.context_size), (Some(42.5), Some(200_000)));
    assert_eq!(u.rate_limits.len(), 2);
    assert_eq!(
        u.rate_limits[0],
        RateLimit { window: "five_hour".into(), used_percent: 23.5, resets_at: Some(1738425600) }
    );
    assert_eq!(f.extra["cost"]["by_someone_else"], 1, "other keys inside are kept");
    assert!(!merge_statusline(&mut f, &statusline_input()), "the same input changes nothing");
}

#[test]
fn what_the_input_lacks_keeps_its_value_and_nonsense_is_ignored() {
    let mut f = StatusFile::new("s", Status::Working);
    merge_statusline(&mut f, &statusline_input());
    // Early in a session: no percentage yet, no rate limits (API-key users never get them).
    let early = json!({"model": {"display_name": "Opus 4.6"}, "cost": {"total_cost_usd": 0.5},
                       "context_window": {"used_percentage": null, "context_window_size": 200000}});
    assert!(merge_statusline(&mut f, &early));
    let u = usage(&f);
    assert_eq!((u.cost_usd, u.context_percent, u.rate_limits.len()), (Some(0.5), Some(42.5), 2));
    let hostile = json!({"model": {"display_name": "x".repeat(10_000)}, "cost": {"total_cost_usd": -3},
                         "context_window": {"used_percentage": "lots"}, "rate_limits": "none"});
    merge_statusline(&mut f, &hostile);
    let u = usage(&f);
    assert_eq!(u.model.unwrap().chars().count(), TEXT_CHARS);
    assert_eq!((u.cost_usd, u.context_percent), (Some(0.5), Some(42.5)));
}

#[test]
fn a_file_without_usage_or_with_odd_shapes_reads_as_none() {
    let f: StatusFile = serde_json::from_value(json!({"tmux_session":"s","status":"done",
        "model":"sonnet","cost":5,"context":{"used_percentage":"x"}}))
    .unwrap();
    let u = usage(&f);
    assert_eq!(u.model.as_deref(), Some("sonnet"));
    assert_eq!((u.cost_usd, u.context_percent), (None, None));
    assert_eq!(dollars(0.4213), "$0.42");
    assert_eq!(dollars(1234.5), "$1234");
}
