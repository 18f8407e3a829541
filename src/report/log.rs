//! Renderers of `riskdiff log`: the findings of each commit of a range,
//! grouped by commit, with whether each is still present at the range's
//! head, then a summary. Each writes a commit as soon as it is checked, so
//! a long range never sits in memory. They know nothing of rules.

use super::human;
use super::json::{JsonFinding, SCHEMA_VERSION};
use super::markdown;
use crate::pipeline::history::{CommitInfo, CommitReport, LogHeader, LogSink, LogSummary, Status};
use codespan_reporting::term::termcolor::{self, WriteColor};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Diagnostics with the source lines, grouped by commit (the default).
    Human,
    /// One JSON object: version, base, head, commits, summary.
    Json,
    /// JSON Lines: one object per commit, then one with the summary.
    Jsonl,
    /// A Markdown report, e.g. for a pull-request comment.
    Markdown,
}

/// The sink that writes `format` to `out`.
pub fn sink<'a>(format: LogFormat, color: bool, out: &'a mut dyn Write) -> Box<dyn LogSink + 'a> {
    match format {
        LogFormat::Human => Box::new(Human {
            out,
            color,
            head: String::new(),
        }),
        LogFormat::Json => Box::new(Json {
            out,
            first: true,
            lines: false,
        }),
        LogFormat::Jsonl => Box::new(Json {
            out,
            first: true,
            lines: true,
        }),
        LogFormat::Markdown => Box::new(Markdown {
            out,
            doc: String::new(),
            left_out: 0,
        }),
    }
}

fn status_word(status: Status, head: &str) -> String {
    match status {
        Status::Present => format!("still present at {head}"),
        Status::Undone => "undone later in the range".to_string(),
        Status::Unknown => {
            "whether it is still present is unknown: the whole range could not be checked"
                .to_string()
        }
    }
}

fn commit_line(c: &CommitInfo) -> String {
    let merge = if c.merge { " (merge)" } else { "" };
    format!("commit {}  {}  {}{merge}", c.short, c.date, c.subject)
}

fn range_line(header: &LogHeader) -> String {
    format!(
        "{} commit{} from {} to {}{}",
        header.commits,
        if header.commits == 1 { "" } else { "s" },
        header.base.display(),
        header.head.display(),
        if header.first_parent {
            ", first-parent history"
        } else {
            ", every non-merge commit"
        }
    )
}

fn summary_rows(s: &LogSummary) -> [(&'static str, usize); 10] {
    [
        ("commits", s.commits),
        ("commits with findings", s.commits_with_findings),
        ("high", s.high),
        ("medium", s.medium),
        ("low", s.low),
        ("still present at head", s.still_present),
        ("undone later", s.undone),
        ("acknowledged", s.acknowledged),
        ("suppressed", s.suppressed),
        ("could not be checked", s.errors),
    ]
}

fn verdict(header: &LogHeader, s: &LogSummary) -> String {
    if s.errors > 0 {
        format!(
            "error: {} commit{} could not be checked (see above)",
            s.errors,
            if s.errors == 1 { "" } else { "s" }
        )
    } else if s.failing > 0 {
        format!(
            "failing: {} finding{} at or above {} still present at {}",
            s.failing,
            if s.failing == 1 { "" } else { "s" },
            header.fail_on,
            header.head.short
        )
    } else {
        format!(
            "passing: nothing at or above {} is still present at {}",
            header.fail_on, header.head.short
        )
    }
}

struct Human<'a> {
    out: &'a mut dyn Write,
    color: bool,
    /// The range's head, as findings' status notes name it.
    head: String,
}

impl Human<'_> {
    fn write_colored(
        &mut self,
        f: impl FnOnce(&mut dyn WriteColor) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let bytes = if self.color {
            let mut w = termcolor::Ansi::new(Vec::new());
            f(&mut w)?;
            w.into_inner()
        } else {
            let mut w = termcolor::NoColor::new(Vec::new());
            f(&mut w)?;
            w.into_inner()
        };
        self.out.write_all(&bytes)
    }
}

