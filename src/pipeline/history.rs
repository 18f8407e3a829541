//! `riskdiff log`: every commit of a range compared with its first parent,
//! in parallel across commits, and whether what each commit brought in is
//! still there at the range's head (its fingerprint appears in a check of
//! the whole range) or was undone later in the range.
//!
//! Commits are checked in chunks and handed to the sink in order, so memory
//! stays near that of the largest chunk of single-commit checks, whatever
//! the length of the range.

use super::check::{thread_pool, ProgressSink, Report, Session};
use super::revisions::{self, Resolved, RevInfo};
use super::trust::Trust;
use crate::error::{Error, Result};
use crate::findings::finding::Severity;
use crate::settings::FailOn;
use git2::{Oid, Repository, Sort};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct LogOptions {
    /// A path inside the repository.
    pub repo: PathBuf,
    /// `A..B`, `A...B` (the commits of B not in A), or `A` (A's history).
    /// `None`: the commits of HEAD not on the default branch, or HEAD's
    /// history when HEAD is the default branch.
    pub range: Option<String>,
    /// Every non-merge commit of the range, not only the first-parent chain.
    pub all: bool,
    /// At most this many commits, newest first.
    pub max_count: Option<usize>,
    /// Only commits made at or after this time (seconds since the epoch).
    pub since: Option<i64>,
    pub config: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub threads: Option<usize>,
    pub progress: Option<ProgressSink>,
    /// Record how long each commit's check took (for benchmarks).
    pub timings: bool,
    /// Where riskdiff's own configuration and acknowledgements are read:
    /// with [`Trust::Base`], from the range's base, for every commit.
    pub trust: Trust,
}

impl LogOptions {
    pub fn new(repo: impl Into<PathBuf>, range: Option<String>) -> Self {
        LogOptions {
            repo: repo.into(),
            range,
            all: false,
            max_count: None,
            since: None,
            config: None,
            fail_on: None,
            threads: None,
            progress: None,
            timings: false,
            trust: Trust::Change,
        }
    }
}

/// One commit of the range, as people name it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub short: String,
    /// The committer's date, `YYYY-MM-DD` in the committer's time zone.
    pub date: String,
    pub author: String,
    /// The first line of the message.
    pub subject: String,
    /// More than one parent: compared with its first parent, so it shows
    /// what the merge brought into the branch.
    pub merge: bool,
}

/// Where a finding of one commit stands at the range's head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The same finding (fingerprint) appears in a check of the whole range.
    Present,
    /// A later commit of the range undid it.
    Undone,
    /// The whole range could not be checked (objects missing from the
    /// clone), so nobody knows; it counts as present.
    Unknown,
}

pub struct CommitReport {
    pub commit: CommitInfo,
    /// The commit compared with its first parent.
    pub report: Report,
    /// The status of each of `report.findings`, in order.
    pub status: Vec<Status>,
    /// How long the check of this commit took, with `timings`.
    pub elapsed_ms: Option<u64>,
    /// Why the commit could not be checked (objects missing from the
    /// clone, an unreadable tree); its report is then empty.
    pub error: Option<String>,
}

/// What a log covers, known before the first commit is checked.
#[derive(Clone, Debug)]
pub struct LogHeader {
    /// The range's base (what the whole-range check compares from) and
    /// head.
    pub base: RevInfo,
    pub head: RevInfo,
    pub first_parent: bool,
    pub commits: usize,
    pub fail_on: FailOn,
    /// Whether the whole range could be checked (else every status is
    /// unknown).
    pub whole_range_checked: bool,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LogSummary {
    pub commits: usize,
    pub commits_with_findings: usize,
    pub findings: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub still_present: usize,
    pub undone: usize,
    pub acknowledged: usize,
    pub suppressed: usize,
    /// Findings that fail the run: at or above `fail_on`, not acknowledged,
    /// and still present at the range's head.
    pub failing: usize,
    /// Commits that could not be checked.
    pub errors: usize,
}

impl LogSummary {
    fn add(&mut self, c: &CommitReport, fail_on: FailOn) {
        self.commits += 1;
        self.errors += usize::from(c.error.is_some());
        self.suppressed += c.report.stats.suppressed;
        let mut any = false;
        for (f, status) in c.report.findings.iter().zip(&c.status) {
            if f.acknowledged {
                self.acknowledged += 1;
                continue;
            }
            any = true;
            self.findings += 1;
            match f.severity {
                Severity::High => self.high += 1,
                Severity::Medium => self.medium += 1,
                Severity::Low => self.low += 1,
            }
            match status {
                Status::Present | Status::Unknown => self.still_present += 1,
                Status::Undone => self.undone += 1,
            }
            if *status != Status::Undone && fail_on.fails(f.severity) {
                self.failing += 1;
            }
        }
        self.commits_with_findings += usize::from(any);
    }

