//! The CI formats: repository content in a message must never break or
//! inject into any format.

use riskdiff::findings::finding::{Finding, Location, Revision, Severity, Span};
use riskdiff::findings::rules::RuleMeta;
use riskdiff::pipeline::check::{Report, Stats};
use riskdiff::pipeline::revisions::RevInfo;
use riskdiff::report::{render, Format};
use riskdiff::settings::FailOn;
use std::collections::BTreeMap;

const NASTY: &str = "form id=\"a|b\" 100% gone\n::error::pwned <script>alert(1)</script>";

fn rev(id: &str) -> RevInfo {
    RevInfo {
        id: id.to_string(),
        short: id.to_string(),
        name: id.to_string(),
    }
}

fn nasty_report() -> Report {
    let span = Span {
        start_byte: 0,
        end_byte: 5,
        line: 3,
        column: 2,
        end_line: 3,
        end_column: 7,
    };
    let mut head = Finding::new(
        "forms/removed",
        Location {
            revision: Revision::Head,
            path: "site/a,b:c.html".to_string(),
            span,
        },
        "form#x",
        NASTY,
    );
    head.title = "Form removed".to_string();
    head.help = "Restore it.".to_string();
    head.fingerprint = "0123456789abcdef".to_string();
    let mut base = head.clone();
    base.location.revision = Revision::Base;
    base.location.path = "site/old.html".to_string();
    base.severity = Severity::Low;
    let mut sources = BTreeMap::new();
    sources.insert(
        (Revision::Head, "site/a,b:c.html".to_string()),
        "one\ntwo\n<p>```code```</p>\nfour\n".into(),
    );
    Report {
        base: rev("aaaaaaa"),
        head: rev("bbbbbbb"),
        findings: vec![head, base],
        notes: vec![],
        stats: Stats::default(),
        fail_on: FailOn::Severity(Severity::Medium),
        rules: vec![RuleMeta {
            id: "forms/removed".to_string(),
            severity: Severity::High,
            title: "Form removed".to_string(),
            summary: "A form disappeared".to_string(),
            explanation: "Long text".to_string(),
            help: "Restore it.".to_string(),
        }],
        sources,
    }
}

fn out(format: Format) -> String {
    let mut buf = Vec::new();
    render(&nasty_report(), format, false, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn github_escapes_repository_content() {
    let text = out(Format::Github);
    let lines: Vec<&str> = text.lines().collect();
    // Two commands and the summary: no injected line.
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("::error file=site/a%2Cb%3Ac.html,line=3,"));
    assert!(lines[0].contains("%0A::error::pwned"));
    assert!(lines[0].contains("100%25 gone"));
    assert!(lines[1].starts_with("::notice title="));
    assert!(!lines[2].starts_with("::"));
}

#[test]
fn markdown_escapes_repository_content() {
    let text = out(Format::Markdown);
    assert!(text.starts_with("<!-- riskdiff-report -->\n## riskdiff\n"));
    assert!(text.contains("&lt;script&gt;"));
    assert!(!text.contains("<script>"));
    assert!(text.contains("a\\|b"));
    // The excerpt holds a run of three backticks: the fence is longer.
    assert!(text.contains("````\n"));
    assert!(text.len() < 65_536);
}

#[test]
fn sarif_is_valid_and_round_trips() {
    let v: serde_json::Value = serde_json::from_str(&out(Format::Sarif)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif"));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "riskdiff");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().unwrap()));
        assert!(["error", "warning", "note", "none"].contains(&r["level"].as_str().unwrap()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_i64().unwrap() >= 1);
        assert!(region["startColumn"].as_i64().unwrap() >= 1);
        assert!(r["partialFingerprints"]["riskdiffFingerprint/v1"].is_string());
    }
    assert_eq!(results[0]["message"]["text"], NASTY);
    assert_eq!(results[1]["properties"]["revision"], "base");
}

#[test]
fn gitlab_is_valid_and_round_trips() {
    let v: serde_json::Value = serde_json::from_str(&out(Format::Gitlab)).unwrap();
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0]["severity"], "critical");
    assert_eq!(issues[1]["severity"], "minor");
    assert_eq!(issues[0]["check_name"], "forms/removed");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 3);
    assert!(issues[0]["description"].as_str().unwrap().contains(NASTY));
}

mod common;

fn real_report() -> Report {
    use riskdiff::pipeline::revisions::{HeadSpec, RangeSpec};
    let case = common::fixtures_root().join("forms/incident-action-hash-button-type");
    let mut repo = common::TestRepo::new();
    repo.replace_tree_with(&case.join("before"));
    let base = repo.commit("before");
    repo.replace_tree_with(&case.join("after"));
    // A removed page with a form: a finding located in base.
    repo.remove("site/katalog.html");
    let head = repo.commit("after");
    let opts = riskdiff::CheckOptions::new(
        repo.path(),
        RangeSpec::Explicit {
            base: Some(base.to_string()),
            head: HeadSpec::Rev(head.to_string()),
            merge_base: false,
        },
    );
    riskdiff::run_check(&opts).unwrap()
}

