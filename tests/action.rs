//! The GitHub Action: its analysis step (`.github/action/run-check.sh`) run
//! as the runner would run it, with the event in the environment, and
//! `action.yml` never expanding `${{ … }}` into a script.

mod common;

use common::TestRepo;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FORM: &str = "<form id=\"contact\" action=\"/send\" method=\"post\">\n  <input name=\"email\" type=\"email\">\n  <button>Send</button>\n</form>\n";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the step left behind.
struct Step {
    status: i32,
    log: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    out_dir: tempfile::TempDir,
}

/// Runs the analysis step in `repo` with the runner's environment: `env`
/// overrides the empty defaults of a push event.
fn run_step(repo: &Path, env: &[(&str, &str)]) -> Step {
    let out_dir = tempfile::tempdir().unwrap();
    let output_file = out_dir.path().join("github_output");
    let summary_file = out_dir.path().join("step_summary");
    let mut vars: BTreeMap<&str, String> = [
        ("EVENT_NAME", "push"),
        ("BASE_REF", ""),
        ("BEFORE", ""),
        ("DEFAULT_BRANCH", ""),
        ("HEAD_REPOSITORY", ""),
        ("REPOSITORY", "owner/site"),
        ("INPUT_BASE", ""),
        ("INPUT_FAIL_ON", ""),
        ("INPUT_UPLOAD_SARIF", "true"),
        ("INPUT_JOB_SUMMARY", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    for (k, v) in env {
        vars.insert(k, v.to_string());
    }
    let out = Command::new("bash")
        .arg(root().join(".github/action/run-check.sh"))
        .current_dir(repo)
        .envs(vars)
        .env("RISKDIFF", env!("CARGO_BIN_EXE_riskdiff"))
        .env("OUT", out_dir.path().join("report"))
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .output()
        .expect("run bash");
    let outputs = std::fs::read_to_string(&output_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Step {
        status: out.status.code().unwrap_or(-1),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        outputs,
        summary: std::fs::read_to_string(&summary_file).unwrap_or_default(),
        out_dir,
    }
}

/// `main` with a page holding the form, then `head` on top of it; returns
/// the repository and the base commit's id.
fn pushed(head: &str) -> (TestRepo, String) {
    let mut repo = TestRepo::new();
    repo.write("site/contact.html", format!("<h1>Contact</h1>\n{FORM}"));
    let base = repo.commit("base").to_string();
    repo.write("site/contact.html", head);
    repo.commit("head");
    (repo, base)
}

#[test]
fn a_push_compares_what_it_brought_and_writes_every_report() {
    let (repo, before) = pushed("<h1>Contact</h1>\n");
    let step = run_step(repo.path(), &[("BEFORE", &before)]);
    assert_eq!(step.status, 0, "{}", step.log);
    let o = &step.outputs;
    assert_eq!(o["exit-code"], "1", "{}", step.log);
    assert_eq!((o["findings"].as_str(), o["high"].as_str()), ("1", "1"));
    assert_eq!(o["upload"], "true");
    // One run: the human log, the annotations, and the files.
    assert!(step.log.contains("error[forms/removed"), "{}", step.log);
    assert!(step.log.contains("::error "), "{}", step.log);
    assert_eq!(step.log.matches("comparing ").count(), 1, "{}", step.log);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&o["sarif-file"]).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "forms/removed");
    let md = std::fs::read_to_string(&o["markdown-file"]).unwrap();
    assert!(md.starts_with("<!-- riskdiff-report -->"));
    assert_eq!(step.summary, md);
    assert!(PathBuf::from(&o["sarif-file"]).starts_with(step.out_dir.path()));
}

#[test]
fn fail_on_is_passed_only_when_set() {
    // A hidden form is a medium finding; the repository fails only on high.
    let (repo, before) = pushed(&format!(
        "<h1>Contact</h1>\n{}",
        FORM.replace("<form ", "<form hidden ")
    ));
    repo.write("riskdiff.toml", "fail_on = \"high\"\n");
    let step = run_step(repo.path(), &[("BEFORE", &before)]);
    assert_eq!(step.outputs["exit-code"], "0", "{}", step.log);
    assert_eq!(step.outputs["findings"], "1");
    assert!(!step.log.contains("--fail-on"), "{}", step.log);
    let step = run_step(
        repo.path(),
        &[("BEFORE", &before), ("INPUT_FAIL_ON", "medium")],
    );
    assert_eq!(step.outputs["exit-code"], "1", "{}", step.log);
}

#[test]
fn a_push_without_its_before_commit_falls_back_to_the_default_branch() {
    let (mut repo, base) = pushed(&format!("<h1>Contact</h1>\n{FORM}"));
    // origin/main is the base; the pushed branch removes the form.
    let oid = git2::Oid::from_str(&base).unwrap();
    repo.repo
        .reference("refs/remotes/origin/main", oid, true, "test")
        .unwrap();
    repo.write("site/contact.html", "<h1>Contact</h1>\n");
    repo.commit("drop the form");
    let zeros = "0000000000000000000000000000000000000000";
    for before in [zeros, "1111111111111111111111111111111111111111", ""] {
        let step = run_step(
            repo.path(),
            &[("BEFORE", before), ("DEFAULT_BRANCH", "main")],
        );
        assert_eq!(step.status, 0, "{before}: {}", step.log);
        assert!(step.log.contains("--base=origin/main"), "{}", step.log);
        assert_eq!(step.outputs["exit-code"], "1", "{}", step.log);
    }
    let step = run_step(
        repo.path(),
        &[
            ("BEFORE", "1111111111111111111111111111111111111111"),
            ("DEFAULT_BRANCH", "main"),
        ],
    );
    assert!(step.log.contains("is not in this clone"), "{}", step.log);
}

#[test]
fn a_pull_request_from_a_fork_skips_the_upload_and_says_why() {
    let (repo, base) = pushed("<h1>Contact</h1>\n");
    let oid = git2::Oid::from_str(&base).unwrap();
    repo.repo
        .reference("refs/remotes/origin/main", oid, true, "test")
        .unwrap();
    let step = run_step(
        repo.path(),
        &[
            ("EVENT_NAME", "pull_request"),
            ("BASE_REF", "main"),
            ("HEAD_REPOSITORY", "someone/site"),
        ],
    );
    assert_eq!(step.outputs["upload"], "false", "{}", step.log);
    assert!(step.log.contains("fork someone/site"), "{}", step.log);
    assert_eq!(step.outputs["exit-code"], "1", "{}", step.log);
    let step = run_step(
        repo.path(),
        &[
            ("EVENT_NAME", "pull_request"),
            ("BASE_REF", "main"),
            ("HEAD_REPOSITORY", "owner/site"),
        ],
    );
    assert_eq!(step.outputs["upload"], "true", "{}", step.log);
    let step = run_step(repo.path(), &[("INPUT_UPLOAD_SARIF", "yes")]);
    assert_eq!(step.status, 2, "{}", step.log);
}

#[test]
fn branch_names_and_inputs_are_data_not_commands() {
    let (repo, _) = pushed("<h1>Contact</h1>\n");
    let marker = repo.path().join("pwned");
    let evil = format!("$(touch {})", marker.display());
    for (var, value) in [
        ("BASE_REF", evil.clone()),
        ("INPUT_BASE", format!("main`touch {}`", marker.display())),
        ("INPUT_FAIL_ON", format!("high; touch {}", marker.display())),
    ] {
        let step = run_step(repo.path(), &[(var, &value)]);
        assert_eq!(step.status, 2, "{var}: {}", step.log);
        assert!(!marker.exists(), "{var} ran a command");
    }
}

/// `${{ … }}` in a `run:` script is expanded before the shell sees it (script
/// injection); the action passes every value through `env:` instead.
#[test]
fn action_yml_never_expands_expressions_into_scripts() {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let mut in_run: Option<usize> = None;
    let mut runs = 0;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(at) = in_run {
            if line.trim().is_empty() || indent > at {
                assert!(!line.contains("${{"), "action.yml:{}: {line}", n + 1);
                continue;
            }
            in_run = None;
        }
        let key = line.trim_start().trim_start_matches("- ");
        if let Some(value) = key.strip_prefix("run:") {
            runs += 1;
            assert!(!value.contains("${{"), "action.yml:{}: {line}", n + 1);
            in_run = Some(indent);
        }
    }
    assert!(runs >= 4, "no run steps found");
    // The deprecated upload action is gone, and the upload may fail.
    assert!(
        text.contains("github/codeql-action/upload-sarif@") && !text.contains("upload-sarif@v3")
    );
    assert!(text.contains("continue-on-error: true"));
}
