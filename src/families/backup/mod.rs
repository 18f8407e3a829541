//! The backup family: incident 3 in INCIDENTS.md. A server's backups had
//! quietly stopped being usable; when the disk failed, all data was lost.
//! Backups fail by omission: a cron line deleted in a cleanup, a check
//! step dropped to save time, retention cut to save space, a deletion
//! protection switched off. Each is one line in a diff.
//!
//! Schedules are read from crontabs (line reader), systemd timers,
//! Kubernetes CronJobs and Velero Schedules, and scheduled CI workflows;
//! settings by key path ([`crate::readers::keypath`]).

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::{Finding, Revision};
use crate::pipeline::lang::Lang;
use crate::readers::keypath;
use crate::readers::words::is_ignored_path;
use serde::Deserialize;

mod buckets;
mod colocated;
mod deletions;
mod jobs;
mod managed_cron;
mod protection;
mod retention;
mod verification;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "backup",
    rules: include_str!("../../../rules/backup.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    tools: Vec<String>,
    puppet_cron_types: Vec<String>,
    verify_commands: Vec<String>,
    verify_keys: Vec<String>,
    retention_words: Vec<String>,
    keep_flags: Vec<String>,
    protection_on: Vec<String>,
    protection_off: Vec<String>,
    remote_prefixes: Vec<String>,
    destination_words: Vec<String>,
    ignored_path_words: Vec<String>,
    retained_purposes: Vec<String>,
    disposable_purposes: Vec<String>,
    scratch_target_words: Vec<String>,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Backup::new(crate::families::context::read_tables("backup", tables)?).map(|b| Box::new(b) as _)
}

struct Backup {
    tables: Tables,
    /// The `tools` table, searched for in one pass over a text.
    tools: aho_corasick::AhoCorasick,
}

pub(super) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Backup {
    fn new(tables: Tables) -> Result<Backup, String> {
        let tools = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&tables.tools)
            .map_err(|e| format!("backup tables: tools: {e}"))?;
        Ok(Backup { tables, tools })
    }

    /// Whether one file version can hold a backup fact: crontabs, units
    /// and scripts always; configuration only when it names a backup tool
    /// or a retention or protection setting.
    fn relevant(&self, path: &str, lang: Lang, text: &str) -> bool {
        if Self::is_crontab(path) || path.ends_with(".timer") || path.ends_with(".service") {
            return true;
        }
        if !self.reads(path, lang) {
            return false;
        }
        self.mentions_tool(text)
            || [
                "retention",
                "keep_",
                "protection",
                "snapshot",
                "versioning",
                "prevent_destroy",
                "object_lock",
                "point_in_time",
                "verify",
                "checks",
                "expiration",
                "delete_after_days",
                "ScheduledBackup",
                "ReplicationSource",
                "KopiaMaintenance",
            ]
            .iter()
            .any(|w| text.contains(w))
    }
}

impl Analyzer for Backup {
    fn reads(&self, path: &str, lang: Lang) -> bool {
        keypath::is_config(lang)
            || Self::is_crontab(path)
            || matches!(lang, Lang::Shell)
            || Self::is_chef_recipe(path, lang)
            || lang == Lang::Puppet
            || path.ends_with(".timer")
            || path.ends_with(".service")
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        // Only grammar-backed configuration needs a parse; crontabs, units,
        // scripts, `.env` and INI files are read line by line.
        keypath::is_config(lang)
            && !matches!(lang, Lang::Env | Lang::Ini)
            && !is_ignored_path(path, &self.tables.ignored_path_words, &[])
            && self.relevant(path, lang, text)
    }

    fn extract(&self, cx: &Context, file: &ChangedFile) {
        cx.extract_config_keys(file);
        for (version, lang) in [(&file.base, file.base_lang), (&file.head, file.head_lang)] {
            if let Some(version) = version {
                self.managed_cron_jobs(cx, version, lang);
            }
        }
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let files: Vec<&ChangedFile> = cx
            .files
            .iter()
            .filter(|f| {
                !cx.is_excluded(f.path())
                    && !is_ignored_path(f.path(), &self.tables.ignored_path_words, &[])
                    && [f.base.as_ref(), f.head.as_ref()]
                        .into_iter()
                        .flatten()
                        .any(|v| {
                            let lang = crate::pipeline::lang::detect(&v.path);
                            v.text().is_some_and(|t| self.relevant(&v.path, lang, t))
                        })
            })
            .collect();
        let mut out = Vec::new();
        self.check_jobs(cx, &files, &mut out);
        self.check_verification(cx, &files, &mut out);
        self.check_retention(cx, &files, &mut out);
        self.check_deletions(cx, &files, &mut out);
        // Terraform is compared per resource and per bucket, across every
        // changed `.tf` file: a setting may move between files or between
        // an inline block and its split resource.
        let terraform = files
            .iter()
            .any(|f| f.base_lang == Lang::Hcl || f.head_lang == Lang::Hcl)
            .then(|| {
                (
                    buckets::Terraform::read(cx, cx.files, Revision::Base),
                    buckets::Terraform::read(cx, cx.files, Revision::Head),
                )
            });
        if let Some((base, head)) = &terraform {
            self.check_bucket_protection(base, head, &mut out);
            self.check_bucket_retention(base, head, &mut out);
        }
        self.check_protection(cx, &files, terraform.as_ref().map(|t| &t.1), &mut out);
        self.check_colocated(cx, &files, &mut out);
        out
    }
}

#[cfg(test)]
mod tests;
