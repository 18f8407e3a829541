//! The command line: `check`, `rules`, `explain`. Exit codes are decided
//! here and nowhere else: 0 clean, 1 findings at or above `--fail-on`,
//! 2 usage or runtime error.

use crate::check::{run_check, CheckOptions};
use crate::error::Error;
use crate::report::{self, Format};
use crate::revisions::{HeadSpec, RangeSpec};
use crate::rules::Registry;
use crate::settings::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "riskdiff",
    version,
    about = "Compares two git revisions and reports the changes that break things silently once shipped.",
    after_help = "Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or runtime error."
)]
pub struct Cli {
    /// Run in this repository instead of the current directory.
    #[arg(short = 'C', long = "repo", global = true, value_name = "PATH")]
    repo: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compare two revisions and report risky changes.
    Check(CheckArgs),
    /// List every rule with its default severity.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
        format: RulesFormat,
    },
    /// Explain a rule: what it finds, why it matters, how to fix it.
    Explain {
        /// A rule id such as `forms/removed`.
        rule: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RulesFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// What to compare: `A..B` (A with B), `A...B` (merge-base of A and B
    /// with B), or `A` (A with the working tree). Default: the merge-base
    /// with the default branch vs the working tree.
    #[arg(value_name = "RANGE", conflicts_with_all = ["base", "staged"])]
    range: Option<String>,

    /// Compare from the merge-base of REV and the head (a pull-request check).
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    base: Option<String>,

    /// The head revision (default: HEAD with --base).
    #[arg(long, value_name = "REV", conflicts_with_all = ["staged", "range"])]
    head: Option<String>,

    /// Compare HEAD with the index: what the next commit will hold (pre-commit).
    #[arg(long)]
    staged: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Fail (exit 1) on findings at or above this severity: high, medium, low or never.
    #[arg(long, value_name = "LEVEL", value_parser = parse_fail_on)]
    fail_on: Option<FailOn>,

    /// Use this config file instead of riskdiff.toml at the repository root.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Print only the summary line (human format).
    #[arg(short, long)]
    quiet: bool,
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

/// Runs the command line and returns the process exit code.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let text = e.render().to_string();
            let _ = if code == 0 {
                write!(stdout, "{text}")
            } else {
                write!(stderr, "{text}")
            };
            return code;
        }
    };
    match dispatch(cli, stdout) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            2
        }
    }
}

fn dispatch(cli: Cli, stdout: &mut dyn Write) -> Result<i32, Error> {
    let repo = cli.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let io = |e: std::io::Error| Error::new(format!("cannot write the output: {e}"));
    match cli.command {
        Command::Check(args) => {
            let range = if args.staged {
                RangeSpec::Staged
            } else if let Some(r) = &args.range {
                RangeSpec::parse_positional(r)?
            } else if args.base.is_some() || args.head.is_some() {
                RangeSpec::Explicit {
                    base: args.base.clone(),
                    head: HeadSpec::Rev(args.head.clone().unwrap_or_else(|| "HEAD".into())),
                    merge_base: true,
                }
            } else {
                RangeSpec::Default
            };
            let opts = CheckOptions {
                repo,
                range,
                config: args.config.clone(),
                fail_on: args.fail_on,
                threads: args.threads,
            };
            let report = run_check(&opts)?;
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && std::io::stdout().is_terminal()
                }
            };
            if args.quiet && args.format == Format::Human {
                writeln!(stdout, "{}", report::summary_line(&report)).map_err(io)?;
            } else {
                report::render(&report, args.format, color, stdout).map_err(io)?;
            }
            Ok(report.exit_code())
        }
        Command::Rules { format } => {
            let registry = Registry::builtin()?;
            match format {
                RulesFormat::Json => {
                    let rules: Vec<_> = registry.rules().collect();
                    serde_json::to_writer_pretty(&mut *stdout, &rules)
                        .map_err(|e| Error::new(e.to_string()))?;
                    writeln!(stdout).map_err(io)?;
                }
                RulesFormat::Human => {
                    for fam in &registry.families {
                        writeln!(stdout, "{}: {}", fam.family, fam.description).map_err(io)?;
                        for r in &fam.rules {
                            writeln!(
                                stdout,
                                "  {:<28} {:<7} {}",
                                r.id,
                                r.severity.as_str(),
                                r.summary
                            )
                            .map_err(io)?;
                        }
                        writeln!(stdout).map_err(io)?;
                    }
                    writeln!(stdout, "`riskdiff explain RULE` tells more about one rule.")
                        .map_err(io)?;
                }
            }
            Ok(0)
        }
        Command::Explain { rule } => {
            let registry = Registry::builtin()?;
            let Some(meta) = registry.get(&rule) else {
                let err = Error::new(format!("unknown rule `{rule}`"));
                return Err(match registry.closest(&rule) {
                    Some(c) => err.with_hint(format!(
                        "did you mean `{c}`? `riskdiff rules` lists them all"
                    )),
                    None => err.with_hint("`riskdiff rules` lists every rule"),
                });
            };
            writeln!(
                stdout,
                "{} ({}): {}\n\n{}\n\n{}",
                meta.id,
                meta.severity,
                meta.title,
                meta.summary,
                meta.explanation.trim_end()
            )
            .map_err(io)?;
            Ok(0)
        }
    }
}
