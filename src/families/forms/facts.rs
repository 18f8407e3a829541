//! Form facts: what one page version says about each of its forms (tag,
//! fields, submit controls, whether it is hidden), read from the HTML tree
//! with template syntax blanked.

use super::Forms;
use crate::pipeline::parse::Parsed;
use std::collections::BTreeSet;
use std::ops::Range;
use std::rc::Rc;
use tree_sitter::Node;

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
    pub(super) fn literal(&self) -> Option<&str> {
        match self {
            AttrValue::Literal(s) => Some(s),
            AttrValue::Bare => Some(""),
            AttrValue::Templated(_) => None,
        }
    }

    pub(super) fn shown(&self) -> String {
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
pub(super) struct Tag {
    pub(super) name: String,
    pub(super) attrs: Vec<Attr>,
    /// Template code in the tag outside attribute values: attributes may be
    /// added or removed by the template (`<form {% if x %}hidden{% endif %}>`).
    pub(super) templated: bool,
    pub(super) range: std::ops::Range<usize>,
}

impl Tag {
    pub(super) fn get(&self, name: &str) -> Option<&AttrValue> {
        self.attrs.iter().find(|a| a.name == name).map(|a| &a.value)
    }

    pub(super) fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub(super) fn literal(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(AttrValue::literal)
    }

    pub(super) fn describe(&self) -> String {
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
    /// A `formaction` that posts nowhere (`#`, empty, `javascript:`, a
    /// `data:` URL): the button sends the form to no handler.
    pub dead_formaction: bool,
    /// Disabled by a `<fieldset disabled>` around it, not by itself.
    pub in_disabled_fieldset: bool,
    /// Its `name`, which the server often reads to tell actions apart
    /// (`name="show_keys"`): the identity of a form without fields.
    pub name: Option<String>,
}

/// One form of one page version.
#[derive(Clone, Debug)]
pub struct FormFacts {
    /// Position among the page's forms, from 0.
    pub ordinal: usize,
    /// How many forms before it on the page share its identity; set by
    /// [`number_identities`] once the page is read.
    pub same_identity_before: usize,
    pub(super) tag: Tag,
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

    pub(super) fn method(&self) -> Method {
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

    /// What tells the form apart from the others of its page, in its own
    /// terms: its id, else its name, else where it posts with its field
    /// and button names (`form[action=/contact][fields=email,message]`).
    /// Never its line or position, so forms added above do not change it.
    fn identity(&self) -> String {
        if let Some(id) = self.id() {
            return format!("form#{id}");
        }
        if let Some(name) = self.name() {
            return format!("form[name={name}]");
        }
        let mut s = "form".to_string();
        if let Some(action) = self
            .action()
            .map(AttrValue::shown)
            .filter(|a| !a.trim().is_empty())
        {
            s.push_str(&format!("[action={}]", action.trim()));
        }
        let join = |names: BTreeSet<&str>| names.into_iter().collect::<Vec<_>>().join(",");
        if !self.fields.is_empty() {
            s.push_str(&format!("[fields={}]", join(self.field_names())));
        }
        let buttons = self.control_names();
        if !buttons.is_empty() {
            s.push_str(&format!("[buttons={}]", join(buttons)));
        }
        s
    }

    /// The line-independent identity used in fingerprints: [`Self::identity`],
    /// and for the second and later of forms that share one on a page, its
    /// ordinal among those (`[2]`). Findings take it from the form as it
    /// stood in base where there is one, since the change a finding reports
    /// (an emptied action, a renamed field) alters the head form.
    pub fn subject(&self) -> String {
        match self.same_identity_before {
            0 => self.identity(),
            n => format!("{}[{}]", self.identity(), n + 1),
        }
    }

    /// ` (posting to `anfrage.php`)`, for messages that must name where the
    /// form used to post.
    pub(super) fn posting(&self) -> String {
        match self.action().map(AttrValue::shown) {
            Some(a) if !a.trim().is_empty() && !self.label().contains("posting to") => {
                format!(" (posting to `{}`)", a.trim())
            }
            _ => String::new(),
        }
    }

    pub(super) fn field_names(&self) -> BTreeSet<&str> {
        self.fields.iter().map(|f| f.name.as_str()).collect()
    }

    /// Whether the form carries data someone reads (an enquiry), rather than
    /// navigating (a GET search box).
    pub(super) fn submits_data(&self) -> bool {
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
    pub(super) fn submits_on_enter(&self) -> bool {
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
    pub(super) fn nothing_to_fill_in(&self) -> bool {
        let control_tag = |code: &str| {
            // Printed text is not a field: a translation
            // (`{{ 'send'|_ }}`, `{{ trans('x') }}`, `{{ __('x') }}`).
            let printed = code.trim_start_matches(['{', '-', ' ', '(']);
            if code.starts_with("{{")
                && (printed.starts_with(['\'', '"'])
                    || ["trans(", "__(", "_(", "t(", "gettext(", "lang("]
                        .iter()
                        .any(|f| printed.starts_with(f)))
            {
                return true;
            }
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

    pub(super) fn usable_controls(&self) -> impl Iterator<Item = &SubmitControl> {
        self.controls
            .iter()
            .filter(|c| !c.disabled && !c.dead_formaction && (c.submits || c.scripted))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Method {
    Get,
    Post,
    Dialog,
    Unknown,
}

impl Forms {
    /// The forms of a tree whose elements another reader reads (JSX, Haml):
    /// `read_tag` turns a node into a start tag (or `None`), `element` gives
    /// a control's own bytes. A `form` opens a form; the controls below it
    /// join it.
    pub(super) fn nested_forms<'t>(
        &self,
        root: Node<'t>,
        read_tag: impl Fn(Node<'t>) -> Option<Tag>,
        element: impl Fn(Node<'t>) -> std::ops::Range<usize>,
    ) -> PageForms {
        let mut page = PageForms::default();
        let mut stack: Vec<(Node, Option<usize>)> = vec![(root, None)];
        while let Some((node, current)) = stack.pop() {
            let mut inner = current;
            if let Some(tag) = read_tag(node) {
                match tag.name.as_str() {
                    "form" => {
                        let ordinal = page.forms.len();
                        page.forms.push(FormFacts {
                            ordinal,
                            same_identity_before: 0,
                            hidden: self.hides(&tag),
                            body_template: Default::default(),
                            tag,
                            range: node.byte_range(),
                            fields: Vec::new(),
                            controls: Vec::new(),
                        });
                        inner = Some(ordinal);
                    }
                    "input" | "button" | "select" | "textarea" => {
                        if let Some(i) = current {
                            self.add_control(&mut page.forms[i], &tag, element(node));
                        }
                    }
                    _ => {}
                }
            }
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev().map(|c| (c, inner)));
        }
        number_identities(&mut page.forms);
        page
    }
}

/// Numbers the forms of a page that share an identity, in page order, so
/// two identical anonymous forms get distinct subjects.
pub(super) fn number_identities(forms: &mut [FormFacts]) {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for f in forms {
        let n = seen.entry(f.identity()).or_insert(0);
        f.same_identity_before = *n;
        *n += 1;
    }
}

/// The forms of one page version.
#[derive(Clone, Debug, Default)]
pub struct PageForms {
    pub forms: Vec<FormFacts>,
    /// HTML comments that contain a `<form`: forms commented out.
    pub commented: Vec<String>,
    /// The page's first literal `<base href>`.
    pub base_href: Option<super::base_href::BaseHref>,
    /// Hosts the page names as its own address (canonical, `og:url`).
    pub own_hosts: std::collections::BTreeSet<String>,
}

pub(super) fn tag_of(node: Node, parsed: &Parsed) -> Option<Tag> {
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

pub(super) fn read_value(node: Node, parsed: &Parsed) -> AttrValue {
    let raw = parsed.text_of(node).to_string();
    if parsed.is_templated(node.byte_range()) {
        AttrValue::Templated(raw)
    } else {
        AttrValue::Literal(decode_entities(&raw))
    }
}

/// The few character references that appear in actions and names.
pub(super) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&amp;", "&")
        .replace("&#35;", "#")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&sol;", "/")
}

/// Why a form inside another form is lost: the browser keeps its
/// controls (they show) but not its own action.
pub(super) const NESTED_IN_FORM: &str = "it is nested inside another form, and browsers drop a `<form>` tag inside a form, sending its fields with the outer form";

/// Why nothing inside `tag` is ever shown as a working form: a
/// `<template>` is inert until script clones it, `<noscript>` renders only
/// with scripts off, and `<textarea>` holds text, not markup.
fn never_rendered_inside(tag: &Tag) -> Option<String> {
    let why = match tag.name.as_str() {
        "template" => "whose content the browser never renders",
        "noscript" => "whose content shows only when scripts are off",
        "textarea" => "which holds plain text, not markup",
        _ => return None,
    };
    Some(format!("it sits inside `<{}>`, {why}", tag.name))
}

/// A node still to visit in [`Forms::facts`]: the form it is in, why an
/// element around it hides it, and whether a `<fieldset disabled>` is
/// around it.
type WalkStep<'t> = (Node<'t>, Option<usize>, Option<Rc<str>>, bool);

impl Forms {
    /// Extracts the forms of a parsed page.
    pub fn facts(&self, parsed: &Parsed) -> PageForms {
        let mut page = PageForms::default();
        // Controls outside any form, linked with `form="id"`.
        let mut linked: Vec<(String, Node)> = Vec::new();
        // Controls outside any form element: a Rails helper's block may
        // hold them (`<button type="submit">` inside `form_with … do`).
        let mut loose: Vec<(Tag, std::ops::Range<usize>)> = Vec::new();
        // Each node carries the form it is in and why an element around it
        // hides it (the nearest one): asking every form's ancestors with
        // `Node::parent()`, itself a walk down from the root, took minutes
        // on 100,000 nested elements.
        // Also whether a `<fieldset disabled>` is around it.
        let mut stack: Vec<WalkStep> = vec![(parsed.tree.root_node(), None, None, false)];
        while let Some((node, current, hidden_above, fieldset_disabled)) = stack.pop() {
            let mut inner = current;
            let mut hidden_below = hidden_above.clone();
            let mut disabled_below = fieldset_disabled;
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
                        super::base_href::read_tag(&tag, &mut page.base_href, &mut page.own_hosts);
                        let hides = (!tag.templated).then(|| self.hides(&tag)).flatten();
                        if let Some(reason) = &hides {
                            let container =
                                format!("its container `{}` has {reason}", tag.describe());
                            hidden_below = Some(Rc::from(container));
                        } else if let Some(reason) = never_rendered_inside(&tag) {
                            hidden_below = Some(Rc::from(reason));
                        }
                        disabled_below |= tag.name == "fieldset"
                            && tag.get("disabled").is_some()
                            && !tag.templated;
                        match tag.name.as_str() {
                            "form" => {
                                let ordinal = page.forms.len();
                                let hidden = match (hides, current) {
                                    (Some(reason), _) => Some(format!("the form has {reason}")),
                                    // The HTML parser ignores a `<form>` tag
                                    // inside an open form: the inner form is
                                    // gone, its controls join the outer one.
                                    (None, Some(_)) => Some(NESTED_IN_FORM.to_string()),
                                    (None, None) => hidden_above.as_deref().map(str::to_string),
                                };
                                page.forms.push(FormFacts {
                                    ordinal,
                                    same_identity_before: 0,
                                    hidden,
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
                                    None if current.is_none() => {
                                        loose.push((tag.clone(), node.byte_range()));
                                    }
                                    None => {
                                        if let Some(i) = current {
                                            let form = &mut page.forms[i];
                                            let before = form.controls.len();
                                            self.add_control(form, &tag, node.byte_range());
                                            if fieldset_disabled {
                                                for c in &mut form.controls[before..] {
                                                    c.disabled = true;
                                                    c.in_disabled_fieldset = true;
                                                }
                                            }
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
                    stack.push((child, inner, hidden_below.clone(), disabled_below));
                }
            }
        }
        // The first form with each id, looked up once per linked control.
        let mut by_id: std::collections::HashMap<String, usize> = Default::default();
        for (i, f) in page.forms.iter().enumerate() {
            if let Some(id) = f.id() {
                by_id.entry(id.to_string()).or_insert(i);
            }
        }
        for (owner, node) in linked {
            if let (Some(tag), Some(&i)) = (tag_of(node, parsed), by_id.get(owner.as_str())) {
                self.add_control(&mut page.forms[i], &tag, node.byte_range());
            }
        }
        self.helper_forms(parsed, &mut page, &loose);
        number_identities(&mut page.forms);
        page
    }

    /// `element`: the control's whole element (a `<button>` with its label).
    pub(super) fn add_control(&self, form: &mut FormFacts, tag: &Tag, element: Range<usize>) {
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
            element.clone()
        };
        let name = tag
            .literal("name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let dead_formaction = tag
            .literal("formaction")
            .is_some_and(|a| !tag.templated && super::is_dead_action(a));
        let control = |submits: bool| SubmitControl {
            span: span.clone(),
            disabled,
            dead_formaction: dead_formaction && submits,
            in_disabled_fieldset: false,
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
                    span: element.clone(),
                });
            }
        }
    }

    pub(super) fn hides(&self, tag: &Tag) -> Option<String> {
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

    pub(super) fn submit_hook<'t>(&self, tag: &'t Tag) -> Option<&'t str> {
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

pub(super) fn has_prefix(name: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| name.starts_with(p.as_str()))
}

pub(super) fn body_template(form: Node, tag: &Tag, parsed: &Parsed) -> BTreeSet<String> {
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
