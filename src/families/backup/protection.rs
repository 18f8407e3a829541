//! `backup/protection-disabled`: deletion protection, final snapshots,
//! versioning, object lock, point-in-time recovery or `prevent_destroy`
//! switched off.

use super::buckets::{is_s3_protection_key, Terraform};
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
        terraform_head: Option<&Terraform>,
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
                if let Some(tf) = terraform_head {
                    if terraform_handled(tf, &head.path, change.path, change.after.is_none()) {
                        continue;
                    }
                }
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

/// Whether a Terraform key change is not this check's: S3 versioning and
/// object lock are compared per bucket; a setting whose whole resource is
/// gone from head is `durability/store-removed`'s (or moot); a setting
/// whose resource moved to another file is read where it now stands.
fn terraform_handled(tf: &Terraform, file: &str, path: &str, removed: bool) -> bool {
    let (address, rtype, rest) = if let Some(r) = path.strip_prefix("resource.") {
        let mut p = r.splitn(3, '.');
        let (t, n, rest) = (p.next(), p.next(), p.next());
        match (t, n, rest) {
            (Some(t), Some(n), Some(rest)) => (format!("{t}.{n}"), t, rest),
            _ => return false,
        }
    } else if let Some(r) = path.strip_prefix("module.") {
        match r.split_once('.') {
            Some((n, rest)) => (format!("module.{n}"), "module", rest),
            None => return false,
        }
    } else {
        return false;
    };
    // `dynamic "versioning" { content { … } }` writes the same setting.
    let rest = rest.replace("dynamic.", "").replace(".content.", ".");
    let rest = rest.as_str();
    if is_s3_protection_key(rtype, rest) {
        return true;
    }
    if !removed {
        return false;
    }
    match tf.block(&address) {
        None => true,
        Some(b) if b.file != file => b
            .get(rest)
            .is_some_and(|e| e.value.is_on() || e.value.shown().eq_ignore_ascii_case("enabled")),
        Some(_) => false,
    }
}
