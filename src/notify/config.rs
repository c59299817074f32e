//! The `notify:` section of `config.yaml`: which statuses make a notice, the cooldown, and
//! the channels. No file (or no section) means the defaults; a field that is wrong gives one
//! warning naming it, and that field keeps its default while the others still apply.

use serde_yaml_ng::Value;
use std::path::Path;
use std::time::Duration;

/// Which statuses make a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct On {
    pub waiting: bool,
    pub permission: bool,
    pub error: bool,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    pub on: On,
    /// No second notice for the same session within this many seconds.
    pub cooldown_seconds: u64,
    /// The freedesktop notification service (D-Bus) or the macOS notification centre.
    pub desktop: bool,
    /// OSC 777 / OSC 9 and a bell on the terminal navi runs in (dashboard only).
    pub terminal: bool,
    /// `display-message` on the clients of the user's tmux server.
    pub tmux: bool,
    /// A program and its arguments, run with the notice in its environment.
    pub command: Option<Vec<String>>,
    pub command_timeout: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            on: On { waiting: true, permission: true, error: true, done: true },
            cooldown_seconds: 30,
            desktop: true,
            terminal: true,
            tmux: true,
            command: None,
            command_timeout: Duration::from_secs(10),
        }
    }
}

/// The settings and the warnings met reading them (each names the file and the field).
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: NotifyConfig,
    pub warnings: Vec<String>,
}

/// config.yaml is read up to this size.
const CONFIG_MAX: u64 = 256 << 10;

/// Reads `path` (config.yaml). A missing file is the defaults, silently.
pub fn load(path: &Path) -> Loaded {
    match crate::files::read_text(path, CONFIG_MAX) {
        Ok(None) => Loaded::default(),
        Ok(Some(text)) => parse(&text),
        Err(e) => Loaded {
            config: NotifyConfig::default(),
            warnings: vec![format!("{}: {e}; notices use the defaults", path.display())],
        },
    }
}

/// Parses the text of config.yaml.
pub fn parse(text: &str) -> Loaded {
    let mut out = Loaded::default();
    let section = match crate::config::yaml_section(text, "notify", "statuses, channels, …", "notices use the defaults")
    {
        Ok(Some(section)) => section,
        Ok(None) => return out,
        Err(warning) => {
            out.warnings.push(warning);
            return out;
        }
    };
    let c = &mut out.config;
    let mut warn =
        |field: &str, why: String| out.warnings.push(format!("config.yaml: notify.{field}: {why}; using the default"));
    for (k, v) in &section {
        let key = k.as_str().unwrap_or("");
        match key {
            "statuses" => match strings(v) {
                Some(list) => {
                    let mut on = On { waiting: false, permission: false, error: false, done: false };
                    let mut bad = None;
                    for s in &list {
                        match s.as_str() {
                            "waiting" => on.waiting = true,
                            "permission" => on.permission = true,
                            "error" => on.error = true,
                            "done" => on.done = true,
                            other => bad = Some(other.to_string()),
                        }
                    }
                    match bad {
                        Some(b) => warn(key, format!("{} is not one of waiting, permission, error, done", shown(&b))),
                        None => c.on = on,
                    }
                }
                None => warn(key, "expected a list such as [waiting, permission, error, done]".into()),
            },
            "cooldown_seconds" => match v.as_u64() {
                Some(n) if n <= 86_400 => c.cooldown_seconds = n,
                _ => warn(key, format!("expected whole seconds from 0 to 86400, not {}", shown_value(v))),
            },
            "command_timeout_seconds" => match v.as_u64() {
                Some(n) if (1..=300).contains(&n) => c.command_timeout = Duration::from_secs(n),
                _ => warn(key, format!("expected whole seconds from 1 to 300, not {}", shown_value(v))),
            },
            "desktop" | "terminal" | "tmux" => match v.as_bool() {
                Some(b) if key == "desktop" => c.desktop = b,
                Some(b) if key == "terminal" => c.terminal = b,
                Some(b) => c.tmux = b,
                None => warn(key, format!("expected true or false, not {}", shown_value(v))),
            },
            "command" => match v {
                Value::Null => c.command = None,
                _ => match strings(v) {
                    Some(argv) if !argv.is_empty() && !argv[0].is_empty() => c.command = Some(argv),
                    _ => warn(
                        key,
                        "expected a program and its arguments as a list, e.g. [ntfy, publish, my-topic]".into(),
                    ),
                },
            },
            other => warn(other, "unknown field".into()),
        }
    }
    out
}

/// A YAML list of scalars as strings.
fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_sequence()?
        .iter()
        .map(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

fn shown(s: &str) -> String {
    format!("{:?}", crate::text::truncate(&crate::text::sanitize_line(s), 60))
}

fn shown_value(v: &Value) -> String {
    match v {
        Value::String(s) => shown(s),
        other => shown(&serde_yaml_ng::to_string(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_section_is_the_defaults() {
        let l = parse("worktrees: {}\n");
        assert_eq!(l.config, NotifyConfig::default());
        assert!(l.warnings.is_empty());
        assert!(load(Path::new("/nonexistent/navi/config.yaml")).warnings.is_empty());
    }

    #[test]
    fn every_field() {
        let l = parse(
            "notify:\n  statuses: [permission, error]\n  cooldown_seconds: 5\n  desktop: false\n  terminal: false\n  tmux: false\n  command: [ntfy, publish, my-topic]\n  command_timeout_seconds: 3\n",
        );
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let c = l.config;
        assert_eq!(c.on, On { waiting: false, permission: true, error: true, done: false });
        assert_eq!(c.cooldown_seconds, 5);
        assert!(!c.desktop && !c.terminal && !c.tmux);
        assert_eq!(c.command.unwrap(), ["ntfy", "publish", "my-topic"]);
        assert_eq!(c.command_timeout, Duration::from_secs(3));
    }

    #[test]
    fn a_wrong_field_is_named_and_keeps_its_default_only() {
        let l = parse("notify:\n  cooldown_seconds: soon\n  desktop: false\n  command: 'rm -rf /'\n  colour: red\n");
        assert_eq!(l.warnings.len(), 3, "{:?}", l.warnings);
        assert!(l.warnings[0].contains("notify.cooldown_seconds") && l.warnings[0].contains("\"soon\""));
        assert!(l.warnings[1].contains("notify.command") && l.warnings[1].contains("list"));
        assert!(l.warnings[2].contains("notify.colour: unknown field"));
        assert_eq!(l.config.cooldown_seconds, 30);
        assert!(!l.config.desktop, "the good field still applies");
        assert_eq!(l.config.command, None);
    }

    #[test]
    fn broken_yaml_is_one_warning_and_the_defaults() {
        let l = parse("notify: [unclosed\n");
        assert_eq!(l.warnings.len(), 1);
        assert_eq!(l.config, NotifyConfig::default());
        let l = parse("\u{feff}notify:\n  statuses: [sleepy]\n");
        assert!(l.warnings[0].contains("\"sleepy\" is not one of"), "{:?}", l.warnings);
    }
}
