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
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::pipeline::lang::Lang;
use crate::readers::config_files::{config_side, ConfigSide};
use crate::readers::keypath::{self, ConfigEntry, Scalar};
use crate::readers::words::{is_ignored_path, words};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "backup",
    rules: include_str!("../../../rules/backup.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    tools: Vec<String>,
    verify_commands: Vec<String>,
    verify_keys: Vec<String>,
    retention_words: Vec<String>,
    keep_flags: Vec<String>,
    protection_on: Vec<String>,
    protection_off: Vec<String>,
    remote_prefixes: Vec<String>,
    destination_words: Vec<String>,
    ignored_path_words: Vec<String>,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Backup {
        tables: crate::families::context::read_tables("backup", tables)?,
    }))
}

struct Backup {
    tables: Tables,
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A scheduled job as it stands in one revision.
#[derive(Clone, Debug)]
struct Job {
    /// Compared across revisions: the command of a cron line, the name of a
    /// timer, CronJob or workflow.
    key: String,
    /// For messages.
    shown: String,
    schedule: String,
    path: String,
    range: Range<usize>,
    /// Switched off while still written (`suspend: true`).
    suspended: bool,
}

struct Side<'a> {
    path: &'a str,
    text: &'a str,
}

impl Backup {
    fn mentions_tool(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        lower
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .any(|w| self.tables.tools.iter().any(|t| t == w))
    }

    fn is_crontab(path: &str) -> bool {
        let name = basename(path).to_ascii_lowercase();
        name.contains("crontab")
            || name.ends_with(".cron")
            || path.contains("cron.d/")
            || path.contains("/cron/")
            || path.starts_with("cron/")
    }

    /// Backup lines of a crontab: five schedule fields (or `@daily`), an
    /// optional user (`/etc/cron.d`), then a command naming a backup tool.
    /// Commented-out lines are gone, which is the point.
    fn cron_jobs(&self, side: &Side) -> Vec<Job> {
        let mut out = Vec::new();
        for (start, line) in crate::pipeline::source::lines(side.text) {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = t.split_whitespace().collect();
            let (schedule, rest) = if fields[0].starts_with('@') {
                (fields[0].to_string(), &fields[1..])
            } else if fields.len() > 5
                && fields[..5].iter().all(|f| {
                    f.chars().all(|c| {
                        c.is_ascii_digit()
                            || "*/,-".contains(c)
                            || c.is_ascii_alphabetic() && f.len() == 3
                    })
                })
            {
                (fields[..5].join(" "), &fields[5..])
            } else {
                continue;
            };
            // `/etc/cron.d` lines name a user before the command.
            let rest = if side.path.contains("cron.d/") && rest.len() > 1 {
                &rest[1..]
            } else {
                rest
            };
            let command = rest.join(" ");
            if command.is_empty() || !self.mentions_tool(&command) {
                continue;
            }
            out.push(Job {
                key: command.clone(),
                shown: format!("cron job `{command}`"),
                schedule,
                path: side.path.to_string(),
                range: start..start + line.len(),
                suspended: false,
            });
        }
        out
    }

