//! Turns what the user asked to compare into two sides: a base commit (or
//! nothing, before the first commit) and a head that is a commit, the index
//! or the working tree. Every failure says how to fix it.

use crate::error::{Error, Result};
use git2::{ErrorCode, Oid, Repository};

/// What the user asked for, before it is resolved against a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// Plain `riskdiff check`: merge-base with the default branch vs the
    /// working tree; `HEAD` vs the working tree without a default branch.
    Default,
    /// `--staged`: `HEAD` vs the index (what the next commit will hold).
    Staged,
    /// `--base`, `--head` or a positional `A..B`, `A...B` or `A`.
    Explicit {
        base: Option<String>,
        head: HeadSpec,
        /// Compare from merge-base(base, head) (`A...B`, `--base`).
        merge_base: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeadSpec {
    Rev(String),
    Workdir,
}

impl RangeSpec {
    /// Parses the positional argument with git's range syntax: `A..B`
    /// compares A with B, `A...B` compares merge-base(A, B) with B, an empty
    /// side means `HEAD`, and a single revision `A` compares A with the
    /// working tree, as `git diff A` does.
    pub fn parse_positional(arg: &str) -> Result<RangeSpec> {
        let (base, head, merge_base) = if let Some((a, b)) = arg.split_once("...") {
            (a, Some(b), true)
        } else if let Some((a, b)) = arg.split_once("..") {
            (a, Some(b), false)
        } else {
            (arg, None, false)
        };
        let nonempty = |s: &str| {
            let s = s.trim();
            if s.is_empty() {
                "HEAD".to_string()
            } else {
                s.to_string()
            }
        };
        if base.trim().is_empty() && head.is_none() {
            return Err(
                Error::new("empty revision range").with_hint("give a range such as `main..HEAD`")
            );
        }
        Ok(RangeSpec::Explicit {
            base: Some(nonempty(base)),
            head: match head {
                Some(h) => HeadSpec::Rev(nonempty(h)),
                None => HeadSpec::Workdir,
            },
            merge_base,
        })
    }
}

/// One side of the comparison, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// Before the first commit: every file is added.
    Empty,
    Commit {
        commit: Oid,
        tree: Oid,
    },
    Index,
    Workdir,
}

/// How a report names a side: `a1b2c3d (origin/main)`, `index`, `working tree`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RevInfo {
    /// Full commit id, or `index`, `worktree`, `empty`.
    pub id: String,
    /// Short commit id, or the same word as `id`.
    pub short: String,
    /// What the user or the default named (`origin/main`, `HEAD`,
    /// `merge-base(origin/main, HEAD)`), for people.
    pub name: String,
}

impl RevInfo {
    pub fn display(&self) -> String {
        if self.short == self.name || self.name.is_empty() {
            self.short.clone()
        } else {
            format!("{} ({})", self.short, self.name)
        }
    }
}

#[derive(Clone, Debug)]
pub struct Resolved {
    pub base: Side,
    pub head: Side,
    pub base_info: RevInfo,
    pub head_info: RevInfo,
}

impl Resolved {
    /// Whether both sides are commits of one tree: nothing differs.
    pub fn same_tree(&self) -> bool {
        matches!(
            (&self.base, &self.head),
            (Side::Commit { tree: b, .. }, Side::Commit { tree: h, .. }) if b == h
        )
    }
}

/// Opens the repository that contains `path`.
pub fn open(path: &std::path::Path) -> Result<Repository> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(Error::new(format!("{} does not exist", path.display()))
            .with_hint("check the path given to -C/--repo"));
    }
    // libgit2 hashes every object it inflates to check it against its id
    // (a tenth of a large check). riskdiff only reads what the objects
    // say; a blob whose content does not match its id is no more hostile
    // than any other content, and its parse is keyed by that id either way.
    git2::opts::strict_hash_verification(false);
    Repository::discover(path).map_err(|e| {
        if e.code() == ErrorCode::NotFound {
            Error::new(format!(
                "not a git repository (or any parent up to the filesystem root): {}",
                path.display()
            ))
            .with_hint("run riskdiff inside a git repository, or point it at one with --repo PATH")
        } else {
            Error::git(
                &format!("cannot open the repository at {}", path.display()),
                e,
            )
        }
    })
}

