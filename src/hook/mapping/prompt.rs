//! What a PermissionRequest asks the user, told apart by tool: a tool permission, an
//! AskUserQuestion question with its options, or an ExitPlanMode plan to approve. Each
//! gives the row's message and the status file's `prompt` object (see docs/status-files.md),
//! with every piece of text cut to a bound so no event field can bloat the file.

use serde_json::{Map, Value, json};

/// Messages are cut to this many characters.
pub const MESSAGE_MAX: usize = 500;
/// Tool names (used as keys of the tool counts) are cut to this many characters.
pub const TOOL_MAX: usize = 128;
/// A question's text and each option label in the `prompt` object.
const TEXT_MAX: usize = 200;
/// At most this many options are recorded.
const OPTIONS_MAX: usize = 16;

/// Which kind of question a session waits on; the `kind` of the `prompt` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Permission,
    Question,
    Plan,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Permission => "permission",
            Kind::Question => "question",
            Kind::Plan => "plan",
        }
    }
}

/// A PermissionRequest as the user sees it.
pub struct Asked {
    pub kind: Kind,
    pub message: String,
    pub prompt: Value,
}

/// Reads a PermissionRequest's tool and input.
pub fn asked(tool: Option<&str>, input: Option<&Value>) -> Asked {
    let tool = tool.filter(|t| !t.is_empty()).map(|t| cut(t, TOOL_MAX));
    match tool.as_deref() {
        Some("AskUserQuestion") => question(input),
        Some("ExitPlanMode") => plan(input),
        _ => permission(tool.as_deref(), input),
    }
}

/// `Permission needed: Bash (git push)`.
fn permission(tool: Option<&str>, input: Option<&Value>) -> Asked {
    let name = tool.unwrap_or("a tool");
    let detail = input.and_then(|input| {
        ["command", "file_path", "url", "pattern"]
            .iter()
            .find_map(|k| input.get(k).and_then(Value::as_str))
            .and_then(first_line)
    });
    let message = match detail {
        Some(d) => cut(&format!("Permission needed: {name} ({d})"), MESSAGE_MAX),
        None => format!("Permission needed: {name}"),
    };
    let mut prompt = Map::new();
    prompt.insert("kind".into(), Kind::Permission.as_str().into());
    if let Some(t) = tool {
        prompt.insert("tool".into(), t.into());
    }
    Asked { kind: Kind::Permission, message, prompt: Value::Object(prompt) }
}

/// `Which colour do you want? [Red / Blue]`; the first question of several, saying how
/// many more there are.
fn question(input: Option<&Value>) -> Asked {
    let questions = input.and_then(|i| i.get("questions")).and_then(Value::as_array);
    let first = questions.and_then(|q| q.first());
    let text = first.and_then(|q| q.get("question")).and_then(Value::as_str).map(str::trim).unwrap_or("");
    let text = if text.is_empty() { "Claude has a question".to_string() } else { cut(text, TEXT_MAX) };
    let options: Vec<String> = first
        .and_then(|q| q.get("options"))
        .and_then(Value::as_array)
        .map(|opts| {
            opts.iter()
                .filter_map(|o| o.get("label").and_then(Value::as_str).or_else(|| o.as_str()))
                .map(|l| cut(l.trim(), TEXT_MAX))
                .take(OPTIONS_MAX)
                .collect()
        })
        .unwrap_or_default();
    let multi = first.and_then(|q| q.get("multiSelect")).and_then(Value::as_bool).unwrap_or(false);
    let more = questions.map_or(0, |q| q.len().saturating_sub(1));

    let mut message = text.clone();
    if !options.is_empty() {
        message.push_str(&format!(" [{}]", options.join(" / ")));
    }
    if multi {
        message.push_str(" (any of them)");
    }
    if more > 0 {
        message.push_str(&format!(" (+{more} more question{})", if more == 1 { "" } else { "s" }));
    }
    let prompt = json!({
        "kind": Kind::Question.as_str(),
        "tool": "AskUserQuestion",
        "question": text,
        "options": options,
        "multi_select": multi,
    });
    Asked { kind: Kind::Question, message: cut(&message, MESSAGE_MAX), prompt }
}

/// `Plan ready for approval: <the plan's first line>`, a Markdown heading's `#` dropped.
fn plan(input: Option<&Value>) -> Asked {
    let first = input
        .and_then(|i| i.get("plan"))
        .and_then(Value::as_str)
        .and_then(|p| p.lines().map(|l| l.trim().trim_start_matches('#').trim()).find(|l| !l.is_empty()));
    let message = match first {
        Some(l) => cut(&format!("Plan ready for approval: {l}"), MESSAGE_MAX),
        None => "Plan ready for approval".to_string(),
    };
    let prompt = json!({"kind": Kind::Plan.as_str(), "tool": "ExitPlanMode"});
    Asked { kind: Kind::Plan, message, prompt }
}

/// The first non-blank line of `s`, trimmed.
pub fn first_line(s: &str) -> Option<&str> {
    s.lines().map(str::trim).find(|l| !l.is_empty())
}

/// `s` cut to `max` characters, ending in `…` when something was cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_questions_and_multi_select_are_said() {
        let input = json!({"questions":[
            {"question":"Which?","options":[{"label":"A"},{"label":"B"}],"multiSelect":true},
            {"question":"Why?","options":[]}, {"question":"When?"}]});
        let a = asked(Some("AskUserQuestion"), Some(&input));
        assert_eq!(a.kind, Kind::Question);
        assert_eq!(a.message, "Which? [A / B] (any of them) (+2 more questions)");
        assert_eq!(a.prompt["multi_select"], true);
    }

    #[test]
    fn odd_inputs_still_say_what_is_asked() {
        assert_eq!(asked(Some("AskUserQuestion"), None).message, "Claude has a question");
        assert_eq!(
            asked(Some("ExitPlanMode"), Some(&json!({"plan": "\n\n## Fix it\nmore"}))).message,
            "Plan ready for approval: Fix it"
        );
        assert_eq!(asked(Some("ExitPlanMode"), Some(&json!({"plan": 3}))).message, "Plan ready for approval");
        let a = asked(None, None);
        assert_eq!(a.message, "Permission needed: a tool");
        assert_eq!(a.prompt, json!({"kind": "permission"}));
    }

    #[test]
    fn every_piece_is_bounded() {
        let huge = "x".repeat(1 << 20);
        let opts: Vec<Value> = (0..1000).map(|_| json!({"label": huge})).collect();
        let a = asked(Some("AskUserQuestion"), Some(&json!({"questions":[{"question": huge, "options": opts}]})));
        assert!(a.message.chars().count() <= MESSAGE_MAX);
        assert!(a.prompt.to_string().len() < 20_000, "{}", a.prompt.to_string().len());
        let a = asked(Some(&huge), Some(&json!({"command": huge})));
        assert!(a.message.chars().count() <= MESSAGE_MAX);
        assert_eq!(a.prompt["tool"].as_str().map(|t| t.chars().count()), Some(TOOL_MAX));
    }
}
