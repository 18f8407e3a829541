//! One run, in pipeline order: revisions → changes → read → parse → facts
//! and compare (the families) → filter → a [`Report`] for the renderers.

use super::changes::{self, FileVersion, SideReader, SideSource};
use super::lang::{self, Lang};
use super::parse::ParseCache;
use super::revisions::{self, RangeSpec, RevInfo};
use crate::error::{Error, Result};
use crate::families::context::{Analyzer, ChangedFile, Context};
use crate::families::registry::FAMILIES;
use crate::findings::finding::{fingerprint, Finding, Location, Note, Revision, Severity, Span};
use crate::findings::rules::{Registry, RuleMeta};
use crate::settings::{Config, FailOn, RuleSetting};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// A path inside the repository.
    pub repo: PathBuf,
    pub range: RangeSpec,
    /// An explicit config file instead of `riskdiff.toml` at the root.
    pub config: Option<PathBuf>,
    /// Overrides the config's `fail_on`.
    pub fail_on: Option<FailOn>,
    /// Worker threads for reading and parsing; all cores when `None`.
    pub threads: Option<usize>,
    /// Told how far the run got, stage by stage.
    pub progress: Option<ProgressSink>,
}

/// Where a run reports how far it got. The library only counts; the CLI
/// decides whether that is worth drawing (a terminal, a slow run).
pub trait Progress: Send + Sync {
    /// A stage of `total` steps begins.
    fn stage(&self, name: &'static str, total: usize);
    fn advance(&self, steps: usize);
    /// The run is over (also on error); anything drawn is cleared.
    fn finish(&self);
}

#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Progress>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Forwards to the run's sink, if it has one.
struct Tracker<'a>(Option<&'a dyn Progress>);

impl Tracker<'_> {
    fn stage(&self, name: &'static str, total: usize) {
        if let Some(p) = self.0 {
            p.stage(name, total);
        }
    }
    fn advance(&self) {
        if let Some(p) = self.0 {
            p.advance(1);
        }
    }
}

impl CheckOptions {
    pub fn new(repo: impl Into<PathBuf>, range: RangeSpec) -> Self {
        CheckOptions {
            repo: repo.into(),
            range,
            config: None,
            fail_on: None,
            threads: None,
            progress: None,
        }
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Stats {
    /// Files that differ between the two sides.
    pub files_changed: usize,
    /// Files read because a rule family could care about their language.
    pub files_read: usize,
    /// Distinct blobs parsed.
    pub files_parsed: usize,
    /// Changed files left out by `exclude` patterns.
    pub files_excluded: usize,
    /// Findings dropped by a `riskdiff-ignore:` comment with a reason.
    pub suppressed: usize,
}

/// Everything a renderer needs, and nothing about how rules work.
#[derive(Clone, Debug)]
pub struct Report {
    pub base: RevInfo,
    pub head: RevInfo,
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub stats: Stats,
    pub fail_on: FailOn,
    /// The metadata of every rule that can report (for SARIF and friends).
    pub rules: Vec<RuleMeta>,
    /// The text of each file a finding points at, secrets masked, keyed by
    /// side and path, for excerpts.
    pub sources: BTreeMap<(Revision, String), Arc<str>>,
}

impl Report {
    /// Findings that count against `fail_on` (acknowledged ones do not).
    pub fn failing(&self) -> usize {
        match self.fail_on {
            FailOn::Never => 0,
            FailOn::Severity(min) => self
                .findings
                .iter()
                .filter(|f| !f.acknowledged && f.severity >= min)
                .count(),
        }
    }

    /// 0: nothing at or above `fail_on`; 1: something is.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.failing() > 0)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| !f.acknowledged && f.severity == severity)
            .count()
    }
}

struct Enabled {
    analyzer: Box<dyn Analyzer>,
}

fn build_analyzers(registry: &Registry, config: &Config) -> Result<Vec<Enabled>> {
    let mut out = Vec::new();
    for def in FAMILIES {
        if !config.family_enabled(def.name, registry) {
            continue;
        }
        let empty = toml::Table::new();
        let tables = config.tables.get(def.name).unwrap_or(&empty);
        let analyzer = (def.build)(tables).map_err(|e| {
            let from = config.source.as_deref().unwrap_or("the built-in tables");
            Error::new(format!("{from}: [{}] {e}", def.name))
        })?;
        out.push(Enabled { analyzer });
    }
    Ok(out)
}

pub fn run_check(opts: &CheckOptions) -> Result<Report> {
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = opts.threads {
            b = b.num_threads(n.max(1));
        }
        b.build()
            .map_err(|e| Error::new(format!("cannot start worker threads: {e}")))?
    };
    let result = pool.install(|| run_in_pool(opts));
    if let Some(p) = &opts.progress {
        p.0.finish();
    }
    result
}

