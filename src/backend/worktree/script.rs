//! The shell scripts behind worktree sessions, one builder per step (create, inspect, list,
//! merge, push, remove), run unchanged on this machine or over SSH. Every value is quoted;
//! git itself judges branch names (`check-ref-format`) and revisions (`rev-parse --verify`)
//! before anything is created; revisions reach git resolved to commits or as
//! `refs/heads/…`, never as a word that could be an option. Answers are `KEY:value` lines
//! (see [`super::parse`]); an expected refusal is an `ERROR:kind` line and exit 0, anything
//! else a non-zero exit with git's message on stderr.

use crate::backend::shell::{path, quote};
use crate::sessions::worktree::Worktree;

/// The file (on the session's host) listing the repositories navi made worktrees in, so
/// `navi worktrees` can find leftovers without any status file.
const REGISTRY: &str = "${XDG_STATE_HOME:-$HOME/.local/state}/navi/worktree-repos";
/// The marker navi leaves in a worktree's administrative folder (`.git/worktrees/<id>/`):
/// the session's name and the base. git removes it with the worktree.
const MARKER: &str = "navi-session";

const PRELUDE: &str = "export GIT_TERMINAL_PROMPT=0 GIT_MERGE_AUTOEDIT=no\nnl='\n'\n";

/// What a new worktree session asks for.
#[derive(Debug, Clone)]
pub struct CreateArgs<'a> {
    pub dir: &'a str,
    pub name: &'a str,
    pub branch: &'a str,
    /// `None`: the current branch of `dir` (its commit when HEAD is detached).
    pub base: Option<&'a str>,
    /// The location pattern (see [`crate::config::worktrees`]).
    pub location: &'a str,
    pub reuse: bool,
}

/// Creates (or, with `reuse`, finds) the worktree and prints what it did.
pub fn create(a: &CreateArgs) -> String {
    format!(
        r#"{PRELUDE}cd -- {dir} 2>/dev/null || {{ echo 'ERROR:nodir'; exit 0; }}
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {{ echo 'ERROR:notgit'; exit 0; }}
b={branch}
[ "$(git check-ref-format --branch "$b" 2>/dev/null)" = "$b" ] || {{ echo 'ERROR:badbranch'; exit 0; }}
top=$(git rev-parse --show-toplevel) || exit 1
main=$(git worktree list --porcelain | sed -n '1s/^worktree //p')
[ -d "$main" ] || {{ echo 'ERROR:bare'; exit 0; }}
base={base}
[ -n "$base" ] || base=$(git symbolic-ref -q --short HEAD) || base=$(git rev-parse HEAD) || exit 1
case "$base" in -*|*"$nl"*) echo 'ERROR:badbase'; exit 0;; esac
start=$(git rev-parse --verify --quiet "$base^{{commit}}") || {{ echo 'ERROR:badbase'; exit 0; }}
repo_name=$(basename "$main")
wt={location}
parent=$(dirname "$wt"); leaf=$(basename "$wt")
[ ! -d "$parent" ] || wt=$(cd "$parent" && pwd -P)/$leaf
case "$main$wt" in *"$nl"*) echo 'ERROR:newline'; exit 0;; esac
held=$(git worktree list --porcelain | ref="refs/heads/$b" awk '/^worktree /{{p=substr($0,10)}} $0 == "branch " ENVIRON["ref"] {{print p; exit}}')
new=0; newbranch=0
if git show-ref --verify --quiet "refs/heads/$b"; then
  [ {reuse} = 1 ] || {{ echo 'ERROR:branchexists'; exit 0; }}
  if [ -n "$held" ]; then
    [ "$held" != "$main" ] || {{ echo 'ERROR:inmain'; exit 0; }}
    [ -d "$held" ] || {{ printf 'ERROR:pathgone\nPATH:%s\n' "$held"; exit 0; }}
    wt=$held
  else
    [ ! -e "$wt" ] || {{ printf 'ERROR:pathexists\nPATH:%s\n' "$wt"; exit 0; }}
    mkdir -p "$parent" && wt=$(cd "$parent" && pwd -P)/$leaf || exit 1
    git worktree add "$wt" "$b" >/dev/null || exit 1
    new=1
  fi
