//! `--format markdown`: a pull-request comment. Repository text (paths,
//! names, the values quoted in messages) sits in code spans whose backtick
//! fence is longer than any run inside, so it renders literally: no
//! emphasis from `__init__.py`, no HTML, no mentions. Other text is
//! Markdown-escaped, and HTML-escaped inside the HTML of `<summary>`.
//! Excerpts sit in fences longer than any backtick run they contain. The
//! comment stays under GitHub's 65,536-character limit.

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

/// Text in Markdown (a paragraph, a list item, a table cell) that renders
/// as written: Markdown punctuation backslash-escaped, `<`/`>`/`&` as
/// entities, `@` escaped so no one is mentioned, line breaks as `<br>`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '@' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

/// Text inside raw HTML (`<summary>`), where Markdown is not interpreted.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\r' | '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Repository text as a code span: it renders literally, whatever it
/// holds, because the fence is longer than any backtick run inside.
pub fn code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if s.trim().is_empty() {
        return "(empty)".to_string();
    }
    let fence = "`".repeat(longest_backtick_run(&s) + 1);
    // A span that starts or ends with a backtick, or with a space on both
    // ends, needs one space of padding, which the renderer strips.
    let pad = s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '));
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// riskdiff's prose, which quotes repository text in single backticks:
/// each quoted part becomes a proper code span, the rest is escaped. With
/// an odd number of backticks (a quoted value held one) nothing is taken
/// for a span and every backtick is escaped.
pub fn prose(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() % 2 == 0 {
        return escape(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 2 == 1 { code(p) } else { escape(p) })
        .collect()
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

fn fence_for(text: &str) -> String {
    "`".repeat((longest_backtick_run(text) + 1).max(3))
}

pub(crate) fn finding_section(report: &Report, f: &crate::findings::finding::Finding) -> String {
    let l = &f.location;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<details>\n<summary><b>{}</b> {}: {} ({}:{})</summary>\n",
        f.severity,
        html(&f.rule),
        html(&f.title),
        html(&l.path),
        l.span.line
    );
    let _ = writeln!(
        s,
        "- **Location:** {}:{}:{} ({} revision)",
        code(&l.path),
        l.span.line,
        l.span.column,
        l.revision.as_str()
    );
    let _ = writeln!(s, "- **Message:** {}", prose(&f.message));
    if !f.help.is_empty() {
        let _ = writeln!(s, "- **Help:** {}", prose(&f.help));
    }
    for r in &f.related {
        let _ = writeln!(
            s,
            "- **Related:** {}:{} ({} revision): {}",
            code(&r.location.path),
            r.location.span.line,
            r.location.revision.as_str(),
            prose(&r.message)
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
        "Compared {} ({}) with {} ({}).\n",
        code(&report.base.short),
        code(&report.base.name),
        code(&report.head.short),
        code(&report.head.name)
    );
    let _ = writeln!(doc, "{}\n", prose(&super::summary_line(report)));
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
