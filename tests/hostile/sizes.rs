//! Quadratic time and memory: the inputs of issue 14, generated at the
//! sizes it measured (a few scaled down where the test would otherwise
//! dominate the suite), each checked for the right outcome. Their time and
//! memory as they double is `bench/hostile.sh`'s business; the counts that
//! prove the matching linear are unit tests beside it.

use crate::common::{run_bin, TestRepo};

fn form(action: &str, extra: &str) -> String {
    format!("<form action=\"{action}\" method=\"post\"{extra}><input name=\"email\"><button type=\"submit\">Send</button></form>\n")
}

/// A repository whose head changes `base` into `head` (files absent from
/// head are deleted); the JSON report of `HEAD~1..HEAD` with `args`.
fn report(
    base: &[(String, String)],
    head: &[(String, String)],
    args: &[&str],
) -> (i32, serde_json::Value, String) {
    let mut repo = TestRepo::new();
    for (p, t) in base {
        repo.write(p, t);
    }
    repo.commit("base");
    let kept: std::collections::HashSet<&String> = head.iter().map(|(p, _)| p).collect();
    for (p, _) in base {
        if !kept.contains(p) {
            repo.remove(p);
        }
    }
    for (p, t) in head {
        repo.write(p, t);
    }
    repo.commit("head");
    let mut all = vec!["check", "HEAD~1..HEAD", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = run_bin(repo.path(), &all);
    let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, v, err)
}

fn one(path: &str, text: String) -> Vec<(String, String)> {
    vec![(path.to_string(), text)]
}

fn count(v: &serde_json::Value, rule: &str) -> usize {
    v["findings"]
        .as_array()
        .map_or(0, |l| l.iter().filter(|f| f["rule"] == rule).count())
}

fn notes(v: &serde_json::Value) -> String {
    v["notes"].to_string()
}

#[test]
fn ten_thousand_identical_forms_hidden_at_once() {
    let n = 10_000;
    let (code, v, err) = report(
        &one("page.html", form("/send", "").repeat(n)),
        &one("page.html", form("/send", " hidden").repeat(n)),
        &[],
    );
    assert!(code == 1, "{err}");
    assert_eq!(count(&v, "forms/hidden"), n);
    assert_eq!(count(&v, "forms/removed"), 0);
}

#[test]
fn thousands_of_forms_with_changed_actions() {
    let n = 8_000;
    let (code, v, err) = report(
        &one("page.html", form("/send", "").repeat(n)),
        &one("page.html", form("#", "").repeat(n)),
        &[],
    );
    assert!(code == 1, "{err}");
    assert_eq!(count(&v, "forms/action-broken"), n);
}

#[test]
fn a_urls_py_of_8000_routes_losing_one() {
    let lines: Vec<String> = (0..8_000)
        .map(|i| format!("    path('r{i}/', views.v{i}, name='r{i}'),\n"))
        .collect();
    let urls = |from: usize| {
        format!(
            "from django.urls import path\nurlpatterns = [\n{}]\n",
            lines[from..].concat()
        )
    };
    let page =
        "<form action=\"/r0/\" method=\"post\"><input name=\"a\"><button>Go</button></form>\n";
    let base = vec![
        ("app/urls.py".into(), urls(0)),
        ("templates/page.html".into(), page.into()),
    ];
    let head = vec![
        ("app/urls.py".into(), urls(1)),
        ("templates/page.html".into(), page.into()),
    ];
    let (code, v, err) = report(&base, &head, &[]);
    assert!(code == 1, "{err}");
    assert_eq!(count(&v, "forms/endpoint-unrouted"), 1);
}

#[test]
fn thirty_thousand_removed_cron_lines() {
    let n = 30_000;
    let cron: String = (0..n)
        .map(|i| format!("{} 2 * * * root borg create /b::n{i} /srv{i}\n", i % 60))
        .collect();
    let (code, v, err) = report(
        &one("etc/cron.d/backup", cron),
        &one("etc/cron.d/backup", "# none\n".into()),
        &[],
    );
    assert!(code == 1, "{err}");
    assert_eq!(count(&v, "backup/job-removed"), n);
}

#[test]
fn twenty_thousand_destructive_json_keys() {
    let n = 20_000;
    let body = |v: &str| {
        let keys: Vec<String> = (0..n)
            .map(|i| format!("  \"d{i}\": {{\"factory_reset\": {v}}}"))
            .collect();
        format!("{{\n{}\n}}\n", keys.join(",\n"))
    };
    let (code, v, err) = report(
        &one("config/devices.json", body("false")),
        &one("config/devices.json", body("true")),
        &[],
    );
    assert!(code == 1, "{err}");
    assert_eq!(count(&v, "config/destructive-enabled"), n);
}