    /// 0: nothing still present at or above `fail_on`; 1: something is;
    /// 2: some commit could not be checked.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 {
            2
        } else {
            i32::from(self.failing > 0)
        }
    }
}

/// Where a log goes, commit by commit, in the order of the range (newest
/// first). Implemented by the renderers.
pub trait LogSink {
    fn begin(&mut self, header: &LogHeader) -> std::io::Result<()>;
    fn commit(&mut self, commit: &CommitReport) -> std::io::Result<()>;
    fn end(&mut self, header: &LogHeader, summary: &LogSummary) -> std::io::Result<()>;
}

/// The commits to check and the comparison of the whole range.
struct Plan {
    /// Newest first.
    commits: Vec<Oid>,
    whole: Resolved,
}

pub fn run_log(opts: &LogOptions, sink: &mut dyn LogSink) -> Result<LogSummary> {
    let pool = thread_pool(opts.threads)?;
    let result = log_in_pool(opts, sink, &pool);
    if let Some(p) = &opts.progress {
        p.0.finish();
    }
    result
}

/// The sink stays on the calling thread (it may hold a locked stdout);
/// the checks run in `pool`.
fn log_in_pool(
    opts: &LogOptions,
    sink: &mut dyn LogSink,
    pool: &rayon::ThreadPool,
) -> Result<LogSummary> {
    let io = Error::output;
    let repo = revisions::open(&opts.repo)?;
    let plan = plan(&repo, opts)?;
    // With `--trust base`, no commit of the range can silence a later
    // one's check: all read the settings the range started from.
    let session = Session::trusting(
        &repo,
        opts.trust,
        &plan.whole.base,
        opts.config.as_deref(),
        opts.fail_on,
    )?;
    let header = LogHeader {
        base: plan.whole.base_info.clone(),
        head: plan.whole.head_info.clone(),
        first_parent: !opts.all,
        commits: plan.commits.len(),
        fail_on: session.fail_on(),
        whole_range_checked: true,
    };
    let progress = opts.progress.as_ref().map(|p| &*p.0);
    if let Some(p) = progress {
        p.stage("range", 1);
    }
    let git_dir = repo.path().to_path_buf();
    drop(repo);
    let reopen = |dir: &std::path::Path| {
        Repository::open(dir).map_err(|e| Error::git("cannot reopen the repository", e))
    };
    // `None`: the whole range could not be checked; every finding's status
    // is then unknown, and the log goes on.
    let present: Option<HashSet<String>> = if plan.commits.is_empty() {
        Some(HashSet::new())
    } else {
        pool.install(|| session.compare(&reopen(&git_dir)?, plan.whole, None))
            .ok()
            .map(|whole| whole.findings.into_iter().map(|f| f.fingerprint).collect())
    };
    let header = LogHeader {
        whole_range_checked: present.is_some(),
        ..header
    };

    sink.begin(&header).map_err(io)?;
    if let Some(p) = progress {
        p.stage("commits", plan.commits.len());
    }
    let mut summary = LogSummary::default();
    // Enough commits in flight to keep every worker busy, few enough that
    // their sources stay small.
    let chunk = pool.current_num_threads().max(1) * 2;
    for oids in plan.commits.chunks(chunk) {
        let reports: Vec<Result<CommitReport>> = pool.install(|| {
            oids.par_iter()
                .map_init(
                    || reopen(&git_dir),
                    |repo, oid| {
                        let repo = repo.as_ref().map_err(Clone::clone)?;
                        let r = check_commit(&session, repo, *oid, present.as_ref(), opts.timings);
                        if let Some(p) = progress {
                            p.advance(1);
                        }
                        r
                    },
                )
                .collect()
        });
        for r in reports {
            let r = r?;
            summary.add(&r, header.fail_on);
            sink.commit(&r).map_err(io)?;
        }
    }
    sink.end(&header, &summary).map_err(io)?;
    Ok(summary)
}

