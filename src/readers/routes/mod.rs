//! The endpoints a revision serves: the other end of a form. Read from the
//! route declarations of the common web frameworks with their grammars:
//! Express, Koa and Fastify routers, Next.js API routes and route handlers,
//! Flask and FastAPI decorators, Django `urls.py`, Laravel `routes/*.php`,
//! Symfony `#[Route]` attributes and `config/routes*.yaml`, and Rails
//! `config/routes.rb`.

use crate::pipeline::lang::Lang;
use crate::readers::keypath;
use javascript::{js_routes, nextjs_route};
use php::{php_routes, symfony_yaml_routes};
use python::python_routes;
use rails::rails_routes;
pub use rails::symbol_or_string as rails_symbol_or_string;
use std::ops::Range;
use tree_sitter::Tree;

mod javascript;
mod php;
mod python;
mod rails;

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Upper case; empty means every method.
    pub methods: Vec<String>,
    /// Rooted, no trailing slash, parameters as `*`: `/orders/*/pay`.
    /// Empty when code builds it: such a route is known by its name only.
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
        if self.path.is_empty() {
            return false;
        }
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

pub(super) fn unquote(s: &str) -> String {
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
        // What `js_routes` reads: a write verb called with a rooted path
        // (`router.post('/x'`), or `.route(`. A verb with anything else
        // first (`db.delete(key)`, `axios.post(url`) is no route.
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
            return text.contains(".route(")
                || [".post(", ".put(", ".patch(", ".delete(", ".all("]
                    .iter()
                    .any(|verb| called_with_rooted_path(text, verb));
        }
        Lang::Python if path.ends_with("urls.py") => &["path(", "url(", "route("],
        // What `python_routes` reads outside `urls.py`: a decorator. The
        // same words anywhere (`obj.delete(`, `mock.patch(`, `get_url(`)
        // had saleor's 800 commits parse 190 GraphQL modules for routes.
        Lang::Python => {
            // From each `@` that opens a line (few do), that line and the next.
            return memchr::memchr_iter(b'@', text.as_bytes()).any(|at| {
                let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
                let mut lines = text[start..].lines();
                let line = lines.next().unwrap_or("");
                python_route_decorator(line, lines.next().unwrap_or(""))
            });
        }
        Lang::Php => &["Route"],
        Lang::Ruby => &["draw"],
        Lang::Yaml => &["path:"],
        _ => &[],
    };
    markers.iter().any(|m| text.contains(m))
}

/// Whether `text` calls `call` (`.post(`) with a string or template
/// literal that starts with `/` as its first argument.
fn called_with_rooted_path(text: &str, call: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), call.as_bytes()).any(|at| {
        let rest = text[at + call.len()..].trim_start().as_bytes();
        matches!(rest, [b'\'' | b'"' | b'`', b'/', ..])
    })
}

/// Whether a line opens a decorator `python_routes` reads as a route: a
/// `route`, `api_route` or write-verb attribute called with a rooted (or
/// empty) path as its first argument, on this line or the `next`. Not
/// `@mock.patch("app.mail.send")`, whose string names an object.
fn python_route_decorator(line: &str, next: &str) -> bool {
    let Some(decorator) = line.trim_start().strip_prefix('@') else {
        return false;
    };
    let Some((callee, args)) = decorator.split_once('(') else {
        return false;
    };
    let verb = callee.rsplit('.').next().unwrap_or("").trim();
    if !callee.contains('.')
        || !matches!(
            verb,
            "route" | "api_route" | "post" | "put" | "patch" | "delete"
        )
    {
        return false;
    }
    let args = match args.trim() {
        "" => next,
        args => args,
    };
    let first = args.trim_start().trim_start_matches(['r', 'u', 'f']);
    match first.chars().next() {
        Some(q @ ('"' | '\'')) => first[1..].starts_with(['/', q]),
        _ => false,
    }
}

/// Whether a changed line of a file that may declare routes can change
/// what it declares: the lines a route is made of (a decorator, a
/// function name that is a Flask endpoint, a path literal, a method list,
/// a router or prefix), so a change to the rest of a large view module is
/// not parsed for routes. Django `urls.py`, Next.js route files and the
/// other languages' route files are always read.
pub fn route_line(path: &str, lang: Lang, line: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if path.contains("pages/api/") || name.starts_with("route.") || name == "urls.py" {
        return true;
    }
    let words: &[&str] = match lang {
        Lang::Python => &[
            "@", "def ", "\"/", "'/", "methods", "endpoint", "prefix", "route",
        ],
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => &[
            ".post(", ".put(", ".patch(", ".delete(", ".all(", ".route(", "router", "Router",
            ".use(", "\"/", "'/", "`/", "prefix",
        ],
        _ => return true,
    };
    words.iter().any(|w| line.contains(w))
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
            let language: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
            if let Ok(t) = crate::pipeline::parse::parse_bounded(&language, text) {
                php_routes(t.root_node(), text, &mut out);
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
mod tests;
