//! `backup/retention-reduced`: `keep_*`, retention and expiration settings
//! and `--keep-*` flags lowered.

use super::Backup;
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::pipeline::lang::Lang;
use crate::readers::config_files::{config_side, ConfigSide};
use crate::readers::keypath;
use crate::readers::keypath::Scalar;
use crate::readers::words::words;
use std::ops::Range;

/// A retention as a number: plain numbers, `30d`, `720h0m0s`, `4w`.
pub(super) fn duration_value(v: &Scalar) -> Option<f64> {
    if let Some(n) = v.number() {
        return Some(n);
    }
    let Scalar::Text(t) = v else {
        return None;
    };
    let t = t.trim().to_ascii_lowercase();
    let mut hours = 0.0;
    let mut num = String::new();
    let mut any = false;
    for c in t.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        hours += n * match c {
            'y' => 8760.0,
            'w' => 168.0,
            'd' => 24.0,
            'h' => 1.0,
            'm' => 1.0 / 60.0,
            's' => 1.0 / 3600.0,
            _ => return None,
        };
        any = true;
    }
    (any && num.is_empty()).then_some(hours)
}

pub(super) fn retention_finding(
    key: &str,
    path: &str,
    before: &str,
    after: &str,
    to_zero: bool,
    head: Location,
    base: Location,
) -> Finding {
    let consequence = if to_zero {
        "nothing is kept any more: a restore after the next failure finds no backup at all"
            .to_string()
    } else {
        "older backups are deleted sooner, so a problem noticed late (a corrupted database, an encrypted share, a deleted folder) may no longer be restorable".to_string()
    };
    Finding::new(
        "backup/retention-reduced",
        head,
        format!("{path} {key}"),
        format!("`{key}` in `{path}` went from {before} to {after}: {consequence}."),
    )
    .related(base, format!("in base it was {before}"))
    .evidence("key", key.to_string())
    .evidence("before", before.to_string())
    .evidence("after", after.to_string())
    .severity(if to_zero {
        Severity::High
    } else {
        Severity::Medium
    })
}

fn dropped_keep_finding(
    key: &str,
    before: &keypath::ConfigEntry,
    base: &ConfigSide,
    head: &ConfigSide,
) -> Finding {
    let shown = before.value.shown();
    Finding::new(
        "backup/retention-reduced",
        base.location(Revision::Base, before),
        format!("{} {key}", head.path),
        format!(
            "`{key}: {shown}` was removed from `{}` while the other retention counts stay: those {shown} backups are no longer kept, so a problem noticed later than the remaining tiers reach can no longer be restored.",
            head.path
        ),
    )
    .evidence("key", key.to_string())
    .evidence("before", shown)
    .evidence("after", "removed")
}

impl Backup {
    pub(super) fn is_backup_config(&self, side: &ConfigSide) -> bool {
        self.mentions_tool(&side.path)
            || side
                .entries
                .iter()
                .any(|e| self.mentions_tool(&e.path) || self.mentions_tool(&e.value.shown()))
    }

    /// CDN, session, token and cache lifetimes: how long a copy is served
    /// or a login lasts, not how long data is kept; and a catalog's limits
    /// (kopiur's `catalog.retain`: how many snapshot records are listed in
    /// the cluster, not how many backups the repository keeps); and how long
    /// a finished Job object lingers (`ttlSecondsAfterFinished` of a backup
    /// mover: its pod, not its backups).
    pub(super) fn is_cache_ttl(&self, path: &str) -> bool {
        words(path).iter().any(|w| {
            matches!(
                w.as_str(),
                "cdn"
                    | "cloudfront"
                    | "session"
                    | "sessions"
                    | "token"
                    | "tokens"
                    | "cache"
                    | "caching"
                    | "cookie"
                    | "jwt"
                    | "otp"
                    | "catalog"
                    | "finished"
            )
        })
    }

    pub(super) fn retention_key(&self, path: &str) -> bool {
        let segs: Vec<&str> = path.rsplit('.').take(2).collect();
        segs.iter().any(|s| {
            words(s)
                .iter()
                .any(|w| self.tables.retention_words.contains(w))
        })
    }

