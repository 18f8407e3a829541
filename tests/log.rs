//! `riskdiff log` end to end on a small history: a risk brought in and kept,
//! one brought in and reverted, a clean commit, and a merge whose branch
//! disabled a submit button.

mod common;

use common::{run_bin, TestRepo};
use git2::Oid;

const CONTACT: &str = "<form id=\"anfrage\" action=\"send.php\" method=\"post\">\n  <textarea name=\"message\" required></textarea>\n  <button type=\"submit\">Senden</button>\n</form>\n";
const NEWSLETTER: &str = "<form id=\"newsletter\" action=\"subscribe.php\" method=\"post\">\n  <input type=\"email\" name=\"email\" required>\n  <button type=\"submit\">Abonnieren</button>\n</form>\n";
const BOOKING: &str = "<form id=\"buchen\" action=\"book.php\" method=\"post\">\n  <input type=\"email\" name=\"email\" required>\n  <button type=\"submit\">Buchen</button>\n</form>\n";

/// The history, oldest first:
///   base       three pages with forms
///   clean      a stylesheet
///   remove     the contact form deleted (kept to the end)
///   hide       the newsletter form hidden …
///   revert     … and shown again
///   merge      a branch whose commit disabled the booking button
struct History {
    repo: TestRepo,
    base: Oid,
    branch_commit: Oid,
}

