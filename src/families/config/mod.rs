//! The config family: incident 2 in INCIDENTS.md. One maintenance plan
//! switched `factory_reset` on while its targets were widened to every
//! device, and 2,000 routers lost their configuration overnight.
//!
//! Configuration files are compared by key path ([`crate::readers::keypath`]), so
//! only values that changed meaning are looked at; a key matches a table
//! by its words (`factoryReset`, `factory-reset` and `FACTORY_RESET` are
//! the words `factory reset`), never by a substring of another word.

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::findings::redact;
use crate::pipeline::lang::Lang;
use crate::readers::config_files::{config_side, ConfigSide};
use crate::readers::keypath::{self, ConfigEntry, Scalar};
use crate::readers::words::{is_ignored_path, phrase_matches, words};
use code_defaults::{code_side, is_code};
use serde::Deserialize;

mod code_defaults;
mod orm_code;
mod values;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "config",
    rules: include_str!("../../../rules/config.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tables {
    destructive: Vec<String>,
    not_destructive: Vec<String>,
    not_safeguards: Vec<String>,
    safeguards: Vec<String>,
    target_words: Vec<String>,
    everything_values: Vec<String>,
    percentage_words: Vec<String>,
    parallelism_words: Vec<String>,
    switch_wrappers: Vec<String>,
    negations: Vec<String>,
    ignored_path_words: Vec<String>,
    ignored_files: Vec<String>,
    destructive_values: Vec<values::DestructiveValue>,
    kind_switches: Vec<values::KindSwitch>,
    in_memory_markers: Vec<String>,
    test_profiles: Vec<String>,
    nonproduction_path_words: Vec<String>,
    ci_pipeline_paths: Vec<String>,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    let tables: Tables = crate::families::context::read_tables("config", tables)?;
    Ok(Box::new(ConfigFamily::new(tables)?))
}

struct ConfigFamily {
    tables: Tables,
    /// The squashed words that make code worth a parse (`wants`), searched
    /// for in one pass: destructive switches and safeguards.
    code_words: aho_corasick::AhoCorasick,
    /// The same for a configuration file: those, and the words of scope
    /// (targets, percentages, parallelism) and of destructive values.
    config_words: aho_corasick::AhoCorasick,
}

/// The switch a key path names: its last segment, or the one before it
/// when the last only says "on" (`wipe.enabled`).
fn switch_words(path: &str, wrappers: &[String]) -> Vec<String> {
    let segs: Vec<&str> = path.rsplit('.').collect();
    let last = words(segs.first().copied().unwrap_or(""));
    if last.len() == 1 && wrappers.contains(&last[0]) {
        if let Some(parent) = segs.get(1) {
            return words(parent);
        }
    }
    last
}

