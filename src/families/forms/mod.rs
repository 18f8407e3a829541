//! The forms family (incident 1): forms that stop reaching whoever reads
//! them. Facts are extracted from each page's HTML tree (templates blanked),
//! forms are matched across the two revisions by identity, and each matched
//! pair, each form left over in base and each handler gone is compared.

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef, FileGroup};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::Parsed;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use tree_sitter::Node;

mod jsx;
mod providers;
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
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Forms {
        tables: crate::families::context::read_tables("forms", tables)?,
    }))
}

struct Forms {
    tables: Tables,
}

// ---------------------------------------------------------------- facts --

/// An attribute value as written: literal text, or text the template
/// computes (whose original code is kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    /// `hidden`, `required`: present without a value.
    Bare,
    Literal(String),
    Templated(String),
}

impl AttrValue {
    fn literal(&self) -> Option<&str> {
        match self {
            AttrValue::Literal(s) => Some(s),
            AttrValue::Bare => Some(""),
            AttrValue::Templated(_) => None,
        }
    }

    fn shown(&self) -> String {
        match self {
            AttrValue::Bare => String::new(),
            AttrValue::Literal(s) | AttrValue::Templated(s) => s.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Attr {
    pub name: String,
    pub value: AttrValue,
    pub span: std::ops::Range<usize>,
}

/// An element's start tag, read.
#[derive(Clone, Debug, Default)]
struct Tag {
    name: String,
    attrs: Vec<Attr>,
    /// Template code in the tag outside attribute values: attributes may be
    /// added or removed by the template (`<form {% if x %}hidden{% endif %}>`).
    templated: bool,
    range: std::ops::Range<usize>,
}

impl Tag {
    fn get(&self, name: &str) -> Option<&AttrValue> {
        self.attrs.iter().find(|a| a.name == name).map(|a| &a.value)
    }

    fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    fn literal(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(AttrValue::literal)
    }

    fn describe(&self) -> String {
        let mut s = self.name.clone();
        if let Some(id) = self.literal("id").filter(|v| !v.is_empty()) {
            s.push('#');
            s.push_str(id);
        } else if let Some(class) = self.literal("class") {
            for c in class.split_whitespace().take(2) {
                s.push('.');
                s.push_str(c);
            }
        }
        s
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    /// `input:email`, `textarea`, `select`…
    pub kind: String,
    pub required: bool,
    pub hidden: bool,
    pub span: std::ops::Range<usize>,
}

#[derive(Clone, Debug)]
pub struct SubmitControl {
    pub span: std::ops::Range<usize>,
    pub disabled: bool,
    /// A `type="button"` control with a click handler wired.
    pub scripted: bool,
    /// Whether it submits the form natively (`type=submit`, `image`).
    pub submits: bool,
    /// Its `name`, which the server often reads to tell actions apart
    /// (`name="show_keys"`): the identity of a form without fields.
    pub name: Option<String>,
}

/// One form of one page version.
#[derive(Clone, Debug)]
pub struct FormFacts {
    /// Position among the page's forms, from 0.
    pub ordinal: usize,
    tag: Tag,
    /// The whole element, for excerpts.
    pub range: std::ops::Range<usize>,
    pub fields: Vec<Field>,
    pub controls: Vec<SubmitControl>,
    /// Why the form is hidden, if it is: (reason, which element).
    pub hidden: Option<String>,
    /// Template code inside the form body, whitespace-normalised: the
    /// template may render fields or buttons we cannot see.
    pub body_template: BTreeSet<String>,
}

impl FormFacts {
    pub fn id(&self) -> Option<&str> {
        self.tag.literal("id").filter(|s| !s.is_empty())
    }

    pub fn name(&self) -> Option<&str> {
        self.tag.literal("name").filter(|s| !s.is_empty())
    }

    pub fn action(&self) -> Option<&AttrValue> {
        self.tag.get("action")
    }

    fn method(&self) -> Method {
        match self.tag.get("method") {
            None => Method::Get,
            Some(AttrValue::Templated(_)) => Method::Unknown,
            Some(v) => match v
                .literal()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "post" => Method::Post,
                "dialog" => Method::Dialog,
                // Anything else, `get` included, is GET for a browser.
                _ => Method::Get,
            },
        }
    }

    /// How findings name the form: ``form `#anfrage` ``, ``form `kontakt` ``,
    /// ``form posting to `anfrage.php` ``, `form no. 2`.
    pub fn label(&self) -> String {
        if let Some(id) = self.id() {
            format!("form `#{id}`")
        } else if let Some(name) = self.name() {
            format!("form `{name}`")
        } else if let Some(action) = self
            .action()
            .and_then(|a| a.literal())
            .filter(|a| !a.trim().is_empty())
        {
            format!("form posting to `{}`", action.trim())
        } else if let Some(button) = self.control_names().into_iter().next() {
            format!("form with the `{button}` button")
        } else {
            format!("form no. {}", self.ordinal + 1)
        }
    }

    /// The line-independent identity used in fingerprints.
    pub fn subject(&self) -> String {
        if let Some(id) = self.id() {
            format!("form#{id}")
        } else if let Some(name) = self.name() {
            format!("form[name={name}]")
        } else if let Some(action) = self
            .action()
            .map(AttrValue::shown)
            .filter(|a| !a.trim().is_empty())
        {
            format!("form[action={}]", action.trim())
        } else {
            format!("form@{}", self.ordinal)
        }
    }

    /// ` (posting to `anfrage.php`)`, for messages that must name where the
    /// form used to post.
    fn posting(&self) -> String {
        match self.action().map(AttrValue::shown) {
            Some(a) if !a.trim().is_empty() && !self.label().contains("posting to") => {
                format!(" (posting to `{}`)", a.trim())
            }
            _ => String::new(),
        }
    }

    fn field_names(&self) -> BTreeSet<&str> {
        self.fields.iter().map(|f| f.name.as_str()).collect()
    }

    /// Whether the form carries data someone reads (an enquiry), rather than
    /// navigating (a GET search box).
    fn submits_data(&self) -> bool {
        self.method() != Method::Get
            || self.fields.iter().any(|f| {
                matches!(
                    f.kind.as_str(),
                    "textarea" | "input:email" | "input:tel" | "input:file" | "input:password"
                )
            })
    }

    /// Names of its submit buttons: `show_keys`, `leave_project`.
    pub fn control_names(&self) -> BTreeSet<&str> {
        self.controls
            .iter()
            .filter_map(|c| c.name.as_deref())
            .collect()
    }

    /// HTML's implicit submission: pressing Enter in a form without a
    /// submit button still submits it when exactly one field blocks
    /// implicit submission (a text, search, email… input). A one-field
    /// search form needs no button.
    fn submits_on_enter(&self) -> bool {
        let blocking = self
            .fields
            .iter()
            .filter(|f| {
                matches!(
                    f.kind.as_str(),
                    "input:text"
                        | "input:search"
                        | "input:email"
                        | "input:url"
                        | "input:tel"
                        | "input:password"
                        | "input:number"
                        | "input:date"
                        | "input:datetime-local"
                        | "input:month"
                        | "input:week"
                        | "input:time"
                )
            })
            .count();
        // A disabled submit button blocks implicit submission; a message
        // box is where people press Enter for a new line, and they click
        // the button that no longer works.
        let has_submit_button = self.controls.iter().any(|c| c.submits);
        let message_box = self.fields.iter().any(|f| f.kind == "textarea");
        blocking == 1 && !has_submit_button && !message_box
    }

    /// A form whose only input is its buttons (and hidden fields), with
    /// nothing in its body that a template could expand into fields.
    fn nothing_to_fill_in(&self) -> bool {
        let control_tag = |code: &str| {
            let c = code.trim_start_matches(['{', '%', '-', ' ']);
            [
                "csrf",
                "if ",
                "elif ",
                "else",
                "endif",
                "trans ",
                "translate ",
                "blocktrans",
                "endblocktrans",
            ]
            .iter()
            .any(|k| c.starts_with(k))
                || code.starts_with("@csrf")
        };
        self.fields.iter().all(|f| f.hidden) && self.body_template.iter().all(|c| control_tag(c))
    }

    fn usable_controls(&self) -> impl Iterator<Item = &SubmitControl> {
        self.controls
            .iter()
            .filter(|c| !c.disabled && (c.submits || c.scripted))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Dialog,
    Unknown,
}

/// The forms of one page version.
#[derive(Clone, Debug, Default)]
pub struct PageForms {
    pub forms: Vec<FormFacts>,
    /// HTML comments that contain a `<form`: forms commented out.
    pub commented: Vec<String>,
}

fn tag_of(node: Node, parsed: &Parsed) -> Option<Tag> {
    let start = match node.kind() {
        "element" | "script_element" | "style_element" => {
            let first = node.child(0)?;
            if !matches!(first.kind(), "start_tag" | "self_closing_tag") {
                return None;
            }
            first
        }
        _ => return None,
    };
    let mut tag = Tag {
        range: start.byte_range(),
        ..Tag::default()
    };
    let mut value_ranges = Vec::new();
    let mut cursor = start.walk();
    for child in start.children(&mut cursor) {
        match child.kind() {
            "tag_name" => tag.name = parsed.text_of(child).to_ascii_lowercase(),
            "attribute" => {
                let mut name = String::new();
                let mut value = AttrValue::Bare;
                let mut c2 = child.walk();
                for part in child.children(&mut c2) {
                    match part.kind() {
                        "attribute_name" => name = parsed.text_of(part).to_ascii_lowercase(),
                        "attribute_value" => {
                            value_ranges.push(part.byte_range());
                            value = read_value(part, parsed);
                        }
                        "quoted_attribute_value" => {
                            value_ranges.push(part.byte_range());
                            let mut c3 = part.walk();
                            value = part
                                .children(&mut c3)
                                .find(|n| n.kind() == "attribute_value")
                                .map_or(AttrValue::Literal(String::new()), |v| {
                                    read_value(v, parsed)
                                });
                        }
                        _ => {}
                    }
                }
                if !name.is_empty() {
                    tag.attrs.push(Attr {
                        name,
                        value,
                        span: child.byte_range(),
                    });
                }
            }
            _ => {}
        }
    }
    // Template code in the tag that is not inside an attribute value.
    tag.templated = parsed
        .template_regions
        .iter()
        .filter(|r| r.start >= tag.range.start && r.end <= tag.range.end)
        .any(|r| {
            !value_ranges
                .iter()
                .any(|v| v.start <= r.start && r.end <= v.end)
        });
    Some(tag)
}

fn read_value(node: Node, parsed: &Parsed) -> AttrValue {
    let raw = parsed.text_of(node).to_string();
    if parsed.is_templated(node.byte_range()) {
        AttrValue::Templated(raw)
    } else {
        AttrValue::Literal(decode_entities(&raw))
    }
}

/// The few character references that appear in actions and names.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&amp;", "&")
        .replace("&#35;", "#")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&sol;", "/")
}

impl Forms {
    /// Extracts the forms of a parsed page.
    pub fn facts(&self, parsed: &Parsed) -> PageForms {
        let mut page = PageForms::default();
        // Controls outside any form, linked with `form="id"`.
        let mut linked: Vec<(String, Node)> = Vec::new();
        let mut stack: Vec<(Node, Option<usize>)> = vec![(parsed.tree.root_node(), None)];
        while let Some((node, current)) = stack.pop() {
            let mut inner = current;
            match node.kind() {
                "comment" => {
                    let text = parsed.text_of(node);
                    if contains_form_tag(text) {
                        page.commented.push(text.to_string());
                    }
                    continue;
                }
                "element" => {
                    if let Some(tag) = tag_of(node, parsed) {
                        match tag.name.as_str() {
                            "form" => {
                                let ordinal = page.forms.len();
                                page.forms.push(FormFacts {
                                    ordinal,
                                    hidden: self.hidden_reason(node, parsed),
                                    body_template: body_template(node, &tag, parsed),
                                    tag,
                                    range: node.byte_range(),
                                    fields: Vec::new(),
                                    controls: Vec::new(),
                                });
                                inner = Some(ordinal);
                            }
                            "input" | "button" | "select" | "textarea" => {
                                match tag.literal("form").filter(|f| !f.is_empty()) {
                                    Some(owner) => linked.push((owner.to_string(), node)),
                                    None => {
                                        if let Some(i) = current {
                                            self.add_control(&mut page.forms[i], &tag, node);
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            for child in children.into_iter().rev() {
                if child.child_count() > 0 || child.kind() == "comment" {
                    stack.push((child, inner));
                }
            }
        }
        for (owner, node) in linked {
            if let (Some(tag), Some(i)) = (
                tag_of(node, parsed),
                page.forms
                    .iter()
                    .position(|f| f.id() == Some(owner.as_str())),
            ) {
                self.add_control(&mut page.forms[i], &tag, node);
            }
        }
        page
    }

    fn add_control(&self, form: &mut FormFacts, tag: &Tag, node: Node) {
        let ty = tag
            .get("type")
            .map(|v| match v {
                AttrValue::Templated(_) => "?".to_string(),
                v => v.literal().unwrap_or("").trim().to_ascii_lowercase(),
            })
            .unwrap_or_default();
        let disabled = tag.get("disabled").is_some() && !tag.templated;
        let scripted = tag
            .attrs
            .iter()
            .any(|a| has_prefix(&a.name, &self.tables.click_hook_attributes));
        // A void `<input>` ends at its start tag; tree-sitter stretches the
        // element over the whitespace after it.
        let span = if tag.name == "input" {
            tag.range.clone()
        } else {
            node.byte_range()
        };
        let name = tag
            .literal("name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let control = |submits: bool| SubmitControl {
            span: span.clone(),
            disabled,
            scripted: scripted && !submits,
            submits,
            name: name.clone(),
        };
        match (tag.name.as_str(), ty.as_str()) {
            ("button", "" | "submit" | "?") => form.controls.push(control(true)),
            ("button", "button") => form.controls.push(control(false)),
            ("button", _) => {}
            ("input", "submit" | "image") => form.controls.push(control(true)),
            ("input", "button") => form.controls.push(control(false)),
            ("input", "reset") => {}
            _ => {
                let Some(AttrValue::Literal(name)) = tag.get("name") else {
                    return;
                };
                if name.is_empty() {
                    return;
                }
                let kind = if tag.name == "input" {
                    format!("input:{}", if ty.is_empty() { "text" } else { &ty })
                } else {
                    tag.name.clone()
                };
                form.fields.push(Field {
                    name: name.clone(),
                    hidden: ty == "hidden",
                    required: tag.get("required").is_some() && !tag.templated,
                    kind,
                    span: node.byte_range(),
                });
            }
        }
    }

    /// Why the form is hidden, looking at the form and every element around
    /// it; `None` if nothing hides it (or only template code might).
    fn hidden_reason(&self, form: Node, parsed: &Parsed) -> Option<String> {
        let mut node = Some(form);
        while let Some(n) = node {
            if let Some(tag) = tag_of(n, parsed) {
                if !tag.templated {
                    if let Some(reason) = self.hides(&tag) {
                        let whose = if n.id() == form.id() {
                            "the form has".to_string()
                        } else {
                            format!("its container `{}` has", tag.describe())
                        };
                        return Some(format!("{whose} {reason}"));
                    }
                }
            }
            node = n.parent();
        }
        None
    }

    fn hides(&self, tag: &Tag) -> Option<String> {
        if tag.get("hidden").is_some_and(|v| {
            v.literal()
                .is_some_and(|v| !v.eq_ignore_ascii_case("until-found"))
        }) {
            return Some("the `hidden` attribute".into());
        }
        if let Some(style) = tag.literal("style") {
            let norm: String = style
                .to_ascii_lowercase()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            for decl in ["display:none", "visibility:hidden"] {
                if norm
                    .split(';')
                    .any(|d| d.trim_end_matches("!important") == decl)
                {
                    return Some(format!("the inline style `{decl}`"));
                }
            }
        }
        if tag
            .literal("aria-hidden")
            .is_some_and(|v| v.trim() == "true")
        {
            return Some("`aria-hidden=\"true\"`".into());
        }
        if let Some(class) = tag.literal("class") {
            let classes: Vec<&str> = class.split_whitespace().collect();
            let reveals = classes.iter().any(|c| {
                self.tables
                    .reveal_class_prefixes
                    .iter()
                    .any(|p| c.starts_with(p.as_str()))
            });
            if !reveals {
                if let Some(c) = classes
                    .iter()
                    .find(|c| self.tables.hidden_classes.iter().any(|h| h == *c))
                {
                    return Some(format!("the class `{c}`"));
                }
            }
        }
        None
    }

    fn submit_hook<'t>(&self, tag: &'t Tag) -> Option<&'t str> {
        tag.attrs
            .iter()
            .find(|a| {
                has_prefix(&a.name, &self.tables.submit_hook_attributes)
                    && !(a.name == "onsubmit"
                        && a.value.literal().is_some_and(|v| {
                            let v = v.trim().trim_end_matches(';').trim();
                            v == "return false" || v.is_empty()
                        }))
            })
            .map(|a| a.name.as_str())
    }
}

fn has_prefix(name: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| name.starts_with(p.as_str()))
}

fn body_template(form: Node, tag: &Tag, parsed: &Parsed) -> BTreeSet<String> {
    let body = tag.range.end..form.end_byte();
    parsed
        .template_code_in(body)
        .into_iter()
        .map(|code| code.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Whether text holds `<form` in any letter case: the byte-level
/// pre-filter, and the test for commented-out forms.
pub fn contains_form_tag(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr_iter(b'<', b).any(|i| {
        b.get(i + 1..i + 5)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"form"))
            && b.get(i + 5)
                .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'-')
    })
}

// ------------------------------------------------------------- matching --

/// How alike two forms are; 0 means no evidence they are the same form.
fn similarity(a: &FormFacts, b: &FormFacts) -> i64 {
    let mut score = 0;
    match (a.id(), b.id()) {
        (Some(x), Some(y)) if x == y => score += 100,
        _ => {}
    }
    match (a.name(), b.name()) {
        (Some(x), Some(y)) if x == y => score += 50,
        _ => {}
    }
    if let (Some(x), Some(y)) = (a.action(), b.action()) {
        if x.shown().trim() == y.shown().trim() && !x.shown().trim().is_empty() {
            score += 40;
        }
    }
    let (fa, fb) = (a.field_names(), b.field_names());
    let union = fa.union(&fb).count();
    if let Some(share) = (40 * fa.intersection(&fb).count()).checked_div(union) {
        score += share as i64;
    }
    let (ca, cb) = (a.control_names(), b.control_names());
    if !ca.is_empty() && ca == cb {
        score += 30;
    }
    if a.ordinal == b.ordinal {
        score += 5;
    }
    score
}

/// Pairs forms of two versions of a page: best evidence first, then what is
/// left in order when both sides have as many left. Returns the pairs and
/// the unmatched indices on each side.
fn match_forms(
    base: &[FormFacts],
    head: &[FormFacts],
) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let mut scored = Vec::new();
    for (i, a) in base.iter().enumerate() {
        for (j, b) in head.iter().enumerate() {
            let s = similarity(a, b);
            if s > 5 {
                scored.push((s, i, j));
            }
        }
    }
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut used_b = vec![false; base.len()];
    let mut used_h = vec![false; head.len()];
    let mut pairs = Vec::new();
    for (_, i, j) in scored {
        if !used_b[i] && !used_h[j] {
            used_b[i] = true;
            used_h[j] = true;
            pairs.push((i, j));
        }
    }
    let left_b: Vec<usize> = (0..base.len()).filter(|&i| !used_b[i]).collect();
    let left_h: Vec<usize> = (0..head.len()).filter(|&j| !used_h[j]).collect();
    if left_b.len() == left_h.len() {
        // Restyled beyond recognition but still there: pair in order, and
        // let the comparison report what changed. Forms that share nothing
        // (method, action, a field) are not one form restyled: a POST form
        // removed and an empty `<form>{% csrf_token %}</form>` added.
        let share = |a: &FormFacts, b: &FormFacts| {
            a.method() == b.method()
                || matches!((a.action(), b.action()), (Some(x), Some(y)) if x.shown().trim() == y.shown().trim())
                || !a.field_names().is_disjoint(&b.field_names())
        };
        let (mut rest_b, mut rest_h) = (Vec::new(), Vec::new());
        for (&i, &j) in left_b.iter().zip(&left_h) {
            if share(&base[i], &head[j]) {
                pairs.push((i, j));
            } else {
                rest_b.push(i);
                rest_h.push(j);
            }
        }
        pairs.sort();
        return (pairs, rest_b, rest_h);
    }
    // Unequal counts: align what is left in order, pairing forms that look
    // the same (method, action and fields), so a form added between two
    // anonymous forms does not make both look removed.
    // Whether it has a submit button tells an auto-submitted empty form
    // from the button form beside it.
    type Look<'f> = (
        Method,
        Option<String>,
        BTreeSet<&'f str>,
        BTreeSet<&'f str>,
        bool,
    );
    fn look(f: &FormFacts) -> Look<'_> {
        (
            f.method(),
            f.action().map(|a| a.shown().trim().to_string()),
            f.field_names(),
            f.control_names(),
            f.controls.iter().any(|c| c.submits),
        )
    }
    let (n, m) = (left_b.len(), left_h.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if look(&base[left_b[i]]) == look(&head[left_h[j]]) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut rest_b, mut rest_h) = (Vec::new(), Vec::new());
    while i < n && j < m {
        if look(&base[left_b[i]]) == look(&head[left_h[j]]) {
            pairs.push((left_b[i], left_h[j]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            rest_b.push(left_b[i]);
            i += 1;
        } else {
            rest_h.push(left_h[j]);
            j += 1;
        }
    }
    rest_b.extend_from_slice(&left_b[i..]);
    rest_h.extend_from_slice(&left_h[j..]);
    pairs.sort();
    (pairs, rest_b, rest_h)
}

/// Strong evidence that a form left one page and arrived on another.
fn same_form_elsewhere(a: &FormFacts, b: &FormFacts) -> bool {
    if let (Some(x), Some(y)) = (a.id(), b.id()) {
        return x == y;
    }
    let (fa, fb) = (a.field_names(), b.field_names());
    let union = fa.union(&fb).count();
    let fields_alike = union > 0 && fa.intersection(&fb).count() * 2 >= union;
    let same_action = matches!((a.action(), b.action()), (Some(x), Some(y)) if x.shown().trim() == y.shown().trim());
    // The name of a submit button is how a server tells its forms apart
    // (`invite_team_member`): a form that keeps it is the same form.
    let same_button = !a.control_names().is_disjoint(&b.control_names());
    (same_action && fields_alike) || (a.name().is_some() && a.name() == b.name()) || same_button
}

// ----------------------------------------------------------- comparing --

/// One page version with its forms, ready to compare.
struct PageSide<'a> {
    revision: Revision,
    path: &'a str,
    parsed: Option<Arc<Parsed>>,
    forms: PageForms,
}

impl PageSide<'_> {
    fn loc(&self, range: std::ops::Range<usize>) -> Location {
        let text = self.parsed.as_ref().map_or("", |p| &p.text);
        Location {
            revision: self.revision,
            path: self.path.to_string(),
            span: Span::from_bytes(text, range.start, range.end),
        }
    }

    fn form_loc(&self, form: &FormFacts) -> Location {
        self.loc(form.tag.range.clone())
    }

    fn text(&self, range: std::ops::Range<usize>) -> &str {
        self.parsed
            .as_ref()
            .and_then(|p| p.text.get(range))
            .unwrap_or("")
    }
}

impl Forms {
    fn page_side<'a>(
        &self,
        cx: &Context,
        file: &'a ChangedFile,
        rev: Revision,
    ) -> Option<PageSide<'a>> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let text = version.text()?;
        let jsx = is_jsx(lang);
        let parsed = if (lang.is_markup() || jsx) && contains_form_tag(text) {
            cx.parsed(version, lang)
        } else {
            None
        };
        let forms = parsed
            .as_deref()
            .map(|p| {
                if jsx {
                    self.facts_jsx(p)
                } else {
                    self.facts(p)
                }
            })
            .unwrap_or_default();
        Some(PageSide {
            revision: rev,
            path: &version.path,
            parsed,
            forms,
        })
    }
}

/// Components whose markup is JSX.
fn is_jsx(lang: Lang) -> bool {
    matches!(lang, Lang::JavaScript | Lang::Tsx)
}

/// Where a relative action may be served from, as repository paths.
fn handler_candidates(page: &str, action: &str, tables: &Tables) -> Vec<String> {
    let action = action.trim();
    let action = action.split(['?', '#']).next().unwrap_or("");
    if action.is_empty()
        || action.contains("://")
        || action.starts_with("//")
        || action.contains(':')
        || action.contains(['{', '}', '<', '>', '$'])
    {
        return Vec::new();
    }
    let page_dir = page.rsplit_once('/').map_or("", |(d, _)| d);
    let mut bases: Vec<String> = Vec::new();
    let rel = if let Some(rooted) = action.strip_prefix('/') {
        bases.push(String::new());
        let mut dir = String::new();
        for part in page_dir.split('/').filter(|p| !p.is_empty()) {
            dir.push_str(part);
            dir.push('/');
            bases.push(dir.clone());
        }
        for w in &tables.webroots {
            bases.push(format!("{w}/"));
        }
        rooted
    } else {
        bases.push(if page_dir.is_empty() {
            String::new()
        } else {
            format!("{page_dir}/")
        });
        action
    };
    let mut out = Vec::new();
    for base in bases {
        let Some(path) = normalize(&format!("{base}{rel}")) else {
            continue;
        };
        if path.is_empty() || rel.ends_with('/') {
            for index in &tables.index_files {
                out.push(if path.is_empty() {
                    index.clone()
                } else {
                    format!("{path}/{index}")
                });
            }
        } else {
            out.push(path);
        }
    }
    out.dedup();
    out
}

/// Resolves `.` and `..`; `None` when the path climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

struct Compared<'a> {
    base: &'a PageSide<'a>,
    head: &'a PageSide<'a>,
}

impl Forms {
    fn compare_pair(
        &self,
        cx: &Context,
        pages: Compared,
        b: &FormFacts,
        h: &FormFacts,
        out: &mut Vec<Finding>,
    ) {
        let (bp, hp) = (pages.base, pages.head);
        let label = h.label();
        let page = hp.path;
        let subject = h.subject();
        let hook = self.submit_hook(&h.tag);

        // --- action and method
        let base_action = b.action();
        let head_action = h.action();
        // A `javascript:` action never posted: script handled the form in
        // base, and what handles it in head is not visible here.
        let scripted = base_action.is_some_and(|v| {
            v.shown()
                .trim_start()
                .get(..11)
                .is_some_and(|p| p.eq_ignore_ascii_case("javascript:"))
        });
        let base_usable = !scripted
            && match base_action {
                None => false,
                // `{{ request.path }}` and friends name the page itself.
                Some(AttrValue::Templated(t)) => {
                    let t = t.trim_start();
                    !t.starts_with('?')
                        && ![
                            "request.path",
                            "request.get_full_path",
                            "request.url",
                            "request()->url",
                            "request.fullpath",
                        ]
                        .iter()
                        .any(|p| t.contains(p))
                }
                // `?next=…` posts to the page itself, as an empty action does:
                // emptying it changes nothing (Django's login templates do this).
                // So does `./` on the slash-terminated URLs of Django and most
                // frameworks.
                Some(v) => {
                    let a = v.literal().unwrap_or("").trim();
                    let rest = a
                        .strip_prefix("./")
                        .or_else(|| a.strip_prefix('.'))
                        .unwrap_or(a);
                    let itself = a != rest && (rest.is_empty() || rest.starts_with(['?', '#']));
                    !is_dead_action(a) && !a.starts_with('?') && !itself
                }
            };
        let mut action_broken = false;
        if let Some(provider) = self.hosted_action_lost(b, h) {
            // The hosted service is what is lost: say that, once.
            out.push(self.hosted_finding(bp, hp, b, h, &provider));
            action_broken = true;
        } else if base_usable && hook.is_none() {
            let old = base_action.map(AttrValue::shown).unwrap_or_default();
            let problem = match head_action {
                Some(AttrValue::Templated(_)) => None,
                Some(v) => {
                    let new = v.literal().unwrap_or("");
                    is_dead_action(new).then(|| {
                        let what = if new.trim().is_empty() {
                            "empty".to_string()
                        } else {
                            format!("`{}`", new.trim())
                        };
                        format!(
                            "The {label} on `{page}` no longer posts anywhere: its action changed from `{old}` to {what}. Every submission is now lost."
                        )
                    })
                }
                None if !h.tag.templated
                    && !page_view_handles_post(cx, page)
                    && !action_set_by_script(cx, hp, h) =>
                {
                    Some(format!(
                    "The {label} on `{page}` lost its `action` attribute (it posted to `{old}`): the browser now sends it to the page itself, which does not handle it."
                ))
                }
                None => None,
            };
            if let Some(message) = problem {
                action_broken = true;
                let at = h
                    .tag
                    .attr("action")
                    .map_or(h.tag.range.clone(), |a| a.span.clone());
                out.push(
                    Finding::new("forms/action-broken", hp.loc(at), subject.clone(), message)
                        .related(bp.form_loc(b), format!("in base it posted to `{old}`"))
                        .evidence("page", page)
                        .evidence("form", label.clone())
                        .evidence("old_action", old)
                        .evidence(
                            "new_action",
                            head_action
                                .map(AttrValue::shown)
                                .unwrap_or_else(|| "(none)".into()),
                        ),
                );
            }
        }
        if !action_broken
            && b.method() == Method::Post
            && h.method() == Method::Get
            && hook.is_none()
        {
            let at = h
                .tag
                .attr("method")
                .map_or(h.tag.range.clone(), |a| a.span.clone());
            let target = head_action
                .map(AttrValue::shown)
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "the page itself".into());
            out.push(
                Finding::new(
                    "forms/action-broken",
                    hp.loc(at),
                    format!("{subject}/method"),
                    format!(
                        "The {label} on `{page}` now submits with GET instead of POST: a handler at `{target}` that reads POST data receives nothing, and the fields end up in URLs and server logs."
                    ),
                )
                .severity(Severity::Medium)
                .related(bp.form_loc(b), "in base it used method=\"post\"")
                .evidence("page", page)
                .evidence("form", label.clone())
                .evidence("old_method", "POST")
                .evidence("new_method", "GET"),
            );
        }

