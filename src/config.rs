//! Paths (HOME and XDG honoured) and `remotes.yaml`. A missing remotes file means no
//! remotes; a broken entry is skipped with one message naming the entry and the field.

pub mod edit;
pub mod ssh_config;
pub mod worktrees;

use serde::Deserialize;
use ssh_config::{SshHosts, Tokens, expand};
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

/// One SSH login on the way to a remote: a jump host, or the remote itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub key: PathBuf,
    /// Only `key` (or the agent's copy of it) is offered (`IdentitiesOnly yes`).
    pub identities_only: bool,
    /// `UserKnownHostsFile` from ~/.ssh/config; else the remotes file's `known_hosts`.
    pub known_hosts: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub name: String,
    /// The host connected to (after ~/.ssh/config's `HostName`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub key: PathBuf,
    /// As written (may start with `~`): it is expanded by the remote shell, not here.
    pub sessions_dir: String,
    /// Jump hosts, first to last; each is logged into and checked on its own.
    pub jumps: Vec<Hop>,
    pub identities_only: bool,
    pub known_hosts: Option<PathBuf>,
    /// Follow pushed changes when navi runs there (`push: false`: always poll).
    pub push: bool,
}

impl Remote {
    /// A remote with nothing but the basics (jump hosts and the rest empty).
    pub fn new(name: &str, host: &str, port: u16, user: &str, key: PathBuf) -> Remote {
        Remote {
            name: name.into(),
            host: host.into(),
            port,
            user: user.into(),
            key,
            sessions_dir: "~/.claude-sessions".into(),
            jumps: Vec::new(),
            identities_only: false,
            known_hosts: None,
            push: true,
        }
    }

    /// The last hop: the remote itself.
    pub fn target(&self) -> Hop {
        Hop {
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            key: self.key.clone(),
            identities_only: self.identities_only,
            known_hosts: self.known_hosts.clone(),
        }
    }
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
    user: Option<String>,
    key: Option<String>,
    port: Option<u16>,
    sessions_dir: Option<String>,
    jump_host: Option<JumpHosts>,
    push: Option<bool>,
}

