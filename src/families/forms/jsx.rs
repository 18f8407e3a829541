//! Forms written in JSX/TSX components. The same facts as for HTML pages,
//! read from the JavaScript/TypeScript grammar: `<form action=… onSubmit=…>`
//! with its fields and buttons, so every form rule applies to React
//! components too. A value in braces (`action={url}`) is computed, never
//! guessed.

use super::facts::{Attr, Tag};
use super::{AttrValue, FormFacts, Forms, PageForms, PageSide};
use crate::findings::finding::Finding;
use crate::pipeline::parse::Parsed;
use tree_sitter::Node;

/// React's attribute names as HTML spells them.
fn html_name(jsx: &str) -> String {
    match jsx {
        "className" => "class".to_string(),
        "htmlFor" => "for".to_string(),
        other => other.to_ascii_lowercase(),
    }
}

/// The tables a JSX reading needs: which components render a control.
pub(super) struct JsxControls<'a> {
    /// Design-system inputs: `<TextField name="email">`, `<Input>`.
    pub(super) inputs: &'a [String],
    /// Submit buttons: `<SubmitButton>`; `<Button>` only with
    /// `type="submit"` (design systems default it to a plain button).
    pub(super) submits: &'a [String],
    /// Calls whose spread names a field: react-hook-form
    /// `{...register('email')}`, Formik `{...getFieldProps('email')}`.
    pub(super) spreads: &'a [String],
}

fn jsx_tag(node: Node, parsed: &Parsed, controls: &JsxControls) -> Option<Tag> {
    let opening = match node.kind() {
        "jsx_element" => node
            .child_by_field_name("open_tag")
            .or_else(|| node.named_child(0))?,
        "jsx_self_closing_element" => node,
        _ => return None,
    };
    let name = opening
        .child_by_field_name("name")
        .map(|n| parsed.text_of(n).to_string())?;
    let mut tag = Tag {
        // `<Form>` components are not `<form>` elements.
        name: if name.chars().next().is_some_and(char::is_lowercase) {
            name.to_ascii_lowercase()
        } else {
            name
        },
        range: opening.byte_range(),
        ..Tag::default()
    };
    let mut cursor = opening.walk();
    for attr in opening.named_children(&mut cursor) {
        match attr.kind() {
            "jsx_attribute" => {
                let Some(key) = attr.named_child(0) else {
                    continue;
                };
                let value = match attr.named_child(1) {
                    None => AttrValue::Bare,
                    Some(v) if v.kind() == "string" => {
                        AttrValue::Literal(parsed.text_of(v).trim_matches(['"', '\'']).to_string())
                    }
                    Some(v) => {
                        // `{"/contact"}` is as literal as `"/contact"`.
                        let inner = v.named_child(0).filter(|i| i.kind() == "string");
                        match inner {
                            Some(s) => AttrValue::Literal(
                                parsed.text_of(s).trim_matches(['"', '\'', '`']).to_string(),
                            ),
                            None => AttrValue::Templated(parsed.text_of(v).to_string()),
                        }
                    }
                };
                tag.attrs.push(Attr {
                    name: html_name(parsed.text_of(key)),
                    value,
                    span: attr.byte_range(),
                });
            }
            // `{...register('email')}` names the field; any other spread
            // may add anything.
            "jsx_expression" => match registered_field(attr, parsed, controls.spreads) {
                Some((field, required)) => {
                    tag.attrs.push(Attr {
                        name: "name".into(),
                        value: AttrValue::Literal(field),
                        span: attr.byte_range(),
                    });
                    if required {
                        tag.attrs.push(Attr {
                            name: "required".into(),
                            value: AttrValue::Bare,
                            span: attr.byte_range(),
                        });
                    }
                }
                None => tag.templated = true,
            },
            _ => {}
        }
    }
    as_control(&mut tag, controls);
    name_bound_control(&mut tag);
    Some(tag)
}

/// A controlled input without a `name` (`<input value={email}
/// onChange={…}>`) is still a field a visitor fills: it is known by its
/// binding, written in braces (`{email}`), which no handler reads by name.
fn name_bound_control(tag: &mut Tag) {
    if !matches!(tag.name.as_str(), "input" | "textarea" | "select") || tag.get("name").is_some() {
        return;
    }
    let binding = ["value", "checked"].iter().find_map(|k| match tag.get(k) {
        Some(AttrValue::Templated(t)) => Some(t.split_whitespace().collect::<String>()),
        _ => None,
    });
    if let Some(binding) = binding {
        let span = tag.range.clone();
        tag.attrs.push(Attr {
            name: "name".into(),
            value: AttrValue::Literal(binding),
            span,
        });
    }
}

