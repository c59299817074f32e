//! Carries out the update's effects that need I/O: each runs as a task and reports back
//! with an owned message. Attach, the preview timer and quitting live in the loop.

use crate::app::Msg;
use crate::app::dialog::Found;
use crate::app::model::SessionKey;
use crate::app::remotes::HostKeyPrompt;
use crate::backend::answer::Dialog as AnswerDialog;
use crate::backend::pane::Answer;
use crate::backend::{NewSession, SessionBackend};
use crate::config::expand_tilde;
use crate::ssh::SshError;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Lines of pane history the preview asks for.
pub const PREVIEW_LINES: usize = 200;

pub struct Runner {
    pub backends: HashMap<Option<String>, Arc<dyn SessionBackend>>,
    pub tx: mpsc::UnboundedSender<Msg>,
    pub home: PathBuf,
    /// Git is polled for visible rows; at most two at a time so it never floods a host.
    git_slots: Arc<Semaphore>,
    prs: super::prs::PrCache,
    /// The git keys of the rows on screen now, updated by the loop after every batch: a
    /// fetch that waited for a slot is dropped when its row scrolled away meanwhile.
    on_screen: Arc<std::sync::Mutex<std::collections::HashSet<crate::app::model::GitKey>>>,
    preview: Option<(SessionKey, JoinHandle<()>)>,
    pub host_keys: super::pollers::HostKeys,
    /// The SSH pool, when remotes exist (it appends accepted host keys).
    pub pool: Option<Arc<crate::ssh::Pool>>,
    /// navi's state folder (notices, mute).
    pub state_dir: Option<PathBuf>,
    /// Where worktrees go and their setup commands (config.yaml).
    pub worktrees: crate::config::worktrees::WorktreesConfig,
}

impl Runner {
    pub fn new(
        backends: HashMap<Option<String>, Arc<dyn SessionBackend>>,
        tx: mpsc::UnboundedSender<Msg>,
        home: PathBuf,
    ) -> Self {
        Runner {
            backends,
            tx,
            home,
            git_slots: Arc::new(Semaphore::new(2)),
            prs: Default::default(),
            on_screen: Default::default(),
            preview: None,
            host_keys: Default::default(),
            pool: None,
            state_dir: None,
            worktrees: Default::default(),
        }
    }

    pub fn backend(&self, remote: &Option<String>) -> Result<Arc<dyn SessionBackend>, String> {
        self.backends.get(remote).cloned().ok_or_else(|| match remote {
            Some(r) => format!("remote {r} is not available"),
            None => "the local backend is not available".into(),
        })
    }

    /// Runs an action on the session's backend and reports `done` or the error.
    fn action<F>(&self, key: &SessionKey, done: String, f: F)
    where
        F: for<'a> FnOnce(Arc<dyn SessionBackend>, String) -> futures::future::BoxFuture<'static, Result<(), String>>
            + Send
            + 'static,
    {
        let tx = self.tx.clone();
        let backend = self.backend(&key.remote);
        let name = key.name.clone();
        tokio::spawn(async move {
            let result = match backend {
                Ok(b) => f(b, name).await,
                Err(e) => Err(e),
            };
            let _ = tx.send(Msg::ActionDone { done, result });
        });
    }

    pub fn kill(&self, key: &SessionKey) {
        let done = format!("killed {}", key.name);
        self.action(key, done, |b, n| Box::pin(async move { b.kill(&n).await.map_err(|e| e.to_string()) }));
    }

    /// Kills the agent shell `key.name` on its host's agent-shell server.
    pub fn kill_shell(&self, key: &SessionKey) {
        let done = format!("killed agent shell {}", key.name);
        self.action(key, done, |b, n| {
            Box::pin(async move { crate::backend::agent_shells::kill(&*b, &n).await.map_err(|e| e.to_string()) })
        });
    }

    pub fn rename(&self, key: &SessionKey, new: String) {
        let done = format!("renamed {} to {new}", key.name);
        self.action(key, done, move |b, n| {
            Box::pin(async move { b.rename(&n, &new).await.map_err(|e| e.to_string()) })
        });
    }

