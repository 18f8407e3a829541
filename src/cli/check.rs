//! `riskdiff check`: one comparison, rendered in the chosen format.

use super::{ColorChoice, RangeArgs};
use crate::error::Error;
use crate::pipeline::check::{run_check, CheckOptions, ProgressSink};
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

    /// Worker threads (default: one per core; at most four per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Print only the summary line (human format), and no progress bar.
    #[arg(short, long)]
    quiet: bool,
}

pub(super) fn check(repo: PathBuf, args: CheckArgs, stdout: &mut dyn Write) -> Result<i32, Error> {
    let io = |e: std::io::Error| Error::new(format!("cannot write the output: {e}"));
    let range = args.range.spec()?;
    let opts = CheckOptions {
        repo,
        range,
        config: args.config.clone(),
        fail_on: args.fail_on,
        threads: args.threads,
        progress: (!args.quiet)
            .then(crate::progress::TerminalProgress::for_stderr)
            .flatten()
            .map(|p| ProgressSink(std::sync::Arc::new(p))),
    };
    let report = run_check(&opts)?;
    let color = args.color.enabled();
    if args.quiet && args.format == Format::Human {
        writeln!(stdout, "{}", report::summary_line(&report)).map_err(io)?;
    } else {
        report::render(&report, args.format, color, stdout).map_err(io)?;
    }
    Ok(report.exit_code())
}
