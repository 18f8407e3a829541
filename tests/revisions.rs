//! Revision resolution end to end: range syntax, --staged, the working
//! tree, renames, deleted/binary/non-UTF-8 files, shallow clones, and the
//! errors a user meets, each with exit code 2 and a hint.

mod common;

use common::{run_bin, TestRepo};
use riskdiff::pipeline::revisions::{HeadSpec, RangeSpec};
use riskdiff::{run_check, CheckOptions, Report};

const PAGE: &str = r#"<html><body>
<form id="anfrage" action="anfrage.php" method="post">
  <input name="email" type="email" required>
  <button type="submit">Senden</button>
</form>
</body></html>
"#;

const NO_FORM: &str = "<html><body><p>Rufen Sie an.</p></body></html>\n";

fn rules(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.rule.as_str()).collect()
}

fn check(repo: &TestRepo, range: RangeSpec) -> Report {
    run_check(&CheckOptions::new(repo.path(), range)).unwrap_or_else(|e| panic!("{e}"))
}

fn explicit(base: &str, head: &str, merge_base: bool) -> RangeSpec {
    RangeSpec::Explicit {
        base: Some(base.into()),
        head: HeadSpec::Rev(head.into()),
        merge_base,
    }
}

/// main: page with a form; branch `update` removes it; main moves on with
/// an unrelated commit.
fn diverged() -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.write("anfrage.php", "<?php mail('a@b.de', 'x', 'y');\n");
    repo.commit("site");
    repo.branch("update");
    repo.checkout("update");
    repo.write("kontakt.html", NO_FORM);
    repo.commit("remove form");
    repo.checkout("main");
    repo.write("kontakt.html", PAGE.replace("Senden", "Absenden"));
    repo.commit("wording on main");
    repo
}

#[test]
fn two_dot_and_three_dot_ranges_follow_git() {
    let repo = diverged();
    // A...B: merge-base(main, update) vs update: the form removal.
    let report = check(&repo, RangeSpec::parse_positional("main...update").unwrap());
    assert_eq!(rules(&report), ["forms/removed"]);
    assert!(
        report.base.name.starts_with("merge-base(main, update)"),
        "{:?}",
        report.base
    );
    // A..B compares the two commits directly; still a removal.
    let report = check(&repo, RangeSpec::parse_positional("main..update").unwrap());
    assert_eq!(rules(&report), ["forms/removed"]);
    assert_eq!(report.base.name, "main");
    // The reverse direction adds a form: nothing to report.
    let report = check(&repo, RangeSpec::parse_positional("update..main").unwrap());
    assert!(report.findings.is_empty());
}

#[test]
fn base_flag_uses_the_merge_base_with_head() {
    let repo = diverged();
    repo.checkout("update");
    let report = check(&repo, explicit("main", "HEAD", true));
    assert_eq!(rules(&report), ["forms/removed"]);
    assert_eq!(report.head.name, "HEAD");
    assert_eq!(report.base.short.len(), 7);
}

#[test]
fn staged_compares_head_with_the_index_and_ignores_unstaged_edits() {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.commit("site");
    repo.write("kontakt.html", NO_FORM);
    // Not staged yet: --staged sees nothing.
    assert!(check(&repo, RangeSpec::Staged).findings.is_empty());
    repo.stage_all();
    let report = check(&repo, RangeSpec::Staged);
    assert_eq!(rules(&report), ["forms/removed"]);
    assert_eq!(report.head.id, "index");
}

#[test]
fn staged_works_before_the_first_commit() {
    let repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.stage_all();
    let report = check(&repo, RangeSpec::Staged);
    assert!(report.findings.is_empty());
    assert_eq!(report.base.id, "empty");
}

#[test]
fn default_compares_the_working_tree_with_the_default_branch() {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.commit("site");
    repo.branch("feature");
    repo.checkout("feature");
    repo.write(
        "kontakt.html",
        PAGE.replace("action=\"anfrage.php\"", "action=\"#\""),
    );
    repo.commit("feature work");
    // An uncommitted edit on top counts too.
    repo.write("kontakt.html", NO_FORM);
    let report = check(&repo, RangeSpec::Default);
    assert_eq!(rules(&report), ["forms/removed"]);
    assert_eq!(report.head.id, "worktree");
    assert!(report.base.name.contains("main"), "{:?}", report.base);
}

