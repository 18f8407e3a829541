//! `riskdiff.toml` (or `.riskdiff.toml`) at the repository root: rules off
//! or at another severity, excluded paths, extensions of the rule tables.
//! Every mistake is an error that shows the offending line.

use crate::error::{Error, Result};
use crate::findings::finding::Severity;
use crate::findings::rules::{Registry, RuleMeta};
use crate::pipeline::repo_files;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

pub const CONFIG_NAMES: &[&str] = &["riskdiff.toml", ".riskdiff.toml"];

/// Paths no rule looks at unless the repository says otherwise: vendored
/// and generated code is not what a change to this repository broke.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "node_modules/",
    "bower_components/",
    "vendor/",
    "third_party/",
    "*.min.js",
    "*.min.css",
    "*.min.html",
    // Demo pages shipped inside libraries (`jquery.payment/example/`).
    "example/",
    "examples/",
];

/// `.gitattributes` values that mark a path as not this repository's own
/// code, the way GitHub's linguist reads them.
const VENDORED_ATTRIBUTES: &[&str] = &["linguist-vendored", "linguist-generated"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    Severity(Severity),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "never" | "none" => Ok(FailOn::Never),
            other => other
                .parse::<Severity>()
                .map(FailOn::Severity)
                .map_err(|_| {
                    format!("unknown level `{other}` (expected high, medium, low or never)")
                }),
        }
    }
}

impl FailOn {
    /// Whether a finding of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Severity(min) => severity >= min,
        }
    }
}

impl std::fmt::Display for FailOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailOn::Never => f.write_str("never"),
            FailOn::Severity(s) => write!(f, "{s}"),
        }
    }
}

type SpannedMap = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    /// Drop the built-in excludes (vendor/, node_modules/, minified files).
    #[serde(default)]
    no_default_excludes: bool,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    // One section per rule family, extending its tables.
    #[serde(default)]
    forms: SpannedMap,
    #[serde(default)]
    batch: SpannedMap,
    #[serde(default)]
    mail: SpannedMap,
    #[serde(default)]
    config: SpannedMap,
    #[serde(default)]
    backup: SpannedMap,
    #[serde(default)]
    durability: SpannedMap,
}

/// The loaded configuration, validated against the rule registry.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where it came from, for messages; `None` when there is no file.
    pub source: Option<String>,
    pub fail_on: Option<FailOn>,
    /// Keyed by rule id or family name (a family setting covers its rules).
    pub rules: BTreeMap<String, RuleSetting>,
    /// Family name → built-in tables merged with the repository's.
    pub tables: BTreeMap<String, toml::Table>,
    /// Whether the repository's file extends any family's tables: only
    /// then can building the families fail on what it says.
    pub extends_tables: bool,
    exclude: Gitignore,
    /// The repository's own `exclude` patterns, as written (to tell a
    /// change that widens them).
    pub exclude_patterns: Vec<String>,
    /// Paths the repository's `.gitattributes` marks as vendored or generated.
    attributes: Gitignore,
}

/// The paths a `.gitattributes` file marks `linguist-vendored` or
/// `linguist-generated`; `-linguist-vendored` or `=false` on a later line
/// takes a path back, as in git, where the last matching line wins.
fn vendored_by_attributes(text: &str) -> Gitignore {
    let mut builder = GitignoreBuilder::new("");
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next().filter(|p| !p.starts_with('#')) else {
            continue;
        };
        for attr in words {
            let (name, set) = match attr.split_once('=') {
                Some((n, v)) => (n, v != "false"),
                None => match attr.strip_prefix(['-', '!']) {
                    Some(n) => (n, false),
                    None => (attr, true),
                },
            };
            if VENDORED_ATTRIBUTES.contains(&name) {
                let line = if set {
                    pattern.to_string()
                } else {
                    format!("!{pattern}")
                };
                // A pattern the glob syntax rejects excludes nothing.
                let _ = builder.add_line(None, &line);
            }
        }
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

/// Both `riskdiff.toml` and `.riskdiff.toml`: one would be ignored silently.
fn both_config_files(present: &[&str]) -> Error {
    Error::new(format!(
        "both {} exist at the repository root, and riskdiff reads only one",
        present.join(" and ")
    ))
    .with_hint("merge them into one file and delete the other")
}

/// What the glob syntax would take silently but never match as meant: a
/// `[` character class that is never closed (`[abc`).
fn glob_problem(pattern: &str) -> Option<String> {
    let mut chars = pattern.chars();
    let mut open = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !open => {
                open = true;
                // `[]…]` and `[!]…]`: a leading `]` is part of the class.
                let rest = chars.as_str();
                let skip = match rest.chars().next() {
                    Some('!' | '^') if rest[1..].starts_with(']') => 2,
                    Some(']') => 1,
                    _ => 0,
                };
                for _ in 0..skip {
                    chars.next();
                }
            }
            ']' if open => open = false,
            _ => {}
        }
    }
    open.then(|| format!("`{pattern}` opens a `[` character class that is never closed"))
}

