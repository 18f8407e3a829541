//! Unit tests of the backup family's readers.

use super::jobs::Side;
use super::retention::duration_value;
use crate::readers::keypath::Scalar;

use super::*;

fn family() -> Backup {
    let rules: toml::Table = toml::from_str(include_str!("../../../rules/backup.toml")).unwrap();
    let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
        .try_into()
        .unwrap();
    Backup::new(tables).unwrap()
}

#[test]
fn cron_lines_that_back_up() {
    let b = family();
    let text = "# m h dom mon dow command\n30 2 * * * /usr/local/bin/borgmatic --verbosity 1\n# 0 3 * * * pg_dump shop > /srv/shop.sql\n*/5 * * * * /usr/bin/php /var/www/cron.php\n@daily restic backup /srv\nMAILTO=ops@example.com\n";
    let jobs = b.cron_jobs(&Side {
        path: "crontab",
        text,
    });
    let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "/usr/local/bin/borgmatic --verbosity 1",
            "restic backup /srv"
        ]
    );
    assert_eq!(jobs[0].schedule, "30 2 * * *");
    let crond = b.cron_jobs(&Side {
        path: "etc/cron.d/backup",
        text: "15 1 * * * root mysqldump --all-databases > /backup/all.sql\n",
    });
    assert_eq!(crond[0].key, "mysqldump --all-databases > /backup/all.sql");
}

#[test]
fn durations_and_keep_flags() {
    assert_eq!(
        duration_value(&Scalar::Text("720h0m0s".into())),
        Some(720.0)
    );
    assert_eq!(duration_value(&Scalar::Text("30d".into())), Some(720.0));
    assert_eq!(duration_value(&Scalar::Number(7.0)), Some(7.0));
    assert_eq!(duration_value(&Scalar::Text("weekly".into())), None);
    let b = family();
    let flags = b.keep_flags("restic forget --keep-daily 7 --keep-weekly=4\n# --keep-monthly 6\n");
    let got: Vec<(&str, f64)> = flags.iter().map(|(f, n, _)| (f.as_str(), *n)).collect();
    assert_eq!(got, [("--keep-daily", 7.0), ("--keep-weekly", 4.0)]);
}

#[test]
fn remote_targets() {
    let b = family();
    for v in [
        "ssh://u@backup.example/./repo",
        "u@host:/srv/borg",
        "s3:s3.amazonaws.com/bucket",
        "b2:bucket:path",
        "rclone-remote:path",
    ] {
        assert!(b.is_remote(v), "{v}");
    }
    for v in ["/var/backups/borg", "/mnt/backup"] {
        assert!(!b.is_remote(v), "{v}");
    }
}