#[test]
fn untracked_pages_in_the_working_tree_are_read_from_disk() {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.write("anfrage.php", "<?php\n");
    repo.commit("site");
    repo.remove("anfrage.php");
    // A new, untracked page whose form posts to the deleted handler.
    repo.write("neu.html", PAGE);
    let report = check(&repo, RangeSpec::Default);
    let mut got = rules(&report);
    got.sort();
    got.dedup();
    assert_eq!(got, ["forms/handler-missing"]);
    assert!(report
        .findings
        .iter()
        .any(|f| f.location.path == "neu.html"));
}

#[test]
fn a_renamed_page_is_not_a_removed_form() {
    let mut repo = TestRepo::new();
    repo.write("site/kontakt.html", PAGE);
    repo.write("site/anfrage.php", "<?php\n");
    repo.commit("site");
    std::fs::rename(
        repo.path().join("site/kontakt.html"),
        repo.path().join("site/contact.html"),
    )
    .unwrap();
    repo.commit("rename");
    let report = check(&repo, explicit("HEAD~1", "HEAD", false));
    assert!(report.findings.is_empty(), "{:?}", rules(&report));
}

#[test]
fn a_restructuring_that_moves_thousands_of_files_still_pairs_the_pages() {
    // Past the similarity cap, unchanged files still pair by blob id: a
    // move of the whole project into `src/` is not 2,100 deleted pages.
    let mut repo = TestRepo::new();
    // A form the cross-page matcher cannot recognise (no id, name or
    // fields), as django-helpdesk's `ticket_dependency_add.html` was.
    repo.write(
        "helpdesk/templates/dependency_add.html",
        "<form method=\"post\" action=\"./\"><input type=\"submit\" value=\"Add\"></form>\n",
    );
    for i in 0..2100 {
        repo.write(&format!("helpdesk/static/f{i}.txt"), format!("file {i}\n"));
    }
    repo.commit("site");
    std::fs::create_dir_all(repo.path().join("src")).unwrap();
    std::fs::rename(
        repo.path().join("helpdesk"),
        repo.path().join("src/helpdesk"),
    )
    .unwrap();
    repo.commit("move everything under src/");
    let report = check(&repo, explicit("HEAD~1", "HEAD", false));
    assert!(report.findings.is_empty(), "{:?}", rules(&report));
}

#[test]
fn a_page_moved_and_edited_among_hundreds_of_added_and_deleted_files_is_paired() {
    // 250 deleted and 250 added files are past the pairs libgit2 is asked
    // to compare (every deleted file with every added one); the page that
    // moved and changed a line still pairs by its name, and is no removed
    // form.
    let mut repo = TestRepo::new();
    // A form the cross-page matcher cannot recognise (no id, name or
    // fields): only the pairing says it moved.
    let page = "<form method=\"post\" action=\"./\"><input type=\"submit\" value=\"Add\"></form>\n";
    repo.write("site/kontakt.html", page);
    for i in 0..250 {
        repo.write(&format!("old/f{i}.txt"), format!("old {i}\n"));
    }
    repo.commit("site");
    for i in 0..250 {
        repo.remove(&format!("old/f{i}.txt"));
        repo.write(&format!("new/g{i}.txt"), format!("new {i}\n"));
    }
    repo.remove("site/kontakt.html");
    repo.write("pages/kontakt.html", format!("<!-- moved -->\n{page}"));
    repo.commit("restructure");
    let report = check(&repo, explicit("HEAD~1", "HEAD", false));
    assert!(report.findings.is_empty(), "{:?}", rules(&report));
}

#[test]
fn a_deleted_page_is_shown_where_it_stood_in_base() {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.commit("site");
    repo.remove("kontakt.html");
    repo.commit("delete");
    let report = check(&repo, explicit("HEAD~1", "HEAD", false));
    let f = &report.findings[0];
    assert_eq!(f.rule, "forms/removed");
    assert_eq!(
        f.location.revision,
        riskdiff::findings::finding::Revision::Base
    );
    assert_eq!(f.location.span.line, 2);
    assert!(report.sources.contains_key(&(
        riskdiff::findings::finding::Revision::Base,
        "kontakt.html".to_string()
    )));
}

