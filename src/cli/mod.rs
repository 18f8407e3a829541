//! The command line: one file per command. Exit codes are decided
//! here and nowhere else: 0 clean, 1 findings at or above `--fail-on`,
//! 2 usage or runtime error.

mod ack;
mod check;
mod hook;
mod log;
mod rules;
mod setup;

use crate::error::Error;
use crate::pipeline::revisions::{HeadSpec, RangeSpec};
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
    Check(check::CheckArgs),
    /// List every rule with its default severity.
    Rules {
        #[arg(long, value_enum, default_value_t = rules::RulesFormat::Human)]
        format: rules::RulesFormat,
    },
    /// Check every commit of a range against its first parent and say which
    /// commit brought each risk in and whether it is still there.
    Log(log::LogArgs),
    /// Explain a rule: what it finds, why it matters, how to fix it.
    Explain {
        /// A rule id such as `forms/removed`.
        rule: String,
    },
    /// Record a reviewed finding in .riskdiff/acknowledged.toml so it no
    /// longer fails the check; or, with --prune, drop stale records.
    Ack(ack::AckArgs),
    /// Write a git pre-commit hook running `riskdiff check --staged`, where
    /// git runs hooks (core.hooksPath, or the hooks of the main repository
    /// for a linked worktree). Refuses when husky, lefthook or pre-commit
    /// manage the hooks, and says what to add to their configuration.
    InstallHook {
        /// Replace a hook riskdiff did not write (kept as
        /// pre-commit.riskdiff-backup), or write despite a hook manager.
        #[arg(long)]
        force: bool,
    },
    /// Write a commented starter riskdiff.toml at the repository root.
    Init,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `auto`: colour when stdout is a terminal and `NO_COLOR` is unset.
    pub(super) fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

#[derive(Args, Debug)]
pub(super) struct RangeArgs {
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

    /// What the pre-commit framework asks for: the merge-base of
    /// $PRE_COMMIT_FROM_REF and $PRE_COMMIT_TO_REF with the latter when it
    /// sets them (`pre-commit run --from-ref A --to-ref B`, pre-push), else
    /// the index like --staged.
    #[arg(long, conflicts_with_all = ["range", "base", "head", "staged"])]
    pre_commit: bool,
}

impl RangeArgs {
    pub(super) fn spec(&self) -> Result<RangeSpec, Error> {
        Ok(if self.pre_commit {
            let var = |name| std::env::var(name).ok();
            pre_commit_spec(var("PRE_COMMIT_FROM_REF"), var("PRE_COMMIT_TO_REF"))
        } else if self.staged {
            RangeSpec::Staged
        } else if let Some(r) = &self.range {
            RangeSpec::parse_positional(r)?
        } else if self.base.is_some() || self.head.is_some() {
            RangeSpec::Explicit {
                base: self.base.clone(),
                head: HeadSpec::Rev(self.head.clone().unwrap_or_else(|| "HEAD".into())),
                merge_base: true,
            }
        } else {
            RangeSpec::Default
        })
    }
}

/// `FROM...TO` when pre-commit names both refs (it lists changed files
/// the same way), else the index.
fn pre_commit_spec(from: Option<String>, to: Option<String>) -> RangeSpec {
    let set = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    match (set(from), set(to)) {
        (Some(from), Some(to)) => RangeSpec::Explicit {
            base: Some(from),
            head: HeadSpec::Rev(to),
            merge_base: true,
        },
        _ => RangeSpec::Staged,
    }
}

/// `--threads`: a count of worker threads, never 0.
pub(super) fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0 threads cannot do any work: give 1 or more (default: one per core)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a number of threads")),
    }
}

pub(super) fn parse_fail_on(s: &str) -> Result<FailOn, String> {
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
    match dispatch(cli, stdout, stderr) {
        Ok(code) => code,
        // Whoever read stdout has what they wanted (`| head -1`).
        Err(e) if e.broken_pipe => 0,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            2
        }
    }
}

fn dispatch(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, Error> {
    let repo = cli.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Check(args) => check::check(repo, args, stdout, stderr),
        Command::Log(args) => log::log(repo, args, stdout),
        Command::Ack(args) => ack::ack(repo, args, stdout),
        Command::InstallHook { force } => hook::install_hook(&repo, force, stdout),
        Command::Init => setup::init(&repo, stdout),
        Command::Rules { format } => rules::rules(format, stdout),
        Command::Explain { rule } => rules::explain(&rule, stdout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_commit_compares_its_refs_or_the_index() {
        assert_eq!(
            pre_commit_spec(Some("abc".into()), Some("def".into())),
            RangeSpec::Explicit {
                base: Some("abc".into()),
                head: HeadSpec::Rev("def".into()),
                merge_base: true
            }
        );
        assert_eq!(pre_commit_spec(None, None), RangeSpec::Staged);
        assert_eq!(
            pre_commit_spec(Some("abc".into()), Some(String::new())),
            RangeSpec::Staged
        );
    }
}
