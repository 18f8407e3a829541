//! One run, in pipeline order: revisions → changes → read → parse and
//! facts (file by file: `Analyzer::extract`) → compare (`Analyzer::check`)
//! → filter → a [`Report`] for the renderers.

use super::changes::{self, SideSource};
use super::parse::ParseCache;
use super::revisions::{self, RangeSpec, Resolved, RevInfo};
use super::trust::Trust;
use super::{filter, read};
use crate::error::{Error, Result};
use crate::families::context::{Analyzer, Context};
use crate::families::registry::FAMILIES;
use crate::findings::finding::{Finding, Note, Revision, Severity};
use crate::findings::rules::{Registry, RuleMeta};
use crate::settings::{Config, FailOn, RuleSetting};
use git2::Repository;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

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
    /// Where riskdiff's own configuration and acknowledgements are read.
    pub trust: Trust,
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
pub(super) struct Tracker<'a>(Option<&'a dyn Progress>);

impl Tracker<'_> {
    pub(super) fn stage(&self, name: &'static str, total: usize) {
        if let Some(p) = self.0 {
            p.stage(name, total);
        }
    }
    pub(super) fn advance(&self) {
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
            trust: Trust::Change,
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
    /// A report of nothing: what a comparison that could not run shows.
    pub fn empty(base: RevInfo, head: RevInfo, fail_on: FailOn) -> Report {
        Report {
            base,
            head,
            findings: Vec::new(),
            notes: Vec::new(),
            stats: Stats::default(),
            fail_on,
            rules: Vec::new(),
            sources: BTreeMap::new(),
        }
    }

    /// Findings that count against `fail_on` (acknowledged ones do not).
    pub fn failing(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| !f.acknowledged && self.fail_on.fails(f.severity))
            .count()
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

fn build_analyzers(registry: &Registry, config: &Config) -> Result<Vec<Box<dyn Analyzer>>> {
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
        out.push(analyzer);
    }
    Ok(out)
}