fn check_commit(
    session: &Session,
    repo: &Repository,
    oid: Oid,
    present: Option<&HashSet<String>>,
    timings: bool,
) -> Result<CommitReport> {
    let started = Instant::now();
    let commit = repo
        .find_commit(oid)
        .map_err(|e| Error::git(&format!("cannot read commit {oid}"), e))?;
    let info = commit_info(&commit);
    // A commit that cannot be checked is told, and the range goes on.
    let (report, error) = match compare_with_parent(session, repo, &commit, &info) {
        Ok(report) => (report, None),
        Err(e) => (
            Report::empty(
                revisions::word_info("parent"),
                revisions::word_info(&info.short),
                session.fail_on(),
            ),
            Some(e.to_string()),
        ),
    };
    let status = report
        .findings
        .iter()
        .map(|f| match present {
            None => Status::Unknown,
            Some(p) if p.contains(&f.fingerprint) => Status::Present,
            Some(_) => Status::Undone,
        })
        .collect();
    Ok(CommitReport {
        commit: info,
        report,
        status,
        elapsed_ms: timings.then(|| started.elapsed().as_millis() as u64),
        error,
    })
}

fn compare_with_parent(
    session: &Session,
    repo: &Repository,
    commit: &git2::Commit,
    info: &CommitInfo,
) -> Result<Report> {
    let (base, base_info) = match commit.parent_id(0) {
        Ok(parent) => revisions::commit_side(repo, parent, &format!("{}^", info.short))?,
        Err(_) if repo.is_shallow() => {
            return Err(Error::new(format!(
                "the parent of commit {} is not in this clone",
                info.short
            ))
            .with_hint(revisions::shallow_hint()))
        }
        Err(_) => revisions::empty_side(),
    };
    let (head, head_info) = revisions::commit_side(repo, commit.id(), &info.short)?;
    let resolved = Resolved {
        base,
        head,
        base_info,
        head_info,
    };
    session.compare(repo, resolved, None)
}

fn commit_info(commit: &git2::Commit) -> CommitInfo {
    let id = commit.id();
    let time = commit.time();
    let date = jiff::tz::TimeZone::fixed(
        jiff::tz::Offset::from_seconds(time.offset_minutes() * 60).unwrap_or(jiff::tz::Offset::UTC),
    );
    let date = jiff::Timestamp::from_second(time.seconds())
        .map(|t| t.to_zoned(date).date().to_string())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(commit.message_bytes());
    CommitInfo {
        id: id.to_string(),
        short: revisions::short(id),
        date,
        author: String::from_utf8_lossy(commit.author().name_bytes()).into_owned(),
        subject: text.lines().next().unwrap_or("").trim().to_string(),
        merge: commit.parent_count() > 1,
    }
}