else
  [ ! -e "$wt" ] || {{ printf 'ERROR:pathexists\nPATH:%s\n' "$wt"; exit 0; }}
  mkdir -p "$parent" && wt=$(cd "$parent" && pwd -P)/$leaf || exit 1
  git worktree add --no-track -b "$b" "$wt" "$start" >/dev/null || exit 1
  new=1; newbranch=1
fi
wt=$(cd "$wt" && pwd -P) || exit 1
gd=$(cd "$wt" && cd "$(git rev-parse --git-dir)" && pwd -P) || exit 1
printf 'session %s\nbase %s\n' {name} "$base" > "$gd/{MARKER}" || exit 1
reg="{REGISTRY}"
mkdir -p "$(dirname "$reg")" && {{ grep -qxF -e "$main" "$reg" 2>/dev/null || printf '%s\n' "$main" >> "$reg"; }}
copied=0
if [ $new = 1 ] && [ -f "$top/.worktreeinclude" ]; then
  copied=$(cd "$top" && git ls-files -z -o -i --exclude-from=.worktreeinclude | tr -cd '\000' | wc -c | tr -d ' ')
  if [ "$copied" -gt 0 ]; then
    (cd "$top" && git ls-files -z -o -i --exclude-from=.worktreeinclude | tar --null -T - -cf -) | (cd "$wt" && tar -xpf -) ||
      echo 'WARN:copying the files named in .worktreeinclude failed'
  fi
fi
printf 'PATH:%s\nBRANCH:%s\nBASE:%s\nREPO:%s\nHOME:%s\nCOPIED:%s\nNEW:%s\nNEWBRANCH:%s\n' "$wt" "$b" "$base" "$main" "$HOME" "$copied" "$new" "$newbranch"
"#,
        dir = path(a.dir),
        branch = quote(a.branch),
        base = quote(a.base.unwrap_or("")),
        location = location_expr(a.location, a.name),
        reuse = u8::from(a.reuse),
        name = quote(a.name),
    )
}

/// The location pattern as a shell word: placeholders become the script's variables,
/// everything else is quoted; a relative pattern is under the main checkout.
fn location_expr(pattern: &str, name: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    if let Some(r) = rest.strip_prefix("~/") {
        out.push_str("\"$HOME\"/");
        rest = r;
    } else if !rest.starts_with('/') && !rest.starts_with("{repo}") {
        out.push_str("\"$main\"/");
    }
    let values =
        [("{repo}", "\"$main\"".to_string()), ("{repo_name}", "\"$repo_name\"".into()), ("{name}", quote(name))];
    while !rest.is_empty() {
        let next = values.iter().filter_map(|(p, v)| rest.find(p).map(|i| (i, p.len(), v))).min_by_key(|(i, _, _)| *i);
        match next {
            Some((i, len, value)) => {
                if i > 0 {
                    out.push_str(&quote(&rest[..i]));
                }
                out.push_str(value);
                rest = &rest[i + len..];
            }
            None => {
                out.push_str(&quote(rest));
                rest = "";
            }
        }
    }
    out
}