#[test]
fn a_two_mib_one_line_bundle_is_a_note() {
    let unit = "app.post('/r',function(e,t){for(const o of e.items){t.send(o)}});";
    let line = unit.repeat(2 * 1024 * 1024 / unit.len() - 64);
    let (code, v, err) = report(
        &one("static/app.js", format!("{line}\n")),
        &one(
            "static/app.js",
            format!("{}\n", line.replacen("app.post", "app.get", 1)),
        ),
        &[],
    );
    assert!(code == 0, "{err}");
    assert!(notes(&v).contains("minified"), "{}", notes(&v));
}

#[test]
fn unclosed_template_tags_and_deep_markup_are_notes() {
    let (_, v, err) = report(
        &one("page.html", form("/send", "")),
        &one(
            "page.html",
            format!("{}{}", form("#", ""), "<%".repeat(32_000)),
        ),
        &[],
    );
    assert!(
        notes(&v).contains("too costly to parse"),
        "{err} {}",
        notes(&v)
    );
    let (_, v, _) = report(
        &one(
            "page.html",
            format!("{}{}", "<div>".repeat(100_000), form("/send", "")),
        ),
        &one("page.html", "<div>".repeat(100_000)),
        &[],
    );
    assert!(notes(&v).contains("page.html"), "{}", notes(&v));
}

#[test]
fn an_env_file_of_150000_changed_lines() {
    let n = 150_000;
    let env = |v: &str| (0..n).map(|i| format!("K{i}={v}\n")).collect::<String>();
    let (code, v, err) = report(
        &one(".env", env("a") + "MAIL_MAILER=smtp\n"),
        &one(".env", env("b") + "MAIL_MAILER=log\n"),
        &[],
    );
    assert!(code == 0 || code == 1, "{err}");
    assert!(v["summary"]["files_changed"] == 1, "{v}");
}

#[test]
fn a_config_with_100000_table_entries_is_refused() {
    let classes: Vec<String> = (0..100_000).map(|i| format!("\"c{i}\"")).collect();
    let cfg = format!("[forms]\nhidden_classes = [{}]\n", classes.join(","));
    let base = one("page.html", form("/send", ""));
    let head = vec![
        ("page.html".into(), form("/send", " class=\"c1\"")),
        ("riskdiff.toml".into(), cfg),
    ];
    let (code, _, err) = report(&base, &head, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at most 1000"), "{err}");
    assert!(
        err.len() < 2_000,
        "the error quotes one line, cut: {} bytes",
        err.len()
    );
}

#[test]
fn a_hundred_thousand_threads_are_capped() {
    let (code, v, err) = report(
        &one("page.html", form("/send", "")),
        &one("page.html", form("#", "")),
        &["--threads", "100000"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(count(&v, "forms/action-broken"), 1);
}

#[test]
fn thousands_of_files_moved_and_edited_pair_by_name() {
    // Past the 2,000 changes where similarity search stops.
    let n = 3_000;
    let base: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("old/p{i}.html"),
                format!("<p>{i}</p>\n{}", form("/send", "")),
            )
        })
        .collect();
    let head: Vec<(String, String)> = (0..n)
        .map(|i| {
            (
                format!("new/p{i}.html"),
                format!("<p>{i}</p>\n<p>edited</p>\n{}", form("/send", "")),
            )
        })
        .collect();
    let (code, v, err) = report(&base, &head, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        v["summary"]["files_changed"], n,
        "renames, not deletions and additions"
    );
    assert_eq!(count(&v, "forms/removed"), 0);
}

#[test]
fn a_head_like_a_base_that_ran_out_of_budget_is_not_parsed_again() {
    // 100,000 nested `<div>` around a form, on both sides: base runs out of
    // the parser's clock, and head, about as large, is not given another.
    let page = |action: &str| {
        format!(
            "{}{}{}",
            "<div>".repeat(100_000),
            form(action, ""),
            "</div>".repeat(100_000)
        )
    };
    let (code, v, err) = report(
        &one("page.html", page("/send")),
        &one("page.html", page("")),
        &[],
    );
    assert!(code == 0, "{err}");
    let notes = notes(&v);
    assert!(
        notes.contains("ran out of the parser's work budget"),
        "{notes}"
    );
    assert!(
        notes.contains("its base version, about as large"),
        "{notes}"
    );
}