/// Whether a field's name is a JSX binding rather than a submitted name.
pub(super) fn is_binding(name: &str) -> bool {
    name.starts_with('{')
}

/// A design-system component read as the element it renders: an input
/// (`<TextField name="email">`), or a submit button.
fn as_control(tag: &mut Tag, controls: &JsxControls) {
    let Some(first) = tag.name.chars().next() else {
        return;
    };
    if !first.is_uppercase() {
        return;
    }
    let last = tag.name.rsplit('.').next().unwrap_or(&tag.name).to_string();
    let submit_type = tag.literal("type").is_some_and(|t| t.trim() == "submit");
    if controls.inputs.contains(&last) {
        tag.name = "input".into();
    } else if controls.submits.contains(&last) || (last == "Button" && submit_type) {
        tag.name = "button".into();
        tag.attrs.retain(|a| a.name != "type");
    }
}

/// The field a spread registers (`{...register("email", { required: true
/// })}`), and whether it is required; `None` for any other spread.
fn registered_field(attr: Node, parsed: &Parsed, spreads: &[String]) -> Option<(String, bool)> {
    let spread = attr
        .named_child(0)
        .filter(|n| n.kind() == "spread_element")?;
    let call = spread
        .named_child(0)
        .filter(|n| n.kind() == "call_expression")?;
    let function = parsed.text_of(call.child_by_field_name("function")?);
    let callee = function.rsplit('.').next().unwrap_or(function);
    if !spreads.iter().any(|s| s == callee) {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let first = args.named_child(0).filter(|a| a.kind() == "string")?;
    let field = parsed
        .text_of(first)
        .trim_matches(['"', '\'', '`'])
        .to_string();
    let rest = parsed.text_of(args);
    let required = rest.contains("required:") && !rest.contains("required: false");
    (!field.is_empty()).then_some((field, required))
}

impl Forms {
    /// The forms of a JSX/TSX file.
    pub(super) fn facts_jsx(&self, parsed: &Parsed) -> PageForms {
        let controls = JsxControls {
            inputs: &self.tables.jsx_input_components,
            submits: &self.tables.jsx_submit_components,
            spreads: &self.tables.jsx_field_spreads,
        };
        self.nested_forms(
            parsed.tree.root_node(),
            |n| jsx_tag(n, parsed, &controls),
            |n| n.byte_range(),
        )
    }
}

/// Calls that send a form's data somewhere.
const SENDS: &[&str] = &[
    "fetch(",
    "axios",
    ".post(",
    ".put(",
    ".patch(",
    "XMLHttpRequest",
    "sendBeacon",
    ".submit(",
    "mutate(",
    "mutateAsync(",
    "emailjs",
    "sendForm(",
    "submitForm(",
    "$fetch(",
    "useFetch(",
    "ky.",
];

/// The function node a JSX submit handler names, or the inline handler.
fn handler_node<'t>(parsed: &'t Parsed, value: &str) -> Option<Node<'t>> {
    let inner = value
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim();
    let name = inner
        .trim_start_matches("this.")
        .trim_start_matches("props.");
    let inline = inner.contains("=>") || inner.starts_with("function");
    if !inline
        && (name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$'))
    {
        return None;
    }
    let mut stack = vec![parsed.tree.root_node()];
    while let Some(n) = stack.pop() {
        let hit = if inline {
            matches!(n.kind(), "arrow_function" | "function_expression")
                && parsed.text_of(n) == inner
        } else {
            matches!(
                n.kind(),
                "function_declaration" | "method_definition" | "variable_declarator"
            ) && n
                .child_by_field_name("name")
                .is_some_and(|x| parsed.text_of(x) == name)
        };
        if hit {
            return Some(n);
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    None
}

/// Calls a handler may make that only touch the page, never send.
const UI_ONLY: &[&str] = &[
    "preventDefault",
    "stopPropagation",
    "console",
    "alert",
    "setTimeout",
    "reset",
    "navigate",
    "push",
    "replace",
    "toast",
    "log",
    "focus",
    "blur",
    "scrollTo",
    "scrollIntoView",
    "FormData",
    "fromEntries",
    "entries",
    "get",
    "trim",
    "JSON",
    "stringify",
    "validate",
    "trackEvent",
];

/// Whether a handler sends: `Some(true)` when it calls a sender,
/// `Some(false)` when every call it makes only touches the page, `None`
/// when it calls something we cannot see into.
fn sends(parsed: &Parsed, handler: Node) -> Option<bool> {
    let text = parsed.text_of(handler);
    if SENDS.iter().any(|s| text.contains(s)) {
        return Some(true);
    }
    let mut stack = vec![handler];
    while let Some(n) = stack.pop() {
        if n.kind() == "call_expression" {
            let callee = n
                .child_by_field_name("function")
                .map_or("", |f| parsed.text_of(f));
            let last = callee.rsplit('.').next().unwrap_or(callee);
            let ui = UI_ONLY.contains(&last)
                || last.starts_with("set") && last[3..].starts_with(char::is_uppercase);
            if !ui {
                return None;
            }
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    Some(false)
}

impl Forms {
    /// A React form whose submit handler sent the data in base and sends
    /// nothing in head: the page still shows "thank you", nothing leaves.
    pub(super) fn check_submit_handler(
        &self,
        bp: &PageSide,
        hp: &PageSide,
        b: &FormFacts,
        h: &FormFacts,
        out: &mut Vec<Finding>,
    ) {
        if bp.submit_sends(b) != Some(true) || hp.submit_sends(h) != Some(false) {
            return;
        }
        let handler = h
            .tag
            .get("onsubmit")
            .map(AttrValue::shown)
            .unwrap_or_default();
        let label = h.label();
        let at = h
            .tag
            .attr("onsubmit")
            .map_or(h.tag.range.clone(), |a| a.span.clone());
        out.push(
            Finding::new(
                "forms/action-broken",
                hp.loc(at),
                format!("{}/handler", b.subject()),
                format!(
                    "The {label} in `{}` is submitted by `{}`, which sent the data in base (a `fetch`, `axios` or similar call) and sends nothing in head. Visitors can still press the button, and every submission is now dropped in the browser.",
                    hp.path,
                    handler.trim()
                ),
            )
            .related(bp.form_loc(b), "in base its submit handler sent the data")
            .evidence("page", hp.path)
            .evidence("form", label)
            .evidence("handler", handler.trim().to_string()),
        );
    }
}

/// Whether a JSX form's submit handler sends anything: `None` when the
/// handler is not in this file (a prop, an import) and cannot be judged.
pub(super) fn submit_sends(parsed: &Parsed, form: &FormFacts) -> Option<bool> {
    let AttrValue::Templated(value) = form.tag.get("onsubmit")? else {
        return None;
    };
    sends(parsed, handler_node(parsed, value)?)
}

#[cfg(test)]
mod tests {
    use crate::pipeline::lang::Lang;
    use std::sync::Arc;

    #[test]
    fn jsx_forms_fields_and_handlers() {
        let src = "export function Contact() {\n  return (\n    <form className=\"contact\" action=\"/api/contact\" method=\"post\" onSubmit={handleSubmit}>\n      <input type=\"email\" name=\"email\" required />\n      <textarea name=\"message\" />\n      <button type=\"submit\">Send</button>\n    </form>\n  );\n}\n";
        let parsed = crate::pipeline::parse::parse(Arc::from(src), Lang::JavaScript).unwrap();
        let page = super::super::tests::forms().facts_jsx(&parsed);
        assert_eq!(page.forms.len(), 1);
        let f = &page.forms[0];
        assert_eq!(f.action().and_then(|a| a.literal()), Some("/api/contact"));
        assert_eq!(
            f.fields.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["email", "message"]
        );
        assert!(f.fields[0].required);
        assert_eq!(f.controls.len(), 1);
        assert!(f.tag.get("onsubmit").is_some());
    }

    #[test]
    fn design_system_controls_registrations_and_bindings() {
        let src = "export const F = () => (\n  <form action=\"/s\">\n    <Form.Control name=\"a\" />\n    <Input {...register('b', { required: true })} />\n    <Input {...formik.getFieldProps('c')} />\n    <input value={state.d} onChange={set} />\n    <Input {...rest} />\n    <Button>Cancel</Button>\n    <Button type=\"submit\">Go</Button>\n    <SubmitButton />\n  </form>\n);\n";
        let parsed = crate::pipeline::parse::parse(Arc::from(src), Lang::Tsx).unwrap();
        let page = super::super::tests::forms().facts_jsx(&parsed);
        let f = &page.forms[0];
        let names: Vec<&str> = f.fields.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "{state.d}"]);
        assert!(f.fields[1].required && !f.fields[2].required);
        assert!(super::is_binding(&f.fields[3].name));
        // Two submit buttons; the plain `<Button>` submits nothing.
        assert_eq!(f.controls.iter().filter(|c| c.submits).count(), 2);
    }
}