#[test]
fn binary_huge_and_non_utf8_files_never_crash_and_are_noted() {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.write("latin1.html", b"<p>Gr\xfc\xdfe</p><form id=\"k\" action=\"k.php\" method=\"post\"><textarea name=\"n\"></textarea><button>Los</button></form>\n");
    repo.commit("site");
    repo.write("logo.html", b"\x00\x01\x02<form>");
    repo.write(
        "big.html",
        format!("<form id=\"x\"></form>{}", "<p>x</p>".repeat(300_000)),
    );
    repo.write("latin1.html", b"<p>Gr\xfc\xdfe!</p>\n");
    repo.commit("odd files");
    let report = check(&repo, explicit("HEAD~1", "HEAD", false));
    // The Latin-1 page lost its form: still analysed.
    assert_eq!(rules(&report), ["forms/removed"]);
    let notes: Vec<String> = report
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.path, n.message))
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("logo.html") && n.contains("binary")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("big.html") && n.contains("larger than")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("latin1.html") && n.contains("Latin-1")),
        "{notes:?}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed() {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.commit("site");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.html"), PAGE).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.html"),
        repo.path().join("link.html"),
    )
    .unwrap();
    let report = check(&repo, RangeSpec::Default);
    assert!(report.findings.is_empty());
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.path == "link.html" && n.message.contains("symbolic link")),
        "{:?}",
        report.notes
    );
}

#[test]
fn errors_exit_2_with_a_hint() {
    let repo = diverged();
    let (code, _, err) = run_bin(repo.path(), &["check", "nope..main"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown revision `nope`") && err.contains("hint:"),
        "{err}"
    );

    let not_a_repo = tempfile::tempdir().unwrap();
    let (code, _, err) = run_bin(not_a_repo.path(), &["check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a git repository") && err.contains("hint:"),
        "{err}"
    );

    let empty = TestRepo::new();
    let (code, _, err) = run_bin(empty.path(), &["check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no commits yet") && err.contains("--staged"),
        "{err}"
    );

    let (code, _, err) = run_bin(repo.path(), &["check", "--base", "main", "--staged"]);
    assert_eq!(code, 2, "{err}");
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git is installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_shallow_clone_missing_the_base_says_how_to_deepen() {
    let repo = diverged();
    let clone_dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git(
        clone_dir.path(),
        &[
            "clone", "--quiet", "--depth", "1", "--branch", "update", &url, "c",
        ],
    );
    let clone = clone_dir.path().join("c");
    // The parent of the only commit is not there.
    let (code, _, err) = run_bin(&clone, &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("shallow")
            && err.contains("git fetch --deepen")
            && err.contains("fetch-depth: 0"),
        "{err}"
    );
    // The merge-base with main is missing too.
    git(
        &clone,
        &["fetch", "--quiet", "--depth", "1", "origin", "main:main"],
    );
    let (code, _, err) = run_bin(&clone, &["check", "--base", "main"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("merge-base") && err.contains("--unshallow"),
        "{err}"
    );
}

#[test]
fn a_single_branch_shallow_clone_says_it_compared_only_the_working_tree() {
    let repo = diverged();
    let clone_dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git(
        clone_dir.path(),
        &[
            "clone", "--quiet", "--depth", "1", "--branch", "update", &url, "c",
        ],
    );
    let clone = clone_dir.path().join("c");
    // No default branch: HEAD against the working tree, which is clean.
    let (code, out, err) = run_bin(&clone, &["check", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["head"]["id"], "worktree");
    assert!(
        err.contains("shallow clone has no default branch")
            && err.contains("only uncommitted changes")
            && err.contains("--base origin/main"),
        "{err}"
    );
}

#[test]
fn a_newcomer_who_committed_on_main_is_told_what_was_compared() {
    let mut repo = TestRepo::new();
    repo.write("kontakt.html", PAGE);
    repo.commit("site");
    repo.write("kontakt.html", NO_FORM);
    repo.commit("remove form");
    let (code, out, err) = run_bin(repo.path(), &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no findings in 0 changed files"), "{out}");
    assert!(
        err.contains("compared HEAD") && err.contains("riskdiff check HEAD~1..HEAD"),
        "{err}"
    );
    // The suggestion finds what the plain check could not.
    assert_eq!(run_bin(repo.path(), &["check", "HEAD~1..HEAD"]).0, 1);
    // With a change in the working tree, or an explicit range: no note.
    repo.write("kontakt.html", PAGE);
    let (_, _, err) = run_bin(repo.path(), &["check"]);
    assert!(!err.contains("note:"), "{err}");
    let (_, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert!(!err.contains("note:"), "{err}");
}