        self.check_netlify(bp, hp, b, h, out);
        self.check_submit_handler(bp, hp, b, h, out);

        // --- submit controls
        let base_can_submit = b.usable_controls().next().is_some();
        let head_can_submit = h.usable_controls().next().is_some();
        let new_template: Vec<&String> = h.body_template.difference(&b.body_template).collect();
        if base_can_submit
            && !head_can_submit
            && new_template.is_empty()
            && hook.is_none()
            && !submitted_by_script(cx, hp, h)
            && !h.submits_on_enter()
        {
            let (at, what) = if let Some(c) = h.controls.iter().find(|c| c.submits && c.disabled) {
                (
                    c.span.clone(),
                    "its submit button is now `disabled`".to_string(),
                )
            } else if let Some(c) = h.controls.iter().find(|c| !c.submits) {
                (
                    c.span.clone(),
                    "its submit button became `type=\"button\"` with no click handler wired"
                        .to_string(),
                )
            } else {
                (
                    h.tag.range.clone(),
                    "its submit button was removed".to_string(),
                )
            };
            let old = b
                .usable_controls()
                .next()
                .map(|c| bp.text(c.span.clone()).trim().to_string())
                .unwrap_or_default();
            let old_loc = b
                .usable_controls()
                .next()
                .map_or_else(|| bp.form_loc(b), |c| bp.loc(c.span.clone()));
            out.push(
                Finding::new(
                    "forms/submit-disabled",
                    hp.loc(at),
                    subject.clone(),
                    format!("The {label} on `{page}`{} can no longer be submitted: {what}. Visitors can fill it in but never send it.", b.posting()),
                )
                .related(old_loc, format!("in base: {}", one_line(&old, 80)))
                .evidence("page", page)
                .evidence("form", label.clone()),
            );
        }

