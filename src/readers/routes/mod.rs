//! The endpoints a revision serves: the other end of a form. Read from the
//! route declarations of the common web frameworks with their grammars:
//! Express, Koa and Fastify routers, Next.js API routes and route handlers,
//! Flask and FastAPI decorators, Django `urls.py`, Laravel `routes/*.php`,
//! Symfony `#[Route]` attributes and `config/routes*.yaml`, and Rails
//! `config/routes.rb`.

use crate::pipeline::lang::Lang;
use crate::readers::keypath::{self, Scalar};
use crate::readers::syntax::{first_line, named_children, text_of};
use std::ops::Range;
use tree_sitter::{Node, Tree};

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Upper case; empty means every method.
    pub methods: Vec<String>,
    /// Rooted, no trailing slash, parameters as `*`: `/orders/*/pay`.
    pub path: String,
    /// The route's name, for template helpers (`url_for`, `{% url %}`,
    /// `route()`, `*_path`).
    pub name: Option<String>,
    pub framework: &'static str,
    /// Declared under a prefix we cannot see (a blueprint, an `include`, a
    /// route group): matches any action that ends with it.
    pub relative: bool,
    /// The declaration, for the excerpt.
    pub range: Range<usize>,
}

impl Route {
    pub fn accepts_post(&self) -> bool {
        self.methods.is_empty() || self.methods.iter().any(|m| m != "GET" && m != "HEAD")
    }

    /// Whether a form action's path (`/kontakt`, query and fragment
    /// stripped) reaches this route.
    pub fn serves(&self, action_path: &str) -> bool {
        let action = normalize(action_path);
        let want: Vec<&str> = self.path.split('/').filter(|s| !s.is_empty()).collect();
        let got: Vec<&str> = action.split('/').filter(|s| !s.is_empty()).collect();
        if want.is_empty() {
            return got.is_empty();
        }
        let segs_match = |tail: &[&str]| {
            tail.len() == want.len() && tail.iter().zip(&want).all(|(g, w)| *w == "*" || g == w)
        };
        if self.relative {
            got.len() >= want.len() && segs_match(&got[got.len() - want.len()..])
        } else {
            segs_match(&got)
        }
    }
}

/// `/contact/` → `/contact`; `{id}`, `:id`, `<int:id>`, `[id]`, `(?P<id>…)` → `*`.
pub fn normalize(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_start_matches('^').trim_end_matches('$');
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with(':')
                || s.starts_with('{')
                || s.starts_with('<')
                || s.starts_with('[')
                || s.starts_with('(')
                || s.contains('*')
            {
                "*".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("/{}", segs.join("/"))
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix(['r', 'u', 'f'])
        .filter(|r| r.starts_with(['"', '\'']))
        .unwrap_or(s);
    s.trim_matches(['"', '\'', '`']).to_string()
}

/// Whether a file can declare routes, by its path (cheap; no reading).
pub fn may_declare_routes(path: &str, lang: Lang) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match lang {
        Lang::Python | Lang::JavaScript | Lang::TypeScript | Lang::Tsx => true,
        Lang::Php => {
            path.contains("routes/") || path.contains("Controller") || path.contains("src/")
        }
        Lang::Ruby => name == "routes.rb",
        Lang::Yaml => name.starts_with("routes") || path.contains("config/routes"),
        _ => false,
    }
}

/// Whether a file's text can declare a route at all: a byte check before
/// any parse.
pub fn mentions_routes(path: &str, lang: Lang, text: &str) -> bool {
    if path.contains("pages/api/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with("route."))
    {
        return true;
    }
    let markers: &[&str] = match lang {
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
            &[".post(", ".put(", ".patch(", ".delete(", ".all(", ".route("]
        }
        Lang::Python => &[
            "route(", ".post(", ".put(", ".patch(", ".delete(", "path(", "url(",
        ],
        Lang::Php => &["Route"],
        Lang::Ruby => &["draw"],
        Lang::Yaml => &["path:"],
        _ => &[],
    };
    markers.iter().any(|m| text.contains(m))
}

