//! `--format github`: workflow-command annotations. Everything from the
//! repository is escaped the way the runner unescapes it, so a message can
//! never end a command early or start a new one.

use crate::findings::finding::{Revision, Severity};
use crate::pipeline::check::Report;
use std::io::Write;

/// Escaping for the message part of a workflow command. Control
/// characters are neutralised first: the runner's log renders escape
/// sequences.
pub fn escape_data(s: &str) -> String {
    crate::findings::redact::printable(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for a property value (file, title): also `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for f in report.findings.iter().filter(|f| !f.acknowledged) {
        let l = &f.location;
        let title = format!("{} ({})", f.title, f.rule);
        let mut message = f.message.clone();
        if !f.help.is_empty() {
            message.push_str("\n\n");
            message.push_str(&f.help);
        }
        match l.revision {
            Revision::Head => writeln!(
                out,
                "::{} file={},line={},endLine={},col={},endColumn={},title={}::{}",
                command(f.severity),
                escape_property(&l.path),
                l.span.line.max(1),
                l.span.end_line.max(1),
                l.span.column.max(1),
                l.span.end_column.max(1),
                escape_property(&title),
                escape_data(&message)
            )?,
            // The file or line does not exist in head: an annotation there
            // would point at the wrong code, so name the place in the text.
            Revision::Base => writeln!(
                out,
                "::{} title={}::{}",
                command(f.severity),
                escape_property(&title),
                escape_data(&format!(
                    "{}:{} (base revision {}): {}",
                    l.path, l.span.line, report.base.short, message
                ))
            )?,
        }
    }
    writeln!(out, "{}", super::summary_line(report))
}