/// The commits of the range, newest first, and the comparison of the whole
/// range: from the first parent of the oldest commit listed (the range's
/// base when nothing limits the list) to the range's head.
fn plan(repo: &Repository, opts: &LogOptions) -> Result<Plan> {
    let (base, head, head_name) = endpoints(repo, opts.range.as_deref())?;
    let walk_err = |e: git2::Error| Error::git("cannot walk the history of the range", e);
    let mut walk = repo.revwalk().map_err(walk_err)?;
    walk.set_sorting(Sort::TOPOLOGICAL).map_err(walk_err)?;
    walk.push(head).map_err(walk_err)?;
    if let Some((base, _)) = &base {
        walk.hide(*base).map_err(walk_err)?;
    }
    if !opts.all {
        walk.simplify_first_parent().map_err(walk_err)?;
    }
    let mut commits = Vec::new();
    let mut oldest: Option<Oid> = None;
    for oid in walk {
        if opts.max_count.is_some_and(|n| commits.len() >= n) {
            break;
        }
        let oid = oid.map_err(|e| {
            let err = Error::git("cannot walk the history of the range", e);
            if repo.is_shallow() {
                err.with_hint(revisions::shallow_hint())
            } else {
                err
            }
        })?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| Error::git(&format!("cannot read commit {oid}"), e))?;
        if opts.since.is_some_and(|s| commit.time().seconds() < s) {
            if opts.all {
                continue;
            }
            // The first-parent chain only gets older from here.
            break;
        }
        oldest = Some(oid);
        if opts.all && commit.parent_count() > 1 {
            continue;
        }
        commits.push(oid);
    }
    let limited = opts.max_count.is_some() || opts.since.is_some() || opts.all;
    let (base_side, base_info) = match (&base, oldest) {
        (Some((oid, name)), _) if !limited => revisions::commit_side(repo, *oid, name)?,
        (_, Some(oldest)) => {
            let commit = repo
                .find_commit(oldest)
                .map_err(|e| Error::git(&format!("cannot read commit {oldest}"), e))?;
            match commit.parent_id(0) {
                Ok(p) => {
                    revisions::commit_side(repo, p, &format!("{}^", revisions::short(oldest)))?
                }
                Err(_) => revisions::empty_side(),
            }
        }
        (Some((oid, name)), None) => revisions::commit_side(repo, *oid, name)?,
        (None, None) => revisions::commit_side(repo, head, &head_name)?,
    };
    let (head_side, head_info) = revisions::commit_side(repo, head, &head_name)?;
    Ok(Plan {
        commits,
        whole: Resolved {
            base: base_side,
            head: head_side,
            base_info,
            head_info,
        },
    })
}

/// A commit and how the user (or the default) named it.
type Named = (Oid, String);

/// The range's base, if it has one, and its head (with its name).
fn endpoints(repo: &Repository, range: Option<&str>) -> Result<(Option<Named>, Oid, String)> {
    let named = |s: &str| {
        let s = s.trim();
        if s.is_empty() { "HEAD" } else { s }.to_string()
    };
    let Some(range) = range else {
        let head = revisions::head_commit(repo)?.ok_or_else(|| revisions::no_commits(repo))?;
        return Ok(match revisions::default_branch(repo) {
            Some((branch, oid)) => match repo.merge_base(oid, head) {
                Ok(mb) if mb == head => (None, head, "HEAD".to_string()),
                Ok(mb) => (
                    Some((mb, format!("merge-base({branch}, HEAD)"))),
                    head,
                    "HEAD".to_string(),
                ),
                Err(e) => return Err(revisions::merge_base_error(repo, &branch, "HEAD", e)),
            },
            None => (None, head, "HEAD".to_string()),
        });
    };
    let (base, head) = if let Some((a, b)) = range.split_once("...") {
        (Some(named(a)), named(b))
    } else if let Some((a, b)) = range.split_once("..") {
        (Some(named(a)), named(b))
    } else {
        (None, named(range))
    };
    let head_oid = revisions::rev_commit(repo, &head)?;
    let base = match base {
        None => None,
        Some(name) => {
            let oid = revisions::rev_commit(repo, &name)?;
            // Both `A..B` and `A...B` list the commits of B not in A; the
            // whole-range check compares from their merge-base, as `check
            // A...B` does, so commits only in A do not show as undone.
            let mb = repo
                .merge_base(oid, head_oid)
                .map_err(|e| revisions::merge_base_error(repo, &name, &head, e))?;
            let label = if mb == oid {
                name
            } else {
                format!("merge-base({name}, {head})")
            };
            Some((mb, label))
        }
    };
    Ok((base, head_oid, head))
}
