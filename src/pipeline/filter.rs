//! Stage 6: what the families found, filtered by the repository's
//! configuration (rules off, severities, excludes), inline suppressions and
//! acknowledgements, given its metadata and fingerprint, sorted, and masked
//! for secrets. Also the masked texts the renderers quote.

use super::check::Stats;
use crate::families::context::Context;
use crate::findings::finding::{fingerprint, Finding, Location, Revision, Span};
use crate::findings::rules::Registry;
use crate::findings::suppress;
use crate::settings::{Config, RuleSetting};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// What decides whether a finding is kept and how it is shown.
pub(super) struct Rules<'a> {
    pub registry: &'a Registry,
    pub config: &'a Config,
    pub acknowledged: &'a HashSet<String>,
}

impl Rules<'_> {
    /// Rules switched off, severities, excluded paths; then the metadata
    /// every finding carries. `false`: drop it.
    fn finish(&self, f: &mut Finding) -> bool {
        let Some(meta) = self.registry.get(&f.rule) else {
            debug_assert!(false, "finding for unknown rule {}", f.rule);
            return false;
        };
        if self.config.is_excluded(&f.location.path) {
            return false;
        }
        f.severity = match self.config.setting(&f.rule) {
            Some(RuleSetting::Off) => return false,
            Some(RuleSetting::Severity(s)) => s,
            None => f.adjusted_severity.unwrap_or(meta.severity),
        };
        f.title = meta.title.clone();
        f.help = meta.help.clone();
        true
    }
}

/// Gives every finding its fingerprint and acknowledgement, on sorted
/// findings. Families choose subjects that tell their findings apart; when
/// two findings of one rule on one path still share a subject (two
/// identical anonymous forms), the second and later get their ordinal
/// among those identical ones (`#2`, `#3`), so fingerprints are unique in
/// a run and an acknowledgement never silences a finding nobody reviewed.
/// The ordinal counts only findings with the same subject, so unrelated
/// findings added above do not shift it.
fn fingerprint_all(findings: &mut [Finding], acknowledged: &HashSet<String>) {
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for f in findings.iter_mut() {
        let key = (f.rule.clone(), f.location.path.clone(), f.subject.clone());
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        if *n > 1 {
            f.subject = format!("{} #{n}", f.subject);
        }
        f.fingerprint = fingerprint(&f.rule, &f.location.path, &f.subject);
        f.acknowledged = acknowledged.contains(&f.fingerprint);
    }
}

/// The findings of a run as the report shows them.
pub(super) fn apply(
    mut findings: Vec<Finding>,
    rules: &Rules,
    cx: &Context,
    stats: &mut Stats,
) -> Vec<Finding> {
    findings.retain_mut(|f| rules.finish(f));
    let mut meta_findings = suppressed(&mut findings, cx, stats);
    meta_findings.retain_mut(|f| rules.finish(f));
    findings.extend(meta_findings);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
        .dedup_by(|a, b| a.rule == b.rule && a.location == b.location && a.subject == b.subject);
    fingerprint_all(&mut findings, rules.acknowledged);
    // Rules quote repository text (a cron command, a setting) in what they
    // print; secrets in it are masked here, once, as in the excerpts.
    for f in &mut findings {
        crate::findings::redact::mask_finding(f);
    }
    findings
}

/// The meta rule for a `riskdiff-ignore:` comment without a reason.
pub const SUPPRESSION_WITHOUT_REASON: &str = "riskdiff/suppression-without-reason";

/// Drops findings an inline `riskdiff-ignore:` with a reason suppresses,
/// read from the text of the side each finding's location is in. A
/// directive without a reason suppresses nothing and is reported itself:
/// those meta findings are returned.
fn suppressed(findings: &mut Vec<Finding>, cx: &Context, stats: &mut Stats) -> Vec<Finding> {
    let mut meta_findings = Vec::new();
    findings.retain(|f| {
        let loc = &f.location;
        let Some(text) = source_text(cx, loc.revision, &loc.path) else {
            return true;
        };
        let directives = suppress::directives_for(&text, loc.span.line);
        match suppress::verdict(&directives, &f.rule) {
            suppress::Verdict::None => true,
            suppress::Verdict::Suppressed => {
                stats.suppressed += 1;
                false
            }
            suppress::Verdict::MissingReason(d) => {
                let location = Location {
                    revision: loc.revision,
                    path: loc.path.clone(),
                    span: Span::line_of(&text, d.line),
                };
                meta_findings.push(Finding::new(
                    SUPPRESSION_WITHOUT_REASON,
                    location,
                    format!("riskdiff-ignore: {}", d.rules.join(", ")),
                    format!(
                        "`riskdiff-ignore: {}` gives no reason after `--`, so it does not suppress `{}`",
                        d.rules.join(", "),
                        f.rule
                    ),
                ));
                true
            }
        }
    });
    meta_findings
}

/// The text of a file on one side: from the change when it is one of the
/// changed files, else read from that revision.
fn source_text(cx: &Context, revision: Revision, path: &str) -> Option<Arc<str>> {
    let from_change = cx.files.iter().find_map(|f| {
        let v = match revision {
            Revision::Base => f.base.as_ref(),
            Revision::Head => f.head.as_ref(),
        }?;
        (v.path == path).then(|| v.text().cloned()).flatten()
    });
    from_change.or_else(|| cx.lookup(revision, path).and_then(|v| v.text().cloned()))
}

/// The texts findings point at, with secrets masked: reports end up in PR
/// comments and CI logs.
pub(super) fn sources_of(
    cx: &Context,
    findings: &[Finding],
) -> BTreeMap<(Revision, String), Arc<str>> {
    let mut out = BTreeMap::new();
    let locations = findings
        .iter()
        .flat_map(|f| std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)));
    for loc in locations {
        let key = (loc.revision, loc.path.clone());
        if out.contains_key(&key) {
            continue;
        }
        if let Some(text) = source_text(cx, loc.revision, &loc.path) {
            out.insert(key, Arc::from(crate::findings::redact::mask_secrets(&text)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, subject: &str) -> Finding {
        let location = Location {
            revision: Revision::Head,
            path: "a.html".into(),
            span: Span {
                line,
                column: 1,
                ..Span::default()
            },
        };
        Finding::new("forms/hidden", location, subject, "m")
    }

    #[test]
    fn findings_sharing_a_subject_get_their_ordinal() {
        let mut findings = vec![at(3, "form"), at(9, "form#a"), at(12, "form")];
        let acknowledged = HashSet::from([fingerprint("forms/hidden", "a.html", "form #2")]);
        fingerprint_all(&mut findings, &acknowledged);
        let subjects: Vec<&str> = findings.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(subjects, ["form", "form#a", "form #2"]);
        let unique: HashSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(unique.len(), 3);
        // Only the second identical one is the acknowledged one.
        let acked: Vec<bool> = findings.iter().map(|f| f.acknowledged).collect();
        assert_eq!(acked, [false, false, true]);
        // A unique subject keeps the fingerprint it always had.
        assert_eq!(
            findings[1].fingerprint,
            fingerprint("forms/hidden", "a.html", "form#a")
        );
    }
}
