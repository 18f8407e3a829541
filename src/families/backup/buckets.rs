//! Buckets as Terraform declares them, whichever way it is written: the AWS
//! provider v4 split `aws_s3_bucket_versioning`,
//! `aws_s3_bucket_lifecycle_configuration` and
//! `aws_s3_bucket_object_lock_configuration` carry what the inline
//! `versioning {}`, `lifecycle_rule {}` and `object_lock_configuration {}`
//! blocks did. Settings are compared per bucket, so moving one from the
//! inline block to its split resource is not a change, and a real
//! `Suspended` or a shorter expiration is.

use super::retention::retention_finding;
use super::Backup;
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision};
use crate::pipeline::lang::Lang;
use crate::readers::config_files::{config_side, ConfigSide};
use crate::readers::keypath::ConfigEntry;
use crate::readers::terraform::{blocks, referenced_bucket, TfBlock};
use crate::readers::words::words;
use std::collections::{BTreeMap, HashMap};

/// The Terraform of every changed `.tf` file on one side.
pub(super) struct Terraform {
    pub(super) sides: Vec<ConfigSide>,
    pub(super) blocks: Vec<TfBlock>,
    /// Block index by address, first declaration wins.
    by_address: HashMap<String, usize>,
    /// `aws_s3_bucket` block index by address and by bucket name: what a
    /// split resource's `bucket = …` resolves to, looked up once each.
    buckets: HashMap<String, usize>,
}

impl Terraform {
    pub(super) fn read(cx: &Context, files: &[ChangedFile], rev: Revision) -> Terraform {
        let sides: Vec<ConfigSide> = files
            .iter()
            .filter(|f| match rev {
                Revision::Base => f.base_lang == Lang::Hcl,
                Revision::Head => f.head_lang == Lang::Hcl,
            })
            .filter_map(|f| config_side(cx, f, rev))
            .collect();
        let refs: Vec<&ConfigSide> = sides.iter().collect();
        let blocks = blocks(&refs);
        let mut by_address = HashMap::new();
        let mut buckets = HashMap::new();
        for (i, b) in blocks.iter().enumerate() {
            by_address.entry(b.address.clone()).or_insert(i);
            if b.rtype == "aws_s3_bucket" {
                buckets.entry(b.address.clone()).or_insert(i);
                if let Some(name) = b.identifier() {
                    buckets.entry(name).or_insert(i);
                }
            }
        }
        Terraform {
            sides,
            blocks,
            by_address,
            buckets,
        }
    }

    pub(super) fn block(&self, address: &str) -> Option<&TfBlock> {
        self.by_address.get(address).map(|&i| &self.blocks[i])
    }

    fn location(&self, rev: Revision, b: &TfBlock, e: &ConfigEntry) -> Option<Location> {
        let side = self.sides.iter().find(|s| s.path == b.file)?;
        Some(side.location(rev, e))
    }

    /// The bucket a block configures: its own address for a bucket (or a
    /// module call), the bucket a split resource references, resolved to
    /// that bucket's address when it is declared here.
    fn bucket_of(&self, b: &TfBlock) -> Option<String> {
        if b.rtype == "module" || b.rtype == "aws_s3_bucket" || b.rtype == "google_storage_bucket" {
            return Some(b.address.clone());
        }
        if !b.rtype.starts_with("aws_s3_bucket_") {
            return None;
        }
        let r = referenced_bucket(b)?;
        let known = self.buckets.get(&r).map(|&i| &self.blocks[i]);
        Some(known.map_or(r, |x| x.address.clone()))
    }
}

/// Keys of S3 versioning and object lock, on the bucket, a module call
/// or a split resource: compared per bucket, not per key path.
pub(super) fn is_s3_protection_key(rtype: &str, key: &str) -> bool {
    let s3 = rtype == "module" || rtype.starts_with("aws_s3_bucket");
    s3 && matches!(
        key,
        "versioning.enabled"
            | "versioning.status"
            | "versioning_configuration.status"
            | "object_lock_enabled"
            | "object_lock_configuration.object_lock_enabled"
    )
}

