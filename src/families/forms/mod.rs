//! The forms family (incident 1): forms that stop reaching whoever reads
//! them. Facts are extracted from each page's HTML tree (templates blanked),
//! forms are matched across the two revisions by identity, and each matched
//! pair, each form left over in base and each handler gone is compared.

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::{Finding, Revision};
use crate::pipeline::lang::Lang;
use facts::Method;
pub use facts::{contains_form_tag, AttrValue, FormFacts, PageForms};
use fate::Fate;
pub(crate) use lookups::head_form_pages;
use matching::{match_forms, same_form_moved, same_look};
use page::{Compared, PageSide};
use serde::Deserialize;

mod base_href;
mod capture;
mod client_routes;
mod compare;
mod facts;
mod fate;
mod haml;
mod handler;
mod jsx;
mod lookups;
mod matching;
mod page;
mod providers;
mod rails_helpers;
mod rails_helpers_gone;
mod removed;
mod route_names;
mod scripted;
mod translations;
mod unrouted;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "forms",
    rules: include_str!("../../../rules/forms.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    hidden_classes: Vec<String>,
    script_send_calls: Vec<String>,
    route_name_providers: Vec<String>,
    jsx_input_components: Vec<String>,
    jsx_submit_components: Vec<String>,
    jsx_field_spreads: Vec<String>,
    reveal_class_prefixes: Vec<String>,
    submit_hook_attributes: Vec<String>,
    click_hook_attributes: Vec<String>,
    webroots: Vec<String>,
    index_files: Vec<String>,
    handler_extensions: Vec<String>,
    hosted_form_hosts: Vec<String>,
    netlify_attributes: Vec<String>,
    form_shortcodes: Vec<String>,
    form_plugins: Vec<String>,
    message_field_words: Vec<String>,
    form_printing_calls: Vec<String>,
    translation_calls: Vec<String>,
    translation_dirs: Vec<String>,
    form_capture_scripts: Vec<String>,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Forms::new(
        crate::families::context::read_tables("forms", tables)?,
    )?))
}

struct Forms {
    tables: Tables,
    /// `script_send_calls` in one automaton: the first a script makes is
    /// asked of every changed script, and of every script of head when a
    /// binding is lost (one search per call was a fifth of forms' check on
    /// NodeBB's 600 commits).
    send_calls: aho_corasick::AhoCorasick,
}

impl Forms {
    fn new(tables: Tables) -> Result<Forms, String> {
        // Leftmost-first over the calls in order: the earliest call, and
        // of those starting there the first in sorted order.
        let mut calls = tables.script_send_calls.clone();
        calls.sort();
        let send_calls = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&calls)
            .map_err(|e| format!("forms tables: script_send_calls: {e}"))?;
        Ok(Forms { tables, send_calls })
    }
}

/// Components whose markup is JSX.
pub(super) fn is_jsx(lang: Lang) -> bool {
    matches!(lang, Lang::JavaScript | Lang::Tsx)
}

/// Languages whose files can hold forms: markup read as HTML, JSX
/// components and Haml templates, each with its own reader.
pub(super) fn holds_forms(lang: Lang) -> bool {
    lang.is_markup() || is_jsx(lang) || lang == Lang::Haml
}

impl Forms {
    /// The forms of a parsed file, read by its language's reader.
    pub(super) fn page_facts(&self, parsed: &crate::pipeline::parse::Parsed) -> PageForms {
        match parsed.lang {
            Lang::Haml => self.facts_haml(parsed),
            lang if is_jsx(lang) => self.facts_jsx(parsed),
            _ => self.facts(parsed),
        }
    }
}

/// A cheap test of a file's text for a form, before it is parsed.
pub(super) fn may_hold_form(lang: Lang, text: &str) -> bool {
    match lang {
        Lang::Haml => {
            haml::contains_haml_form(text) || rails_helpers::mentions_haml_form_helper(text)
        }
        Lang::Template => contains_form_tag(text) || rails_helpers::mentions_form_helper(text),
        _ => contains_form_tag(text),
    }
}

pub(super) fn is_dead_action(action: &str) -> bool {
    let a = action.trim().to_ascii_lowercase();
    // Browsers refuse to navigate to a `data:` URL: a form posting to one
    // goes nowhere.
    a.is_empty()
        || a == "#"
        || a.starts_with("javascript:")
        || a == "about:blank"
        || a.starts_with("data:")
}