/// A shell function printing the facts of one worktree (`facts MAIN PATH BRANCH BASE`):
/// whether its folder exists, its uncommitted changes, and the branch's commits that the
/// base does not have.
const FACTS: &str = r#"facts() {
  if [ -d "$2" ]; then
    echo 'EXISTS:1'
    s=$(git -C "$2" status --porcelain 2>/dev/null)
    if [ -n "$s" ]; then
      printf '%s\n' "$s" | head -n 50 | sed 's/^/DIRTY:/'
      printf 'DIRTYCOUNT:%s\n' "$(printf '%s\n' "$s" | wc -l | tr -d ' ')"
    fi
  else
    echo 'EXISTS:0'
  fi
  git -C "$1" show-ref --verify --quiet "refs/heads/$3" || return 0
  echo 'BRANCHEXISTS:1'
  bc=$(git -C "$1" rev-parse --verify --quiet "$4^{commit}") || { echo 'BASEGONE:1'; return 0; }
  printf 'AHEADBEHIND:%s\n' "$(git -C "$1" rev-list --left-right --count "$bc...refs/heads/$3" 2>/dev/null)"
  git -C "$1" log --format='COMMIT:%h %s' -n 50 "$bc..refs/heads/$3" 2>/dev/null
  return 0
}
"#;

/// Names `session` in the worktree's marker (tmux may store a name other than the one
/// asked for: `$HOME` becomes `\$HOME`).
pub fn mark(w: &Worktree, session: &str) -> String {
    format!(
        "cd -- {p} && gd=$(cd \"$(git rev-parse --git-dir)\" && pwd -P) && printf 'session %s\\nbase %s\\n' {s} {base} > \"$gd/{MARKER}\"\n",
        p = quote(&w.path),
        s = quote(session),
        base = quote(&w.base),
    )
}

/// The facts of one worktree, as one record.
pub fn inspect(w: &Worktree) -> String {
    format!(
        "{PRELUDE}{FACTS}echo 'RECORD:'\nprintf 'PATH:%s\\nBRANCH:%s\\nBASE:%s\\nREPO:%s\\n' {p} {b} {base} {r}\nfacts {r} {p} {b} {base}\n",
        p = quote(&w.path),
        b = quote(&w.branch),
        base = quote(&w.base),
        r = quote(&w.repo),
    )
}

