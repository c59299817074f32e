//! Git information for a session's directory: one bundled shell command (run locally or
//! over SSH) and one parser. The PR is looked up with the local `gh` from the remote URL,
//! so `gh` is never needed on a remote.

use super::shell::{path, quote};
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GitInfo {
    pub branch: String,
    pub dirty: bool,
    pub changed_files: u32,
    pub insertions: u32,
    pub deletions: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behind: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr: Option<PullRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// A worktree session's base, and how far the branch is from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_ahead: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_behind: Option<u32>,
    /// The commits the base lacks, newest first (at most 50).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRequest {
    pub number: u64,
    pub state: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
}

const DIFF_MARK: &str = "--navi-diff--";

/// The bundled command: runs in `dir` (a `~` prefix expands on the host) and prints one
/// `KEY:value` line per fact, then the diff after a marker line when asked. With a `base`
/// (a worktree session's), also the commits the base lacks, and the diff is against the
/// point the branch left the base (committed and uncommitted work together).
pub fn command(dir: &str, with_diff: bool, base: Option<&str>) -> String {
    let mut s = format!(
        "cd -- {} 2>/dev/null || {{ echo 'NOTDIR:'; exit 0; }}\n\
         git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {{ echo 'NOTGIT:'; exit 0; }}\n\
         export GIT_OPTIONAL_LOCKS=0 GIT_TERMINAL_PROMPT=0\n\
         printf 'BRANCH:%s\\n' \"$(git rev-parse --abbrev-ref HEAD 2>/dev/null)\"\n\
         printf 'DIRTY:%s\\n' \"$(git status --porcelain 2>/dev/null | wc -l)\"\n\
         printf 'SHORTSTAT:%s\\n' \"$(git diff --shortstat HEAD 2>/dev/null)\"\n\
         printf 'REMOTE:%s\\n' \"$(git remote get-url origin 2>/dev/null)\"\n\
         printf 'LASTCOMMIT:%s\\n' \"$(git log -1 --format='%h %s' 2>/dev/null)\"\n\
         printf 'AHEADBEHIND:%s\\n' \"$(git rev-list --left-right --count '@{{u}}...HEAD' 2>/dev/null)\"\n",
        path(dir)
    );
    let mut from = "HEAD";
    if let Some(base) = base {
        s.push_str(&format!(
            "from=HEAD\nif bc=$(git rev-parse --verify --quiet {rev}); then\n\
             printf 'BASE:%s\\n' {base}\n\
             printf 'BASEAB:%s\\n' \"$(git rev-list --left-right --count \"$bc...HEAD\" 2>/dev/null)\"\n\
             git log --format='BASECOMMIT:%h %s' -n 50 \"$bc..HEAD\" 2>/dev/null\n\
             from=$(git merge-base \"$bc\" HEAD 2>/dev/null) || from=HEAD\nfi\n",
            rev = quote(&format!("{base}^{{commit}}")),
            base = quote(base),
        ));
        from = "\"$from\"";
    }
    if with_diff {
        s.push_str(&format!(
            "printf '%s\\n' {}\ngit --no-pager diff --stat {from} 2>/dev/null\necho\ngit --no-pager diff --no-color {from} 2>/dev/null\n",
            quote(DIFF_MARK)
        ));
    }
    s
}

/// Parses the bundled command's output. `Err` when the directory is missing or not a repo.
pub fn parse(out: &str) -> Result<GitInfo, String> {
    let (facts, diff) = match out.split_once(&format!("{DIFF_MARK}\n")) {
        Some((f, d)) => (f, Some(d.trim_end().to_string())),
        None => (out, None),
    };
    let mut info = GitInfo { diff, ..Default::default() };
    for line in facts.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match key {
            "NOTDIR" => return Err("directory does not exist".into()),
            "NOTGIT" => return Err("not a git repository".into()),
            "BRANCH" => info.branch = value.to_string(),
            "DIRTY" => {
                info.changed_files = value.parse().unwrap_or(0);
                info.dirty = info.changed_files > 0;
            }
            "SHORTSTAT" => (info.insertions, info.deletions) = parse_shortstat(value),
            "REMOTE" if !value.is_empty() => info.remote_url = Some(redact_url(value)),
            "LASTCOMMIT" if !value.is_empty() => info.last_commit = Some(value.to_string()),
            "BASE" if !value.is_empty() => info.base = Some(value.to_string()),
            "BASEAB" => (info.base_behind, info.base_ahead) = left_right(value).unzip(),
            "BASECOMMIT" if !value.is_empty() => info.commits.push(value.to_string()),
            "AHEADBEHIND" => (info.behind, info.ahead) = left_right(value).unzip(),
            _ => {}
        }
    }
    if info.branch.is_empty() {
        return Err("git gave no branch".into());
    }
    Ok(info)
}

/// `git rev-list --left-right --count A...B`'s answer (`3\t1`): the counts of A's own
/// commits (behind) and B's own (ahead).
pub fn left_right(value: &str) -> Option<(u32, u32)> {
    let mut it = value.split_whitespace().map(|n| n.parse::<u32>().ok());
    match (it.next(), it.next()) {
        (Some(Some(left)), Some(Some(right))) => Some((left, right)),
        _ => None,
    }
}

