//! `riskdiff check`: one comparison, rendered in the chosen format.

use super::{ColorChoice, RangeArgs};
use crate::error::Error;
use crate::pipeline::check::{run_check, CheckOptions, ProgressSink, Report};
use crate::pipeline::revisions::RangeSpec;
use crate::pipeline::trust::Trust;
use crate::report::{self, Format};
use crate::settings::FailOn;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(super) struct CheckArgs {
    #[command(flatten)]
    pub(super) range: RangeArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Fail (exit 1) on findings at or above this severity: high, medium, low or never.
    #[arg(long, value_name = "LEVEL", value_parser = super::parse_fail_on)]
    fail_on: Option<FailOn>,

    /// Use this config file instead of riskdiff.toml at the repository root.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Where riskdiff.toml, .gitattributes and the acknowledgements are read
    /// from: the change under review, or the base revision (recommended for
    /// pull requests from forks: a change cannot silence its own check).
    #[arg(long, value_enum, value_name = "REVISION", default_value_t = Trust::Change)]
    trust: Trust,

    /// Worker threads, 1 or more (default: one per core; at most four per core).
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    threads: Option<usize>,

    /// Colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Print only the summary line (human format), and no progress bar.
    #[arg(short, long)]
    quiet: bool,

    /// Also write the report in FORMAT to FILE, e.g. `--output
    /// sarif=riskdiff.sarif`; repeat it for more formats. One analysis
    /// feeds them all; stdout still gets --format. Files are never coloured.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_output)]
    output: Vec<(Format, PathBuf)>,
}

/// `sarif=out/riskdiff.sarif` → the format and the file.
fn parse_output(s: &str) -> Result<(Format, PathBuf), String> {
    use clap::ValueEnum;
    let (format, file) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not FORMAT=FILE (e.g. sarif=riskdiff.sarif)"))?;
    let format = Format::from_str(format.trim(), true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        format!(
            "unknown format `{format}` (expected one of {})",
            names.join(", ")
        )
    })?;
    if file.is_empty() {
        return Err(format!("`{s}` names no file"));
    }
    Ok((format, PathBuf::from(file)))
}

/// Writes each `--output` file; the report is complete before any is
/// written, so a failed run leaves none half-written.
fn write_outputs(
    report: &crate::pipeline::check::Report,
    outputs: &[(Format, PathBuf)],
) -> Result<(), Error> {
    for (i, (_, file)) in outputs.iter().enumerate() {
        if outputs[..i].iter().any(|(_, f)| f == file) {
            return Err(
                Error::new(format!("--output names {} twice", file.display()))
                    .with_hint("give each format its own file"),
            );
        }
    }
    for (format, file) in outputs {
        let mut text = Vec::new();
        report::render(report, *format, false, &mut text)
            .and_then(|_| std::fs::write(file, &text))
            .map_err(|e| Error::new(format!("cannot write {}: {e}", file.display())))?;
    }
    Ok(())
}

pub(super) fn check(
    repo: PathBuf,
    args: CheckArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let io = Error::output;
    let range = args.range.spec()?;
    let default_range = range == RangeSpec::Default;
    let opts = CheckOptions {
        repo: repo.clone(),
        range,
        config: args.config.clone(),
        fail_on: args.fail_on,
        threads: args.threads,
        trust: args.trust,
        progress: (!args.quiet)
            .then(crate::progress::TerminalProgress::for_stderr)
            .flatten()
            .map(|p| ProgressSink(std::sync::Arc::new(p))),
    };
    let report = run_check(&opts)?;
    if default_range {
        if let Some(note) = default_range_note(&repo, &report) {
            // A note for people, never part of the report a tool parses.
            let _ = writeln!(stderr, "note: {note}");
        }
    }
    write_outputs(&report, &args.output)?;
    let color = args.color.enabled();
    let written = if args.quiet && args.format == Format::Human {
        writeln!(stdout, "{}", report::summary_line(&report))
    } else {
        // Renderers write in small pieces: unbuffered, 40,000 findings
        // cost a write call each piece (a fifth of the run).
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, stdout);
        report::render(&report, args.format, color, &mut buffered).and_then(|()| buffered.flush())
    };
    match written.map_err(io) {
        // A reader that stopped early (`| head`) still gets the exit code
        // the findings decide.
        Err(e) if e.broken_pipe => Ok(report.exit_code()),
        Err(e) => Err(e),
        Ok(()) => Ok(report.exit_code()),
    }
}

/// What plain `riskdiff check` compared, when that is likely not what the
/// user meant: a shallow clone without the default branch (only the
/// uncommitted changes are seen), or a clean working tree whose commits
/// are already in the base (a newcomer who committed on `main`).
fn default_range_note(repo: &std::path::Path, report: &Report) -> Option<String> {
    if report.base.name != "HEAD" || report.head.id != "worktree" {
        return None;
    }
    let git = crate::pipeline::revisions::open(repo).ok()?;
    let base = &report.base.short;
    let no_default = crate::pipeline::revisions::default_branch(&git).is_none();
    if no_default && git.is_shallow() {
        return Some(format!(
            "this shallow clone has no default branch (origin/HEAD, main or master), so HEAD ({base}) was \
             compared with the working tree: only uncommitted changes were checked, not the commits of this \
             branch. Fetch the base and name it: `git fetch --depth=200 origin main` and \
             `riskdiff check --base origin/main` (in CI: fetch-depth: 0)"
        ));
    }
    if report.stats.files_changed > 0 {
        return None;
    }
    let why = if no_default {
        "there is no default branch (origin/HEAD, main or master) to compare with".to_string()
    } else {
        "HEAD is already part of the default branch, so its commits are in the base".to_string()
    };
    Some(format!(
        "compared HEAD ({base}) with the working tree, which has no changes: {why}. To check the last \
         commit: `riskdiff check HEAD~1..HEAD`; a branch: `riskdiff check main...BRANCH`"
    ))
}
