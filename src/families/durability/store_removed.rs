//! `durability/store-removed`: a bucket, database, volume or disk (or the
//! module that creates one) removed from Terraform with no `moved` or
//! `removed` block. The configuration is the inventory: what it no longer
//! declares, the next `terraform apply` destroys, data included.

use super::Durability;
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::pipeline::lang::Lang;
use crate::readers::config_files::{config_side, ConfigSide};
use crate::readers::terraform::{accounted_for, blocks, referenced_bucket, TfBlock};
use crate::readers::words::words;

impl Durability {
    fn is_store(&self, b: &TfBlock) -> bool {
        if b.rtype == "module" {
            let source = b.source().to_ascii_lowercase();
            return self
                .tables
                .store_module_sources
                .iter()
                .any(|s| source.contains(s.as_str()));
        }
        self.tables.store_types.contains(&b.rtype)
    }

    fn disposable(&self, b: &TfBlock) -> bool {
        b.purpose_words()
            .iter()
            .any(|w| self.tables.disposable_words.contains(w))
    }

    /// What protected the store in base: deletion protection,
    /// `prevent_destroy`, versioning (inline, as a module input, or by a
    /// split `aws_s3_bucket_versioning` of the same bucket).
    fn protections(b: &TfBlock, base: &[TfBlock]) -> Vec<String> {
        let on = |k: &str| b.get(k).is_some_and(|e| e.value.is_on());
        let mut out = Vec::new();
        for (key, shown) in [
            ("deletion_protection", "deletion protection"),
            ("deletion_protection_enabled", "deletion protection"),
            ("lifecycle.prevent_destroy", "`prevent_destroy`"),
            ("versioning.enabled", "versioning"),
        ] {
            if on(key) && !out.iter().any(|o| o == shown) {
                out.push(shown.to_string());
            }
        }
        let status_on = |k: &str| {
            b.get(k)
                .is_some_and(|e| e.value.shown().eq_ignore_ascii_case("enabled"))
        };
        if status_on("versioning.status") && !out.iter().any(|o| o == "versioning") {
            out.push("versioning".to_string());
        }
        let split_versioning = base.iter().any(|s| {
            s.rtype == "aws_s3_bucket_versioning"
                && referenced_bucket(s).is_some_and(|r| {
                    r == b.address || Some(r.as_str()) == b.identifier().as_deref()
                })
                && s.get("versioning_configuration.status")
                    .is_some_and(|e| e.value.shown().eq_ignore_ascii_case("enabled"))
        });
        if split_versioning && !out.iter().any(|o| o == "versioning") {
            out.push("versioning".to_string());
        }
        out
    }

    /// Whether the directory the store was declared in still holds
    /// Terraform in head: when a whole configuration is retired, nothing
    /// plans its destruction.
    fn configuration_kept(cx: &Context, file: &str) -> bool {
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        cx.all_files(Revision::Head).iter().any(|(p, _)| {
            let pdir = p.rsplit_once('/').map_or("", |(d, _)| d);
            pdir == dir && p.ends_with(".tf")
        })
    }

    pub(super) fn check_stores(
        &self,
        cx: &Context,
        files: &[&ChangedFile],
        out: &mut Vec<Finding>,
    ) {
        let hcl: Vec<&&ChangedFile> = files
            .iter()
            .filter(|f| f.base_lang == Lang::Hcl || f.head_lang == Lang::Hcl)
            .collect();
        let base_sides: Vec<ConfigSide> = hcl
            .iter()
            .filter_map(|f| config_side(cx, f, Revision::Base))
            .collect();
        if base_sides.is_empty() {
            return;
        }
        let head_sides: Vec<ConfigSide> = hcl
            .iter()
            .filter_map(|f| config_side(cx, f, Revision::Head))
            .collect();
        let base_refs: Vec<&ConfigSide> = base_sides.iter().collect();
        let head_refs: Vec<&ConfigSide> = head_sides.iter().collect();
        let base_blocks = blocks(&base_refs);
        let head_blocks = blocks(&head_refs);
        let accounted = accounted_for(&head_refs);
        for b in base_blocks.iter().filter(|b| self.is_store(b)) {
            let gone = !head_blocks.iter().any(|h| h.address == b.address)
                && !accounted.contains(&b.address);
            // Re-declared under another address with the same identifier.
            let redeclared = b.identifier().is_some_and(|id| {
                head_blocks
                    .iter()
                    .any(|h| h.rtype == b.rtype && h.identifier().as_deref() == Some(&id))
            });
            if !gone || redeclared || self.disposable(b) {
                continue;
            }
            if !Self::configuration_kept(cx, &b.file) {
                continue;
            }
            out.push(self.store_finding(b, &base_blocks, &base_sides));
        }
    }