/// Versioning or object lock of each bucket: on or off, and where.
fn protection_state<'t>(
    tf: &'t Terraform,
    what: &str,
) -> BTreeMap<String, (bool, &'t TfBlock, &'t ConfigEntry)> {
    let mut out = BTreeMap::new();
    for b in &tf.blocks {
        let Some(bucket) = tf.bucket_of(b) else {
            continue;
        };
        let keys: &[&str] = match what {
            "versioning" => &[
                "versioning.enabled",
                "versioning.status",
                "versioning_configuration.status",
            ],
            _ => &[
                "object_lock_enabled",
                "object_lock_configuration.object_lock_enabled",
            ],
        };
        for k in keys {
            if let Some(e) = b.get(k) {
                // Off only when written off: `var.object_lock_enabled` or a
                // conditional may well be on, and a module's inputs decide.
                let shown = e.value.shown().to_ascii_lowercase();
                let on = !(e.value.is_off() || matches!(shown.as_str(), "suspended" | "disabled"));
                out.insert(bucket.clone(), (on, b, e));
            }
        }
        // A split object lock configuration is object lock on.
        if what == "object_lock" && b.rtype == "aws_s3_bucket_object_lock_configuration" {
            if let Some(e) = b.first() {
                out.entry(bucket).or_insert((true, b, e));
            }
        }
    }
    out
}

fn purpose_of(tf: &Terraform, bucket: &str, b: &TfBlock) -> Vec<String> {
    let mut w = b.purpose_words();
    if let Some(owner) = tf.block(bucket) {
        w.extend(owner.purpose_words());
    }
    w.extend(words(bucket));
    w
}

/// Expiration days of each bucket by setting: inline `lifecycle_rule`,
/// split lifecycle rules, GCS `age` of a Delete rule, Azure
/// `delete_after_days…`, module inputs named `*_expiration_days`.
/// Expiration days per (bucket, setting), shortest first, with where each
/// was written.
type Expirations<'t> = BTreeMap<(String, String), Vec<(f64, &'t TfBlock, &'t ConfigEntry)>>;