/// ` 2 files changed, 3 insertions(+), 1 deletion(-)` → (3, 1).
fn parse_shortstat(s: &str) -> (u32, u32) {
    let mut ins = 0;
    let mut del = 0;
    for part in s.split(',') {
        let mut words = part.split_whitespace();
        let n = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        match words.next() {
            Some(w) if w.starts_with("insertion") => ins = n,
            Some(w) if w.starts_with("deletion") => del = n,
            _ => {}
        }
    }
    (ins, del)
}

/// Drops a password or token from `https://user:secret@host/…` before it is shown.
fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && !userinfo.contains('/')
    {
        let user = userinfo.split(':').next().unwrap_or("");
        if userinfo.contains(':') {
            return format!("{scheme}://{user}:***@{host}");
        }
    }
    url.to_string()
}

/// The compact summary shown on a row: `main ● +3 -1 ↑2 ↓1 [PR#42 open]`.
pub fn summary(info: &GitInfo) -> String {
    let mut s = info.branch.clone();
    if info.dirty {
        s.push_str(" ●");
        if info.insertions + info.deletions > 0 {
            s.push_str(&format!(" +{} -{}", info.insertions, info.deletions));
        }
    }
    match (info.ahead, info.behind) {
        (Some(a), _) if a > 0 => s.push_str(&format!(" ↑{a}")),
        _ => {}
    }
    if let Some(b) = info.behind.filter(|b| *b > 0) {
        s.push_str(&format!(" ↓{b}"));
    }
    // A worktree session: how far its branch is from the base.
    if let (Some(base), Some(a), Some(b)) = (&info.base, info.base_ahead, info.base_behind) {
        s.push_str(&format!(" ({a} ahead, {b} behind {base})"));
    }
    if let Some(pr) = &info.pr {
        s.push_str(&format!(" [PR#{} {}]", pr.number, pr.state.to_lowercase()));
    }
    s
}

/// Asks the local `gh` for the PR of `branch` in the repository at `remote_url`. No `gh`,
/// no login, no PR or a slow answer: `None`, never an error.
pub async fn lookup_pr(remote_url: &str, branch: &str) -> Option<PullRequest> {
    if branch.is_empty() || branch == "HEAD" || remote_url.contains("***") {
        return None;
    }
    let child = tokio::process::Command::new("gh")
        .args(["pr", "view", branch, "--repo", remote_url, "--json", "number,state,url"])
        .env("GH_PROMPT_DISABLED", "1")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(5), child).await.ok()?.ok()?;
    if !out.status.success() {
        return None;
    }
    parse_pr(&out.stdout)
}

fn parse_pr(json: &[u8]) -> Option<PullRequest> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    Some(PullRequest {
        number: v.get("number")?.as_u64()?,
        state: v.get("state")?.as_str()?.to_string(),
        url: v.get("url").and_then(|u| u.as_str()).unwrap_or("").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_answer() {
        let out = "BRANCH:feat/x\nDIRTY:       2\nSHORTSTAT: 2 files changed, 3 insertions(+), 1 deletion(-)\n\
                   REMOTE:https://bob:tok@github.com/o/r.git\nLASTCOMMIT:abc123 fix: the thing\nAHEADBEHIND:1\t4\n";
        let g = parse(out).unwrap();
        assert_eq!(g.branch, "feat/x");
        assert!(g.dirty);
        assert_eq!((g.changed_files, g.insertions, g.deletions), (2, 3, 1));
        assert_eq!(g.remote_url.as_deref(), Some("https://bob:***@github.com/o/r.git"));
        assert_eq!(g.last_commit.as_deref(), Some("abc123 fix: the thing"));
        assert_eq!((g.behind, g.ahead), (Some(1), Some(4)));
        assert_eq!(summary(&g), "feat/x ● +3 -1 ↑4 ↓1");
    }

    #[test]
    fn clean_repo_without_upstream() {
        let g = parse("BRANCH:main\nDIRTY:0\nSHORTSTAT:\nREMOTE:\nLASTCOMMIT:\nAHEADBEHIND:\n").unwrap();
        assert!(!g.dirty);
        assert_eq!(g.remote_url, None);
        assert_eq!(g.ahead, None);
        assert_eq!(summary(&g), "main");
    }

    #[test]
    fn not_a_repo_or_dir() {
        assert!(parse("NOTGIT:\n").is_err());
        assert!(parse("NOTDIR:\n").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn diff_after_marker() {
        let g = parse(&format!("BRANCH:m\nDIRTY:1\n{DIFF_MARK}\n a | 1 +\n\ndiff --git a/a b/a\n")).unwrap();
        assert!(g.diff.unwrap().starts_with(" a | 1 +"));
    }

    #[test]
    fn base_facts() {
        let g =
            parse("BRANCH:navi/x\nDIRTY:0\nBASE:main\nBASEAB:1\t2\nBASECOMMIT:b2 two\nBASECOMMIT:a1 one\n").unwrap();
        assert_eq!(g.base.as_deref(), Some("main"));
        assert_eq!((g.base_ahead, g.base_behind), (Some(2), Some(1)));
        assert_eq!(g.commits, ["b2 two", "a1 one"]);
        assert_eq!(summary(&g), "navi/x (2 ahead, 1 behind main)");
    }

    #[test]
    fn pr_json() {
        let pr = parse_pr(br#"{"number":42,"state":"OPEN","url":"https://x/pr/42"}"#).unwrap();
        assert_eq!(pr.number, 42);
        assert!(parse_pr(b"not json").is_none());
    }
}