    /// A count of kept backups (`keepWeekly: 4`, `retain.weekly: 4`)
    /// removed while its neighbours stay: that tier of backups is no
    /// longer kept. Expirations and TTLs are not counts: removing one
    /// keeps data longer.
    fn dropped_keep(&self, path: &str, before: &Scalar, head: &ConfigSide) -> bool {
        let Some((parent, _)) = path.rsplit_once('.') else {
            return false;
        };
        let keeps = |p: &str| {
            let (parent, last) = p.rsplit_once('.').unwrap_or(("", p));
            let parent_last = parent.rsplit('.').next().unwrap_or("");
            words(last).first().is_some_and(|w| w == "keep")
                || words(parent_last).first().is_some_and(|w| w == "retain")
        };
        keeps(path)
            && before.number().is_some_and(|n| n > 0.0)
            && head.entries.iter().any(|e| {
                e.path.rsplit_once('.').is_some_and(|(p, _)| p == parent) && keeps(&e.path)
            })
    }

    /// `--keep-daily 7` style flags of `borg prune` / `restic forget`.
    pub(super) fn keep_flags(&self, text: &str) -> Vec<(String, f64, Range<usize>)> {
        let mut out = Vec::new();
        for flag in &self.tables.keep_flags {
            let mut from = 0;
            while let Some(i) = text[from..].find(flag.as_str()) {
                let at = from + i;
                from = at + flag.len();
                let rest = &text[from..];
                let rest = rest.strip_prefix(['=', ' ']).unwrap_or(rest);
                let num: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                if let Ok(n) = num.parse::<f64>() {
                    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
                    let line_end = text[at..].find('\n').map_or(text.len(), |p| at + p);
                    if text[line_start..at].trim_start().starts_with('#') {
                        continue;
                    }
                    out.push((flag.clone(), n, line_start..line_end));
                }
            }
        }
        out
    }

    pub(super) fn check_retention(
        &self,
        cx: &Context,
        files: &[&ChangedFile],
        out: &mut Vec<Finding>,
    ) {
        for f in files {
            // Keys.
            if let (Some(head), Some(base)) = (
                config_side(cx, f, Revision::Head),
                config_side(cx, f, Revision::Base),
            ) {
                let backupish = self.is_backup_config(&base)
                    || base
                        .entries
                        .iter()
                        .any(|e| e.path.contains("backup") || e.path.contains("snapshot"));
                for change in keypath::compare(&base.entries, &head.entries) {
                    if let (Some(b), None) = (change.before, change.after) {
                        if (backupish || change.path.contains("retention"))
                            && self.dropped_keep(change.path, &b.value, &head)
                        {
                            out.push(dropped_keep_finding(change.path, b, &base, &head));
                        }
                        continue;
                    }
                    let (Some(b), Some(a)) = (change.before, change.after) else {
                        continue;
                    };
                    if !self.retention_key(change.path)
                        || !(backupish || change.path.contains("retention"))
                        || super::buckets::is_bucket_lifecycle_path(change.path)
                        || self.is_cache_ttl(change.path)
                    {
                        continue;
                    }
                    let (Some(x), Some(y)) = (duration_value(&b.value), duration_value(&a.value))
                    else {
                        continue;
                    };
                    if y >= x {
                        continue;
                    }
                    out.push(retention_finding(
                        change.path,
                        &head.path,
                        &b.value.shown(),
                        &a.value.shown(),
                        y == 0.0,
                        head.location(Revision::Head, a),
                        base.location(Revision::Base, b),
                    ));
                }
            }
            // Flags in scripts and crontabs.
            let (Some(hv), Some(bv)) = (f.head.as_ref(), f.base.as_ref()) else {
                continue;
            };
            let (Some(ht), Some(bt)) = (hv.text(), bv.text()) else {
                continue;
            };
            if keypath::is_config(f.head_lang) && f.head_lang != Lang::Ini {
                continue;
            }
            let head_flags = self.keep_flags(ht);
            for (flag, n, range) in self.keep_flags(bt) {
                let same: Vec<&(String, f64, Range<usize>)> =
                    head_flags.iter().filter(|h| h.0 == flag).collect();
                // Only a flag that appears once on each side compares cleanly.
                if same.len() != 1
                    || self.keep_flags(bt).iter().filter(|b| b.0 == flag).count() != 1
                {
                    continue;
                }
                let (_, m, hrange) = same[0];
                if *m >= n {
                    continue;
                }
                out.push(retention_finding(
                    &flag,
                    &hv.path,
                    &n.to_string(),
                    &m.to_string(),
                    *m == 0.0,
                    Location {
                        revision: Revision::Head,
                        path: hv.path.clone(),
                        span: Span::from_bytes(ht, hrange.start, hrange.end),
                    },
                    Location {
                        revision: Revision::Base,
                        path: bv.path.clone(),
                        span: Span::from_bytes(bt, range.start, range.end),
                    },
                ));
            }
        }
    }
}
