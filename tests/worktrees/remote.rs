//! Worktree sessions on a remote, through a real sshd: the same scripts as on this
//! machine, in a repository owned by the remote user (a path with a space), with the
//! local `gh` opening the pull request.

use super::common::sshd::Sshd;
use super::common::tmux::{TmuxServer, wait_for};
use super::{WAIT, write_program};
use std::path::PathBuf;

struct Remote {
    local: TmuxServer,
    sshd: Sshd,
    remotes: PathBuf,
    path: String,
    repo: PathBuf,
}

fn q(p: &std::path::Path) -> String {
    shlex::try_quote(&p.to_string_lossy()).unwrap().into_owned()
}

impl Remote {
    fn new() -> Self {
        let local = TmuxServer::new();
        let sshd = Sshd::start();
        let remotes = local.dir.path().join("remotes.yaml");
        std::fs::write(&remotes, sshd.remotes_yaml("box")).unwrap();
        write_program(&sshd.dir.path().join("bin/claude"), "#!/bin/sh\nexec sleep 600\n");
        let bin = local.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        let repo = sshd.remote_home.join("src/my repo");
        sshd.as_user(
            "mkdir -p 'src/my repo' && cd 'src/my repo' && git init -q -b main && git config user.name t && \
             git config user.email t@t && echo one > a.txt && printf '.env\\nsetup-ran\\n' > .gitignore && \
             printf '.env\\n' > .worktreeinclude && git add a.txt .gitignore && git commit -qm first && \
             echo T=1 > .env && git init -q --bare ~/origin.git && git remote add origin ~/origin.git && \
             git push -q -u origin main",
        );
        let config = local.home.join(".config/navi");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.yaml"),
            "worktrees:\n  setup:\n    - repo: \"~/src/*\"\n      command: echo ran > setup-ran\n",
        )
        .unwrap();
        Remote { local, sshd, remotes, path, repo }
    }

    fn navi(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = self.local.navi();
        cmd.env("NAVI_REMOTES", &self.remotes).env("PATH", &self.path).args(args).args(["--remote", "box"]);
        super::common::tmux::outcome(&mut cmd)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.navi(args);
        assert_eq!(code, 0, "navi {args:?}: {err}");
        out
    }

    /// git as the remote user, in `dir`.
    fn git(&self, dir: &std::path::Path, args: &str) -> String {
        self.sshd.as_user(&format!("cd {} && git {args}", q(dir))).trim_end().to_string()
    }

    fn commit(&self, dir: &std::path::Path, file: &str, text: &str, message: &str) {
        let script =
            format!("cd {} && printf '{text}' > {file} && git add {file} && git commit -qm '{message}'", q(dir));
        self.sshd.as_user(&script);
    }

    fn worktree(&self, name: &str) -> PathBuf {
        self.sshd.remote_home.join("src/my repo.worktrees").join(name)
    }
}