pub fn resolve(repo: &Repository, spec: &RangeSpec) -> Result<Resolved> {
    match spec {
        RangeSpec::Staged => {
            let (base, base_info) = match head_commit(repo)? {
                Some(c) => commit_side(repo, c, "HEAD")?,
                // The first commit: compare the index with nothing.
                None => empty_side(),
            };
            Ok(Resolved {
                base,
                head: Side::Index,
                base_info,
                head_info: word_info("index"),
            })
        }
        RangeSpec::Default => {
            require_workdir(repo)?;
            let head = head_commit(repo)?.ok_or_else(|| no_commits(repo))?;
            let (base_oid, name) = match default_branch(repo) {
                Some((branch, oid)) => match repo.merge_base(oid, head) {
                    Ok(mb) if mb == head => (head, "HEAD".to_string()),
                    Ok(mb) => (mb, format!("merge-base({branch}, HEAD)")),
                    Err(e) => return Err(merge_base_error(repo, &branch, "HEAD", e)),
                },
                None => (head, "HEAD".to_string()),
            };
            let (base, base_info) = commit_side(repo, base_oid, &name)?;
            Ok(Resolved {
                base,
                head: Side::Workdir,
                base_info,
                head_info: word_info("worktree"),
            })
        }
        RangeSpec::Explicit {
            base,
            head,
            merge_base,
        } => {
            let (head_side, head_info, head_oid) = match head {
                HeadSpec::Workdir => {
                    require_workdir(repo)?;
                    let oid = head_commit(repo)?;
                    (Side::Workdir, word_info("worktree"), oid)
                }
                HeadSpec::Rev(rev) => {
                    let oid = rev_commit(repo, rev)?;
                    let (side, info) = commit_side(repo, oid, rev)?;
                    (side, info, Some(oid))
                }
            };
            let (base_name, base_oid) = match base {
                Some(b) => (b.clone(), rev_commit(repo, b)?),
                None => match default_branch(repo) {
                    Some((branch, oid)) => (branch, oid),
                    None => {
                        return Err(Error::new("no base revision given and no default branch found (origin/HEAD, main or master)")
                            .with_hint("name the base: riskdiff check --base BRANCH"))
                    }
                },
            };
            let head_label = match head {
                HeadSpec::Rev(r) => r.clone(),
                HeadSpec::Workdir => "HEAD".to_string(),
            };
            let use_merge_base = *merge_base || base.is_none();
            let (oid, name) = match (use_merge_base, head_oid) {
                (true, Some(h)) => match repo.merge_base(base_oid, h) {
                    Ok(mb) if mb == base_oid => (mb, base_name),
                    Ok(mb) => (mb, format!("merge-base({base_name}, {head_label})")),
                    Err(e) => return Err(merge_base_error(repo, &base_name, &head_label, e)),
                },
                _ => (base_oid, base_name),
            };
            let (base_side, base_info) = commit_side(repo, oid, &name)?;
            Ok(Resolved {
                base: base_side,
                head: head_side,
                base_info,
                head_info,
            })
        }
    }
}

pub(crate) fn word_info(word: &str) -> RevInfo {
    RevInfo {
        id: word.to_string(),
        short: word.to_string(),
        name: word.to_string(),
    }
}

pub(crate) fn empty_side() -> (Side, RevInfo) {
    (Side::Empty, word_info("empty"))
}

pub(crate) fn commit_side(repo: &Repository, oid: Oid, name: &str) -> Result<(Side, RevInfo)> {
    let commit = repo
        .find_commit(oid)
        .map_err(|e| Error::git(&format!("cannot read commit {oid}"), e))?;
    let tree = commit.tree_id();
    // The tree must be readable too: a partial clone can have the commit
    // without its trees.
    repo.find_tree(tree).map_err(|e| {
        Error::git(
            &format!("the tree of commit {} ({name}) is missing", short(oid)),
            e,
        )
        .with_hint("the clone is partial or damaged; fetch the full history: git fetch --refetch")
    })?;
    Ok((
        Side::Commit { commit: oid, tree },
        RevInfo {
            id: oid.to_string(),
            short: short(oid),
            name: name.to_string(),
        },
    ))
}

pub fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

fn require_workdir(repo: &Repository) -> Result<()> {
    if repo.workdir().is_none() {
        return Err(
            Error::new("this is a bare repository: it has no working tree to compare")
                .with_hint("compare two revisions instead: riskdiff check main..BRANCH"),
        );
    }
    Ok(())
}

/// HEAD's commit, `None` when HEAD is unborn (no commit yet on its branch).
pub(crate) fn head_commit(repo: &Repository) -> Result<Option<Oid>> {
    match repo.head() {
        Ok(r) => match r.peel_to_commit() {
            Ok(c) => Ok(Some(c.id())),
            Err(e) => Err(Error::git("HEAD does not point at a commit", e)),
        },
        Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {
            Ok(None)
        }
        Err(e) => Err(Error::git("cannot read HEAD", e)),
    }
}