    pub fn dismiss(&self, key: &SessionKey) {
        let done = format!("dismissed {}", key.name);
        self.action(key, done, |b, n| Box::pin(async move { b.dismiss(&n).await.map_err(|e| e.to_string()) }));
    }

    /// `navi setup REMOTE`, in the background; the stream is tried again at once after it.
    pub fn setup(&self, remote: String) {
        let Some(pool) = self.pool.clone() else { return };
        let tx = self.tx.clone();
        let following = self.backends.get(&Some(remote.clone())).cloned();
        tokio::spawn(async move {
            let target = (pool.remote(&remote).cloned(), pool.known_hosts(&remote), pool.host_key_checking(&remote));
            let (Some(r), Some(kh), Some(policy)) = target else { return };
            let b = crate::backend::remote::RemoteBackend::new(r, pool.clone(), kh.to_path_buf(), policy);
            let mut lines = Vec::new();
            let outcome = crate::setup::run(&b, &remote, false, false, &mut |l| lines.push(l)).await;
            let said = lines.iter().skip(1).cloned().collect::<Vec<_>>().join("; ");
            let (done, result) = match outcome {
                Ok(true) => {
                    if let Some(b) = following {
                        b.retry_push();
                    }
                    (format!("{remote} is set up: {said}"), Ok(()))
                }
                Ok(false) => (String::new(), Err(format!("{remote}: {said}"))),
                Err(e) => (String::new(), Err(format!("setting up {remote}: {e:#}"))),
            };
            let _ = tx.send(Msg::ActionDone { done, result });
        });
    }

