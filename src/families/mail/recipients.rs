//! Who a mail call in code sends to: PHP `mail()` / `wp_mail()` and
//! Django `send_mail()` / `EmailMessage(to=…)`. A form handler whose
//! recipient became empty still "sends" without an error, to nobody.
//!
//! Only what the file itself makes certain is resolved: a literal, or a
//! variable assigned a literal earlier in the same function (or at module
//! level). A recipient read from settings or a database is unknown and
//! never guessed at.

use crate::readers::syntax::{children, text_of};
use std::ops::Range;
use tree_sitter::Node;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Recipients {
    Addresses(Vec<String>),
    Empty,
    Unknown,
}

#[derive(Clone, Debug)]
pub(super) struct MailCall {
    /// `mail()`, `send_mail()`…, as shown.
    pub callee: String,
    /// The enclosing function, or empty at file level.
    pub function: String,
    /// Which call of this callee in this function, counting from 0.
    pub ordinal: usize,
    /// The recipient expression as written (`$to`, `recipient_list=[]`).
    pub written: String,
    pub recipients: Recipients,
    /// The call, for the excerpt.
    pub range: Range<usize>,
    /// What decided the recipients: the literal argument, or the
    /// assignment that gave the variable its value.
    pub decided_at: Range<usize>,
}

/// A literal string's value, or `None` for anything computed.
fn literal(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s
        .strip_prefix(['r', 'u', 'b', 'R', 'U', 'B'])
        .filter(|r| r.starts_with(['"', '\'']))
        .unwrap_or(s);
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            if q == '"' && (inner.contains('$') || inner.contains('{')) {
                return None;
            }
            return Some(inner.to_string());
        }
    }
    None
}

fn from_strings(values: Vec<String>) -> Recipients {
    let addresses: Vec<String> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    if addresses.is_empty() {
        Recipients::Empty
    } else {
        Recipients::Addresses(addresses)
    }
}

/// Literal assignments seen so far in a scope: name → value node.
type Scope<'t> = Vec<(String, Node<'t>)>;

fn enclosing_function(node: Node, text: &str) -> String {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if matches!(
            n.kind(),
            "function_definition" | "method_declaration" | "function_declaration"
        ) {
            return n
                .child_by_field_name("name")
                .map_or(String::new(), |name| text_of(name, text).to_string());
        }
        cur = n.parent();
    }
    String::new()
}

/// Where a recipient expression got its value: the assignment of a
/// variable (followed as far as the value was), else the expression.
fn decided_at(node: Node, text: &str, scope: &Scope, function: &str) -> Range<usize> {
    let mut node = node;
    if node.kind() == "argument" {
        node = node.named_child(0).unwrap_or(node);
    }
    for _ in 0..3 {
        if !matches!(node.kind(), "identifier" | "variable_name") {
            break;
        }
        match assigned(
            scope,
            text_of(node, text),
            node.start_byte(),
            function,
            text,
        ) {
            // The value's parent is the assignment: show `$to = '';`.
            Some(value) => node = value.parent().unwrap_or(value),
            None => break,
        }
        if let Some(right) = node.child_by_field_name("right") {
            if !matches!(right.kind(), "identifier" | "variable_name") {
                return node.byte_range();
            }
            node = right;
        }
    }
    node.byte_range()
}

/// The last assignment to `name` before `at`, in the same function or at
/// file level.
fn assigned<'t>(
    scope: &Scope<'t>,
    name: &str,
    at: usize,
    function: &str,
    text: &str,
) -> Option<Node<'t>> {
    scope
        .iter()
        .rfind(|(n, value)| {
            n == name && value.start_byte() < at && enclosing_function(*value, text) == function
        })
        .or_else(|| {
            scope.iter().rev().find(|(n, value)| {
                n == name && value.start_byte() < at && enclosing_function(*value, text).is_empty()
            })
        })
        .map(|(_, v)| *v)
}

// ---------------------------------------------------------------- python --

