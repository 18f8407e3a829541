//! Where users run riskdiff: inline suppression, acknowledgements, the git
//! init and the output switches, driven through the real binary (the git
//! hook and pre-commit: `hooks.rs`).

mod common;

use common::{run_bin, TestRepo};
use std::path::Path;

const FORM: &str = "<form id=\"contact\" action=\"/send\" method=\"post\">\n  <input name=\"email\" type=\"email\">\n  <textarea name=\"message\"></textarea>\n  <button type=\"submit\">Send</button>\n</form>\n";

/// A repository whose last commit removes the contact form from `path`;
/// `above` is put on the line above the form in base.
fn removed_form(path: &str, above: &str) -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write(
        path,
        format!("<h1>Contact</h1>\n{above}\n{FORM}<p>Bye</p>\n"),
    );
    repo.commit("with form");
    repo.write(path, format!("<h1>Contact</h1>\n{above}\n<p>Bye</p>\n"));
    repo.commit("without form");
    repo
}

fn findings(dir: &Path) -> (i32, Vec<serde_json::Value>, String) {
    let (code, out, err) = run_bin(dir, &["check", "HEAD~1..HEAD", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let list = v["findings"].as_array().cloned().unwrap_or_default();
    (code, list, out)
}

fn rules_of(list: &[serde_json::Value]) -> Vec<String> {
    list.iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn unsuppressed_removal_is_reported() {
    let repo = removed_form("contact.html", "<!-- nothing here -->");
    let (code, list, _) = findings(repo.path());
    assert_eq!(code, 1);
    assert!(rules_of(&list).contains(&"forms/removed".to_string()));
}

#[test]
fn gitattributes_vendored_paths_are_not_analysed() {
    let repo = removed_form("static/lib/payment/demo.html", "");
    let (code, list, _) = findings(repo.path());
    assert_eq!(code, 1, "reported while nothing marks it vendored");
    assert_eq!(rules_of(&list), ["forms/removed"]);
    repo.write(".gitattributes", "static/lib/** linguist-vendored\n");
    let (code, list, out) = findings(repo.path());
    assert_eq!(code, 0, "{out}");
    assert!(list.is_empty(), "{out}");
}

#[test]
fn html_comment_on_the_line_above_suppresses() {
    let repo = removed_form(
        "contact.html",
        "<!-- riskdiff-ignore: forms/removed -- replaced by the booking widget -->",
    );
    let (code, list, out) = findings(repo.path());
    assert_eq!(code, 0, "{out}");
    assert!(list.is_empty(), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["suppressed"], 1, "{out}");
    let (_, human, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--quiet"]);
    assert!(human.contains("1 suppressed"), "{human}");
}

#[test]
fn twig_comment_naming_the_family_suppresses() {
    let repo = removed_form(
        "templates/contact.html.twig",
        "{# riskdiff-ignore: forms -- contact moved to the CRM #}",
    );
    let (code, list, out) = findings(repo.path());
    assert_eq!(code, 0, "{out}");
    assert!(list.is_empty(), "{out}");
}

#[test]
fn suppression_without_reason_is_reported_and_does_not_suppress() {
    let repo = removed_form("contact.html", "<!-- riskdiff-ignore: forms/removed -->");
    let (code, list, out) = findings(repo.path());
    assert_eq!(code, 1, "{out}");
    let rules = rules_of(&list);
    assert!(rules.contains(&"forms/removed".to_string()), "{out}");
    let meta = list
        .iter()
        .find(|f| f["rule"] == "riskdiff/suppression-without-reason")
        .unwrap_or_else(|| panic!("no meta finding: {out}"));
    assert_eq!(meta["severity"], "low");
    let (_, explain, _) = run_bin(
        repo.path(),
        &["explain", "riskdiff/suppression-without-reason"],
    );
    assert!(explain.contains("## How to fix"), "{explain}");
}

fn fingerprint_of(dir: &Path, rule: &str) -> String {
    let (_, list, out) = findings(dir);
    list.iter()
        .find(|f| f["rule"] == rule)
        .and_then(|f| f["fingerprint"].as_str())
        .unwrap_or_else(|| panic!("no {rule}: {out}"))
        .to_string()
}

#[test]
fn ack_then_check_passes_and_survives_shifted_lines() {
    let repo = removed_form("contact.html", "<p>intro</p>");
    let fp = fingerprint_of(repo.path(), "forms/removed");
    let (code, out, err) = run_bin(
        repo.path(),
        &["ack", &fp, "--reason", "retired on purpose", "HEAD~1..HEAD"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let file = std::fs::read_to_string(repo.path().join(".riskdiff/acknowledged.toml")).unwrap();
    assert!(
        file.contains(&fp) && file.contains("forms/removed") && file.contains("retired on purpose"),
        "{file}"
    );
    assert!(file.contains("author = "), "{file}");

    let (code, list, out) = findings(repo.path());
    assert_eq!(code, 0, "{out}");
    assert!(
        list.iter()
            .any(|f| f["fingerprint"] == fp.as_str() && f["acknowledged"] == true),
        "{out}"
    );
    let (code, human, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 0);
    assert!(human.contains("[acknowledged]"), "{human}");

    // The same removal after an unrelated edit that shifts every line of
    // the page: same fingerprint, still acknowledged.
    let mut old = TestRepo::new();
    old.write(
        "contact.html",
        format!("<h1>Contact</h1>\n<p>a</p>\n<p>b</p>\n<p>intro</p>\n{FORM}<p>Bye</p>\n"),
    );
    old.commit("with form");
    let shifted = "<h1>Contact</h1>\n<p>a</p>\n<p>b</p>\n<p>intro</p>\n<p>Bye</p>\n";
    old.write("contact.html", shifted);
    old.write(".riskdiff/acknowledged.toml", &file);
    old.commit("without form");
    assert_eq!(fingerprint_of(old.path(), "forms/removed"), fp);
    let (code, _, out) = findings(old.path());
    assert_eq!(code, 0, "{out}");
}

#[test]
fn ack_of_an_unknown_fingerprint_is_an_error_with_a_hint() {
    let repo = removed_form("contact.html", "<p>x</p>");
    let (code, _, err) = run_bin(
        repo.path(),
        &["ack", "0000000000000000", "--reason", "x", "HEAD~1..HEAD"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no finding with fingerprint") && err.contains("riskdiff check"),
        "{err}"
    );
}

#[test]
fn ack_prune_removes_stale_entries() {
    let repo = removed_form("contact.html", "<p>x</p>");
    let fp = fingerprint_of(repo.path(), "forms/removed");
    repo.write(
        ".riskdiff/acknowledged.toml",
        format!(
            "[[acknowledged]]\nfingerprint = \"{fp}\"\nrule = \"forms/removed\"\npath = \"contact.html\"\nreason = \"kept\"\nauthor = \"a\"\ndate = \"2026-01-01\"\n\n\
             [[acknowledged]]\nfingerprint = \"ffffffffffffffff\"\nrule = \"forms/removed\"\npath = \"gone.html\"\nreason = \"old\"\nauthor = \"a\"\ndate = \"2026-01-01\"\n"
        ),
    );
    let (code, out, err) = run_bin(repo.path(), &["ack", "--prune", "HEAD~1..HEAD"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("removed ffffffffffffffff") && out.contains("gone.html"),
        "{out}"
    );
    let file = std::fs::read_to_string(repo.path().join(".riskdiff/acknowledged.toml")).unwrap();
    assert!(
        file.contains(&fp) && !file.contains("ffffffffffffffff"),
        "{file}"
    );
}

#[test]
fn broken_ack_file_shows_the_line() {
    let repo = removed_form("contact.html", "<p>x</p>");
    repo.write(
        ".riskdiff/acknowledged.toml",
        "[[acknowledged]]\nfingerprint = 12\n",
    );
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("acknowledged.toml:2") && err.contains("fingerprint = 12"),
        "{err}"
    );
}

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let repo = removed_form("contact.html", "<p>x</p>");
    let (code, _, err) = run_bin(repo.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(repo.path().join("riskdiff.toml")).unwrap();
    for key in [
        "fail_on",
        "exclude",
        "no_default_excludes",
        "[rules]",
        "[forms]",
    ] {
        assert!(text.contains(key), "{key} missing:\n{text}");
    }
    // All commented out: the check behaves as without a file.
    assert_eq!(run_bin(repo.path(), &["check", "HEAD~1..HEAD"]).0, 1);
    let (code, _, err) = run_bin(repo.path(), &["init"]);
    assert_eq!(code, 2);
    assert!(err.contains("exists"), "{err}");
}

#[test]
fn color_and_quiet_switches_behave() {
    let repo = removed_form("contact.html", "<p>x</p>");
    let (_, plain, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--color", "never"]);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    // run_bin sets NO_COLOR; auto on a pipe stays plain too.
    let (_, auto, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert!(!auto.contains('\u{1b}'));
    let (_, always, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--color", "always"]);
    assert!(always.contains('\u{1b}'), "{always}");
    let (code, quiet, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--quiet"]);
    assert_eq!(code, 1);
    assert_eq!(quiet.lines().count(), 1, "{quiet}");
}