pub(super) fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

impl Analyzer for Forms {
    fn reads(&self, path: &str, lang: Lang) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        holds_forms(lang)
            || crate::readers::routes::may_declare_routes(path, lang)
            // Content that can hold form shortcodes, and the manifests that
            // install forms plugins.
            || [".md", ".markdown", ".txt", ".xml"].iter().any(|e| name.ends_with(e))
            || name == "composer.json"
            || name == "package.json"
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        holds_forms(lang) && may_hold_form(lang, text)
            || crate::readers::routes::may_declare_routes(path, lang)
                && crate::readers::routes::mentions_routes(path, lang, text)
                && lang != Lang::Php
    }

    fn wants_change(&self, file: &ChangedFile) -> bool {
        file.base.is_none()
            || file.head.is_none()
            || holds_forms(file.base_lang)
            || holds_forms(file.head_lang)
            || unrouted::touches_routes(file)
    }

    fn extract(&self, cx: &Context, file: &ChangedFile) {
        let router = client_routes::router_change(file);
        let touches_routes = !cx.is_excluded(file.path()) && unrouted::touches_routes(file);
        let rails_routes = route_names::is_rails_routes_change(cx, file);
        for (version, lang) in [(&file.base, file.base_lang), (&file.head, file.head_lang)] {
            let Some(version) = version else { continue };
            self.page_read(cx, version, lang);
            // Routes as the lost-route check reads them: of files whose
            // change touched a route line (a lookup of the others, when a
            // removed form asks, parses them then).
            if touches_routes {
                unrouted::routes_of_version(cx, version, lang);
            }
            if router {
                client_routes::routes_of_router(cx, version, lang);
            }
            if rails_routes {
                route_names::rails_helpers(cx, version);
            }
        }
        if let Some(base) = file
            .base
            .as_ref()
            .filter(|b| self.sends_forms(b, file.base_lang))
        {
            scripted::script_ids(cx, base, file.base_lang);
        }
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        let files: Vec<&ChangedFile> = cx
            .files
            .iter()
            .filter(|f| holds_forms(f.base_lang) || holds_forms(f.head_lang))
            .collect();
        let pages: Vec<(Option<PageSide>, Option<PageSide>)> = files
            .iter()
            .map(|f| {
                (
                    self.page_side(cx, f, Revision::Base),
                    self.page_side(cx, f, Revision::Head),
                )
            })
            .collect();

        let capture = std::cell::OnceCell::new();
        // Within each page: pairs compared, leftovers kept for a second
        // round across pages (a form moved into a partial).
        let mut lost: Vec<(usize, usize)> = Vec::new(); // (page, base form)
        let mut arrived: Vec<(usize, usize)> = Vec::new(); // (page, head form)
        for (p, (base, head)) in pages.iter().enumerate() {
            let base_forms = base.as_ref().map_or(&[][..], |b| &b.forms.forms[..]);
            let head_forms = head.as_ref().map_or(&[][..], |h| &h.forms.forms[..]);
            let (pairs, mut left_b, left_h) = match_forms(base_forms, head_forms);
            // Identical copies merged into one (a form repeated in each
            // branch of an `if`): the one that stayed carries them all.
            left_b.retain(|&i| {
                !pairs
                    .iter()
                    .any(|&(kept, _)| same_look(&base_forms[i], &base_forms[kept]))
            });
            if let (Some(bp), Some(hp)) = (base, head) {
                for (i, j) in pairs {
                    self.compare_pair(
                        cx,
                        Compared {
                            base: bp,
                            head: hp,
                            capture: &capture,
                        },
                        &bp.forms.forms[i],
                        &hp.forms.forms[j],
                        &mut out,
                    );
                }
            }
            lost.extend(left_b.into_iter().map(|i| (p, i)));
            arrived.extend(left_h.into_iter().map(|j| (p, j)));
        }
        let mut taken = vec![false; arrived.len()];
        // Computed once, and only if a form is removed.
        let gone = std::cell::OnceCell::new();
        let gone_routes = || gone.get_or_init(|| self.routes_gone(cx)).clone();
        let named = std::cell::OnceCell::new();
        // The form ids of head pages whose tree has errors, read once.
        let broken_heads: std::cell::OnceCell<std::collections::HashSet<(&str, String)>> =
            std::cell::OnceCell::new();
        for (p, i) in lost {
            let (Some(bp), head) = (&pages[p].0, &pages[p].1) else {
                continue;
            };
            let b = &bp.forms.forms[i];
            let moved_to = |k: usize| {
                let (q, j) = arrived[k];
                pages[q].1.as_ref().is_some_and(|hp| {
                    let h = &hp.forms.forms[j];
                    same_form_moved(b, h) || {
                        both_route_helpers(b, h)
                            && named
                                .get_or_init(|| self.named_routes(cx))
                                .same_endpoint(b, h)
                    }
                })
            };
            // A partial serves every page that includes it: the copies of
            // one form on several pages (admin and user both listing 2FA
            // keys) may all have moved into the one shared template.
            let shared = |k: usize| {
                let (q, _) = arrived[k];
                let (Some(own), Some(partial)) = (head, &pages[q].1) else {
                    return false;
                };
                let heads = pages
                    .iter()
                    .filter_map(|(_, h)| h.as_ref().map(|h| (h.path, h.full_text())));
                fate::is_template_like(partial.path)
                    && fate::names_partial(own.path, own.full_text(), partial.path, heads)
            };
            let moved = (0..arrived.len())
                .find(|&k| !taken[k] && moved_to(k))
                .or_else(|| (0..arrived.len()).find(|&k| taken[k] && moved_to(k) && shared(k)))
                .map(|k| (k, &arrived[k]));
            if let Some((k, &(q, j))) = moved {
                taken[k] = true;
                if let Some(hp) = &pages[q].1 {
                    let pages = Compared {
                        base: bp,
                        head: hp,
                        capture: &capture,
                    };
                    self.compare_pair(cx, pages, b, &hp.forms.forms[j], &mut out);
                }
                continue;
            }
            // A head page whose markup the parser could not make sense of
            // (a quote inside a template condition) may hide the form that
            // moved there: its start tag with the same id still shows it.
            let tagged_in_head = matching::form_ident(b).is_some_and(|(attr, value)| {
                broken_heads
                    .get_or_init(|| {
                        pages
                            .iter()
                            .filter_map(|(_, h)| h.as_ref())
                            .filter(|hp| hp.broken())
                            .flat_map(|hp| matching::form_tag_idents(hp.full_text()))
                            .collect()
                    })
                    .contains(&(attr, value.to_string()))
            });
            if tagged_in_head {
                continue;
            }
            match self.fate(cx, files[p], bp, head.as_ref(), b, &gone_routes) {
                Fate::Kept => {}
                Fate::Retired(how) => {
                    self.removed(bp, b, head.as_ref(), Fate::Retired(how), &mut out)
                }
                fate => self.removed(bp, b, head.as_ref(), fate, &mut out),
            }
        }
        // New forms (no base form) can still post to a handler this change
        // deletes.
        for (k, &(q, j)) in arrived.iter().enumerate() {
            if !taken[k] {
                if let Some(hp) = &pages[q].1 {
                    self.check_handler(cx, hp, &hp.forms.forms[j], None, &mut out);
                }
            }
        }
        let gone_handlers = self.gone_handlers(cx);
        self.unchanged_pages_losing_handlers(cx, &gone_handlers, &mut out);
        self.check_script_senders(cx, &mut out);
        self.check_script_handlers(cx, &gone_handlers, &mut out);
        self.check_unrouted(cx, &pages, &mut out);
        self.check_route_names(cx, &mut out);
        self.check_client_routes(cx, &mut out);
        self.check_shortcodes(cx, &mut out);
        self.check_plugins(cx, &mut out);
        out
    }
}

/// Whether both forms post through route helpers (`route('x')`, `{% url
/// 'x' %}`): only then can their routes say they reach the same endpoint.
fn both_route_helpers(b: &FormFacts, h: &FormFacts) -> bool {
    let helper = |f: &FormFacts| match f.action() {
        Some(AttrValue::Templated(t)) => crate::readers::routes::referenced_name(t).is_some(),
        _ => false,
    };
    helper(b) && helper(h)
}

#[cfg(test)]
mod tests;