impl LogSink for Human<'_> {
    fn begin(&mut self, header: &LogHeader) -> std::io::Result<()> {
        self.head = header.head.short.clone();
        writeln!(
            self.out,
            "riskdiff {}: log of {}\n",
            env!("CARGO_PKG_VERSION"),
            range_line(header)
        )?;
        if !header.whole_range_checked {
            writeln!(self.out, "warning: the whole range could not be checked (objects missing from this clone?): whether each finding is still present at the head is unknown, and every finding counts as present\n")?;
        }
        Ok(())
    }

    fn commit(&mut self, c: &CommitReport) -> std::io::Result<()> {
        if c.report.findings.is_empty() && c.report.notes.is_empty() && c.error.is_none() {
            return Ok(());
        }
        writeln!(self.out, "{}", commit_line(&c.commit))?;
        if let Some(error) = &c.error {
            writeln!(self.out, "error: could not check this commit: {error}\n")?;
        }
        let head = self.head.clone();
        let status = |i: usize| c.status.get(i).map(|s| status_word(*s, &head));
        self.write_colored(|w| {
            human::diagnostics(&c.report, w, &status)?;
            human::notes(&c.report, w)
        })
    }

    fn end(&mut self, header: &LogHeader, s: &LogSummary) -> std::io::Result<()> {
        let rows = summary_rows(s);
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in rows {
            writeln!(self.out, "{k:<width$}  {v:>6}")?;
        }
        writeln!(self.out, "\n{}", verdict(header, s))
    }
}

#[derive(Serialize)]
struct JsonStatusFinding<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    status: Status,
}

#[derive(Serialize)]
struct JsonCommit<'a> {
    #[serde(flatten)]
    commit: &'a CommitInfo,
    findings: Vec<JsonStatusFinding<'a>>,
    notes: &'a [crate::findings::finding::Note],
    files_changed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    elapsed_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<'a> From<&'a CommitReport> for JsonCommit<'a> {
    fn from(c: &'a CommitReport) -> Self {
        JsonCommit {
            commit: &c.commit,
            findings: c
                .report
                .findings
                .iter()
                .zip(&c.status)
                .map(|(f, s)| JsonStatusFinding {
                    finding: f.into(),
                    status: *s,
                })
                .collect(),
            notes: &c.report.notes,
            files_changed: c.report.stats.files_changed,
            elapsed_ms: c.elapsed_ms,
            error: c.error.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    #[serde(flatten)]
    counts: &'a LogSummary,
    fail_on: String,
    failed: bool,
}

/// `json` writes one object, streamed: the commits array is written one
/// element at a time. `jsonl` writes one line per commit and a last line
/// `{"summary": …}`.
struct Json<'a> {
    out: &'a mut dyn Write,
    first: bool,
    lines: bool,
}

impl LogSink for Json<'_> {
    fn begin(&mut self, header: &LogHeader) -> std::io::Result<()> {
        if self.lines {
            return Ok(());
        }
        let head = serde_json::json!({
            "version": SCHEMA_VERSION,
            "riskdiff": env!("CARGO_PKG_VERSION"),
            "base": header.base,
            "head": header.head,
            "first_parent": header.first_parent,
            "whole_range_checked": header.whole_range_checked,
        });
        // The object without its closing brace, then the commits array.
        let text = serde_json::to_string(&head)?;
        write!(self.out, "{},\"commits\":[", &text[..text.len() - 1])
    }

    fn commit(&mut self, c: &CommitReport) -> std::io::Result<()> {
        let obj = JsonCommit::from(c);
        if self.lines {
            serde_json::to_writer(&mut *self.out, &obj)?;
            return writeln!(self.out);
        }
        if !self.first {
            write!(self.out, ",")?;
        }
        self.first = false;
        writeln!(self.out)?;
        serde_json::to_writer(&mut *self.out, &obj)?;
        Ok(())
    }

    fn end(&mut self, header: &LogHeader, s: &LogSummary) -> std::io::Result<()> {
        let summary = JsonSummary {
            counts: s,
            fail_on: header.fail_on.to_string(),
            failed: s.failing > 0,
        };
        if self.lines {
            serde_json::to_writer(&mut *self.out, &serde_json::json!({ "summary": summary }))?;
            return writeln!(self.out);
        }
        write!(self.out, "\n],\"summary\":")?;
        serde_json::to_writer(&mut *self.out, &summary)?;
        writeln!(self.out, "}}")
    }
}