fn history() -> History {
    let mut repo = TestRepo::new();
    for (page, form) in [
        ("contact.html", CONTACT),
        ("newsletter.html", NEWSLETTER),
        ("booking.html", BOOKING),
    ] {
        repo.write(page, form);
    }
    for handler in ["send.php", "subscribe.php", "book.php"] {
        repo.write(handler, "<?php\n");
    }
    let base = repo.commit("base: three pages with forms");
    repo.write("style.css", "body { color: #333; }\n");
    repo.commit("clean: a stylesheet");
    repo.write("contact.html", "<p>Call us.</p>\n");
    repo.commit("remove: the contact form");
    repo.write(
        "newsletter.html",
        NEWSLETTER.replace("<form ", "<form hidden "),
    );
    repo.commit("hide: the newsletter form");
    repo.write("newsletter.html", NEWSLETTER);
    repo.commit("revert: show the newsletter form again");
    repo.branch("before-merge");
    repo.branch("trunk");
    repo.branch("feature");
    repo.checkout("feature");
    repo.write(
        "booking.html",
        BOOKING.replace(
            "<button type=\"submit\">",
            "<button type=\"submit\" disabled>",
        ),
    );
    let branch_commit = repo.commit("feature: disable booking");
    repo.checkout("trunk");
    repo.write(
        "booking.html",
        BOOKING.replace(
            "<button type=\"submit\">",
            "<button type=\"submit\" disabled>",
        ),
    );
    repo.commit_merge("merge: feature", branch_commit);
    History {
        repo,
        base,
        branch_commit,
    }
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn each_finding_is_told_by_the_commit_that_brought_it_and_its_status_at_head() {
    let h = history();
    let range = format!("{}..HEAD", h.base);
    let (code, out, err) = run_bin(h.repo.path(), &["log", &range, "--format", "json"]);
    assert_eq!(code, 1, "a high finding is still present: {err}");
    let doc = json(&out);
    let commits = doc["commits"].as_array().unwrap();
    // First-parent history, newest first: the merge, then main's commits;
    // the branch's own commit is not listed.
    let subjects: Vec<&str> = commits
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "merge: feature",
            "revert: show the newsletter form again",
            "hide: the newsletter form",
            "remove: the contact form",
            "clean: a stylesheet",
        ]
    );
    let rules_of = |i: usize| -> Vec<(String, String)> {
        commits[i]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        rules_of(0),
        [("forms/submit-disabled".to_string(), "present".to_string())]
    );
    assert!(rules_of(1).is_empty(), "showing a form again is no risk");
    assert_eq!(
        rules_of(2),
        [("forms/hidden".to_string(), "undone".to_string())]
    );
    assert_eq!(
        rules_of(3),
        [("forms/removed".to_string(), "present".to_string())]
    );
    assert!(rules_of(4).is_empty());
    assert_eq!(commits[0]["merge"], true);
    let s = &doc["summary"];
    assert_eq!(
        (s["commits"].as_u64(), s["commits_with_findings"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(
        (s["still_present"].as_u64(), s["undone"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (s["high"].as_u64(), s["medium"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(s["failed"], true);
}

#[test]
fn only_what_is_still_present_fails_the_run() {
    let h = history();
    // The hidden newsletter form (medium) was undone: a range that holds
    // it and its revert passes even at --fail-on low.
    let range = format!("{}..before-merge", h.base);
    let (code, out, _) = run_bin(
        h.repo.path(),
        &[
            "log",
            &range,
            "-n",
            "2",
            "--fail-on",
            "low",
            "--format",
            "json",
        ],
    );
    let doc = json(&out);
    assert_eq!(doc["summary"]["undone"], 1);
    assert_eq!(doc["summary"]["still_present"], 0);
    assert_eq!(code, 0);
    let (code, _, _) = run_bin(h.repo.path(), &["log", &range, "--fail-on", "never"]);
    assert_eq!(code, 0);
}

#[test]
fn all_lists_every_non_merge_commit_and_jsonl_ends_with_the_summary() {
    let h = history();
    let range = format!("{}..HEAD", h.base);
    let (_, out, _) = run_bin(
        h.repo.path(),
        &["log", &range, "--all", "--format", "jsonl"],
    );
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    let (summary, commits) = lines.split_last().unwrap();
    assert_eq!(summary["summary"]["commits"], 5);
    let ids: Vec<&str> = commits.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&h.branch_commit.to_string().as_str()),
        "the branch's commit is listed"
    );
    assert!(
        commits.iter().all(|c| c["merge"] == false),
        "merges are skipped"
    );
}

#[test]
fn max_count_keeps_the_newest_and_reads_the_rest_as_base() {
    let h = history();
    let (_, out, _) = run_bin(
        h.repo.path(),
        &["log", "HEAD", "-n", "1", "--format", "json"],
    );
    let doc = json(&out);
    assert_eq!(doc["commits"].as_array().unwrap().len(), 1);
    // The whole-range check then compares HEAD^ with HEAD.
    assert!(doc["base"]["name"].as_str().unwrap().ends_with('^'));
}

#[test]
fn human_and_markdown_output() {
    let h = history();
    let range = format!("{}..HEAD", h.base);
    let (_, human, _) = run_bin(h.repo.path(), &["log", &range]);
    let human = human
        .replace(&h.base.to_string(), "BASE")
        .replace(&h.base.to_string()[..7], "BASE");
    insta::assert_snapshot!("log_human", human);
    let (_, md, _) = run_bin(h.repo.path(), &["log", &range, "--format", "markdown"]);
    insta::assert_snapshot!(
        "log_markdown",
        md.replace(&h.base.to_string(), "BASE")
            .replace(&h.base.to_string()[..7], "BASE")
    );
}

#[test]
fn a_bad_range_is_a_usage_error() {
    let h = history();
    let (code, _, err) = run_bin(h.repo.path(), &["log", "nope..HEAD"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, err) = run_bin(h.repo.path(), &["log", "--since", "someday"]);
    assert_eq!(code, 2);
    assert!(err.contains("someday"), "{err}");
}

#[test]
fn a_commit_that_cannot_be_read_is_told_and_the_range_goes_on() {
    let mut repo = TestRepo::new();
    repo.write("contact.html", CONTACT);
    repo.write("send.php", "<?php\n");
    let base = repo.commit("base");
    repo.write("contact.html", CONTACT.replace("Senden", "Absenden"));
    repo.commit("reword the button");
    repo.write("contact.html", "<p>Call us.</p>\n");
    repo.commit("remove the form");
    // Lose the blob of the reworded page, as a partial clone or a damaged
    // mirror would.
    let blob = repo
        .repo
        .revparse_single("HEAD~1:contact.html")
        .unwrap()
        .id()
        .to_string();
    let loose = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(loose).unwrap();
    let (code, out, err) = run_bin(
        repo.path(),
        &["log", &format!("{base}..HEAD"), "--format", "jsonl"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("could not be checked"), "{err}");
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    let errors: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l.get("error").is_some()).collect();
    assert!(!errors.is_empty(), "{out}");
    assert_eq!(lines.last().unwrap()["summary"]["errors"], errors.len());
}

#[test]
fn objects_missing_for_the_whole_range_leave_statuses_unknown_not_a_dead_run() {
    let mut repo = TestRepo::new();
    let lines: String = (1..=30).map(|i| format!("<p>line {i}</p>\n")).collect();
    repo.write("a.html", &lines);
    let base = repo.commit("base");
    repo.write("contact.html", CONTACT);
    repo.commit("add the contact form");
    // A rename with an edit: git's rename detection must read the old blob.
    repo.remove("a.html");
    repo.write("b.html", format!("{lines}<p>new</p>\n"));
    repo.commit("rename a page");
    repo.write("contact.html", "<p>Call us.</p>\n");
    repo.commit("remove the contact form");
    let blob = repo
        .repo
        .revparse_single(&format!("{base}:a.html"))
        .unwrap()
        .id()
        .to_string();
    std::fs::remove_file(
        repo.path()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .unwrap();
    let (code, out, err) = run_bin(
        repo.path(),
        &["log", &format!("{base}..HEAD"), "--format", "json"],
    );
    assert_eq!(code, 2, "one commit could not be checked: {err}");
    let doc = json(&out);
    assert_eq!(doc["whole_range_checked"], false);
    let commits = doc["commits"].as_array().unwrap();
    let removal = &commits[0]["findings"][0];
    assert_eq!(removal["rule"], "forms/removed");
    assert_eq!(removal["status"], "unknown");
    assert!(
        commits[1]["error"].as_str().unwrap().contains("`a.html` (")
            && commits[1]["error"]
                .as_str()
                .unwrap()
                .contains("git diff --stat"),
        "{}",
        commits[1]
    );
    assert_eq!(doc["summary"]["errors"], 1);
}
