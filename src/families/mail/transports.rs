//! Mail-transport settings of Spring Boot properties, nodemailer transports
//! and Laravel's `config/mail.php`, read into the family's [`Setting`]s so
//! the backend comparison treats them like `.env` and Django settings.

use super::backends::Setting;
use crate::readers::syntax::{children, text_of};
use tree_sitter::Node;

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\'', '`'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// `spring.mail.*` lines of a `.properties` file (`key=value`,
/// `key: value` or `key value`, `#`/`!` comments). Other keys are skipped:
/// a properties file holds a whole application's configuration.
pub(super) fn spring_properties(text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    for (start, line) in crate::pipeline::source::lines(text) {
        let t = line.trim_start();
        if t.starts_with(['#', '!']) || !t.starts_with("spring.mail.") {
            continue;
        }
        let split = t.find(['=', ':', ' ', '\t']).unwrap_or(t.len());
        let key = &t[..split];
        let value = t[split..].trim_start_matches([' ', '\t']);
        let value = value.strip_prefix(['=', ':']).unwrap_or(value).trim();
        out.push(Setting {
            key: key.to_string(),
            value: value.to_string(),
            range: start..start + line.len(),
            env_var: None,
        });
    }
    out
}

/// Words in a condition that make a transport a development-only branch.
const DEV_CONDITION_WORDS: &[&str] = &[
    "test",
    "dev",
    "development",
    "local",
    "debug",
    "NODE_ENV",
    "preview",
];

/// Whether a node sits in a branch chosen by the environment
/// (`NODE_ENV === 'test' ? {jsonTransport: true} : smtp`).
fn in_environment_branch(node: Node, text: &str) -> bool {
    let mut cur = node.parent();
    while let Some(n) = cur {
        let condition = match n.kind() {
            "ternary_expression" | "if_statement" => n.child_by_field_name("condition"),
            _ => None,
        };
        if let Some(c) = condition {
            let c = text_of(c, text);
            if DEV_CONDITION_WORDS.iter().any(|w| c.contains(w)) {
                return true;
            }
        }
        cur = n.parent();
    }
    false
}

/// The value of a nodemailer transport that sends.
pub(super) const SENDING: &str = "send";

/// nodemailer `createTransport(…)` calls: one `transport` setting per
/// call, whose value is `jsonTransport`/`streamTransport` when the options
/// turn it into a sink and [`SENDING`] otherwise. Calls inside a branch on the
/// environment are left out: a test transport there is the point.
pub(super) fn nodemailer_transports(root: Node, text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() == "call_expression" {
            let callee = node
                .child_by_field_name("function")
                .map_or("", |f| text_of(f, text));
            if (callee == "createTransport" || callee.ends_with(".createTransport"))
                && !in_environment_branch(node, text)
            {
                let args = node.child_by_field_name("arguments");
                let options = args.and_then(|a| a.named_child(0));
                let mut value = SENDING.to_string();
                if let Some(obj) = options.filter(|o| o.kind() == "object") {
                    for pair in children(obj) {
                        if pair.kind() != "pair" {
                            continue;
                        }
                        let key = pair
                            .child_by_field_name("key")
                            .map_or("", |k| text_of(k, text));
                        let on = pair
                            .child_by_field_name("value")
                            .is_some_and(|v| text_of(v, text) == "true");
                        let key = unquote(key);
                        if on && matches!(key, "jsonTransport" | "streamTransport") {
                            value = key.to_string();
                        }
                    }
                }
                out.push(Setting {
                    key: "createTransport".to_string(),
                    value,
                    range: node.byte_range(),
                    env_var: None,
                });
            }
        }
        let mut kids = children(node);
        kids.reverse();
        stack.extend(kids);
    }
    out.sort_by_key(|s| s.range.start);
    out
}

/// The `'default' => …` mailer of Laravel's `config/mail.php`: a string,
/// or the fallback of `env('MAIL_MAILER', '…')`, as setting `default`.
/// Only the returned array's own key: each entry of `mailers` has keys of
/// its own.
pub(super) fn laravel_default_mailer(text: &str) -> Vec<Setting> {
    // The cache parses PHP as the HTML around its code; this small config
    // file needs the code itself.
    let language: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
    let Ok(tree) = crate::pipeline::parse::parse_bounded(&language, text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        let top_level = node.parent().is_some_and(|array| {
            array.kind() == "array_creation_expression"
                && array
                    .parent()
                    .is_some_and(|r| r.kind() == "return_statement")
        });
        if node.kind() == "array_element_initializer" && top_level {
            let parts: Vec<Node> = children(node)
                .into_iter()
                .filter(|c| c.is_named())
                .collect();
            if let [key, value] = parts[..] {
                if unquote(text_of(key, text)) == "default" {
                    let mailer = match value.kind() {
                        "function_call_expression" => {
                            let name = value
                                .child_by_field_name("function")
                                .map_or("", |f| text_of(f, text));
                            let args = value.child_by_field_name("arguments");
                            let fallback = args.and_then(|a| a.named_child(1));
                            match (name, fallback) {
                                ("env", Some(arg)) => Some(unquote(text_of(arg, text)).to_string()),
                                _ => None,
                            }
                        }
                        "string" | "encapsed_string" => {
                            Some(unquote(text_of(value, text)).to_string())
                        }
                        _ => None,
                    };
                    if let Some(mailer) = mailer {
                        out.push(Setting {
                            key: "default".to_string(),
                            value: mailer,
                            range: node.byte_range(),
                            env_var: None,
                        });
                    }
                    continue;
                }
            }
        }
        let mut kids = children(node);
        kids.reverse();
        stack.extend(kids);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::lang::Lang;
    use crate::pipeline::parse::grammar;

    fn tree(src: &str, lang: Lang) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar(lang).unwrap()).unwrap();
        parser.parse(src, None).unwrap()
    }

    #[test]
    fn spring_mail_keys_in_every_separator_style() {
        let s = spring_properties(
            "server.port=8080\nspring.mail.host = smtp.example.com\n# spring.mail.port=25\nspring.mail.username: app\nspring.mail.password secret\n",
        );
        let kv: Vec<(&str, &str)> = s
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            kv,
            [
                ("spring.mail.host", "smtp.example.com"),
                ("spring.mail.username", "app"),
                ("spring.mail.password", "secret")
            ]
        );
    }

    #[test]
    fn nodemailer_sinks_and_environment_branches() {
        let src = "const t = nodemailer.createTransport({ jsonTransport: true });\n\
                   const u = createTransport({ host: 'smtp.x', port: 587 });\n\
                   const v = process.env.NODE_ENV === 'test' ? nodemailer.createTransport({ streamTransport: true }) : u;\n";
        let t = tree(src, Lang::JavaScript);
        let s = nodemailer_transports(t.root_node(), src);
        let values: Vec<&str> = s.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(values, ["jsonTransport", SENDING]);
    }

    #[test]
    fn laravel_default_mailer_from_env_fallback_or_string() {
        let src = "<?php\nreturn [\n    'default' => env('MAIL_MAILER', 'log'),\n    'mailers' => [\n        'smtp' => ['transport' => 'smtp', 'default' => 'x'],\n    ],\n];\n";
        let s = laravel_default_mailer(src);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].value, "log");
        assert_eq!(
            &src[s[0].range.clone()],
            "'default' => env('MAIL_MAILER', 'log')"
        );
    }
}
