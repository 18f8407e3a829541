//! The command line contract: exit codes, --fail-on, formats, rules,
//! explain, and config errors that show the offending line.

mod common;

use common::{run_bin, TestRepo};

const PAGE: &str = "<form id=\"a\" action=\"a.php\" method=\"post\"><input name=\"e\" type=\"email\" required><button>Go</button></form>\n";

fn repo_with(head: &str) -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write("a.html", PAGE);
    repo.write("a.php", "<?php\n");
    repo.commit("base");
    repo.write("a.html", head);
    repo.commit("head");
    repo
}

#[test]
fn exit_codes_follow_fail_on() {
    // A hidden form is a medium finding.
    let repo = repo_with(&PAGE.replace("<form ", "<form hidden "));
    assert_eq!(run_bin(repo.path(), &["check", "HEAD~1..HEAD"]).0, 1);
    assert_eq!(
        run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--fail-on", "high"]).0,
        0
    );
    assert_eq!(
        run_bin(
            repo.path(),
            &["check", "HEAD~1..HEAD", "--fail-on", "never"]
        )
        .0,
        0
    );
    let (code, out, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--quiet"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim(),
        "1 finding (1 medium) in 1 changed file; failing: findings at or above medium"
    );
    // A harmless change exits 0.
    let quiet = repo_with(&PAGE.replace("Go", "Senden"));
    let (code, out, _) = run_bin(quiet.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no findings in 1 changed file"));
    // A bad level is a usage error.
    assert_eq!(run_bin(repo.path(), &["check", "--fail-on", "loud"]).0, 2);
}

#[test]
fn json_output_has_the_contract_fields() {
    let repo = repo_with("<p>gone</p>\n");
    let (code, out, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["version", "base", "head", "findings", "summary"] {
        assert!(doc.get(key).is_some(), "missing {key}");
    }
    let f = &doc["findings"][0];
    for key in [
        "rule",
        "severity",
        "title",
        "message",
        "path",
        "revision",
        "line",
        "column",
        "end_line",
        "end_column",
        "fingerprint",
        "help",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    assert_eq!(f["rule"], "forms/removed");
    assert_eq!(f["revision"], "base");
    assert_eq!(doc["summary"]["failed"], true);
}

#[test]
fn config_switches_rules_off_and_errors_show_the_line() {
    let repo = repo_with(&PAGE.replace("<form ", "<form hidden "));
    repo.write("riskdiff.toml", "[rules]\n\"forms/hidden\" = \"off\"\n");
    assert_eq!(run_bin(repo.path(), &["check", "HEAD~1..HEAD"]).0, 0);
    repo.write("riskdiff.toml", "[rules]\n\"forms/hidden\" = \"high\"\n");
    let (code, out, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 1);
    assert!(out.contains("forms/hidden (high)"), "{out}");
    repo.write("riskdiff.toml", "exclude = [\"*.html\"]\n");
    assert_eq!(run_bin(repo.path(), &["check", "HEAD~1..HEAD"]).0, 0);
    repo.write("riskdiff.toml", "[rules]\n\"forms/hiden\" = \"off\"\n");
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("riskdiff.toml:2:1: unknown rule `forms/hiden`")
            && err.contains("did you mean `forms/hidden`"),
        "{err}"
    );
    repo.write("riskdiff.toml", "this is not toml\n");
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid riskdiff.toml") && err.contains("riskdiff.toml:1:"),
        "{err}"
    );
}

#[test]
fn rules_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run_bin(dir.path(), &["rules"]);
    assert_eq!(code, 0);
    for id in [
        "forms/removed",
        "forms/action-broken",
        "forms/submit-disabled",
        "forms/hidden",
        "forms/handler-missing",
        "forms/field-removed",
    ] {
        assert!(out.contains(id), "{id} missing from `rules`");
    }
    let (code, out, _) = run_bin(dir.path(), &["explain", "forms/removed"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("forms/removed (high): Form removed from a page")
            && out.contains("## How to fix"),
        "{out}"
    );
    let (code, _, err) = run_bin(dir.path(), &["explain", "forms/remove"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `forms/removed`"), "{err}");
    let (code, out, _) = run_bin(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let rules: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(rules.as_array().unwrap().len() >= 6);
}

#[test]
fn help_and_version_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_bin(dir.path(), &["--help"]).0, 0);
    assert_eq!(run_bin(dir.path(), &["--version"]).0, 0);
    assert_eq!(run_bin(dir.path(), &["frobnicate"]).0, 2);
}

/// Records what a run reports of its progress.
#[derive(Default)]
struct Recorder {
    events: std::sync::Mutex<Vec<String>>,
    advanced: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
}

impl riskdiff::pipeline::check::Progress for Recorder {
    fn stage(&self, name: &'static str, total: usize) {
        self.events.lock().unwrap().push(format!("{name}/{total}"));
    }
    fn advance(&self, steps: usize) {
        let stage = self.events.lock().unwrap().last().cloned().unwrap();
        *self.advanced.lock().unwrap().entry(stage).or_default() += steps;
    }
    fn finish(&self) {
        self.events.lock().unwrap().push("finish".into());
    }
}

#[test]
fn progress_is_reported_stage_by_stage_and_finished() {
    let repo = repo_with(&PAGE.replace("<form ", "<form hidden "));
    let recorder = std::sync::Arc::new(Recorder::default());
    let mut opts = riskdiff::CheckOptions::new(
        repo.path(),
        riskdiff::pipeline::revisions::RangeSpec::parse_positional("HEAD~1..HEAD").unwrap(),
    );
    opts.progress = Some(riskdiff::pipeline::check::ProgressSink(recorder.clone()));
    let report = riskdiff::run_check(&opts).unwrap();
    assert_eq!(report.findings.len(), 1);
    let events = recorder.events.lock().unwrap().clone();
    let families = riskdiff::families::registry::FAMILIES.len();
    assert_eq!(
        events,
        [
            "reading/1".to_string(),
            "parsing/2".to_string(),
            format!("analyzing/{families}"),
            "finish".to_string()
        ]
    );
    // Every stage advanced exactly to its total.
    for (stage, steps) in recorder.advanced.lock().unwrap().iter() {
        let total: usize = stage.rsplit('/').next().unwrap().parse().unwrap();
        assert_eq!(*steps, total, "{stage}");
    }
}

#[test]
fn no_progress_bar_on_a_pipe() {
    let repo = repo_with(&PAGE.replace("<form ", "<form hidden "));
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(err, "", "stderr is not a terminal: nothing may be drawn");
}
