//! Forms written in Haml (Rails and Middleman sites): `%form{ action: … }`
//! with its `%input`/`%button` lines nested under it. The Haml grammar
//! keeps a tag's `{ … }` attributes as Ruby source; those hashes are read
//! with the Ruby grammar, in one parse of the file with everything else
//! blanked, so every attribute keeps its byte offsets in the page.

use super::facts::{Attr, Tag};
use super::{AttrValue, Forms, PageForms};
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::Parsed;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use tree_sitter::Node;

/// Whether a Haml text has a `%form` tag (a cheap test before parsing).
pub fn contains_haml_form(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, b"%form").any(|i| {
        b.get(i + 5)
            .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
    })
}

/// The attributes of every `{ … }` hash of a Haml file, by the hash's
/// start byte.
type RubyAttrs = HashMap<usize, Vec<Attr>>;

fn ruby_hashes(parsed: &Parsed) -> RubyAttrs {
    let mut regions: Vec<Range<usize>> = Vec::new();
    let mut stack = vec![parsed.tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.kind() == "ruby_attributes" {
            regions.push(n.byte_range());
            continue;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    if regions.is_empty() {
        return RubyAttrs::new();
    }
    // Everything but the hashes blanked (newlines kept): one Ruby program
    // of hash literals at the page's own offsets.
    let text = &parsed.text;
    let mut ruby: Vec<u8> = text
        .bytes()
        .map(|b| if b == b'\n' { b'\n' } else { b' ' })
        .collect();
    for r in &regions {
        ruby[r.clone()].copy_from_slice(&text.as_bytes()[r.clone()]);
    }
    let Ok(ruby) = String::from_utf8(ruby) else {
        return RubyAttrs::new();
    };
    let Some(rp) = crate::pipeline::parse::parse(Arc::from(ruby), Lang::Ruby) else {
        return RubyAttrs::new();
    };
    let mut out = RubyAttrs::new();
    let mut stack = vec![rp.tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.kind() == "hash" {
            out.insert(n.start_byte(), hash_attrs(n, &rp));
            continue;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    out
}

/// `{ type: 'email', name: 'email', required: true, :id => "x" }`.
fn hash_attrs(hash: Node, rp: &Parsed) -> Vec<Attr> {
    let mut attrs = Vec::new();
    let mut cursor = hash.walk();
    for pair in hash.named_children(&mut cursor) {
        if pair.kind() != "pair" {
            continue;
        }
        let (Some(key), Some(value)) = (
            pair.child_by_field_name("key"),
            pair.child_by_field_name("value"),
        ) else {
            continue;
        };
        let name = rp
            .text_of(key)
            .trim_start_matches(':')
            .trim_end_matches(':')
            .trim_matches(['"', '\''])
            .replace('_', "-")
            .to_ascii_lowercase();
        let value = match value.kind() {
            "true" => AttrValue::Bare,
            // `required: false` and `nil` leave the attribute out.
            "false" | "nil" => continue,
            "string" if value.named_child_count() <= 1 && !has_interpolation(value) => {
                let inner = value
                    .named_child(0)
                    .map_or("", |c| rp.text_of(c))
                    .to_string();
                AttrValue::Literal(inner)
            }
            "simple_symbol" => AttrValue::Literal(rp.text_of(value).trim_start_matches(':').into()),
            _ => AttrValue::Templated(rp.text_of(value).to_string()),
        };
        attrs.push(Attr {
            name,
            value,
            span: pair.byte_range(),
        });
    }
    attrs
}

fn has_interpolation(string: Node) -> bool {
    let mut cursor = string.walk();
    let found = string
        .named_children(&mut cursor)
        .any(|c| c.kind() == "interpolation");
    found
}

/// One Haml `tag` read: `%input#id.class{ … }(…)`.
fn haml_tag(node: Node, parsed: &Parsed, hashes: &RubyAttrs) -> Option<Tag> {
    let mut tag = Tag::default();
    let mut classes: Vec<&str> = Vec::new();
    let mut end = node.start_byte();
    let mut cursor = node.walk();
    for part in node.named_children(&mut cursor) {
        match part.kind() {
            "tag_name" => tag.name = parsed.text_of(part).trim_start_matches('%').to_string(),
            "id" => tag.attrs.push(Attr {
                name: "id".into(),
                value: AttrValue::Literal(parsed.text_of(part).trim_start_matches('#').into()),
                span: part.byte_range(),
            }),
            "class" => classes.push(parsed.text_of(part).trim_start_matches('.')),
            "attributes" => {
                let mut inner = part.walk();
                for a in part.named_children(&mut inner) {
                    match a.kind() {
                        "ruby_attributes" => match hashes.get(&a.start_byte()) {
                            Some(attrs) => tag.attrs.extend(attrs.iter().cloned()),
                            None => tag.templated = true,
                        },
                        "html_attributes" => html_attrs(a, parsed, &mut tag),
                        // `[@user]` object references add an id and a class.
                        _ => tag.templated = true,
                    }
                }
            }
            _ => {
                if part.kind() == "tag" || part.kind().starts_with("ruby_block") {
                    break;
                }
            }
        }
        end = end.max(part.end_byte());
    }
    if tag.name.is_empty() {
        return None;
    }
    if !classes.is_empty() {
        // `.a.b{ class: 'c' }`: Haml joins them.
        let mut all = classes.join(" ");
        if let Some(i) = tag.attrs.iter().position(|a| a.name == "class") {
            let extra = tag.attrs.remove(i);
            match extra.value.literal() {
                Some(c) => all = format!("{all} {c}"),
                None => tag.templated = true,
            }
        }
        tag.attrs.push(Attr {
            name: "class".into(),
            value: AttrValue::Literal(all),
            span: node.start_byte()..end,
        });
    }
    tag.range = node.start_byte()..end;
    Some(tag)
}

/// `(type="email" name="email")`: HTML-style attributes.
fn html_attrs(node: Node, parsed: &Parsed, tag: &mut Tag) {
    let mut cursor = node.walk();
    for a in node.named_children(&mut cursor) {
        if a.kind() != "attribute" {
            continue;
        }
        let Some(name) = a.named_child(0).filter(|n| n.kind() == "attribute_name") else {
            continue;
        };
        let value = match a.named_child(1) {
            None => AttrValue::Bare,
            Some(v) if v.kind() == "quoted_attribute_value" => {
                let raw = parsed.text_of(v).trim_matches(['"', '\'']).to_string();
                if raw.contains("#{") {
                    AttrValue::Templated(raw)
                } else {
                    AttrValue::Literal(raw)
                }
            }
            Some(v) => AttrValue::Templated(parsed.text_of(v).to_string()),
        };
        tag.attrs.push(Attr {
            name: parsed.text_of(name).to_ascii_lowercase(),
            value,
            span: a.byte_range(),
        });
    }
}

impl Forms {
    /// The forms of a Haml template.
    pub(super) fn facts_haml(&self, parsed: &Parsed) -> PageForms {
        let hashes = ruby_hashes(parsed);
        self.nested_forms(
            parsed.tree.root_node(),
            |n| match n.kind() {
                "tag" => haml_tag(n, parsed, &hashes),
                // `= form_for @user do |f|`, `= f.email_field :email`,
                // `.clearfix= f.submit`.
                "ruby_block_output" | "inline_ruby_block" => {
                    let mut cursor = n.walk();
                    let code = n
                        .named_children(&mut cursor)
                        .find(|c| c.kind() == "ruby_code")?;
                    super::rails_helpers::code_tag(parsed.text_of(code), code.start_byte())
                }
                _ => None,
            },
            // A Haml tag's node runs on to the next line's indentation: its
            // own lines end where its text does.
            |n| n.start_byte()..n.start_byte() + parsed.text_of(n).trim_end().len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::contains_haml_form;
    use crate::pipeline::lang::Lang;
    use std::sync::Arc;

    #[test]
    fn haml_forms_attributes_fields_and_buttons() {
        let src = "%form.newsletter-form{ action: 'https://formkeep.com/f/6d5e', method: 'post' }\n  %input{ type: 'hidden', name: 'event', value: 'subscribed' }\n  %input#email.newsletter-form__email{ required: true, name: 'email', type: 'email' }\n  - if show_phone\n    %input(type=\"tel\" name=\"phone\")\n  %input{ :type => \"text\", :name => \"note_#{n}\" }\n  %button.newsletter-form__submit{ type: 'submit', value: ' ' }\n%div.other\n  %input{ name: 'outside' }\n";
        let parsed = crate::pipeline::parse::parse(Arc::from(src), Lang::Haml).unwrap();
        let page = super::super::tests::forms().facts_haml(&parsed);
        assert_eq!(page.forms.len(), 1);
        let f = &page.forms[0];
        assert_eq!(
            f.action().and_then(|a| a.literal()),
            Some("https://formkeep.com/f/6d5e")
        );
        assert_eq!(f.tag.literal("class"), Some("newsletter-form"));
        let names: Vec<&str> = f.fields.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["event", "email", "phone"]);
        assert!(f.fields[1].required && f.fields[0].hidden);
        assert_eq!(f.controls.len(), 1);
        assert_eq!(
            &src[f.tag.range.clone()],
            "%form.newsletter-form{ action: 'https://formkeep.com/f/6d5e', method: 'post' }"
        );
    }

    #[test]
    fn haml_rails_helper_forms() {
        let src = "%h1 Sign up\n= form_for @user, url: signup_path, html: { id: \"signup\" } do |f|\n  = f.label :email\n  = f.email_field :email, required: true\n  - if ask\n    = f.text_area :message\n  %button{ type: 'submit', name: 'go' } Join\n= form_tag \"/search\", method: :get do\n  = text_field_tag :q\n  = submit_tag \"Search\"\n= link_to \"Home\", root_path\n";
        let parsed = crate::pipeline::parse::parse(Arc::from(src), Lang::Haml).unwrap();
        let page = super::super::tests::forms().facts_haml(&parsed);
        assert_eq!(page.forms.len(), 2, "{:#?}", page.forms);
        let signup = &page.forms[0];
        assert_eq!(signup.id(), Some("signup"));
        let names: Vec<&str> = signup.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["email", "message"]);
        assert!(signup.fields[0].required);
        assert_eq!(
            &src[signup.fields[0].span.clone()],
            "= f.email_field :email, required: true"
        );
        assert_eq!(signup.controls.len(), 1);
        let search = &page.forms[1];
        assert_eq!(search.action().and_then(|a| a.literal()), Some("/search"));
        assert_eq!(search.method(), super::super::facts::Method::Get);
        assert_eq!(search.fields[0].name, "q");
        assert_eq!(search.controls.len(), 1);
    }

    #[test]
    fn a_form_tag_is_told_from_its_neighbours() {
        assert!(contains_haml_form("%div\n  %form{ action: '/x' }\n"));
        assert!(contains_haml_form("%form.contact\n"));
        assert!(!contains_haml_form("%formula\n%form_group\n"));
    }
}
