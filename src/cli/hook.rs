//! `riskdiff install-hook`: a pre-commit hook where git will run it.
//!
//! Git runs hooks from `core.hooksPath` when it is set (relative to the
//! working tree), else from the `hooks` folder of the common git directory,
//! which linked worktrees share: `git rev-parse --git-path hooks`. A hook
//! manager (husky, lefthook, pre-commit) owns that folder and rewrites it,
//! so riskdiff says what to add to the manager's configuration instead. A
//! hook someone else wrote is never replaced without `--force`, and then it
//! is kept beside as `pre-commit.riskdiff-backup`.

use crate::error::Error;
use git2::Repository;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The line by which `install-hook` recognises a hook it wrote.
const HOOK_MARKER: &str = "# installed by riskdiff install-hook";

/// The command every hook and hook manager should run.
const COMMAND: &str = "riskdiff check --staged";

pub(super) fn install_hook(repo: &Path, force: bool, stdout: &mut dyn Write) -> Result<i32, Error> {
    let io = Error::output;
    let git = crate::pipeline::revisions::open(repo)?;
    let hooks = hooks_dir(&git)?;
    let hook = hooks.join("pre-commit");
    if hook
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(Error::new(format!(
            "{} is a symbolic link; riskdiff never writes through or replaces a link",
            hook.display()
        ))
        .with_hint(format!(
            "remove the link, or add `{COMMAND}` to the hook it points to yourself"
        )));
    }
    let existing = existing_hook(&hook)?;
    if let Some(manager) = hook_manager(&git, &hooks, existing.as_ref()) {
        if !force {
            return Err(manager.refusal(&hooks));
        }
    }
    let mut notes = Vec::new();
    match existing {
        Some(Existing::Ours) | None => {}
        Some(Existing::Foreign(_)) if !force => {
            return Err(Error::new(format!(
                "{} exists and was not written by riskdiff",
                hook.display()
            ))
            .with_hint(format!(
                "add `{COMMAND}` to it yourself, or pass --force to replace it (it is kept as pre-commit.riskdiff-backup)"
            )));
        }
        Some(Existing::Foreign(_)) => {
            let backup = back_up(&hook)?;
            notes.push(format!("kept the previous hook as {}", backup.display()));
        }
    }
    let (binary, how) = riskdiff_binary();
    std::fs::create_dir_all(&hooks)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", hooks.display())))?;
    // Like every file riskdiff writes for a repository: never through a
    // link, atomically.
    crate::pipeline::repo_files::write(
        &hooks,
        "pre-commit",
        hook_script(binary.as_deref()).as_bytes(),
        0o755,
        crate::pipeline::repo_files::Existing::Replace,
    )?;
    writeln!(stdout, "wrote {}", hook.display()).map_err(io)?;
    match binary {
        Some(b) => writeln!(
            stdout,
            "it runs {} ({how}); after moving or rebuilding riskdiff elsewhere, run install-hook again",
            b.display()
        ),
        None => writeln!(
            stdout,
            "it runs `riskdiff` from PATH ({how}): put riskdiff on PATH, e.g. `cargo install --locked --path .` in its clone"
        ),
    }
    .map_err(io)?;
    for n in notes {
        writeln!(stdout, "{n}").map_err(io)?;
    }
    Ok(0)
}

/// Where git looks for hooks: `core.hooksPath` (relative to the working
/// tree, `~` expanded), else `hooks` in the common git directory.
fn hooks_dir(git: &Repository) -> Result<PathBuf, Error> {
    let config = git
        .config()
        .map_err(|e| Error::git("cannot read the git configuration", e))?;
    match config.get_path("core.hooksPath") {
        Ok(p) if !p.as_os_str().is_empty() => {
            if p.is_absolute() {
                Ok(p)
            } else {
                // Git runs hooks from the top of the working tree.
                Ok(git.workdir().unwrap_or_else(|| git.path()).join(p))
            }
        }
        Ok(_) => Ok(git.commondir().join("hooks")),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(git.commondir().join("hooks")),
        Err(e) => Err(Error::git("cannot read core.hooksPath", e)),
    }
}

enum Existing {
    Ours,
    Foreign(String),
}

/// The hook already there, if any. A symlink counts as someone else's
/// hook: riskdiff never writes through one.
fn existing_hook(hook: &Path) -> Result<Option<Existing>, Error> {
    let fail = |e: std::io::Error| Error::new(format!("cannot read {}: {e}", hook.display()));
    match std::fs::symlink_metadata(hook) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(e)),
        Ok(m) if m.file_type().is_symlink() => Ok(Some(Existing::Foreign(String::new()))),
        Ok(m) if !m.is_file() => Err(Error::new(format!(
            "{} exists and is not a file",
            hook.display()
        ))),
        Ok(_) => {
            let bytes = std::fs::read(hook).map_err(fail)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Ok(Some(if text.contains(HOOK_MARKER) {
                Existing::Ours
            } else {
                Existing::Foreign(text)
            }))
        }
    }
}