pub(crate) fn no_commits(repo: &Repository) -> Error {
    let branch = repo
        .find_reference("HEAD")
        .ok()
        .and_then(|r| {
            r.symbolic_target()
                .ok()
                .flatten()
                .map(|s| s.trim_start_matches("refs/heads/").to_string())
        })
        .unwrap_or_else(|| "HEAD".to_string());
    if repo.is_empty().unwrap_or(false) {
        Error::new("the repository has no commits yet: there is nothing to compare against")
            .with_hint("check what you are about to commit with `riskdiff check --staged`")
    } else {
        Error::new(format!("HEAD points at branch `{branch}`, which has no commits yet"))
            .with_hint("check out a branch with commits, or check what you are about to commit with `riskdiff check --staged`")
    }
}

/// The default branch: what origin/HEAD points at, else main, else master
/// (local first, then origin's).
pub(crate) fn default_branch(repo: &Repository) -> Option<(String, Oid)> {
    if let Ok(r) = repo.find_reference("refs/remotes/origin/HEAD") {
        if let Ok(resolved) = r.resolve() {
            if let (Some(oid), Ok(name)) = (resolved.target(), resolved.shorthand()) {
                return Some((name.to_string(), oid));
            }
        }
    }
    for name in [
        "refs/heads/main",
        "refs/heads/master",
        "refs/remotes/origin/main",
        "refs/remotes/origin/master",
    ] {
        if let Ok(r) = repo.find_reference(name) {
            if let (Ok(c), Ok(short)) = (r.peel_to_commit(), r.shorthand()) {
                return Some((short.to_string(), c.id()));
            }
        }
    }
    None
}

pub(crate) fn shallow_hint() -> String {
    "this clone is shallow: fetch more history with `git fetch --deepen=200` (or `git fetch --unshallow`);\n\
     in GitHub Actions set `fetch-depth: 0` on actions/checkout, in GitLab CI set `GIT_DEPTH: 0`"
        .to_string()
}

/// A revision as a commit id, with an error that says what to do.
pub(crate) fn rev_commit(repo: &Repository, rev: &str) -> Result<Oid> {
    let obj = match repo.revparse_single(rev) {
        Ok(o) => o,
        Err(e) => {
            let shallow = repo.is_shallow();
            let mut err = Error::new(format!("unknown revision `{rev}`: {}", e.message()));
            err = if shallow {
                Error::new(format!("revision `{rev}` is not in this clone"))
                    .with_hint(shallow_hint())
            } else if rev.contains('/') {
                err.with_hint(format!(
                    "check the name with `git rev-parse {rev}`; a remote branch must be fetched first (`git fetch origin`)"
                ))
            } else {
                err.with_hint(format!("check the name with `git rev-parse {rev}`"))
            };
            return Err(err);
        }
    };
    match obj.peel_to_commit() {
        Ok(c) => Ok(c.id()),
        Err(e) if repo.is_shallow() => {
            Err(Error::git(&format!("cannot read commit `{rev}`"), e).with_hint(shallow_hint()))
        }
        Err(_) => Err(Error::new(format!(
            "`{rev}` is not a commit (it is a {})",
            obj.kind().map_or("unknown object", |k| k.str())
        ))
        .with_hint("name a branch, tag or commit")),
    }
}

pub(crate) fn merge_base_error(repo: &Repository, a: &str, b: &str, e: git2::Error) -> Error {
    if repo.is_shallow() {
        Error::new(format!("cannot find the merge-base of `{a}` and `{b}`: the history that joins them is not in this clone"))
            .with_hint(shallow_hint())
    } else if e.code() == ErrorCode::NotFound {
        Error::new(format!("`{a}` and `{b}` have no common ancestor")).with_hint(format!(
            "compare the two commits directly: riskdiff check {a}..{b}"
        ))
    } else {
        Error::git(
            &format!("cannot compute the merge-base of `{a}` and `{b}`"),
            e,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_range_syntax() {
        assert_eq!(
            RangeSpec::parse_positional("main..feature").unwrap(),
            RangeSpec::Explicit {
                base: Some("main".into()),
                head: HeadSpec::Rev("feature".into()),
                merge_base: false
            }
        );
        assert_eq!(
            RangeSpec::parse_positional("main...").unwrap(),
            RangeSpec::Explicit {
                base: Some("main".into()),
                head: HeadSpec::Rev("HEAD".into()),
                merge_base: true
            }
        );
        assert_eq!(
            RangeSpec::parse_positional("v1.0").unwrap(),
            RangeSpec::Explicit {
                base: Some("v1.0".into()),
                head: HeadSpec::Workdir,
                merge_base: false
            }
        );
        assert!(RangeSpec::parse_positional("").is_err());
    }
}
