//! `navi setup REMOTE [--check] [--force]`: makes a remote ready for navi through the
//! pool. One probe finds its OS and architecture, the navi on its PATH (and version),
//! navi's hooks in Claude Code's settings and the sessions folder. When this binary can
//! run there (same OS and architecture), an older or missing navi is replaced by it: sent
//! into a temp file in `~/.local/bin`, its SHA-256 checked there, run once, then renamed
//! over the old one, which is put back if the new one then fails to run. Then the hooks
//! are installed by that navi and the folder created. Each step is reported; `--check`
//! changes nothing and says what is missing. A second run changes nothing; a newer navi
//! there is never replaced without `--force`.

use crate::backend::SessionBackend;
use crate::backend::remote::RemoteBackend;
use crate::backend::shell::quote;
use anyhow::{Context as _, Result, bail};
use std::collections::HashMap;
use std::time::Duration;

/// What the probe found on the remote.
#[derive(Debug, Default, PartialEq)]
pub struct Facts {
    pub os: String,
    pub arch: String,
    /// Where `navi` is on the remote's PATH (with `~/.local/bin` first).
    pub navi: Option<String>,
    /// What its `--version` said (`navi 0.1.0`), when it ran.
    pub version: Option<String>,
    pub hooks: bool,
    pub sessions: bool,
    /// `sha256sum` or `shasum`, whichever the remote has.
    pub sum_tool: Option<String>,
}

/// The probe: `key=value` lines. `uname` as found on the user's PATH.
fn probe_script(sessions_dir: &str) -> String {
    format!(
        r#"echo "os=$(uname -s 2>/dev/null)"; echo "arch=$(uname -m 2>/dev/null)"
PATH="$HOME/.local/bin:$PATH"; export PATH
if p=$(command -v navi 2>/dev/null); then echo "navi=$p"; echo "version=$(navi --version 2>/dev/null | head -n 1)"; fi
f="$HOME/.claude/settings.json"
[ -f "$f" ] && grep -q "navi'* hook" "$f" 2>/dev/null && echo hooks=1
[ -d {sessions_dir} ] && echo sessions=1
for t in sha256sum shasum; do command -v $t >/dev/null 2>&1 && {{ echo "sum=$t"; break; }}; done
true"#
    )
}

pub fn parse_probe(out: &str) -> Facts {
    let kv: HashMap<&str, &str> = out.lines().filter_map(|l| l.split_once('=')).collect();
    let text = |k: &str| kv.get(k).map(|v| crate::text::sanitize_line(v.trim())).filter(|v| !v.is_empty());
    Facts {
        os: text("os").unwrap_or_default(),
        arch: text("arch").unwrap_or_default(),
        navi: text("navi"),
        version: text("version"),
        hooks: kv.contains_key("hooks"),
        sessions: kv.contains_key("sessions"),
        sum_tool: text("sum").filter(|t| t == "sha256sum" || t == "shasum"),
    }
}

/// This binary's OS as `uname -s` says it, and the names `uname -m` may give its
/// architecture.
fn here() -> (&'static str, &'static [&'static str]) {
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "freebsd" => "FreeBSD",
        "openbsd" => "OpenBSD",
        "netbsd" => "NetBSD",
        other => other,
    };
    let arch: &[&str] = match std::env::consts::ARCH {
        "x86_64" => &["x86_64", "amd64"],
        "aarch64" => &["aarch64", "arm64"],
        "x86" => &["i386", "i686", "x86"],
        "arm" => &["armv7l", "armv6l", "arm"],
        _ => &[],
    };
    (os, arch)
}

/// The numbers of a version (`navi 0.10.2` → [0, 10, 2]); `None` when there are none.
pub fn version_numbers(text: &str) -> Option<Vec<u64>> {
    let v = text.split_whitespace().last()?.trim_start_matches('v');
    let core = v.split(['-', '+']).next()?;
    core.split('.').map(|n| n.parse().ok()).collect()
}

