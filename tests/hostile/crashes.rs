//! Crashes: deeply nested input must end in a note, never in a stack
//! overflow or an abort (exit 134).

use crate::common::{run_bin, TestRepo};

/// Commits `path` as `before`, then as `after`, and runs the JSON check:
/// (exit code, the notes' text, the findings' rules).
fn check_change(path: &str, before: &str, after: &str) -> (i32, String, Vec<String>) {
    let mut repo = TestRepo::new();
    repo.write(path, before);
    repo.commit("before");
    repo.write(path, after);
    repo.commit("after");
    let (code, out, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--format", "json"]);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let rules = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    (code, v["notes"].to_string(), rules)
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// The note of a skipped deep file, on the head side at least.
fn assert_skipped_deep(path: &str, notes: &str) {
    assert!(
        notes.contains(path) && notes.contains("nested"),
        "no note for {path}: {notes}"
    );
}

#[test]
fn json_nested_4000_deep_is_a_note() {
    // A level per line: on one line it would be skipped as minified data
    // before its depth is looked at.
    let deep = |v: &str| {
        nested(
            "{\"a\": [\n",
            &format!("{{\"factory_reset\": {v}}}"),
            "]}\n",
            4000,
        )
    };
    let (_, notes, _) = check_change("config/device.json", &deep("false"), &deep("true"));
    assert_skipped_deep("config/device.json", &notes);
}

#[test]
fn hcl_and_toml_nested_thousands_deep_are_notes() {
    let hcl = |v: &str| {
        format!(
            "locals {{\n  x = {}\n  factory_reset = {v}\n}}\n",
            nested("{ a = ", "1", " }", 5000)
        )
    };
    let (_, notes, _) = check_change("main.tf", &hcl("false"), &hcl("true"));
    assert_skipped_deep("main.tf", &notes);
    let toml = |v: &str| format!("factory_reset = {v}\nx = {}\n", nested("[", "1", "]", 7000));
    let (_, notes, _) = check_change("device.toml", &toml("false"), &toml("true"));
    assert_skipped_deep("device.toml", &notes);
}

#[test]
fn yaml_flow_sequences_10000_deep_are_a_note() {
    let yaml = |v: &str| format!("factory_reset: {v}\nx: {}\n", nested("[", "1", "]", 10_000));
    let (_, notes, _) = check_change("device.yml", &yaml("false"), &yaml("true"));
    assert_skipped_deep("device.yml", &notes);
}

#[test]
fn yaml_block_mappings_300_deep_do_not_abort() {
    let yaml = |v: &str| {
        let mut s = String::from("factory_reset: false\n");
        for i in 0..300 {
            s.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        s.push_str(&format!("{}factory_reset: {v}\n", "  ".repeat(300)));
        s
    };
    let (_, notes, _) = check_change("device.yml", &yaml("false"), &yaml("true"));
    assert_skipped_deep("device.yml", &notes);
}

#[test]
fn rails_scopes_1000_deep_are_a_note() {
    let routes = |extra: &str| {
        let mut s = String::from("Rails.application.routes.draw do\n");
        for i in 0..1000 {
            s.push_str(&format!("scope '/s{i}' do\n"));
        }
        s.push_str(extra);
        s.push_str(&"end\n".repeat(1000));
        s.push_str("  post '/contact', to: 'contact#create'\nend\n");
        s
    };
    let (_, notes, _) = check_change(
        "config/routes.rb",
        &routes("post '/a', to: 'a#b'\n"),
        &routes(""),
    );
    assert_skipped_deep("config/routes.rb", &notes);
}

#[test]
fn nesting_just_inside_the_caps_is_still_analysed() {
    // Deep, but within the caps: read in full, the switch found.
    let deep = |v: &str| nested("{\"a\": ", &format!("{{\"factory_reset\": {v}}}"), "}", 120);
    let (_, notes, rules) = check_change("config/device.json", &deep("false"), &deep("true"));
    assert!(!notes.contains("nested"), "{notes}");
    assert!(
        rules.contains(&"config/destructive-enabled".to_string()),
        "{rules:?}"
    );
    let yaml = |v: &str| {
        let mut s = String::new();
        for i in 0..60 {
            s.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        s.push_str(&format!("{}factory_reset: {v}\n", "  ".repeat(60)));
        s
    };
    let (_, notes, rules) = check_change("device.yml", &yaml("false"), &yaml("true"));
    assert!(!notes.contains("nested"), "{notes}");
    assert!(
        rules.contains(&"config/destructive-enabled".to_string()),
        "{rules:?}"
    );
}

#[test]
fn haml_nested_thousands_deep_and_broken_hashes_never_crash() {
    // 3,000 levels of indentation under a form, an unclosed attribute hash,
    // a hash nested 2,000 deep, NUL bytes: a note or a reading, never a crash.
    let mut deep = String::from("%form{ action: '/a' }\n");
    for i in 1..3000 {
        deep.push_str(&format!("{}%div\n", " ".repeat(i)));
    }
    deep.push_str(&format!("{}%input{{ name: 'x' }}\n", " ".repeat(3000)));
    let broken = format!(
        "%form{{ action: '/a', data: {}1{} }}\n  %input{{ name: 'y'\n\0\0%form{{\n",
        "{ a: ".repeat(2000),
        " }".repeat(2000)
    );
    for (before, after) in [(&deep, &broken), (&broken, &deep)] {
        let (code, _, _) = check_change("source/partials/_form.haml", before, after);
        assert!(code == 0 || code == 1);
    }
}

#[test]
fn puppet_classes_and_arrays_thousands_deep_never_crash() {
    // A backup cron inside 3,000 nested `if` blocks, an attribute array
    // nested 5,000 deep, an unterminated resource body and NULs: a note or a
    // reading, never a crash.
    let cron = "cron { 'borg': command => 'borgmatic', hour => 2 }\n";
    let deep = format!("{}{cron}{}", "if $x { ".repeat(3000), "}\n".repeat(3000));
    let broken = format!(
        "cron {{ 'borg': command => 'borgmatic', minute => {}0{},\n\0\0cron {{ 'x':\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    for (before, after) in [
        (&deep, &broken),
        (&broken, &deep),
        (&cron.to_string(), &deep),
    ] {
        let (code, _, _) = check_change("manifests/backup.pp", before, after);
        assert!(code == 0 || code == 1);
    }
}
