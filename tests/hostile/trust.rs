//! A pull request that silences its own check: `--trust base` reads
//! riskdiff's own files from the base revision, and every weakening is
//! reported as `riskdiff/config-weakened` either way.

use crate::common::{run_bin, TestRepo};

const FORM: &str = "<form id=\"contact\" action=\"/send\" method=\"post\">\n  <input name=\"email\" type=\"email\">\n  <button type=\"submit\">Send</button>\n</form>\n";

/// A repository whose last commit removes the contact form and writes
/// `files` (riskdiff's own, presumably) alongside.
fn removal_with(files: &[(&str, &str)]) -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write("contact.html", FORM);
    repo.commit("a form");
    repo.write("contact.html", "<p>Write to us.</p>\n");
    for (path, text) in files {
        repo.write(path, text);
    }
    repo.commit("the form goes, and the check with it");
    repo
}

/// (exit code, the findings as (rule, path, message)).
fn check(repo: &TestRepo, extra: &[&str]) -> (i32, Vec<(String, String, String)>) {
    let mut args = vec!["check", "HEAD~1..HEAD", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run_bin(repo.path(), &args);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let findings = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("path"), s("message"))
        })
        .collect();
    (code, findings)
}

fn weakenings(findings: &[(String, String, String)]) -> Vec<(String, String)> {
    findings
        .iter()
        .filter(|(rule, _, _)| rule == "riskdiff/config-weakened")
        .map(|(_, path, message)| (path.clone(), message.clone()))
        .collect()
}

const RULE_OFF: &str = "[rules]\n\"forms/removed\" = \"off\"\n";

#[test]
fn a_rule_switched_off_by_the_change_is_reported() {
    let repo = removal_with(&[("riskdiff.toml", RULE_OFF)]);
    let (code, findings) = check(&repo, &[]);
    assert_eq!(code, 0, "the change's own config applies by default");
    let weak = weakenings(&findings);
    assert_eq!(weak.len(), 1, "{findings:?}");
    assert_eq!(weak[0].0, "riskdiff.toml");
    assert!(
        weak[0].1.contains("`forms/removed` is switched off"),
        "{weak:?}"
    );
}

#[test]
fn trust_base_ignores_the_changes_own_config() {
    let repo = removal_with(&[("riskdiff.toml", RULE_OFF)]);
    let (code, findings) = check(&repo, &["--trust", "base"]);
    assert_eq!(code, 1, "{findings:?}");
    assert!(
        findings.iter().any(|f| f.0 == "forms/removed"),
        "{findings:?}"
    );
    assert_eq!(weakenings(&findings).len(), 1, "{findings:?}");
}

#[test]
fn acknowledgements_added_by_the_change_count_only_without_trust_base() {
    let repo = removal_with(&[]);
    let (_, out, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fingerprint = v["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let acks = format!(
        "[[acknowledged]]\nfingerprint = \"{fingerprint}\"\nrule = \"forms/removed\"\npath = \"contact.html\"\nreason = \"retired\"\nauthor = \"a stranger\"\ndate = \"2026-12-04\"\n"
    );
    let repo = removal_with(&[(".riskdiff/acknowledged.toml", &acks)]);
    let (code, findings) = check(&repo, &[]);
    assert_eq!(code, 0, "{findings:?}");
    let weak = weakenings(&findings);
    assert!(
        weak.len() == 1 && weak[0].1.contains("acknowledges `forms/removed`"),
        "{findings:?}"
    );
    let (code, _) = check(&repo, &["--trust", "base"]);
    assert_eq!(code, 1, "acknowledgements from base only");
}

#[test]
fn excludes_vendored_paths_lowered_severities_and_fail_on_are_reported() {
    let config = "exclude = [\"templates/\"]\nfail_on = \"never\"\n[rules]\nforms = \"low\"\n";
    let repo = removal_with(&[
        ("riskdiff.toml", config),
        (".gitattributes", "*.html linguist-generated\n"),
    ]);
    let (_, findings) = check(&repo, &["--trust", "base"]);
    let weak = weakenings(&findings);
    let said = |path: &str, words: &str| weak.iter().any(|(p, m)| p == path && m.contains(words));
    assert!(said("riskdiff.toml", "excludes `templates/`"), "{weak:?}");
    assert!(said("riskdiff.toml", "loosens `fail_on`"), "{weak:?}");
    assert!(
        said(
            "riskdiff.toml",
            "`forms/removed` is lowered from high to low"
        ),
        "{weak:?}"
    );
    assert!(
        said(".gitattributes", "*.html linguist-generated"),
        "{weak:?}"
    );
}

#[test]
fn a_change_that_tightens_the_check_is_quiet() {
    let config = "fail_on = \"low\"\n[rules]\n\"riskdiff/suppression-without-reason\" = \"high\"\n";
    let repo = removal_with(&[
        ("riskdiff.toml", config),
        (
            ".gitattributes",
            "*.png binary\n*.html -linguist-generated\n",
        ),
    ]);
    let (_, findings) = check(&repo, &[]);
    assert!(weakenings(&findings).is_empty(), "{findings:?}");
}

#[test]
fn trust_base_never_follows_a_link_in_base() {
    let mut repo = TestRepo::new();
    repo.write("contact.html", FORM);
    std::os::unix::fs::symlink("/etc/passwd", repo.path().join("riskdiff.toml")).unwrap();
    repo.commit("a linked config");
    repo.write("contact.html", "<p>Write to us.</p>\n");
    repo.commit("the form goes");
    let (code, findings) = check(&repo, &["--trust", "base"]);
    assert_eq!(code, 1, "defaults apply: {findings:?}");
}

#[test]
fn log_with_trust_base_reads_the_ranges_base_settings_for_every_commit() {
    let repo = removal_with(&[("riskdiff.toml", RULE_OFF)]);
    let log = |extra: &[&str]| {
        let mut args = vec!["log", "HEAD~1..HEAD", "--format", "jsonl"];
        args.extend_from_slice(extra);
        let (code, out, err) = run_bin(repo.path(), &args);
        assert!(code == 0 || code == 1, "exit {code}: {err}");
        (code, out)
    };
    let (code, out) = log(&[]);
    assert_eq!(
        code, 0,
        "the working tree's config switches the rule off: {out}"
    );
    assert!(!out.contains("\"forms/removed\""), "{out}");
    let (code, out) = log(&["--trust", "base"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\"forms/removed\""), "{out}");
    assert!(out.contains("riskdiff/config-weakened"), "{out}");
}