/// `navi setup`: see the module note. Exits non-zero when something is (or stays) missing.
/// Each step's line goes to `say`.
pub async fn run(
    b: &RemoteBackend,
    name: &str,
    check: bool,
    force: bool,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<bool> {
    let dir = b.sessions_dir_arg();
    let out = b.exec(&probe_script(&dir), None).await.with_context(|| format!("probing {name}"))?;
    if !out.success() {
        bail!("probing {name} failed: {}", out.error_text());
    }
    let facts = parse_probe(&out.stdout_str());
    let mine = env!("CARGO_PKG_VERSION");
    let found = match (&facts.navi, &facts.version) {
        (Some(p), Some(v)) => format!("{v} at {p}"),
        (Some(p), None) => format!("a navi at {p} that does not run"),
        _ => "no navi".into(),
    };
    say(format!("{name}: {} {}, {found}", or_unknown(&facts.os), or_unknown(&facts.arch)));
    let (os, archs) = here();
    let runs_here = facts.os == os && archs.contains(&facts.arch.as_str());
    let theirs = facts.version.as_deref().and_then(version_numbers);
    let ours = version_numbers(mine).unwrap_or_default();
    let navi_ok = theirs.as_ref().is_some_and(|t| *t >= ours);
    let newer = theirs.as_ref().is_some_and(|t| *t > ours);
    let mut missing = Vec::new();
    let mut navi_path = facts.navi.clone().filter(|_| facts.version.is_some());

    // navi itself.
    if navi_ok && !(force && newer && !check) {
        let note =
            if newer { format!(" (newer than this navi {mine}: kept; --force replaces it)") } else { String::new() };
        say(format!("navi: {} is installed{note}", facts.version.as_deref().unwrap_or("")));
    } else if check {
        say(format!("navi: {} (this navi is {mine})", if facts.version.is_some() { "older" } else { "missing" }));
        missing.push("navi");
    } else if !runs_here {
        say(format!(
            "navi: cannot upload: this navi is built for {os} {}, {name} runs {} {}. Install it there by hand: \
             build navi for that system (cargo build --release in navi's source), copy the binary to \
             ~/.local/bin/navi on {name}, run `navi install-hooks` there, then `navi setup {name} --check`.",
            std::env::consts::ARCH,
            or_unknown(&facts.os),
            or_unknown(&facts.arch)
        ));
        return Ok(false);
    } else {
        let Some(tool) = &facts.sum_tool else {
            bail!("{name} has neither sha256sum nor shasum: the upload could not be checked, so nothing was sent")
        };
        upload(b, name, tool).await?;
        say(format!("navi: installed {mine} at ~/.local/bin/navi (SHA-256 checked there; it runs)"));
        navi_path = Some("$HOME/.local/bin/navi".into());
    }

    // Claude Code's hooks, by the navi there.
    if facts.hooks {
        say("hooks: installed in ~/.claude/settings.json".into());
    } else if check || navi_path.is_none() {
        say("hooks: missing from ~/.claude/settings.json".into());
        missing.push("hooks");
    } else if let Some(path) = &navi_path {
        let exe = match path.strip_prefix("$HOME/") {
            Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
            None => quote(path),
        };
        let dir_arg = match b.sessions_dir_arg() {
            d if d == "\"$HOME\"/.claude-sessions" => String::new(),
            d => format!(" --sessions-dir {d}"),
        };
        let out = b.exec(&format!("{exe}{dir_arg} install-hooks"), None).await?;
        if !out.success() {
            bail!("installing the hooks on {name} failed: {}", out.error_text());
        }
        say(format!("hooks: {}", crate::text::sanitize_line(out.stdout_str().trim())));
    }

    // The sessions folder.
    if facts.sessions {
        say("sessions folder: present".into());
    } else if check {
        say("sessions folder: missing".into());
        missing.push("sessions folder");
    } else {
        let out = b.exec(&format!("mkdir -p {dir}"), None).await?;
        if !out.success() {
            bail!("creating the sessions folder on {name} failed: {}", out.error_text());
        }
        say("sessions folder: created".into());
    }
    if check && !missing.is_empty() {
        say(format!("{name} needs: {} (navi setup {name} does it)", missing.join(", ")));
    } else if check {
        say(format!("{name} is set up"));
    }
    Ok(missing.is_empty())
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "(unknown)" } else { s }
}

/// Sends this binary to `~/.local/bin/navi` on the remote: see the module note.
async fn upload(b: &RemoteBackend, name: &str, sum_tool: &str) -> Result<()> {
    let exe = std::env::current_exe().context("finding navi's own binary")?;
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(&exe)).await?.context("reading navi's own binary")?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let sum: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let sum_cmd = if sum_tool == "shasum" { "shasum -a 256" } else { "sha256sum" };
    let script = format!(
        r#"d="$HOME/.local/bin"; mkdir -p "$d" || exit 10
t=$(mktemp "$d/.navi.XXXXXX") || exit 10
trap 'rm -f "$t"' EXIT
cat > "$t" || exit 11
s=$({sum_cmd} "$t") || exit 12
[ "${{s%% *}}" = {sum} ] || exit 12
chmod 755 "$t" && "$t" --version >/dev/null 2>&1 || exit 13
if [ -e "$d/navi" ]; then cp -p "$d/navi" "$d/.navi.previous" || exit 14; fi
mv -f "$t" "$d/navi" || exit 14
if ! "$d/navi" --version >/dev/null 2>&1; then
  [ -e "$d/.navi.previous" ] && mv -f "$d/.navi.previous" "$d/navi"
  exit 15
fi
rm -f "$d/.navi.previous""#
    );
    // A megabyte a second at worst, and the usual command time on top.
    let limit = Duration::from_secs(30 + (bytes.len() as u64 >> 20));
    let out =
        b.exec_within(&script, Some(&bytes), Some(limit)).await.with_context(|| format!("uploading to {name}"))?;
    let why = match out.status {
        Some(0) => return Ok(()),
        Some(10) => "cannot create ~/.local/bin or a temp file in it",
        Some(11) => "writing the temp file failed (disk full?)",
        Some(12) => "the SHA-256 there differs from this binary's: the upload was damaged; nothing was replaced",
        Some(13) => "the uploaded binary does not run there (a different C library?); nothing was replaced",
        Some(14) => "replacing ~/.local/bin/navi failed",
        Some(15) => "the new navi did not run after the swap; the old one was put back",
        _ => "the upload failed",
    };
    bail!("{name}: {why}: {}", out.error_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_is_read_and_cleaned() {
        let f = parse_probe(
            "motd\nos=Linux\narch=x86_64\nnavi=/home/u/.local/bin/navi\nversion=navi 0.1.0\nhooks=1\nsum=sha256sum\n",
        );
        assert_eq!(f.os, "Linux");
        assert_eq!(f.version.as_deref(), Some("navi 0.1.0"));
        assert!(f.hooks && !f.sessions);
        assert_eq!(f.sum_tool.as_deref(), Some("sha256sum"));
        let f = parse_probe("os=\x1b[2JLinux\nsum=rm -rf\n");
        assert_eq!(f.os, "Linux");
        assert_eq!(f.sum_tool, None, "only a known tool is ever run");
    }

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(version_numbers("navi 0.10.2"), Some(vec![0, 10, 2]));
        assert_eq!(version_numbers("v1.2.3-rc1"), Some(vec![1, 2, 3]));
        assert!(version_numbers("navi 0.10.2") > version_numbers("navi 0.9.9"));
        assert_eq!(version_numbers("garbage"), None);
    }
}
