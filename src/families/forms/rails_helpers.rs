//! Forms built by Rails form helpers in ERB templates: `<%= form_with(…) do
//! |f| %>` with `<%= f.email_field :email %>` and `<%= f.submit %>` inside.
//! A Rails app may hold fifty of these and a handful of raw `<form>` tags.
//! The ERB code is what the template runs, so it is read as Ruby: every
//! `<% … %>` tag is copied at its own offsets, the markup between them
//! blanked and each tag ended with `;`, which makes one Ruby program that
//! the Ruby grammar parses. Spans therefore point into the template itself.

use super::facts::{Attr, Field, SubmitControl, Tag};
use super::{AttrValue, FormFacts, Forms, PageForms};
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::Parsed;
use std::ops::Range;
use std::sync::Arc;
use tree_sitter::Node;

/// Helpers that open a form around a block, and the one-button form.
const FORM_HELPERS: &[&str] = &[
    "form_with",
    "form_for",
    "form_tag",
    "simple_form_for",
    "bootstrap_form_for",
    "bootstrap_form_with",
    "semantic_form_for",
    "button_to",
];

/// Builder calls and helpers that render a submit button.
const SUBMIT_HELPERS: &[&str] = &[
    "submit",
    "submit_tag",
    "button",
    "button_tag",
    "image_submit_tag",
];

/// A form helper by name: the standard ones, and a project's own builder
/// wrappers named like them (`solidus_form_for`, `admin_form_with`).
fn is_form_helper(name: &str) -> bool {
    FORM_HELPERS.contains(&name) || name.ends_with("_form_for") || name.ends_with("_form_with")
}

/// Whether a Haml text may build a form with a helper (a cheap test).
pub(super) fn mentions_haml_form_helper(text: &str) -> bool {
    FORM_HELPERS.iter().any(|h| text.contains(h))
}

/// Whether an ERB text may build a form with a helper (a cheap test).
pub(super) fn mentions_form_helper(text: &str) -> bool {
    // `form_for` and `form_with` also find `solidus_form_for` and friends.
    text.contains("<%") && FORM_HELPERS.iter().any(|h| text.contains(h))
}

/// The ERB template's code as one Ruby program at the template's offsets.
fn erb_ruby(parsed: &Parsed) -> Option<String> {
    let text = parsed.text.as_bytes();
    let mut ruby: Vec<u8> = text
        .iter()
        .map(|&b| if b == b'\n' { b'\n' } else { b' ' })
        .collect();
    for r in &parsed.template_regions {
        let tag = text.get(r.clone())?;
        if !tag.starts_with(b"<%") || !tag.ends_with(b"%>") || tag.get(2) == Some(&b'#') {
            continue;
        }
        let mut from = r.start + 2;
        while matches!(text.get(from), Some(b'=' | b'-')) {
            from += 1;
        }
        let mut to = r.end - 2;
        if to > from && text[to - 1] == b'-' {
            to -= 1;
        }
        if to > from {
            ruby[from..to].copy_from_slice(&text[from..to]);
        }
        // Each tag is a statement of its own, as ERB compiles it.
        ruby[r.end - 2] = b';';
    }
    String::from_utf8(ruby).ok()
}

/// A Ruby literal as an attribute value: strings and symbols are literal,
/// anything else is computed.
fn value_of(node: Node, rp: &Parsed) -> AttrValue {
    match node.kind() {
        "string" if node.named_child_count() <= 1 => AttrValue::Literal(
            node.named_child(0)
                .map_or("", |c| rp.text_of(c))
                .to_string(),
        ),
        "simple_symbol" => AttrValue::Literal(rp.text_of(node).trim_start_matches(':').to_string()),
        "true" => AttrValue::Bare,
        _ => AttrValue::Templated(rp.text_of(node).to_string()),
    }
}