        // --- hidden
        if let (None, Some(reason)) = (&b.hidden, &h.hidden) {
            out.push(
                Finding::new(
                    "forms/hidden",
                    hp.form_loc(h),
                    subject.clone(),
                    format!("The {label} on `{page}`{} is now hidden: {reason}. Visitors no longer see it.", b.posting()),
                )
                .related(bp.form_loc(b), "visible in base")
                .evidence("page", page)
                .evidence("form", label.clone())
                .evidence("hidden_by", reason.clone()),
            );
        }

        // --- fields
        // Fields matter to the handler that reads them: a form that now
        // posts elsewhere (another provider) is expected to rename them.
        let same_handler = b.action().map(|a| a.shown().trim().to_string())
            == h.action().map(|a| a.shown().trim().to_string());
        if new_template.is_empty() && same_handler {
            self.compare_fields(pages, b, h, out);
        }

        // --- handler
        self.check_handler(cx, hp, h, Some((bp, b)), out);
    }

    fn compare_fields(
        &self,
        pages: Compared,
        b: &FormFacts,
        h: &FormFacts,
        out: &mut Vec<Finding>,
    ) {
        let (bp, hp) = (pages.base, pages.head);
        let head_names = h.field_names();
        let base_names = b.field_names();
        let label = h.label();
        // `to` and `to[]` are one parameter to PHP, Rails and most form
        // parsers: a field that became a list still arrives under its name.
        let key = |n: &str| n.trim_end_matches("[]").to_string();
        let head_keys: BTreeSet<String> = head_names.iter().map(|n| key(n)).collect();
        let base_keys: BTreeSet<String> = base_names.iter().map(|n| key(n)).collect();
        let gone: Vec<&Field> = b
            .fields
            .iter()
            .filter(|f| !f.hidden && !head_keys.contains(&key(&f.name)))
            .collect();
        let mut added: Vec<&Field> = h
            .fields
            .iter()
            .filter(|f| !f.hidden && !base_keys.contains(&key(&f.name)))
            .collect();
        let mut reported = BTreeSet::new();
        for field in gone {
            if !reported.insert(field.name.as_str()) {
                continue;
            }
            // A rename: the same kind of control took its place.
            let renamed_to = added.iter().position(|a| a.kind == field.kind);
            let renamed = renamed_to.map(|i| added.remove(i));
            let (severity, message, at) = match (field.required, renamed) {
                (true, Some(new)) => (
                    Severity::Medium,
                    format!(
                        "The required field `{}` of the {label} on `{}`{} was renamed to `{}`: a handler that still reads `{}` gets nothing and may reject every submission.",
                        field.name, hp.path, b.posting(), new.name, field.name
                    ),
                    hp.loc(new.span.clone()),
                ),
                (true, None) => (
                    Severity::Medium,
                    format!("The required field `{}` of the {label} on `{}`{} is gone: a handler that expects it may reject every submission.", field.name, hp.path, b.posting()),
                    hp.form_loc(h),
                ),
                (false, Some(new)) => (
                    Severity::Low,
                    format!(
                        "The field `{}` of the {label} on `{}`{} was renamed to `{}`: a handler that still reads `{}` gets nothing.",
                        field.name, hp.path, b.posting(), new.name, field.name
                    ),
                    hp.loc(new.span.clone()),
                ),
                (false, None) => continue,
            };
            out.push(
                Finding::new(
                    "forms/field-removed",
                    at,
                    format!("{}/field:{}", h.subject(), field.name),
                    message,
                )
                .severity(severity)
                .related(
                    bp.loc(field.span.clone()),
                    format!("`{}` in base", field.name),
                )
                .evidence("page", hp.path)
                .evidence("form", label.clone())
                .evidence("field", field.name.clone()),
            );
        }
    }

