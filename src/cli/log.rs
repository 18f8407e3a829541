//! `riskdiff log`: which commit of a range brought each risk in, and
//! whether it is still there at the range's head.

use super::ColorChoice;
use crate::error::Error;
use crate::pipeline::check::ProgressSink;
use crate::pipeline::history::{run_log, LogOptions};
use crate::pipeline::trust::Trust;
use crate::report::log::{sink, LogFormat};
use crate::settings::FailOn;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(super) struct LogArgs {
    /// The commits to check: `A..B` or `A...B` (the commits of B not in A),
    /// or `A` (A's history). Default: the commits of HEAD not on the default
    /// branch, or HEAD's history on the default branch itself.
    #[arg(value_name = "RANGE")]
    range: Option<String>,

    /// Check every non-merge commit of the range, not only the
    /// first-parent history.
    #[arg(long)]
    all: bool,

    /// Check at most N commits, newest first.
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    max_count: Option<usize>,

    /// Only commits made since DATE: `2026-03-01`, an RFC 3339 time, or a
    /// span back from now such as `2 weeks ago` or `90d`.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    since: Option<i64>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    format: LogFormat,

    /// Fail (exit 1) when findings at or above this severity are still
    /// present at the range's head: high, medium, low or never.
    #[arg(long, value_name = "LEVEL", value_parser = super::parse_fail_on)]
    fail_on: Option<FailOn>,

    /// Use this config file instead of riskdiff.toml at the repository root.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Where riskdiff.toml, .gitattributes and the acknowledgements are read
    /// from: the working tree, or the range's base revision for every commit
    /// (no commit of the range can then silence a later one's check).
    #[arg(long, value_enum, value_name = "REVISION", default_value_t = Trust::Change)]
    trust: Trust,

    /// Worker threads, 1 or more (default: one per core; at most four per core).
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    threads: Option<usize>,

    /// Colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,

    /// Record how long each commit's check took (`elapsed_ms` in json and
    /// jsonl), for benchmarks.
    #[arg(long)]
    timings: bool,
}

/// `--since`: a date, a time, or a span back from now.
fn parse_since(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(date) = s.parse::<jiff::civil::Date>() {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .map_err(|e| e.to_string());
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let span_text = s.strip_suffix("ago").unwrap_or(s).trim();
    let span: jiff::Span = span_text.parse().map_err(|_| {
        format!("`{s}` is not a date (2026-03-01), a time (2026-03-01T12:00:00Z) or a span (2 weeks ago)")
    })?;
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_sub(span)
        .map(|z| z.timestamp().as_second())
        .map_err(|e| e.to_string())
}

pub(super) fn log(repo: PathBuf, args: LogArgs, stdout: &mut dyn Write) -> Result<i32, Error> {
    let opts = LogOptions {
        all: args.all,
        max_count: args.max_count,
        since: args.since,
        config: args.config.clone(),
        fail_on: args.fail_on,
        threads: args.threads,
        progress: (!args.quiet)
            .then(crate::progress::TerminalProgress::for_stderr)
            .flatten()
            .map(|p| ProgressSink(std::sync::Arc::new(p))),
        timings: args.timings,
        trust: args.trust,
        ..LogOptions::new(repo, args.range.clone())
    };
    let color = args.color.enabled();
    let mut out = sink(args.format, color, stdout);
    let summary = run_log(&opts, &mut *out)?;
    if summary.errors > 0 {
        return Err(Error::new(format!(
            "{} of {} commits could not be checked; their errors are in the output",
            summary.errors, summary.commits
        )));
    }
    Ok(summary.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_dates_times_and_spans() {
        assert_eq!(parse_since("2026-03-01"), Ok(1_772_323_200));
        assert_eq!(parse_since("2026-03-01T00:00:00Z"), Ok(1_772_323_200));
        let two_weeks = parse_since("2 weeks ago").unwrap();
        let now = jiff::Timestamp::now().as_second();
        assert!((now - two_weeks - 14 * 86_400).abs() < 10);
        assert!(parse_since("90d").is_ok());
        assert!(parse_since("last tuesday").is_err());
    }
}