/// More workers than this buy nothing and cost a thread each: `--threads
/// 100000` spent a minute starting threads.
pub fn max_threads() -> usize {
    4 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A rayon pool of `threads` workers (all cores when `None`, at most
/// [`max_threads`]).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    // Generous stacks: readers of nested syntax recurse (bounded by
    // `parse::MAX_TREE_DEPTH`), and a worker's default 2 MiB leaves little
    // margin in debug builds.
    let mut b = rayon::ThreadPoolBuilder::new().stack_size(16 << 20);
    if let Some(n) = threads {
        b = b.num_threads(n.clamp(1, max_threads()));
    }
    b.build()
        .map_err(|e| Error::new(format!("cannot start worker threads: {e}")))
}

pub fn run_check(opts: &CheckOptions) -> Result<Report> {
    let result = (|| {
        let repo = revisions::open(&opts.repo)?;
        let resolved = revisions::resolve(&repo, &opts.range)?;
        let session = Session::trusting(
            &repo,
            opts.trust,
            &resolved.base,
            opts.config.as_deref(),
            opts.fail_on,
        )?;
        // Nothing changed (a hook on an empty commit, a branch that is its
        // base): said before any worker thread or rule family is started.
        if resolved.same_tree() {
            return Ok(session.unchanged(resolved));
        }
        let progress = opts.progress.as_ref().map(|p| &*p.0);
        thread_pool(opts.threads)?.install(move || session.compare(&repo, resolved, progress))
    })();
    if let Some(p) = &opts.progress {
        p.0.finish();
    }
    result
}

/// What stays the same across the comparisons of one invocation (one for
/// `check`, one per commit for `log`): the rule metadata, the repository's
/// configuration, the analyzers built from it and its acknowledgements.
pub struct Session {
    git_dir: PathBuf,
    registry: Registry,
    config: Config,
    /// Built on the first comparison that has changes to look at.
    analyzers: OnceLock<Vec<Box<dyn Analyzer>>>,
    acknowledged: HashSet<String>,
    fail_on: FailOn,
}

impl Session {
    /// Reads the configuration and acknowledgements of the repository
    /// (`config` overrides `riskdiff.toml`; `fail_on` overrides its
    /// `fail_on`) and builds the analyzers.
    pub fn open(
        repo: &Repository,
        config: Option<&Path>,
        fail_on: Option<FailOn>,
    ) -> Result<Session> {
        let registry = Registry::builtin()?;
        let config = Config::load(repo, config, &registry)?.with_attributes_of(repo);
        let acknowledged: HashSet<String> = match repo.workdir() {
            Some(dir) => crate::findings::ack::load(dir)?
                .into_iter()
                .map(|a| a.fingerprint)
                .collect(),
            None => Default::default(),
        };
        Session::with(repo, registry, config, acknowledged, fail_on)
    }

    /// [`Session::open`] or [`Session::open_base`], as `trust` says; `base`
    /// is the revision `--trust base` reads from.
    pub(super) fn trusting(
        repo: &Repository,
        trust: Trust,
        base: &revisions::Side,
        config: Option<&Path>,
        fail_on: Option<FailOn>,
    ) -> Result<Session> {
        match trust {
            Trust::Change => Session::open(repo, config, fail_on),
            Trust::Base => Session::open_base(repo, base, config, fail_on),
        }
    }

    /// Like [`Session::open`], with the configuration, `.gitattributes` and
    /// acknowledgements of the base revision (`--trust base`).
    pub fn open_base(
        repo: &Repository,
        base: &revisions::Side,
        config: Option<&Path>,
        fail_on: Option<FailOn>,
    ) -> Result<Session> {
        let registry = Registry::builtin()?;
        let (config, acknowledged) = super::trust::base_settings(repo, base, config, &registry)?;
        Session::with(repo, registry, config, acknowledged, fail_on)
    }

    fn with(
        repo: &Repository,
        registry: Registry,
        config: Config,
        acknowledged: HashSet<String>,
        fail_on: Option<FailOn>,
    ) -> Result<Session> {
        // Tables the repository extended are checked now, whatever the
        // comparison holds; the built-in ones need no check.
        let analyzers = OnceLock::new();
        if config.extends_tables {
            let _ = analyzers.set(build_analyzers(&registry, &config)?);
        }
        let fail_on = fail_on
            .or(config.fail_on)
            .unwrap_or(FailOn::Severity(Severity::Medium));
        Ok(Session {
            git_dir: repo.path().to_path_buf(),
            registry,
            config,
            analyzers,
            acknowledged,
            fail_on,
        })
    }

    pub fn fail_on(&self) -> FailOn {
        self.fail_on
    }

    fn analyzers(&self) -> Result<&[Box<dyn Analyzer>]> {
        if let Some(built) = self.analyzers.get() {
            return Ok(built);
        }
        let built = build_analyzers(&self.registry, &self.config)?;
        Ok(self.analyzers.get_or_init(|| built))
    }

    /// The report of two revisions with one tree: nothing to look at.
    pub fn unchanged(&self, resolved: Resolved) -> Report {
        Report {
            rules: self.enabled_rules(),
            ..Report::empty(resolved.base_info, resolved.head_info, self.fail_on)
        }
    }

    /// The metadata of every rule the configuration leaves on.
    fn enabled_rules(&self) -> Vec<RuleMeta> {
        self.registry
            .rules()
            .filter(|r| self.config.setting(&r.id) != Some(RuleSetting::Off))
            .cloned()
            .collect()
    }

    /// One comparison, through every stage after the revisions: changes,
    /// read, parse, the families, filter.
    pub fn compare(
        &self,
        repo: &Repository,
        resolved: Resolved,
        progress: Option<&dyn Progress>,
    ) -> Result<Report> {
        let (config, analyzers) = (&self.config, self.analyzers()?);
        let all_changes = changes::list(repo, &resolved.base, &resolved.head)?;
        let mut stats = Stats {
            files_changed: all_changes.len(),
            ..Stats::default()
        };
        let changes = read::without_excluded(all_changes, config, &mut stats);
        let base_source = SideSource::new(&self.git_dir, &resolved.base, Revision::Base)?;
        let head_source = SideSource::new(&self.git_dir, &resolved.head, Revision::Head)?;
        let progress = Tracker(progress);
        let files = read::read_changed(changes, analyzers, [&base_source, &head_source], &progress);
        let (files, withheld) = read::withhold_unanalysable(files);
        let (jobs, mut notes) = read::to_parse(&files, analyzers, &mut stats);
        let wanted: Vec<_> = jobs.iter().flat_map(|j| j.versions()).collect();
        notes.extend(withheld);
        let cache = ParseCache::new();
        for (version, lang) in &wanted {
            cache.expect(version, *lang);
        }
        let cx = Context::new(&files, &cache, config, base_source, head_source)?;
        progress.stage("parsing", wanted.len());
        // One job per task: a few large files hold most of the cost. Each
        // file is parsed, the families read their facts of it, and its
        // trees are dropped, so a large range never holds every tree at
        // once (saleor's 800 commits: 639 → 124 MB).
        let error_notes: Vec<Note> = jobs
            .par_iter()
            .with_max_len(1)
            .flat_map_iter(|job| {
                let [base, head] = parse_job(&cache, job, &progress);
                for a in analyzers {
                    cx.extracting(|| a.extract(&cx, job.file));
                }
                let sides = [(job.base, base), (job.head, head)];
                let notes: Vec<Note> = (0..2)
                    .filter_map(|side| {
                        let ((_, lang), parsed) = (sides[side].0?, sides[side].1.as_ref()?);
                        super::parse_errors::note(job.file, side, lang, parsed)
                    })
                    .collect();
                for (version, lang) in job.versions() {
                    cache.release(version, lang);
                }
                notes
            })
            .collect();
        // Files too deep or too costly to parse: said, never dropped.
        notes.extend(wanted.iter().filter_map(|(version, lang)| {
            cache.skipped(version, *lang).map(|message| Note {
                path: version.path.clone(),
                revision: version.revision,
                message,
            })
        }));
        notes.extend(error_notes);
        notes.sort();
        notes.dedup();
        progress.stage("analyzing", analyzers.len());
        // Families are independent: each runs on its own worker, and their
        // findings are joined in the registry's order.
        let found: Vec<Vec<Finding>> = analyzers
            .par_iter()
            .with_max_len(1)
            .map(|a| {
                let found = a.check(&cx);
                progress.advance();
                found
            })
            .collect();
        let mut findings: Vec<Finding> = found.into_iter().flatten().collect();
        findings.extend(super::weakened::findings(&cx, &self.registry));
        stats.files_parsed = cache.parse_count();

        let rules_in = filter::Rules {
            registry: &self.registry,
            config,
            acknowledged: &self.acknowledged,
        };
        let mut findings = filter::apply(findings, &rules_in, &cx, &mut stats);
        let sources = filter::sources_of(&cx, &mut findings);
        drop(cx);
        drop(files);
        crate::findings::line_index::forget_unused();
        let rules = self.enabled_rules();
        Ok(Report {
            base: resolved.base_info,
            head: resolved.head_info,
            findings,
            notes,
            stats,
            fail_on: self.fail_on,
            rules,
            sources,
        })
    }
}

/// Parses the sides of one job: base first, then head from base's tree.
fn parse_job(
    cache: &ParseCache,
    job: &read::ParseJob,
    progress: &Tracker,
) -> [Option<Arc<super::parse::Parsed>>; 2] {
    let base = job.base.and_then(|(version, lang)| {
        progress.advance();
        cache.get(version, lang)
    });
    let head = job.head.and_then(|(version, lang)| {
        progress.advance();
        // A head about as large as a base that ran out of the parser's
        // budget would only run out again, after as long (100,000 nested
        // `<div>`: 1.6 s per side).
        let base_too_costly = job.base.is_some_and(|(b, bl)| {
            cache.skipped(b, bl).as_deref() == Some(super::parse::TOO_COSTLY)
                && version.text().map_or(0, |t| t.len()) >= b.text().map_or(0, |t| t.len()) * 3 / 4
        });
        if base_too_costly {
            cache.skip_as(version, lang, super::parse::TOO_COSTLY_AS_BASE.to_string());
            None
        } else {
            cache.get_after(version, lang, base.as_ref())
        }
    });
    [base, head]
}
