//! Acknowledgements: findings a person has reviewed and signed off,
//! recorded in `.riskdiff/acknowledged.toml` at the repository root so the
//! same change does not fail CI again. Keyed by the line-independent
//! fingerprint, so they survive unrelated edits and rebases.

use crate::error::{Error, Result};
use crate::pipeline::repo_files;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE: &str = ".riskdiff/acknowledged.toml";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    pub reason: String,
    pub author: String,
    pub date: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AckFile {
    #[serde(default)]
    acknowledged: Vec<Ack>,
}

/// The lock `ack` holds while it reads, changes and writes the file, so
/// concurrent runs keep each other's entries.
pub const LOCK: &str = ".riskdiff/.lock";

pub fn file_path(workdir: &Path) -> PathBuf {
    workdir.join(FILE)
}

/// The acknowledgements of a working tree; none when the file is absent.
/// Read like every file the repository controls: never through a link,
/// only a regular file, and a bounded size.
pub fn load(workdir: &Path) -> Result<Vec<Ack>> {
    match repo_files::read_setting(workdir, FILE, FILE)? {
        Some(text) => parse(&text),
        None => Ok(Vec::new()),
    }
}

pub fn parse(text: &str) -> Result<Vec<Ack>> {
    toml::from_str::<AckFile>(text)
        .map(|f| f.acknowledged)
        .map_err(|e| {
            // At most the offending line, masked: never the whole file.
            let (line_no, line) = repo_files::quote_line(text, e.span().map_or(0, |s| s.start));
            let what = e.message().lines().next().unwrap_or("").trim_end();
            Error::new(format!("{FILE}:{line_no}: {what}\n{line_no} | {line}"))
                .with_hint("fix or delete the entry; `riskdiff ack` rewrites the file")
        })
}

/// Reads the acknowledgements, lets `change` edit them, and writes them
/// back if it says so, all under [`LOCK`]: eight `riskdiff ack` runs at
/// once keep eight entries.
pub fn update<T>(workdir: &Path, change: impl FnOnce(&mut Vec<Ack>) -> (bool, T)) -> Result<T> {
    let _held = repo_files::lock(workdir, LOCK)?;
    let mut acks = load(workdir)?;
    let (write, out) = change(&mut acks);
    if write {
        save(workdir, &acks)?;
    }
    Ok(out)
}

/// Writes the file atomically (temporary file and rename), never through
/// a link. Callers hold [`LOCK`] (see [`update`]).
pub fn save(workdir: &Path, acks: &[Ack]) -> Result<()> {
    let body = toml::to_string_pretty(&AckFile {
        acknowledged: acks.to_vec(),
    })
    .map_err(|e| Error::new(format!("cannot write {FILE}: {e}")))?;
    let text = format!(
        "# Findings reviewed and signed off with `riskdiff ack`. Keyed by\n\
         # fingerprint; `riskdiff ack --prune` removes stale entries.\n\n{body}"
    );
    repo_files::write(
        workdir,
        FILE,
        text.as_bytes(),
        0o644,
        repo_files::Existing::Replace,
    )
}

/// `Name <email>` from git config, or "unknown".
pub fn author(repo: &git2::Repository) -> String {
    let Ok(cfg) = repo.config() else {
        return "unknown".into();
    };
    let name = cfg.get_string("user.name").ok();
    let email = cfg.get_string("user.email").ok();
    match (name, email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n,
        (None, Some(e)) => format!("<{e}>"),
        (None, None) => "unknown".into(),
    }
}

/// Today's UTC date as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_dates_convert() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_675), "2023-11-14");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn ack_file_round_trips_and_errors_show_the_line() {
        let a = Ack {
            fingerprint: "0123456789abcdef".into(),
            rule: "forms/removed".into(),
            path: "a.html".into(),
            reason: "retired".into(),
            author: "unknown".into(),
            date: "2026-01-01".into(),
        };
        let text = toml::to_string_pretty(&AckFile {
            acknowledged: vec![a.clone()],
        })
        .unwrap();
        assert_eq!(parse(&text).unwrap(), vec![a]);
        let err = parse("[[acknowledged]]\nfingerprint = 3\n").unwrap_err();
        assert!(err.to_string().contains(":2:"), "{err}");
        assert!(err.to_string().contains("fingerprint = 3"), "{err}");
    }
}
