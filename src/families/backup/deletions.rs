//! `backup/retention-reduced` from deletion steps: a backup job that gains
//! `find … -mtime +N -delete`, `aws s3 rm`, `gsutil rm`, `rclone delete
//! --min-age` or an `rm` of its backups now prunes what it used to keep
//! for ever. Read from backup scripts, the backup lines of crontabs, the
//! `command`/`args` of backup CronJobs and the steps of scheduled backup
//! workflows, each parsed as shell.

use super::retention::duration_value;
use super::{basename, Backup};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::pipeline::lang::Lang;
use crate::readers::config_files::{config_side, ConfigSide};
use crate::readers::keypath::Scalar;
use crate::readers::shell::{commands, Command};
use crate::readers::words::words;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Shell a backup job runs, as it stands in one revision.
struct Script {
    /// The job within its file (`CronJob/db-backup`); empty for a script
    /// file or a crontab, which are one job each for this comparison.
    scope: String,
    /// For messages: the cron job, the CronJob, the script.
    job: String,
    text: String,
    /// Where the text starts in its file, when it is the file's own text
    /// (a script); otherwise every finding points at `anchor`.
    offset: Option<usize>,
    anchor: Range<usize>,
}

/// A deletion step of a backup job.
#[derive(Clone, Debug)]
struct Deletion {
    scope: String,
    job: String,
    /// `find`, `aws s3 rm`, `gsutil rm`, `rclone delete`, `rm`.
    tool: &'static str,
    target: String,
    /// What it keeps, as written (`+7` days, `30d`), when it says.
    age: Option<String>,
    /// The same age in hours, when it is a number.
    hours: Option<f64>,
    command: String,
    range: Range<usize>,
}

/// Words of a target path whose removal is housekeeping, not retention.
fn is_scratch(target: &str, table: &[String]) -> bool {
    words(target).iter().any(|w| table.contains(w))
}

/// Words of a target path that say it holds backups.
const BACKUP_WORDS: &[&str] = &[
    "backup",
    "backups",
    "dump",
    "dumps",
    "archive",
    "archives",
    "snapshot",
    "snapshots",
];

/// The first argument after `from` that is not an option.
fn operand(args: &[String], from: usize) -> Option<String> {
    args.iter()
        .skip(from)
        .find(|a| !a.starts_with('-'))
        .cloned()
}

/// `-mtime +7` (days) or `-mmin +10080` (minutes): the age `find` keeps.
fn find_age(c: &Command) -> Option<(String, Option<f64>)> {
    const DAYS: &[&str] = &["-mtime", "-ctime", "-atime"];
    const MINUTES: &[&str] = &["-mmin", "-cmin", "-amin"];
    for (i, a) in c.args.iter().enumerate() {
        let per_hour = if DAYS.contains(&a.as_str()) {
            24.0
        } else if MINUTES.contains(&a.as_str()) {
            1.0 / 60.0
        } else {
            continue;
        };
        let value = c.args.get(i + 1)?;
        // `-mtime -1` selects new files, not old ones.
        let older = value.strip_prefix('+')?;
        let hours = older.parse::<f64>().ok().map(|n| n * per_hour);
        return Some((format!("{a} {value}"), hours));
    }
    None
}

