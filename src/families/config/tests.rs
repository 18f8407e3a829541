//! Unit tests of the config family.

use super::*;

fn family() -> ConfigFamily {
    let rules: toml::Table = toml::from_str(include_str!("../../../rules/config.toml")).unwrap();
    let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
        .try_into()
        .unwrap();
    ConfigFamily::new(tables).unwrap()
}

#[test]
fn words_split_every_spelling() {
    for s in [
        "factoryReset",
        "factory-reset",
        "FACTORY_RESET",
        "factory reset",
    ] {
        assert_eq!(words(s), ["factory", "reset"], "{s}");
    }
    assert_eq!(words("dryRun"), ["dry", "run"]);
    assert_eq!(words("min.insync"), ["min", "insync"]);
}

#[test]
fn destructive_keys_by_words_not_substrings() {
    let f = family();
    for k in [
        "maintenance.factory_reset",
        "wipe",
        "rollout.reinitialize",
        "job.wipe.enabled",
        "forceOverwrite",
        "db.drop_tables",
    ] {
        assert!(f.is_destructive(k), "{k}");
    }
    for k in [
        "reset_password_url",
        "forced_colors",
        "ui.format_on_save",
        "nginx.drop_privileges",
        "app.force_ssl",
        "resetter_count",
        "purgecss",
        "docker_image.force",
        "force_source",
    ] {
        assert!(!f.is_destructive(k), "{k}");
    }
}

#[test]
fn safeguards() {
    let f = family();
    for k in [
        "deploy.dry_run",
        "dryRun",
        "require_approval",
        "preserve_user_data",
        "keep_user_settings",
        "canary.enabled",
    ] {
        assert!(f.is_safeguard(k), "{k}");
    }
    assert!(!f.is_safeguard("confirmation_email_subject"));
    for k in [
        "skip_confirmation",
        "deploy.no_dry_run",
        "disableSafeMode",
        "bypass_approval",
    ] {
        assert!(f.is_negated_safeguard(k), "{k}");
    }
    assert!(!f.is_negated_safeguard("skip_tests"));
}

#[test]
fn destructive_values_by_key_ending_and_value() {
    let f = family();
    for (file, key) in [
        ("application.yml", "spring.jpa.hibernate.ddl-auto"),
        (
            "docker-compose.yml",
            "services.app.environment.SPRING_JPA_HIBERNATE_DDL_AUTO",
        ),
        ("persistence.properties", "hibernate.hbm2ddl.auto"),
        ("app.env", "TYPEORM_DROP_SCHEMA"),
        ("ormconfig.json", "synchronize"),
    ] {
        assert!(f.destructive_value(file, key).is_some(), "{file} {key}");
    }
    for (file, key) in [
        ("config.yml", "synchronize"),
        ("config.yml", "calendar.auto"),
        ("application.yml", "spring.jpa.hibernate.naming"),
    ] {
        assert!(f.destructive_value(file, key).is_none(), "{file} {key}");
    }
    let d = f
        .destructive_value("a.yml", "spring.jpa.hibernate.ddl-auto")
        .unwrap();
    assert!(ConfigFamily::destroys(
        d,
        &Scalar::Text("create-drop".into())
    ));
    assert!(ConfigFamily::destroys(d, &Scalar::Text("Create".into())));
    for v in ["update", "validate", "none", "create-only"] {
        assert!(!ConfigFamily::destroys(d, &Scalar::Text(v.into())), "{v}");
    }
}

#[test]
fn documents_and_their_keys() {
    let e = |p: &str, v: &str| ConfigEntry {
        path: p.into(),
        value: Scalar::Text(v.into()),
        range: 0..0,
    };
    let multi = [
        e("Kustomization/cluster.local.kind", "Kustomization"),
        e("Kustomization/cluster.local.spec.prune", "true"),
        e("#1.spring.jpa.hibernate.ddl-auto", "create"),
    ];
    let docs = values::documents(&multi);
    assert_eq!(docs, ["Kustomization/cluster.local", "#1"]);
    assert_eq!(
        values::document_of("Kustomization/cluster.local.spec.prune", &docs),
        "Kustomization/cluster.local"
    );
    assert_eq!(values::document_of("#1.spring.jpa", &docs), "#1");
    assert_eq!(values::document_of("other", &docs), "");
    let single = [e("kind", "Application"), e("spec.x", "y")];
    assert_eq!(values::documents(&single), [""]);
}

#[test]
fn a_file_is_wanted_for_a_table_word_in_any_spelling_and_only_then() {
    let f = family();
    let yaml = |t: &str| f.names_a_switch(Lang::Yaml, t);
    assert!(yaml("device:\n  factoryReset: false\n"));
    assert!(yaml("FACTORY_RESET=0\n"));
    // Nested keys squash into one phrase too.
    assert!(yaml("factory:\n  reset: false\n"));
    // A scope word and a destructive value's key are config words.
    assert!(yaml("rollout:\n  percentage: 10\n"));
    assert!(yaml(
        "spring:\n  jpa:\n    hibernate:\n      ddl-auto: update\n"
    ));
    assert!(!yaml("title: Our shop\ncolor: blue\n"));
    // Code is read for switches only, not for scope words.
    let py = |t: &str| f.names_a_switch(Lang::Python, t);
    assert!(py("def wipe(dry_run=False):\n    pass\n"));
    assert!(!py("PERCENTAGE = 10\n"));
}
