//! `backup/job-removed`: backup jobs (cron lines, systemd timers, Kubernetes
//! CronJobs, Velero/k8up Schedules, VolSync and CloudNativePG backup
//! objects, scheduled CI workflows, Ansible and Chef cron entries) removed,
//! commented out or suspended.

use super::{basename, Backup};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::pipeline::lang::Lang;
use crate::readers::config_files::{config_side, version_side, ConfigSide};
use crate::readers::keypath;
use crate::readers::keypath::ConfigEntry;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

/// Kinds that are backup schedules whatever they run: Velero and k8up
/// `Schedule`, VolSync `ReplicationSource` (restic, kopia or rsync copies
/// of a volume), VolSync `KopiaMaintenance` (the backup repository's
/// upkeep), CloudNativePG `ScheduledBackup`.
const BACKUP_KINDS: &[&str] = &[
    "Schedule",
    "ReplicationSource",
    "KopiaMaintenance",
    "ScheduledBackup",
    // kopiur and backube/snapscheduler.
    "SnapshotSchedule",
];

/// A scheduled job as it stands in one revision.
#[derive(Clone, Debug)]
pub(super) struct Job {
    /// Compared across revisions: the command of a cron line, the name of a
    /// timer, CronJob or workflow.
    pub(super) key: String,
    /// For messages.
    pub(super) shown: String,
    pub(super) schedule: String,
    pub(super) path: String,
    pub(super) range: Range<usize>,
    /// Switched off while still written (`suspend: true`).
    pub(super) suspended: bool,
}

pub(super) struct Side<'a> {
    pub(super) path: &'a str,
    pub(super) text: &'a str,
}

/// A job that maintains a backup repository rather than writing backups.
fn is_upkeep(job: &Job) -> bool {
    job.key.starts_with("KopiaMaintenance/")
}

/// The head cron line that runs the same command with more after it
/// (`borg create … && find … -delete`): the job is still there.
fn extended_cron_line<'a>(head: &'a BTreeMap<String, Job>, job: &Job) -> Option<&'a Job> {
    if !job.shown.starts_with("cron job") {
        return None;
    }
    head.values().find(|h| {
        h.shown.starts_with("cron job")
            && h.key
                .strip_prefix(job.key.as_str())
                .is_some_and(|rest| rest.starts_with([' ', '&', ';', '|']))
    })
}

impl Backup {
    pub(super) fn mentions_tool(&self, text: &str) -> bool {
        // The tools are found in one pass and each match checked for a
        // whole word, rather than every word of the text compared with
        // every tool (a tenth of a check of 1,800 translation files). A
        // character beyond ASCII counts as part of a word (no tool name
        // holds one).
        let text = text.as_bytes();
        let in_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || !b.is_ascii();
        self.tools.find_overlapping_iter(text).any(|m| {
            (m.start() == 0 || !in_word(text[m.start() - 1]))
                && text.get(m.end()).is_none_or(|&b| !in_word(b))
        })
    }

    pub(super) fn is_crontab(path: &str) -> bool {
        let name = basename(path).to_ascii_lowercase();
        name.contains("crontab")
            || name.ends_with(".cron")
            || path.contains("cron.d/")
            || path.contains("/cron/")
            || path.starts_with("cron/")
    }

    /// A Chef recipe (`cookbooks/*/recipes/*.rb`), where `cron` resources live.
    pub(super) fn is_chef_recipe(path: &str, lang: Lang) -> bool {
        lang == Lang::Ruby && path.contains("recipes/")
    }