fn python_value(node: Node, text: &str, scope: &Scope, function: &str, depth: u8) -> Recipients {
    match node.kind() {
        "list" | "tuple" => {
            let mut values = Vec::new();
            for item in children(node).into_iter().filter(|c| c.is_named()) {
                match literal(text_of(item, text)) {
                    Some(v) => values.push(v),
                    None => return Recipients::Unknown,
                }
            }
            from_strings(values)
        }
        "string" => {
            literal(text_of(node, text)).map_or(Recipients::Unknown, |v| from_strings(vec![v]))
        }
        "identifier" if depth < 3 => {
            match assigned(
                scope,
                text_of(node, text),
                node.start_byte(),
                function,
                text,
            ) {
                Some(value) => python_value(value, text, scope, function, depth + 1),
                None => Recipients::Unknown,
            }
        }
        _ => Recipients::Unknown,
    }
}

/// Django's mail calls and where their recipients are: keyword, or
/// position among the positional arguments.
const PYTHON_CALLS: &[(&str, &str, usize)] = &[
    ("send_mail", "recipient_list", 3),
    ("send_mass_mail", "", usize::MAX),
    ("EmailMessage", "to", 3),
    ("EmailMultiAlternatives", "to", 3),
];

pub(super) fn python_mail_calls(root: Node, text: &str) -> Vec<MailCall> {
    let mut scope: Scope = Vec::new();
    let mut calls = Vec::new();
    let mut stack = vec![root];
    let mut ordered = Vec::new();
    while let Some(node) = stack.pop() {
        ordered.push(node);
        let mut kids = children(node);
        kids.reverse();
        stack.extend(kids);
    }
    for node in ordered {
        if node.kind() == "assignment" {
            if let (Some(l), Some(r)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                if l.kind() == "identifier" {
                    scope.push((text_of(l, text).to_string(), r));
                }
            }
            continue;
        }
        if node.kind() != "call" {
            continue;
        }
        let callee = node
            .child_by_field_name("function")
            .map_or("", |f| text_of(f, text));
        let short = callee.rsplit('.').next().unwrap_or(callee);
        let Some(&(name, keyword, position)) = PYTHON_CALLS.iter().find(|c| c.0 == short) else {
            continue;
        };
        if keyword.is_empty() {
            continue;
        }
        let Some(args) = node.child_by_field_name("arguments") else {
            continue;
        };
        let args: Vec<Node> = children(args)
            .into_iter()
            .filter(|c| c.is_named())
            .collect();
        let by_keyword = args.iter().find(|a| {
            a.kind() == "keyword_argument"
                && a.child_by_field_name("name").map(|n| text_of(n, text)) == Some(keyword)
        });
        let (written, value) = match by_keyword {
            Some(kw) => (
                text_of(*kw, text).to_string(),
                kw.child_by_field_name("value"),
            ),
            None => {
                let positional: Vec<&Node> = args
                    .iter()
                    .filter(|a| a.kind() != "keyword_argument")
                    .collect();
                match positional.get(position) {
                    Some(arg) => (text_of(**arg, text).to_string(), Some(**arg)),
                    None => continue,
                }
            }
        };
        let function = enclosing_function(node, text);
        let recipients = value.map_or(Recipients::Unknown, |v| {
            python_value(v, text, &scope, &function, 0)
        });
        let decided = value.map_or(node.byte_range(), |v| {
            decided_at(v, text, &scope, &function)
        });
        calls.push((
            format!("{name}()"),
            function,
            written,
            recipients,
            node.byte_range(),
            decided,
        ));
    }
    number(calls)
}

// ------------------------------------------------------------------- php --

fn php_value(node: Node, text: &str, scope: &Scope, function: &str, depth: u8) -> Recipients {
    match node.kind() {
        "string" | "encapsed_string" => {
            literal(text_of(node, text)).map_or(Recipients::Unknown, |v| from_strings(vec![v]))
        }
        "variable_name" if depth < 3 => {
            match assigned(
                scope,
                text_of(node, text),
                node.start_byte(),
                function,
                text,
            ) {
                Some(value) => php_value(value, text, scope, function, depth + 1),
                None => Recipients::Unknown,
            }
        }
        "argument" => node.named_child(0).map_or(Recipients::Unknown, |n| {
            php_value(n, text, scope, function, depth)
        }),
        _ => Recipients::Unknown,
    }
}

