//! The default format: codespan-reporting diagnostics that show the source
//! lines of the right revision (a removed form where it stood in base),
//! then notes and a one-line summary.

use crate::findings::finding::{Revision, Severity};
use crate::findings::redact::printable;
use crate::pipeline::check::Report;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

const WRAP: usize = 100;

pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let bytes = if color {
        let mut w = termcolor::Ansi::new(Vec::new());
        render_to(report, &mut w)?;
        w.into_inner()
    } else {
        let mut w = termcolor::NoColor::new(Vec::new());
        render_to(report, &mut w)?;
        w.into_inner()
    };
    out.write_all(&bytes)
}

fn render_to(report: &Report, buf: &mut dyn termcolor::WriteColor) -> std::io::Result<()> {
    writeln!(
        buf,
        "riskdiff {}: comparing {} → {}",
        env!("CARGO_PKG_VERSION"),
        report.base.display(),
        report.head.display()
    )?;
    writeln!(buf)?;
    diagnostics(report, buf, &|_| None)?;
    notes(report, buf)?;
    writeln!(buf, "{}", super::summary_line(report))
}

/// One codespan diagnostic per finding of `report`, with the source lines
/// of the side its location is in; `extra(i)` adds a last note to finding
/// `i` (the log says whether it is still present).
pub fn diagnostics(
    report: &Report,
    buf: &mut dyn termcolor::WriteColor,
    extra: &dyn Fn(usize) -> Option<String>,
) -> std::io::Result<()> {
    let mut files: SimpleFiles<String, Arc<str>> = SimpleFiles::new();
    let mut ids: BTreeMap<(Revision, String), usize> = BTreeMap::new();
    for ((rev, path), text) in &report.sources {
        // File names and lines come from the repository: an escape
        // sequence in either must not reach the terminal. `printable`
        // keeps byte offsets, so the spans still fit.
        let path_shown = printable(path);
        let name = match rev {
            Revision::Head => path_shown.into_owned(),
            Revision::Base => format!("{path_shown} (base {})", report.base.short),
        };
        let text: Arc<str> = match printable(text) {
            Cow::Borrowed(_) => text.clone(),
            Cow::Owned(clean) => Arc::from(clean),
        };
        ids.insert((*rev, path.clone()), files.add(name, text));
    }
    let config = term::Config::default();
    for (i, f) in report.findings.iter().enumerate() {
        let severity = match f.severity {
            Severity::High => codespan_reporting::diagnostic::Severity::Error,
            Severity::Medium => codespan_reporting::diagnostic::Severity::Warning,
            Severity::Low => codespan_reporting::diagnostic::Severity::Note,
        };
        let mut diag = Diagnostic::new(severity)
            .with_code(format!("{} ({})", f.rule, f.severity))
            .with_message(if f.acknowledged {
                format!("{} [acknowledged]", f.title)
            } else {
                f.title.clone()
            });
        let mut labels = Vec::new();
        if let Some(&id) = ids.get(&(f.location.revision, f.location.path.clone())) {
            let here = match (&f.label, f.location.revision) {
                (Some(label), _) => label,
                (None, Revision::Base) => "in base",
                (None, Revision::Head) => "here",
            };
            labels.push(
                Label::primary(id, f.location.span.start_byte..f.location.span.end_byte)
                    .with_message(printable(here)),
            );
        }
        for r in &f.related {
            if let Some(&id) = ids.get(&(r.location.revision, r.location.path.clone())) {
                labels.push(
                    Label::secondary(id, r.location.span.start_byte..r.location.span.end_byte)
                        .with_message(printable(&r.message)),
                );
            }
        }
        let mut notes = vec![wrap(&printable(&f.message), WRAP)];
        notes.push(wrap(&format!("help: {}", f.help), WRAP));
        notes.push(format!(
            "fingerprint: {} (riskdiff ack {} --reason \"…\")",
            f.fingerprint, f.fingerprint
        ));
        notes.extend(extra(i));
        diag = diag.with_labels(labels).with_notes(notes);
        if term::emit(buf, &config, &files, &diag).is_err() {
            // A span the files cannot show (should not happen): print the
            // finding without an excerpt rather than nothing.
            writeln!(
                buf,
                "{}: {} at {}:{}",
                f.rule,
                printable(&f.message),
                printable(&f.location.path),
                f.location.span.line
            )?;
        }
    }
    Ok(())
}

/// The files that could not be analysed, one line each.
pub fn notes(report: &Report, buf: &mut dyn termcolor::WriteColor) -> std::io::Result<()> {
    for note in &report.notes {
        let side = match note.revision {
            Revision::Base => " (base)",
            Revision::Head => "",
        };
        writeln!(
            buf,
            "note: {}{side}: {}",
            printable(&note.path),
            printable(&note.message)
        )?;
    }
    if !report.notes.is_empty() {
        writeln!(buf)?;
    }
    Ok(())
}

/// Wraps prose at word boundaries; codespan prints notes as they are.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split(' ') {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}