fn shown(v: Option<&ConfigEntry>, path: &str) -> String {
    match v {
        Some(e) => format!("`{}`", redact::value_for(path, &e.value.shown())),
        None => "unset".to_string(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Destructive,
    Safeguard,
    Scope,
}

/// One finding before it is built: kept so a destructive switch and a
/// widened scope in the same file can point at each other.
struct Hit<'a> {
    kind: Kind,
    file: &'a str,
    path: String,
    before: Option<ConfigEntry>,
    after: Option<ConfigEntry>,
    /// What the change means, for the message.
    meaning: String,
    /// A switch that disables a safeguard when on (`skip_confirmation`).
    negated: bool,
}

impl<'a> Hit<'a> {
    /// A destructive value or switch this change set, with what it means.
    fn destructive(
        file: &'a str,
        change: &keypath::KeyChange,
        after: &ConfigEntry,
        meaning: String,
    ) -> Self {
        Hit {
            kind: Kind::Destructive,
            file,
            path: change.path.to_string(),
            before: change.before.cloned(),
            after: Some(after.clone()),
            meaning,
            negated: false,
        }
    }
}

impl ConfigFamily {
    /// Whether a changed file's sides are compared at all (what `check`
    /// reads and `extract` prepares): outside excluded paths, a name the
    /// family reads, a table word on either side (the pre-filter of
    /// `wants`), and for code a touched line that can flip a default.
    fn compares(&self, cx: &Context, file: &ChangedFile) -> bool {
        // Asked by extract and check alike; the squashed texts it searches
        // cost a whole pass each.
        file.remember("config.compares", || self.compares_now(cx, file))
    }

    fn compares_now(&self, cx: &Context, file: &ChangedFile) -> bool {
        let path = file.path();
        !cx.is_excluded(path) && self.wants_path(path) && self.wants_change(file)
    }

    /// In code only a boolean default that flipped, or an ORM switch, is
    /// read: a change that touched no line with either reads nothing (a
    /// touched `True` is not enough: Django's keyword arguments had config
    /// parse 90 of saleor's 800 commits' modules for no default). A
    /// default needs both sides to flip, so code one side holds is read
    /// only for the ORM switch an added file can bring (saleor's 800
    /// commits parsed 115 added modules for defaults none could have).
    fn change_can_matter(&self, file: &ChangedFile) -> bool {
        let code = is_code(file.head_lang) || is_code(file.base_lang);
        if !code {
            return true;
        }
        if file.base.is_none() || file.head.is_none() {
            return file
                .head
                .as_ref()
                .and_then(|h| h.text())
                .is_some_and(|t| orm_code::mentions_orm_switch(t));
        }
        // Asked by the parse stage and again by `compares`.
        file.remember("config.code_change", || {
            code_defaults::may_flip_default(file)
                || file.any_touched_line(|line| {
                    orm_code::mentions_orm_switch(line) || line.contains(".sync(")
                })
        })
    }

    /// Whether a side names a switch of the tables (in any spelling) or,
    /// in code, an ORM switch: worked out once per side.
    fn side_names_a_switch(&self, file: &ChangedFile, rev: Revision) -> bool {
        let (version, lang, tag) = match rev {
            Revision::Base => (&file.base, file.base_lang, "config.base_names_a_switch"),
            Revision::Head => (&file.head, file.head_lang, "config.head_names_a_switch"),
        };
        file.remember(tag, || {
            version.as_ref().is_some_and(|v| {
                self.wants_path(&v.path) && v.text().is_some_and(|t| self.names_a_switch(lang, t))
            })
        })
    }

    /// The byte pre-filter of one text: a switch word squashed
    /// (`factory_reset:`, `factoryReset` and nested `factory:\n  reset:`
    /// all hold `factoryreset`); in code also an ORM switch.
    fn names_a_switch(&self, lang: Lang, text: &str) -> bool {
        let words = if is_code(lang) {
            if orm_code::mentions_orm_switch(text) {
                return true;
            }
            &self.code_words
        } else if keypath::is_config(lang) {
            &self.config_words
        } else {
            return false;
        };
        words.is_match(&crate::readers::words::squashed(text))
    }

    fn is_destructive(&self, path: &str) -> bool {
        let w = switch_words(path, &self.tables.switch_wrappers);
        let joined = w.join("_");
        if self
            .tables
            .not_destructive
            .iter()
            .any(|n| phrase_matches(&w, n) || *n == joined)
        {
            return false;
        }
        self.tables
            .destructive
            .iter()
            .any(|d| phrase_matches(&w, d))
    }

    fn is_safeguard(&self, path: &str) -> bool {
        let w = switch_words(path, &self.tables.switch_wrappers);
        self.tables.safeguards.iter().any(|d| phrase_matches(&w, d)) && !self.names_a_screen(&w)
    }

    /// A consent or approval screen shown to a user, not an operator's
    /// safeguard (`not_safeguards`).
    fn names_a_screen(&self, words: &[String]) -> bool {
        let key = format!(" {} ", words.join(" "));
        self.tables
            .not_safeguards
            .iter()
            .any(|n| key.contains(&format!(" {} ", n.to_ascii_lowercase())))
    }

    /// A switch that turns a safeguard off when it is on: `skip_confirm`,
    /// `no_dry_run`, `disable_safe_mode`.
    fn is_negated_safeguard(&self, path: &str) -> bool {
        let w = switch_words(path, &self.tables.switch_wrappers);
        let negated = match w.split_first() {
            Some((first, rest)) if self.tables.negations.contains(first) => {
                // `skip_confirmation`, `bypass_approval`: the nouns too.
                let noun = rest.first().is_some_and(|n| {
                    matches!(n.as_str(), "confirmation" | "approval" | "approvals")
                });
                noun || self
                    .tables
                    .safeguards
                    .iter()
                    .any(|d| phrase_matches(rest, d))
            }
            _ => false,
        };
        // The screen last: it is built from the words, a match rarely is.
        negated && !self.names_a_screen(&w)
    }

    fn any_word(&self, path: &str, table: &[String]) -> bool {
        let last = path.rsplit('.').next().unwrap_or(path);
        words(last).iter().any(|w| table.contains(w))
    }

    fn means_everything(&self, v: &Scalar) -> bool {
        let all = |s: &str| {
            let s = s.trim().to_ascii_lowercase();
            self.tables.everything_values.contains(&s)
        };
        match v {
            Scalar::Text(t) => all(t),
            Scalar::List(items) => items.iter().any(|i| all(i)),
            _ => false,
        }
    }

    fn scope_change(
        &self,
        file: &str,
        path: &str,
        before: &ConfigEntry,
        after: &ConfigEntry,
    ) -> Option<String> {
        // A staging rollout reaches no customer; a CI matrix's parallelism
        // runs test jobs side by side (18F/dns weights on a staging file,
        // django-helpdesk's Azure `maxParallel`).
        let file_words = words(file);
        if file_words
            .iter()
            .any(|w| self.tables.nonproduction_path_words.contains(w))
        {
            return None;
        }
        let ci_pipeline = self
            .tables
            .ci_pipeline_paths
            .iter()
            .any(|c| file.contains(c.as_str()));
        if self.any_word(path, &self.tables.target_words)
            && self.means_everything(&after.value)
            && !self.means_everything(&before.value)
        {
            return Some(format!(
                "the targets went from `{}` to `{}`, which selects everything",
                before.value.shown(),
                after.value.shown()
            ));
        }
        let (b, a) = (before.value.number()?, after.value.number()?);
        let percent_text = matches!(&after.value, Scalar::Text(t) if t.trim().ends_with('%'));
        // Route53 weights are relative to the other records of the name:
        // 50 -> 100 is a share of two in three, not everything.
        let relative_weight = path.contains("weighted_routing_policy");
        if (self.any_word(path, &self.tables.percentage_words) || percent_text)
            && !relative_weight
            && a >= 100.0
            && b < 100.0
        {
            return Some(format!(
                "the rollout went from {} to {} percent: everything at once, with no stage left to stop it",
                before.value.shown(),
                after.value.shown()
            ));
        }
        if self.any_word(path, &self.tables.parallelism_words)
            && !ci_pipeline
            && b > 0.0
            && a >= b * 10.0
        {
            return Some(format!(
                "the batch grew from {} to {} ({}x): a mistake now reaches that many targets before anyone can react",
                before.value.shown(),
                after.value.shown(),
                (a / b).round()
            ));
        }
        None
    }

    fn hits<'a>(
        &self,
        path: &'a str,
        base: &[ConfigEntry],
        head: &[ConfigEntry],
        override_url: &dyn Fn() -> Option<(String, String)>,
    ) -> Vec<Hit<'a>> {
        let mut out = Vec::new();
        // Once per file, not per changed key: a 10,000-key JSON file whose
        // switches all changed made this quadratic.
        let docs = values::documents(head);
        let (base_keys, head_keys) = (values::KeyIndex::new(base), values::KeyIndex::new(head));
        for change in keypath::compare(base, head) {
            if let Some(hit) = self
                .value_hit(path, &change, head, &docs, override_url)
                .or_else(|| self.kind_switch_hit(path, &change, &base_keys, &head_keys, &docs))
            {
                out.push(hit);
                continue;
            }
            let (before, after) = (change.before, change.after);
            let p = change.path;
            // The values first, the key's words only when a value could make
            // a hit: an added 34,000-key JSON file took 0.7 s the other way.
            let (was_on, now_on) = (
                before.is_some_and(|b| b.value.is_on()),
                after.is_some_and(|a| a.value.is_on()),
            );
            let now_off = after.is_none_or(|a| a.value.is_off() || a.value == Scalar::Null);
            if let Some(a) = after.filter(|_| now_on && !was_on && self.is_destructive(p)) {
                out.push(Hit::destructive(path, &change, a, String::new()));
                continue;
            }
            let could_weaken = (was_on && now_off) || (now_on && !was_on);
            let negated = could_weaken && self.is_negated_safeguard(p);
            if could_weaken && (negated || self.is_safeguard(p)) {
                let weakened = if negated {
                    now_on && !was_on
                } else {
                    was_on && now_off
                };
                if weakened {
                    out.push(Hit {
                        kind: Kind::Safeguard,
                        file: path,
                        path: p.to_string(),
                        before: before.cloned(),
                        after: after.cloned(),
                        meaning: String::new(),
                        negated,
                    });
                    continue;
                }
            }
            if let (Some(b), Some(a)) = (before, after) {
                if let Some(meaning) = self.scope_change(path, p, b, a) {
                    out.push(Hit {
                        kind: Kind::Scope,
                        file: path,
                        path: p.to_string(),
                        before: Some(b.clone()),
                        after: Some(a.clone()),
                        meaning,
                        negated: false,
                    });
                }
            }
        }
        out
    }
}

