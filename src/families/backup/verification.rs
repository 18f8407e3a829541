//! `backup/verification-removed`: `borg check`/`restic check` gone, `verify`
//! switched off, borgmatic `checks` dropped.

use super::Backup;
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::readers::config_files::config_side;
use crate::readers::keypath;
use crate::readers::keypath::Scalar;
use crate::readers::words::words;
use std::collections::BTreeSet;
use std::ops::Range;

/// `checks.archives` for `checks.archives.frequency`: the list item a key
/// of borgmatic's `checks` belongs to.
pub(super) fn checks_item(path: &str) -> Option<&str> {
    let at = path.find("checks.")?;
    let rest = &path[at + "checks.".len()..];
    let item_end = rest
        .find('.')
        .map_or(path.len(), |i| at + "checks.".len() + i);
    Some(&path[..item_end])
}

/// `spec.verification.deep` for `spec.verification.deep.schedule.cron`:
/// the verification a key inside a `verification:` block belongs to.
pub(super) fn verification_item(path: &str) -> Option<&str> {
    let segs: Vec<&str> = path.split('.').collect();
    let at = segs[..segs.len().saturating_sub(1)]
        .iter()
        .position(|s| matches!(*s, "verification" | "verify" | "verifications"))?;
    let take = (at + 2).min(segs.len());
    let len = segs[..take].iter().map(|s| s.len() + 1).sum::<usize>() - 1;
    Some(&path[..len])
}

impl Backup {
    /// Lines that verify a backup (`borg check`, `restic check`), per file.
    pub(super) fn verify_lines(&self, text: &str) -> Vec<(String, Range<usize>)> {
        let mut out = Vec::new();
        for (start, line) in crate::pipeline::source::lines(text) {
            let t = line.trim();
            if t.starts_with('#') || t.starts_with("//") {
                continue;
            }
            let squashed = t.split_whitespace().collect::<Vec<_>>().join(" ");
            if self
                .tables
                .verify_commands
                .iter()
                .any(|c| squashed.contains(c.as_str()))
            {
                out.push((squashed, start..start + line.len()));
            }
        }
        out
    }

    pub(super) fn check_verification(
        &self,
        cx: &Context,
        files: &[&ChangedFile],
        out: &mut Vec<Finding>,
    ) {
        let head_lines: BTreeSet<String> = files
            .iter()
            .filter_map(|f| f.head.as_ref()?.text())
            .flat_map(|t| self.verify_lines(t).into_iter().map(|(l, _)| l))
            .collect();
        for f in files {
            let Some(bv) = f.base.as_ref() else {
                continue;
            };
            let Some(base_text) = bv.text() else {
                continue;
            };
            for (line, range) in self.verify_lines(base_text) {
                if head_lines.contains(&line) {
                    continue;
                }
                let message = format!(
                    "The backup check `{line}` was removed from `{}`. Backups are still written, but nobody finds out any more when they stop being readable — until the day a restore is needed.",
                    bv.path
                );
                out.push(
                    Finding::new(
                        "backup/verification-removed",
                        Location {
                            revision: Revision::Base,
                            path: bv.path.clone(),
                            span: Span::from_bytes(base_text, range.start, range.end),
                        },
                        format!("{} {line}", bv.path),
                        message,
                    )
                    .evidence("command", line.clone()),
                );
            }
        }
        // Settings: `verify: true` → false, borgmatic `checks` shrinking.
        for f in files {
            let (Some(head), Some(base)) = (
                config_side(cx, f, Revision::Head),
                config_side(cx, f, Revision::Base),
            ) else {
                continue;
            };
            if !self.is_backup_config(&base) {
                continue;
            }
            let mut reported_items: BTreeSet<String> = BTreeSet::new();
            // The checks head still has: one whose keys were reshaped
            // (`cron` moved under `schedule:`, `jitter` dropped) is kept.
            let head_items: BTreeSet<&str> = head
                .entries
                .iter()
                .filter_map(|e| checks_item(&e.path).or(verification_item(&e.path)))
                .collect();
            for change in keypath::compare(&base.entries, &head.entries) {
                // A removed `checks` item is one finding, not one per key.
                let item = checks_item(change.path).or(verification_item(change.path));
                if let Some(item) = item {
                    if change.after.is_none()
                        && (head_items.contains(item) || !reported_items.insert(item.to_string()))
                    {
                        continue;
                    }
                }
                let last = words(change.path.rsplit('.').next().unwrap_or(""));
                let is_verify_key = self
                    .tables
                    .verify_keys
                    .iter()
                    .any(|k| last.first() == Some(k));
                let in_checks = change.path.split('.').any(|s| s == "checks")
                    || verification_item(change.path).is_some();
                let turned_off = match (change.before, change.after) {
                    (Some(b), Some(a)) if is_verify_key => b.value.is_on() && a.value.is_off(),
                    (Some(b), None) if is_verify_key => b.value.is_on(),
                    (Some(b), None) if in_checks => !matches!(b.value, Scalar::Null),
                    (Some(b), Some(a)) if in_checks => match (&b.value, &a.value) {
                        (Scalar::List(x), Scalar::List(y)) => y.len() < x.len(),
                        _ => false,
                    },
                    _ => false,
                };
                if !turned_off {
                    continue;
                }
                let Some(b) = change.before else {
                    continue;
                };
                let after = change.after.map_or_else(
                    || "removed".to_string(),
                    |a| format!("`{}`", a.value.shown()),
                );
                let mut finding = Finding::new(
                    "backup/verification-removed",
                    match change.after {
                        Some(a) => head.location(Revision::Head, a),
                        None => base.location(Revision::Base, b),
                    },
                    format!("{} {}", head.path, item.unwrap_or(change.path)),
                    match (item, change.after) {
                        (Some(item), None) => format!(
                            "The check `{}` was removed from `{}` in `{}`. Backups are still written, but nobody finds out any more when they stop being readable.",
                            item.rsplit('.').next().unwrap_or(item),
                            item.rsplit_once('.').map_or(item, |(l, _)| l),
                            head.path
                        ),
                        _ => format!(
                            "`{}` in `{}` no longer verifies backups (`{}` → {after}). Backups are still written, but nobody finds out any more when they stop being readable.",
                            change.path,
                            head.path,
                            b.value.shown()
                        ),
                    },
                )
                .evidence("key", change.path.to_string())
                .evidence("before", b.value.shown())
                .evidence("after", after);
                if change.after.is_some() {
                    finding = finding.related(base.location(Revision::Base, b), "in base");
                }
                out.push(finding);
            }
        }
    }
}
