//! Routes of JavaScript/TypeScript servers: Express, Koa and Fastify calls,
//! and Next.js API routes and route handlers (by file path).

use super::{normalize, unquote, Route};
use crate::readers::syntax::{first_line, named_children, text_of};
use tree_sitter::Node;

pub(super) fn nextjs_route(path: &str, text: &str) -> Option<Route> {
    let ext_ok = [".js", ".ts", ".jsx", ".tsx", ".mjs"]
        .iter()
        .any(|e| path.ends_with(e));
    if !ext_ok {
        return None;
    }
    let segs: Vec<&str> = path.split('/').collect();
    let stem = |s: &str| {
        s.rsplit_once('.')
            .map_or(s.to_string(), |(a, _)| a.to_string())
    };
    // Route groups `(marketing)` are not part of the URL.
    let clean = |parts: &[String]| -> String {
        let kept: Vec<&str> = parts
            .iter()
            .map(String::as_str)
            .filter(|p| !(p.starts_with('(') && p.ends_with(')')))
            .collect();
        normalize(&kept.join("/"))
    };
    if let Some(i) = segs.iter().position(|s| *s == "pages") {
        if segs.get(i + 1) == Some(&"api") {
            let mut parts: Vec<String> = segs[i + 1..segs.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let last = stem(segs[segs.len() - 1]);
            if last != "index" {
                parts.push(last);
            }
            return Some(Route {
                methods: Vec::new(),
                path: clean(&parts),
                name: None,
                framework: "Next.js",
                relative: false,
                range: {
                    let start = text.find("export default").unwrap_or(0);
                    start..text[start..].find('\n').map_or(text.len(), |e| start + e)
                },
            });
        }
    }
    if let Some(i) = segs.iter().position(|s| *s == "app") {
        if stem(segs[segs.len() - 1]) == "route" {
            let methods: Vec<String> = ["POST", "PUT", "PATCH", "DELETE", "GET"]
                .iter()
                .filter(|m| {
                    text.contains(&format!("function {m}"))
                        || text.contains(&format!("const {m}"))
                        || text.contains(&format!("{m},")) && text.contains("export")
                })
                .map(|m| m.to_string())
                .collect();
            let start = text.find("export").unwrap_or(0);
            let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
            return Some(Route {
                methods,
                path: clean(
                    &segs[i + 1..segs.len() - 1]
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>(),
                ),
                name: None,
                framework: "Next.js",
                relative: false,
                range: start..end,
            });
        }
    }
    None
}

pub(super) const ROUTER_NAMES: &[&str] = &[
    "app", "router", "server", "fastify", "api", "routes", "route", "r", "koa", "hono", "express",
    "routers",
];

pub(super) const HTTP_VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "all", "head", "options",
];

pub(super) fn router_receiver(obj: &str) -> bool {
    let last = obj.rsplit('.').next().unwrap_or(obj).trim();
    let lower = last.to_ascii_lowercase();
    ROUTER_NAMES.contains(&lower.as_str()) || lower.ends_with("router") || lower.ends_with("app")
}

pub(super) fn js_routes(root: Node, text: &str, out: &mut Vec<Route>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        stack.extend(named_children(node));
        if node.kind() != "call_expression" {
            continue;
        }
        let (Some(f), Some(args)) = (
            node.child_by_field_name("function"),
            node.child_by_field_name("arguments"),
        ) else {
            continue;
        };
        if f.kind() != "member_expression" {
            continue;
        }
        let (Some(obj), Some(prop)) = (
            f.child_by_field_name("object"),
            f.child_by_field_name("property"),
        ) else {
            continue;
        };
        let verb = text_of(prop, text);
        let args = named_children(args);
        // `router.route('/p').post(…)`
        if HTTP_VERBS.contains(&verb) && obj.kind() == "call_expression" {
            let inner_f = obj.child_by_field_name("function");
            let is_route = inner_f
                .and_then(|g| g.child_by_field_name("property"))
                .is_some_and(|p| text_of(p, text) == "route");
            if is_route {
                if let Some(p) = obj
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0))
                    .filter(|p| p.kind() == "string")
                {
                    out.push(js_route(verb, &unquote(text_of(p, text)), node, text));
                }
                continue;
            }
        }
        if !router_receiver(text_of(obj, text)) {
            continue;
        }
        if HTTP_VERBS.contains(&verb) {
            let Some(first) = args
                .first()
                .filter(|a| matches!(a.kind(), "string" | "template_string"))
            else {
                continue;
            };
            let p = unquote(text_of(*first, text));
            // A handler must follow the path: `axios.post(url, data)` is a
            // client call, not a route, and has no function argument.
            let has_handler = args.iter().skip(1).any(|a| {
                matches!(
                    a.kind(),
                    "arrow_function"
                        | "function_expression"
                        | "function"
                        | "identifier"
                        | "member_expression"
                        | "call_expression"
                )
            });
            if p.starts_with('/') && has_handler && args.len() >= 2 {
                out.push(js_route(verb, &p, node, text));
            }
        } else if verb == "route" {
            // Fastify: `fastify.route({ method: 'POST', url: '/p', handler })`.
            let Some(obj_arg) = args.first().filter(|a| a.kind() == "object") else {
                continue;
            };
            let (mut method, mut url) = (Vec::new(), None);
            for pair in named_children(*obj_arg)
                .into_iter()
                .filter(|p| p.kind() == "pair")
            {
                let (Some(k), Some(v)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    continue;
                };
                match unquote(text_of(k, text)).as_str() {
                    "method" => {
                        method = text_of(v, text)
                            .split(|c: char| !c.is_alphabetic())
                            .filter(|s| !s.is_empty())
                            .map(|s| s.to_ascii_uppercase())
                            .collect()
                    }
                    "url" | "path" => url = Some(unquote(text_of(v, text))),
                    _ => {}
                }
            }
            if let Some(u) = url.filter(|u| u.starts_with('/')) {
                out.push(Route {
                    methods: method,
                    path: normalize(&u),
                    name: None,
                    framework: "Fastify",
                    relative: false,
                    range: node.byte_range(),
                });
            }
        }
    }
}

pub(super) fn js_route(verb: &str, path: &str, node: Node, text: &str) -> Route {
    let methods = if verb == "all" {
        Vec::new()
    } else {
        vec![verb.to_ascii_uppercase()]
    };
    Route {
        methods,
        path: normalize(path),
        name: None,
        framework: "Express",
        relative: false,
        range: first_line(node, text),
    }
}