    /// Backup lines of a crontab: five schedule fields (or `@daily`), an
    /// optional user (`/etc/cron.d`), then a command naming a backup tool.
    /// Commented-out lines are gone, which is the point.
    pub(super) fn cron_jobs(&self, side: &Side) -> Vec<Job> {
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
    pub(super) fn timer_job(&self, cx: &Context, file: &ChangedFile, rev: Revision) -> Option<Job> {
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

    /// Kubernetes CronJobs that back up and the [`BACKUP_KINDS`], by document.
    pub(super) fn manifest_jobs(&self, side: &ConfigSide) -> Vec<Job> {
        let single_kind = side
            .entries
            .iter()
            .find(|e| e.path == "kind")
            .map(|e| e.value.shown());
        // A one-document file is one job, whatever its top-level keys.
        let mut docs: BTreeMap<&str, Vec<&ConfigEntry>> = BTreeMap::new();
        for e in side.entries.iter() {
            let doc = match single_kind {
                Some(_) => "",
                None => e.path.split('.').next().unwrap_or(""),
            };
            docs.entry(doc).or_default().push(e);
        }
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
            if !BACKUP_KINDS.contains(&kind.as_str()) && kind != "CronJob" {
                continue;
            }
            let backs_up = BACKUP_KINDS.contains(&kind.as_str())
                || self.mentions_tool(&name)
                || entries.iter().any(|e| self.mentions_tool(&e.value.shown()));
            if !backs_up {
                continue;
            }
            let find = |suffix: &str| entries.iter().find(|e| e.path.ends_with(suffix));
            let schedule = find("spec.schedule")
                .or_else(|| find("spec.trigger.schedule"))
                .or_else(|| find("spec.schedule.cron"))
                .map(|e| e.value.shown())
                .unwrap_or_default();
            // `enabled: false` is how VolSync's KopiaMaintenance pauses.
            let switch = find("spec.suspend")
                .or_else(|| find("spec.paused"))
                .filter(|e| e.value.is_on())
                .or_else(|| find("spec.enabled").filter(|e| e.value.is_off()))
                .copied();
            let suspended = switch.is_some();
            // A suspended job is shown at the line that suspended it.
            let anchor = switch
                .filter(|_| suspended)
                .or_else(|| find("spec.schedule").copied())
                .or_else(|| find("spec.trigger.schedule").copied())
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
    pub(super) fn workflow_jobs(&self, side: &ConfigSide) -> Vec<Job> {
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

    pub(super) fn jobs(&self, cx: &Context, file: &ChangedFile, rev: Revision) -> Vec<Job> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref(), file.base_lang),
            Revision::Head => (file.head.as_ref(), file.head_lang),
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
            Some(side) if lang == Lang::Yaml => {
                let mut jobs = self.manifest_jobs(&side);
                jobs.extend(self.workflow_jobs(&side));
                jobs.extend(self.ansible_cron_jobs(&side));
                jobs
            }
            _ => self
                .managed_cron_jobs(cx, version, lang)
                .unwrap_or_default(),
        }
    }

    /// The cron resources of a Puppet manifest or Chef recipe, read once
    /// per run (by `extract`, while its parse is held).
    pub(super) fn managed_cron_jobs(
        &self,
        cx: &Context,
        version: &crate::pipeline::changes::FileVersion,
        lang: Lang,
    ) -> Option<Vec<Job>> {
        let read: fn(&Self, &str, &str, &tree_sitter::Tree) -> Vec<Job> = if lang == Lang::Puppet {
            Self::puppet_cron_jobs
        } else if Self::is_chef_recipe(&version.path, lang) {
            Self::chef_cron_jobs
        } else {
            return None;
        };
        let jobs = cx.parse_facts("backup.cron_resources", version, lang, |p| {
            read(self, &version.path, &p.text, &p.tree)
        });
        Some(jobs.unwrap_or_default())
    }

    pub(super) fn check_jobs(&self, cx: &Context, files: &[&ChangedFile], out: &mut Vec<Finding>) {
        let elsewhere = std::cell::OnceCell::new();
        let mut head_jobs: BTreeMap<String, Job> = BTreeMap::new();
        for f in files {
            for j in self.jobs(cx, f, Revision::Head) {
                head_jobs.insert(j.key.clone(), j);
            }
        }
        let base_jobs: Vec<(&ChangedFile, Vec<Job>)> = files
            .iter()
            .filter(|f| f.base.is_some())
            .map(|f| (*f, self.jobs(cx, f, Revision::Base)))
            .collect();
        let base_keys: BTreeSet<&str> = base_jobs
            .iter()
            .flat_map(|(_, jobs)| jobs.iter().map(|j| j.key.as_str()))
            .collect();
        let new_files: BTreeSet<&str> = files
            .iter()
            .filter(|f| f.base.is_none())
            .filter_map(|f| f.head.as_ref().map(|h| h.path.as_str()))
            .collect();
        let added: Vec<&Job> = head_jobs
            .values()
            .filter(|j| !j.suspended && !base_keys.contains(j.key.as_str()))
            .collect();
        for (f, jobs) in base_jobs {
            let Some(bv) = f.base.as_ref() else {
                continue;
            };
            // The text itself, not a copy: spans into it use its line index.
            let base_text = bv.text().cloned().unwrap_or_else(|| Arc::from(""));
            for job in jobs {
                let now = head_jobs
                    .get(&job.key)
                    .or_else(|| extended_cron_line(&head_jobs, &job));
                if now.is_some_and(|n| !n.suspended) || job.suspended {
                    continue;
                }
                // The same workload still backed up by another tool (VolSync
                // dropped after the move to kopiur, onedr0p 4b1adee): nothing
                // stops being backed up.
                if now.is_none()
                    && !is_upkeep(&job)
                    && self.backed_up_elsewhere(cx, &job, &elsewhere)
                {
                    continue;
                }
                // The upkeep of a repository nothing backs up into any more
                // (the whole VolSync stack removed after a move to kopiur,
                // billimek 378a8b7, onedr0p d67a218) has nothing to keep.
                if now.is_none() && is_upkeep(&job) && !self.volsync_still_writes(cx, &elsewhere) {
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
                // Configuration management that loses a resource stops
                // managing the entry; it does not remove it from hosts.
                let unmanaged = managed_by(&job).filter(|_| now.is_none());
                let next = successor(&job, &added, f.head.is_none(), &new_files);
                let message = removal_message(&job, &how, unmanaged, next.is_some());
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
                            .cloned()
                            .unwrap_or_else(|| Arc::from(""));
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
                if is_upkeep(&job) || unmanaged.is_some() {
                    // Backups still run: only their repository's upkeep
                    // stopped (operators often move it, not drop it), or
                    // only hosts set up from now on lack the entry.
                    finding = finding.severity(crate::findings::finding::Severity::Medium);
                }
                // A backup cron the same tool installs anew in this change
                // is most likely its successor (one cron for every domain
                // instead of one per domain, initr 32e4fb4).
                if let Some(next) = next {
                    finding.message = format!(
                        "{} This change adds the backup {} in `{}`, which may take its place: reported at low.",
                        finding.message, next.shown, next.path
                    );
                    finding = finding
                        .severity(crate::findings::finding::Severity::Low)
                        .evidence("successor", next.shown.clone());
                }
                if !job.schedule.is_empty() {
                    finding = finding.evidence("schedule", job.schedule.clone());
                }
                out.push(finding);
            }
        }
    }

    /// Whether head backs up a removed Kubernetes job's workload (its
    /// `metadata.name`) with a job of another backup kind, in any file:
    /// read once, only when a removed job is about to be reported.
    fn backed_up_elsewhere(
        &self,
        cx: &Context,
        job: &Job,
        elsewhere: &std::cell::OnceCell<BTreeSet<String>>,
    ) -> bool {
        let Some((kind, name)) = job.key.split_once('/') else {
            return false;
        };
        if !BACKUP_KINDS.contains(&kind) {
            return false;
        }
        let keys = elsewhere.get_or_init(|| self.head_backup_keys(cx));
        BACKUP_KINDS
            .iter()
            .filter(|k| **k != kind && **k != "KopiaMaintenance")
            .any(|k| keys.contains(&format!("{k}/{name}")))
    }

    /// Whether head still has VolSync backups (a `ReplicationSource`,
    /// written out or in a generator's template) writing to a repository.
    fn volsync_still_writes(
        &self,
        cx: &Context,
        elsewhere: &std::cell::OnceCell<BTreeSet<String>>,
    ) -> bool {
        elsewhere
            .get_or_init(|| self.head_backup_keys(cx))
            .iter()
            .any(|k| k.starts_with("ReplicationSource/"))
    }

    /// `Kind/name` of every backup job of a backup kind that head's YAML
    /// files define, found by a byte pre-filter before any parse.
    fn head_backup_keys(&self, cx: &Context) -> BTreeSet<String> {
        let listing = cx.all_files(Revision::Head);
        let yaml: Vec<(String, git2::Oid)> = listing
            .iter()
            .filter(|(p, _)| crate::pipeline::lang::detect(p) == Lang::Yaml && !cx.is_excluded(p))
            .cloned()
            .collect();
        let mut keys = BTreeSet::new();
        for version in cx.read_listed(Revision::Head, &yaml) {
            let mentions_kind = version.text().is_some_and(|t| {
                BACKUP_KINDS
                    .iter()
                    .any(|k| t.contains(&format!("kind: {k}")))
            });
            if !mentions_kind {
                continue;
            }
            // A generator's template (a Flux ResourceSet, a Helm chart)
            // writes its ReplicationSources as text: `ReplicationSource/*`.
            // Its spec names the volume it copies (`sourcePVC`); a health
            // check that only names the kind (tuppr upgrades) is no source.
            if version
                .text()
                .is_some_and(|t| t.contains("kind: ReplicationSource") && t.contains("sourcePVC:"))
            {
                keys.insert("ReplicationSource/*".to_string());
            }
            if let Some(side) = version_side(cx, &version, Lang::Yaml) {
                keys.extend(self.manifest_jobs(&side).into_iter().map(|j| j.key));
            }
        }
        keys
    }
}

/// What a finding about a removed or suspended job says: `how` it went,
/// why it matters (the upkeep of a repository, a managed cron left on the
/// hosts), and that nothing replaces it unless `replaced`.
fn removal_message(
    job: &Job,
    how: &str,
    unmanaged: Option<(&str, &str)>,
    replaced: bool,
) -> String {
    let schedule = if job.schedule.is_empty() {
        String::new()
    } else {
        format!(" (`{}`)", job.schedule)
    };
    let (shown, path) = (&job.shown, &job.path);
    if let Some((manager, absent)) = unmanaged {
        let why = if replaced {
            ""
        } else {
            " Reported at medium: existing hosts still back up."
        };
        return format!(
            "The backup {shown}{schedule} in `{path}` {how}. {manager} stops managing it rather than removing it: hosts that already have the entry keep running it, but a host set up or rebuilt from now on gets no backup, and nothing says so. Restore it, or remove it on purpose with `{absent}` once the backup runs elsewhere.{why}"
        );
    }
    if is_upkeep(job) {
        return format!(
            "The upkeep of a backup repository, {shown}{schedule} in `{path}`, {how}. Nothing else in this change schedules it: unless the repository is maintained elsewhere, it is no longer pruned or checked, so it grows until backups fail and corruption goes unnoticed."
        );
    }
    let lost = if replaced {
        ""
    } else {
        " Nothing else in this change schedules it, so no new backup is made from now on, and nobody is told: a restore after the next failure will find only what is older than this change."
    };
    format!("The backup {shown}{schedule} in `{path}` {how}.{lost}")
}

/// The configuration management that installs a cron job, with how it is
/// told to remove one: `("Puppet", "ensure => absent")`.
fn managed_by(job: &Job) -> Option<(&'static str, &'static str)> {
    [
        ("puppet cron ", "Puppet", "ensure => absent"),
        ("ansible cron ", "Ansible", "state: absent"),
        ("chef cron ", "Chef", "action :delete"),
    ]
    .into_iter()
    .find(|(prefix, _, _)| job.key.starts_with(prefix))
    .map(|(_, name, absent)| (name, absent))
}

/// A cron entry this change adds through the same configuration
/// management as `job`, a managed cron: in the same file, or, when the
/// job's file was deleted, in a file the change adds (initr a5dfd65
/// replaced its remote_backup module with a borg_backup module), the one
/// whose name and command share most words with it.
fn successor<'j>(
    job: &Job,
    added: &[&'j Job],
    file_deleted: bool,
    new_files: &BTreeSet<&str>,
) -> Option<&'j Job> {
    let manager = managed_by(job)?;
    let same_tool: Vec<&Job> = added
        .iter()
        .copied()
        .filter(|a| managed_by(a) == Some(manager))
        .collect();
    let words = |j: &Job| -> BTreeSet<String> {
        crate::readers::words::words(&j.shown).into_iter().collect()
    };
    let own = words(job);
    same_tool
        .iter()
        .find(|a| a.path == job.path)
        .or_else(|| {
            same_tool
                .iter()
                .filter(|a| file_deleted && new_files.contains(a.path.as_str()))
                .max_by_key(|a| {
                    (
                        words(a).intersection(&own).count(),
                        std::cmp::Reverse(&a.key),
                    )
                })
        })
        .copied()
}