/// The routes one file declares. `tree` is the file's parse for the
/// grammar-backed languages (PHP is parsed here).
pub fn routes_of(path: &str, lang: Lang, text: &str, tree: Option<&Tree>) -> Vec<Route> {
    let mut out = Vec::new();
    if let Some(r) = nextjs_route(path, text) {
        out.push(r);
        return out;
    }
    match lang {
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
            if let Some(t) = tree {
                js_routes(t.root_node(), text, &mut out);
            }
        }
        Lang::Python => {
            if let Some(t) = tree {
                python_routes(t.root_node(), text, path.ends_with("urls.py"), &mut out);
            }
        }
        Lang::Php => {
            let mut parser = tree_sitter::Parser::new();
            let language: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
            if parser.set_language(&language).is_ok() {
                if let Some(t) = parser.parse(text, None) {
                    php_routes(t.root_node(), text, &mut out);
                }
            }
        }
        Lang::Ruby => {
            if let Some(t) = tree {
                rails_routes(t.root_node(), text, "", &mut out);
            }
        }
        Lang::Yaml => {
            if let Some(entries) = keypath::entries(lang, text, tree) {
                symfony_yaml_routes(&entries, &mut out);
            }
        }
        _ => {}
    }
    out.sort_by_key(|r| r.range.start);
    out
}

// --------------------------------------------------------------- next.js --

fn nextjs_route(path: &str, text: &str) -> Option<Route> {
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

// ------------------------------------------------------------ express etc --

const ROUTER_NAMES: &[&str] = &[
    "app", "router", "server", "fastify", "api", "routes", "route", "r", "koa", "hono", "express",
    "routers",
];
const HTTP_VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "all", "head", "options",
];

fn router_receiver(obj: &str) -> bool {
    let last = obj.rsplit('.').next().unwrap_or(obj).trim();
    let lower = last.to_ascii_lowercase();
    ROUTER_NAMES.contains(&lower.as_str()) || lower.ends_with("router") || lower.ends_with("app")
}

