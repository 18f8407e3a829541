//! Every fixture case, end to end: `fixtures/<family>/<case>/before` and
//! `after` become a real repository with two commits, every rule of every
//! family runs over it, and
//! - the rules that fire are exactly the ones `case.toml` expects (so one
//!   family's cases guard every other family against false positives),
//! - the human and JSON outputs match their reviewed snapshots,
//! - no two findings of a run share a fingerprint (an acknowledgement of one
//!   must never silence another),
//! - comparing a revision with itself reports nothing,
//! - every rule has at least two cases that flag and two that stay quiet.

mod common;

use common::{fixtures_root, TestRepo};
use riskdiff::pipeline::revisions::{HeadSpec, RangeSpec};
use riskdiff::{run_check, CheckOptions, Report};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case is about, for the reader of a failure.
    description: String,
    /// The rules that must fire, each at least once; no other may.
    #[serde(default)]
    expect: Vec<String>,
    /// Rules this case is a harmless neighbour of (must stay quiet).
    #[serde(default)]
    quiet_for: Vec<String>,
}

struct Fixture {
    name: String,
    dir: PathBuf,
    case: Case,
}

fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for family in sorted_dirs(&fixtures_root()) {
        for case_dir in sorted_dirs(&family) {
            let toml_path = case_dir.join("case.toml");
            let text = std::fs::read_to_string(&toml_path)
                .unwrap_or_else(|_| panic!("{} needs a case.toml", case_dir.display()));
            let case: Case =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", toml_path.display()));
            let name = format!(
                "{}__{}",
                family.file_name().unwrap().to_string_lossy(),
                case_dir.file_name().unwrap().to_string_lossy()
            );
            out.push(Fixture {
                name,
                dir: case_dir,
                case,
            });
        }
    }
    assert!(!out.is_empty(), "no fixtures found");
    out
}

fn sorted_dirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn build(fixture: &Fixture) -> TestRepo {
    let mut repo = TestRepo::new();
    for (side, msg) in [("before", "before"), ("after", "after")] {
        let dir = fixture.dir.join(side);
        if dir.exists() {
            repo.replace_tree_with(&dir);
        } else {
            repo.replace_tree_with(&tempfile::tempdir().unwrap().keep());
        }
        repo.commit(msg);
    }
    repo
}

fn check(repo: &TestRepo, base: &str, head: &str, threads: usize) -> Report {
    let mut opts = CheckOptions::new(
        repo.path(),
        RangeSpec::Explicit {
            base: Some(base.into()),
            head: HeadSpec::Rev(head.into()),
            merge_base: false,
        },
    );
    opts.threads = Some(threads);
    run_check(&opts).unwrap_or_else(|e| panic!("check failed: {e}"))
}

