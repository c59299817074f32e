//! Paths (HOME and XDG honoured) and `remotes.yaml`. A missing remotes file means no
//! remotes; a broken entry is skipped with one message naming the entry and the field.

use serde::Deserialize;
use std::path::{Path, PathBuf};

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
    if text.trim().is_empty() {
        return Ok(LoadedRemotes {
            config: RemotesConfig { known_hosts: home.join(".ssh/known_hosts"), ..Default::default() },
            warnings: Vec::new(),
        });
    }
    let raw: RawFile = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    let host_key_checking = match raw.host_key_checking.as_deref() {
        None | Some("strict") => HostKeyChecking::Strict,
        Some("accept-new") => HostKeyChecking::AcceptNew,
        Some("off") => HostKeyChecking::Off,
        Some(other) => {
            return Err(format!("host_key_checking: {other:?} is not one of strict, accept-new, off"));
        }
    };
    let known_hosts = raw.known_hosts.map(|k| expand_tilde(&k, home)).unwrap_or_else(|| home.join(".ssh/known_hosts"));
    absolute("known_hosts", &known_hosts)?;
    let mut out = LoadedRemotes {
        config: RemotesConfig { remotes: Vec::new(), known_hosts, host_key_checking },
        warnings: Vec::new(),
    };
    for (i, value) in raw.remotes.into_iter().enumerate() {
        let label = match value.get("name").and_then(|n| n.as_str()) {
            Some(n) => format!("remote #{} ({n:?})", i + 1),
            None => format!("remote #{}", i + 1),
        };
        match parse_remote(value, home) {
            Ok(r) if r.name == "local" => {
                out.warnings.push(format!("{label}: name: \"local\" is reserved; entry skipped"))
            }
            Ok(r) if out.config.get(&r.name).is_some() => {
                out.warnings.push(format!("{label}: name: duplicate; entry skipped"))
            }
            Ok(r) => out.config.remotes.push(r),
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
                let shown = serde_yaml_ng::to_string(v).unwrap_or_default();
                return Err(format!("port: must be a number between 1 and 65535, not {}", shown.trim()));
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
    let raw: RawRemote = serde_yaml_ng::from_value(value).map_err(|e| e.to_string())?;
    for (field, v) in [("name", &raw.name), ("host", &raw.host), ("user", &raw.user), ("key", &raw.key)] {
        if v.trim().is_empty() {
            return Err(format!("{field}: must not be empty"));
        }
        if v.chars().any(char::is_control) {
            return Err(format!("{field}: contains a control character"));
        }
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

/// Host and user names reach ssh's command line: letters, digits and `extra` only, and no
/// leading `-` (which ssh would take for an option).
fn plain_word(field: &str, value: &str, extra: &str) -> Result<(), String> {
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
        Err(format!("{field}: {:?} is relative; write it in full or starting with ~/", path.display().to_string()))
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
pub fn parse_host_port(s: &str) -> Result<HostPort, String> {
    let port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("bad port {p:?}")),
        Ok(n) => Ok(n),
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| format!("unclosed '[' in {s:?}"))?;
        let port = match after {
            "" => 22,
            p => port(p.strip_prefix(':').ok_or_else(|| format!("unexpected {p:?} after ']'"))?)?,
        };
        return Ok(HostPort { host: host.to_string(), port });
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok(HostPort { host: h.to_string(), port: port(p)? }),
        _ => Ok(HostPort { host: s.to_string(), port: 22 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> PathBuf {
        PathBuf::from("/home/u")
    }

    #[test]
    fn full_file() {
        let text = r#"
known_hosts: ~/kh
host_key_checking: accept-new
remotes:
  - name: prod
    host: 10.0.0.5
    user: dev
    key: ~/.ssh/id_ed25519
    port: 2222
    sessions_dir: /srv/sessions
    jump_host: bastion.example:2200
  - name: box
    host: box
    user: me
    key: /k
"#;
        let l = parse_remotes(text, &home()).unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let c = l.config;
        assert_eq!(c.known_hosts, PathBuf::from("/home/u/kh"));
        assert_eq!(c.host_key_checking, HostKeyChecking::AcceptNew);
        assert_eq!(c.remotes[0].key, PathBuf::from("/home/u/.ssh/id_ed25519"));
        assert_eq!(c.remotes[0].port, 2222);
        assert_eq!(c.remotes[0].jump_host, Some(HostPort { host: "bastion.example".into(), port: 2200 }));
        assert_eq!(c.remotes[1].port, 22);
        assert_eq!(c.remotes[1].sessions_dir, "~/.claude-sessions");
    }

    #[test]
    fn bad_entry_is_named_and_skipped() {
        let text = "remotes:\n  - name: ok\n    host: h\n    user: u\n    key: /k\n  - name: broken\n    user: u\n    key: /k\n";
        let l = parse_remotes(text, &home()).unwrap();
        assert_eq!(l.config.remotes.len(), 1);
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].contains("remote #2 (\"broken\")"), "{}", l.warnings[0]);
        assert!(l.warnings[0].contains("host"), "{}", l.warnings[0]);
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_field() {
        let entry = |extra: &str| format!("remotes:\n  - name: b\n    host: h\n    user: u\n    key: /k\n{extra}");
        for (extra, field) in [
            ("    port: 99999\n", "port:"),
            ("    port: abc\n", "port:"),
            ("    port: 0\n", "port:"),
            ("    port: -1\n", "port:"),
            ("    sessions_dir: [a]\n", "sessions_dir:"),
            ("    jump_host: {h: 1}\n", "jump_host:"),
        ] {
            let l = parse_remotes(&entry(extra), &home()).unwrap();
            assert!(l.config.remotes.is_empty(), "{extra}");
            assert!(l.warnings[0].contains("remote #1 (\"b\")") && l.warnings[0].contains(field), "{}", l.warnings[0]);
        }
        // A number where text is expected is text.
        let l = parse_remotes("remotes:\n  - name: 42\n    host: h\n    user: 1000\n    key: /k\n", &home()).unwrap();
        assert_eq!((l.config.remotes[0].name.as_str(), l.config.remotes[0].user.as_str()), ("42", "1000"));
    }

    #[test]
    fn broken_file_is_an_error() {
        assert!(parse_remotes("remotes: [", &home()).is_err());
        assert!(parse_remotes("host_key_checking: maybe", &home()).is_err());
        assert!(parse_remotes("remotes: 5", &home()).is_err());
    }

    #[test]
    fn missing_file_is_silent() {
        let l = load_remotes(Path::new("/nonexistent/remotes.yaml"), &home());
        assert!(l.config.remotes.is_empty() && l.warnings.is_empty());
        assert_eq!(l.config.host_key_checking, HostKeyChecking::Strict);
    }

    #[test]
    fn host_ports() {
        assert_eq!(parse_host_port("j").unwrap(), HostPort { host: "j".into(), port: 22 });
        assert_eq!(parse_host_port("j:2").unwrap(), HostPort { host: "j".into(), port: 2 });
        assert_eq!(parse_host_port("[::1]:7").unwrap(), HostPort { host: "::1".into(), port: 7 });
        assert_eq!(parse_host_port("::1").unwrap(), HostPort { host: "::1".into(), port: 22 });
        assert!(parse_host_port("j:x").is_err());
        assert!(parse_host_port("j:0").is_err());
    }

    #[test]
    fn hosts_users_and_paths_that_could_mislead_ssh_are_refused() {
        let entry = |host: &str, user: &str, key: &str, jump: &str| {
            let text = format!(
                "remotes:\n  - name: r\n    host: '{host}'\n    user: '{user}'\n    key: '{key}'\n    jump_host: '{jump}'\n"
            );
            let l = parse_remotes(&text, &home()).unwrap();
            l.warnings.first().cloned()
        };
        assert_eq!(entry("h.example", "u_1", "~/k", "j.example:2"), None);
        assert_eq!(entry("::1", "u", "/k", ""), None);
        for (host, user, jump, field) in [
            ("-oProxyCommand=x", "u", "", "host"),
            ("h x", "u", "", "host"),
            ("h", "u$(x)", "", "user"),
            ("h", "-l", "", "user"),
            ("h", "u", "j`x`", "jump_host"),
            ("h", "u", "-j", "jump_host"),
        ] {
            let w = entry(host, user, "/k", jump).unwrap_or_else(|| panic!("{host} {user} {jump} accepted"));
            assert!(w.contains(&format!("{field}: ")), "{w}");
        }
        assert!(entry("h", "u", "k", "").unwrap().contains("key: \"k\" is relative"));
        let err = parse_remotes("known_hosts: kh\n", &home()).unwrap_err();
        assert!(err.contains("known_hosts: \"kh\" is relative"), "{err}");
    }

    #[test]
    fn duplicate_and_reserved_names() {
        let e = "    host: h\n    user: u\n    key: /k\n";
        let text = format!("remotes:\n  - name: a\n{e}  - name: a\n{e}  - name: local\n{e}");
        let l = parse_remotes(&text, &home()).unwrap();
        assert_eq!(l.config.remotes.len(), 1);
        assert_eq!(l.warnings.len(), 2);
    }
}