    /// Mutes notices for an hour, or unmutes them when they are muted (as `navi mute`).
    pub fn toggle_mute(&self) {
        let Some(dir) = self.state_dir.clone() else { return };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let toggled = tokio::task::spawn_blocking(move || {
                let gate = crate::notify::gate::Gate::new(&dir);
                let now = crate::text::now_unix();
                if gate.muted_until(now).is_some() {
                    gate.set_mute(None).map(|_| "notices are on (M mutes them for an hour)".to_string())
                } else {
                    gate.set_mute(Some(now + 3600)).map(|_| "notices muted for 1h (M again: on)".to_string())
                }
            })
            .await;
            let (done, result) = match toggled {
                Ok(Ok(done)) => (done, Ok(())),
                Ok(Err(e)) => (String::new(), Err(format!("mute: {e}"))),
                Err(e) => (String::new(), Err(format!("mute: {e}"))),
            };
            let _ = tx.send(Msg::ActionDone { done, result });
        });
    }

    pub fn send(&self, key: &SessionKey, text: String) {
        let done = format!("sent to {}", key.name);
        self.action(key, done, move |b, n| Box::pin(async move { b.send(&n, &text).await.map_err(|e| e.to_string()) }));
    }

    /// Reads the permission dialogs of `keys`, all at once; one message with them all.
    pub fn read_dialogs(&self, keys: Vec<SessionKey>, answer: Answer) {
        let tx = self.tx.clone();
        let reads: Vec<_> = keys
            .into_iter()
            .map(|key| {
                let backend = self.backend(&key.remote);
                async move {
                    let dialog = match backend {
                        Ok(b) => crate::backend::answer::read(&*b, &key.name).await.map_err(|e| e.to_string()),
                        Err(e) => Err(e),
                    };
                    Found { key, dialog }
                }
            })
            .collect();
        tokio::spawn(async move {
            let found = futures::future::join_all(reads).await;
            let _ = tx.send(Msg::DialogsRead { answer, found });
        });
    }

    /// Answers the dialog the user saw; the footer says what was pressed, or why not.
    pub fn answer(&self, key: &SessionKey, answer: Answer, dialog: AnswerDialog) {
        let done = format!("{} {}", answer.done(), key.name);
        self.action(key, done, move |b, n| {
            Box::pin(async move {
                match crate::backend::answer::answer(&*b, &n, answer, Some(&dialog)).await {
                    Ok(_) => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            })
        });
    }

    pub fn create(&self, remote: Option<String>, new: NewSession) {
        let key = SessionKey { remote, name: new.name.clone() };
        let done = format!("started {} in {}", new.name, new.dir);
        self.action(&key, done, move |b, _| {
            Box::pin(async move { b.create(&new).await.map(|_| ()).map_err(|e| e.to_string()) })
        });
    }

    /// Starts a session in a new worktree (see [`crate::backend::worktree::start`]); an
    /// existing branch comes back as [`Msg::BranchExists`] (the offer to reuse it).
    pub fn create_worktree(&self, remote: Option<String>, start: crate::backend::worktree::Start) {
        use crate::backend::worktree::{self, WorktreeError};
        let tx = self.tx.clone();
        let backend = self.backend(&remote);
        let config = self.worktrees.clone();
        tokio::spawn(async move {
            let result = match backend {
                Ok(b) => worktree::start(&*b, &start, &config).await,
                Err(e) => Err(WorktreeError::Failed(e)),
            };
            let msg = match result {
                Err(WorktreeError::BranchExists) if !start.reuse => Msg::BranchExists { remote, start },
                Err(e) => Msg::ActionDone { done: String::new(), result: Err(e.to_string()) },
                Ok(s) => {
                    let w = &s.created.worktree;
                    let done = format!("started {} in {} (branch {})", s.session.name(), w.path, w.branch);
                    Msg::ActionDone { done, result: Ok(()) }
                }
            };
            let _ = tx.send(msg);
        });
    }

    /// Finishes a worktree session; a refusal to lose work comes back as
    /// [`Msg::FinishRefused`] (the second confirmation).
    pub fn finish(&self, key: SessionKey, how: crate::backend::worktree::Finish, force: bool) {
        use crate::backend::worktree::{self, WorktreeError};
        let tx = self.tx.clone();
        let backend = self.backend(&key.remote);
        tokio::spawn(async move {
            let result = match backend {
                Ok(b) => worktree::finish(&*b, &key.name, how, force).await,
                Err(e) => Err(WorktreeError::Failed(e)),
            };
            let msg = match result {
                Err(WorktreeError::WouldLose(lost)) => Msg::FinishRefused { key, how, lost },
                Err(e) => Msg::ActionDone { done: String::new(), result: Err(e.to_string()) },
                Ok(f) => {
                    let what = match (f.fast_forward, &f.pr_url) {
                        (Some(_), _) => format!("merged {} into {}; ", f.worktree.branch, f.worktree.base),
                        (_, Some(url)) => format!("opened {url}; "),
                        _ => String::new(),
                    };
                    Msg::ActionDone { done: format!("{what}finished {}", key.name), result: Ok(()) }
                }
            };
            let _ = tx.send(msg);
        });
    }

    /// Starts a capture of `key`'s pane. One still running for the same session is left to
    /// finish (its answer schedules the next); one for an earlier selection is dropped.
    pub fn preview(&mut self, key: SessionKey) {
        if let Some((running, task)) = self.preview.take() {
            if running == key && !task.is_finished() {
                self.preview = Some((running, task));
                return;
            }
            task.abort();
        }
        let Ok(backend) = self.backend(&key.remote) else { return };
        let tx = self.tx.clone();
        let k = key.clone();
        let task = tokio::spawn(async move {
            let result = match k.shell_name() {
                Some(shell) => crate::backend::agent_shells::preview(&*backend, shell, PREVIEW_LINES).await,
                None => backend.preview(&k.name, PREVIEW_LINES).await,
            };
            let result = result.map_err(|e| e.to_string());
            let _ = tx.send(Msg::Preview { key: k, result });
        });
        self.preview = Some((key, task));
    }

    pub fn git(&self, key: SessionKey, git: crate::app::model::GitKey, detail: bool) {
        let tx = self.tx.clone();
        let backend = self.backend(&key.remote);
        let slots = self.git_slots.clone();
        let on_screen = self.on_screen.clone();
        let prs = self.prs.clone();
        tokio::spawn(async move {
            let _slot = if detail { None } else { slots.acquire_owned().await.ok() };
            let gone = !detail && on_screen.lock().is_ok_and(|s| !s.contains(&git));
            if gone {
                let _ = tx.send(Msg::GitSkipped(git));
                return;
            }
            let result = match backend {
                // The dialog asks afresh; the rows' refreshes reuse a recent PR answer.
                Ok(b) if detail => b.git(&key.name, true).await.map_err(|e| e.to_string()),
                Ok(b) => match b.git_facts(&key.name, false).await {
                    Ok(mut info) => {
                        if let Some(url) = info.remote_url.clone() {
                            info.pr = prs.lookup(&url, &info.branch).await;
                        }
                        Ok(info)
                    }
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e),
            };
            let msg = if detail { Msg::GitDetail { key, result } } else { Msg::Git { key: git, result } };
            let _ = tx.send(msg);
        });
    }

    /// Adds to known_hosts exactly the key the user was shown. When the remote has offered
    /// another key since (someone else may be answering), nothing is trusted and the user is
    /// asked about the new one.
    pub fn accept_host_key(&self, asked: HostKeyPrompt) {
        let stored = match self.host_keys.lock() {
            Ok(mut k) => {
                let chosen = matching_host_key(k.get(&asked.remote), &asked);
                if chosen.is_ok() {
                    k.remove(&asked.remote);
                }
                chosen
            }
            Err(_) => Err(None),
        };
        let pool = self.pool.clone();
        let tx = self.tx.clone();
        let remote = asked.remote.clone();
        tokio::task::spawn_blocking(move || {
            let result = match (stored, pool) {
                (Ok(err), Some(pool)) => match pool.accept_host_key(&err) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("that was not an unknown host key".to_string()),
                    Err(e) => Err(format!("adding the host key: {e}")),
                },
                (Err(Some(now)), _) => {
                    let _ = tx.send(Msg::UnknownHostKey(*now));
                    Err(format!("{remote} now offers a different host key: not trusted, asking again"))
                }
                _ => Err(format!("no host key of {remote} is waiting to be trusted")),
            };
            let _ = tx.send(Msg::ActionDone { done: format!("trusted the host key of {remote}"), result });
        });
    }

    pub fn set_on_screen(&self, keys: std::collections::HashSet<crate::app::model::GitKey>) {
        if let Ok(mut s) = self.on_screen.lock() {
            *s = keys;
        }
    }

    pub fn check_dir(&self, dir: String) {
        let path = expand_tilde(&dir, &self.home);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(Msg::DirChecked { exists: path.is_dir(), dir });
        });
    }
}

