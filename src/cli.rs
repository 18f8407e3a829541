//! The command line: `check`, `rules`, `explain`. Exit codes are decided
//! here and nowhere else: 0 clean, 1 findings at or above `--fail-on`,
//! 2 usage or runtime error.

use crate::error::Error;
use crate::findings::ack;
use crate::findings::rules::Registry;
use crate::pipeline::check::{run_check, CheckOptions, ProgressSink};
use crate::pipeline::revisions::{HeadSpec, RangeSpec};
use crate::report::{self, Format};
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
    /// Record a reviewed finding in .riskdiff/acknowledged.toml so it no
    /// longer fails the check; or, with --prune, drop stale records.
    Ack(AckArgs),
    /// Write .git/hooks/pre-commit running `riskdiff check --staged`.
    InstallHook {
        /// Overwrite a hook riskdiff did not write.
        #[arg(long)]
        force: bool,
    },
    /// Write a commented starter riskdiff.toml at the repository root.
    Init,
}

#[derive(Args, Debug)]
struct AckArgs {
    /// The finding's fingerprint, as printed by `riskdiff check`.
    #[arg(value_name = "FINGERPRINT", required_unless_present = "prune")]
    fingerprint: Option<String>,

    /// Why the finding is fine (required when acknowledging).
    #[arg(long, required_unless_present = "prune")]
    reason: Option<String>,

    /// Remove acknowledgements whose finding no longer occurs.
    #[arg(long)]
    prune: bool,

    /// Use this config file instead of riskdiff.toml at the repository root.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(flatten)]
    range: RangeArgs,
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
    #[command(flatten)]
    range: RangeArgs,

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

