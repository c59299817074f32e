//! Hosts from `~/.ssh/config` and the files it `Include`s, read with the ssh2-config
//! crate: a remote's `host` may be a `Host` alias there. What navi takes of it: `HostName`,
//! `Port`, `User`, `IdentityFile` (`~` and the `%h %r %u %p %n %d %%` tokens),
//! `IdentitiesOnly`, `ProxyJump` and `UserKnownHostsFile`. Fields written in remotes.yaml
//! win over it. A config that cannot be read is a warning, never an error: the remotes
//! then use remotes.yaml alone.

use ssh2_config::{ParseRule, SshConfig};
use std::path::{Path, PathBuf};

/// More than any hand-written config; past it the file is not read.
const MAX_BYTES: u64 = 1 << 20;

/// What `~/.ssh/config` says about one host (all optional).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// As written (tokens not yet expanded, `~` expanded).
    pub identity_files: Vec<PathBuf>,
    pub identities_only: Option<bool>,
    /// Hops as written; empty for `ProxyJump none`.
    pub proxy_jump: Option<Vec<String>>,
    pub known_hosts: Option<String>,
}

/// The parsed `~/.ssh/config`, if any.
#[derive(Default)]
pub struct SshHosts {
    config: Option<SshConfig>,
    /// Why it could not be read.
    pub warning: Option<String>,
}

impl SshHosts {
    /// Reads `home/.ssh/config`; none is no hosts and no warning.
    pub fn load(home: &Path) -> SshHosts {
        let path = home.join(".ssh/config");
        let text = match crate::files::read_text(&path, MAX_BYTES) {
            Ok(Some(t)) => t,
            Ok(None) => return SshHosts::default(),
            Err(e) => return SshHosts { config: None, warning: Some(format!("{}: {e}", path.display())) },
        };
        let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
        match SshConfig::default().home_dir(home).parse(&mut text.as_bytes(), rules) {
            Ok(config) => SshHosts { config: Some(config), warning: None },
            Err(e) => SshHosts {
                config: None,
                warning: Some(format!(
                    "{}: {}; it is not used",
                    path.display(),
                    crate::text::sanitize_line(&e.to_string())
                )),
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.config.is_none()
    }

    /// What the config says for `alias` (nothing when there is no config).
    pub fn host(&self, alias: &str) -> HostConfig {
        let Some(config) = &self.config else { return HostConfig::default() };
        let p = config.query(alias);
        let field = |name: &str| p.unsupported_fields.get(name).and_then(|v| v.first()).cloned();
        HostConfig {
            host_name: p.host_name.clone(),
            port: p.port,
            user: p.user.clone(),
            identity_files: p.identity_file.clone().unwrap_or_default(),
            identities_only: field("identitiesonly").map(|v| v.eq_ignore_ascii_case("yes")),
            proxy_jump: p
                .proxy_jump
                .clone()
                .map(|hops| hops.into_iter().filter(|h| !h.eq_ignore_ascii_case("none")).collect::<Vec<_>>()),
            known_hosts: field("userknownhostsfile"),
        }
    }
}

/// Values for ssh_config's `%` tokens.
pub struct Tokens<'a> {
    /// The alias as written (`%n`).
    pub alias: &'a str,
    /// The host connected to (`%h`), after `HostName`.
    pub host: &'a str,
    pub port: u16,
    /// The remote user (`%r`).
    pub user: &'a str,
    /// The local user (`%u`) and home (`%d`).
    pub local_user: &'a str,
    pub home: &'a Path,
}

/// `text` with `~/` and the tokens expanded; an unknown token is kept as written.
pub fn expand(text: &str, t: &Tokens) -> String {
    let text = match text.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", t.home.display()),
        None => text.to_string(),
    };
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('h') => out.push_str(t.host),
            Some('n') => out.push_str(t.alias),
            Some('p') => out.push_str(&t.port.to_string()),
            Some('r') => out.push_str(t.user),
            Some('u') => out.push_str(t.local_user),
            Some('d') => out.push_str(&t.home.display().to_string()),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// The local user's name, as ssh takes it for a missing `User`: `$USER`, `$LOGNAME`, else
/// the name /etc/passwd gives this process's uid.
pub fn local_user() -> Option<String> {
    ["USER", "LOGNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty())).or_else(|| {
        let uid = rustix::process::getuid().as_raw().to_string();
        let passwd = crate::files::read_text(Path::new("/etc/passwd"), 4 << 20).ok().flatten()?;
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid && !f[0].is_empty()).then(|| f[0].to_string())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(text: &str, extra: &[(&str, &str)]) -> (tempfile::TempDir, SshHosts) {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/config"), text).unwrap();
        for (name, body) in extra {
            std::fs::write(home.path().join(".ssh").join(name), body).unwrap();
        }
        let h = SshHosts::load(home.path());
        assert!(h.warning.is_none(), "{:?}", h.warning);
        (home, h)
    }

    #[test]
    fn an_alias_gives_its_fields_and_includes_are_read() {
        let (home, h) = hosts(
            "Include extra.conf\nHost box\n  HostName 10.0.0.5\n  Port 2222\n  User me\n  IdentityFile ~/.ssh/id_%h\n  IdentitiesOnly yes\n  UserKnownHostsFile ~/.ssh/kh\n  ProxyJump bastion,me@inner:2200\n",
            &[("extra.conf", "Host other\n  HostName 10.9.9.9\n")],
        );
        let b = h.host("box");
        assert_eq!(b.host_name.as_deref(), Some("10.0.0.5"));
        assert_eq!((b.port, b.user.as_deref()), (Some(2222), Some("me")));
        assert_eq!(b.identity_files, vec![home.path().join(".ssh/id_%h")]);
        assert_eq!(b.identities_only, Some(true));
        assert_eq!(b.known_hosts.as_deref(), Some("~/.ssh/kh"));
        assert_eq!(b.proxy_jump, Some(vec!["bastion".to_string(), "me@inner:2200".to_string()]));
        assert_eq!(h.host("other").host_name.as_deref(), Some("10.9.9.9"));
        assert_eq!(h.host("unknown"), HostConfig::default());
    }

    #[test]
    fn tokens_expand_as_ssh_does() {
        let t =
            Tokens { alias: "box", host: "10.0.0.5", port: 22, user: "me", local_user: "you", home: Path::new("/h") };
        assert_eq!(expand("~/.ssh/%h-%r@%n:%p_%u%d%%%x", &t), "/h/.ssh/10.0.0.5-me@box:22_you/h%%x");
    }

    #[test]
    fn a_broken_config_is_a_warning() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/config"), "Host box\n  Port notanumber\n").unwrap();
        let h = SshHosts::load(home.path());
        assert!(h.warning.is_some() && h.is_empty());
    }
}