fn run_in_pool(opts: &CheckOptions) -> Result<Report> {
    let repo = revisions::open(&opts.repo)?;
    let registry = Registry::builtin()?;
    let config = Config::load(&repo, opts.config.as_deref(), &registry)?.with_attributes_of(&repo);
    let analyzers = build_analyzers(&registry, &config)?;
    let resolved = revisions::resolve(&repo, &opts.range)?;
    let all_changes = changes::list(&repo, &resolved.base, &resolved.head)?;
    let repo_path = repo.path().to_path_buf();
    let acknowledged: std::collections::HashSet<String> = match repo.workdir() {
        Some(dir) => crate::findings::ack::load(dir)?
            .into_iter()
            .map(|a| a.fingerprint)
            .collect(),
        None => Default::default(),
    };
    drop(repo);

    let mut stats = Stats {
        files_changed: all_changes.len(),
        ..Stats::default()
    };
    let changes: Vec<_> = all_changes
        .into_iter()
        .filter(|c| {
            let excluded = c.base.as_ref().is_none_or(|b| config.is_excluded(&b.path))
                && c.head.as_ref().is_none_or(|h| config.is_excluded(&h.path));
            if excluded {
                stats.files_excluded += 1;
            }
            !excluded
        })
        .collect();

    // Read only what some family could care about: by language, or files
    // with no telling name that a sniff may place.
    let interesting = |lang: Lang, path: &str| {
        analyzers.iter().any(|a| a.analyzer.reads(path, lang))
            || (lang == Lang::Unknown && !path.rsplit('/').next().unwrap_or(path).contains('.'))
    };
    let read_side = |reader: &Option<SideReader>,
                     file: &Option<changes::FileRef>|
     -> Option<(FileVersion, Lang)> {
        let file = file.as_ref()?;
        let mut lang = lang::detect(&file.path);
        if !interesting(lang, &file.path) {
            return None;
        }
        let version = reader.as_ref()?.read(file);
        if lang == Lang::Unknown {
            lang = version.text().map_or(Lang::Unknown, |t| lang::sniff(t));
        }
        Some((version, lang))
    };
    let base_source = SideSource::new(&repo_path, &resolved.base, Revision::Base)?;
    let head_source = SideSource::new(&repo_path, &resolved.head, Revision::Head)?;
    let progress = Tracker(opts.progress.as_ref().map(|p| &*p.0));
    progress.stage("reading", changes.len());
    let files: Vec<ChangedFile> = changes
        .into_par_iter()
        .map_init(
            || (base_source.open().ok(), head_source.open().ok()),
            |(base_reader, head_reader), change| {
                progress.advance();
                let base = read_side(base_reader, &change.base);
                let head = read_side(head_reader, &change.head);
                let base_lang = base.as_ref().map_or_else(
                    || {
                        change
                            .base
                            .as_ref()
                            .map_or(Lang::Unknown, |f| lang::detect(&f.path))
                    },
                    |b| b.1,
                );
                let head_lang = head.as_ref().map_or_else(
                    || {
                        change
                            .head
                            .as_ref()
                            .map_or(Lang::Unknown, |f| lang::detect(&f.path))
                    },
                    |h| h.1,
                );
                ChangedFile::new(
                    change,
                    base.map(|b| b.0),
                    head.map(|h| h.0),
                    base_lang,
                    head_lang,
                )
            },
        )
        .collect();

    let mut notes = Vec::new();
    let mut wanted: Vec<(&FileVersion, Lang)> = Vec::new();
    for file in &files {
        for (version, lang) in [(&file.base, file.base_lang), (&file.head, file.head_lang)] {
            let Some(version) = version else { continue };
            stats.files_read += 1;
            match version.text() {
                None => {
                    if let crate::pipeline::source::Content::Skipped(why) = &version.content {
                        if lang != Lang::Unknown {
                            notes.push(Note {
                                path: version.path.clone(),
                                revision: version.revision,
                                message: why.clone(),
                            });
                        }
                    }
                }
                Some(text) => {
                    if let Some(note) = &version.note {
                        notes.push(Note {
                            path: version.path.clone(),
                            revision: version.revision,
                            message: note.clone(),
                        });
                    }
                    if analyzers
                        .iter()
                        .any(|a| a.analyzer.wants(&version.path, lang, text))
                    {
                        wanted.push((version, lang));
                    }
                }
            }
        }
    }

    let cache = ParseCache::new();
    progress.stage("parsing", wanted.len());
    wanted.par_iter().for_each(|(version, lang)| {
        cache.get(version, *lang);
        progress.advance();
    });
    let cx = Context::new(&files, &cache, &config, base_source, head_source)?;
    progress.stage("analyzing", analyzers.len());
    let mut findings: Vec<Finding> = analyzers
        .iter()
        .flat_map(|a| {
            let found = a.analyzer.check(&cx);
            progress.advance();
            found
        })
        .collect();
    stats.files_parsed = cache.parse_count();

    // Filter: rules switched off, severities, excluded paths; then the
    // metadata and fingerprint every finding carries.
    let finish = |f: &mut Finding| -> bool {
        let Some(meta) = registry.get(&f.rule) else {
            debug_assert!(false, "finding for unknown rule {}", f.rule);
            return false;
        };
        if config.is_excluded(&f.location.path) {
            return false;
        }
        f.severity = match config.setting(&f.rule) {
            Some(RuleSetting::Off) => return false,
            Some(RuleSetting::Severity(s)) => s,
            None => f.adjusted_severity.unwrap_or(meta.severity),
        };
        f.title = meta.title.clone();
        f.help = meta.help.clone();
        f.fingerprint = fingerprint(&f.rule, &f.location.path, &f.subject);
        f.acknowledged = acknowledged.contains(&f.fingerprint);
        true
    };
    findings.retain_mut(|f| finish(f));

    // Inline suppression, read from the text of the side each finding's
    // location is in. A directive without a reason suppresses nothing and
    // is reported itself.
    let mut meta_findings = Vec::new();
    findings.retain(|f| {
        let loc = &f.location;
        let Some(text) = source_text(&cx, loc.revision, &loc.path) else {
            return true;
        };
        let directives = crate::findings::suppress::directives_for(&text, loc.span.line);
        match crate::findings::suppress::verdict(&directives, &f.rule) {
            crate::findings::suppress::Verdict::None => true,
            crate::findings::suppress::Verdict::Suppressed => {
                stats.suppressed += 1;
                false
            }
            crate::findings::suppress::Verdict::MissingReason(d) => {
                let location = Location {
                    revision: loc.revision,
                    path: loc.path.clone(),
                    span: Span::line_of(&text, d.line),
                };
                meta_findings.push(Finding::new(
                    SUPPRESSION_WITHOUT_REASON,
                    location,
                    format!("riskdiff-ignore: {}", d.rules.join(", ")),
                    format!(
                        "`riskdiff-ignore: {}` gives no reason after `--`, so it does not suppress `{}`",
                        d.rules.join(", "),
                        f.rule
                    ),
                ));
                true
            }
        }
    });
    meta_findings.retain_mut(|f| finish(f));
    findings.extend(meta_findings);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
        .dedup_by(|a, b| a.rule == b.rule && a.location == b.location && a.subject == b.subject);
    // Rules quote repository text (a cron command, a setting) in what they
    // print; secrets in it are masked here, once, as in the excerpts.
    for f in &mut findings {
        crate::findings::redact::mask_finding(f);
    }
    notes.sort();
    notes.dedup();

    let sources = collect_sources(&cx, &findings);
    let rules = registry
        .rules()
        .filter(|r| config.setting(&r.id) != Some(RuleSetting::Off))
        .cloned()
        .collect();
    Ok(Report {
        base: resolved.base_info,
        head: resolved.head_info,
        findings,
        notes,
        stats,
        fail_on: opts
            .fail_on
            .or(config.fail_on)
            .unwrap_or(FailOn::Severity(Severity::Medium)),
        rules,
        sources,
    })
}

