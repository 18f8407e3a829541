//! Acknowledgements: findings a person has reviewed and signed off,
//! recorded in `.riskdiff/acknowledged.toml` at the repository root so the
//! same change does not fail CI again. Keyed by the line-independent
//! fingerprint, so they survive unrelated edits and rebases.

use crate::error::{Error, Result};
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

pub fn file_path(workdir: &Path) -> PathBuf {
    workdir.join(FILE)
}

/// The acknowledgements of a working tree; none when the file is absent.
pub fn load(workdir: &Path) -> Result<Vec<Ack>> {
    let path = file_path(workdir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::new(format!("cannot read {FILE}: {e}"))),
    };
    parse(&text)
}

pub fn parse(text: &str) -> Result<Vec<Ack>> {
    toml::from_str::<AckFile>(text)
        .map(|f| f.acknowledged)
        .map_err(|e| {
            let (line_no, line) = match e.span() {
                Some(span) => {
                    let start = span.start.min(text.len());
                    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                    (
                        text[..start].matches('\n').count() + 1,
                        &text[line_start..line_end],
                    )
                }
                None => (1, text.lines().next().unwrap_or("")),
            };
            Error::new(format!(
                "{FILE}:{line_no}: {}\n{line_no} | {line}",
                e.message()
            ))
            .with_hint("fix or delete the entry; `riskdiff ack` rewrites the file")
        })
}

pub fn save(workdir: &Path, acks: &[Ack]) -> Result<()> {
    let path = file_path(workdir);
    let io = |e: std::io::Error| Error::new(format!("cannot write {FILE}: {e}"));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let body = toml::to_string_pretty(&AckFile {
        acknowledged: acks.to_vec(),
    })
    .map_err(|e| Error::new(format!("cannot write {FILE}: {e}")))?;
    let text = format!(
        "# Findings reviewed and signed off with `riskdiff ack`. Keyed by\n\
         # fingerprint; `riskdiff ack --prune` removes stale entries.\n\n{body}"
    );
    std::fs::write(&path, text).map_err(io)
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