fn js_routes(root: Node, text: &str, out: &mut Vec<Route>) {
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

fn js_route(verb: &str, path: &str, node: Node, text: &str) -> Route {
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

// ---------------------------------------------------------------- python --

fn python_routes(root: Node, text: &str, urls_py: bool, out: &mut Vec<Route>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        stack.extend(named_children(node));
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

// ------------------------------------------------------------------- php --

fn php_routes(root: Node, text: &str, out: &mut Vec<Route>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        stack.extend(named_children(node));
        match node.kind() {
            "scoped_call_expression" => {
                let scope = node
                    .child_by_field_name("scope")
                    .map_or("", |s| text_of(s, text));
                if !scope.ends_with("Route") {
                    continue;
                }
                let verb = node
                    .child_by_field_name("name")
                    .map_or("", |n| text_of(n, text))
                    .to_ascii_lowercase();
                let args: Vec<Node> = node
                    .child_by_field_name("arguments")
                    .map(named_children)
                    .unwrap_or_default();
                let arg = |i: usize| args.get(i).and_then(|a| a.named_child(0));
                let (methods, path_arg) = match verb.as_str() {
                    "post" | "put" | "patch" | "delete" | "get" => {
                        (vec![verb.to_ascii_uppercase()], arg(0))
                    }
                    "any" => (Vec::new(), arg(0)),
                    "match" => (
                        arg(0)
                            .map(|m| {
                                named_children(m)
                                    .iter()
                                    .map(|e| unquote(text_of(*e, text)).to_ascii_uppercase())
                                    .collect()
                            })
                            .unwrap_or_default(),
                        arg(1),
                    ),
                    "resource" | "apiresource" => {
                        if let Some(p) = arg(0) {
                            let base = normalize(&unquote(text_of(p, text)));
                            for (m, suffix) in [
                                ("POST", ""),
                                ("PUT", "/*"),
                                ("PATCH", "/*"),
                                ("DELETE", "/*"),
                            ] {
                                out.push(Route {
                                    methods: vec![m.into()],
                                    path: format!("{base}{suffix}"),
                                    name: Some(format!("{}.store", base.trim_start_matches('/'))),
                                    framework: "Laravel",
                                    relative: true,
                                    range: node.byte_range(),
                                });
                            }
                        }
                        continue;
                    }
                    _ => continue,
                };
                let Some(p) = path_arg.filter(|p| matches!(p.kind(), "string" | "encapsed_string"))
                else {
                    continue;
                };
                // `->name('contact.send')` wraps this call.
                let name = node
                    .parent()
                    .filter(|p| {
                        p.kind() == "member_call_expression"
                            && p.child_by_field_name("name")
                                .is_some_and(|n| text_of(n, text) == "name")
                    })
                    .and_then(|p| p.child_by_field_name("arguments"))
                    .and_then(|a| a.named_child(0))
                    .and_then(|a| a.named_child(0))
                    .map(|s| unquote(text_of(s, text)));
                out.push(Route {
                    methods,
                    path: normalize(&unquote(text_of(p, text))),
                    name,
                    framework: "Laravel",
                    relative: true,
                    range: node.byte_range(),
                });
            }
            "attribute" => {
                let name = node.named_child(0).map_or("", |n| text_of(n, text));
                if !name.ends_with("Route") {
                    continue;
                }
                let raw = text_of(node, text);
                let Some(path) = raw.split(['\'', '"']).nth(1) else {
                    continue;
                };
                let methods = raw
                    .split_once("methods")
                    .map(|(_, m)| {
                        m.split(|c: char| !c.is_alphabetic())
                            .filter(|w| {
                                ["GET", "POST", "PUT", "PATCH", "DELETE"]
                                    .contains(&w.to_ascii_uppercase().as_str())
                                    && !w.is_empty()
                            })
                            .map(|w| w.to_ascii_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                let route_name = raw
                    .split_once("name:")
                    .or_else(|| raw.split_once("name="))
                    .and_then(|(_, r)| r.split(['\'', '"']).nth(1))
                    .map(str::to_string);
                out.push(Route {
                    methods,
                    path: normalize(path),
                    name: route_name,
                    framework: "Symfony",
                    relative: true,
                    range: node.byte_range(),
                });
            }
            _ => {}
        }
    }
}

// ----------------------------------------------------------------- rails --

fn symbol_or_string(node: Node, text: &str) -> Option<String> {
    match node.kind() {
        "simple_symbol" => Some(text_of(node, text).trim_start_matches(':').to_string()),
        "string" => Some(unquote(text_of(node, text))),
        _ => None,
    }
}

fn rails_routes(node: Node, text: &str, prefix: &str, out: &mut Vec<Route>) {
    for child in named_children(node) {
        if child.kind() != "call" || child.child_by_field_name("receiver").is_some() {
            rails_routes(child, text, prefix, out);
            continue;
        }
        let method = child
            .child_by_field_name("method")
            .map_or("", |m| text_of(m, text));
        let args: Vec<Node> = child
            .child_by_field_name("arguments")
            .map(named_children)
            .unwrap_or_default();
        let first = args.first().and_then(|a| symbol_or_string(*a, text));
        let pairs: Vec<(String, String)> = args
            .iter()
            .filter(|a| a.kind() == "pair")
            .filter_map(|p| {
                let k = text_of(p.child_by_field_name("key")?, text)
                    .trim_end_matches(':')
                    .trim_start_matches(':')
                    .to_string();
                Some((
                    k,
                    text_of(p.child_by_field_name("value")?, text).to_string(),
                ))
            })
            .collect();
        let opt = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        match (method, first) {
            ("namespace" | "scope", Some(p)) => {
                let inner = format!("{prefix}/{}", p.trim_matches('/'));
                if let Some(block) = child.child_by_field_name("block") {
                    rails_routes(block, text, &inner, out);
                }
            }
            ("post" | "put" | "patch" | "delete" | "get" | "match", Some(p)) => {
                let methods = if method == "match" {
                    opt("via")
                        .map(|v| {
                            v.split(|c: char| !c.is_alphabetic())
                                .filter(|w| !w.is_empty())
                                .map(str::to_ascii_uppercase)
                                .filter(|w| w != "ALL")
                                .collect()
                        })
                        .unwrap_or_default()
                } else {
                    vec![method.to_ascii_uppercase()]
                };
                let name = opt("as").map(|v| v.trim_matches([':', '"', '\'']).to_string());
                out.push(Route {
                    methods,
                    path: normalize(&format!("{prefix}/{}", p.trim_start_matches('/'))),
                    name,
                    framework: "Rails",
                    relative: false,
                    range: child.byte_range(),
                });
            }
            ("resources" | "resource", Some(p)) => {
                let only = opt("only");
                let except = opt("except");
                let allowed = |action: &str| {
                    only.as_ref().is_none_or(|o| o.contains(action))
                        && !except.as_ref().is_some_and(|e| e.contains(action))
                };
                let base = normalize(&format!("{prefix}/{p}"));
                let member = if method == "resources" {
                    format!("{base}/*")
                } else {
                    base.clone()
                };
                if allowed("create") {
                    out.push(Route {
                        methods: vec!["POST".into()],
                        path: base.clone(),
                        name: Some(p.clone()),
                        framework: "Rails",
                        relative: false,
                        range: child.byte_range(),
                    });
                }
                if allowed("update") {
                    out.push(Route {
                        methods: vec!["PATCH".into(), "PUT".into()],
                        path: member.clone(),
                        name: None,
                        framework: "Rails",
                        relative: false,
                        range: child.byte_range(),
                    });
                }
                if allowed("destroy") {
                    out.push(Route {
                        methods: vec!["DELETE".into()],
                        path: member,
                        name: None,
                        framework: "Rails",
                        relative: false,
                        range: child.byte_range(),
                    });
                }
                if let Some(block) = child.child_by_field_name("block") {
                    rails_routes(block, text, &format!("{base}/*"), out);
                }
            }
            _ => rails_routes(child, text, prefix, out),
        }
    }
}

// ---------------------------------------------------------- symfony yaml --

fn symfony_yaml_routes(entries: &[keypath::ConfigEntry], out: &mut Vec<Route>) {
    for e in entries.iter().filter(|e| e.path.ends_with(".path")) {
        let name = e.path.trim_end_matches(".path");
        if name.contains('.') {
            continue;
        }
        let Scalar::Text(p) = &e.value else {
            continue;
        };
        let methods = entries
            .iter()
            .find(|m| m.path == format!("{name}.methods"))
            .map(|m| match &m.value {
                Scalar::List(l) => l.iter().map(|s| s.to_ascii_uppercase()).collect(),
                other => other
                    .shown()
                    .split(['|', ','])
                    .map(|s| s.trim().to_ascii_uppercase())
                    .collect(),
            })
            .unwrap_or_default();
        out.push(Route {
            methods,
            path: normalize(p),
            name: Some(name.to_string()),
            framework: "Symfony",
            relative: true,
            range: e.range.clone(),
        });
    }
}

/// A route name referenced by a templated form action: `url_for('contact')`,
/// `{% url 'contact' %}`, `route('contact.send')`, `path('contact')`,
/// `contact_path`.
pub fn referenced_name(template: &str) -> Option<String> {
    for call in ["url_for(", "route(", "path(", "url("] {
        if let Some(i) = template.find(call) {
            let rest = &template[i + call.len()..];
            let name = rest.trim_start().split(['\'', '"']).nth(1)?;
            return Some(name.to_string());
        }
    }
    if let Some(i) = template.find("{% url") {
        return template[i + 6..]
            .trim_start()
            .split(['\'', '"'])
            .nth(1)
            .map(str::to_string);
    }
    template
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|w| w.ends_with("_path") || w.ends_with("_url"))
        .map(|w| {
            w.trim_end_matches("_path")
                .trim_end_matches("_url")
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::parse::grammar;

    fn routes(path: &str, lang: Lang, text: &str) -> Vec<(String, String, Option<String>)> {
        let tree = grammar(lang).filter(|_| lang != Lang::Php).map(|g| {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&g).unwrap();
            p.parse(text, None).unwrap()
        });
        routes_of(path, lang, text, tree.as_ref())
            .into_iter()
            .map(|r| (r.methods.join("|"), r.path, r.name))
            .collect()
    }

    #[test]
    fn express_fastify_and_client_calls() {
        let js = "app.post('/contact', handler);\nrouter.route('/orders/:id').put((req, res) => {});\nfastify.route({ method: 'POST', url: '/hook', handler });\naxios.post('/api/contact', data);\napp.get('/', (q, s) => {});\n";
        assert_eq!(
            routes("server.js", Lang::JavaScript, js),
            [
                ("POST".into(), "/contact".into(), None),
                ("PUT".into(), "/orders/*".into(), None),
                ("POST".into(), "/hook".into(), None),
                ("GET".into(), "/".into(), None),
            ]
        );
    }

    #[test]
    fn flask_fastapi_and_django() {
        let py = "@app.route('/contact', methods=['GET', 'POST'])\ndef contact():\n    pass\n\n@app.route('/about')\ndef about():\n    pass\n\n@router.post('/api/lead')\nasync def lead():\n    pass\n";
        let got = routes("app.py", Lang::Python, py);
        assert_eq!(
            got[0],
            ("GET|POST".into(), "/contact".into(), Some("contact".into()))
        );
        assert_eq!(got[1].0, "GET");
        assert_eq!(
            got[2],
            ("POST".into(), "/api/lead".into(), Some("lead".into()))
        );
        let urls = "urlpatterns = [\n    path('kontakt/', views.contact, name='contact'),\n    path('shop/', include('shop.urls')),\n    re_path(r'^orders/(?P<pk>\\d+)/$', views.order),\n]\n";
        assert_eq!(
            routes("site/urls.py", Lang::Python, urls),
            [
                ("".into(), "/kontakt".into(), Some("contact".into())),
                ("".into(), "/orders/*".into(), None)
            ]
        );
    }

    #[test]
    fn laravel_symfony_rails_nextjs() {
        let php = "<?php\nRoute::post('/kontakt', [ContactController::class, 'send'])->name('contact.send');\nRoute::match(['get', 'post'], '/newsletter', NewsletterController::class);\nRoute::resource('photos', PhotoController::class);\n";
        let got = routes("routes/web.php", Lang::Php, php);
        assert_eq!(
            got[0],
            (
                "POST".into(),
                "/kontakt".into(),
                Some("contact.send".into())
            )
        );
        assert_eq!(got[1], ("GET|POST".into(), "/newsletter".into(), None));
        assert_eq!(got[2].1, "/photos");
        let sym = "<?php\nclass C {\n  #[Route('/contact', name: 'contact', methods: ['POST'])]\n  public function send() {}\n}\n";
        assert_eq!(
            routes("src/Controller/C.php", Lang::Php, sym),
            [("POST".into(), "/contact".into(), Some("contact".into()))]
        );
        let rb = "Rails.application.routes.draw do\n  post '/contact', to: 'contact#create'\n  resources :messages, only: [:create, :index]\n  namespace :admin do\n    match 'import', to: 'import#run', via: [:post]\n  end\nend\n";
        assert_eq!(
            routes("config/routes.rb", Lang::Ruby, rb),
            [
                ("POST".into(), "/contact".into(), None),
                ("POST".into(), "/messages".into(), Some("messages".into())),
                ("POST".into(), "/admin/import".into(), None),
            ]
        );
        let next = "export async function POST(req) { return Response.json({}) }\n";
        assert_eq!(
            routes("app/(site)/api/contact/route.ts", Lang::TypeScript, next),
            [("POST".into(), "/api/contact".into(), None)]
        );
        assert_eq!(
            routes(
                "pages/api/contact.js",
                Lang::JavaScript,
                "export default function h(){}"
            ),
            [("".into(), "/api/contact".into(), None)]
        );
    }

    #[test]
    fn serving_and_names() {
        let r = Route {
            methods: vec![],
            path: "/kontakt".into(),
            name: None,
            framework: "Django",
            relative: true,
            range: 0..0,
        };
        assert!(r.serves("/de/kontakt/") && r.serves("/kontakt?x=1") && !r.serves("/kontakt/neu"));
        assert_eq!(
            referenced_name("{{ url_for('main.contact') }}").as_deref(),
            Some("main.contact")
        );
        assert_eq!(
            referenced_name("{% url 'contact' %}").as_deref(),
            Some("contact")
        );
        assert_eq!(
            referenced_name("{{ route('contact.send') }}").as_deref(),
            Some("contact.send")
        );
        assert_eq!(
            referenced_name("<%= messages_path %>").as_deref(),
            Some("messages")
        );
    }
}
