//! Inline suppression: a comment `riskdiff-ignore: RULE -- reason` on a
//! finding's line or the line above. This reads comments, it does not parse
//! languages: a line holds a directive when the marker follows a comment
//! opener of any supported syntax on that same line.

/// Comment openers, longest first where one is a prefix of another.
const OPENERS: &[&str] = &["<!--", "{{--", "{#", "/*", "//", "#", ";"];
/// Closers stripped from the end of a directive.
const CLOSERS: &[&str] = &["-->", "--}}", "#}", "*/"];
const MARKER: &str = "riskdiff-ignore:";

/// One `riskdiff-ignore:` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line of the comment.
    pub line: usize,
    /// Rule ids or family names.
    pub rules: Vec<String>,
    /// `None` when the reason is missing or empty: such a directive
    /// suppresses nothing.
    pub reason: Option<String>,
}

impl Directive {
    pub fn matches(&self, rule: &str) -> bool {
        let family = rule.split('/').next().unwrap_or(rule);
        self.rules.iter().any(|r| r == rule || r == family)
    }
}

/// The directive on one line of text, if any.
pub fn parse_line(line_no: usize, line: &str) -> Option<Directive> {
    let at = line.find(MARKER)?;
    if !OPENERS.iter().any(|o| line[..at].contains(o)) {
        return None;
    }
    let mut rest = line[at + MARKER.len()..].trim();
    loop {
        let before = rest;
        for c in CLOSERS {
            if let Some(r) = rest.strip_suffix(c) {
                rest = r.trim_end();
            }
        }
        if before == rest {
            break;
        }
    }
    let (rules, reason) = match rest.split_once("--") {
        Some((rules, reason)) => (rules, Some(reason.trim())),
        None => (rest, None),
    };
    let rules: Vec<String> = rules
        .split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if rules.is_empty() {
        return None;
    }
    Some(Directive {
        line: line_no,
        rules,
        reason: reason.filter(|r| !r.is_empty()).map(str::to_string),
    })
}

/// Directives on `line` (1-based) and the line above, in that order.
pub fn directives_for(text: &str, line: usize) -> Vec<Directive> {
    let first = line.saturating_sub(1).max(1);
    text.lines()
        .enumerate()
        .skip(first - 1)
        .take(line + 1 - first)
        .filter_map(|(i, l)| parse_line(i + 1, l))
        .collect()
}

/// [`directives_for`] through a line index of `text`: no scan from the
/// start of the file per finding (30,000 findings in one file).
pub fn directives_at(
    index: &crate::findings::line_index::LineIndex,
    text: &str,
    line: usize,
) -> Vec<Directive> {
    let first = line.saturating_sub(1).max(1);
    (first..=line)
        .filter(|&l| l <= index.line_count())
        .filter_map(|l| {
            let (start, end) = index.line_range(text, l);
            parse_line(l, text[start..end].trim_end_matches('\r'))
        })
        .collect()
}

/// What the directives around a finding decide.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    None,
    Suppressed,
    /// A matching directive without a reason: the finding stays and the
    /// directive itself is reported.
    MissingReason(&'a Directive),
}

pub fn verdict<'a>(directives: &'a [Directive], rule: &str) -> Verdict<'a> {
    let mut out = Verdict::None;
    for d in directives.iter().filter(|d| d.matches(rule)) {
        if d.reason.is_some() {
            return Verdict::Suppressed;
        }
        out = Verdict::MissingReason(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppress_reads_every_comment_syntax() {
        for line in [
            "<!-- riskdiff-ignore: forms/removed -- retired -->",
            "{# riskdiff-ignore: forms/removed -- retired #}",
            "{{-- riskdiff-ignore: forms/removed -- retired --}}",
            "# riskdiff-ignore: forms/removed -- retired",
            "  // riskdiff-ignore: forms/removed -- retired",
            "/* riskdiff-ignore: forms/removed -- retired */",
            "; riskdiff-ignore: forms/removed -- retired",
            "<p>x</p> <!-- riskdiff-ignore: forms/removed -- retired -->",
        ] {
            let d = parse_line(1, line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(d.rules, ["forms/removed"], "{line}");
            assert_eq!(d.reason.as_deref(), Some("retired"), "{line}");
        }
    }

    #[test]
    fn suppress_needs_a_comment_and_a_reason() {
        assert_eq!(parse_line(1, "riskdiff-ignore: forms -- x"), None);
        let d = parse_line(1, "<!-- riskdiff-ignore: forms -->").unwrap();
        assert_eq!(d.reason, None);
        let d = parse_line(1, "<!-- riskdiff-ignore: forms --  -->").unwrap();
        assert_eq!(d.reason, None);
        assert_eq!(
            verdict(std::slice::from_ref(&d), "forms/removed"),
            Verdict::MissingReason(&d)
        );
    }

    #[test]
    fn suppress_matches_rules_families_and_lists() {
        let d = parse_line(1, "# riskdiff-ignore: config/x, forms -- ok").unwrap();
        assert!(d.matches("forms/removed") && d.matches("config/x"));
        assert!(!d.matches("config/y") && !d.matches("formsx/a"));
    }

    #[test]
    fn suppress_looks_at_the_line_and_the_one_above() {
        let text = "# riskdiff-ignore: a -- 1\n# riskdiff-ignore: b -- 2\nx\ny\n";
        let lines: Vec<usize> = directives_for(text, 3).iter().map(|d| d.line).collect();
        assert_eq!(lines, [2]);
        assert_eq!(directives_for(text, 1).len(), 1);
        assert_eq!(directives_for(text, 2).len(), 2);
        let index = crate::findings::line_index::LineIndex::new(text);
        for line in 1..=5 {
            assert_eq!(
                directives_at(&index, text, line),
                directives_for(text, line)
            );
        }
    }
}
