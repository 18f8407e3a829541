//! Routes of Python web frameworks: Flask and FastAPI decorators, Django
//! `urls.py` (`path`, `re_path`).

use super::{normalize, unquote, Route};
use crate::readers::syntax::{named_children, text_of};
use tree_sitter::Node;

pub(super) fn python_routes(root: Node, text: &str, urls_py: bool, out: &mut Vec<Route>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        // Decorators stand on statements: outside `urls.py` an expression
        // holds no route, and most of a module's nodes are expressions.
        if urls_py || holds_statements(node.kind()) {
            stack.extend(named_children(node));
        }
        match node.kind() {
            "decorated_definition" => {
                let func = node.child_by_field_name("definition");
                let func_name = func
                    .and_then(|f| f.child_by_field_name("name"))
                    .map(|n| text_of(n, text).to_string());
                for dec in named_children(node)
                    .into_iter()
                    .filter(|d| d.kind() == "decorator")
                {
                    let Some(call) = dec.named_child(0).filter(|c| c.kind() == "call") else {
                        continue;
                    };
                    let Some(f) = call
                        .child_by_field_name("function")
                        .filter(|f| f.kind() == "attribute")
                    else {
                        continue;
                    };
                    let verb = f
                        .child_by_field_name("attribute")
                        .map_or("", |a| text_of(a, text));
                    let owner = f
                        .child_by_field_name("object")
                        .map_or("", |o| text_of(o, text));
                    let args: Vec<Node> = call
                        .child_by_field_name("arguments")
                        .map(named_children)
                        .unwrap_or_default();
                    let Some(p) = args.first().filter(|a| a.kind() == "string") else {
                        continue;
                    };
                    let p = unquote(text_of(*p, text));
                    // A route's path is rooted; `@patch("saleor.x.send")`
                    // and `@mock.patch(…)` name an object to mock.
                    if !(p.is_empty() || p.starts_with('/')) {
                        continue;
                    }
                    let kw = |name: &str| {
                        args.iter()
                            .find(|a| {
                                a.kind() == "keyword_argument"
                                    && a.child_by_field_name("name").map(|n| text_of(n, text))
                                        == Some(name)
                            })
                            .and_then(|a| a.child_by_field_name("value"))
                    };
                    let methods: Vec<String> = match verb {
                        "route" | "api_route" => match kw("methods") {
                            Some(m) => named_children(m)
                                .iter()
                                .map(|s| unquote(text_of(*s, text)).to_ascii_uppercase())
                                .collect(),
                            // Flask's default is GET only.
                            None => vec!["GET".to_string()],
                        },
                        "post" | "put" | "patch" | "delete" | "get" => {
                            vec![verb.to_ascii_uppercase()]
                        }
                        _ => continue,
                    };
                    let endpoint = kw("endpoint")
                        .map(|e| unquote(text_of(e, text)))
                        .or(func_name.clone());
                    // A blueprint's url_prefix is declared elsewhere.
                    let relative = !matches!(owner, "app" | "application");
                    out.push(Route {
                        methods,
                        path: normalize(&p),
                        name: endpoint,
                        framework: if matches!(verb, "route") {
                            "Flask"
                        } else {
                            "FastAPI/Flask"
                        },
                        relative,
                        range: dec.byte_range(),
                    });
                }
            }
            "call" if urls_py => {
                let Some(f) = node.child_by_field_name("function") else {
                    continue;
                };
                let fname = text_of(f, text);
                if !matches!(fname, "path" | "re_path" | "url") {
                    continue;
                }
                let args: Vec<Node> = node
                    .child_by_field_name("arguments")
                    .map(named_children)
                    .unwrap_or_default();
                let Some(p) = args.first().filter(|a| a.kind() == "string") else {
                    continue;
                };
                // `include(...)` lines are prefixes, not endpoints.
                if args
                    .get(1)
                    .is_some_and(|a| text_of(*a, text).starts_with("include("))
                {
                    continue;
                }
                let name = args
                    .iter()
                    .find(|a| {
                        a.kind() == "keyword_argument"
                            && a.child_by_field_name("name").map(|n| text_of(n, text))
                                == Some("name")
                    })
                    .and_then(|a| a.child_by_field_name("value"))
                    .map(|v| unquote(text_of(v, text)));
                out.push(Route {
                    methods: Vec::new(),
                    path: normalize(&unquote(text_of(*p, text))),
                    name,
                    framework: "Django",
                    relative: true,
                    range: node.byte_range(),
                });
            }
            _ => {}
        }
    }
}

/// Whether a node of this kind can hold a decorated definition.
fn holds_statements(kind: &str) -> bool {
    matches!(
        kind,
        "module"
            | "block"
            | "class_definition"
            | "function_definition"
            | "decorated_definition"
            | "if_statement"
            | "elif_clause"
            | "else_clause"
            | "with_statement"
            | "try_statement"
            | "except_clause"
            | "finally_clause"
            | "for_statement"
            | "while_statement"
    )
}
