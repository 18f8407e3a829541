//! Forms behind client-side routes. A single-page application reaches a
//! component's form only through its router: React Router's `<Route
//! path="/contact" element={<Contact />}>`, and the route objects of
//! `createBrowserRouter`, Vue Router and Angular (`{ path: 'contact',
//! component: Contact }`). When a changed router file stops routing a
//! component that renders a form, and no route of head renders it, the
//! form can no longer be reached although its component is untouched:
//! `forms/removed`.
//!
//! A component is known by the module it is imported from (so a route
//! that becomes lazy, `lazy(() => import('./pages/Contact'))`, still
//! routes it), else by its name.

use super::Forms;
use crate::families::context::{ChangedFile, Context, FileGroup};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::Parsed;
use crate::readers::syntax::named_children;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tree_sitter::Node;

/// A route of a client-side router.
#[derive(Debug)]
pub(super) struct ClientRoute {
    path: String,
    /// The routed component: its module (`src/pages/Contact`) when the
    /// file imports it, else `name:Contact`.
    component: String,
    /// The component's name as written, for the message.
    shown: String,
    range: std::ops::Range<usize>,
}

/// What a route renders: the component's name, and its module when the
/// route imports it itself (`() => import('./Contact.vue')`).
type Target = (String, Option<String>);

/// Keys of route objects that name what the route renders.
const TARGET_KEYS: &[&str] = &["component", "element", "Component", "loadComponent"];

/// The text of a string node without its quotes.
fn string_value(node: Node, parsed: &Parsed) -> Option<String> {
    matches!(node.kind(), "string" | "template_string").then(|| {
        parsed
            .text_of(node)
            .trim_matches(['"', '\'', '`'])
            .to_string()
    })
}

/// The module an `import('…')` call somewhere under `node` loads.
fn dynamic_import(node: Node, parsed: &Parsed) -> Option<String> {
    let mut stack = vec![node];
    let mut seen = 0;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 200 {
            return None;
        }
        if n.kind() == "call_expression"
            && n.child_by_field_name("function")
                .is_some_and(|f| f.kind() == "import")
        {
            let args = n.child_by_field_name("arguments")?;
            return args.named_child(0).and_then(|a| string_value(a, parsed));
        }
        stack.extend(named_children(n));
    }
    None
}

/// The component a route target renders: `Contact`, `<Contact />`, or a
/// lazy `() => import('./Contact.vue')`, as (name, module if known).
fn target_of(value: Node, parsed: &Parsed) -> Option<Target> {
    match value.kind() {
        "identifier" => Some((parsed.text_of(value).to_string(), None)),
        "jsx_expression" => target_of(value.named_child(0)?, parsed),
        "jsx_self_closing_element" | "jsx_element" => {
            let open = if value.kind() == "jsx_element" {
                value.named_child(0)?
            } else {
                value
            };
            let name = open.child_by_field_name("name")?;
            Some((parsed.text_of(name).to_string(), None))
        }
        "arrow_function" | "function_expression" | "call_expression" => {
            let module = dynamic_import(value, parsed)?;
            let name = module.rsplit('/').next().unwrap_or(&module).to_string();
            Some((name, Some(module)))
        }
        _ => None,
    }
}

/// The routes a router file declares, and what its names are imported
/// from (static imports and `lazy(() => import('…'))` constants).
fn client_routes(parsed: &Parsed) -> Vec<ClientRoute> {
    let mut imports: HashMap<String, String> = HashMap::new();
    let mut found: Vec<(String, Target, std::ops::Range<usize>)> = Vec::new();
    let mut stack = vec![parsed.tree.root_node()];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "import_statement" => {
                let source = node
                    .child_by_field_name("source")
                    .and_then(|s| string_value(s, parsed));
                if let Some(source) = source {
                    let text = parsed.text_of(node);
                    let names = text
                        .strip_prefix("import")
                        .and_then(|t| t.split(" from ").next())
                        .unwrap_or("");
                    for name in
                        names.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    {
                        if !name.is_empty() && name != "as" && name != "type" {
                            imports.insert(name.to_string(), source.clone());
                        }
                    }
                }
                continue;
            }
            "variable_declarator" => {
                let name = node.child_by_field_name("name");
                let value = node.child_by_field_name("value");
                if let (Some(name), Some(value)) = (name, value) {
                    if value.kind() == "call_expression" {
                        if let Some(module) = dynamic_import(value, parsed) {
                            imports.insert(parsed.text_of(name).to_string(), module);
                        }
                    }
                }
            }
            "jsx_self_closing_element" | "jsx_opening_element" => {
                let is_route = node
                    .child_by_field_name("name")
                    .is_some_and(|n| parsed.text_of(n) == "Route");
                if is_route {
                    let mut path = None;
                    let mut target = None;
                    for attr in named_children(node)
                        .into_iter()
                        .filter(|a| a.kind() == "jsx_attribute")
                    {
                        let (Some(key), Some(value)) = (attr.named_child(0), attr.named_child(1))
                        else {
                            continue;
                        };
                        match parsed.text_of(key) {
                            "path" => path = string_value(value, parsed),
                            "element" | "component" | "Component" => {
                                target = target_of(value, parsed)
                            }
                            _ => {}
                        }
                    }
                    if let (Some(p), Some(t)) = (path, target) {
                        found.push((p, t, node.byte_range()));
                    }
                }
            }
            "object" => {
                let mut path = None;
                let mut target = None;
                for pair in named_children(node)
                    .into_iter()
                    .filter(|p| p.kind() == "pair")
                {
                    let (Some(key), Some(value)) = (
                        pair.child_by_field_name("key"),
                        pair.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    let key = parsed.text_of(key).trim_matches(['"', '\'']);
                    if key == "path" {
                        path = string_value(value, parsed);
                    } else if TARGET_KEYS.contains(&key) {
                        target = target_of(value, parsed);
                    }
                }
                if let (Some(p), Some(t)) = (path, target) {
                    found.push((p, t, node.byte_range()));
                }
            }
            _ => {}
        }
        stack.extend(named_children(node));
    }
    found
        .into_iter()
        .map(|(path, (name, module), range)| {
            let module = module.or_else(|| imports.get(&name).cloned());
            ClientRoute {
                path,
                component: module.map_or_else(|| format!("name:{name}"), |m| normalize_module(&m)),
                shown: name,
                range,
            }
        })
        .collect()
}

