//! The `worktrees:` section of `config.yaml`: where navi puts a session's worktree
//! (`location`, a pattern) and the setup commands to run in a new worktree, chosen by the
//! repository's path. No file (or no section): the defaults; a wrong field gives one
//! warning naming it and keeps its default, the others still apply.

use serde_yaml_ng::Value;
use std::path::Path;

/// `{repo}`: the main checkout; `{repo_name}`: its folder's name; `{name}`: the session.
pub const DEFAULT_LOCATION: &str = "{repo}/../{repo_name}.worktrees/{name}";
const PLACEHOLDERS: [&str; 3] = ["{repo}", "{repo_name}", "{name}"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupRule {
    /// A glob on the main checkout's path (`*` and `?`; `*` also matches `/`; a leading
    /// `~/` is the home folder of the session's host).
    pub repo: String,
    /// A shell line typed into the session before the agent starts.
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreesConfig {
    pub location: String,
    pub setup: Vec<SetupRule>,
}

impl Default for WorktreesConfig {
    fn default() -> Self {
        WorktreesConfig { location: DEFAULT_LOCATION.into(), setup: Vec::new() }
    }
}

impl WorktreesConfig {
    /// The setup command of the first rule matching `repo` (on a host whose home is `home`).
    pub fn setup_for(&self, repo: &str, home: &str) -> Option<&str> {
        let repo = repo.trim_end_matches('/');
        self.setup.iter().find(|r| glob(&expand_home(&r.repo, home), repo)).map(|r| r.command.as_str())
    }
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub config: WorktreesConfig,
    pub warnings: Vec<String>,
}

/// Reads `path` (config.yaml). A missing file is the defaults, silently.
pub fn load(path: &Path) -> Loaded {
    match crate::files::read_text(path, 256 << 10) {
        Ok(None) => Loaded::default(),
        Ok(Some(text)) => parse(&text),
        Err(e) => Loaded {
            warnings: vec![format!("{}: {e}; worktrees use the defaults", path.display())],
            ..Default::default()
        },
    }
}

pub fn parse(text: &str) -> Loaded {
    let mut out = Loaded::default();
    let section = match super::yaml_section(text, "worktrees", "location, setup", "worktrees use the defaults") {
        Ok(Some(section)) => section,
        Ok(None) => return out,
        Err(warning) => {
            out.warnings.push(warning);
            return out;
        }
    };
    let mut warn =
        |field: &str, why: &str| out.warnings.push(format!("config.yaml: worktrees.{field}: {why}; using the default"));
    for (k, v) in &section {
        match k.as_str().unwrap_or("") {
            "location" => match v.as_str() {
                Some(l) => match check_location(l) {
                    Ok(()) => out.config.location = l.to_string(),
                    Err(e) => warn("location", &e),
                },
                None => warn("location", "expected a path pattern such as \"{repo}/../{repo_name}.worktrees/{name}\""),
            },
            "setup" => match setup_rules(v) {
                Ok(rules) => out.config.setup = rules,
                Err(e) => warn("setup", &e),
            },
            other => warn(other, "unknown field"),
        }
    }
    out
}

fn check_location(l: &str) -> Result<(), String> {
    if !l.contains("{name}") {
        return Err("must contain {name} (each session needs a folder of its own)".into());
    }
    if l.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let mut rest = l;
    while let Some(i) = rest.find('{') {
        let tail = &rest[i..];
        match PLACEHOLDERS.iter().find(|p| tail.starts_with(**p)) {
            Some(p) => rest = &tail[p.len()..],
            None => return Err(format!("unknown placeholder in {l:?} (known: {{repo}}, {{repo_name}}, {{name}})")),
        }
    }
    Ok(())
}

fn setup_rules(v: &Value) -> Result<Vec<SetupRule>, String> {
    let expected = "expected a list of {repo: GLOB, command: LINE}";
    let items = v.as_sequence().ok_or(expected)?;
    items
        .iter()
        .map(|item| {
            let field = |k: &str| item.get(k).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
            match (field("repo"), field("command")) {
                (Some(repo), Some(command)) if !command.contains('\n') => {
                    Ok(SetupRule { repo: repo.to_string(), command: command.to_string() })
                }
                (Some(_), Some(_)) => Err("a command must be one line (join steps with &&)".to_string()),
                _ => Err(expected.to_string()),
            }
        })
        .collect()
}

fn expand_home(pattern: &str, home: &str) -> String {
    match pattern.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", home.trim_end_matches('/')),
        None => pattern.to_string(),
    }
}

/// `*` (any run of characters, `/` included) and `?` (one character); the rest literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                back = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match back {
                Some((bp, bt)) => {
                    pi = bp + 1;
                    ti = bt + 1;
                    back = Some((bp, bt + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_section() {
        let l = parse("notify: {}\n");
        assert_eq!(l.config, WorktreesConfig::default());
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn every_field_and_the_first_matching_rule() {
        let l = parse(
            "worktrees:\n  location: \"~/wt/{repo_name}/{name}\"\n  setup:\n    - repo: \"~/src/web*\"\n      command: npm ci\n    - repo: \"*\"\n      command: make setup\n",
        );
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(l.config.location, "~/wt/{repo_name}/{name}");
        assert_eq!(l.config.setup_for("/home/u/src/web-app", "/home/u"), Some("npm ci"));
        assert_eq!(l.config.setup_for("/srv/other", "/home/u"), Some("make setup"));
    }

    #[test]
    fn wrong_fields_are_named_and_keep_their_default() {
        let l = parse("worktrees:\n  location: /tmp/same\n  setup: [{repo: x}]\n  colour: red\n");
        assert_eq!(l.warnings.len(), 3, "{:?}", l.warnings);
        assert!(l.warnings[0].contains("worktrees.location") && l.warnings[0].contains("{name}"));
        assert!(l.warnings[1].contains("worktrees.setup"));
        assert!(l.warnings[2].contains("worktrees.colour: unknown field"));
        assert_eq!(l.config, WorktreesConfig::default());
        assert!(parse("worktrees:\n  location: \"{repo}/{nme}/{name}\"\n").warnings[0].contains("unknown placeholder"));
    }

    #[test]
    fn globs() {
        assert!(glob("/a/*/c", "/a/b/x/c"));
        assert!(glob("/a/?", "/a/b"));
        assert!(!glob("/a/?", "/a/bc"));
        assert!(glob("*", ""));
        assert!(!glob("/a", "/a/b"));
        assert!(glob("*web*", "/home/u/web-app"));
    }
}
