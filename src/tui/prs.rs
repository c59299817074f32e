//! Pull requests of the rows' branches, cached: `gh pr view` is a network call, so a row's
//! git refresh (every minute, or seconds while active) asks for it only when the remote or
//! branch changed or the answer is older than `PR_TTL`.

use crate::backend::git::{self, PullRequest};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const PR_TTL: Duration = Duration::from_secs(600);

type Answers = HashMap<(String, String), (Instant, Option<PullRequest>)>;

#[derive(Clone, Default)]
pub struct PrCache {
    answers: Arc<Mutex<Answers>>,
}

impl PrCache {
    /// The cached answer for (remote URL, branch) when younger than `PR_TTL` at `now`.
    fn fresh(&self, url: &str, branch: &str, now: Instant) -> Option<Option<PullRequest>> {
        let answers = self.answers.lock().ok()?;
        let (at, pr) = answers.get(&(url.to_string(), branch.to_string()))?;
        (now.saturating_duration_since(*at) < PR_TTL).then(|| pr.clone())
    }

    fn store(&self, url: &str, branch: &str, at: Instant, pr: Option<PullRequest>) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.retain(|_, (t, _)| at.saturating_duration_since(*t) < PR_TTL);
            answers.insert((url.to_string(), branch.to_string()), (at, pr));
        }
    }

    /// The pull request of `branch` on `url`, from the cache or asked again.
    pub async fn lookup(&self, url: &str, branch: &str) -> Option<PullRequest> {
        if let Some(pr) = self.fresh(url, branch, Instant::now()) {
            return pr;
        }
        let pr = git::lookup_pr(url, branch).await;
        self.store(url, branch, Instant::now(), pr.clone());
        pr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_per_remote_and_branch_until_they_age() {
        let cache = PrCache::default();
        let t0 = Instant::now();
        let pr = PullRequest { number: 7, state: "OPEN".into(), url: String::new() };
        cache.store("git@x:a/b", "main", t0, Some(pr.clone()));
        assert_eq!(cache.fresh("git@x:a/b", "main", t0 + Duration::from_secs(60)), Some(Some(pr)));
        assert_eq!(cache.fresh("git@x:a/b", "feature", t0), None, "another branch is asked");
        assert_eq!(cache.fresh("git@x:c/d", "main", t0), None, "another remote is asked");
        assert_eq!(cache.fresh("git@x:a/b", "main", t0 + PR_TTL), None, "an old answer is asked again");
    }
}