#[test]
fn snapshots_of_every_ci_format() {
    let report = real_report();
    assert!(report.findings.len() >= 3, "{:?}", report.findings);
    assert!(report
        .findings
        .iter()
        .any(|f| f.location.revision == Revision::Base));
    for (name, format) in [
        ("sarif", Format::Sarif),
        ("github", Format::Github),
        ("markdown", Format::Markdown),
        ("gitlab", Format::Gitlab),
    ] {
        let mut buf = Vec::new();
        render(&report, format, false, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("formats__{name}"), text);
        });
    }
}

/// A report whose path and message hold what Markdown and URIs choke on.
fn report_with_path(path: &str, message: &str) -> Report {
    let mut r = nasty_report();
    for f in &mut r.findings {
        f.location.path = path.to_string();
        f.message = message.to_string();
    }
    let text = r.sources.values().next().cloned().unwrap();
    r.sources = BTreeMap::from([
        ((Revision::Head, path.to_string()), text.clone()),
        ((Revision::Base, path.to_string()), text),
    ]);
    r
}

fn render_to(report: &Report, format: Format) -> String {
    let mut buf = Vec::new();
    render(report, format, false, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn markdown_shows_repository_text_in_code_spans() {
    let path = "app/__init__/a b.html";
    let message = "The form `#kontakt` on `app/__init__/a b.html` posts to `a``b`, see __bold__ <img src=x onerror=alert(1)> @octocat [x](javascript:alert(1))";
    let md = render_to(&report_with_path(path, message), Format::Markdown);
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::all()),
    );
    // Quoted repository text stays code, paths included, and nothing in
    // it turns into emphasis, HTML or a link.
    assert!(html.contains("<code>#kontakt</code>"), "{html}");
    assert!(
        html.contains("<code>app/__init__/a b.html</code>"),
        "{html}"
    );
    assert!(html.contains("see __bold__"), "{html}");
    assert!(
        !html.contains("<strong>bold") && !html.contains("<em>"),
        "{html}"
    );
    assert!(!html.contains("<strong>init"), "{html}");
    assert!(!html.contains("<img") && !html.contains("<a "), "{html}");
    assert!(!md.contains("&#96;"), "{md}");
    assert!(md.contains("\\@octocat"), "{md}");
    // A quoted value that holds backticks gets a longer fence.
    assert_eq!(riskdiff::report::markdown::code("a``b"), "```a``b```");
    assert_eq!(riskdiff::report::markdown::code("`x"), "`` `x ``");
}

/// The SARIF 2.1.0 schema serde-sarif ships, found through cargo metadata
/// so it is the one of the version in Cargo.lock.
fn sarif_schema() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Only this platform's packages: the others (Windows consoles…) were
    // never downloaded, and an offline machine cannot fetch them.
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host");
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif in cargo metadata");
    let schema = std::path::Path::new(manifest).with_file_name("src/schema.json");
    serde_json::from_str(&std::fs::read_to_string(&schema).unwrap()).unwrap()
}

#[test]
fn sarif_validates_against_the_2_1_0_schema_with_encoded_uris() {
    let mut schema = sarif_schema();
    // An erratum of the published schema: its `language` patterns
    // (`…-[a-zA-Z]{2}]?$`) have a stray `]` that a format-checking
    // validator rejects. riskdiff never writes `language`; they meant this.
    fn fix(v: &mut serde_json::Value, fixed: &mut usize) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    if k == "pattern" && child == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *child = serde_json::json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                        *fixed += 1;
                    } else {
                        fix(child, fixed);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|c| fix(c, fixed)),
            _ => {}
        }
    }
    let mut fixed = 0;
    fix(&mut schema, &mut fixed);
    assert!(fixed > 0, "the erratum is gone: drop this fix");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let path = "site/a b#c?d%e/Grüße.html";
    let reports = [report_with_path(path, NASTY), nasty_report(), real_report()];
    for report in &reports {
        let doc: serde_json::Value =
            serde_json::from_str(&render_to(report, Format::Sarif)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
    let doc: serde_json::Value =
        serde_json::from_str(&render_to(&reports[0], Format::Sarif)).unwrap();
    let run = &doc["runs"][0];
    assert_eq!(
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "site/a%20b%23c%3Fd%25e/Gr%C3%BC%C3%9Fe.html"
    );
    // Columns count characters, as Span does.
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rule = &run["tool"]["driver"]["rules"][0];
    assert_eq!(rule["help"]["markdown"], "Long text");
    assert_eq!(rule["fullDescription"]["text"], "A form disappeared");
    // The unencoded path would not pass: the check can fail.
    let mut raw = doc.clone();
    raw["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        serde_json::json!(path);
    assert!(!validator.is_valid(&raw), "the schema accepted a raw path");
}
