//! `--format markdown`: a pull-request comment. Repository content is
//! HTML-escaped outside code blocks (and `|` escaped in tables); excerpts
//! sit in fences longer than any backtick run they contain. The comment
//! stays under GitHub's 65,536-character limit.

use crate::findings::finding::Severity;
use crate::pipeline::check::Report;
use std::fmt::Write as _;
use std::io::Write;

/// The first line of every comment, so a bot can find and update it.
pub const MARKER: &str = "<!-- riskdiff-report -->";
const LIMIT: usize = 65_536;
/// Room kept for the truncation note.
const RESERVE: usize = 512;
const CONTEXT: usize = 2;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '`' => out.push_str("&#96;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

pub(crate) fn finding_section(report: &Report, f: &crate::findings::finding::Finding) -> String {
    let l = &f.location;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<details>\n<summary><b>{}</b> {}: {} ({}:{})</summary>\n",
        f.severity,
        escape(&f.rule),
        escape(&f.title),
        escape(&l.path),
        l.span.line
    );
    let _ = writeln!(
        s,
        "- **Location:** {}:{}:{} ({} revision)",
        escape(&l.path),
        l.span.line,
        l.span.column,
        l.revision.as_str()
    );
    let _ = writeln!(s, "- **Message:** {}", escape(&f.message));
    if !f.help.is_empty() {
        let _ = writeln!(s, "- **Help:** {}", escape(&f.help));
    }
    for r in &f.related {
        let _ = writeln!(
            s,
            "- **Related:** {}:{} ({} revision): {}",
            escape(&r.location.path),
            r.location.span.line,
            r.location.revision.as_str(),
            escape(&r.message)
        );
    }
    if let Some(src) = report.sources.get(&(l.revision, l.path.clone())) {
        let first = l.span.line.saturating_sub(CONTEXT).max(1);
        let last = l.span.end_line.max(l.span.line) + CONTEXT;
        let excerpt: Vec<String> = src
            .lines()
            .enumerate()
            .skip(first - 1)
            .take(last + 1 - first)
            .map(|(i, line)| format!("{:>4} | {}", i + 1, line))
            .collect();
        if !excerpt.is_empty() {
            let body = excerpt.join("\n");
            let fence = fence_for(&body);
            let _ = writeln!(s, "\n{fence}\n{body}\n{fence}");
        }
    }
    let _ = writeln!(
        s,
        "\n<sub>fingerprint `{}`</sub>\n</details>\n",
        f.fingerprint
    );
    s
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut doc = String::new();
    let _ = writeln!(doc, "{MARKER}\n## riskdiff\n");
    let _ = writeln!(
        doc,
        "Compared `{}` ({}) with `{}` ({}).\n",
        escape(&report.base.short),
        escape(&report.base.name),
        escape(&report.head.short),
        escape(&report.head.name)
    );
    let _ = writeln!(doc, "{}\n", escape(&super::summary_line(report)));
    let _ = writeln!(doc, "| severity | findings |\n|---|---|");
    for s in [Severity::High, Severity::Medium, Severity::Low] {
        let _ = writeln!(doc, "| {s} | {} |", report.count(s));
    }
    doc.push('\n');
    let findings: Vec<_> = report.findings.iter().filter(|f| !f.acknowledged).collect();
    let mut shown = 0;
    for f in &findings {
        let section = finding_section(report, f);
        if doc.len() + section.len() > LIMIT - RESERVE {
            break;
        }
        doc.push_str(&section);
        shown += 1;
    }
    if shown < findings.len() {
        let _ = writeln!(
            doc,
            "_{} more finding(s) not shown: the comment would exceed GitHub's size limit. Run `riskdiff check` locally or see the SARIF report for all of them._",
            findings.len() - shown
        );
    }
    out.write_all(doc.as_bytes())
}