/// A tool that owns the repository's hooks and rewrites them.
#[derive(Debug, PartialEq, Eq)]
enum Manager {
    Husky,
    Lefthook(String),
    PreCommit,
}

const LEFTHOOK_FILES: &[&str] = &[
    "lefthook.yml",
    "lefthook.yaml",
    ".lefthook.yml",
    ".lefthook.yaml",
    "lefthook.toml",
    "lefthook.json",
];

fn hook_manager(git: &Repository, hooks: &Path, existing: Option<&Existing>) -> Option<Manager> {
    let top = git.workdir();
    let has = |name: &str| top.is_some_and(|t| t.join(name).symlink_metadata().is_ok());
    let script = match existing {
        Some(Existing::Foreign(text)) => text.as_str(),
        _ => "",
    };
    let in_husky = hooks.components().any(|c| c.as_os_str() == ".husky");
    if in_husky || has(".husky") || script.contains("husky") {
        return Some(Manager::Husky);
    }
    if let Some(file) = LEFTHOOK_FILES.iter().find(|f| has(f)) {
        return Some(Manager::Lefthook(file.to_string()));
    }
    if script.contains("lefthook") {
        return Some(Manager::Lefthook("lefthook.yml".to_string()));
    }
    if script.contains("pre-commit.com") || script.contains("generated by pre-commit") {
        return Some(Manager::PreCommit);
    }
    None
}

impl Manager {
    fn refusal(&self, hooks: &Path) -> Error {
        let (who, what) = match self {
            Manager::Husky => (
                "husky",
                format!("add the line `{COMMAND}` to .husky/pre-commit"),
            ),
            Manager::Lefthook(file) => (
                "lefthook",
                format!(
                    "add to {file}:\n  pre-commit:\n    commands:\n      riskdiff:\n        run: {COMMAND}"
                ),
            ),
            Manager::PreCommit => (
                "the pre-commit framework",
                "add to .pre-commit-config.yaml the riskdiff repository with `hooks: [{id: riskdiff}]`".to_string(),
            ),
        };
        Error::new(format!(
            "{who} manages this repository's git hooks ({}): a hook written there would be replaced or never run",
            hooks.display()
        ))
        .with_hint(format!(
            "{what}; or pass --force to write the hook anyway"
        ))
    }
}

/// Moves a foreign hook aside: `pre-commit.riskdiff-backup`, or the first
/// free `…-backup.N` when that exists already.
fn back_up(hook: &Path) -> Result<PathBuf, Error> {
    let name = |n: usize| {
        let mut s = hook.as_os_str().to_owned();
        s.push(".riskdiff-backup");
        if n > 1 {
            s.push(format!(".{n}"));
        }
        PathBuf::from(s)
    };
    let backup = (1..1000)
        .map(name)
        .find(|p| p.symlink_metadata().is_err())
        .ok_or_else(|| Error::new(format!("too many backups of {}", hook.display())))?;
    std::fs::rename(hook, &backup).map_err(|e| {
        Error::new(format!(
            "cannot move {} to {}: {e}",
            hook.display(),
            backup.display()
        ))
    })?;
    Ok(backup)
}

/// The binary the hook should run: this one, else `riskdiff` found on PATH;
/// `None` runs whatever `riskdiff` is on PATH at commit time. Also says
/// where the path came from.
fn riskdiff_binary() -> (Option<PathBuf>, &'static str) {
    let usable = |p: &Path| p.is_absolute() && p.is_file() && p.to_str().is_some();
    if let Ok(exe) = std::env::current_exe() {
        if usable(&exe) {
            return (Some(exe), "the binary that installed the hook");
        }
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("riskdiff"))
            .find(|p| usable(p))
    });
    match on_path {
        Some(p) => (Some(p), "found on PATH"),
        None => (None, "this binary's path could not be recorded"),
    }
}

/// `'it'\''s'`: a word for sh, whatever it holds.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn hook_script(binary: Option<&Path>) -> String {
    let recorded = binary.and_then(Path::to_str).unwrap_or("riskdiff");
    format!(
        "#!/bin/sh
{HOOK_MARKER}
# Checks what the next commit will hold. Skip once with `git commit --no-verify`.
riskdiff={}
command -v \"$riskdiff\" >/dev/null 2>&1 || riskdiff=riskdiff
if ! command -v \"$riskdiff\" >/dev/null 2>&1; then
  echo \"riskdiff hook: riskdiff is neither at the recorded path nor on PATH; run riskdiff install-hook again, or commit with --no-verify\" >&2
  exit 1
fi
exec \"$riskdiff\" check --staged
",
        sh_quote(recorded)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(sh_quote("/a b/it's"), "'/a b/it'\\''s'");
        let script = hook_script(Some(Path::new("/opt/my tools/riskdiff")));
        assert!(script.contains("riskdiff='/opt/my tools/riskdiff'\n"));
        assert!(script.contains(HOOK_MARKER));
        assert!(hook_script(None).contains("riskdiff='riskdiff'\n"));
    }
}
