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
fn an_empty_diff_reports_nothing_and_still_reads_the_configuration() {
    let repo = repo_with(&PAGE.replace("<form ", "<form hidden "));
    let rules_of = |args: &[&str]| -> Vec<String> {
        let (code, out, err) = run_bin(repo.path(), args);
        assert!(code <= 1, "{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (code, out, _) = run_bin(repo.path(), &["check", "HEAD..HEAD"]);
    assert_eq!(code, 0);
    assert!(out.contains("no findings in 0 changed files"), "{out}");
    // The early exit lists the same rules as a run that compares files.
    let empty = rules_of(&["check", "HEAD..HEAD", "--format", "sarif"]);
    assert!(empty.iter().any(|r| r == "forms/hidden"));
    assert_eq!(
        empty,
        rules_of(&["check", "HEAD~1..HEAD", "--format", "sarif"])
    );
    repo.write("riskdiff.toml", "[rules]\n\"forms/hidden\" = \"off\"\n");
    let off = rules_of(&["check", "HEAD..HEAD", "--format", "sarif"]);
    assert!(!off.iter().any(|r| r == "forms/hidden") && off.len() + 1 == empty.len());
    // A configuration mistake is said whether or not anything changed.
    repo.write("riskdiff.toml", "[rules]\n\"forms/hiden\" = \"off\"\n");
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD..HEAD"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule `forms/hiden`"), "{err}");
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

#[test]
fn output_writes_several_formats_from_one_run() {
    let repo = repo_with("<p>gone</p>\n");
    let out_dir = tempfile::tempdir().unwrap();
    let file = |name: &str| out_dir.path().join(name).display().to_string();
    let (code, stdout, err) = run_bin(
        repo.path(),
        &[
            "check",
            "HEAD~1..HEAD",
            "--output",
            &format!("sarif={}", file("r.sarif")),
            "--output",
            &format!("MARKDOWN={}", file("r.md")),
            "--output",
            &format!("json={}", file("r.json")),
            "--output",
            &format!("github={}", file("annotations.txt")),
        ],
    );
    // The exit code and stdout are those of the plain check.
    assert_eq!(code, 1, "{err}");
    assert_eq!(stdout, run_bin(repo.path(), &["check", "HEAD~1..HEAD"]).1);
    for (name, format) in [
        ("r.sarif", "sarif"),
        ("r.md", "markdown"),
        ("r.json", "json"),
        ("annotations.txt", "github"),
    ] {
        let written = std::fs::read_to_string(out_dir.path().join(name)).unwrap();
        let (_, alone, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--format", format]);
        assert_eq!(written, alone, "{name}");
    }

    let bad = [
        ("yaml=x.yaml", "unknown format `yaml`"),
        ("sarif", "is not FORMAT=FILE"),
        ("sarif=", "names no file"),
    ];
    for (arg, want) in bad {
        let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--output", arg]);
        assert_eq!(code, 2, "{arg}");
        assert!(err.contains(want), "{arg}: {err}");
    }
    let same = format!("json={}", file("same"));
    let (code, _, err) = run_bin(
        repo.path(),
        &[
            "check",
            "HEAD~1..HEAD",
            "--output",
            &same,
            "--output",
            &same,
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("twice"), "{err}");
    let nowhere = format!("json={}", file("no/such/dir/r.json"));
    let (code, _, err) = run_bin(
        repo.path(),
        &["check", "HEAD~1..HEAD", "--output", &nowhere],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot write"), "{err}");
}

/// Runs the binary with stdout's reader gone before it writes: what
/// `riskdiff rules | head -1` does once head has its line.
fn with_closed_stdout(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_riskdiff"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run riskdiff");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let repo = repo_with("<p>gone</p>\n");
    for args in [
        &["rules"][..],
        &["rules", "--format", "json"],
        &["explain", "forms/removed"],
    ] {
        let (code, err) = with_closed_stdout(repo.path(), args);
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    }
    // A check keeps the exit code its findings decide.
    let (code, err) =
        with_closed_stdout(repo.path(), &["check", "HEAD~1..HEAD", "--format", "sarif"]);
    assert_eq!((code, err.as_str()), (1, ""));
    // Through a real pipe into `head -1`.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' rules | head -1 >/dev/null; echo $?",
            env!("CARGO_BIN_EXE_riskdiff")
        ))
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn small_mistakes_are_refused_with_a_reason() {
    let repo = repo_with("<p>gone</p>\n");
    let (code, _, err) = run_bin(repo.path(), &["-C", "/nonexistent/riskdiff", "check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/riskdiff does not exist"),
        "{err}"
    );

    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--threads", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("0 threads"), "{err}");
    assert_eq!(
        run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--threads", "1"]).0,
        1
    );

    repo.write("riskdiff.toml", "exclude = [\"legacy/**\", \"[abc\"]\n");
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("[abc") && err.contains("never closed") && err.contains("riskdiff.toml:1"),
        "{err}"
    );
    repo.write(
        "riskdiff.toml",
        "exclude = [\"\\\\[abc\", \"[]x]\", \"*.[ch]\"]\n",
    );
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 1, "escaped and closed classes are fine: {err}");

    repo.write(".riskdiff.toml", "fail_on = \"never\"\n");
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("both riskdiff.toml and .riskdiff.toml"),
        "{err}"
    );

    let (code, out, _) = run_bin(repo.path(), &["explain", "forms"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("forms/removed (high)") && out.contains("forms/endpoint-unrouted"),
        "{out}"
    );
    assert!(!out.contains("mail/"), "{out}");
}
