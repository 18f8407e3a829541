//! Unit tests of the config family.

use super::*;

fn family() -> ConfigFamily {
    let rules: toml::Table = toml::from_str(include_str!("../../../rules/config.toml")).unwrap();
    let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
        .try_into()
        .unwrap();
    ConfigFamily { tables }
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
