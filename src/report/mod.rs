//! Renderers: one per output format. They read a [`Report`] and know
//! nothing of rules or how findings were made.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod log;
pub mod markdown;
pub mod sarif;

use crate::pipeline::check::Report;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with the source lines (the default).
    Human,
    /// One JSON object: version, base, head, findings, notes, summary.
    Json,
    /// SARIF 2.1.0, for code-scanning upload.
    Sarif,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// A pull-request comment.
    Markdown,
    /// A GitLab Code Quality report.
    Gitlab,
}

/// Renders a report. `color` only affects the human format.
pub fn render(
    report: &Report,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::render(report, color, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Gitlab => gitlab::render(report, out),
    }
}

/// The one-line summary every human-facing format ends with.
pub fn summary_line(report: &Report) -> String {
    use crate::findings::finding::Severity;
    use crate::settings::FailOn;
    let n = report.findings.iter().filter(|f| !f.acknowledged).count();
    let acked = report.findings.len() - n;
    let files = format!(
        "{} changed file{}",
        report.stats.files_changed,
        if report.stats.files_changed == 1 {
            ""
        } else {
            "s"
        }
    );
    let mut line = if n == 0 {
        format!("no findings in {files}")
    } else {
        let parts: Vec<String> = [Severity::High, Severity::Medium, Severity::Low]
            .iter()
            .filter_map(|s| {
                let c = report.count(*s);
                (c > 0).then(|| format!("{c} {s}"))
            })
            .collect();
        format!(
            "{n} finding{} ({}) in {files}",
            if n == 1 { "" } else { "s" },
            parts.join(", ")
        )
    };
    if acked > 0 {
        line.push_str(&format!(", {acked} acknowledged"));
    }
    if report.stats.suppressed > 0 {
        line.push_str(&format!(", {} suppressed", report.stats.suppressed));
    }
    match report.fail_on {
        FailOn::Never => {}
        FailOn::Severity(s) if report.failing() > 0 => {
            line.push_str(&format!("; failing: findings at or above {s}"))
        }
        FailOn::Severity(_) => {}
    }
    line
}
