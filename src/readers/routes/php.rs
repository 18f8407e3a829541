//! Routes of PHP frameworks: Laravel `Route::` calls and Symfony `#[Route]`
//! attributes and `config/routes*.yaml`.

use super::{normalize, unquote, Route};
use crate::readers::keypath;
use crate::readers::keypath::Scalar;
use crate::readers::syntax::{named_children, text_of};
use tree_sitter::Node;

pub(super) fn php_routes(root: Node, text: &str, out: &mut Vec<Route>) {
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
                let Some(p) = path_arg else {
                    continue;
                };
                // A path built by code (`'/'.config('app.dashboard_path')`)
                // is unknown, and the route still has its name.
                let literal = matches!(p.kind(), "string" | "encapsed_string");
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
                    .map(|s| unquote(text_of(s, text)))
                    // `['uses' => 'HomeController@index', 'as' => 'index']`
                    .or_else(|| arg(1).and_then(|a| array_value(a, "as", text)));
                let scope = group_scope(node, text);
                out.push(Route {
                    methods,
                    path: if literal {
                        normalize(&format!("{}/{}", scope.path, unquote(text_of(p, text))))
                    } else {
                        String::new()
                    },
                    name: name.map(|n| format!("{}{n}", scope.name)),
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

/// What the Laravel route groups around a route add to it: a path prefix
/// and a name prefix, outermost first.
#[derive(Default)]
struct GroupScope {
    path: String,
    name: String,
}

/// The groups a route call is declared in: `Route::group(['prefix' =>
/// 'admin', 'as' => 'admin.'], fn () { … })` and the chained
/// `Route::prefix('admin')->name('admin.')->group(fn () { … })`. Firefly
/// III's templates name `route('admin.notifications')`, a route declared
/// as `'notifications'` with `'as' => 'notifications'` inside such a group.
fn group_scope(route: Node, text: &str) -> GroupScope {
    let mut scope = GroupScope::default();
    let mut at = route.parent();
    while let Some(node) = at {
        at = node.parent();
        let is_call = matches!(
            node.kind(),
            "scoped_call_expression" | "member_call_expression"
        );
        if !is_call || call_name(node, text) != Some("group") {
            continue;
        }
        let (mut path, mut name) = (String::new(), String::new());
        if let Some(array) = first_argument(node) {
            path = array_value(array, "prefix", text).unwrap_or_default();
            name = array_value(array, "as", text).unwrap_or_default();
        }
        // The chain before `->group(`: `Route::prefix('x')->name('y.')`.
        let mut link = receiver(node);
        while let Some(call) = link {
            let value = || first_argument(call).map(|a| unquote(text_of(a, text)));
            match call_name(call, text) {
                Some("prefix") => path = value().unwrap_or_default(),
                Some("name" | "as") => name = value().unwrap_or_default(),
                _ => {}
            }
            link = receiver(call);
        }
        scope.path = format!("{}/{}", path.trim_matches('/'), scope.path);
        scope.name = format!("{name}{}", scope.name);
    }
    scope
}

/// The method a call names: `group` of `Route::group(…)` and `…->group(…)`.
fn call_name<'t>(call: Node, text: &'t str) -> Option<&'t str> {
    call.child_by_field_name("name").map(|n| text_of(n, text))
}

/// The call a chained call is made on (`Route::prefix('x')` of
/// `Route::prefix('x')->group(…)`), if it is one.
fn receiver(call: Node) -> Option<Node> {
    let object = call
        .child_by_field_name("object")
        .or_else(|| call.child_by_field_name("scope"))?;
    matches!(
        object.kind(),
        "scoped_call_expression" | "member_call_expression"
    )
    .then_some(object)
}

/// The expression of a call's first argument.
fn first_argument(call: Node) -> Option<Node> {
    call.child_by_field_name("arguments")?
        .named_child(0)?
        .named_child(0)
}

/// The string value of `'key' => '…'` in a PHP array literal.
fn array_value(array: Node, key: &str, text: &str) -> Option<String> {
    if array.kind() != "array_creation_expression" {
        return None;
    }
    named_children(array).into_iter().find_map(|element| {
        let parts = named_children(element);
        let (k, v) = (parts.first()?, parts.get(1)?);
        (parts.len() == 2
            && matches!(k.kind(), "string" | "encapsed_string")
            && unquote(text_of(*k, text)) == key
            && matches!(v.kind(), "string" | "encapsed_string"))
        .then(|| unquote(text_of(*v, text)))
    })
}

pub(super) fn symfony_yaml_routes(entries: &[keypath::ConfigEntry], out: &mut Vec<Route>) {
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