/// The deletion a command performs, if it is one this rule reads: the
/// tool, the target, and the age it keeps.
type Step = (&'static str, String, Option<(String, Option<f64>)>);

fn deletion_step(c: &Command) -> Option<Step> {
    let arg = |i: usize| c.args.get(i).map(String::as_str);
    match c.name.as_str() {
        "find" => {
            let deletes = c.args.iter().enumerate().any(|(i, a)| {
                a == "-delete"
                    || (a == "-exec" || a == "-execdir")
                        && c.args.get(i + 1).is_some_and(|r| r == "rm")
            });
            let age = find_age(c)?;
            let target = c.args.first().filter(|a| !a.starts_with('-'))?.clone();
            deletes.then_some(("find", target, Some(age)))
        }
        "aws" if arg(0) == Some("s3") && arg(1) == Some("rm") => {
            Some(("aws s3 rm", operand(&c.args, 2)?, None))
        }
        "gcloud" if arg(0) == Some("storage") && arg(1) == Some("rm") => {
            Some(("gcloud storage rm", operand(&c.args, 2)?, None))
        }
        "gsutil" => {
            let rm = c.args.iter().position(|a| a == "rm")?;
            c.args[..rm]
                .iter()
                .all(|a| a.starts_with('-'))
                .then_some(())?;
            Some(("gsutil rm", operand(&c.args, rm + 1)?, None))
        }
        "rclone" if arg(0) == Some("delete") => {
            let age = c.flag_value("--min-age")?.to_string();
            let hours = duration_value(&Scalar::Text(age.clone()));
            Some(("rclone delete", operand(&c.args, 1)?, Some((age, hours))))
        }
        "rm" => {
            // A set of backups (a glob, a listing), not the one file the
            // job has just uploaded: that is its staging copy.
            let target = c.args.iter().find(|a| {
                !a.starts_with('-')
                    && (a.contains('*') || a.contains("$(") || a.contains('`'))
                    && words(a).iter().any(|w| BACKUP_WORDS.contains(&w.as_str()))
            })?;
            Some(("rm", target.clone(), None))
        }
        _ => None,
    }
}

/// The base step a head step continues: the one with the same target, or
/// the only one of its tool in the job; with its age in hours.
fn same_step<'a>(steps: &[&'a Deletion], now: &Deletion) -> Option<(&'a Deletion, f64)> {
    let step = steps
        .iter()
        .find(|b| b.target == now.target)
        .or_else(|| (steps.len() == 1).then(|| &steps[0]))?;
    Some((step, step.hours?))
}

/// `14 days`, `36 hours`: an age for a message.
fn age_words(hours: f64) -> String {
    if hours >= 24.0 && (hours / 24.0).fract() == 0.0 {
        format!("{} days", hours / 24.0)
    } else {
        format!("{hours} hours")
    }
}

fn script_text(v: &Scalar) -> String {
    match v {
        // Exec form: `["sh", "-c", "…"]` reads as one command line.
        Scalar::List(items) => items.join(" "),
        other => other.shown(),
    }
}

impl Backup {
    /// A script is a backup script when its name says so or it runs a
    /// backup tool that does nothing else (`pg_dump`, `borg`, `restic`),
    /// not merely `tar` or `rsync`.
    fn is_backup_script(&self, path: &str, cmds: &[Command]) -> bool {
        self.mentions_tool(basename(path))
            || cmds.iter().any(|c| {
                !matches!(c.name.as_str(), "tar" | "rsync" | "rclone" | "cp")
                    && self.tables.tools.contains(&c.name)
            })
    }

    fn yaml_scripts(&self, side: &ConfigSide) -> Vec<Script> {
        let mut jobs = self.manifest_jobs(side);
        jobs.extend(self.workflow_jobs(side));
        let mut out = Vec::new();
        for job in jobs {
            let prefix = format!("{}.", job.key);
            let multi = side.entries.iter().any(|e| e.path.starts_with(&prefix));
            for e in side.entries.iter() {
                if multi && !e.path.starts_with(&prefix) {
                    continue;
                }
                let last = e.path.rsplit('.').next().unwrap_or("");
                let runs = matches!(last, "command" | "args" | "run" | "script")
                    || e.path.contains(".command.")
                    || e.path.contains(".args.")
                    || e.path.contains(".script.");
                if runs {
                    out.push(Script {
                        scope: job.key.clone(),
                        job: job.shown.clone(),
                        text: script_text(&e.value),
                        offset: None,
                        anchor: e.range.clone(),
                    });
                }
            }
        }
        out
    }