/// A module path without its extension or a trailing `/index`, so
/// `./pages/Contact.jsx` and `./pages/Contact` are one component (the
/// leading `./` stays: it says the module is a file of the repository).
fn normalize_module(module: &str) -> String {
    let m = module;
    let last = m.rsplit('/').next().unwrap_or(m);
    let m = match last.rsplit_once('.') {
        Some((_, ext)) if ["js", "jsx", "ts", "tsx", "vue", "svelte"].contains(&ext) => {
            &m[..m.len() - ext.len() - 1]
        }
        _ => m,
    };
    m.strip_suffix("/index").unwrap_or(m).to_string()
}

/// The repository path a router file's import names, tried with the
/// usual extensions on `rev`.
fn component_file(cx: &Context, rev: Revision, router: &str, module: &str) -> Option<String> {
    let dir = router.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if let Some(rest) = module.strip_prefix("@/") {
        format!("src/{rest}")
    } else if module.starts_with('.') {
        format!("{dir}/{module}")
    } else {
        return None;
    };
    let base = super::handler::normalize(&joined)?;
    [
        "",
        ".jsx",
        ".tsx",
        ".js",
        ".vue",
        ".svelte",
        ".ts",
        "/index.jsx",
        "/index.tsx",
        "/index.js",
    ]
    .iter()
    .map(|ext| format!("{base}{ext}"))
    .find(|p| {
        let lang = crate::pipeline::lang::detect(p);
        super::holds_forms(lang) && cx.lookup(rev, p).is_some()
    })
}

fn is_router_script(lang: Lang) -> bool {
    matches!(lang, Lang::JavaScript | Lang::TypeScript | Lang::Tsx)
}

impl Forms {
    /// `forms/removed` for forms whose component a changed router file
    /// stopped routing, when nothing in head routes it any more.
    pub(super) fn check_client_routes(&self, cx: &Context, out: &mut Vec<Finding>) {
        for f in cx.files.iter().filter(|f| router_change(f)) {
            let (Some(bv), Some(hv)) = (&f.base, &f.head) else {
                continue;
            };
            let Some(base) = routes_of_router(cx, bv, f.base_lang) else {
                continue;
            };
            if base.is_empty() {
                continue;
            }
            let head = routes_of_router(cx, hv, f.head_lang).unwrap_or_default();
            let mut lost: BTreeMap<&str, &ClientRoute> = BTreeMap::new();
            for r in base.iter() {
                if !head.iter().any(|h| h.component == r.component) {
                    lost.entry(r.component.as_str()).or_insert(r);
                }
            }
            for r in lost.into_values() {
                if let Some(finding) = self.unrouted_component(cx, f, bv.text().map(|t| &**t), r) {
                    out.push(finding);
                }
            }
        }
    }