fn last_words(path: &str) -> String {
    words(path.rsplit('.').next().unwrap_or(path)).join(" ")
}

impl Analyzer for ConfigFamily {
    fn reads(&self, _path: &str, lang: Lang) -> bool {
        keypath::is_config(lang) || is_code(lang)
    }

    fn wants(&self, path: &str, lang: Lang, _text: &str) -> bool {
        // The text is searched by `wants_change`, once per side, and in
        // code only when the change touched a default or an ORM switch:
        // squashing every changed module for its words was a tenth of
        // saleor's 800 commits.
        (keypath::is_config(lang) || is_code(lang)) && self.wants_path(path)
    }

    fn wants_change(&self, file: &ChangedFile) -> bool {
        self.change_can_matter(file)
            && (self.side_names_a_switch(file, Revision::Base)
                || self.side_names_a_switch(file, Revision::Head))
    }

    fn extract(&self, cx: &Context, file: &ChangedFile) {
        if !self.compares(cx, file) {
            return;
        }
        if is_code(file.head_lang) {
            for rev in [Revision::Base, Revision::Head] {
                code_side(cx, file, rev);
            }
            orm_code::extract(cx, file);
        } else {
            cx.extract_config_keys(file);
        }
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for file in cx.files {
            if !self.compares(cx, file) {
                continue;
            }
            let shown_path = file.path();
            let code = is_code(file.head_lang);
            if code {
                out.extend(orm_code::orm_findings(cx, file));
            }
            let side = |rev| {
                if code {
                    code_side(cx, file, rev)
                } else {
                    config_side(cx, file, rev)
                }
            };
            let Some(head) = side(Revision::Head) else {
                continue;
            };
            let base = side(Revision::Base);
            let base_entries = base.as_ref().map_or(&[][..], |b| &b.entries[..]);
            let override_url = || self.persistent_datasource_elsewhere(cx, shown_path);
            let mut hits = self.hits(shown_path, base_entries, &head.entries, &override_url);
            if code {
                // In code only a default that flipped is a switch; a new or
                // removed parameter changes every caller, which fails loudly.
                hits.retain(|h| h.kind != Kind::Scope && h.before.is_some() && h.after.is_some());
            }
            let destructive: Vec<&Hit> = hits
                .iter()
                .filter(|h| h.kind == Kind::Destructive)
                .collect();
            let widened: Vec<&Hit> = hits.iter().filter(|h| h.kind == Kind::Scope).collect();
            for hit in &hits {
                out.push(self.finding(hit, &head, base.as_ref(), &destructive, &widened));
            }
        }
        out
    }
}