fn expirations(tf: &Terraform) -> Expirations<'_> {
    let mut out: Expirations = BTreeMap::new();
    for b in &tf.blocks {
        let bucket = match b.rtype.as_str() {
            "azurerm_storage_management_policy" => Some(b.address.clone()),
            _ => tf.bucket_of(b),
        };
        let Some(bucket) = bucket else {
            continue;
        };
        let gcs_delete = b
            .attrs
            .iter()
            .any(|(k, e)| k == "lifecycle_rule.action.type" && e.value.shown() == "Delete");
        for (k, e) in &b.attrs {
            let setting = match k.as_str() {
                "lifecycle_rule.expiration.days" | "rule.expiration.days" => "expiration",
                "lifecycle_rule.noncurrent_version_expiration.days"
                | "rule.noncurrent_version_expiration.days"
                | "rule.noncurrent_version_expiration.noncurrent_days" => "noncurrent versions",
                "lifecycle_rule.condition.age" if gcs_delete => "age",
                _ if k.contains("delete_after_days") => k.rsplit('.').next().unwrap_or(k),
                _ if b.rtype == "module" && is_expiration_input(k) => k.as_str(),
                _ => continue,
            };
            let Some(days) = e.value.number() else {
                continue;
            };
            out.entry((bucket.clone(), setting.to_string()))
                .or_default()
                .push((days, b, e));
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

fn is_expiration_input(key: &str) -> bool {
    let w = words(key);
    !key.contains('.')
        && w.last().is_some_and(|l| l == "days")
        && w.iter()
            .any(|x| matches!(x.as_str(), "expiration" | "expire" | "expiry"))
}

impl Backup {
    fn keeps_records(&self, purpose: &[String]) -> bool {
        purpose
            .iter()
            .any(|w| self.tables.retained_purposes.contains(w))
            && !purpose
                .iter()
                .any(|w| self.tables.disposable_purposes.contains(w))
    }

    /// Versioning or object lock that was on for a bucket in base and is
    /// off in head, wherever either side wrote it; nothing for a bucket
    /// that is gone (that is `durability/store-removed`).
    pub(super) fn check_bucket_protection(
        &self,
        base: &Terraform,
        head: &Terraform,
        out: &mut Vec<Finding>,
    ) {
        for what in ["versioning", "object_lock"] {
            let before = protection_state(base, what);
            let after = protection_state(head, what);
            for (bucket, (was_on, bb, be)) in &before {
                if !was_on {
                    continue;
                }
                let (shown_after, location) = match after.get(bucket) {
                    Some((true, _, _)) => continue,
                    Some((false, hb, he)) => (
                        format!("`{}`", he.value.shown()),
                        head.location(Revision::Head, hb, he),
                    ),
                    None if head.block(bucket).is_some() => {
                        ("removed".to_string(), base.location(Revision::Base, bb, be))
                    }
                    None => continue,
                };
                let Some(location) = location else {
                    continue;
                };
                let key = if what == "versioning" {
                    "versioning"
                } else {
                    "object lock"
                };
                let consequence = if what == "versioning" {
                    "an overwritten or deleted object is now gone for good, and a restore may find nothing older than the damage"
                } else {
                    "stored objects can now be deleted or overwritten, by mistake or by ransomware"
                };
                let mut f = Finding::new(
                    "backup/protection-disabled",
                    location.clone(),
                    format!("{} {bucket} {key}", bb.file),
                    format!(
                        "The {key} of bucket `{bucket}` changed from `{}` (in `{}`) to {shown_after}: {consequence}.",
                        be.value.shown(),
                        bb.file
                    ),
                )
                .evidence("bucket", bucket.clone())
                .evidence("key", format!("{}.{}", bb.address, key))
                .evidence("before", be.value.shown())
                .evidence("after", shown_after.clone());
                if location.revision == Revision::Head {
                    if let Some(l) = base.location(Revision::Base, bb, be) {
                        f = f.related(l, format!("in base it was `{}`", be.value.shown()));
                    }
                }
                out.push(f);
            }
        }
    }

    /// Lifecycle expiration shortened on a bucket that keeps backups,
    /// archives, audit records or logs; quiet on caches and artifacts.
    pub(super) fn check_bucket_retention(
        &self,
        base: &Terraform,
        head: &Terraform,
        out: &mut Vec<Finding>,
    ) {
        let before = expirations(base);
        let after = expirations(head);
        for ((bucket, setting), now) in &after {
            let Some(was) = before.get(&(bucket.clone(), setting.clone())) else {
                continue;
            };
            if !self.keeps_records(&purpose_of(head, bucket, now[0].1)) {
                continue;
            }
            // Pairwise when the rule count is the same, else the shortest.
            let cut = if was.len() == now.len() {
                was.iter().zip(now).find(|(w, n)| n.0 < w.0)
            } else {
                Some((&was[0], &now[0])).filter(|(w, n)| n.0 < w.0)
            };
            let Some((w, n)) = cut else {
                continue;
            };
            let (Some(hl), Some(bl)) = (
                head.location(Revision::Head, n.1, n.2),
                base.location(Revision::Base, w.1, w.2),
            ) else {
                continue;
            };
            let (before, after) = (format!("{} days", w.0), format!("{} days", n.0));
            out.push(
                retention_finding(&n.2.path, &n.1.file, &before, &after, n.0 == 0.0, hl, bl)
                    .evidence("bucket", bucket.clone())
                    .evidence("setting", setting.clone()),
            );
        }
    }
}

/// Key paths the per-bucket checks own, so the key-path checks leave them.
pub(super) fn is_bucket_lifecycle_path(path: &str) -> bool {
    [
        "resource.aws_s3_bucket.",
        "resource.aws_s3_bucket_lifecycle_configuration.",
        "resource.google_storage_bucket.",
        "resource.azurerm_storage_management_policy.",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}
