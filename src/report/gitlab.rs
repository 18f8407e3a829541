//! `--format gitlab`: a GitLab Code Quality report (a JSON array of
//! issues with description, check_name, fingerprint, severity and
//! location.path / location.lines.begin). GitLab's severities are info,
//! minor, major, critical, blocker; riskdiff maps high→critical,
//! medium→major, low→minor.

use crate::findings::finding::Severity;
use crate::pipeline::check::Report;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    location: IssueLocation<'a>,
}

#[derive(Serialize)]
struct IssueLocation<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let issues: Vec<Issue> = report
        .findings
        .iter()
        .filter(|f| !f.acknowledged)
        .map(|f| Issue {
            description: match f.location.revision {
                crate::findings::finding::Revision::Head => format!("{}: {}", f.title, f.message),
                crate::findings::finding::Revision::Base => format!(
                    "{}: {} (in the base revision {})",
                    f.title, f.message, report.base.short
                ),
            },
            check_name: &f.rule,
            fingerprint: &f.fingerprint,
            severity: severity(f.severity),
            location: IssueLocation {
                path: &f.location.path,
                lines: Lines {
                    begin: f.location.span.line.max(1),
                    end: f.location.span.end_line.max(f.location.span.line).max(1),
                },
            },
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
