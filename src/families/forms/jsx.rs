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

fn jsx_tag(node: Node, parsed: &Parsed) -> Option<Tag> {
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
            // `{...props}` may add anything.
            "jsx_expression" => tag.templated = true,
            _ => {}
        }
    }
    Some(tag)
}

impl Forms {
    /// The forms of a JSX/TSX file.
    pub(super) fn facts_jsx(&self, parsed: &Parsed) -> PageForms {
        self.nested_forms(
            parsed.tree.root_node(),
            |n| jsx_tag(n, parsed),
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
    /// Whether a JSX form's submit handler sends anything: `None` when the
    /// handler is not in this file (a prop, an import) and cannot be judged.
    fn submit_sends(&self, page: &PageSide, form: &FormFacts) -> Option<bool> {
        let parsed = page.parsed.as_deref()?;
        let AttrValue::Templated(value) = form.tag.get("onsubmit")? else {
            return None;
        };
        sends(parsed, handler_node(parsed, value)?)
    }

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
        if self.submit_sends(bp, b) != Some(true) || self.submit_sends(hp, h) != Some(false) {
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
}