    /// `forms/handler-missing` for one head form: its relative action
    /// resolved to a file in base (the matched base form's, or its own) and
    /// resolves to nothing in head.
    fn check_handler(
        &self,
        cx: &Context,
        hp: &PageSide,
        h: &FormFacts,
        base: Option<(&PageSide, &FormFacts)>,
        out: &mut Vec<Finding>,
    ) {
        let Some(AttrValue::Literal(action)) = h.action() else {
            return;
        };
        if is_dead_action(action) {
            return;
        }
        let head_candidates = handler_candidates(hp.path, action, &self.tables);
        if head_candidates.is_empty()
            || head_candidates.iter().any(|c| cx.exists(Revision::Head, c))
        {
            return;
        }
        let mut base_candidates = head_candidates.clone();
        if let Some((bp, b)) = base {
            if let Some(AttrValue::Literal(old)) = b.action() {
                base_candidates.extend(handler_candidates(bp.path, old, &self.tables));
            }
        }
        let Some(was) = base_candidates
            .iter()
            .find(|c| cx.exists(Revision::Base, c))
        else {
            return;
        };
        let label = h.label();
        let renamed_to = cx
            .files
            .iter()
            .find(|f| f.change.base.as_ref().is_some_and(|b| &b.path == was))
            .map(|f| f.change.head.as_ref().map(|h| h.path.clone()));
        let why = if cx.exists(Revision::Head, was) {
            // The handler is still there; the page moved or the action
            // changed, and the action no longer reaches it.
            format!(
                "which now resolves to `{}`, where nothing exists (in base it reached `{was}`)",
                head_candidates[0]
            )
        } else {
            match renamed_to {
                Some(Some(moved)) if &moved != was => {
                    format!("but `{was}` was renamed to `{moved}` in this change")
                }
                Some(_) => format!("but `{was}` was deleted in this change"),
                None => format!("but `{was}` no longer exists"),
            }
        };
        let mut f = Finding::new(
            "forms/handler-missing",
            hp.loc(
                h.tag
                    .attr("action")
                    .map_or(h.tag.range.clone(), |a| a.span.clone()),
            ),
            h.subject(),
            format!(
                "The {label} on `{}` posts to `{}`, {why}: every submission now ends in a 404.",
                hp.path,
                action.trim()
            ),
        )
        .evidence("page", hp.path)
        .evidence("form", label)
        .evidence("action", action.trim())
        .evidence("handler", was.clone());
        if let Some(v) = cx
            .files
            .iter()
            .find(|f| f.change.base.as_ref().is_some_and(|b| &b.path == was))
            .and_then(|f| f.base.as_ref())
        {
            if let Some(text) = v.text() {
                f = f.related(
                    Location {
                        revision: Revision::Base,
                        path: was.clone(),
                        span: Span::line_of(text, 1),
                    },
                    "the handler as it stood in base",
                );
            }
        }
        out.push(f);
    }