#[test]
fn worktree_sessions_over_ssh_from_start_to_merge_and_pull_request() {
    let r = Remote::new();
    let out = r.ok(&["new", "w1", "--worktree", "--dir", "~/src/my repo"]);
    let wt = r.worktree("w1");
    assert!(out.contains(&format!("in new worktree {}", wt.display())), "{out}");
    assert_eq!(std::fs::read_to_string(wt.join(".env")).unwrap(), "T=1\n", ".worktreeinclude on the remote");
    assert!(wait_for(WAIT, || wt.join("setup-ran").exists()), "the setup ran there");
    let file = r.sshd.read_status("w1").unwrap();
    assert_eq!(file["worktree"]["branch"], "navi/w1");
    assert_eq!(file["worktree"]["repo"], r.repo.to_str().unwrap());

    r.commit(&wt, "b.txt", "b", "add b");
    let listed = r.ok(&["worktrees"]);
    assert!(listed.lines().any(|l| l.starts_with("w1") && l.contains("navi/w1") && l.contains("↑1 ↓0")), "{listed}");
    let git = r.ok(&["git", "w1"]);
    assert!(git.contains("base:        main (1 ahead, 0 behind)"), "{git}");
    let out = r.ok(&["finish", "w1", "--merge"]);
    assert!(out.contains("(fast-forward)"), "{out}");
    assert_eq!(r.git(&r.repo, "log -1 --format=%s"), "add b");
    assert!(!wt.exists());
    assert!(!r.sshd.sessions_alive().contains(&"w1".to_string()));
    assert!(!r.sshd.status_path("w1").exists());

    // A conflict over SSH leaves the remote's main checkout as it was.
    r.ok(&["new", "w2", "--worktree", "--dir", "~/src/my repo"]);
    let wt2 = r.worktree("w2");
    r.commit(&wt2, "a.txt", "theirs", "theirs");
    r.commit(&r.repo, "a.txt", "ours", "ours");
    let head = r.git(&r.repo, "rev-parse HEAD");
    let status = r.git(&r.repo, "status --porcelain");
    let (code, _, err) = r.navi(&["finish", "w2", "--merge"]);
    assert_ne!(code, 0);
    assert!(err.contains("conflicts in a.txt"), "{err}");
    assert_eq!(r.git(&r.repo, "rev-parse HEAD"), head);
    assert_eq!(r.git(&r.repo, "status --porcelain"), status);
    let (code, _, err) = r.navi(&["finish", "w2"]);
    assert_ne!(code, 0);
    assert!(err.contains("theirs") && err.contains("would lose work"), "{err}");
    r.ok(&["finish", "w2", "--force"]);
    assert!(!wt2.exists());

    // The pull request: pushed on the remote, opened by the local gh.
    let gh_log = r.local.dir.path().join("gh-args");
    let gh = format!(
        "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done > '{}'\necho https://example.invalid/pull/1\n",
        gh_log.display()
    );
    write_program(&r.local.dir.path().join("bin/gh"), &gh);
    r.ok(&["new", "w3", "--worktree", "--dir", "~/src/my repo"]);
    r.commit(&r.worktree("w3"), "c.txt", "c", "add c");
    let out = r.ok(&["finish", "w3", "--pr"]);
    assert!(out.contains("opened https://example.invalid/pull/1"), "{out}");
    let args = std::fs::read_to_string(&gh_log).unwrap();
    assert!(args.contains("--head\nnavi/w3\n--base\nmain\n--title\nadd c\n"), "{args}");
    assert!(args.contains(&format!("--repo\n{}\n", r.sshd.remote_home.join("origin.git").display())), "{args}");
    assert_eq!(r.git(&r.sshd.remote_home.join("origin.git"), "log -1 --format=%s navi/w3"), "add c");
    assert!(r.ok(&["worktrees"]).contains("no worktrees"));
}

#[test]
fn hostile_names_a_real_merge_and_a_folder_removed_by_hand_over_ssh() {
    let r = Remote::new();
    let name = "it's-$(id)-`id`;x\"q";
    let branch = "feat/$(touch${IFS}pwned)-`touch${IFS}pwned`";
    let (code, _, err) = r.navi(&["new", "bad", "--worktree", "--dir", "~/src/my repo", "--branch", "a..b"]);
    assert!(code != 0 && err.contains("must not contain '..'"), "{err}");
    r.ok(&["new", name, "--worktree", "--dir", "~/src/my repo", "--branch", branch]);
    let wt = r.worktree(name);
    assert_eq!(r.git(&wt, "rev-parse --abbrev-ref HEAD"), branch);
    let listed = r.ok(&["worktrees"]);
    assert!(listed.contains(branch) && listed.contains(name), "{listed}");

    // The base moved on: a real merge commit.
    r.commit(&wt, "b.txt", "b", "add b");
    r.commit(&r.repo, "c.txt", "c", "add c");
    let out = r.ok(&["finish", name, "--merge"]);
    assert!(out.contains("into main\n") && !out.contains("fast-forward"), "{out}");
    assert_eq!(r.git(&r.repo, "rev-list --count --merges HEAD"), "1");
    assert!(!wt.exists());

    r.ok(&["new", "gone", "--worktree", "--dir", "~/src/my repo"]);
    // Its setup writes there from the session: removed by hand only after it, or the two
    // would race (a file made while the folder is being emptied).
    assert!(wait_for(WAIT, || r.worktree("gone").join("setup-ran").exists()), "the setup ran there");
    std::fs::remove_dir_all(r.worktree("gone")).unwrap();
    let listed = r.ok(&["worktrees"]);
    assert!(listed.lines().any(|l| l.starts_with("gone") && l.contains("folder removed")), "{listed}");
    r.ok(&["finish", "gone"]);
    assert_eq!(r.git(&r.repo, "worktree list --porcelain | grep -c '^worktree '"), "1");
    assert_eq!(r.git(&r.repo, "branch --format='%(refname:short)'"), "main");
    for dir in [&r.sshd.remote_home, &r.repo] {
        assert!(!dir.join("pwned").exists(), "a name ran a command in {}", dir.display());
    }
}
