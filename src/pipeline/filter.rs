//! Stage 6: what the families found, filtered by the repository's
//! configuration (rules off, severities, excludes), inline suppressions and
//! acknowledgements, given its metadata and fingerprint, sorted, and masked
//! for secrets. Also the masked texts the renderers quote.

use super::check::Stats;
use crate::families::context::Context;
use crate::findings::finding::{fingerprint, Finding, Location, Revision, Span};
use crate::findings::line_index::LineIndex;
use crate::findings::redact::{mask_mapped, Masked};
use crate::findings::rules::Registry;
use crate::findings::suppress;
use crate::pipeline::changes::FileVersion;
use crate::settings::{Config, RuleSetting};
use rayon::prelude::*;
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
    }
    // Over the masked subject: a fingerprint of a secret would let a
    // guessed password be confirmed offline. Masking is most of the cost
    // of 40,000 findings: on every worker.
    findings.par_iter_mut().for_each(|f| {
        f.fingerprint = fingerprint(
            &f.rule,
            &f.location.path,
            &crate::findings::redact::mask_secrets(&f.subject),
        );
        f.acknowledged = acknowledged.contains(&f.fingerprint);
    });
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
    findings
        .par_iter_mut()
        .for_each(crate::findings::redact::mask_finding);
    findings
}

/// The meta rule for a `riskdiff-ignore:` comment without a reason.
pub const SUPPRESSION_WITHOUT_REASON: &str = "riskdiff/suppression-without-reason";

/// A text with its line index.
type Indexed = (Arc<str>, Arc<LineIndex>);

/// The texts of both sides by path, each read and indexed once however
/// many findings point into it.
struct Texts<'c> {
    cx: &'c Context<'c>,
    changed: HashMap<(Revision, &'c str), &'c FileVersion>,
    read: HashMap<(Revision, String), Option<Indexed>>,
}

impl<'c> Texts<'c> {
    fn new(cx: &'c Context<'c>) -> Self {
        let mut changed = HashMap::new();
        for f in cx.files {
            for (rev, v) in [(Revision::Base, &f.base), (Revision::Head, &f.head)] {
                if let Some(v) = v {
                    changed.entry((rev, v.path.as_str())).or_insert(v);
                }
            }
        }
        Texts {
            cx,
            changed,
            read: HashMap::new(),
        }
    }

    fn get(&mut self, revision: Revision, path: &str) -> Option<&Indexed> {
        let (cx, changed) = (self.cx, &self.changed);
        self.read
            .entry((revision, path.to_string()))
            .or_insert_with(|| {
                let text = source_text(cx, changed, revision, path)?;
                let index = crate::findings::line_index::index_of(&text)
                    .unwrap_or_else(|| Arc::new(LineIndex::new(&text)));
                Some((text, index))
            })
            .as_ref()
    }
}

/// Drops findings an inline `riskdiff-ignore:` with a reason suppresses,
/// read from the text of the side each finding's location is in. A
/// directive without a reason suppresses nothing and is reported itself:
/// those meta findings are returned.
fn suppressed(findings: &mut Vec<Finding>, cx: &Context, stats: &mut Stats) -> Vec<Finding> {
    let mut meta_findings = Vec::new();
    let mut texts = Texts::new(cx);
    findings.retain(|f| {
        let loc = &f.location;
        let Some((text, index)) = texts.get(loc.revision, &loc.path) else {
            return true;
        };
        let directives = suppress::directives_at(index, text, loc.span.line);
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
                    span: Span::line_of(text, d.line),
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
fn source_text(
    cx: &Context,
    changed: &HashMap<(Revision, &str), &FileVersion>,
    revision: Revision,
    path: &str,
) -> Option<Arc<str>> {
    match changed.get(&(revision, path)) {
        Some(v) => v.text().cloned(),
        None => cx.lookup(revision, path).and_then(|v| v.text().cloned()),
    }
}

/// The texts findings point at, with secrets masked: reports end up in PR
/// comments and CI logs. Masks have one length whatever they hide, so the
/// byte spans of the findings are carried over into the masked texts
/// (lines stay; columns in JSON keep counting the file as it is).
pub(super) fn sources_of(
    cx: &Context,
    findings: &mut [Finding],
) -> BTreeMap<(Revision, String), Arc<str>> {
    let mut masked: BTreeMap<(Revision, String), Masked> = BTreeMap::new();
    let mut texts = Texts::new(cx);
    for f in findings.iter_mut() {
        let locations =
            std::iter::once(&mut f.location).chain(f.related.iter_mut().map(|r| &mut r.location));
        for loc in locations {
            let key = (loc.revision, loc.path.clone());
            if !masked.contains_key(&key) {
                let Some((text, _)) = texts.get(loc.revision, &loc.path) else {
                    continue;
                };
                masked.insert(key.clone(), mask_mapped(text));
            }
            if let Some(m) = masked.get(&key) {
                loc.span.start_byte = m.offset(loc.span.start_byte, false);
                loc.span.end_byte = m.offset(loc.span.end_byte, true);
            }
        }
    }
    masked
        .into_iter()
        .map(|(k, m)| (k, Arc::from(m.text)))
        .collect()
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
