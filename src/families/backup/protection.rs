//! `backup/protection-disabled`: deletion protection, final snapshots,
//! versioning, object lock, point-in-time recovery or `prevent_destroy`
//! switched off.

use super::Backup;
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Revision};
use crate::readers::config_files::config_side;
use crate::readers::keypath;
use crate::readers::words::words;

pub(super) fn protection_consequence(key: &str) -> &'static str {
    match key {
        "deletion_protection" | "deletion_protection_enabled" => "the database can now be deleted by a single `terraform destroy` or console click, with its automated backups",
        "skip_final_snapshot" => "deleting the database no longer leaves a final snapshot to restore from",
        "prevent_destroy" | "lifecycle.prevent_destroy" => "Terraform will now destroy the resource, and the data in it, when a plan says so",
        "point_in_time_recovery.enabled" | "point_in_time_recovery_enabled" | "enable_point_in_time_recovery" => "the table can no longer be restored to a moment before a bad write",
        "object_lock_enabled" | "object_lock_configuration.object_lock_enabled" => "stored backups can now be deleted or overwritten, by mistake or by ransomware",
        "disable_api_termination" => "the instance can now be terminated by a single API call",
        _ => "stored versions can now be overwritten or deleted for good, and a restore may find nothing older than the damage",
    }
}

impl Backup {
    pub(super) fn check_protection(
        &self,
        cx: &Context,
        files: &[&ChangedFile],
        out: &mut Vec<Finding>,
    ) {
        for f in files {
            let Some(head) = config_side(cx, f, Revision::Head) else {
                continue;
            };
            let Some(base) = config_side(cx, f, Revision::Base) else {
                continue;
            };
            for change in keypath::compare(&base.entries, &head.entries) {
                let last = change.path.rsplit('.').next().unwrap_or("");
                let parent = change.path.rsplit('.').nth(1).unwrap_or("");
                let key = words(last).join("_");
                let pkey = format!("{}.{key}", words(parent).join("_"));
                let matches = |table: &[String]| table.iter().any(|t| *t == key || *t == pkey);
                let (before, after) = (change.before, change.after);
                let weakened = if matches(&self.tables.protection_on) {
                    // On in base; off, suspended or gone in head.
                    let was_on = before.is_some_and(|b| {
                        b.value.is_on() || b.value.shown().eq_ignore_ascii_case("enabled")
                    });
                    let now_off = after.is_none_or(|a| {
                        a.value.is_off()
                            || matches!(
                                a.value.shown().to_ascii_lowercase().as_str(),
                                "suspended" | "disabled"
                            )
                    });
                    was_on && now_off
                } else if matches(&self.tables.protection_off) {
                    // A switch whose "on" removes protection, on a resource
                    // that existed in base: a new scratch resource without
                    // protection weakens nothing.
                    let owner = change.path.rsplit_once('.').map_or("", |(o, _)| o);
                    let existed = base.entries.iter().any(|e| {
                        e.path.len() > owner.len()
                            && e.path.starts_with(owner)
                            && e.path[owner.len()..].starts_with('.')
                    });
                    existed
                        && after.is_some_and(|a| a.value.is_on())
                        && !before.is_some_and(|b| b.value.is_on())
                } else {
                    false
                };
                if !weakened {
                    continue;
                }
                let before_s = before
                    .map_or_else(|| "unset".to_string(), |b| format!("`{}`", b.value.shown()));
                let after_s = after.map_or_else(
                    || "removed".to_string(),
                    |a| format!("`{}`", a.value.shown()),
                );
                let consequence = protection_consequence(&key);
                let location = match after {
                    Some(a) => head.location(Revision::Head, a),
                    None => match before {
                        Some(b) => base.location(Revision::Base, b),
                        None => continue,
                    },
                };
                let mut finding = Finding::new(
                    "backup/protection-disabled",
                    location,
                    format!("{} {}", head.path, change.path),
                    format!(
                        "`{}` in `{}` changed from {before_s} to {after_s}: {consequence}",
                        change.path, head.path
                    ),
                )
                .evidence("key", change.path.to_string())
                .evidence("before", before_s.clone())
                .evidence("after", after_s);
                if let (Some(b), Some(_)) = (before, after) {
                    finding = finding.related(
                        base.location(Revision::Base, b),
                        format!("in base it was {before_s}"),
                    );
                }
                out.push(finding);
            }
        }
    }
}
