//! Opens a worktree branch's pull request with the local `gh`, from the repository's
//! remote URL (credentials in it are dropped first: they would show in the process list),
//! so `gh` is never needed on a remote. Bounded in time like every other program.

use super::{Facts, WorktreeError};
use std::time::Duration;

const GH_TIMEOUT: Duration = Duration::from_secs(60);

/// `gh pr create` for the pushed branch of `f`; returns the pull request's URL.
pub async fn create(remote_url: &str, f: &Facts) -> Result<String, WorktreeError> {
    let args = arguments(remote_url, f);
    let child = tokio::process::Command::new("gh")
        .args(&args)
        .env("GH_PROMPT_DISABLED", "1")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(GH_TIMEOUT, child).await {
        Err(_) => return Err(WorktreeError::Failed(format!("gh did not answer within {} s", GH_TIMEOUT.as_secs()))),
        Ok(Err(e)) => return Err(WorktreeError::Failed(format!("cannot run gh (is it installed?): {e}"))),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let err = crate::text::sanitize_line(String::from_utf8_lossy(&out.stderr).trim());
        return Err(WorktreeError::Failed(format!("the branch is pushed, but gh pr create failed: {err}")));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string())
}

/// The arguments: the head branch, the base (without a leading `origin/`), a title (the
/// one commit's subject, else the branch) and the commits as the body.
pub fn arguments(remote_url: &str, f: &Facts) -> Vec<String> {
    let subject = |c: &String| c.split_once(' ').map_or(c.clone(), |(_, s)| s.to_string());
    let title = match f.commits.as_slice() {
        [one] => subject(one),
        _ => f.branch.clone(),
    };
    let body: Vec<String> = f.commits.iter().rev().map(|c| format!("- {}", subject(c))).collect();
    let base = f.base.strip_prefix("origin/").unwrap_or(&f.base);
    let pairs = [
        ("--repo", without_credentials(remote_url)),
        ("--head", f.branch.clone()),
        ("--base", base.to_string()),
        ("--title", title),
        ("--body", body.join("\n")),
    ];
    let mut args = vec!["pr".to_string(), "create".to_string()];
    for (flag, value) in pairs {
        args.extend([flag.to_string(), value]);
    }
    args
}

fn without_credentials(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && !userinfo.contains('/')
    {
        return format!("{scheme}://{host}");
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_body_base_and_no_token() {
        let f = Facts {
            branch: "navi/x".into(),
            base: "origin/main".into(),
            commits: vec!["b22 second".into(), "a11 first".into()],
            ..Default::default()
        };
        let a = arguments("https://bob:tok@github.com/o/r.git", &f);
        assert_eq!(a[3], "https://github.com/o/r.git");
        assert_eq!(&a[4..10], ["--head", "navi/x", "--base", "main", "--title", "navi/x"]);
        assert_eq!(a[11], "- first\n- second");
        let one = Facts { commits: vec!["a11 fix: it".into()], ..f };
        assert_eq!(arguments("git@github.com:o/r.git", &one)[9], "fix: it");
    }
}
