//! Cost, context, rate limits, teammates and subagents as the dashboard shows them: on the
//! row (context coloured by level), totals in the footer, the rest in the metrics dialog.

use super::{NOW, key, render, session};
use navi::app::input::Key;
use navi::app::keys::KeyMap;
use navi::app::model::Model;
use navi::app::{Msg, update};
use navi::sessions::Status;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use serde_json::json;

fn model() -> Model {
    let mut api = session("api", Status::Working, 12, "/home/u/src/api", Some("Refactoring"), None);
    for (k, v) in [
        ("model", json!({"id": "claude-opus-4-6", "display_name": "Opus 4.6"})),
        ("cost", json!({"total_cost_usd": 0.42})),
        ("context", json!({"used_percentage": 85.2, "window_size": 200000})),
        ("rate_limits", json!({"five_hour": {"used_percentage": 23.5, "resets_at": NOW + 7200}})),
        ("team", json!({"name": "core", "agents": [{"name": "alice", "status": "working", "timestamp": NOW}]})),
        ("subagents", json!([{"id": "a1", "type": "Explore", "started": NOW}])),
    ] {
        api.file.extra.insert(k.into(), v);
    }
    let mut gpu = session("train", Status::Done, 60, "/srv/train", None, Some("gpu-box"));
    gpu.file.extra.insert("cost".into(), json!({"total_cost_usd": 12.0}));
    gpu.file.extra.insert("agent".into(), json!("codex"));
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/home/u/src".into(), vec!["gpu-box".into()], NOW);
    update(&mut m, Msg::Resize(100, 24));
    update(&mut m, Msg::Listing { remote: None, result: Ok((vec![api], vec![])) });
    update(&mut m, Msg::Listing { remote: Some("gpu-box".into()), result: Ok((vec![gpu], vec![])) });
    m
}

#[test]
fn rows_show_cost_and_context_and_the_footer_totals() {
    let m = model();
    let screen = render(&m);
    let api = screen.lines().find(|l| l.contains(" api")).unwrap();
    assert!(api.contains("$0.42 · 85%  12s ago"), "{api}");
    assert!(screen.contains("team core: alice ⚙ · 1 subagent"), "{screen}");
    assert!(screen.contains(" train codex [gpu-box]"), "the agent, when not Claude Code:\n{screen}");
    assert!(screen.contains("$12.42 (local $0.42 · gpu-box $12.00)"), "{screen}");
    // 85 % is past the alarm level: red.
    let mut t = Terminal::new(TestBackend::new(100, 24)).unwrap();
    t.draw(|f| navi::ui::draw(f, &m)).unwrap();
    let buf = t.backend().buffer();
    let y = screen.lines().position(|l| l.contains(" api")).unwrap() as u16;
    let at = |x: u16| buf[(x, y)].symbol().to_string();
    let x = (0..97).find(|x| at(*x) == "8" && at(x + 1) == "5" && at(x + 2) == "%").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
}

#[test]
fn the_metrics_dialog_shows_model_rate_limits_and_who_else_works() {
    let mut m = model();
    key(&mut m, Key::ch('i'));
    let screen = render(&m);
    for want in [
        "Opus 4.6",
        "$0.42",
        "85 % of 200k tokens",
        "5-hour limit",
        "24 % used",
        "resets in 2h",
        "alice working",
        "Explore",
    ] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
}

#[test]
fn short_of_room_the_row_keeps_who_else_works_over_time_and_tools() {
    let mut m = model();
    let mut api = m.rows.iter().find_map(|r| r.session().filter(|s| s.name() == "api").cloned()).unwrap();
    let mut counts = serde_json::Map::new();
    counts.insert("Bash".into(), 31.into());
    api.file.metrics = Some(navi::sessions::Metrics {
        tools: Some(navi::sessions::ToolMetrics { counts, ..Default::default() }),
        ..Default::default()
    });
    update(&mut m, Msg::Listing { remote: None, result: Ok((vec![api], vec![])) });
    update(&mut m, Msg::Resize(48, 24));
    let screen = render(&m);
    assert!(screen.contains("team core: alice ⚙ · 1 subagent"), "{screen}");
    assert!(!screen.contains("31 tools"), "{screen}");
    update(&mut m, Msg::Resize(140, 24));
    assert!(render(&m).contains("31 tools · team core"), "with room, all of it");
}