pub(super) fn php_mail_calls(text: &str) -> Vec<MailCall> {
    // The cache parses PHP as the HTML around its code; a handler's
    // `mail()` call needs the code itself.
    let language: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
    let Ok(tree) = crate::pipeline::parse::parse_bounded(&language, text) else {
        return Vec::new();
    };
    let mut scope: Scope = Vec::new();
    let mut calls = Vec::new();
    let mut stack = vec![tree.root_node()];
    let mut ordered = Vec::new();
    while let Some(node) = stack.pop() {
        ordered.push(node);
        let mut kids = children(node);
        kids.reverse();
        stack.extend(kids);
    }
    for node in ordered {
        if node.kind() == "assignment_expression" {
            if let (Some(l), Some(r)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                if l.kind() == "variable_name" {
                    scope.push((text_of(l, text).to_string(), r));
                }
            }
            continue;
        }
        if node.kind() != "function_call_expression" {
            continue;
        }
        let callee = node
            .child_by_field_name("function")
            .map_or("", |f| text_of(f, text));
        if !matches!(callee, "mail" | "wp_mail" | "mb_send_mail") {
            continue;
        }
        let Some(first) = node
            .child_by_field_name("arguments")
            .and_then(|a| children(a).into_iter().find(|c| c.kind() == "argument"))
        else {
            continue;
        };
        let function = enclosing_function(node, text);
        let recipients = php_value(first, text, &scope, &function, 0);
        let decided = decided_at(first, text, &scope, &function);
        calls.push((
            format!("{callee}()"),
            function,
            text_of(first, text).to_string(),
            recipients,
            node.byte_range(),
            decided,
        ));
    }
    number(calls)
}

type RawCall = (
    String,
    String,
    String,
    Recipients,
    Range<usize>,
    Range<usize>,
);

fn number(calls: Vec<RawCall>) -> Vec<MailCall> {
    let mut seen: Vec<(String, String)> = Vec::new();
    calls
        .into_iter()
        .map(
            |(callee, function, written, recipients, range, decided_at)| {
                let key = (callee.clone(), function.clone());
                let ordinal = seen.iter().filter(|k| **k == key).count();
                seen.push(key);
                MailCall {
                    callee,
                    function,
                    ordinal,
                    written,
                    recipients,
                    range,
                    decided_at,
                }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::lang::Lang;
    use crate::pipeline::parse::grammar;

    fn python(src: &str) -> Vec<MailCall> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&grammar(Lang::Python).unwrap())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        python_mail_calls(tree.root_node(), src)
    }

    #[test]
    fn php_recipient_through_a_variable_per_function() {
        let src = "<?php\n$to = 'kanzlei@weber.de';\nfunction notify() { $to = ''; mail($to, 'x', 'y'); }\nmail($to, 'Kontakt', $body);\nwp_mail(get_option('admin_email'), 's', 'm');\nmail(\"$user@weber.de\", 's', 'm');\n";
        let calls = php_mail_calls(src);
        let got: Vec<(&str, &str, &Recipients)> = calls
            .iter()
            .map(|c| (c.callee.as_str(), c.function.as_str(), &c.recipients))
            .collect();
        assert_eq!(
            got,
            [
                ("mail()", "notify", &Recipients::Empty),
                (
                    "mail()",
                    "",
                    &Recipients::Addresses(vec!["kanzlei@weber.de".into()])
                ),
                ("wp_mail()", "", &Recipients::Unknown),
                ("mail()", "", &Recipients::Unknown),
            ]
        );
        assert_eq!(calls[3].ordinal, 1);
        assert_eq!(&src[calls[0].decided_at.clone()], "$to = ''");
        assert_eq!(
            &src[calls[1].decided_at.clone()],
            "$to = 'kanzlei@weber.de'"
        );
    }

    #[test]
    fn django_recipients_by_keyword_position_and_variable() {
        let src = "from django.conf import settings\nOFFICE = ['office@weber.de']\n\ndef contact(request):\n    send_mail('s', 'm', 'from@x', recipient_list=[])\n    send_mail('s', 'm', 'from@x', OFFICE)\n    send_mail('s', 'm', 'from@x', settings.MANAGERS)\n    EmailMessage('s', 'b', 'f@x', to=['a@x', 'b@x']).send()\n";
        let got: Vec<Recipients> = python(src).into_iter().map(|c| c.recipients).collect();
        assert_eq!(
            got,
            [
                Recipients::Empty,
                Recipients::Addresses(vec!["office@weber.de".into()]),
                Recipients::Unknown,
                Recipients::Addresses(vec!["a@x".into(), "b@x".into()]),
            ]
        );
    }
}