impl Config {
    /// The built-in defaults, as if there were no file.
    pub fn defaults(registry: &Registry) -> Result<Config> {
        Config::parse("", "(defaults)", registry).map(|mut c| {
            c.source = None;
            c
        })
    }

    /// Finds and loads the configuration of a repository: `explicit` if
    /// given, else `riskdiff.toml` or `.riskdiff.toml` in the working tree,
    /// else in the head commit (for bare repositories and CI checkouts of
    /// other revisions).
    pub fn load(
        repo: &git2::Repository,
        explicit: Option<&Path>,
        registry: &Registry,
    ) -> Result<Config> {
        if let Some(path) = explicit {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::new(format!(
                    "cannot read the config file {}: {e}",
                    path.display()
                ))
            })?;
            return Config::parse(&text, &path.display().to_string(), registry);
        }
        if let Some(root) = repo.workdir() {
            let present: Vec<&str> = CONFIG_NAMES
                .iter()
                .copied()
                .filter(|n| std::fs::symlink_metadata(root.join(n)).is_ok())
                .collect();
            if present.len() > 1 {
                return Err(both_config_files(&present));
            }
            for name in CONFIG_NAMES {
                if let Some(text) = repo_files::read_setting(root, name, name)? {
                    return Config::parse(&text, name, registry);
                }
            }
            return Config::defaults(registry);
        }
        if let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree()) {
            let present: Vec<&str> = CONFIG_NAMES
                .iter()
                .copied()
                .filter(|n| tree.get_path(Path::new(n)).is_ok())
                .collect();
            if present.len() > 1 {
                return Err(both_config_files(&present));
            }
            for name in CONFIG_NAMES {
                if let Ok(entry) = tree.get_path(Path::new(name)) {
                    if let Ok(blob) = repo.find_blob(entry.id()) {
                        let text = std::str::from_utf8(blob.content())
                            .map_err(|_| Error::new(format!("{name} is not valid UTF-8")))?;
                        return Config::parse(text, name, registry);
                    }
                }
            }
        }
        Config::defaults(registry)
    }

    pub fn parse(text: &str, name: &str, registry: &Registry) -> Result<Config> {
        // toml's own message quotes the offending line unmasked: only its
        // first line (what is wrong) is kept, the line is quoted masked.
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let what = e.message().lines().next().unwrap_or("").trim_end();
            let err = match e.span() {
                Some(span) => spanned_error(name, text, span, format!("invalid {name}: {what}")),
                None => Error::new(format!("invalid {name}: {what}")),
            };
            err.with_hint("see `riskdiff init` for a commented example of every setting")
        })?;
        let at = |span: Range<usize>, msg: String| spanned_error(name, text, span, msg);

        let fail_on = match &file.fail_on {
            Some(v) => Some(v.get_ref().parse::<FailOn>().map_err(|e| at(v.span(), e))?),
            None => None,
        };

        let mut rules = BTreeMap::new();
        for (key, value) in &file.rules {
            let id = key.get_ref();
            if registry.get(id).is_none() && registry.family(id).is_none() {
                let mut err = at(key.span(), format!("unknown rule `{id}` in [rules]"));
                err = match registry.closest(id) {
                    Some(close) => err.with_hint(format!(
                        "did you mean `{close}`? `riskdiff rules` lists them all"
                    )),
                    None => err.with_hint("`riskdiff rules` lists every rule id"),
                };
                return Err(err);
            }
            let setting = match value.get_ref().as_str() {
                "off" => RuleSetting::Off,
                other => RuleSetting::Severity(other.parse::<Severity>().map_err(|_| {
                    at(value.span(), format!("unknown setting `{other}` for `{id}` (expected off, high, medium or low)"))
                })?),
            };
            rules.insert(id.clone(), setting);
        }

        let mut builder = GitignoreBuilder::new("");
        let defaults: &[&str] = if file.no_default_excludes {
            &[]
        } else {
            DEFAULT_EXCLUDES
        };
        for pattern in defaults {
            builder
                .add_line(None, pattern)
                .map_err(|e| Error::new(format!("built-in exclude `{pattern}` is invalid: {e}")))?;
        }
        if file.exclude.len() > MAX_LIST_ENTRIES {
            let span = file.exclude[MAX_LIST_ENTRIES].span();
            return Err(at(
                span,
                format!(
                    "`exclude` lists {} patterns; riskdiff takes at most {MAX_LIST_ENTRIES}",
                    file.exclude.len()
                ),
            ));
        }
        for pattern in &file.exclude {
            if let Some(problem) = glob_problem(pattern.get_ref()) {
                return Err(at(
                    pattern.span(),
                    format!("invalid exclude pattern: {problem}"),
                )
                .with_hint(
                    "exclude patterns use .gitignore syntax; write `\\[` for a literal `[`",
                ));
            }
            builder
                .add_line(None, pattern.get_ref())
                .map_err(|e| at(pattern.span(), format!("invalid exclude pattern: {e}")))?;
        }
        let exclude = builder
            .build()
            .map_err(|e| Error::new(format!("invalid exclude patterns in {name}: {e}")))?;

        let mut tables = BTreeMap::new();
        for fam in &registry.families {
            tables.insert(fam.family.clone(), fam.tables.clone());
        }
        let sections: [(&str, &SpannedMap); 6] = [
            ("forms", &file.forms),
            ("batch", &file.batch),
            ("mail", &file.mail),
            ("config", &file.config),
            ("backup", &file.backup),
            ("durability", &file.durability),
        ];
        let extends_tables = sections.iter().any(|(_, s)| !s.is_empty());
        for (family, section) in sections {
            if section.is_empty() {
                continue;
            }
            let Some(table) = tables.get_mut(family) else {
                let first = section.keys().next().map_or(0..0, |k| k.span());
                return Err(at(
                    first,
                    format!("[{family}]: this version of riskdiff has no `{family}` rules yet"),
                ));
            };
            for (key, value) in section {
                extend_table(table, key.get_ref(), value.get_ref()).map_err(|msg| {
                    let span = if msg.starts_with("unknown") {
                        key.span()
                    } else {
                        value.span()
                    };
                    at(span, format!("[{family}] {msg}"))
                })?;
            }
        }

        Ok(Config {
            source: Some(name.to_string()),
            fail_on,
            rules,
            tables,
            extends_tables,
            exclude,
            exclude_patterns: file.exclude.iter().map(|p| p.get_ref().clone()).collect(),
            attributes: Gitignore::empty(),
        })
    }

    /// Also excludes what the repository's `.gitattributes` (from the
    /// working tree, else the head commit) marks as vendored or generated.
    pub fn with_attributes_of(mut self, repo: &git2::Repository) -> Config {
        const NAME: &str = ".gitattributes";
        // Unreadable (a link, not UTF-8, too large): nothing is excluded by
        // it, as if it were absent.
        let text = match repo.workdir() {
            Some(root) => repo_files::read_setting(root, NAME, NAME).ok().flatten(),
            None => repo
                .head()
                .and_then(|h| h.peel_to_tree())
                .ok()
                .and_then(|tree| tree.get_path(Path::new(NAME)).ok())
                .and_then(|entry| repo.find_blob(entry.id()).ok())
                .and_then(|blob| String::from_utf8(blob.content().to_vec()).ok()),
        };
        if let Some(text) = text {
            self.attributes = vendored_by_attributes(&text);
        }
        self
    }

    /// Also excludes what `text`, a `.gitattributes` read from wherever the
    /// run trusts, marks as vendored or generated.
    pub fn with_attributes_text(mut self, text: Option<&str>) -> Config {
        if let Some(text) = text {
            self.attributes = vendored_by_attributes(text);
        }
        self
    }

    /// The severity a rule reports at under this configuration; `None`
    /// when it is switched off.
    pub fn effective(&self, rule: &RuleMeta) -> Option<Severity> {
        match self.setting(&rule.id) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Severity(s)) => Some(s),
            None => Some(rule.severity),
        }
    }

    /// Whether a repository path is excluded from analysis.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.exclude
            .matched_path_or_any_parents(path, false)
            .is_ignore()
            || self
                .attributes
                .matched_path_or_any_parents(path, false)
                .is_ignore()
    }

    /// The setting for a rule: its own, else its family's.
    pub fn setting(&self, rule: &str) -> Option<RuleSetting> {
        self.rules
            .get(rule)
            .or_else(|| self.rules.get(rule.split('/').next().unwrap_or("")))
            .copied()
    }

    pub fn family_enabled(&self, family: &str, registry: &Registry) -> bool {
        registry.family(family).is_some_and(|f| {
            f.rules
                .iter()
                .any(|r| self.setting(&r.id) != Some(RuleSetting::Off))
        })
    }
}