    /// The finding for a component `r` no longer routed, if it renders a
    /// form, still exists, and no other head router routes it.
    fn unrouted_component(
        &self,
        cx: &Context,
        f: &ChangedFile,
        router_text: Option<&str>,
        r: &ClientRoute,
    ) -> Option<Finding> {
        let module = r
            .component
            .strip_prefix("name:")
            .is_none()
            .then_some(r.component.as_str())?;
        let file = component_file(cx, Revision::Base, f.path(), module)?;
        // Deleted with its route: the deleted component's own finding says
        // what was lost.
        let head_version = cx.lookup(Revision::Head, &file)?;
        let lang = crate::pipeline::lang::detect(&file);
        let page = self.page_read(cx, &head_version, lang)?;
        let head_text = head_version.text()?;
        let form = page
            .forms
            .forms
            .iter()
            .find(|x| x.hidden.is_none() && !x.fields.iter().all(|f| f.hidden))?;
        let stem = module.rsplit('/').next().unwrap_or(module);
        let routed_elsewhere = cx.head_files(FileGroup::Script).iter().any(|v| {
            v.path != f.path()
                && v.text().is_some_and(|t| t.contains(stem))
                && routes_of_router(cx, v, crate::pipeline::lang::detect(&v.path)).is_some_and(
                    |routes| {
                        routes.iter().any(|h| {
                            h.component == r.component
                                || component_file(cx, Revision::Head, &v.path, h.component.as_str())
                                    .as_deref()
                                    == Some(file.as_str())
                        })
                    },
                )
        });
        if routed_elsewhere {
            return None;
        }
        let label = form.label();
        let severity = if self.is_enquiry(form) || self.signs_up_elsewhere(form) {
            Severity::High
        } else {
            Severity::Medium
        };
        let text = router_text?;
        Some(
            Finding::new(
                "forms/removed",
                Location {
                    revision: Revision::Base,
                    path: f.path().to_string(),
                    span: Span::from_bytes(text, r.range.start, r.range.end),
                },
                format!("{file} route {}", r.path),
                format!(
                    "The {label} of `{file}` can no longer be reached: `{}` routed `{}` to `{}` in base and no longer does, and no route of head renders `{}`. The component is still there, but visitors can no longer open the page that shows the form.",
                    f.path(),
                    r.path,
                    r.shown,
                    r.shown
                ),
            )
            .severity(severity)
            .related(
                Location {
                    revision: Revision::Head,
                    path: file.clone(),
                    span: Span::from_bytes(head_text, form.tag.range.start, form.tag.range.end),
                },
                "the form the route led to",
            )
            .evidence("page", file.clone())
            .evidence("form", label)
            .evidence("route", r.path.clone())
            .evidence("router", f.path()),
        )
    }
}

/// The client routes of a router file version, read once per run (by
/// `extract` for a changed router, while its parse is held).
pub(super) fn routes_of_router(
    cx: &Context,
    version: &FileVersion,
    lang: Lang,
) -> Option<Arc<Vec<ClientRoute>>> {
    cx.parse_facts("forms.client_routes", version, lang, |p| {
        Arc::new(client_routes(p))
    })
}

/// A change to a router script that touches a line a route is made of.
pub(super) fn router_change(f: &ChangedFile) -> bool {
    // A route object names what it renders: a file with `path:` and none
    // of the target keys (a bundler or test config) routes nothing.
    let routes = |t: &str| {
        t.contains("<Route")
            || ((t.contains("path:") || t.contains("path :"))
                && TARGET_KEYS.iter().any(|k| t.contains(k)))
    };
    // A test renders routes to assert on them; it routes no page.
    is_router_script(f.base_lang)
        && !crate::readers::words::is_test_file(f.path())
        && f.base
            .as_ref()
            .and_then(|v| v.text())
            .is_some_and(|t| routes(t))
        && f.any_touched_line(|l| l.contains("<Route") || l.contains("path"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn routes(src: &str, lang: Lang) -> Vec<(String, String)> {
        let parsed = crate::pipeline::parse::parse(Arc::from(src), lang).unwrap();
        let mut out: Vec<(String, String)> = client_routes(&parsed)
            .into_iter()
            .map(|r| (r.path, r.component))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn react_router_elements_objects_and_lazy_imports() {
        let src = "import Home from './pages/Home';\nimport { Contact } from './pages/Contact.jsx';\nconst Signup = lazy(() => import('./pages/Signup'));\nexport default () => (<Routes>\n  <Route path=\"/\" element={<Home />} />\n  <Route path=\"/kontakt\" element={<Contact />} />\n  <Route path=\"/join\" element={<Signup />} />\n  <Route path=\"/about\" element={<About />} />\n</Routes>);\n";
        assert_eq!(
            routes(src, Lang::Tsx),
            [
                ("/".to_string(), "./pages/Home".to_string()),
                ("/about".to_string(), "name:About".to_string()),
                ("/join".to_string(), "./pages/Signup".to_string()),
                ("/kontakt".to_string(), "./pages/Contact".to_string()),
            ]
        );
        let vue = "import Contact from '@/views/Contact.vue'\nexport default createRouter({ routes: [\n  { path: '/contact', component: Contact },\n  { path: '/news', component: () => import('../views/News.vue') },\n] })\n";
        assert_eq!(
            routes(vue, Lang::JavaScript),
            [
                ("/contact".to_string(), "@/views/Contact".to_string()),
                ("/news".to_string(), "../views/News".to_string()),
            ]
        );
    }
}
