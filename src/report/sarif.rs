//! `--format sarif`: SARIF 2.1.0 for code-scanning upload.
//!
//! Code scanning can only annotate files of the analysed (head) commit. A
//! finding located in the base revision (a form that was deleted) keeps its
//! repo-relative path, because that is the most useful pointer a reader
//! has, but its message names the base revision and `properties.revision`
//! says `base`, so nobody mistakes it for a line in head.

use crate::findings::finding::{Location as FLocation, Revision, Severity};
use crate::pipeline::check::Report;
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::io::Write;

fn level(s: Severity) -> sarif::ResultLevel {
    match s {
        Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low => sarif::ResultLevel::Note,
    }
}

fn level_str(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn to_i64(n: usize) -> i64 {
    // Regions are 1-based; never emit 0.
    i64::try_from(n.max(1)).unwrap_or(i64::MAX)
}

fn revision_props(rev: Revision) -> sarif::PropertyBag {
    let mut props = BTreeMap::new();
    props.insert("revision".to_string(), serde_json::json!(rev.as_str()));
    sarif::PropertyBag::builder()
        .additional_properties(props)
        .build()
}

fn location(l: &FLocation, message: Option<&str>) -> sarif::Location {
    let region = sarif::Region::builder()
        .start_line(to_i64(l.span.line))
        .start_column(to_i64(l.span.column))
        .end_line(to_i64(l.span.end_line))
        .end_column(to_i64(l.span.end_column))
        .build();
    let physical = sarif::PhysicalLocation::builder()
        .artifact_location(
            sarif::ArtifactLocation::builder()
                .uri(uri_of(&l.path))
                .build(),
        )
        .region(region)
        .build();
    match message {
        Some(m) => sarif::Location::builder()
            .physical_location(physical)
            .message(sarif::Message::builder().text(m.to_string()).build())
            .properties(revision_props(l.revision))
            .build(),
        None => sarif::Location::builder()
            .physical_location(physical)
            .properties(revision_props(l.revision))
            .build(),
    }
}

/// A repository path as a relative URI reference: every byte other than
/// RFC 3986's unreserved characters and `/` percent-encoded, so spaces,
/// `#`, `?`, `%` and non-ASCII names survive (`a b#1.html` →
/// `a%20b%231.html`).
pub fn uri_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where the tool is documented: the `repository` of Cargo.toml, when set.
fn information_uri() -> Option<&'static str> {
    Some(env!("CARGO_PKG_REPOSITORY")).filter(|s| !s.is_empty())
}

fn text(s: &str) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(s.to_string())
        .build()
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let rules: Vec<sarif::ReportingDescriptor> = report
        .rules
        .iter()
        .map(|r| {
            sarif::ReportingDescriptor::builder()
                .id(r.id.clone())
                .name(r.title.clone())
                .short_description(text(&r.summary))
                .full_description(text(&r.summary))
                // The explanation is Markdown (what it finds, why, an
                // example, how to fix): code scanning shows it as help.
                .help(
                    sarif::MultiformatMessageString::builder()
                        .text(r.help.clone())
                        .markdown(r.explanation.clone())
                        .build(),
                )
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::json!(level_str(r.severity)))
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = report
        .findings
        .iter()
        .filter(|f| !f.acknowledged)
        .map(|f| {
            let message = match f.location.revision {
                Revision::Head => f.message.clone(),
                Revision::Base => format!(
                    "{} (location in the base revision {}: the file or code is gone in head)",
                    f.message, report.base.short
                ),
            };
            let mut fp = BTreeMap::new();
            fp.insert("riskdiffFingerprint/v1".to_string(), f.fingerprint.clone());
            let related: Vec<sarif::Location> = f
                .related
                .iter()
                .map(|r| location(&r.location, Some(&r.message)))
                .collect();
            let builder = sarif::Result::builder()
                .rule_id(f.rule.clone())
                .level(level(f.severity))
                .message(sarif::Message::builder().text(message).build())
                .locations(vec![location(&f.location, None)])
                .related_locations(related)
                .partial_fingerprints(fp)
                .properties(revision_props(f.location.revision));
            match report.rules.iter().position(|r| r.id == f.rule) {
                Some(i) => builder
                    .rule_index(i64::try_from(i).unwrap_or(i64::MAX))
                    .build(),
                None => builder.build(),
            }
        })
        .collect();
    let driver = match information_uri() {
        Some(uri) => sarif::ToolComponent::builder()
            .name("riskdiff")
            .version(env!("CARGO_PKG_VERSION"))
            .information_uri(uri.to_string())
            .rules(rules)
            .build(),
        None => sarif::ToolComponent::builder()
            .name("riskdiff")
            .version(env!("CARGO_PKG_VERSION"))
            .rules(rules)
            .build(),
    };
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        // Span columns count characters (Unicode scalar values).
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .build();
    let doc = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