    /// A systemd timer is a backup job when its name or the service it
    /// starts names a backup tool.
    fn timer_job(&self, cx: &Context, file: &ChangedFile, rev: Revision) -> Option<Job> {
        let version = match rev {
            Revision::Base => file.base.as_ref()?,
            Revision::Head => file.head.as_ref()?,
        };
        if !version.path.ends_with(".timer") {
            return None;
        }
        let text = version.text()?;
        let entries = keypath::entries(Lang::Ini, text, None)?;
        let unit = entries
            .iter()
            .find(|e| e.path == "Timer.Unit")
            .map(|e| e.value.shown())
            .unwrap_or_else(|| basename(&version.path).replace(".timer", ".service"));
        let dir = version.path.rsplit_once('/').map_or("", |(d, _)| d);
        let service_path = if dir.is_empty() {
            unit.clone()
        } else {
            format!("{dir}/{unit}")
        };
        let service = cx.lookup(rev, &service_path).or_else(|| {
            // A service deleted with its timer is still in base.
            cx.lookup(Revision::Base, &service_path)
        });
        let exec = service
            .as_ref()
            .and_then(|s| s.text().map(|t| t.to_string()))
            .unwrap_or_default();
        let name = basename(&version.path).to_string();
        if !self.mentions_tool(&name) && !self.mentions_tool(&exec) {
            return None;
        }
        let schedule = entries
            .iter()
            .filter(|e| e.path.starts_with("Timer.On"))
            .map(|e| {
                format!(
                    "{}={}",
                    e.path.trim_start_matches("Timer."),
                    e.value.shown()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let line = text.find("[Timer]").unwrap_or(0);
        let line_end = text[line..].find('\n').map_or(text.len(), |i| line + i);
        Some(Job {
            key: format!("timer {name}"),
            shown: format!("systemd timer `{name}`"),
            schedule,
            path: version.path.clone(),
            range: line..line_end,
            suspended: false,
        })
    }

    /// Kubernetes CronJobs and Velero Schedules that back up, by document.
    fn manifest_jobs(&self, side: &ConfigSide) -> Vec<Job> {
        let mut docs: BTreeMap<&str, Vec<&ConfigEntry>> = BTreeMap::new();
        for e in &side.entries {
            let doc = e.path.split('.').next().unwrap_or("");
            docs.entry(doc).or_default().push(e);
        }
        let single_kind = side
            .entries
            .iter()
            .find(|e| e.path == "kind")
            .map(|e| e.value.shown());
        let mut out = Vec::new();
        for (doc, entries) in docs {
            // One-document files have no `Kind/name` prefix.
            let (kind, name) = match doc.split_once('/') {
                Some((k, n)) => (k.to_string(), n.to_string()),
                None => match &single_kind {
                    Some(k) => (
                        k.clone(),
                        side.entries
                            .iter()
                            .find(|e| e.path == "metadata.name")
                            .map_or_else(|| "unnamed".to_string(), |e| e.value.shown()),
                    ),
                    None => continue,
                },
            };
            if !matches!(kind.as_str(), "CronJob" | "Schedule") {
                continue;
            }
            if doc.contains('/') && single_kind.is_some() {
                continue;
            }
            let backs_up = kind == "Schedule"
                || self.mentions_tool(&name)
                || entries.iter().any(|e| self.mentions_tool(&e.value.shown()));
            if !backs_up {
                continue;
            }
            let find = |suffix: &str| entries.iter().find(|e| e.path.ends_with(suffix));
            let schedule = find("spec.schedule")
                .map(|e| e.value.shown())
                .unwrap_or_default();
            let suspended = find("spec.suspend")
                .or_else(|| find("spec.paused"))
                .is_some_and(|e| e.value.is_on());
            // A suspended job is shown at the line that suspended it.
            let switch = find("spec.suspend")
                .or_else(|| find("spec.paused"))
                .copied();
            let anchor = switch
                .filter(|_| suspended)
                .or_else(|| find("spec.schedule").copied())
                .or_else(|| entries.first().copied());
            out.push(Job {
                key: format!("{kind}/{name}"),
                shown: format!("{kind} `{name}`"),
                schedule,
                path: side.path.clone(),
                range: anchor.map_or(0..0, |e| e.range.clone()),
                suspended,
            });
        }
        out
    }

    /// A CI workflow that runs on a schedule and backs up (GitHub Actions
    /// `on.schedule`, GitLab jobs restricted to schedules).
    fn workflow_jobs(&self, side: &ConfigSide) -> Vec<Job> {
        let is_github = side.path.contains(".github/workflows/");
        let is_gitlab = basename(&side.path).starts_with(".gitlab-ci");
        if !is_github && !is_gitlab {
            return Vec::new();
        }
        let scheduled = side
            .entries
            .iter()
            .find(|e| e.path.starts_with("on.schedule") || e.value.shown().contains("schedule"));
        let Some(anchor) = scheduled else {
            return Vec::new();
        };
        let backs_up = side
            .entries
            .iter()
            .any(|e| self.mentions_tool(&e.value.shown()) || self.mentions_tool(&e.path));
        if !backs_up {
            return Vec::new();
        }
        let name = side
            .entries
            .iter()
            .find(|e| e.path == "name")
            .map_or_else(|| basename(&side.path).to_string(), |e| e.value.shown());
        vec![Job {
            key: format!("workflow {}", basename(&side.path)),
            shown: format!("scheduled workflow `{name}`"),
            schedule: side
                .entries
                .iter()
                .find(|e| e.path.starts_with("on.schedule"))
                .map_or_else(String::new, |e| e.value.shown()),
            path: side.path.clone(),
            range: anchor.range.clone(),
            suspended: false,
        }]
    }

    fn jobs(&self, cx: &Context, file: &ChangedFile, rev: Revision) -> Vec<Job> {
        let version = match rev {
            Revision::Base => file.base.as_ref(),
            Revision::Head => file.head.as_ref(),
        };
        let Some(version) = version else {
            return Vec::new();
        };
        if Self::is_crontab(&version.path) {
            return version
                .text()
                .map(|t| {
                    self.cron_jobs(&Side {
                        path: &version.path,
                        text: t,
                    })
                })
                .unwrap_or_default();
        }
        if let Some(job) = self.timer_job(cx, file, rev) {
            return vec![job];
        }
        match config_side(cx, file, rev) {
            Some(side)
                if matches!(
                    if rev == Revision::Base {
                        file.base_lang
                    } else {
                        file.head_lang
                    },
                    Lang::Yaml
                ) =>
            {
                let mut jobs = self.manifest_jobs(&side);
                jobs.extend(self.workflow_jobs(&side));
                jobs
            }
            _ => Vec::new(),
        }
    }

    fn check_jobs(&self, cx: &Context, files: &[&ChangedFile], out: &mut Vec<Finding>) {
        let mut head_jobs: BTreeMap<String, Job> = BTreeMap::new();
        for f in files {
            for j in self.jobs(cx, f, Revision::Head) {
                head_jobs.insert(j.key.clone(), j);
            }
        }
        for f in files {
            let Some(bv) = f.base.as_ref() else {
                continue;
            };
            let base_text = bv.text().map(|t| t.to_string()).unwrap_or_default();
            for job in self.jobs(cx, f, Revision::Base) {
                let now = head_jobs.get(&job.key);
                if now.is_some_and(|n| !n.suspended) || job.suspended {
                    continue;
                }
                let how = match (now, f.head.is_some()) {
                    (Some(_), _) => "is now suspended".to_string(),
                    (None, false) if bv.path == job.path => "was deleted".to_string(),
                    (None, false) => format!("went away with `{}`", bv.path),
                    (None, true) if job.key.starts_with("workflow ") => {
                        "no longer runs on a schedule".to_string()
                    }
                    (None, true) => "was removed or commented out".to_string(),
                };
                let schedule = if job.schedule.is_empty() {
                    String::new()
                } else {
                    format!(" (`{}`)", job.schedule)
                };
                let message = format!(
                    "The backup {}{schedule} in `{}` {how}. Nothing else in this change schedules it, so no new backup is made from now on, and nobody is told: a restore after the next failure will find only what is older than this change.",
                    job.shown,
                    job.path
                );
                let base_loc = Location {
                    revision: Revision::Base,
                    path: job.path.clone(),
                    span: Span::from_bytes(&base_text, job.range.start, job.range.end),
                };
                let mut finding = match now {
                    Some(n) => {
                        let head_text = f
                            .head
                            .as_ref()
                            .and_then(|h| h.text())
                            .map(|t| t.to_string())
                            .unwrap_or_default();
                        Finding::new(
                            "backup/job-removed",
                            Location {
                                revision: Revision::Head,
                                path: n.path.clone(),
                                span: Span::from_bytes(&head_text, n.range.start, n.range.end),
                            },
                            job.key.clone(),
                            message,
                        )
                        .related(base_loc, "in base it ran on this schedule")
                    }
                    None => Finding::new("backup/job-removed", base_loc, job.key.clone(), message),
                };
                finding = finding.evidence("job", job.shown.clone());
                if !job.schedule.is_empty() {
                    finding = finding.evidence("schedule", job.schedule.clone());
                }
                out.push(finding);
            }
        }
    }

    /// Lines that verify a backup (`borg check`, `restic check`), per file.
    fn verify_lines(&self, text: &str) -> Vec<(String, Range<usize>)> {
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

    fn check_verification(&self, cx: &Context, files: &[&ChangedFile], out: &mut Vec<Finding>) {
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
            for change in keypath::compare(&base.entries, &head.entries) {
                // A removed `checks` item is one finding, not one per key.
                if let Some(item) = checks_item(change.path) {
                    if change.after.is_none() && !reported_items.insert(item.to_string()) {
                        continue;
                    }
                }
                let last = words(change.path.rsplit('.').next().unwrap_or(""));
                let is_verify_key = self
                    .tables
                    .verify_keys
                    .iter()
                    .any(|k| last.first() == Some(k));
                let in_checks = change.path.split('.').any(|s| s == "checks");
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
                    format!(
                        "{} {}",
                        head.path,
                        checks_item(change.path).unwrap_or(change.path)
                    ),
                    match (checks_item(change.path), change.after) {
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

    fn is_backup_config(&self, side: &ConfigSide) -> bool {
        self.mentions_tool(&side.path)
            || side
                .entries
                .iter()
                .any(|e| self.mentions_tool(&e.path) || self.mentions_tool(&e.value.shown()))
    }

    fn retention_key(&self, path: &str) -> bool {
        let segs: Vec<&str> = path.rsplit('.').take(2).collect();
        segs.iter().any(|s| {
            words(s)
                .iter()
                .any(|w| self.tables.retention_words.contains(w))
        })
    }

    /// `--keep-daily 7` style flags of `borg prune` / `restic forget`.
    fn keep_flags(&self, text: &str) -> Vec<(String, f64, Range<usize>)> {
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

    fn check_retention(&self, cx: &Context, files: &[&ChangedFile], out: &mut Vec<Finding>) {
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
                    let (Some(b), Some(a)) = (change.before, change.after) else {
                        continue;
                    };
                    if !self.retention_key(change.path)
                        || !(backupish || change.path.contains("retention"))
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

    fn check_protection(&self, cx: &Context, files: &[&ChangedFile], out: &mut Vec<Finding>) {
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

    fn is_remote(&self, value: &str) -> bool {
        let v = value.trim().to_ascii_lowercase();
        self.tables.remote_prefixes.iter().any(|p| v.starts_with(p.as_str()))
            // `user@host:path` and `host:path` (scp style), not `C:\`.
            || v.split_once(':').is_some_and(|(host, _)| host.len() > 1 && !host.contains('/'))
    }

    fn check_colocated(&self, cx: &Context, files: &[&ChangedFile], out: &mut Vec<Finding>) {
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
            for change in keypath::compare(&base.entries, &head.entries) {
                let (Some(b), Some(a)) = (change.before, change.after) else {
                    continue;
                };
                let seg_words: Vec<String> = change.path.split('.').flat_map(words).collect();
                if !seg_words
                    .iter()
                    .any(|w| self.tables.destination_words.contains(w))
                {
                    continue;
                }
                let values = |v: &Scalar| match v {
                    Scalar::List(items) => items.clone(),
                    other => vec![other.shown()],
                };
                let (was, now) = (values(&b.value), values(&a.value));
                let was_remote = was.iter().any(|v| self.is_remote(v));
                let all_local =
                    !now.is_empty() && now.iter().all(|v| v.starts_with('/') && !self.is_remote(v));
                if !(was_remote && all_local) {
                    continue;
                }
                out.push(
                    Finding::new(
                        "backup/target-colocated",
                        head.location(Revision::Head, a),
                        format!("{} {}", head.path, change.path),
                        format!(
                            "`{}` in `{}` moved the backups from `{}` to `{}`, a path on the machine being backed up. A disk failure, ransomware or a deleted server now takes the data and its backups together.",
                            change.path,
                            head.path,
                            b.value.shown(),
                            a.value.shown()
                        ),
                    )
                    .related(base.location(Revision::Base, b), "in base the backups went elsewhere")
                    .evidence("key", change.path.to_string())
                    .evidence("before", b.value.shown())
                    .evidence("after", a.value.shown()),
                );
            }
        }
    }
}

/// `checks.archives` for `checks.archives.frequency`: the list item a key
/// of borgmatic's `checks` belongs to.
fn checks_item(path: &str) -> Option<&str> {
    let at = path.find("checks.")?;
    let rest = &path[at + "checks.".len()..];
    let item_end = rest
        .find('.')
        .map_or(path.len(), |i| at + "checks.".len() + i);
    Some(&path[..item_end])
}

/// A retention as a number: plain numbers, `30d`, `720h0m0s`, `4w`.
fn duration_value(v: &Scalar) -> Option<f64> {
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

fn retention_finding(
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

fn protection_consequence(key: &str) -> &'static str {
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
        self.check_protection(cx, &files, &mut out);
        self.check_colocated(cx, &files, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family() -> Backup {
        let rules: toml::Table =
            toml::from_str(include_str!("../../../rules/backup.toml")).unwrap();
        let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
            .try_into()
            .unwrap();
        Backup { tables }
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
        let flags =
            b.keep_flags("restic forget --keep-daily 7 --keep-weekly=4\n# --keep-monthly 6\n");
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
}