    fn scripts(&self, cx: &Context, file: &ChangedFile, rev: Revision) -> Vec<Script> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref(), file.base_lang),
            Revision::Head => (file.head.as_ref(), file.head_lang),
        };
        let Some(version) = version else {
            return Vec::new();
        };
        let Some(text) = version.text() else {
            return Vec::new();
        };
        if Self::is_crontab(&version.path) {
            let side = super::jobs::Side {
                path: &version.path,
                text,
            };
            return self
                .cron_jobs(&side)
                .into_iter()
                .map(|j| Script {
                    scope: String::new(),
                    job: j.shown.clone(),
                    text: j.key.clone(),
                    offset: None,
                    anchor: j.range,
                })
                .collect();
        }
        match lang {
            Lang::Shell => {
                let cmds = commands(text);
                if !self.is_backup_script(&version.path, &cmds) {
                    return Vec::new();
                }
                vec![Script {
                    scope: String::new(),
                    job: "backup script".to_string(),
                    text: text.to_string(),
                    offset: Some(0),
                    anchor: 0..0,
                }]
            }
            Lang::Yaml => config_side(cx, file, rev)
                .map(|s| self.yaml_scripts(&s))
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn deletions(&self, scripts: &[Script]) -> Vec<Deletion> {
        let mut out = Vec::new();
        for s in scripts {
            for c in commands(&s.text) {
                let Some((tool, target, age)) = deletion_step(&c) else {
                    continue;
                };
                if is_scratch(&target, &self.tables.scratch_target_words) {
                    continue;
                }
                let range = match s.offset {
                    Some(o) => o + c.range.start..o + c.range.end,
                    None => s.anchor.clone(),
                };
                let (age, hours) = age.map_or((None, None), |(a, h)| (Some(a), h));
                out.push(Deletion {
                    scope: s.scope.clone(),
                    job: s.job.clone(),
                    tool,
                    target,
                    age,
                    hours,
                    command: c.shown(),
                    range,
                });
            }
        }
        out
    }

    pub(super) fn check_deletions(
        &self,
        cx: &Context,
        files: &[&ChangedFile],
        out: &mut Vec<Finding>,
    ) {
        for f in files {
            let (Some(bv), Some(hv)) = (f.base.as_ref(), f.head.as_ref()) else {
                continue;
            };
            let (Some(bt), Some(ht)) = (bv.text(), hv.text()) else {
                continue;
            };
            let base_scripts = self.scripts(cx, f, Revision::Base);
            let scopes: BTreeSet<&str> = base_scripts.iter().map(|s| s.scope.as_str()).collect();
            let base = self.deletions(&base_scripts);
            // Steps of one job by tool: a target reworded is the same step.
            let mut before: BTreeMap<(&str, &str), Vec<&Deletion>> = BTreeMap::new();
            for d in &base {
                before.entry((&d.scope, d.tool)).or_default().push(d);
            }
            for d in self.deletions(&self.scripts(cx, f, Revision::Head)) {
                // A job that is new in this change never kept anything.
                if !scopes.contains(d.scope.as_str()) {
                    continue;
                }
                let lowered_from = match before.get(&(d.scope.as_str(), d.tool)) {
                    None => None,
                    Some(steps) => match same_step(steps, &d) {
                        Some((b, h)) if d.hours.is_some_and(|now| now < h) => Some(b),
                        _ => continue,
                    },
                };
                out.push(self.deletion_finding(&d, lowered_from, (&bv.path, bt), (&hv.path, ht)));
            }
        }
    }

    fn deletion_finding(
        &self,
        d: &Deletion,
        lowered_from: Option<&Deletion>,
        (base_path, base_text): (&str, &str),
        (head_path, head_text): (&str, &str),
    ) -> Finding {
        let removes = match (&d.age, d.hours) {
            (_, Some(h)) => format!("removes everything older than {} from", age_words(h)),
            (Some(age), None) => format!("removes everything older than `{age}` from"),
            (None, None) => "deletes".to_string(),
        };
        let (before, message) = match lowered_from {
            Some(b) => (
                format!("`{}`", b.command),
                format!(
                    "The {} in `{head_path}` now deletes backups sooner: `{}` became `{}`. Older backups are pruned earlier, so a problem noticed late (a corrupted database, an encrypted share) may no longer be restorable.",
                    d.job, b.command, d.command
                ),
            ),
            None => (
                "nothing deleted".to_string(),
                format!(
                    "The {} in `{head_path}` now deletes backups: `{}` {removes} `{}`. Before this change it deleted nothing, so every backup was kept; from now on a problem noticed later than that can no longer be restored.",
                    d.job, d.command, d.target
                ),
            ),
        };
        let mut finding = Finding::new(
            "backup/retention-reduced",
            Location {
                revision: Revision::Head,
                path: head_path.to_string(),
                span: Span::from_bytes(head_text, d.range.start, d.range.end),
            },
            [head_path, &d.scope, d.tool, &d.target]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
            message,
        )
        .evidence("job", d.job.clone())
        .evidence("command", d.command.clone())
        .evidence("target", d.target.clone())
        .evidence("before", before)
        .evidence("after", d.age.clone().unwrap_or_else(|| d.command.clone()));
        if let Some(b) = lowered_from {
            finding = finding.related(
                Location {
                    revision: Revision::Base,
                    path: base_path.to_string(),
                    span: Span::from_bytes(base_text, b.range.start, b.range.end),
                },
                "in base it kept more",
            );
        }
        finding
    }
}