/// `jump_host: HOST` or a list of them, first hop first.
#[derive(Deserialize)]
#[serde(untagged)]
enum JumpHosts {
    One(String),
    Chain(Vec<String>),
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
    let ssh = if raw.remotes.is_empty() { SshHosts::default() } else { SshHosts::load(home) };
    out.warnings.extend(ssh.warning.clone());
    let mut names = HashSet::new();
    for (i, value) in raw.remotes.into_iter().enumerate() {
        let label = match value.get("name").and_then(|n| n.as_str()) {
            Some(n) => format!("remote #{} ({})", i + 1, shown(n)),
            None => format!("remote #{}", i + 1),
        };
        match parse_remote(value, home, &ssh) {
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
    let text = |field: &str, v: &mut Value| -> Result<(), String> {
        match v {
            Value::Number(n) => *v = Value::String(n.to_string()),
            Value::String(_) | Value::Null => {}
            _ => return Err(format!("{field}: must be text")),
        }
        Ok(())
    };
    for (k, v) in map.iter_mut() {
        let Some(field) = k.as_str() else { continue };
        if field == "port" {
            let valid = v.is_null() || v.as_u64().is_some_and(|p| (1..=65535).contains(&p));
            if !valid {
                let yaml = serde_yaml_ng::to_string(v).unwrap_or_default();
                return Err(format!("port: must be a number between 1 and 65535, not {}", shown(yaml.trim())));
            }
        } else if field == "push" && !matches!(v, Value::Bool(_) | Value::Null) {
            return Err("push: must be true or false".into());
        } else if field == "jump_host"
            && let Value::Sequence(hops) = v
        {
            for hop in hops.iter_mut() {
                text("jump_host", hop).map_err(|_| "jump_host: must be text or a list of hosts".to_string())?;
            }
        } else if TEXT.contains(&field) {
            text(field, v)?;
        }
    }
    Ok(())
}

fn parse_remote(mut value: serde_yaml_ng::Value, home: &Path, ssh: &SshHosts) -> Result<Remote, String> {
    check_fields(&mut value)?;
    let raw: RawRemote = serde_yaml_ng::from_value(value).map_err(|e| parser_message(&e))?;
    let jump_specs: Option<Vec<String>> = match raw.jump_host {
        None => None,
        Some(JumpHosts::One(j)) if j.trim().is_empty() => Some(Vec::new()),
        Some(JumpHosts::One(j)) => Some(vec![j]),
        Some(JumpHosts::Chain(list)) => Some(list),
    };
    let required = [("name", &raw.name), ("host", &raw.host)];
    let optional = [("user", &raw.user), ("key", &raw.key), ("sessions_dir", &raw.sessions_dir)];
    let hops = jump_specs.iter().flatten().map(|j| ("jump_host", j));
    for (field, v) in
        required.into_iter().chain(optional.into_iter().filter_map(|(f, v)| Some((f, v.as_ref()?)))).chain(hops)
    {
        not_too_long(field, v)?;
        if v.chars().any(char::is_control) {
            return Err(format!("{field}: contains a control character"));
        }
    }
    if let Some((field, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(format!("{field}: must not be empty"));
    }
    if let Some(field) = [("user", &raw.user), ("key", &raw.key)]
        .iter()
        .find_map(|(f, v)| v.as_ref().filter(|v| v.trim().is_empty()).map(|_| *f))
    {
        return Err(format!("{field}: must not be empty (leave it out to take it from ~/.ssh/config)"));
    }
    if raw.port == Some(0) {
        return Err("port: must be between 1 and 65535".into());
    }
    plain_word("host", &raw.host, ".-_:")?;
    // The alias may be a `Host` of ~/.ssh/config; what remotes.yaml says wins.
    let found = ssh.host(&raw.host);
    let local_user = ssh_config::local_user().unwrap_or_default();
    let alias_tokens = Tokens { alias: &raw.host, host: &raw.host, port: 22, user: "", local_user: &local_user, home };
    let host = found.host_name.as_deref().map(|h| expand(h, &alias_tokens)).unwrap_or_else(|| raw.host.clone());
    plain_word("host", &host, ".-_:")?;
    let port = raw.port.or(found.port).unwrap_or(22);
    let user = raw.user.clone().or(found.user.clone()).or_else(|| Some(local_user.clone()).filter(|u| !u.is_empty()));
    let Some(user) = user else { return Err("user: not given here nor in ~/.ssh/config, and $USER is not set".into()) };
    plain_word("user", &user, ".-_")?;
    let tokens = Tokens { alias: &raw.host, host: &host, port, user: &user, local_user: &local_user, home };
    let key = match &raw.key {
        Some(k) => expand_tilde(k, home),
        None => pick_key(&found.identity_files, &tokens),
    };
    absolute("key", &key)?;
    let known_hosts = found.known_hosts.as_deref().map(|k| PathBuf::from(expand(k, &tokens)));
    let mut jumps = Vec::new();
    for spec in jump_specs.or(found.proxy_jump).unwrap_or_default() {
        jumps.push(parse_hop(&spec, ssh, &user, &key, home, &local_user).map_err(|e| format!("jump_host: {e}"))?);
    }
    Ok(Remote {
        name: raw.name,
        host,
        port,
        user,
        key,
        sessions_dir: raw.sessions_dir.unwrap_or_else(|| "~/.claude-sessions".into()),
        jumps,
        identities_only: found.identities_only.unwrap_or(false),
        known_hosts,
        push: raw.push.unwrap_or(true),
    })
}

/// The first `IdentityFile` that exists (tokens expanded), else the first given, else
/// ssh's default keys (the first that exists; a missing key means ssh-agent).
fn pick_key(files: &[PathBuf], t: &Tokens) -> PathBuf {
    let expanded: Vec<PathBuf> = files.iter().map(|f| PathBuf::from(expand(&f.to_string_lossy(), t))).collect();
    let defaults: Vec<PathBuf> =
        ["id_ed25519", "id_ecdsa", "id_rsa"].iter().map(|k| t.home.join(".ssh").join(k)).collect();
    let pool = if expanded.is_empty() { &defaults } else { &expanded };
    pool.iter().find(|p| p.exists()).unwrap_or(&pool[0]).clone()
}

/// One jump host: `[user@]host[:port]` (`[v6]:port` too), the host possibly an alias of
/// ~/.ssh/config. Without its own user or key, it logs in with the entry's.
fn parse_hop(spec: &str, ssh: &SshHosts, user: &str, key: &Path, home: &Path, local_user: &str) -> Result<Hop, String> {
    let spec = spec.trim();
    let (hop_user, rest) = match spec.split_once('@') {
        Some((u, rest)) => (Some(u.to_string()), rest),
        None => (None, spec),
    };
    let hp = parse_host_port(rest)?;
    plain_word("jump_host", &hp.host, ".-_:")?;
    let found = ssh.host(&hp.host);
    let alias_tokens = Tokens { alias: &hp.host, host: &hp.host, port: 22, user: "", local_user, home };
    let host = found.host_name.as_deref().map(|h| expand(h, &alias_tokens)).unwrap_or_else(|| hp.host.clone());
    plain_word("jump_host", &host, ".-_:")?;
    let explicit_port =
        rest.rsplit_once(':').is_some_and(|(h, _)| !h.is_empty() && (rest.starts_with('[') || !h.contains(':')));
    let port = if explicit_port { hp.port } else { found.port.unwrap_or(hp.port) };
    let user = hop_user.or(found.user.clone()).unwrap_or_else(|| user.to_string());
    plain_word("jump_host", &user, ".-_")?;
    let (key, known_hosts) = {
        let tokens = Tokens { alias: &hp.host, host: &host, port, user: &user, local_user, home };
        let key =
            if found.identity_files.is_empty() { key.to_path_buf() } else { pick_key(&found.identity_files, &tokens) };
        (key, found.known_hosts.as_deref().map(|k| PathBuf::from(expand(k, &tokens))))
    };
    Ok(Hop { host, port, user, key, identities_only: found.identities_only.unwrap_or(false), known_hosts })
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
