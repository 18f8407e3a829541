//! What a rule reports: a finding with a primary location, related
//! locations, evidence and a line-independent fingerprint.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Ordered so that `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            other => Err(format!(
                "unknown severity `{other}` (expected high, medium or low)"
            )),
        }
    }
}

/// Which side of the comparison a location is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Revision {
    Base,
    Head,
}

impl Revision {
    pub fn as_str(self) -> &'static str {
        match self {
            Revision::Base => "base",
            Revision::Head => "head",
        }
    }
}

/// A source range: byte offsets for excerpts, 1-based lines and columns
/// (columns count characters) for people and tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    pub start_byte: usize,
    pub end_byte: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Span {
    /// The span of `start..end` in `text`.
    pub fn from_bytes(text: &str, start: usize, end: usize) -> Span {
        let start = floor_char_boundary(text, start.min(text.len()));
        let end = floor_char_boundary(text, end.clamp(start, text.len()));
        let (line, column) = line_col(text, start);
        let (end_line, end_column) = line_col(text, end);
        Span {
            start_byte: start,
            end_byte: end,
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// The whole of 1-based line `line` (for findings about a file as a whole
    /// we point at line 1).
    pub fn line_of(text: &str, line: usize) -> Span {
        if let Some(index) = super::line_index::index_of(text) {
            let (start, end) = index.line_range(text, line);
            return Span::from_bytes(text, start, end);
        }
        let mut start = 0;
        for _ in 1..line.max(1) {
            match text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => break,
            }
        }
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        Span::from_bytes(text, start, end)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Through the text's line index when it has one (see
/// [`super::line_index`]), else by counting.
fn line_col(text: &str, byte: usize) -> (usize, usize) {
    if let Some(index) = super::line_index::index_of(text) {
        return index.line_col(text, byte);
    }
    let before = &text[..byte];
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..byte].chars().count() + 1;
    (line, column)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub revision: Revision,
    pub path: String,
    pub span: Span,
}

/// A secondary location: the other end of a finding (the form in head and
/// the handler as it stood in base, say).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub help: String,
    pub location: Location,
    pub related: Vec<Related>,
    /// Named facts behind the message (page, form, old and new value, counts).
    pub evidence: BTreeMap<String, String>,
    /// What the finding is about, independent of lines: the form's identity,
    /// the key path, the loop's function. Feeds the fingerprint.
    pub subject: String,
    pub fingerprint: String,
    /// Set by the filter stage when a person has signed the finding off.
    pub acknowledged: bool,
    /// A finding-specific severity chosen by the analyzer, for a reason its
    /// message states; a user's severity override for the rule still wins.
    #[serde(skip)]
    pub adjusted_severity: Option<Severity>,
    /// What the primary location shows, for renderers that label source
    /// lines ("2 routed addresses remain"); `None` says only which revision.
    #[serde(skip)]
    pub label: Option<String>,
}

impl Finding {
    /// A finding whose title, help and default severity come from the rule
    /// table; [`crate::pipeline::check`] fills them in and computes the fingerprint.
    pub fn new(
        rule: &str,
        location: Location,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule: rule.to_string(),
            severity: Severity::High,
            title: String::new(),
            message: message.into(),
            help: String::new(),
            location,
            related: Vec::new(),
            evidence: BTreeMap::new(),
            subject: subject.into(),
            fingerprint: String::new(),
            acknowledged: false,
            adjusted_severity: None,
            label: None,
        }
    }

    pub fn related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    pub fn evidence(mut self, key: &str, value: impl Into<String>) -> Self {
        self.evidence.insert(key.to_string(), value.into());
        self
    }

    /// A finding-specific severity below or above the rule's default, for a
    /// reason the message states (a GET search form matters less than a
    /// POST contact form).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.adjusted_severity = Some(severity);
        self
    }

    /// Labels the primary location when "here" would not say what it is.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The order of every report: path, line, rule, then the rest so that
    /// equal keys still sort the same way on every run.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str, &str) {
        (
            &self.location.path,
            self.location.span.line,
            self.location.span.column,
            &self.rule,
            &self.subject,
            &self.message,
        )
    }
}

/// A line-independent fingerprint: rule, path and subject, never lines, so
/// an acknowledgement survives unrelated edits and rebases. Hashed with
/// git's own object hash so it is stable across riskdiff versions and
/// platforms without another hashing crate.
pub fn fingerprint(rule: &str, path: &str, subject: &str) -> String {
    let input = format!("riskdiff-fingerprint-v1\0{rule}\0{path}\0{subject}");
    match git2::Oid::hash_object(git2::ObjectType::Blob, input.as_bytes()) {
        Ok(oid) => oid.to_string()[..16].to_string(),
        // Hashing a buffer cannot fail in practice; fall back to something
        // stable rather than panicking.
        Err(_) => format!("{:016x}", input.len()),
    }
}

/// A note about a file that could not be analysed (binary, huge, a symlink,
/// undecodable): reported, never silently dropped.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub path: String,
    pub revision: Revision,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_lines_and_columns_count_characters() {
        let text = "ab\nGrüße <form>\n";
        let start = text.find("<form").unwrap();
        let span = Span::from_bytes(text, start, start + 6);
        assert_eq!((span.line, span.column), (2, 7));
        assert_eq!((span.end_line, span.end_column), (2, 13));
    }

    #[test]
    fn span_never_splits_a_character() {
        let text = "ü";
        let span = Span::from_bytes(text, 1, 2);
        assert_eq!(span.start_byte, 0);
    }

    #[test]
    fn fingerprint_ignores_nothing_but_is_stable() {
        let a = fingerprint("forms/removed", "a.html", "form#contact");
        assert_eq!(a, fingerprint("forms/removed", "a.html", "form#contact"));
        assert_ne!(a, fingerprint("forms/removed", "b.html", "form#contact"));
        assert_ne!(a, fingerprint("forms/hidden", "a.html", "form#contact"));
        assert_eq!(a.len(), 16);
    }

    #[test]
    fn severities_order_low_to_high() {
        assert!(Severity::Low < Severity::Medium && Severity::Medium < Severity::High);
        assert_eq!("medium".parse::<Severity>(), Ok(Severity::Medium));
        assert!("critical".parse::<Severity>().is_err());
    }
}
