//! `riskdiff/config-weakened`: a change to riskdiff's own files that makes
//! the check see less (a rule switched off, a severity lowered, `fail_on`
//! loosened, an exclude widened, files marked vendored, acknowledgements
//! added). A pull request could otherwise silence its own check with no
//! trace in the report; under `--trust base` the change has no effect on
//! this run, and the reviewer still sees it.

use crate::families::context::Context;
use crate::findings::ack;
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::findings::rules::Registry;
use crate::settings::{Config, FailOn, CONFIG_NAMES};
use std::collections::{BTreeMap, HashSet};

pub const CONFIG_WEAKENED: &str = "riskdiff/config-weakened";

/// One of riskdiff's files on one side: its path and text.
struct Setting {
    revision: Revision,
    path: String,
    text: String,
}

impl Setting {
    fn read(cx: &Context, revision: Revision, names: &[&str]) -> Option<Setting> {
        names.iter().find_map(|name| {
            let version = cx.lookup(revision, name)?;
            Some(Setting {
                revision,
                path: name.to_string(),
                text: version.text()?.to_string(),
            })
        })
    }

    /// Where `needle` first appears (the whole first line when it does not).
    fn location_of(&self, needle: &str) -> Location {
        let span = match self.text.find(needle) {
            Some(i) => Span::from_bytes(&self.text, i, i + needle.len()),
            None => Span::line_of(&self.text, 1),
        };
        Location {
            revision: self.revision,
            path: self.path.clone(),
            span,
        }
    }
}

/// The side a weakening is shown on: head when the file is still there,
/// else base (a deleted file).
fn shown_on<'s>(head: &'s Option<Setting>, base: &'s Option<Setting>) -> Option<&'s Setting> {
    head.as_ref().or(base.as_ref())
}

pub(super) fn findings(cx: &Context, registry: &Registry) -> Vec<Finding> {
    let mut out = config_findings(cx, registry);
    out.extend(attribute_findings(cx));
    out.extend(ack_findings(cx));
    out
}

fn parsed(setting: &Option<Setting>, registry: &Registry) -> Option<Config> {
    match setting {
        Some(s) => Config::parse(&s.text, &s.path, registry).ok(),
        None => Config::defaults(registry).ok(),
    }
}

fn config_findings(cx: &Context, registry: &Registry) -> Vec<Finding> {
    let base = Setting::read(cx, Revision::Base, CONFIG_NAMES);
    let head = Setting::read(cx, Revision::Head, CONFIG_NAMES);
    if base.as_ref().map(|s| &s.text) == head.as_ref().map(|s| &s.text) {
        return Vec::new();
    }
    let (Some(before), Some(after)) = (parsed(&base, registry), parsed(&head, registry)) else {
        return Vec::new();
    };
    let Some(shown) = shown_on(&head, &base) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Rules weakened, grouped by the setting that does it.
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in registry.rules() {
        let what = match (before.effective(rule), after.effective(rule)) {
            (Some(_), None) => format!("`{}` is switched off", rule.id),
            (Some(b), Some(a)) if a < b => format!("`{}` is lowered from {b} to {a}", rule.id),
            _ => continue,
        };
        let key = [rule.id.as_str(), rule.family()]
            .into_iter()
            .find(|k| after.rules.contains_key(*k) || before.rules.contains_key(*k))
            .unwrap_or(rule.id.as_str());
        by_key.entry(key.to_string()).or_default().push(what);
    }
    for (key, whats) in by_key {
        out.push(weakened(
            shown.location_of(&key),
            format!("{} rules.{key}", shown.path),
            format!("`{}` weakens the check: {}.", shown.path, whats.join(", ")),
        ));
    }
    if strictness(after.fail_on) < strictness(before.fail_on) {
        out.push(weakened(
            shown.location_of("fail_on"),
            format!("{} fail_on", shown.path),
            format!(
                "`{}` loosens `fail_on`: fewer findings fail the check.",
                shown.path
            ),
        ));
    }
    let had: HashSet<&String> = before.exclude_patterns.iter().collect();
    for pattern in after.exclude_patterns.iter().filter(|p| !had.contains(p)) {
        out.push(weakened(
            shown.location_of(pattern),
            format!("{} exclude {pattern}", shown.path),
            format!("`{}` excludes `{pattern}` from analysis.", shown.path),
        ));
    }
    out
}

/// How many severities fail the check (`fail_on` unset: medium).
fn strictness(fail_on: Option<FailOn>) -> u8 {
    use crate::findings::finding::Severity;
    match fail_on.unwrap_or(FailOn::Severity(Severity::Medium)) {
        FailOn::Never => 0,
        FailOn::Severity(Severity::High) => 1,
        FailOn::Severity(Severity::Medium) => 2,
        FailOn::Severity(Severity::Low) => 3,
    }
}

/// `.gitattributes` lines that mark paths vendored or generated, which
/// riskdiff then leaves out.
fn vendoring_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|line| {
        !line.starts_with('#')
            && line.split_whitespace().skip(1).any(|attr| {
                let (name, value) = attr.split_once('=').unwrap_or((attr, "true"));
                matches!(name, "linguist-vendored" | "linguist-generated") && value != "false"
            })
    })
}

fn attribute_findings(cx: &Context) -> Vec<Finding> {
    const NAME: &str = ".gitattributes";
    let base = Setting::read(cx, Revision::Base, &[NAME]);
    let Some(head) = Setting::read(cx, Revision::Head, &[NAME]) else {
        return Vec::new();
    };
    let had: HashSet<&str> = base
        .as_ref()
        .map(|b| vendoring_lines(&b.text).collect())
        .unwrap_or_default();
    vendoring_lines(&head.text)
        .filter(|line| !had.contains(line))
        .map(|line| {
            weakened(
                head.location_of(line),
                format!("{NAME} {line}"),
                format!("`{NAME}` now marks `{line}` vendored or generated: riskdiff leaves those paths out."),
            )
        })
        .collect()
}

fn ack_findings(cx: &Context) -> Vec<Finding> {
    let acks = |s: &Option<Setting>| {
        s.as_ref()
            .and_then(|s| ack::parse(&s.text).ok())
            .unwrap_or_default()
    };
    let base = Setting::read(cx, Revision::Base, &[ack::FILE]);
    let head = Setting::read(cx, Revision::Head, &[ack::FILE]);
    let Some(shown) = head.as_ref() else {
        return Vec::new();
    };
    let had: HashSet<String> = acks(&base).into_iter().map(|a| a.fingerprint).collect();
    acks(&head)
        .into_iter()
        .filter(|a| !had.contains(&a.fingerprint))
        .map(|a| {
            weakened(
                shown.location_of(&a.fingerprint),
                format!("{} {}", ack::FILE, a.fingerprint),
                format!(
                    "The change acknowledges `{}` on `{}` ({}), so that finding no longer fails the check.",
                    a.rule, a.path, a.reason
                ),
            )
        })
        .collect()
}

fn weakened(location: Location, subject: String, message: String) -> Finding {
    Finding::new(CONFIG_WEAKENED, location, subject, message)
}