fn render(report: &Report, format: riskdiff::report::Format) -> String {
    let mut out = Vec::new();
    riskdiff::report::render(report, format, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_fixture_reports_exactly_what_it_expects() {
    let mut failures = Vec::new();
    for fx in fixtures() {
        let repo = build(&fx);
        let report = check(&repo, "HEAD~1", "HEAD", 2);
        let got: BTreeSet<String> = report.findings.iter().map(|f| f.rule.clone()).collect();
        let want: BTreeSet<String> = fx.case.expect.iter().cloned().collect();
        if got != want {
            failures.push(format!(
                "{} ({}): expected {:?}, got {:?}\n{}",
                fx.name,
                fx.case.description,
                want,
                got,
                render(&report, riskdiff::report::Format::Human)
            ));
        }
        for q in &fx.case.quiet_for {
            assert!(
                !want.contains(q),
                "{}: a rule cannot be both expected and quiet",
                fx.name
            );
        }
        let fingerprints: BTreeSet<&str> = report
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        assert_eq!(
            fingerprints.len(),
            report.findings.len(),
            "{}: findings share a fingerprint:\n{}",
            fx.name,
            render(&report, riskdiff::report::Format::Json)
        );
        // Findings carry the contract's fields.
        for f in &report.findings {
            assert!(
                f.location.span.line >= 1 && f.location.span.column >= 1,
                "{}: {:?}",
                fx.name,
                f.location
            );
            assert_eq!(f.fingerprint.len(), 16);
            assert!(!f.title.is_empty() && !f.help.is_empty() && !f.message.is_empty());
            assert!(
                report
                    .sources
                    .contains_key(&(f.location.revision, f.location.path.clone())),
                "{}: no source for the excerpt of {}",
                fx.name,
                f.rule
            );
        }
        insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false, description => fx.case.description.clone(), omit_expression => true}, {
            insta::assert_snapshot!(format!("{}__human", fx.name), render(&report, riskdiff::report::Format::Human));
            insta::assert_snapshot!(format!("{}__json", fx.name), render(&report, riskdiff::report::Format::Json));
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_revision_compared_with_itself_reports_nothing() {
    for fx in fixtures() {
        let repo = build(&fx);
        for rev in ["HEAD~1", "HEAD"] {
            let report = check(&repo, rev, rev, 2);
            assert!(
                report.findings.is_empty(),
                "{}: {rev} vs {rev} reported {:?}",
                fx.name,
                report.findings
            );
        }
    }
}

#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    for fx in fixtures().into_iter().filter(|f| !f.case.expect.is_empty()) {
        let repo = build(&fx);
        let one = render(
            &check(&repo, "HEAD~1", "HEAD", 1),
            riskdiff::report::Format::Json,
        );
        let four = render(
            &check(&repo, "HEAD~1", "HEAD", 4),
            riskdiff::report::Format::Json,
        );
        assert_eq!(one, four, "{}", fx.name);
    }
}

#[test]
fn every_rule_has_two_flagging_and_two_quiet_cases() {
    let registry = riskdiff::findings::rules::Registry::builtin().unwrap();
    let mut flag: BTreeMap<String, usize> = BTreeMap::new();
    let mut quiet: BTreeMap<String, usize> = BTreeMap::new();
    for fx in fixtures() {
        for r in &fx.case.expect {
            assert!(registry.get(r).is_some(), "{}: unknown rule {r}", fx.name);
            *flag.entry(r.clone()).or_default() += 1;
        }
        for r in &fx.case.quiet_for {
            assert!(registry.get(r).is_some(), "{}: unknown rule {r}", fx.name);
            *quiet.entry(r.clone()).or_default() += 1;
        }
    }
    let mut missing = Vec::new();
    for rule in registry.rules() {
        let (f, q) = (
            flag.get(&rule.id).copied().unwrap_or(0),
            quiet.get(&rule.id).copied().unwrap_or(0),
        );
        if f < 2 || q < 2 {
            missing.push(format!("{}: {f} flagging, {q} quiet", rule.id));
        }
    }
    assert!(
        missing.is_empty(),
        "rules without enough fixture cases:\n{}",
        missing.join("\n")
    );
}

/// What a real file may carry before its body: a licence header on
/// Terraform and YAML, a `%YAML` directive, a comment on TOML, a byte
/// order mark on JSON. None of it may change what a case reports.
fn with_header(path: &Path, text: &str) -> Option<String> {
    let ext = path.extension()?.to_str()?;
    let header = match ext {
        "tf" | "hcl" | "tfvars" => "/*\n * Copyright 2024 Example Ltd. Licensed under the Apache License.\n */\n# Variables required by this module\n",
        "yaml" | "yml" if text.trim_start().starts_with("---") || text.contains("\n---") => "# Licensed under the Apache License.\n",
        "yaml" | "yml" => "%YAML 1.2\n---\n",
        "toml" => "# Licensed under the Apache License.\n\n",
        "json" => "\u{feff}",
        _ => return None,
    };
    Some(format!("{header}{text}"))
}

fn rewrite_with_headers(dir: &Path) -> bool {
    let mut changed = false;
    for entry in walk(dir) {
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        if let Some(new) = with_header(&entry, &text) {
            std::fs::write(&entry, new).unwrap();
            changed = true;
        }
    }
    changed
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_header_comment_or_directive_changes_no_finding() {
    let mut failures = Vec::new();
    let mut variants = 0;
    for fx in fixtures() {
        let copy = tempfile::tempdir().unwrap();
        let mut touched = false;
        for side in ["before", "after"] {
            let src = fx.dir.join(side);
            if src.exists() {
                std::fs::create_dir_all(copy.path().join(side)).unwrap();
                common::copy_dir(&src, &copy.path().join(side));
                touched |= rewrite_with_headers(&copy.path().join(side));
            }
        }
        if !touched {
            continue;
        }
        variants += 1;
        let plain = check(&build(&fx), "HEAD~1", "HEAD", 2);
        let headed_fx = Fixture {
            name: fx.name.clone(),
            dir: copy.path().to_path_buf(),
            case: fx.case,
        };
        let headed = check(&build(&headed_fx), "HEAD~1", "HEAD", 2);
        let rules = |r: &Report| {
            let mut v: Vec<(String, String)> = r
                .findings
                .iter()
                .map(|f| (f.rule.clone(), f.location.path.clone()))
                .collect();
            v.sort();
            v
        };
        if rules(&plain) != rules(&headed) {
            failures.push(format!(
                "{}: without header {:?}, with header {:?}",
                fx.name,
                rules(&plain),
                rules(&headed)
            ));
        }
    }
    assert!(
        variants > 20,
        "only {variants} cases have configuration files"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