/// The `key: value` pairs of a call's arguments (with those inside
/// `html: { … }`), and its positional ones. A hash written in braces is
/// positional: `form_tag({ action: 'update' })` and
/// `button_to "Clear", { action: 'clear' }` name the target with it.
fn arguments<'t>(call: Node<'t>, rp: &Parsed) -> (Vec<(String, Node<'t>)>, Vec<Node<'t>>) {
    let (mut pairs, mut positional) = (Vec::new(), Vec::new());
    let Some(args) = call.child_by_field_name("arguments") else {
        return (pairs, positional);
    };
    let key_of = |k: Node| rp.text_of(k).trim_matches([':', '"', '\'']).to_string();
    let mut cursor = args.walk();
    for a in args.named_children(&mut cursor) {
        if a.kind() != "pair" {
            positional.push(a);
            continue;
        }
        let (Some(k), Some(v)) = (a.child_by_field_name("key"), a.child_by_field_name("value"))
        else {
            continue;
        };
        let key = key_of(k);
        if key == "html" && v.kind() == "hash" {
            let mut inner = v.walk();
            for p in v.named_children(&mut inner).filter(|p| p.kind() == "pair") {
                if let (Some(k), Some(v)) =
                    (p.child_by_field_name("key"), p.child_by_field_name("value"))
                {
                    pairs.push((key_of(k), v));
                }
            }
        }
        pairs.push((key, v));
    }
    (pairs, positional)
}

/// The `<form>` a helper call renders, as a start tag.
fn helper_tag(call: Node, helper: &str, rp: &Parsed) -> Tag {
    let (pairs, positional) = arguments(call, rp);
    let mut tag = Tag {
        name: "form".into(),
        ..Tag::default()
    };
    let mut push = |name: &str, value: AttrValue, span: Range<usize>| {
        tag.attrs.push(Attr {
            name: name.into(),
            value,
            span,
        })
    };
    // Where it posts: `url:`, the path argument of `form_tag`/`button_to`,
    // or the record (`form_for @user`, `model:`), which Rails routes.
    let url = pairs.iter().find(|(k, _)| k == "url").map(|(_, v)| *v);
    let path_arg = match helper {
        "form_tag" => positional.first().copied(),
        "button_to" => positional.get(1).or(positional.first()).copied(),
        _ => None,
    };
    let record = pairs
        .iter()
        .find(|(k, _)| k == "model")
        .map(|(_, v)| *v)
        .or_else(|| {
            (helper != "form_tag" && helper != "button_to")
                .then(|| positional.first().copied())
                .flatten()
        });
    if let Some(v) = url.or(path_arg).or(record) {
        push("action", value_of(v, rp), v.byte_range());
    }
    // Rails forms post unless told otherwise; `:patch`/`:delete` ride on
    // a POST with a hidden `_method`.
    let method = pairs.iter().find(|(k, _)| k == "method").map(|(_, v)| *v);
    let verb = match method.map(|m| value_of(m, rp)) {
        Some(AttrValue::Literal(m)) if m.eq_ignore_ascii_case("get") => "get",
        Some(AttrValue::Templated(_)) => "?",
        _ => "post",
    };
    let span = method.map_or(call.byte_range(), |m| m.byte_range());
    if verb == "?" {
        push(
            "method",
            AttrValue::Templated(rp.text_of(method.unwrap_or(call)).into()),
            span,
        );
    } else {
        push("method", AttrValue::Literal(verb.into()), span);
    }
    for (k, v) in &pairs {
        if matches!(k.as_str(), "id" | "class" | "name") {
            push(k, value_of(*v, rp), v.byte_range());
        }
    }
    // The helper's first line: `form_with(…) do |f|`.
    let start = call.start_byte();
    let header_end = call
        .child_by_field_name("block")
        .map_or(call.end_byte(), |b| {
            b.child_by_field_name("parameters")
                .map_or(b.start_byte() + 2, |p| p.end_byte())
        });
    tag.range = start..header_end.max(start);
    tag
}

/// A field a builder or `*_tag` helper renders: its name, kind, whether
/// hidden and required. `None` for labels and other non-fields.
fn helper_field(method: &str, call: Node, rp: &Parsed) -> Option<Field> {
    let base = method.strip_suffix("_tag").unwrap_or(method);
    let kind = match base {
        "text_field" | "input" | "association" => "input:text",
        "email_field" => "input:email",
        "password_field" => "input:password",
        "telephone_field" | "phone_field" => "input:tel",
        "number_field" | "range_field" => "input:number",
        "url_field" => "input:url",
        "search_field" => "input:search",
        "date_field" | "datetime_field" | "datetime_local_field" | "time_field" | "date_select" => {
            "input:date"
        }
        "file_field" => "input:file",
        "hidden_field" => "input:hidden",
        "check_box" | "checkbox" => "input:checkbox",
        "radio_button" => "input:radio",
        "text_area" | "textarea" | "rich_text_area" | "rich_textarea" => "textarea",
        "select"
        | "collection_select"
        | "grouped_collection_select"
        | "time_zone_select"
        | "country_select" => "select",
        _ => return None,
    };
    let (pairs, positional) = arguments(call, rp);
    // `component("ui/forms/field").text_field(f, :email)`: a component
    // handed the builder names the field second.
    let named = match positional.as_slice() {
        [builder, name, ..] if builder.kind() == "identifier" => *name,
        [name, ..] => *name,
        [] => return None,
    };
    let name = match value_of(named, rp) {
        AttrValue::Literal(n) if !n.is_empty() => n,
        _ => return None,
    };
    let required = pairs
        .iter()
        .any(|(k, v)| k == "required" && v.kind() == "true");
    Some(Field {
        name,
        hidden: kind == "input:hidden",
        required,
        kind: kind.to_string(),
        span: call.byte_range(),
    })
}

impl Forms {
    /// Adds the forms the page's Rails helpers build, with the fields and
    /// buttons inside each: the builder's (`f.email_field :email`), the
    /// `*_tag` helpers and raw `<input>`/`<button>` markup (`loose`: the
    /// page's controls outside any `<form>` element) within the block.
    pub(super) fn helper_forms(
        &self,
        parsed: &Parsed,
        page: &mut PageForms,
        loose: &[(Tag, Range<usize>)],
    ) {
        if parsed.lang != Lang::Template || !mentions_form_helper(&parsed.text) {
            return;
        }
        let Some(program) = erb_ruby(parsed) else {
            return;
        };
        let Some(rp) = crate::pipeline::parse::parse(Arc::from(program), Lang::Ruby) else {
            return;
        };
        let mut stack = vec![rp.tree.root_node()];
        while let Some(node) = stack.pop() {
            let helper = (node.kind() == "call" && node.child_by_field_name("receiver").is_none())
                .then(|| node.child_by_field_name("method"))
                .flatten()
                .map(|m| rp.text_of(m))
                .filter(|m| is_form_helper(m));
            let Some(helper) = helper else {
                let mut cursor = node.walk();
                stack.extend(node.named_children(&mut cursor));
                continue;
            };
            let tag = helper_tag(node, helper, &rp);
            let ordinal = page.forms.len();
            let mut form = FormFacts {
                ordinal,
                same_identity_before: 0,
                hidden: None,
                body_template: Default::default(),
                tag,
                range: node.byte_range(),
                fields: Vec::new(),
                controls: Vec::new(),
            };
            if helper == "button_to" {
                form.controls.push(submit(node.byte_range(), None));
            } else {
                self.helper_controls(node, &rp, &mut form);
                for (tag, range) in loose {
                    if range.start >= node.start_byte() && range.end <= node.end_byte() {
                        self.add_control(&mut form, tag, range.clone());
                    }
                }
                form.fields.sort_by_key(|f| f.span.start);
                form.controls.sort_by_key(|c| c.span.start);
            }
            page.forms.push(form);
        }
        page.forms.sort_by_key(|f| f.range.start);
        for (i, f) in page.forms.iter_mut().enumerate() {
            f.ordinal = i;
        }
    }

    /// The fields and submit buttons a helper's block renders.
    fn helper_controls(&self, call: Node, rp: &Parsed, form: &mut FormFacts) {
        let Some(block) = call.child_by_field_name("block") else {
            return;
        };
        let mut stack = vec![block];
        while let Some(node) = stack.pop() {
            if node.kind() == "call" {
                let method = node
                    .child_by_field_name("method")
                    .map_or("", |m| rp.text_of(m));
                match method {
                    m if SUBMIT_HELPERS.contains(&m) => {
                        let name = arguments(node, rp)
                            .0
                            .iter()
                            .find(|(k, _)| k == "name")
                            .and_then(|(_, v)| value_of(*v, rp).literal().map(str::to_string));
                        form.controls.push(submit(node.byte_range(), name));
                    }
                    // A partial rendered inside the form adds controls
                    // riskdiff does not see here (`render "buttons"`).
                    // A component handed the builder for one field
                    // (`render component(…).text_field(f, :email)`) is that
                    // field, read below.
                    "render" | "partial" => {
                        let code = rp.text_of(node).split_whitespace().collect::<Vec<_>>();
                        let code = code.join(" ");
                        let one_field = [
                            "_field(",
                            "text_area(",
                            "select(",
                            "check_box(",
                            "checkbox(",
                            "radio_button(",
                        ]
                        .iter()
                        .any(|w| code.contains(w));
                        if !one_field {
                            form.body_template.insert(code);
                        }
                    }
                    m => form.fields.extend(helper_field(m, node, rp)),
                }
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    }
}

/// Words a line of template Ruby must hold to be worth parsing for
/// [`code_tag`].
const CODE_TAG_WORDS: &[&str] = &[
    "form_",
    "_field",
    "text_area",
    "textarea",
    "select",
    "check_box",
    "checkbox",
    "radio_button",
    "submit",
    "button",
];

/// The start tag one line of template Ruby renders (Haml's `= …` lines):
/// a form helper opens a form, a builder call or `*_tag` helper is a
/// field or a submit button. `offset` is where `code` starts in the page;
/// every span is moved there. Haml closes a helper's block by indentation,
/// so the line is parsed with an `end` of its own.
pub(super) fn code_tag(code: &str, offset: usize) -> Option<Tag> {
    if !CODE_TAG_WORDS.iter().any(|w| code.contains(w)) {
        return None;
    }
    let trimmed = code.trim_end();
    let opens_block =
        trimmed.ends_with(" do") || (trimmed.ends_with('|') && trimmed.contains(" do |"));
    let snippet = if opens_block {
        format!("{code}\nend")
    } else {
        code.to_string()
    };
    let rp = crate::pipeline::parse::parse(Arc::from(snippet), Lang::Ruby)?;
    let call = first_call(rp.tree.root_node())?;
    let method = call
        .child_by_field_name("method")
        .map_or("", |m| rp.text_of(m));
    let mut tag = if call.child_by_field_name("receiver").is_none() && is_form_helper(method) {
        helper_tag(call, method, &rp)
    } else if SUBMIT_HELPERS.contains(&method) {
        Tag {
            name: "input".into(),
            attrs: vec![attr(
                "type",
                AttrValue::Literal("submit".into()),
                call.byte_range(),
            )],
            range: call.byte_range(),
            ..Tag::default()
        }
    } else {
        let field = helper_field(method, call, &rp)?;
        let (name, ty) = match field.kind.split_once(':') {
            Some((_, ty)) => ("input", Some(ty)),
            None => (field.kind.as_str(), None),
        };
        let mut attrs = vec![attr(
            "name",
            AttrValue::Literal(field.name.clone()),
            call.byte_range(),
        )];
        if let Some(ty) = ty {
            attrs.push(attr(
                "type",
                AttrValue::Literal(ty.into()),
                call.byte_range(),
            ));
        }
        if field.required {
            attrs.push(attr("required", AttrValue::Bare, call.byte_range()));
        }
        Tag {
            name: name.to_string(),
            attrs,
            range: call.byte_range(),
            ..Tag::default()
        }
    };
    let shift = |r: &Range<usize>| r.start + offset..r.end + offset;
    tag.range = shift(&tag.range);
    for a in &mut tag.attrs {
        a.span = shift(&a.span);
    }
    Some(tag)
}

fn attr(name: &str, value: AttrValue, span: Range<usize>) -> Attr {
    Attr {
        name: name.into(),
        value,
        span,
    }
}

/// The first method call of a snippet, in source order.
fn first_call(root: Node) -> Option<Node> {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.kind() == "call" {
            return Some(n);
        }
        let mut cursor = n.walk();
        let children: Vec<Node> = n.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    None
}

fn submit(span: Range<usize>, name: Option<String>) -> SubmitControl {
    SubmitControl {
        span,
        disabled: false,
        scripted: false,
        submits: true,
        dead_formaction: false,
        in_disabled_fieldset: false,
        name,
    }
}

#[cfg(test)]
mod tests {
    use crate::pipeline::lang::Lang;
    use std::sync::Arc;

    #[test]
    fn erb_helper_forms_with_their_fields_and_buttons() {
        let src = r#"<h1>Sign up</h1>
<%= form_with(model: @user, url: signup_path, id: "signup") do |f| %>
  <%= f.label :email %><%= f.email_field :email, required: true %>
  <% if @ask_phone %><%= f.telephone_field :phone %><% end %>
  <%= f.hidden_field :source %>
  <button type="submit" name="go">Join</button>
<% end %>
<%# form_tag '/commented' do %>
<%= form_tag '/contact', method: :post, class: "contact" do -%>
  <%= text_area_tag :message %>
  <%= submit_tag 'Send' %>
<% end -%>
<%= button_to "Delete", post_path(@post), method: :delete %>
<%= button_to "Clear Logs", { :action => 'clear_logs' }, :confirm => 'Sure?' %>
<%= form_for @order, url: order_path(@order), html: { id: "order-form" } do |f| %><% end %>
<%= admin_form_for @role do |f| %><%= render partial: "buttons", locals: { f: f } %><%= f.text_field(:name) %><%= render component("ui/forms/field").text_field(f, :description) %><% end %>
<input type="text" name="outside">
"#;
        let parsed = crate::pipeline::parse::parse(Arc::from(src), Lang::Template).unwrap();
        let page = super::super::tests::forms().facts(&parsed);
        assert_eq!(page.forms.len(), 6, "{:#?}", page.forms);
        let signup = &page.forms[0];
        assert_eq!(signup.id(), Some("signup"));
        assert_eq!(signup.method(), super::super::facts::Method::Post);
        let names: Vec<&str> = signup.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["email", "phone", "source"]);
        assert!(signup.fields[0].required && signup.fields[2].hidden);
        assert_eq!(signup.controls.len(), 1);
        assert_eq!(signup.controls[0].name.as_deref(), Some("go"));
        assert_eq!(
            &src[signup.tag.range.clone()],
            "form_with(model: @user, url: signup_path, id: \"signup\") do |f|"
        );
        let contact = &page.forms[1];
        assert_eq!(contact.action().and_then(|a| a.literal()), Some("/contact"));
        assert_eq!(contact.fields[0].name, "message");
        assert_eq!(contact.controls.len(), 1);
        let delete = &page.forms[2];
        assert!(matches!(
            delete.action(),
            Some(super::AttrValue::Templated(_))
        ));
        assert!(delete.fields.is_empty() && delete.controls.len() == 1);
        let clear = &page.forms[3];
        assert_eq!(
            clear.action().map(|a| a.shown()).as_deref(),
            Some("{ :action => 'clear_logs' }")
        );
        assert_eq!(page.forms[4].id(), Some("order-form"));
        let names: Vec<&str> = page.forms[5]
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["name", "description"]);
        assert_eq!(
            page.forms[5].body_template.iter().collect::<Vec<_>>(),
            ["render partial: \"buttons\", locals: { f: f }"]
        );
    }
}
