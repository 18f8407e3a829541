//! A forms-heavy commit as real sites make them (issue 16): fifty PHP
//! admin pages whose forms move verbatim into the Twig templates the pages
//! now render. The forms keep their relative actions, which a template
//! resolves next to the page that renders it, not next to itself.

mod common;

use common::{run_bin, TestRepo};

const PAGES: usize = 50;

fn forms(n: usize, number: &str) -> String {
    let handler = n % 5;
    format!(
        "<form method=\"post\" action=\"save{handler}.php\" id=\"settings-{number}\">\n  <label>Title <input name=\"title\" required></label>\n  <label>Text <textarea name=\"body{number}\"></textarea></label>\n  <button type=\"submit\" name=\"save\">Save</button>\n</form>\n<form method=\"post\">\n  <input type=\"hidden\" name=\"page\" value=\"{number}\">\n  <button type=\"submit\" name=\"trigger\">Rebuild</button>\n</form>\n"
    )
}

/// Base: fifty PHP pages with two forms each and five handlers. Head: each
/// page renders its own template, which holds the forms; `drop` handlers
/// are deleted in the same commit.
fn migrated(drop: &[usize]) -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write(
        "public/admin/lib.php",
        "<?php\nfunction check_login() { return true; }\n",
    );
    for h in 0..5 {
        repo.write(
            &format!("public/admin/save{h}.php"),
            "<?php\nfile_put_contents('/tmp/x', $_POST['title'] ?? '');\n",
        );
    }
    for n in 0..PAGES {
        repo.write(
            &format!("public/admin/page{n}.php"),
            format!(
                "<?php require 'lib.php'; check_login(); ?>\n<!DOCTYPE html>\n<html><body>\n<h1>Settings {n}</h1>\n{}</body></html>\n",
                forms(n, &n.to_string())
            ),
        );
    }
    repo.commit("admin pages");
    repo.write(
        "templates/admin/base.html.twig",
        "<!DOCTYPE html>\n<html><body>\n{% block content %}{% endblock %}\n</body></html>\n",
    );
    for n in 0..PAGES {
        repo.write(
            &format!("templates/admin/page{n}.html.twig"),
            format!(
                "{{% extends 'admin/base.html.twig' %}}\n{{% block content %}}\n<h1>Settings {{{{ n }}}}</h1>\n{}{{% endblock %}}\n",
                forms(n, "{{ n }}")
            ),
        );
        repo.write(
            &format!("public/admin/page{n}.php"),
            format!(
                "<?php require 'lib.php'; check_login();\n$template = 'admin/page{n}.html.twig';\necho $twig->render($template, ['n' => {n}]);\n"
            ),
        );
    }
    for h in drop {
        repo.remove(&format!("public/admin/save{h}.php"));
    }
    repo.commit("render the admin pages with Twig");
    repo
}

fn severities(repo: &TestRepo) -> Vec<(String, String)> {
    let (code, out, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--format", "json"]);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn fifty_forms_moved_into_templates_report_nothing() {
    // Before: 50 `forms/handler-missing` highs, each action resolved next
    // to the template (`templates/admin/save0.php`).
    assert_eq!(severities(&migrated(&[])), Vec::<(String, String)>::new());
}

#[test]
fn a_handler_deleted_in_the_migration_is_still_missing() {
    let found = severities(&migrated(&[0]));
    assert_eq!(found.len(), PAGES / 5, "{found:?}");
    assert!(found
        .iter()
        .all(|(rule, sev)| rule == "forms/handler-missing" && sev == "high"));
}