/// Markdown is built whole (it is one comment) but holds only text that
/// fits GitHub's comment limit; commits past it are counted, not kept.
struct Markdown<'a> {
    out: &'a mut dyn Write,
    doc: String,
    left_out: usize,
}

const MARKDOWN_LIMIT: usize = 60_000;

impl LogSink for Markdown<'_> {
    fn begin(&mut self, header: &LogHeader) -> std::io::Result<()> {
        let _ = writeln!(
            self.doc,
            "{}\n## riskdiff log\n\n{}.\n",
            markdown::MARKER,
            markdown::escape(&range_line(header))
        );
        Ok(())
    }

    fn commit(&mut self, c: &CommitReport) -> std::io::Result<()> {
        let shown: Vec<usize> = (0..c.report.findings.len())
            .filter(|&i| !c.report.findings[i].acknowledged)
            .collect();
        if shown.is_empty() && c.error.is_none() {
            return Ok(());
        }
        let mut s = String::new();
        let _ = writeln!(
            s,
            "### `{}` {} — {}\n",
            c.commit.short,
            markdown::escape(&c.commit.date),
            markdown::escape(&c.commit.subject)
        );
        if let Some(error) = &c.error {
            let _ = writeln!(
                s,
                "Could not check this commit: {}\n",
                markdown::escape(error)
            );
        }
        for i in shown {
            let f = &c.report.findings[i];
            let status = match c.status.get(i) {
                Some(Status::Present) => "**still present**",
                Some(Status::Unknown) => "**status unknown**",
                _ => "undone later",
            };
            let _ = writeln!(s, "{status}\n");
            s.push_str(&markdown::finding_section(&c.report, f));
        }
        if self.doc.len() + s.len() > MARKDOWN_LIMIT {
            self.left_out += 1;
        } else {
            self.doc.push_str(&s);
        }
        Ok(())
    }

    fn end(&mut self, header: &LogHeader, s: &LogSummary) -> std::io::Result<()> {
        if self.left_out > 0 {
            let _ = writeln!(
                self.doc,
                "_{} more commit(s) with findings not shown: the comment would exceed GitHub's size limit. Run `riskdiff log` locally for all of them._\n",
                self.left_out
            );
        }
        let _ = writeln!(self.doc, "| | |\n|---|---:|");
        for (k, v) in summary_rows(s) {
            let _ = writeln!(self.doc, "| {k} | {v} |");
        }
        let _ = writeln!(self.doc, "\n{}", markdown::escape(&verdict(header, s)));
        self.out.write_all(self.doc.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_name_the_head() {
        let header = LogHeader {
            base: crate::pipeline::revisions::RevInfo {
                id: "a".repeat(40),
                short: "aaaaaaa".into(),
                name: "main".into(),
            },
            head: crate::pipeline::revisions::RevInfo {
                id: "b".repeat(40),
                short: "bbbbbbb".into(),
                name: "HEAD".into(),
            },
            first_parent: true,
            commits: 3,
            fail_on: crate::settings::FailOn::Severity(crate::findings::finding::Severity::Medium),
            whole_range_checked: true,
        };
        assert_eq!(
            status_word(Status::Present, &header.head.short),
            "still present at bbbbbbb"
        );
        assert_eq!(
            range_line(&header),
            "3 commits from aaaaaaa (main) to bbbbbbb (HEAD), first-parent history"
        );
    }
}