/// The stored error when it is the very key in `asked` (host, port and key); otherwise the
/// prompt for what is stored now, if anything.
fn matching_host_key(stored: Option<&SshError>, asked: &HostKeyPrompt) -> Result<SshError, Option<Box<HostKeyPrompt>>> {
    let Some(err) = stored else { return Err(None) };
    let now = super::pollers::host_key_prompt(err);
    match &now {
        Some(p) if p.host == asked.host && p.port == asked.port && p.key == asked.key => Ok(err.clone()),
        _ => Err(now.map(Box::new)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(key: &str) -> SshError {
        SshError::UnknownHostKey {
            remote: "box".into(),
            hop: "remote box".into(),
            host: "127.0.0.1".into(),
            port: 2222,
            algorithm: "ssh-ed25519".into(),
            fingerprint: format!("SHA256:{key}"),
            openssh: format!("ssh-ed25519 {key}"),
            known_hosts: "/h/.ssh/known_hosts".into(),
        }
    }

    #[test]
    fn only_the_key_shown_is_accepted() {
        let shown = super::super::pollers::host_key_prompt(&unknown("GOOD")).unwrap();
        assert!(matches!(matching_host_key(Some(&unknown("GOOD")), &shown), Ok(SshError::UnknownHostKey { .. })));
        // A later poll met another key (a machine in the middle): refused, asked again.
        match matching_host_key(Some(&unknown("EVIL")), &shown) {
            Err(Some(p)) => assert_eq!(p.key, "ssh-ed25519 EVIL"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(matching_host_key(None, &shown), Err(None)));
    }
}
