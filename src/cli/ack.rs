//! `riskdiff ack`: record a reviewed finding by its fingerprint, or prune
//! the records whose finding no longer occurs.

use super::RangeArgs;
use crate::error::Error;
use crate::findings::ack;
use crate::pipeline::check::{run_check, CheckOptions};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(super) struct AckArgs {
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

pub(super) fn ack(repo: PathBuf, mut args: AckArgs, stdout: &mut dyn Write) -> Result<i32, Error> {
    let io = Error::output;
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
        trust: Default::default(),
    };
    let report = run_check(&opts)?;
    let git = crate::pipeline::revisions::open(&repo)?;
    let workdir = git
        .workdir()
        .ok_or_else(|| {
            Error::new("acknowledgements need a working tree (this repository is bare)")
        })?
        .to_path_buf();
    if args.prune {
        // Read, pruned and written under the lock.
        let stale = ack::update(&workdir, |acks| {
            let (keep, stale): (Vec<_>, Vec<_>) = std::mem::take(acks).into_iter().partition(|a| {
                report
                    .findings
                    .iter()
                    .any(|f| f.fingerprint == a.fingerprint)
            });
            *acks = keep;
            (!stale.is_empty(), stale)
        })?;
        if stale.is_empty() {
            writeln!(stdout, "no stale acknowledgements").map_err(io)?;
        }
        for a in &stale {
            writeln!(
                stdout,
                "removed {} {} {} ({})",
                a.fingerprint, a.rule, a.path, a.reason
            )
            .map_err(io)?;
        }
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
    ack::update(&workdir, |acks| {
        match acks.iter_mut().find(|a| a.fingerprint == fp) {
            Some(a) => *a = entry,
            None => acks.push(entry),
        }
        (true, ())
    })?;
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