    /// An enquiry form: a message box named like a message (`message`,
    /// `nachricht`, `comment`), not a settings text area (`signature`).
    fn is_enquiry(&self, form: &FormFacts) -> bool {
        form.fields.iter().any(|f| {
            f.kind == "textarea"
                && crate::readers::words::words(&f.name)
                    .iter()
                    .any(|w| self.tables.message_field_words.contains(w))
        })
    }

    /// Another page of head that still holds the same form (same action
    /// and fields, or the same id or name): the removal leaves a copy
    /// users can reach. Only distinctive forms are looked for, and the
    /// head pages are read only when a form is removed.
    fn twin_on_other_page(
        &self,
        cx: &Context,
        pages: &[FileVersion],
        page: &str,
        b: &FormFacts,
    ) -> Option<String> {
        let fields: Vec<&str> = b
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_str())
            .collect();
        if fields.len() < 2 && b.id().is_none() && b.name().is_none() {
            return None;
        }
        // The longest field name is the least common one to look for.
        let needle = fields.iter().copied().max_by_key(|f| f.len())?;
        let mut twins: Vec<String> = pages
            .iter()
            .filter(|v| v.path != page)
            .filter(|v| {
                v.text().is_some_and(|t| {
                    t.contains(&format!("name=\"{needle}\""))
                        || t.contains(&format!("name='{needle}'"))
                })
            })
            .filter(|v| {
                let lang = crate::pipeline::lang::detect(&v.path);
                cx.parsed(v, lang).is_some_and(|parsed| {
                    self.facts(&parsed)
                        .forms
                        .iter()
                        .any(|h| h.method() == b.method() && same_form_elsewhere(b, h))
                })
            })
            .map(|v| v.path.clone())
            .collect();
        twins.sort();
        twins.into_iter().next()
    }

    fn removed(
        &self,
        bp: &PageSide,
        b: &FormFacts,
        head: Option<&PageSide>,
        twin: Option<String>,
        retired: Option<String>,
        out: &mut Vec<Finding>,
    ) {
        let label = b.label();
        let action = b
            .action()
            .map(AttrValue::shown)
            .filter(|a| !a.trim().is_empty());
        let hook = self
            .submit_hook(&b.tag)
            .and_then(|h| b.tag.get(h))
            .map(AttrValue::shown);
        let posted = match (&action, hook) {
            (Some(a), _) => format!("it posted to `{}`", a.trim()),
            (None, Some(h)) => format!("it was submitted by `{}`", h.trim()),
            (None, None) => "it posted to the page itself".to_string(),
        };
        let why = match head {
            None => format!("the page `{}` was deleted", bp.path),
            Some(hp) if hp.forms.commented.iter().any(|c| commented_copy_of(c, b)) => {
                "it was commented out".to_string()
            }
            Some(hp) if hp.path != bp.path => {
                format!("the page was moved to `{}` without it", hp.path)
            }
            Some(_) => "the form element was removed".to_string(),
        };
        let mut fields: Vec<&str> = b
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_str())
            .collect();
        fields.dedup();
        let field_list = if fields.is_empty() {
            String::new()
        } else {
            format!(" (fields: {})", one_line(&fields.join(", "), 80))
        };
        let (message, finding_severity) = if let Some(retired) = &retired {
            (
                format!(
                    "The {label} on `{}` is gone: {why}. In base {posted}{field_list}. Its server side went in the same change ({retired}): a feature retired on purpose, not a form that lost its handler.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        } else if let Some(twin) = &twin {
            (
                format!(
                    "The {label} on `{}` is gone: {why}. In base {posted}{field_list}. The same form is still on `{twin}`, so users who find that page can still send it; check that this page no longer needs it.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        } else if b.nothing_to_fill_in() {
            // A POST form that is only a button (`show_keys`, `leave
            // project`): an action in an application screen, not a
            // message anybody writes.
            (
                if b.controls.is_empty() {
                    format!(
                        "The {label} on `{}` is gone: {why}. In base {posted}; it had no fields and no button (a form that script submits): no enquiries are lost.",
                        bp.path
                    )
                } else {
                    format!(
                        "The {label} on `{}` is gone: {why}. In base {posted}; it had no fields a visitor fills in, only its button: no enquiries are lost, but users lose what the button did.",
                        bp.path
                    )
                },
                Some(Severity::Low),
            )
        } else if b.submits_data() {
            (
                format!("The {label} on `{}` is gone: {why}. In base {posted}{field_list}; visitors can no longer send it.", bp.path),
                None,
            )
        } else if let (None, Some(h)) = (&action, self.submit_hook(&b.tag)) {
            // An application form sent by script (`@submit.prevent`,
            // `onSubmit`), without message or contact fields: settings and
            // admin screens, usually removed on purpose.
            (
                format!(
                    "The {label} on `{}` is gone: {why}. It was sent by script (`{h}`) and had no message or contact fields{field_list}: no enquiries are lost, but users lose what it did.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        } else {
            (
                format!(
                    "The {label} on `{}` is gone: {why}. It was a GET form without message or contact fields (search or navigation){field_list}: no enquiries are lost, but visitors lose what it did.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        };
        let mut f = Finding::new("forms/removed", bp.form_loc(b), b.subject(), message)
            .evidence("page", bp.path)
            .evidence("form", label)
            .evidence(
                "old_action",
                action
                    .map(|a| a.trim().to_string())
                    .unwrap_or_else(|| "(none)".into()),
            );
        if let Some(s) = finding_severity {
            f = f.severity(s);
        }
        out.push(f);
    }
}

fn commented_copy_of(comment: &str, form: &FormFacts) -> bool {
    let needle = |attr: &str, v: &str| {
        comment.contains(&format!("{attr}=\"{v}\""))
            || comment.contains(&format!("{attr}='{v}'"))
            || comment.contains(&format!("{attr}={v}"))
    };
    if let Some(id) = form.id() {
        return needle("id", id);
    }
    if let Some(AttrValue::Literal(a)) = form.action() {
        return needle("action", a);
    }
    form.fields
        .iter()
        .filter(|f| !f.hidden)
        .all(|f| needle("name", &f.name))
}

fn is_dead_action(action: &str) -> bool {
    let a = action.trim().to_ascii_lowercase();
    a.is_empty() || a == "#" || a.starts_with("javascript:") || a == "about:blank"
}

fn one_line(s: &str, max: usize) -> String {
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
        lang.is_markup()
            || crate::readers::routes::may_declare_routes(path, lang)
            // Content that can hold form shortcodes, and the manifests that
            // install forms plugins.
            || [".md", ".markdown", ".txt", ".xml"].iter().any(|e| name.ends_with(e))
            || name == "composer.json"
            || name == "package.json"
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        (lang.is_markup() || is_jsx(lang)) && contains_form_tag(text)
            || crate::readers::routes::may_declare_routes(path, lang)
                && crate::readers::routes::mentions_routes(path, lang, text)
                && lang != Lang::Php
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        let files: Vec<&ChangedFile> = cx
            .files
            .iter()
            .filter(|f| {
                f.base_lang.is_markup()
                    || f.head_lang.is_markup()
                    || is_jsx(f.base_lang)
                    || is_jsx(f.head_lang)
            })
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

        // Within each page: pairs compared, leftovers kept for a second
        // round across pages (a form moved into a partial).
        let mut lost: Vec<(usize, usize)> = Vec::new(); // (page, base form)
        let mut arrived: Vec<(usize, usize)> = Vec::new(); // (page, head form)
        for (p, (base, head)) in pages.iter().enumerate() {
            let base_forms = base.as_ref().map_or(&[][..], |b| &b.forms.forms[..]);
            let head_forms = head.as_ref().map_or(&[][..], |h| &h.forms.forms[..]);
            let (pairs, left_b, left_h) = match_forms(base_forms, head_forms);
            if let (Some(bp), Some(hp)) = (base, head) {
                for (i, j) in pairs {
                    self.compare_pair(
                        cx,
                        Compared { base: bp, head: hp },
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
        // Read once, and only if a form is removed.
        let head_pages = std::cell::OnceCell::new();
        for (p, i) in lost {
            let (Some(bp), head) = (&pages[p].0, &pages[p].1) else {
                continue;
            };
            let b = &bp.forms.forms[i];
            let moved = arrived.iter().enumerate().find(|(k, (q, j))| {
                !taken[*k]
                    && pages[*q]
                        .1
                        .as_ref()
                        .is_some_and(|hp| same_form_elsewhere(b, &hp.forms.forms[*j]))
            });
            match moved {
                Some((k, &(q, j))) => {
                    taken[k] = true;
                    if let Some(hp) = &pages[q].1 {
                        self.compare_pair(
                            cx,
                            Compared { base: bp, head: hp },
                            b,
                            &hp.forms.forms[j],
                            &mut out,
                        );
                    }
                }
                None => {
                    let file = files[p];
                    if !self.moved_into_partial(cx, file, b) {
                        // A form with a message box is an enquiry form:
                        // losing it stays high even with its handler gone
                        // or a copy on another page (incident 1), and the
                        // search for either is not paid for it.
                        let enquiry = self.is_enquiry(b);
                        let twin = (!enquiry)
                            .then(|| {
                                let pages = head_pages.get_or_init(|| head_form_pages(cx));
                                self.twin_on_other_page(cx, pages, bp.path, b)
                            })
                            .flatten();
                        let retired = (!enquiry).then(|| handler_code_retired(cx, b)).flatten();
                        self.removed(bp, b, head.as_ref(), twin, retired, &mut out);
                    }
                }
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
        self.unchanged_pages_losing_handlers(cx, &mut out);
        self.check_unrouted(cx, &pages, &mut out);
        self.check_shortcodes(cx, &mut out);
        self.check_plugins(cx, &mut out);
        out
    }
}

/// The change also removed the code that read the form: a changed Python,
/// PHP, Ruby or JS file quoted the form's submit-button name, or every one
/// of its field names, in base and no longer does in head. Says where.
fn handler_code_retired(cx: &Context, form: &FormFacts) -> Option<String> {
    let buttons: Vec<&str> = form.control_names().into_iter().collect();
    let fields: Vec<&str> = form
        .fields
        .iter()
        .filter(|f| !f.hidden)
        .map(|f| f.name.as_str())
        .collect();
    if buttons.is_empty() && fields.is_empty() {
        return None;
    }
    // How code reads a submitted key: `request.POST["k"]`, `$_POST['k']`,
    // `input('k')`, `"k" in request.POST`, `params[:k]`. An HTML attribute
    // `name="k"` is not a read.
    let quoted = |t: &str, k: &str| {
        ['"', '\''].iter().any(|q| {
            t.contains(&format!("[{q}{k}{q}]"))
                || t.contains(&format!("({q}{k}{q}"))
                || t.contains(&format!("{q}{k}{q} in "))
        }) || t.contains(&format!("[:{k}]"))
            || t.contains(&format!("(:{k})"))
    };
    for file in cx.files {
        let Some(base) = file.base.as_ref().and_then(|v| v.text()) else {
            continue;
        };
        if !matches!(
            file.base_lang,
            Lang::Python | Lang::Php | Lang::Ruby | Lang::JavaScript | Lang::TypeScript
        ) {
            continue;
        }
        // Tests quote field names too; what counts is the code that serves.
        let path_lower = file.path().to_ascii_lowercase();
        let is_test = path_lower
            .split('/')
            .any(|seg| matches!(seg, "test" | "tests" | "spec" | "specs" | "__tests__"))
            || path_lower.rsplit('/').next().is_some_and(|n| {
                n.starts_with("test_")
                    || n.contains("_test.")
                    || n.contains(".test.")
                    || n.contains("_spec.")
            });
        if is_test {
            continue;
        }
        let head = file.head.as_ref().and_then(|v| v.text()).map_or("", |t| t);
        let gone = |k: &str| quoted(base, k) && !quoted(head, k);
        let path = &file.base.as_ref()?.path;
        if let Some(b) = buttons.iter().find(|b| gone(b)) {
            return Some(format!("`{b}` is no longer read in `{path}`"));
        }
        if !fields.is_empty() && fields.iter().all(|f| gone(f)) {
            return Some(format!("its fields are no longer read in `{path}`"));
        }
    }
    None
}

/// Whether script submits the form: an inline `<script>` of the page or
/// a JavaScript file of head calls `.submit()` / `requestSubmit()` and
/// names the form (`#create-key-form`, `getElementById("form")`) or one of
/// its fields in a selector (`input[name=theme]` … `this.form.submit()`).
/// Such a form needs no button; losing one is a design choice.
fn submitted_by_script(cx: &Context, page: &PageSide, form: &FormFacts) -> bool {
    script_handles(cx, page, form, &[".submit(", "requestSubmit("])
}

/// Whether script sets the form's action (`$("#f").attr("action", url)`,
/// `form.action = url`): a form without an `action` in its markup is then
/// not posting to the page itself.
fn action_set_by_script(cx: &Context, page: &PageSide, form: &FormFacts) -> bool {
    script_handles(
        cx,
        page,
        form,
        &[
            "attr(\"action\"",
            "attr('action'",
            ".action =",
            ".action=",
            "setAttribute(\"action\"",
            "setAttribute('action'",
            "formAction",
        ],
    )
}

/// Whether an inline script of the page or a JS file of head does one of
/// `verbs` and names the form by id or one of its fields by a selector.
fn script_handles(cx: &Context, page: &PageSide, form: &FormFacts, verbs: &[&str]) -> bool {
    let mut needles: Vec<String> = Vec::new();
    if let Some(id) = form.id() {
        needles.extend([format!("#{id}"), format!("\"{id}\""), format!("'{id}'")]);
    }
    for f in &form.fields {
        let n = &f.name;
        needles.extend([
            format!("name={n}]"),
            format!("name=\"{n}\"]"),
            format!("name='{n}']"),
        ]);
    }
    if needles.is_empty() {
        return false;
    }
    let names_form = |t: &str| {
        verbs.iter().any(|v| t.contains(v)) && needles.iter().any(|n| t.contains(n.as_str()))
    };
    let page_text = page.parsed.as_ref().map_or("", |p| &p.text);
    let inline = page_text
        .split("<script")
        .skip(1)
        .any(|s| names_form(s.split("</script>").next().unwrap_or("")));
    if inline {
        return true;
    }
    cx.head_files(FileGroup::Script)
        .iter()
        .any(|v| v.text().is_some_and(|t| names_form(t)))
}

/// How code names a template: `integrations/add_slack.html` under a
/// `templates/` root (Django, Flask, Symfony), `emails.contact` or
/// `emails/contact` under Laravel's `resources/views/`.
fn template_names(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, rest)) = page.rsplit_once("resources/views/") {
        let bare = rest.trim_end_matches(".blade.php").trim_end_matches(".php");
        out.push(bare.replace('/', "."));
        out.push(bare.to_string());
    } else if let Some(rest) = page
        .rsplit_once("templates/")
        .map(|(_, r)| r)
        .or_else(|| page.strip_prefix("templates/"))
    {
        out.push(rest.to_string());
    }
    out
}

/// Whether the view that renders a page also handles its POST: a Python
/// or PHP function that names the template and reads a submission
/// (`request.method == "POST"`, `validate_on_submit()`, `isSubmitted()`).
/// A form without an `action` posts to its page's own URL, so that view
/// receives it.
fn page_view_handles_post(cx: &Context, page: &str) -> bool {
    const READS_POST: &[&str] = &[
        "\"POST\"",
        "'POST'",
        "request.POST",
        "request.form",
        "validate_on_submit",
        "isMethod('post')",
        "isMethod('POST')",
        "isSubmitted()",
        "handleRequest(",
        "$_POST",
        "$request->validate(",
        "$request->input(",
    ];
    let names = template_names(page);
    if names.is_empty() {
        return false;
    }
    cx.head_files(FileGroup::ServerCode).iter().any(|v| {
        let Some(text) = v.text() else {
            return false;
        };
        names.iter().any(|name| {
            [format!("\"{name}\""), format!("'{name}'")]
                .iter()
                .any(|quoted| {
                    text.match_indices(quoted.as_str()).any(|(at, _)| {
                        // The function around the mention: from the `def` or
                        // `function` line before it to the next one.
                        let start = text[..at]
                            .rfind("def ")
                            .into_iter()
                            .chain(text[..at].rfind("function "))
                            .max()
                            .unwrap_or(0);
                        let after = &text[at..];
                        let end = at
                            + [
                                after.find("\ndef "),
                                after.find("\n    def "),
                                after.find("function "),
                            ]
                            .into_iter()
                            .flatten()
                            .min()
                            .unwrap_or(after.len());
                        let body = &text[start..end];
                        READS_POST.iter().any(|m| body.contains(m))
                    })
                })
        })
    })
}

/// The markup files of head that hold a `<form`, outside excluded paths.
pub(crate) fn head_form_pages(cx: &Context) -> Vec<FileVersion> {
    cx.head_files(FileGroup::Markup)
        .iter()
        .filter(|v| v.text().is_some_and(|t| contains_form_tag(t)))
        .cloned()
        .collect()
}

/// The templates a page includes, as written: `{% include 'a/b.html' %}`,
/// `{{ include('a.twig') }}`, `@include('partials.form')`,
/// `<%= render 'shared/form' %>`, `{% render 'contact' %}`.
fn included_templates(text: &str, lang: Lang) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in crate::pipeline::template::template_regions(text, lang) {
        let code = text.get(r).unwrap_or("");
        let inner = code.trim_matches(|c: char| "{}%<>=@-!# ".contains(c));
        let verb = inner
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        if !matches!(
            verb,
            "include" | "embed" | "render" | "partial" | "includeIf" | "includeWhen"
        ) {
            continue;
        }
        let Some(q) = inner.find(['\'', '"']) else {
            continue;
        };
        let quote = inner[q..].chars().next().unwrap_or('"');
        if let Some(end) = inner[q + 1..].find(quote) {
            out.insert(inner[q + 1..q + 1 + end].to_string());
        }
    }
    out
}

/// Whether a repository path is what an include names, in the conventions
/// of Django/Jinja/Twig (path under a template root), Blade (dotted names
/// under `views/`), Rails (`_partial`) and Liquid (`snippets/`).
fn include_names(path: &str, include: &str) -> bool {
    let include = include.trim_start_matches('/');
    if include.is_empty() {
        return false;
    }
    let under = |p: &str| path == p || path.ends_with(&format!("/{p}"));
    if under(include) {
        return true;
    }
    let dotted = include.replace('.', "/");
    if under(&format!("{dotted}.blade.php")) || under(&format!("snippets/{include}.liquid")) {
        return true;
    }
    // Rails: `shared/form` is `shared/_form.html.erb`.
    let (dir, name) = include.rsplit_once('/').unwrap_or(("", include));
    let file = path.rsplit('/').next().unwrap_or(path);
    file.starts_with(&format!("_{name}."))
        && (dir.is_empty() || path.contains(&format!("{dir}/_{name}.")))
}

impl Forms {
    /// A form that left a page into a partial the page now includes (the
    /// "extract the form into an include" refactor) is not removed. When
    /// the partial is part of the change, its forms were compared there.
    fn moved_into_partial(&self, cx: &Context, file: &ChangedFile, b: &FormFacts) -> bool {
        let (Some(hv), Some(bv)) = (file.head.as_ref(), file.base.as_ref()) else {
            return false;
        };
        let (Some(ht), Some(bt)) = (hv.text(), bv.text()) else {
            return false;
        };
        let before = included_templates(bt, file.base_lang);
        let new: Vec<String> = included_templates(ht, file.head_lang)
            .into_iter()
            .filter(|i| !before.contains(i))
            .collect();
        if new.is_empty() {
            return false;
        }
        let listing = cx.all_files(Revision::Head);
        listing
            .iter()
            .filter(|(path, _)| new.iter().any(|i| include_names(path, i)))
            .filter_map(|(path, _)| cx.lookup(Revision::Head, path))
            .any(|v| {
                let lang = crate::pipeline::lang::detect(&v.path);
                let Some(parsed) = v
                    .text()
                    .filter(|t| lang.is_markup() && contains_form_tag(t))
                    .and_then(|_| cx.parsed(&v, lang))
                else {
                    return false;
                };
                self.facts(&parsed).forms.iter().any(|h| {
                    h.method() == b.method()
                        && (same_form_elsewhere(b, h) || similarity(b, h) > 5 || {
                            // Fields rendered by the template on both sides.
                            b.field_names().is_empty() && h.field_names().is_empty()
                        })
                })
            })
    }

    /// Pages the change does not touch can still lose the handler they post
    /// to. Only when the change deletes or renames files, the head pages
    /// that mention one of those file names are read and checked.
    fn unchanged_pages_losing_handlers(&self, cx: &Context, out: &mut Vec<Finding>) {
        let can_receive = |path: &str| {
            let name = path.rsplit('/').next().unwrap_or(path);
            match name.rsplit_once('.') {
                Some((_, ext)) => self
                    .tables
                    .handler_extensions
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(ext)),
                // `cgi-bin/mail` and friends.
                None => true,
            }
        };
        let gone: Vec<&str> = cx
            .files
            .iter()
            .filter_map(|f| match (&f.change.base, &f.change.head) {
                (Some(b), None) => Some(b.path.as_str()),
                (Some(b), Some(h)) if b.path != h.path => Some(b.path.as_str()),
                _ => None,
            })
            .filter(|p| can_receive(p))
            .collect();
        if gone.is_empty() {
            return;
        }
        let names: BTreeSet<&str> = gone
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .filter(|n| !n.is_empty())
            .collect();
        let in_change: BTreeSet<&str> = cx.files.iter().map(|f| f.path()).collect();
        let names: Vec<&str> = names.into_iter().collect();
        self.visit_unchanged_pages(cx, &in_change, &names, |page| {
            for form in &page.forms.forms {
                self.check_handler(cx, page, form, None, out);
            }
        });
    }

    /// Head pages outside `skip` that hold a form and mention one of
    /// `needles`, parsed, one at a time: the pages a change did not touch
    /// that a cross-file rule still has to read.
    fn visit_unchanged_pages(
        &self,
        cx: &Context,
        skip: &BTreeSet<&str>,
        needles: &[&str],
        mut visit: impl FnMut(&PageSide),
    ) {
        for version in head_form_pages(cx) {
            if skip.contains(version.path.as_str()) {
                continue;
            }
            let Some(text) = version.text() else { continue };
            if !needles.iter().any(|n| text.contains(n)) {
                continue;
            }
            let lang = crate::pipeline::lang::detect(&version.path);
            let Some(parsed) = cx.parsed(&version, lang) else {
                continue;
            };
            let page = PageSide {
                revision: Revision::Head,
                path: &version.path,
                forms: self.facts(&parsed),
                parsed: Some(parsed.clone()),
            };
            visit(&page);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn forms() -> Forms {
        let tables = crate::findings::rules::parse_family(FAMILY.rules)
            .unwrap()
            .tables;
        Forms {
            tables: toml::Value::Table(tables).try_into().unwrap(),
        }
    }

    fn facts(text: &str, lang: Lang) -> PageForms {
        let parsed = crate::pipeline::parse::parse(Arc::from(text), lang).unwrap();
        forms().facts(&parsed)
    }

    #[test]
    fn includes_and_the_files_they_name() {
        let page = "{% include 'helpdesk/form.html' %}{{ include(\"contact.twig\") }}@include('partials.contact')<%= render 'shared/form' %>{% render 'newsletter' %}{% if x %}";
        let got: Vec<String> = included_templates(page, Lang::Template)
            .into_iter()
            .collect();
        assert_eq!(
            got,
            [
                "contact.twig",
                "helpdesk/form.html",
                "newsletter",
                "shared/form"
            ]
        );
        let blade = included_templates("<div>@include('partials.contact')</div>", Lang::Blade);
        assert!(blade.contains("partials.contact"));
        assert!(include_names(
            "helpdesk/templates/helpdesk/form.html",
            "helpdesk/form.html"
        ));
        assert!(!include_names(
            "helpdesk/templates/other/form.html",
            "helpdesk/form.html"
        ));
        assert!(include_names(
            "resources/views/partials/contact.blade.php",
            "partials.contact"
        ));
        assert!(include_names(
            "app/views/shared/_form.html.erb",
            "shared/form"
        ));
        assert!(include_names("snippets/newsletter.liquid", "newsletter"));
        assert!(!include_names(
            "app/views/shared/_formula.html.erb",
            "shared/form"
        ));
    }

    #[test]
    fn reads_forms_fields_and_controls() {
        let page = facts(
            r#"<html><body>
            <form id="anfrage" action="anfrage.php" method="POST">
              <input name="email" type="email" required>
              <textarea name="nachricht"></textarea>
              <input type="hidden" name="_token" value="x">
              <button>Senden</button>
            </form>
            <form role="search" action="/suche"><input name="q"></form>
            </body></html>"#,
            Lang::Html,
        );
        assert_eq!(page.forms.len(), 2);
        let f = &page.forms[0];
        assert_eq!(f.label(), "form `#anfrage`");
        assert_eq!(f.method(), Method::Post);
        assert_eq!(f.fields.len(), 3);
        assert!(f.fields[0].required && f.fields[2].hidden);
        assert_eq!(f.usable_controls().count(), 1);
        assert!(f.submits_data());
        assert_eq!(page.forms[1].label(), "form posting to `/suche`");
        assert!(!page.forms[1].submits_data());
    }

    #[test]
    fn templated_action_is_not_literal() {
        let page = facts(
            "{% block body %}<form action=\"{{ url_for('contact') }}\" method=\"post\">{% csrf_token %}<button type=\"submit\">Go</button></form>{% endblock %}",
            Lang::Template,
        );
        assert!(
            matches!(page.forms[0].action(), Some(AttrValue::Templated(t)) if t.contains("url_for"))
        );
        assert!(!page.forms[0].tag.templated);
    }

    #[test]
    fn hidden_by_container_class_or_style_but_not_responsive() {
        let page = facts(
            r#"<div class="box d-none"><form id="a"></form></div>
               <div class="d-none d-md-block"><form id="b"></form></div>
               <section style="display: none"><form id="c"></form></section>
               <form id="d" hidden></form>"#,
            Lang::Html,
        );
        let hidden: Vec<Option<&String>> = page.forms.iter().map(|f| f.hidden.as_ref()).collect();
        assert!(hidden[0].unwrap().contains("`div.box.d-none`"));
        assert!(hidden[1].is_none());
        assert!(hidden[2].unwrap().contains("display:none"));
        assert!(hidden[3].unwrap().contains("`hidden` attribute"));
    }

    #[test]
    fn controls_linked_by_form_attribute_count() {
        let page = facts(
            r#"<form id="f" action="x.php"></form><button form="f" type="submit">Send</button>"#,
            Lang::Html,
        );
        assert_eq!(page.forms[0].usable_controls().count(), 1);
    }

    #[test]
    fn commented_out_forms_are_remembered() {
        let page = facts(
            "<!-- <form id=\"old\" action=\"a.php\"></form> -->",
            Lang::Html,
        );
        assert!(page.forms.is_empty());
        assert_eq!(page.commented.len(), 1);
    }

    #[test]
    fn php_pages_keep_their_html_forms() {
        let page = facts(
            "<?php require 'head.php'; ?>\n<form action=\"<?php echo $self; ?>\" method=\"post\"><?php if ($x) { ?><input name=\"a\" required><?php } ?><input type=\"submit\"></form>",
            Lang::Php,
        );
        assert_eq!(page.forms.len(), 1);
        assert!(matches!(
            page.forms[0].action(),
            Some(AttrValue::Templated(_))
        ));
        assert_eq!(page.forms[0].fields.len(), 1);
    }

    #[test]
    fn pre_filter_finds_form_tags_in_any_case_only() {
        assert!(contains_form_tag("<FORM action=x>"));
        assert!(contains_form_tag("<form>"));
        assert!(!contains_form_tag("<formatted-text>"));
        assert!(!contains_form_tag("platform form"));
    }

    #[test]
    fn handler_candidates_cover_relative_rooted_and_directory_actions() {
        let t = forms().tables;
        assert_eq!(
            handler_candidates("site/kontakt.html", "anfrage.php?x=1", &t),
            vec!["site/anfrage.php"]
        );
        assert_eq!(
            handler_candidates("site/de/kontakt.html", "../anfrage.php", &t),
            vec!["site/anfrage.php"]
        );
        let rooted = handler_candidates("site/kontakt.html", "/cgi-bin/mail.pl", &t);
        assert!(
            rooted.contains(&"cgi-bin/mail.pl".to_string())
                && rooted.contains(&"site/cgi-bin/mail.pl".to_string())
                && rooted.contains(&"public/cgi-bin/mail.pl".to_string())
        );
        assert!(
            handler_candidates("a.html", "kontakt/", &t).contains(&"kontakt/index.php".to_string())
        );
        assert!(handler_candidates("a.html", "https://formspree.io/f/x", &t).is_empty());
        assert!(handler_candidates("a.html", "mailto:a@b.de", &t).is_empty());
        assert!(handler_candidates("a.html", "../../x.php", &t).is_empty());
    }

    #[test]
    fn matching_survives_restyling_and_reordering() {
        let base = facts(
            r#"<form id="a" action="a.php"><input name="x"></form><form action="/search"><input name="q"></form>"#,
            Lang::Html,
        );
        let head = facts(
            r#"<form action="/search" class="new"><input name="q"></form><form class="fancy" action="a.php" id="a"><input name="x"><input name="y"></form>"#,
            Lang::Html,
        );
        let (pairs, lb, lh) = match_forms(&base.forms, &head.forms);
        assert_eq!(pairs, vec![(0, 1), (1, 0)]);
        assert!(lb.is_empty() && lh.is_empty());
    }
}
