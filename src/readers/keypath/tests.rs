//! Unit tests of the key-path readers.

use super::*;
use crate::pipeline::parse::grammar;

fn read(lang: Lang, text: &str) -> Vec<(String, String)> {
    let tree = grammar(lang).map(|g| {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&g).unwrap();
        p.parse(text, None).unwrap()
    });
    entries(lang, text, tree.as_ref())
        .unwrap()
        .into_iter()
        .map(|e| (e.path, e.value.shown()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn yaml_paths_lists_and_named_items() {
    assert_eq!(
        read(Lang::Yaml, "on:\n  push:\n    branches: [main]\n")[0].0,
        "on.push.branches"
    );
    let text = "rollout:\n  targets: [a, \"b\"]\n  factory_reset: yes\ntasks:\n  - name: \"Reset\"\n    command: reboot\n  - plain\nretention: 7\n";
    assert_eq!(
        read(Lang::Yaml, text),
        pairs(&[
            ("rollout.targets", "[a, b]"),
            ("rollout.factory_reset", "true"),
            ("tasks.Reset.name", "Reset"),
            ("tasks.Reset.command", "reboot"),
            ("tasks.1", "plain"),
            ("retention", "7"),
        ])
    );
}

#[test]
fn yaml_documents_are_named_by_kind_and_name() {
    let text = "kind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"0 3 * * *\"\n---\nkind: Service\nmetadata: {name: web}\n";
    let got = read(Lang::Yaml, text);
    assert!(
        got.contains(&("CronJob/backup.spec.schedule".into(), "0 3 * * *".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("Service/web.kind".into(), "Service".into())),
        "{got:?}"
    );
}

#[test]
fn reordering_and_reformatting_give_the_same_entries() {
    let a = "a:\n  x: 1\n  y: true\nlist:\n  - name: one\n    v: 1\n  - name: two\n    v: 2\n";
    let b = "list:\n- {name: two, v: 2}\n- name: one\n  v: 1\na: {y: yes, x: 1.0}\n";
    let mut ea = read(Lang::Yaml, a);
    let mut eb = read(Lang::Yaml, b);
    ea.sort();
    eb.sort();
    assert_eq!(ea, eb);
}

#[test]
fn json_toml_hcl() {
    assert_eq!(
        read(
            Lang::Json,
            "{\"a\": {\"b\": [1, 2], \"c\": [{\"name\": \"x\", \"v\": true}]}, \"d\": null}"
        ),
        pairs(&[
            ("a.b", "[1, 2]"),
            ("a.c.x.name", "x"),
            ("a.c.x.v", "true"),
            ("d", "null")
        ])
    );
    assert_eq!(
        read(
            Lang::Toml,
            "a = 1\nb.c = \"x\"\n[server.opts]\ndry_run = false\ninline = { k = true }\n[[jobs]]\nname = \"nightly\"\n[[jobs]]\nkeep = 3\n"
        ),
        pairs(&[
            ("a", "1"),
            ("b.c", "x"),
            ("server.opts.dry_run", "false"),
            ("server.opts.inline.k", "true"),
            ("jobs.nightly.name", "nightly"),
            ("jobs.1.keep", "3"),
        ])
    );
    assert_eq!(
        read(
            Lang::Hcl,
            "resource \"aws_db_instance\" \"crm\" {\n  deletion_protection = false\n  tags = { env = \"prod\" }\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n"
        ),
        pairs(&[
            ("resource.aws_db_instance.crm.deletion_protection", "false"),
            ("resource.aws_db_instance.crm.tags.env", "prod"),
            ("resource.aws_db_instance.crm.lifecycle.prevent_destroy", "true"),
        ])
    );
}

#[test]
fn env_and_ini_lines() {
    assert_eq!(
        read(
            Lang::Env,
            "# c\nexport DRY_RUN=false\nFACTORY_RESET=\"yes\"\nURL=http://x#y\nbroken\n"
        ),
        pairs(&[
            ("DRY_RUN", "false"),
            ("FACTORY_RESET", "yes"),
            ("URL", "http://x#y")
        ])
    );
    assert_eq!(
        read(
            Lang::Ini,
            "[maintenance]\nfactory_reset = On ; note\n[rollout]\ntargets: all\n"
        ),
        pairs(&[
            ("maintenance.factory_reset", "true"),
            ("rollout.targets", "all")
        ])
    );
}

#[test]
fn ranges_point_at_the_key_line() {
    let text = "a:\n  deep:\n    dry_run: false\n";
    let tree = {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&grammar(Lang::Yaml).unwrap()).unwrap();
        p.parse(text, None).unwrap()
    };
    let e = entries(Lang::Yaml, text, Some(&tree)).unwrap();
    assert_eq!(&text[e[0].range.clone()], "dry_run: false");
}

#[test]
fn compare_reports_changed_added_and_removed_paths_only() {
    let parse = |t: &str| {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&grammar(Lang::Yaml).unwrap()).unwrap();
        let tree = p.parse(t, None).unwrap();
        entries(Lang::Yaml, t, Some(&tree)).unwrap()
    };
    let base = parse(
        "a: 1
b: true
c: x
",
    );
    let head = parse(
        "c: x
b: false
d: 2
",
    );
    let got: Vec<(&str, Option<String>, Option<String>)> = compare(&base, &head)
        .into_iter()
        .map(|c| {
            (
                c.path,
                c.before.map(|e| e.value.shown()),
                c.after.map(|e| e.value.shown()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("b", Some("true".into()), Some("false".into())),
            ("d", None, Some("2".into())),
            ("a", Some("1".into()), None),
        ]
    );
}

#[test]
fn garbage_never_panics() {
    for lang in [
        Lang::Yaml,
        Lang::Json,
        Lang::Toml,
        Lang::Hcl,
        Lang::Ini,
        Lang::Env,
    ] {
        for text in [
            "[\n=\n\u{0}\n'",
            "{{{",
            "a: [b, {c: ",
            "- - - :",
            "\u{feff}x = \"\n",
        ] {
            let _ = read(lang, text);
        }
    }
}

/// A licence header, a `/* … */` block, a `%YAML` directive or a BOM in
/// front of a file is not its body: every setting after it is still read.
#[test]
fn what_precedes_the_body_never_hides_it() {
    let hcl = "resource \"aws_db_instance\" \"crm\" {\n  deletion_protection = true\n}\n";
    let want = pairs(&[("resource.aws_db_instance.crm.deletion_protection", "true")]);
    for header in [
        "# Copyright 2024 Example\n",
        "// licence\n\n",
        "/* Variables required by this module */\n",
        "/*\n * multi\n * line\n */\n# and more\n",
    ] {
        assert_eq!(
            read(Lang::Hcl, &format!("{header}{hcl}")),
            want,
            "{header:?}"
        );
    }
    let yaml = "maintenance:\n  factory_reset: true\n";
    let want = pairs(&[("maintenance.factory_reset", "true")]);
    for header in [
        "# header\n",
        "# header\n---\n",
        "%YAML 1.2\n---\n",
        "\u{feff}",
        "\u{feff}# header\n",
    ] {
        assert_eq!(
            read(Lang::Yaml, &format!("{header}{yaml}")),
            want,
            "{header:?}"
        );
    }
    let json = "{\"maintenance\": {\"factory_reset\": true}}\n";
    for header in ["\u{feff}", "// tsconfig-style comment\n", "/* c */\n"] {
        assert_eq!(
            read(Lang::Json, &format!("{header}{json}")),
            want,
            "{header:?}"
        );
    }
    let toml = "[maintenance]\nfactory_reset = true\n";
    for header in ["# header\n\n", "\u{feff}", "\u{feff}# header\n"] {
        assert_eq!(
            read(Lang::Toml, &format!("{header}{toml}")),
            want,
            "{header:?}"
        );
    }
}

#[test]
fn environment_lists_are_key_paths() {
    let compose = "services:\n  app:\n    environment:\n      - spring.datasource.url=jdbc:postgresql://db/app\n      - \"SPRING_JPA_HIBERNATE_DDL_AUTO=create\"\n      - DEBUG\n    command: [a, b]\n";
    let got = read(Lang::Yaml, compose);
    assert_eq!(
        got,
        pairs(&[
            (
                "services.app.environment.spring.datasource.url",
                "jdbc:postgresql://db/app"
            ),
            (
                "services.app.environment.SPRING_JPA_HIBERNATE_DDL_AUTO",
                "create"
            ),
            ("services.app.environment.DEBUG", "null"),
            ("services.app.command", "[a, b]"),
        ])
    );
    let tree = {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&grammar(Lang::Yaml).unwrap()).unwrap();
        p.parse(compose, None).unwrap()
    };
    let e = entries(Lang::Yaml, compose, Some(&tree)).unwrap();
    assert_eq!(
        &compose[e[1].range.clone()],
        "\"SPRING_JPA_HIBERNATE_DDL_AUTO=create\""
    );
    let k8s = "spec:\n  containers:\n    - name: app\n      env:\n        - name: TYPEORM_SYNCHRONIZE\n          value: \"true\"\n        - name: SECRET\n          valueFrom: {secretKeyRef: {name: s, key: k}}\n";
    assert_eq!(
        read(Lang::Yaml, k8s),
        pairs(&[
            ("spec.containers.app.name", "app"),
            ("spec.containers.app.env.TYPEORM_SYNCHRONIZE", "true"),
            (
                "spec.containers.app.env.SECRET.valueFrom.secretKeyRef.name",
                "s"
            ),
            (
                "spec.containers.app.env.SECRET.valueFrom.secretKeyRef.key",
                "k"
            ),
        ])
    );
    // Not an environment list: left whole.
    assert_eq!(
        read(Lang::Yaml, "args: [--keep=3, run]\nenvironments: [a=b]\n"),
        pairs(&[("args", "[--keep=3, run]"), ("environments", "[a=b]")])
    );
}