impl ConfigFamily {
    fn new(tables: Tables) -> Result<ConfigFamily, String> {
        let switch_words = |more: &[&[String]]| {
            let words = tables
                .destructive
                .iter()
                .chain(&tables.safeguards)
                .chain(more.iter().copied().flatten())
                .map(|w| crate::readers::words::squashed(w))
                .filter(|w| !w.is_empty());
            aho_corasick::AhoCorasick::new(words)
                .map_err(|e| format!("config tables: switch words: {e}"))
        };
        let code_words = switch_words(&[])?;
        let filter_words = ConfigFamily::value_filter_words_of(&tables);
        let config_words = switch_words(&[
            &tables.target_words,
            &tables.percentage_words,
            &tables.parallelism_words,
            &filter_words,
        ])?;
        Ok(ConfigFamily {
            tables,
            code_words,
            config_words,
        })
    }

    /// Another changed file whose head now points a datasource at a
    /// database that is not in memory: (its path, the URL).
    fn persistent_datasource_elsewhere(
        &self,
        cx: &Context,
        this: &str,
    ) -> Option<(String, String)> {
        cx.files.iter().filter(|f| f.path() != this).find_map(|f| {
            let side = config_side(cx, f, Revision::Head)?;
            let url = self.persistent_datasource(&side.path, &side.entries)?;
            // Only a URL this change sets points the application somewhere new.
            let base = config_side(cx, f, Revision::Base);
            let unchanged = base.is_some_and(|b| {
                b.entries
                    .iter()
                    .any(|e| e.path == url.path && e.value == url.value)
            });
            if unchanged {
                return None;
            }
            Some((
                side.path.clone(),
                redact::value_for(&url.path, &url.value.shown()),
            ))
        })
    }

    fn wants_path(&self, path: &str) -> bool {
        !is_ignored_path(
            path,
            &self.tables.ignored_path_words,
            &self.tables.ignored_files,
        )
    }

