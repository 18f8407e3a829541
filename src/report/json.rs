//! `--format json`: the machine contract, documented in the README.
//! Field names never change within a schema version.

use crate::findings::finding::{Finding, Location, Severity};
use crate::pipeline::check::Report;
use crate::settings::FailOn;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Bumped only when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    riskdiff: &'static str,
    base: &'a crate::pipeline::revisions::RevInfo,
    head: &'a crate::pipeline::revisions::RevInfo,
    findings: Vec<JsonFinding<'a>>,
    notes: &'a [crate::findings::finding::Note],
    summary: Summary,
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    path: &'a str,
    revision: &'static str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl<'a> From<&'a Location> for JsonLocation<'a> {
    fn from(l: &'a Location) -> Self {
        JsonLocation {
            path: &l.path,
            revision: l.revision.as_str(),
            line: l.span.line,
            column: l.span.column,
            end_line: l.span.end_line,
            end_column: l.span.end_column,
        }
    }
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    #[serde(flatten)]
    location: JsonLocation<'a>,
    message: &'a str,
}

#[derive(Serialize)]
pub(crate) struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    title: &'a str,
    message: &'a str,
    #[serde(flatten)]
    location: JsonLocation<'a>,
    fingerprint: &'a str,
    help: &'a str,
    subject: &'a str,
    acknowledged: bool,
    evidence: &'a BTreeMap<String, String>,
    related: Vec<JsonRelated<'a>>,
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        JsonFinding {
            rule: &f.rule,
            severity: f.severity,
            title: &f.title,
            message: &f.message,
            location: (&f.location).into(),
            fingerprint: &f.fingerprint,
            help: &f.help,
            subject: &f.subject,
            acknowledged: f.acknowledged,
            evidence: &f.evidence,
            related: f
                .related
                .iter()
                .map(|r| JsonRelated {
                    location: (&r.location).into(),
                    message: &r.message,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct Summary {
    findings: usize,
    high: usize,
    medium: usize,
    low: usize,
    acknowledged: usize,
    /// Findings an inline `riskdiff-ignore` with a reason silenced.
    suppressed: usize,
    files_changed: usize,
    files_analyzed: usize,
    files_parsed: usize,
    fail_on: String,
    failed: bool,
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let acknowledged = report.findings.iter().filter(|f| f.acknowledged).count();
    let doc = Doc {
        version: SCHEMA_VERSION,
        riskdiff: env!("CARGO_PKG_VERSION"),
        base: &report.base,
        head: &report.head,
        findings: report.findings.iter().map(JsonFinding::from).collect(),
        notes: &report.notes,
        summary: Summary {
            findings: report.findings.len() - acknowledged,
            high: report.count(Severity::High),
            medium: report.count(Severity::Medium),
            low: report.count(Severity::Low),
            acknowledged,
            suppressed: report.stats.suppressed,
            files_changed: report.stats.files_changed,
            files_analyzed: report.stats.files_read,
            files_parsed: report.stats.files_parsed,
            fail_on: match report.fail_on {
                FailOn::Never => "never".to_string(),
                FailOn::Severity(s) => s.to_string(),
            },
            failed: report.failing() > 0,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
