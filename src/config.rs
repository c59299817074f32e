//! Paths (HOME and XDG honoured) and `remotes.yaml`. A missing remotes file means no
//! remotes; a broken entry is skipped with one message naming the entry and the field.

pub mod worktrees;

use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The longest value of a text field, in characters. The name shows in rows and names a
/// generated ssh_config file; a host name has at most 253 (DNS); login names and paths
/// get room to spare.
pub fn field_max(field: &str) -> usize {
    match field {
        "name" | "user" => 64,
        "host" => 253,
        "jump_host" => 300,
        _ => 4096,
    }
}
/// How much of a bad value a message repeats, in characters.
const SHOWN_MAX: usize = 80;
/// How much of a YAML parser message a warning repeats (it may quote the input).
const PARSER_MESSAGE_MAX: usize = 200;

/// Where navi reads and writes, resolved once from the environment and the CLI flags.
#[derive(Debug, Clone)]
pub struct Paths {
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME/navi` or `~/.config/navi`.
    pub config_dir: PathBuf,
    /// `$XDG_STATE_HOME/navi` or `~/.local/state/navi`: logs, backups.
    pub state_dir: PathBuf,
    pub sessions_dir: PathBuf,
    pub remotes_file: PathBuf,
}

impl Paths {
    pub fn resolve(sessions_dir: Option<PathBuf>, remotes_file: Option<PathBuf>) -> anyhow::Result<Self> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| anyhow::anyhow!("HOME is not set"))?;
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(fallback))
                .join("navi")
        };
        let config_dir = xdg("XDG_CONFIG_HOME", ".config");
        let state_dir = xdg("XDG_STATE_HOME", ".local/state");
        let sessions_dir = sessions_dir.unwrap_or_else(|| home.join(".claude-sessions"));
        let remotes_file = remotes_file.unwrap_or_else(|| config_dir.join("remotes.yaml"));
        Ok(Paths { home, config_dir, state_dir, sessions_dir, remotes_file })
    }

    pub fn home_str(&self) -> String {
        self.home.to_string_lossy().into_owned()
    }
}

/// The `name:` section of config.yaml's `text`: `Ok(None)` when it has none. `Err` is the
/// warning when the file is not YAML (`fallback` says what happens then) or the section is
/// not a mapping (`fields` names what it should hold).
pub fn yaml_section(
    text: &str,
    name: &str,
    fields: &str,
    fallback: &str,
) -> Result<Option<serde_yaml_ng::Mapping>, String> {
    use serde_yaml_ng::Value;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| format!("config.yaml: {e}; {fallback}"))?;
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Mapping(m)) => Ok(Some(m.clone())),
        Some(_) => Err(format!("config.yaml: {name}: expected fields ({fields}); using the defaults")),
    }
}

/// `~` and `~/x` become paths under `home`; anything else is kept.
pub fn expand_tilde(path: &str, home: &Path) -> PathBuf {
    if path == "~" {
        home.to_path_buf()
    } else if let Some(rest) = path.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyChecking {
    /// Unknown and changed keys are refused.
    #[default]
    Strict,
    /// Unknown keys are appended to known_hosts; changed keys are refused.
    AcceptNew,
    /// No checking at all; only when written out in the file.
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub key: PathBuf,
    /// As written (may start with `~`): it is expanded by the remote shell, not here.
    pub sessions_dir: String,
    pub jump_host: Option<HostPort>,
}

#[derive(Debug, Clone, Default)]
pub struct RemotesConfig {
    pub remotes: Vec<Remote>,
    pub known_hosts: PathBuf,
    pub host_key_checking: HostKeyChecking,
}

impl RemotesConfig {
    pub fn get(&self, name: &str) -> Option<&Remote> {
        self.remotes.iter().find(|r| r.name == name)
    }
}

/// The remotes and the problems found on the way; a problem never stops local sessions.
#[derive(Debug, Default)]
pub struct LoadedRemotes {
    pub config: RemotesConfig,
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    remotes: Vec<serde_yaml_ng::Value>,
    known_hosts: Option<String>,
    host_key_checking: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemote {
    name: String,
    host: String,
    user: String,
    key: String,
    port: Option<u16>,
    sessions_dir: Option<String>,
    jump_host: Option<String>,
}

/// Reads `remotes.yaml`. No file: no remotes, no warning.
pub fn load_remotes(path: &Path, home: &Path) -> LoadedRemotes {
    let default_known = home.join(".ssh/known_hosts");
    let mut out = LoadedRemotes {
        config: RemotesConfig { known_hosts: default_known, ..Default::default() },
        warnings: Vec::new(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.warnings.push(format!("{}: {e}", path.display()));
            return out;
        }
    };
    match parse_remotes(&text, home) {
        Ok(loaded) => {
            out = loaded;
            for w in &mut out.warnings {
                *w = format!("{}: {w}", path.display());
            }
        }
        Err(e) => out.warnings.push(format!("{}: {e}; remotes are off", path.display())),
    }
    out
}

/// Parses the text of a remotes file. `Err` when the file as a whole is unusable.
pub fn parse_remotes(text: &str, home: &Path) -> Result<LoadedRemotes, String> {
    // Editors on some systems start a UTF-8 file with a byte-order mark; YAML would read
    // it as content before the document.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(LoadedRemotes {
            config: RemotesConfig { known_hosts: home.join(".ssh/known_hosts"), ..Default::default() },
            warnings: Vec::new(),
        });
    }
    let raw: RawFile = serde_yaml_ng::from_str(text).map_err(|e| parser_message(&e))?;
    let host_key_checking = match raw.host_key_checking.as_deref() {
        None | Some("strict") => HostKeyChecking::Strict,
        Some("accept-new") => HostKeyChecking::AcceptNew,
        Some("off") => HostKeyChecking::Off,
        Some(other) => {
            return Err(format!("host_key_checking: {} is not one of strict, accept-new, off", shown(other)));
        }
    };
    if let Some(k) = &raw.known_hosts {
        not_too_long("known_hosts", k)?;
    }
    let known_hosts = raw.known_hosts.map(|k| expand_tilde(&k, home)).unwrap_or_else(|| home.join(".ssh/known_hosts"));
    absolute("known_hosts", &known_hosts)?;
    let mut out = LoadedRemotes {
        config: RemotesConfig { remotes: Vec::new(), known_hosts, host_key_checking },
        warnings: Vec::new(),
    };
    let mut names = HashSet::new();
    for (i, value) in raw.remotes.into_iter().enumerate() {
        let label = match value.get("name").and_then(|n| n.as_str()) {
            Some(n) => format!("remote #{} ({})", i + 1, shown(n)),
            None => format!("remote #{}", i + 1),
        };
        match parse_remote(value, home) {
            Ok(r) if r.name == "local" => {
                out.warnings.push(format!("{label}: name: \"local\" is reserved; entry skipped"))
            }
            Ok(r) if names.contains(&r.name) => out.warnings.push(format!("{label}: name: duplicate; entry skipped")),
            Ok(r) => {
                names.insert(r.name.clone());
                out.config.remotes.push(r);
            }
            Err(e) => out.warnings.push(format!("{label}: {e}; entry skipped")),
        }
    }
    Ok(out)
}

/// Checks the type of each field an entry has, so an error names the field (serde's
/// errors from a `Value` do not); a number where text is expected is taken as text.
fn check_fields(value: &mut serde_yaml_ng::Value) -> Result<(), String> {
    use serde_yaml_ng::Value;
    const TEXT: [&str; 6] = ["name", "host", "user", "key", "sessions_dir", "jump_host"];
    let Value::Mapping(map) = value else { return Err("expected fields (name, host, user, key, …)".into()) };
    for (k, v) in map.iter_mut() {
        let Some(field) = k.as_str() else { continue };
        if field == "port" {
            let valid = v.is_null() || v.as_u64().is_some_and(|p| (1..=65535).contains(&p));
            if !valid {
                let yaml = serde_yaml_ng::to_string(v).unwrap_or_default();
                return Err(format!("port: must be a number between 1 and 65535, not {}", shown(yaml.trim())));
            }
        } else if TEXT.contains(&field) {
            match v {
                Value::Number(n) => *v = Value::String(n.to_string()),
                Value::String(_) | Value::Null => {}
                _ => return Err(format!("{field}: must be text")),
            }
        }
    }
    Ok(())
}

fn parse_remote(mut value: serde_yaml_ng::Value, home: &Path) -> Result<Remote, String> {
    check_fields(&mut value)?;
    let raw: RawRemote = serde_yaml_ng::from_value(value).map_err(|e| parser_message(&e))?;
    let required = [("name", &raw.name), ("host", &raw.host), ("user", &raw.user), ("key", &raw.key)];
    let optional = [("sessions_dir", &raw.sessions_dir), ("jump_host", &raw.jump_host)];
    for (field, v) in required.into_iter().chain(optional.into_iter().filter_map(|(f, v)| Some((f, v.as_ref()?)))) {
        not_too_long(field, v)?;
        if v.chars().any(char::is_control) {
            return Err(format!("{field}: contains a control character"));
        }
    }
    if let Some((field, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(format!("{field}: must not be empty"));
    }
    if raw.port == Some(0) {
        return Err("port: must be between 1 and 65535".into());
    }
    let jump_host = match raw.jump_host.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(j) => Some(parse_host_port(j).map_err(|e| format!("jump_host: {e}"))?),
    };
    plain_word("host", &raw.host, ".-_:")?;
    plain_word("user", &raw.user, ".-_")?;
    if let Some(j) = &jump_host {
        plain_word("jump_host", &j.host, ".-_:")?;
    }
    let key = expand_tilde(&raw.key, home);
    absolute("key", &key)?;
    Ok(Remote {
        name: raw.name,
        host: raw.host,
        port: raw.port.unwrap_or(22),
        user: raw.user,
        key,
        sessions_dir: raw.sessions_dir.unwrap_or_else(|| "~/.claude-sessions".into()),
        jump_host,
    })
}

/// Checked before anything else reads the value, so no message repeats a huge one.
fn not_too_long(field: &str, value: &str) -> Result<(), String> {
    let max = field_max(field);
    match value.chars().nth(max) {
        Some(_) => Err(format!("{field}: longer than {max} characters")),
        None => Ok(()),
    }
}

/// Host and user names reach ssh's command line: letters, digits and `extra` only, and no
/// leading `-` (which ssh would take for an option).
fn plain_word(field: &str, value: &str, extra: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field}: no host or user name"));
    }
    if value.starts_with('-') {
        return Err(format!("{field}: must not start with '-'"));
    }
    match value.chars().find(|c| !c.is_ascii_alphanumeric() && !extra.contains(*c)) {
        Some(c) => Err(format!("{field}: {c:?} is not allowed (letters, digits and {extra:?} only)")),
        None => Ok(()),
    }
}

/// The remotes file may be read from any folder: a relative path would mean something
/// different each time.
fn absolute(field: &str, path: &Path) -> Result<(), String> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(format!("{field}: {} is relative; write it in full or starting with ~/", shown(&path.to_string_lossy())))
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
pub fn parse_host_port(s: &str) -> Result<HostPort, String> {
    let port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("bad port {}", shown(p))),
        Ok(n) => Ok(n),
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| format!("unclosed '[' in {}", shown(s)))?;
        let port = match after {
            "" => 22,
            p => port(p.strip_prefix(':').ok_or_else(|| format!("unexpected {} after ']'", shown(p)))?)?,
        };
        return Ok(HostPort { host: host.to_string(), port });
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok(HostPort { host: h.to_string(), port: port(p)? }),
        _ => Ok(HostPort { host: s.to_string(), port: 22 }),
    }
}

/// A value as a message quotes it: escaped like Rust's `{:?}`, at most [`SHOWN_MAX`]
/// characters of it, `…` when cut.
pub fn shown(value: &str) -> String {
    let head: String = value.chars().take(SHOWN_MAX + 1).collect();
    format!("\"{}\"", shorten(&head.escape_debug().to_string(), SHOWN_MAX))
}

/// The first `max` characters of `s`, and `…` when there were more.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// A YAML parser message. It quotes the input (`field` or "value"): control characters
/// are escaped, each quote is cut like [`shown`], and the whole message too.
fn parser_message(e: &impl std::fmt::Display) -> String {
    let text: String = e
        .to_string()
        .chars()
        .map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() })
        .collect();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find(['`', '"']) {
        let quote = &rest[open..=open];
        out.push_str(&rest[..=open]);
        let inside = &rest[open + 1..];
        let close = inside.find(quote).unwrap_or(inside.len());
        out.push_str(&shorten(&inside[..close], SHOWN_MAX));
        let after = (close + 1).min(inside.len());
        out.push_str(&inside[close..after]);
        rest = &inside[after..];
    }
    out.push_str(rest);
    shorten(&out, PARSER_MESSAGE_MAX)
}

#[cfg(test)]
mod tests;