    fn finding(
        &self,
        hit: &Hit,
        head: &ConfigSide,
        base: Option<&ConfigSide>,
        destructive: &[&Hit],
        widened: &[&Hit],
    ) -> Finding {
        let key = &hit.path;
        let before = shown(hit.before.as_ref(), key);
        let after = shown(hit.after.as_ref(), key);
        let location = match (&hit.after, &hit.before, base) {
            (Some(a), _, _) => head.location(Revision::Head, a),
            (None, Some(b), Some(base)) => base.location(Revision::Base, b),
            _ => Location {
                revision: Revision::Head,
                path: head.path.clone(),
                span: Span::line_of(&head.text, 1),
            },
        };
        let words = last_words(key);
        // In code the key is `function.param`: say so.
        let key_shown = match (head.code, key.rsplit_once('.')) {
            (true, Some((function, param))) => {
                format!("The default of `{param}` in `{function}()`")
            }
            _ => format!("`{key}`"),
        };
        let message = match hit.kind {
            // A destructive value or a kind-scoped switch says what it does.
            Kind::Destructive if !hit.meaning.is_empty() => hit.meaning.clone(),
            Kind::Destructive => {
                let scope = widened.first().map_or_else(
                    || "everything this configuration applies to".to_string(),
                    |w| {
                        format!(
                            "every target (`{}` was widened to {} in the same change)",
                            w.path,
                            shown(w.after.as_ref(), &w.path)
                        )
                    },
                );
                let verb = if hit.before.is_some() {
                    "was switched on"
                } else {
                    "was added, switched on"
                };
                if head.code {
                    format!(
                        "{key_shown} in `{}` was switched on ({before} → {after}). Every caller that does not pass it explicitly now gets a {words}, and there is no undo.",
                        hit.file
                    )
                } else {
                    format!(
                        "{key_shown} in `{}` {verb} ({before} → {after}). The next run will {words} {scope}, and there is no undo.",
                        hit.file
                    )
                }
            }
            Kind::Safeguard => {
                let what = if hit.negated {
                    format!("was switched on ({before} → {after})")
                } else if hit.after.is_some() {
                    format!("was switched off ({before} → {after})")
                } else {
                    format!("was removed (it was {before})")
                };
                // `skip confirmation` guards by its last words.
                let words = if hit.negated {
                    words
                        .split_once(' ')
                        .map_or(words.clone(), |(_, rest)| rest.to_string())
                } else {
                    words
                };
                let between = if head.code {
                    "the callers that rely on the default and the systems they change"
                } else {
                    "this configuration and the systems it changes"
                };
                format!(
                    "{key_shown} in `{}` {what}. The {words} safeguard no longer stands between {between}: what it used to stop or preview now happens for real.",
                    hit.file
                )
            }
            Kind::Scope => {
                let also = destructive.first().map_or_else(String::new, |d| {
                    format!(" Together with `{}` switched on in the same change, every one of them gets a {}.", d.path, last_words(&d.path))
                });
                format!("`{key}` in `{}`: {}.{also}", hit.file, hit.meaning)
            }
        };
        let rule = match hit.kind {
            Kind::Destructive => "config/destructive-enabled",
            Kind::Safeguard => "config/safeguard-disabled",
            Kind::Scope => "config/scope-widened",
        };
        let mut finding = Finding::new(rule, location, format!("{} {key}", hit.file), message)
            .evidence("key", key.clone())
            .evidence("before", before.clone())
            .evidence("after", after.clone());
        if let (Some(b), Some(base), Some(_)) = (&hit.before, base, &hit.after) {
            finding = finding.related(
                base.location(Revision::Base, b),
                format!("in base it was {before}"),
            );
        }
        // The other half of the story, in the same file.
        let partners: &[&Hit] = match hit.kind {
            Kind::Destructive => widened,
            Kind::Scope => destructive,
            Kind::Safeguard => &[],
        };
        for p in partners {
            if let Some(a) = &p.after {
                let note = match hit.kind {
                    Kind::Destructive => format!(
                        "…and the targets were widened here ({})",
                        shown(Some(a), &p.path)
                    ),
                    _ => format!("…and `{}` was switched on here", p.path),
                };
                finding = finding.related(head.location(Revision::Head, a), note);
            }
        }
        if hit.kind == Kind::Scope && !destructive.is_empty() {
            finding = finding.severity(Severity::High);
        }
        finding
    }
}

#[cfg(test)]
mod tests;