/// The most entries a repository may add to one list (a table extension
/// or `exclude`): far more than anyone writes, and few enough that
/// matching against them stays cheap (100,000 `hidden_classes` took 32 s).
pub const MAX_LIST_ENTRIES: usize = 1_000;

/// Extends a built-in table entry: lists grow (duplicates dropped), other
/// values are replaced by a value of the same type.
fn extend_table(
    table: &mut toml::Table,
    key: &str,
    value: &toml::Value,
) -> std::result::Result<(), String> {
    let Some(existing) = table.get_mut(key) else {
        let known: Vec<&str> = table.keys().map(String::as_str).collect();
        return Err(format!(
            "unknown table `{key}` (known: {})",
            known.join(", ")
        ));
    };
    match (existing, value) {
        (toml::Value::Array(_), toml::Value::Array(add)) if add.len() > MAX_LIST_ENTRIES => Err(
            format!(
                "`{key}` lists {} entries; riskdiff takes at most {MAX_LIST_ENTRIES} from a repository",
                add.len()
            ),
        ),
        (toml::Value::Array(list), toml::Value::Array(add)) => {
            for item in add {
                if let Some(first) = list.first() {
                    if first.type_str() != item.type_str() {
                        return Err(format!(
                            "`{key}` holds {}s, not {}s",
                            first.type_str(),
                            item.type_str()
                        ));
                    }
                }
                if !list.contains(item) {
                    list.push(item.clone());
                }
            }
            Ok(())
        }
        (existing, value) if existing.type_str() == value.type_str() => {
            *existing = value.clone();
            Ok(())
        }
        (existing, value) => Err(format!(
            "`{key}` must be a {}, not a {}",
            existing.type_str(),
            value.type_str()
        )),
    }
}