/// Every worktree carrying navi's marker in every repository of the registry, one record
/// each (the session named in the marker as `SESSION:`).
pub fn list() -> String {
    format!(
        r#"{PRELUDE}{FACTS}reg="{REGISTRY}"
[ -f "$reg" ] || exit 0
# Two creations at once may both have added a repository: each is read once.
sort -u "$reg" | while IFS= read -r repo; do
  [ -d "$repo" ] || continue
  common=$(cd "$repo" 2>/dev/null && cd "$(git rev-parse --git-common-dir)" && pwd -P) || continue
  for d in "$common"/worktrees/*/; do
    [ -f "${{d}}{MARKER}" ] || continue
    wt=$(sed -n '1s#/\.git$##p' "${{d}}gitdir")
    b=$(sed -n 's#^ref: refs/heads/##p' "${{d}}HEAD")
    base=$(sed -n 's/^base //p' "${{d}}{MARKER}")
    echo 'RECORD:'
    printf 'PATH:%s\nBRANCH:%s\nBASE:%s\nREPO:%s\nSESSION:%s\n' "$wt" "$b" "$base" "$repo" "$(sed -n 's/^session //p' "${{d}}{MARKER}")"
    facts "$repo" "$wt" "$b" "$base"
  done
done
exit 0
"#
    )
}

/// Merges the branch into the base in the main checkout: only when the main checkout is
/// on the base and has no uncommitted changes to tracked files; on a conflict the merge
/// is aborted and the main checkout is left exactly as it was.
pub fn merge(w: &Worktree) -> String {
    format!(
        r#"{PRELUDE}cd -- {r} || exit 1
b={b}; base={base}
cur=$(git symbolic-ref -q --short HEAD)
[ "$cur" = "$base" ] || {{ printf 'ERROR:mainbranch\nCURRENT:%s\nBASE:%s\n' "$cur" "$base"; exit 0; }}
d=$(git status --porcelain --untracked-files=no)
[ -z "$d" ] || {{ echo 'ERROR:maindirty'; printf '%s\n' "$d" | head -n 50 | sed 's/^/DIRTY:/'; exit 0; }}
orig=$(git rev-parse HEAD) || exit 1
if git merge-base --is-ancestor HEAD "refs/heads/$b"; then how=ff; else how=merge; fi
if out=$(git merge --ff --no-edit "refs/heads/$b" 2>&1); then printf 'MERGED:%s\n' "$how"; exit 0; fi
if git rev-parse -q --verify MERGE_HEAD >/dev/null; then
  files=$(git diff --name-only --diff-filter=U)
  git merge --abort >/dev/null 2>&1 || git reset -q --merge
  echo 'ERROR:conflict'
  printf '%s\n' "$files" | head -n 50 | sed 's/^/FILE:/'
else
  echo 'ERROR:mergefailed'
  printf '%s\n' "$out" | tail -n 5 | sed 's/^/MSG:/'
fi
[ "$(git rev-parse HEAD)" = "$orig" ] || git reset -q --keep "$orig"
exit 0
"#,
        r = quote(&w.repo),
        b = quote(&w.branch),
        base = quote(&w.base),
    )
}

/// Pushes the branch to `origin` (setting it as upstream) and prints origin's URL.
pub fn push(w: &Worktree) -> String {
    format!(
        r#"{PRELUDE}cd -- {r} || exit 1
b={b}
url=$(git remote get-url origin 2>/dev/null) || {{ echo 'ERROR:noremote'; exit 0; }}
git push -q -u origin "refs/heads/$b:refs/heads/$b" >&2 || exit 1
printf 'URL:%s\n' "$url"
"#,
        r = quote(&w.repo),
        b = quote(&w.branch),
    )
}

/// What happens to the branch when its worktree goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchFate {
    Keep,
    /// Deleted when the base holds all its commits.
    IfMerged,
    /// Deleted whatever it holds (the user confirmed).
    Delete,
}

/// Removes the worktree (`force`: even with uncommitted changes; a folder already removed
/// by hand is pruned) and deals with the branch; prints `BRANCH:deleted` or `BRANCH:kept`.
pub fn remove(w: &Worktree, force: bool, fate: BranchFate) -> String {
    let delete = match fate {
        BranchFate::Keep => "false",
        BranchFate::IfMerged => {
            "bc=$(git rev-parse --verify --quiet \"$base^{commit}\") && git merge-base --is-ancestor \"refs/heads/$b\" \"$bc\""
        }
        BranchFate::Delete => "true",
    };
    format!(
        r#"{PRELUDE}cd -- {r} || exit 1
wt={p}; b={b}; base={base}
if [ -d "$wt" ]; then git worktree remove {force} -- "$wt" >&2 || exit 1; else git worktree prune; fi
if git show-ref --verify --quiet "refs/heads/$b" && {delete}; then
  git branch -D -- "$b" >/dev/null || exit 1
  echo 'BRANCH:deleted'
else
  echo 'BRANCH:kept'
fi
"#,
        r = quote(&w.repo),
        p = quote(&w.path),
        b = quote(&w.branch),
        base = quote(&w.base),
        force = if force { "--force --force" } else { "" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(expr: &str) -> String {
        let script = format!("main=/src/my\\ repo; repo_name='my repo'; HOME=/home/u; printf '%s' {expr}");
        let out = std::process::Command::new("sh").arg("-c").arg(script).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn location_patterns_expand_on_the_host_and_quote_the_name() {
        let hostile = "x $(touch /tmp/pwned) `id` 'q'";
        assert_eq!(
            expand(&location_expr(crate::config::worktrees::DEFAULT_LOCATION, "s")),
            "/src/my repo/../my repo.worktrees/s"
        );
        assert_eq!(expand(&location_expr("~/wt/{repo_name}/{name}", hostile)), format!("/home/u/wt/my repo/{hostile}"));
        assert_eq!(expand(&location_expr(".wt/{name}", "s")), "/src/my repo/.wt/s");
        assert_eq!(expand(&location_expr("/abs/$HOME/{name}-x", "s")), "/abs/$HOME/s-x");
    }
}