    fn store_finding(&self, b: &TfBlock, base: &[TfBlock], sides: &[ConfigSide]) -> Finding {
        let protections = Self::protections(b, base);
        let what = if b.rtype == "module" {
            format!("module `{}` (`{}`)", b.name, b.source())
        } else {
            format!("`{}`", b.address)
        };
        let id = b
            .identifier()
            .filter(|i| !i.contains("${") && !i.contains('.'))
            .map_or_else(String::new, |i| format!(" (`{i}`)"));
        let kind = store_noun(&b.rtype, &b.source());
        let guarded = if protections.is_empty() {
            String::new()
        } else {
            format!(" It had {} in base.", protections.join(" and "))
        };
        let message = format!(
            "The {kind} {what}{id} was removed from `{}` with no `moved` or `removed` block: the next `terraform apply` destroys it, and the data in it with it.{guarded} If it moved to another configuration or is to be kept, add `removed {{ from = {} lifecycle {{ destroy = false }} }}`; if it was renamed, a `moved` block.",
            b.file, b.address
        );
        let side = sides.iter().find(|s| s.path == b.file);
        let location = match (side, b.first()) {
            (Some(s), Some(e)) => {
                // The block's header line, `resource "type" "name" {`.
                let header = if b.rtype == "module" {
                    format!("module \"{}\"", b.name)
                } else {
                    format!("\"{}\" \"{}\"", b.rtype, b.name)
                };
                let at = s.text.get(..e.range.start).and_then(|t| t.rfind(&header));
                let start = at.map_or(e.range.start, |i| {
                    s.text[..i].rfind('\n').map_or(0, |n| n + 1)
                });
                let end = s.text[start..]
                    .find('\n')
                    .map_or(s.text.len(), |n| start + n);
                Location {
                    revision: Revision::Base,
                    path: s.path.clone(),
                    span: Span::from_bytes(&s.text, start, end),
                }
            }
            (Some(s), None) => Location {
                revision: Revision::Base,
                path: s.path.clone(),
                span: Span::line_of(&s.text, 1),
            },
            _ => Location {
                revision: Revision::Base,
                path: b.file.clone(),
                span: Span::line_of("", 1),
            },
        };
        let mut finding = Finding::new(
            "durability/store-removed",
            location,
            format!("{} {}", b.file, b.address),
            message,
        )
        .evidence("resource", b.address.clone())
        .evidence("type", b.rtype.clone());
        if let Some(i) = b.identifier() {
            finding = finding.evidence("identifier", i);
        }
        if !protections.is_empty() {
            finding = finding
                .evidence("protection", protections.join(", "))
                .severity(Severity::High);
        }
        finding
    }
}

fn store_noun(rtype: &str, source: &str) -> &'static str {
    let w = words(if rtype == "module" { source } else { rtype });
    let has = |x: &str| w.iter().any(|v| v == x);
    if has("bucket") || has("s3") || has("storage") && has("container") {
        "bucket"
    } else if has("volume") || has("disk") || has("ebs") || has("efs") || has("claim") {
        "volume"
    } else if has("db")
        || has("rds")
        || has("sql")
        || has("database")
        || has("dynamodb")
        || has("cluster")
        || has("postgresql")
        || has("mysql")
    {
        "database"
    } else {
        "data store"
    }
}