/// The meta rule for a `riskdiff-ignore:` comment without a reason.
pub const SUPPRESSION_WITHOUT_REASON: &str = "riskdiff/suppression-without-reason";

/// The text of a file on one side: from the change when it is one of the
/// changed files, else read from that revision.
fn source_text(cx: &Context, revision: Revision, path: &str) -> Option<Arc<str>> {
    let from_change = cx.files.iter().find_map(|f| {
        let v = match revision {
            Revision::Base => f.base.as_ref(),
            Revision::Head => f.head.as_ref(),
        }?;
        (v.path == path).then(|| v.text().cloned()).flatten()
    });
    from_change.or_else(|| cx.lookup(revision, path).and_then(|v| v.text().cloned()))
}

/// The texts findings point at, with secrets masked: reports end up in PR
/// comments and CI logs.
fn collect_sources(cx: &Context, findings: &[Finding]) -> BTreeMap<(Revision, String), Arc<str>> {
    let mut out = BTreeMap::new();
    let locations = findings
        .iter()
        .flat_map(|f| std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)));
    for loc in locations {
        let key = (loc.revision, loc.path.clone());
        if out.contains_key(&key) {
            continue;
        }
        if let Some(text) = source_text(cx, loc.revision, &loc.path) {
            out.insert(key, Arc::from(crate::findings::redact::mask_secrets(&text)));
        }
    }
    out
}
