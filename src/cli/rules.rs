//! `riskdiff rules` and `riskdiff explain`: the rule metadata, for people
//! and for tools.

use crate::error::Error;
use crate::findings::rules::Registry;
use clap::ValueEnum;
use std::io::Write;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum RulesFormat {
    Human,
    Json,
}

pub(super) fn rules(format: RulesFormat, stdout: &mut dyn Write) -> Result<i32, Error> {
    let io = Error::output;
    let registry = Registry::builtin()?;
    match format {
        RulesFormat::Json => {
            let rules: Vec<_> = registry.rules().collect();
            serde_json::to_writer_pretty(&mut *stdout, &rules).map_err(|e| io(e.into()))?;
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
            writeln!(stdout, "`riskdiff explain RULE` tells more about one rule.").map_err(io)?;
        }
    }
    Ok(0)
}

pub(super) fn explain(rule: &str, stdout: &mut dyn Write) -> Result<i32, Error> {
    let io = Error::output;
    let registry = Registry::builtin()?;
    if let Some(family) = registry
        .rules()
        .find(|r| r.family() == rule)
        .map(|r| r.family())
    {
        writeln!(stdout, "The {family} family has these rules:\n").map_err(io)?;
        for r in registry.rules().filter(|r| r.family() == family) {
            writeln!(
                stdout,
                "{} ({}): {}\n  {}\n",
                r.id, r.severity, r.title, r.summary
            )
            .map_err(io)?;
        }
        writeln!(
            stdout,
            "`riskdiff explain RULE` tells more about one of them."
        )
        .map_err(io)?;
        return Ok(0);
    }
    let Some(meta) = registry.get(rule) else {
        let err = Error::new(format!("unknown rule `{rule}`"));
        return Err(match registry.closest(rule) {
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
