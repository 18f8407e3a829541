//! Hooks git actually runs: `install-hook` where git looks for hooks
//! (core.hooksPath, linked worktrees), never over a hook manager or a
//! foreign hook, running the binary that installed it; and the pre-commit
//! framework's hook definition, driven by the real `pre-commit`.

mod common;

use common::{run_bin, TestRepo};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FORM: &str = "<form id=\"contact\" action=\"/send\" method=\"post\">\n  <input name=\"email\" type=\"email\">\n  <textarea name=\"message\"></textarea>\n  <button type=\"submit\">Send</button>\n</form>\n";

/// A repository with one commit holding a page with a contact form.
fn site() -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write("contact.html", format!("<h1>Contact</h1>\n{FORM}"));
    repo.commit("site with a form");
    repo
}

/// PATH without any folder holding a `riskdiff`: hooks must not depend on
/// one being installed.
fn path_without_riskdiff() -> std::ffi::OsString {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&paths)
        .filter(|d| !d.join("riskdiff").exists())
        .collect();
    std::env::join_paths(kept).unwrap()
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .env("PATH", path_without_riskdiff())
        .args([
            "-c",
            "user.name=riskdiff tests",
            "-c",
            "user.email=tests@riskdiff.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run git")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Removes the form in `dir` and tries to commit it with git: the hook
/// must run and stop the commit.
fn assert_commit_blocked(dir: &Path) {
    std::fs::write(
        dir.join("contact.html"),
        "<h1>Contact</h1>\n<p>Call us.</p>\n",
    )
    .unwrap();
    assert!(git(dir, &["add", "contact.html"]).status.success());
    let commit = git(dir, &["commit", "-m", "drop the form"]);
    let out = text(&commit);
    assert!(!commit.status.success(), "the hook did not run:\n{out}");
    assert!(out.contains("forms/removed"), "{out}");
}

fn install(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["install-hook"];
    args.extend_from_slice(extra);
    run_bin(dir, &args)
}

#[test]
fn the_hook_runs_the_installing_binary_and_blocks_the_commit() {
    let repo = site();
    let (code, out, err) = install(repo.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let hook = repo.path().join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).unwrap();
    let bin = std::fs::canonicalize(env!("CARGO_BIN_EXE_riskdiff")).unwrap();
    let bin = bin.to_str().unwrap();
    assert!(script.contains(&format!("riskdiff='{bin}'")), "{script}");
    assert!(script.contains("check --staged"), "{script}");
    assert!(out.contains(&hook.display().to_string()), "{out}");
    assert!(
        out.contains(bin),
        "the output names the binary the hook runs: {out}"
    );
    // Its own hook it may rewrite.
    assert_eq!(install(repo.path(), &[]).0, 0);
    // Git runs it, with riskdiff nowhere on PATH.
    assert_commit_blocked(repo.path());
}

#[test]
fn core_hooks_path_is_where_the_hook_goes() {
    let repo = site();
    assert!(git(repo.path(), &["config", "core.hooksPath", ".githooks"])
        .status
        .success());
    let (code, out, err) = install(repo.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".githooks"), "{out}");
    assert!(repo.path().join(".githooks/pre-commit").is_file());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    assert_commit_blocked(repo.path());
}

#[test]
fn a_linked_worktree_uses_the_hooks_of_the_main_repository() {
    let repo = site();
    let holder = tempfile::tempdir().unwrap();
    let wt: PathBuf = holder.path().join("wt");
    let add = git(
        repo.path(),
        &["worktree", "add", "-b", "feature", wt.to_str().unwrap()],
    );
    assert!(add.status.success(), "{}", text(&add));
    let (code, out, err) = install(&wt, &[]);
    assert_eq!(code, 0, "{err}");
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert!(hook.is_file(), "{out}");
    assert!(!repo.path().join(".git/worktrees/wt/hooks").exists());
    assert_commit_blocked(&wt);
}

#[test]
fn a_foreign_hook_is_kept_unless_forced_and_then_backed_up() {
    let repo = site();
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\nmake lint\n").unwrap();
    let (code, _, err) = install(repo.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not written by riskdiff") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nmake lint\n"
    );
    let (code, out, err) = install(repo.path(), &["--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pre-commit.riskdiff-backup"), "{out}");
    let backup = repo.path().join(".git/hooks/pre-commit.riskdiff-backup");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        "#!/bin/sh\nmake lint\n"
    );
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("installed by riskdiff"));
    // A second foreign hook never overwrites the first backup.
    std::fs::write(&hook, "#!/bin/sh\nmake test\n").unwrap();
    assert_eq!(install(repo.path(), &["--force"]).0, 0);
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        "#!/bin/sh\nmake lint\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit.riskdiff-backup.2"))
            .unwrap(),
        "#!/bin/sh\nmake test\n"
    );
}