    /// Print only the summary line (human format), and no progress bar.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args, Debug)]
struct RangeArgs {
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
}

impl RangeArgs {
    fn spec(&self) -> Result<RangeSpec, Error> {
        Ok(if self.staged {
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

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

/// The line by which `install-hook` recognises a hook it wrote.
const HOOK_MARKER: &str = "# installed by riskdiff install-hook";

const HOOK_SCRIPT: &str = "#!/bin/sh
# installed by riskdiff install-hook
# Checks what the next commit will hold. Skip once with `git commit --no-verify`.
exec riskdiff check --staged
";

/// What `riskdiff init` writes: every setting, commented out.
const STARTER_CONFIG: &str = r#"# riskdiff configuration. Every setting is optional; uncomment to change one.
# `riskdiff rules` lists the rules, `riskdiff explain RULE` explains one.

# Exit 1 on findings at or above this severity: "high", "medium", "low" or "never".
# fail_on = "medium"

# Paths to leave out, in .gitignore syntax (added to the built-in excludes).
# exclude = ["legacy/**", "*.generated.html"]

# Drop the built-in excludes (vendor/, node_modules/, minified files).
# no_default_excludes = false

# Per rule or per family: "off", "high", "medium" or "low".
# [rules]
# "forms/removed" = "high"
# forms = "medium"

# One section per rule family extends its built-in tables (see the family's
# rule file); lists grow, other values are replaced.
# [forms]
# [batch]
# partner_receivers = ["acme_logistics"]   # your carrier client's name
# exclude_tests = true
# [mail]
# production_names = ["live"]
# [config]
# destructive = ["reflash"]               # key words that destroy on your devices
# [backup]
# tools = ["my-backup-script"]
# [durability]
"#;

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
        Command::Ack(mut args) => {
            // `ack --prune A..B`: with --prune the one positional is the range.
            if args.prune && args.range.range.is_none() {
                args.range.range = args.fingerprint.take();
            } else if args.prune && args.fingerprint.is_some() {
                return Err(Error::new("--prune takes no FINGERPRINT"));
            }
            let opts = CheckOptions {
                repo: repo.clone(),
                range: args.range.spec()?,
                config: args.config.clone(),
                fail_on: None,
                threads: None,
                progress: None,
            };
            let report = run_check(&opts)?;
            let git = crate::pipeline::revisions::open(&repo)?;
            let workdir = git
                .workdir()
                .ok_or_else(|| {
                    Error::new("acknowledgements need a working tree (this repository is bare)")
                })?
                .to_path_buf();
            let mut acks = ack::load(&workdir)?;
            if args.prune {
                let (keep, stale): (Vec<_>, Vec<_>) = acks.into_iter().partition(|a| {
                    report
                        .findings
                        .iter()
                        .any(|f| f.fingerprint == a.fingerprint)
                });
                if stale.is_empty() {
                    writeln!(stdout, "no stale acknowledgements").map_err(io)?;
                    return Ok(0);
                }
                for a in &stale {
                    writeln!(
                        stdout,
                        "removed {} {} {} ({})",
                        a.fingerprint, a.rule, a.path, a.reason
                    )
                    .map_err(io)?;
                }
                ack::save(&workdir, &keep)?;
                return Ok(0);
            }
            let (Some(fp), Some(reason)) = (args.fingerprint, args.reason) else {
                return Err(Error::new("give a FINGERPRINT and --reason, or --prune"));
            };
            let reason = reason.trim().to_string();
            if reason.is_empty() {
                return Err(Error::new("--reason must not be empty"));
            }
            let Some(finding) = report.findings.iter().find(|f| f.fingerprint == fp) else {
                return Err(Error::new(format!("no finding with fingerprint `{fp}` in this check"))
                    .with_hint("run `riskdiff check` with the same range flags and copy a fingerprint from its output"));
            };
            let entry = ack::Ack {
                fingerprint: fp.clone(),
                rule: finding.rule.clone(),
                path: finding.location.path.clone(),
                reason,
                author: ack::author(&git),
                date: ack::today(),
            };
            match acks.iter_mut().find(|a| a.fingerprint == fp) {
                Some(a) => *a = entry,
                None => acks.push(entry),
            }
            ack::save(&workdir, &acks)?;
            writeln!(
                stdout,
                "acknowledged {fp} ({} in {}) in {}",
                finding.rule,
                finding.location.path,
                ack::FILE
            )
            .map_err(io)?;
            Ok(0)
        }
        Command::InstallHook { force } => {
            let git = crate::pipeline::revisions::open(&repo)?;
            let hooks = git.path().join("hooks");
            let hook = hooks.join("pre-commit");
            let fail =
                |e: std::io::Error| Error::new(format!("cannot write {}: {e}", hook.display()));
            match std::fs::read_to_string(&hook) {
                Ok(existing) if !existing.contains(HOOK_MARKER) && !force => {
                    return Err(Error::new(format!("{} exists and was not written by riskdiff", hook.display()))
                        .with_hint("add `riskdiff check --staged` to it yourself, or pass --force to replace it"));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(fail(e)),
            }
            std::fs::create_dir_all(&hooks).map_err(fail)?;
            std::fs::write(&hook, HOOK_SCRIPT).map_err(fail)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
                    .map_err(fail)?;
            }
            writeln!(stdout, "wrote {}", hook.display()).map_err(io)?;
            Ok(0)
        }
        Command::Init => {
            let git = crate::pipeline::revisions::open(&repo)?;
            let workdir = git
                .workdir()
                .ok_or_else(|| Error::new("init needs a working tree (this repository is bare)"))?;
            let path = workdir.join("riskdiff.toml");
            if path.exists() {
                return Err(Error::new(format!(
                    "{} exists already; not overwriting it",
                    path.display()
                )));
            }
            std::fs::write(&path, STARTER_CONFIG)
                .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
            writeln!(stdout, "wrote {}", path.display()).map_err(io)?;
            Ok(0)
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
                    let width = registry.rules().map(|r| r.id.len()).max().unwrap_or(0);
                    for fam in &registry.families {
                        writeln!(stdout, "{}: {}", fam.family, fam.description).map_err(io)?;
                        for r in &fam.rules {
                            writeln!(
                                stdout,
                                "  {:<width$} {:<7} {}",
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
