//! Rule metadata and the pattern tables analyzers read. Both live in
//! `rules/<family>.toml`, compiled into the binary; a repository's
//! `riskdiff.toml` can extend the tables.

use super::finding::Severity;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    /// One line, for `riskdiff rules` and SARIF's short description.
    pub summary: String,
    /// What `riskdiff explain` prints: why it matters, an example, how to
    /// fix or acknowledge.
    pub explanation: String,
    /// One or two sentences printed with every finding.
    pub help: String,
}

impl RuleMeta {
    pub fn family(&self) -> &str {
        self.id.split('/').next().unwrap_or("")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    family: String,
    description: String,
    #[serde(rename = "rule")]
    rules: Vec<RuleMeta>,
    #[serde(default)]
    tables: toml::Table,
}

/// One family's embedded rule file, parsed.
#[derive(Clone, Debug)]
pub struct FamilyRules {
    pub family: String,
    pub description: String,
    pub rules: Vec<RuleMeta>,
    /// The built-in tables; the analyzer receives these merged with the
    /// repository's extensions.
    pub tables: toml::Table,
}

pub fn parse_family(source: &str) -> Result<FamilyRules> {
    let file: RuleFile = toml::from_str(source).map_err(|e| {
        Error::new(format!(
            "built-in rule file is broken (a riskdiff bug): {e}"
        ))
    })?;
    for rule in &file.rules {
        if rule.family() != file.family || !is_rule_id(&rule.id) {
            return Err(Error::new(format!(
                "built-in rule `{}` does not belong to family `{}` (a riskdiff bug)",
                rule.id, file.family
            )));
        }
    }
    Ok(FamilyRules {
        family: file.family,
        description: file.description,
        rules: file.rules,
        tables: file.tables,
    })
}

/// `family/name`, lower-case letters, digits and dashes.
pub fn is_rule_id(id: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    matches!(id.split_once('/'), Some((f, n)) if ok(f) && ok(n))
}

/// Rules the pipeline itself reports, such as a suppression without a reason.
pub const META_RULES: &str = include_str!("../../rules/riskdiff.toml");

/// Every built-in rule, sorted by id.
#[derive(Clone, Debug)]
pub struct Registry {
    pub families: Vec<FamilyRules>,
}

impl Registry {
    pub fn builtin() -> Result<Registry> {
        let mut families = Vec::new();
        for def in crate::families::registry::FAMILIES {
            families.push(parse_family(def.rules)?);
        }
        // Meta rules (about riskdiff's own annotations) have no analyzer
        // but flow through the same severities, settings and printers.
        families.push(parse_family(META_RULES)?);
        Ok(Registry { families })
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleMeta> {
        self.families.iter().flat_map(|f| f.rules.iter())
    }

    pub fn get(&self, id: &str) -> Option<&RuleMeta> {
        self.rules().find(|r| r.id == id)
    }

    pub fn family(&self, name: &str) -> Option<&FamilyRules> {
        self.families.iter().find(|f| f.family == name)
    }

    /// The closest rule id, for "did you mean" hints.
    pub fn closest(&self, id: &str) -> Option<&str> {
        self.rules()
            .map(|r| (edit_distance(&r.id, id), r.id.as_str()))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, id)| id)
    }
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_and_ids_are_unique_and_well_formed() {
        let reg = Registry::builtin().expect("built-in rule files parse");
        let mut ids: Vec<&str> = reg.rules().map(|r| r.id.as_str()).collect();
        assert!(!ids.is_empty());
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule ids");
        for r in reg.rules() {
            assert!(is_rule_id(&r.id), "{}", r.id);
            for section in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## How to fix",
            ] {
                assert!(
                    r.explanation.contains(section),
                    "{} lacks `{section}`",
                    r.id
                );
            }
            assert!(!r.help.trim().is_empty() && !r.summary.trim().is_empty());
        }
    }

    #[test]
    fn closest_suggests_typos() {
        let reg = Registry::builtin().unwrap();
        assert_eq!(reg.closest("forms/removd"), Some("forms/removed"));
        assert_eq!(reg.closest("zzz/yyy"), None);
    }
}