/// `install-hook` refuses, says what to add to the manager's config, and
/// writes nothing.
fn assert_refused(repo: &TestRepo, hook: &Path, before: Option<&str>, wants: &[&str]) {
    let (code, out, err) = install(repo.path(), &[]);
    assert_eq!(code, 2, "{out}{err}");
    for w in wants {
        assert!(err.contains(w), "`{w}` missing: {err}");
    }
    assert_eq!(std::fs::read_to_string(hook).ok().as_deref(), before);
}

#[test]
fn hook_managers_are_left_in_charge() {
    // husky: core.hooksPath points into .husky/.
    let repo = site();
    repo.write(".husky/pre-commit", "npm test\n");
    assert!(git(repo.path(), &["config", "core.hooksPath", ".husky/_"])
        .status
        .success());
    let hook = repo.path().join(".husky/_/pre-commit");
    assert_refused(
        &repo,
        &hook,
        None,
        &["husky", ".husky/pre-commit", "riskdiff check --staged"],
    );

    // lefthook: its configuration at the top of the working tree.
    let repo = site();
    repo.write("lefthook.yml", "pre-commit:\n  commands: {}\n");
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert_refused(
        &repo,
        &hook,
        None,
        &["lefthook", "lefthook.yml", "run: riskdiff check --staged"],
    );

    // pre-commit: its own hook script is installed.
    let repo = site();
    let script = "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexec pre-commit hook-impl\n";
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, script).unwrap();
    assert_refused(
        &repo,
        &hook,
        Some(script),
        &["pre-commit", ".pre-commit-config.yaml", "id: riskdiff"],
    );
    // --force writes anyway and keeps the manager's script.
    assert_eq!(install(repo.path(), &["--force"]).0, 0);
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit.riskdiff-backup")).unwrap(),
        script
    );
}

/// The hook definitions of `.pre-commit-hooks.yaml`, verbatim, as a local
/// repository of `.pre-commit-config.yaml`: `language: rust` would make
/// pre-commit build this crate inside the test (minutes), so it becomes
/// `language: system` with the binary cargo built.
fn pre_commit_config() -> String {
    let defs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    assert!(defs.contains("language: rust\n"), "{defs}");
    assert!(defs.contains("entry: riskdiff "), "{defs}");
    let defs = defs
        .replace("language: rust\n", "language: system\n")
        .replace(
            "entry: riskdiff ",
            &format!("entry: {} ", env!("CARGO_BIN_EXE_riskdiff")),
        );
    let hooks: String = defs
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("    {l}\n"))
        .collect();
    format!("repos:\n- repo: local\n  hooks:\n{hooks}")
}

/// Runs the real `pre-commit`, with its cache in `home`; fails the test
/// loudly when it is not installed.
fn pre_commit(dir: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new("pre-commit")
        .args(args)
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .output()
        .expect(
            "`pre-commit` is not on PATH: pip install pre-commit (these tests drive the real tool)",
        )
}

#[test]
#[ignore = "drives the real pre-commit (pip install pre-commit); .ci/run runs it with --include-ignored"]
fn pre_commit_blocks_a_commit_that_removes_a_form() {
    let mut repo = site();
    let home = tempfile::tempdir().unwrap();
    repo.write(".pre-commit-config.yaml", pre_commit_config());
    repo.commit("pre-commit config");
    let install = pre_commit(repo.path(), home.path(), &["install"]);
    assert!(install.status.success(), "{}", text(&install));
    assert_commit_blocked(repo.path());
}

#[test]
#[ignore = "drives the real pre-commit (pip install pre-commit); .ci/run runs it with --include-ignored"]
fn pre_commit_from_and_to_refs_compare_the_two() {
    let mut repo = site();
    let home = tempfile::tempdir().unwrap();
    repo.write(".pre-commit-config.yaml", pre_commit_config());
    repo.commit("pre-commit config");
    repo.write("contact.html", "<h1>Contact</h1>\n<p>Call us.</p>\n");
    repo.commit("drop the form");
    // The index is clean: only the refs can show the removal.
    let run = |args: &[&str]| {
        let out = pre_commit(repo.path(), home.path(), args);
        (out.status.success(), text(&out))
    };
    for stage in ["pre-commit", "pre-push", "manual"] {
        let (ok, out) = run(&[
            "run",
            "--hook-stage",
            stage,
            "--from-ref",
            "HEAD~1",
            "--to-ref",
            "HEAD",
        ]);
        assert!(!ok, "{stage}: passed:\n{out}");
        assert!(out.contains("forms/removed"), "{stage}: {out}");
    }
    // Without refs it checks the index, which holds nothing new.
    let (ok, out) = run(&["run", "--all-files"]);
    assert!(ok, "{out}");
    // Refs over a harmless change pass.
    let (ok, out) = run(&["run", "--from-ref", "HEAD~2", "--to-ref", "HEAD~1"]);
    assert!(ok, "{out}");
}