/// An error at a place in a config file, with the line shown (secrets
/// masked: the file may be a link's target or hold a token by mistake).
fn spanned_error(name: &str, text: &str, span: Range<usize>, msg: String) -> Error {
    let start = span.start.min(text.len());
    let (line_no, line) = repo_files::quote_line(text, start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let col = text[line_start..start].chars().count() + 1;
    let width = text[start..span.end.clamp(start, line_end)]
        .chars()
        .count()
        .max(1);
    let gutter = " ".repeat(line_no.to_string().len());
    // The caret only where the quoted line reaches.
    let shown = line.chars().count();
    let caret = if col <= shown {
        format!(
            "{}{}",
            " ".repeat(col - 1),
            "^".repeat(width.min(shown + 1 - col))
        )
    } else {
        String::new()
    };
    Error::new(format!(
        "{name}:{line_no}:{col}: {msg}\n{gutter} |\n{line_no} | {line}\n{gutter} | {caret}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        Registry::builtin().unwrap()
    }

    #[test]
    fn gitattributes_vendored_and_generated_paths_are_excluded() {
        let mut cfg = Config::defaults(&reg()).unwrap();
        cfg.attributes = vendored_by_attributes(
            "# third-party code\nstatic/js/lib/** linguist-vendored\nstatic/js/lib/ours/** -linguist-vendored\n*.pb.go linguist-generated=true\ndocs/** linguist-documentation\n",
        );
        assert!(cfg.is_excluded("static/js/lib/jquery/index.html"));
        assert!(!cfg.is_excluded("static/js/lib/ours/form.html"));
        assert!(cfg.is_excluded("api/user.pb.go"));
        assert!(!cfg.is_excluded("docs/contact.html"));
        assert!(cfg.is_excluded("static/js/lib/jquery.payment/example/index.html"));
        assert!(!cfg.is_excluded("templates/contact.html"));
    }

    #[test]
    fn rules_severities_and_excludes() {
        let cfg = Config::parse(
            "fail_on = \"high\"\nexclude = [\"legacy/**\"]\n[rules]\n\"forms/hidden\" = \"off\"\n\"forms/field-removed\" = \"high\"\n",
            "riskdiff.toml",
            &reg(),
        )
        .unwrap();
        assert_eq!(cfg.fail_on, Some(FailOn::Severity(Severity::High)));
        assert_eq!(cfg.setting("forms/hidden"), Some(RuleSetting::Off));
        assert_eq!(
            cfg.setting("forms/field-removed"),
            Some(RuleSetting::Severity(Severity::High))
        );
        assert!(cfg.is_excluded("legacy/old/page.html"));
        assert!(cfg.is_excluded("node_modules/x/index.html"));
        assert!(cfg.is_excluded("static/app.min.js"));
        assert!(!cfg.is_excluded("site/kontakt.html"));
    }

    #[test]
    fn a_family_can_be_switched_off_whole() {
        let cfg = Config::parse("[rules]\nforms = \"off\"\n", "riskdiff.toml", &reg()).unwrap();
        assert_eq!(cfg.setting("forms/removed"), Some(RuleSetting::Off));
        assert!(!cfg.family_enabled("forms", &reg()));
    }

    #[test]
    fn unknown_rule_shows_the_line_and_a_suggestion() {
        let err = Config::parse(
            "[rules]\n\"forms/removd\" = \"off\"\n",
            "riskdiff.toml",
            &reg(),
        )
        .unwrap_err();
        assert!(
            err.message
                .starts_with("riskdiff.toml:2:1: unknown rule `forms/removd`"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("2 | \"forms/removd\" = \"off\""),
            "{}",
            err.message
        );
        assert!(err.hint.unwrap().contains("forms/removed"));
    }

    #[test]
    fn unknown_key_and_bad_values_are_errors_with_lines() {
        let err = Config::parse("fial_on = \"high\"\n", "riskdiff.toml", &reg()).unwrap_err();
        assert!(
            err.message.contains("riskdiff.toml:1:1:") && err.message.contains("fial_on"),
            "{}",
            err.message
        );
        let err = Config::parse("fail_on = \"critical\"\n", "riskdiff.toml", &reg()).unwrap_err();
        assert!(
            err.message.contains("riskdiff.toml:1:11"),
            "{}",
            err.message
        );
        let err = Config::parse(
            "[rules]\n\"forms/removed\" = \"loud\"\n",
            "riskdiff.toml",
            &reg(),
        )
        .unwrap_err();
        assert!(
            err.message.contains("unknown setting `loud`"),
            "{}",
            err.message
        );
        let err = Config::parse("[forms]\nnope = [\"x\"]\n", "riskdiff.toml", &reg()).unwrap_err();
        assert!(
            err.message
                .contains("riskdiff.toml:2:1: [forms] unknown table `nope`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn lists_from_a_repository_are_capped() {
        let many = |n: usize| {
            (0..n)
                .map(|i| format!("\"c{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        };
        let ok = format!("[forms]\nhidden_classes = [{}]\n", many(MAX_LIST_ENTRIES));
        assert!(Config::parse(&ok, "riskdiff.toml", &reg()).is_ok());
        let big = format!(
            "[forms]\nhidden_classes = [{}]\n",
            many(MAX_LIST_ENTRIES + 1)
        );
        let err = Config::parse(&big, "riskdiff.toml", &reg()).unwrap_err();
        assert!(err.message.contains("at most"), "{}", err.message);
        let big = format!("exclude = [{}]\n", many(MAX_LIST_ENTRIES + 1));
        let err = Config::parse(&big, "riskdiff.toml", &reg()).unwrap_err();
        assert!(err.message.contains("at most"), "{}", err.message);
    }

    #[test]
    fn tables_are_extended_not_replaced() {
        let cfg = Config::parse(
            "[forms]\nhidden_classes = [\"u-hide\"]\n",
            "riskdiff.toml",
            &reg(),
        )
        .unwrap();
        let list = cfg.tables["forms"]["hidden_classes"].as_array().unwrap();
        assert!(list.iter().any(|v| v.as_str() == Some("u-hide")));
        assert!(list.iter().any(|v| v.as_str() == Some("d-none")));
        let err =
            Config::parse("[forms]\nhidden_classes = [1]\n", "riskdiff.toml", &reg()).unwrap_err();
        assert!(err.message.contains("holds strings"), "{}", err.message);
    }
}
