//! The batch family: incident 4 in INCIDENTS.md. A module sent 3,500
//! orders to carriers and saved its progress only after the whole loop;
//! it was stopped halfway, and the restart shipped everything again.
//!
//! Facts per function: its loops, the calls in each loop body that reach
//! the outside world (side effects) and those that persist per-item state
//! (checkpoints), following calls into functions of the same file one
//! level deep. Only loops the change creates or makes unsafe are reported.

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::pipeline::lang::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use tree_sitter::{Node, Tree};

pub const FAMILY: FamilyDef = FamilyDef {
    name: "batch",
    rules: include_str!("../../../rules/batch.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    effect_methods: Vec<String>,
    http_verbs: Vec<String>,
    http_clients: Vec<String>,
    not_http_receivers: Vec<String>,
    http_delete_clients: Vec<String>,
    payment_words: Vec<String>,
    payment_methods: Vec<String>,
    publish_methods: Vec<String>,
    publish_receivers: Vec<String>,
    partner_verbs: Vec<String>,
    partner_receivers: Vec<String>,
    checkpoint_methods: Vec<String>,
    checkpoint_prefixes: Vec<String>,
    not_checkpoint_receivers: Vec<String>,
    sql_write_words: Vec<String>,
    sql_methods: Vec<String>,
    idempotency_words: Vec<String>,
    guard_words: Vec<String>,
    loop_methods: Vec<String>,
    handler_decorators: Vec<String>,
    mail_module_words: Vec<String>,
    query_calls: Vec<String>,
    limit_words: Vec<String>,
    test_path_words: Vec<String>,
    exclude_tests: bool,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Batch {
        tables: crate::families::context::read_tables("batch", tables)?,
    }))
}

struct Batch {
    tables: Tables,
}

fn text_of<'t>(node: Node, text: &'t str) -> &'t str {
    text.get(node.byte_range()).unwrap_or("")
}

fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// Lower-case words of an identifier or receiver expression:
/// `this.carrierApi` → `this carrier api`.
fn words(s: &str) -> Vec<String> {
    crate::readers::words::words(s)
}

/// A call as the analysis sees it.
#[derive(Clone, Debug)]
struct Call {
    /// The callee, `->`/`::` read as `.`: `requests.post`. Compared.
    callee: String,
    /// The callee as written, for messages: `$this->client->post`.
    shown: String,
    /// The last name of the callee: `post`.
    method: String,
    /// Everything before the method: `requests`, `$this->client`.
    receiver: String,
    /// The arguments as written, for SQL, HTTP methods and idempotency keys.
    args: String,
    range: Range<usize>,
}

#[derive(Clone, Debug)]
struct Loop {
    /// Its first line, trimmed: `for order in orders:`.
    header: String,
    range: Range<usize>,
    body: Range<usize>,
    /// A `continue`/`next` guard on a persisted "already done" state.
    guarded: bool,
    /// What it iterates over, as written: `Order.objects.filter(...)`,
    /// `$orders`; empty for `while` loops.
    iterable: String,
    /// The names each item is bound to: `order` in `for order in orders`.
    vars: Vec<String>,
}

#[derive(Clone, Debug)]
struct Function {
    name: String,
    range: Range<usize>,
    calls: Vec<Call>,
    loops: Vec<Loop>,
    /// How the function is reached from a web request, when it is a
    /// request handler: `@app.post("/ship")`, `action store() of
    /// OrderController`.
    handler: Option<String>,
    /// `name = value` assignments in its body, in source order, to see
    /// what a loop's variable holds.
    assignments: Vec<(String, String, Range<usize>)>,
}

/// What a loop does per item.
#[derive(Clone, Debug)]
struct LoopFacts {
    function: String,
    header: String,
    range: Range<usize>,
    effect: Option<(Call, &'static str)>,
    /// The call that reaches the effect, when it is a same-file function.
    via: Option<Call>,
    checkpointed: bool,
    idempotent: bool,
    guarded: bool,
    /// The first checkpoint after the loop in the same function.
    saved_after: Option<Call>,
    /// One message to many destinations (`for url in webhook_urls:
    /// post(url, json=event)`), or a retry loop: the item is not in what
    /// is sent, so there is no per-item progress to lose.
    fan_out: bool,
    /// The request handler the loop runs in, with where it is declared.
    handler: Option<(String, Range<usize>)>,
    /// The query without a limit that the loop iterates, if it does, and
    /// the assignment it comes from when the loop iterates a variable.
    unbounded: Option<String>,
    query_source: Option<Range<usize>>,
}

impl LoopFacts {
    fn unsafe_loop(&self) -> bool {
        self.effect.is_some()
            && !self.checkpointed
            && !self.idempotent
            && !self.guarded
            && !self.fan_out
    }

    /// Outside work per row of an unlimited query, inside a web request.
    fn in_request(&self) -> bool {
        self.effect.is_some() && self.handler.is_some() && self.unbounded.is_some()
    }

    /// What identifies the loop across revisions: where it is and what it
    /// sends, not its line.
    fn identity(&self) -> (String, String) {
        (
            self.function.clone(),
            self.effect
                .as_ref()
                .map_or_else(String::new, |(c, _)| c.callee.clone()),
        )
    }
}

// ------------------------------------------------------- syntax per language --

#[derive(Clone, Copy, PartialEq)]
enum Syntax {
    Python,
    Js,
    Php,
    Ruby,
}

impl Syntax {
    fn of(lang: Lang) -> Option<Syntax> {
        Some(match lang {
            Lang::Python => Syntax::Python,
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => Syntax::Js,
            Lang::Php => Syntax::Php,
            Lang::Ruby => Syntax::Ruby,
            _ => return None,
        })
    }

    fn function_name(self, node: Node, text: &str) -> Option<String> {
        let named = |n: Node| {
            n.child_by_field_name("name")
                .map(|x| text_of(x, text).to_string())
        };
        match (self, node.kind()) {
            (Syntax::Python, "function_definition")
            | (
                Syntax::Js,
                "function_declaration" | "method_definition" | "generator_function_declaration",
            )
            | (Syntax::Php, "function_definition" | "method_declaration")
            | (Syntax::Ruby, "method" | "singleton_method") => named(node),
            (Syntax::Js, "arrow_function" | "function_expression" | "function") => {
                let holder = node.parent()?;
                match holder.kind() {
                    "variable_declarator" => named(holder),
                    "pair" => holder
                        .child_by_field_name("key")
                        .map(|k| text_of(k, text).to_string()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The loop a node is, with its body.
    fn loop_body<'t>(
        self,
        node: Node<'t>,
        text: &str,
        loop_methods: &[String],
    ) -> Option<Node<'t>> {
        match (self, node.kind()) {
            (Syntax::Python, "for_statement" | "while_statement")
            | (
                Syntax::Js,
                "for_statement" | "for_in_statement" | "while_statement" | "do_statement",
            )
            | (
                Syntax::Php,
                "foreach_statement" | "for_statement" | "while_statement" | "do_statement",
            )
            | (Syntax::Ruby, "while" | "until" | "for") => {
                node.child_by_field_name("body").or(Some(node))
            }
            (Syntax::Js, "call_expression") => {
                let f = node.child_by_field_name("function")?;
                let prop = f.child_by_field_name("property")?;
                if !loop_methods.iter().any(|m| m == text_of(prop, text)) {
                    return None;
                }
                let args = node.child_by_field_name("arguments")?;
                children(args)
                    .into_iter()
                    .find(|a| {
                        matches!(
                            a.kind(),
                            "arrow_function" | "function_expression" | "function"
                        )
                    })
                    .and_then(|f| f.child_by_field_name("body"))
            }
            (Syntax::Php, "function_call_expression") => {
                let name = text_of(node.child_by_field_name("function")?, text);
                if !matches!(name, "array_map" | "array_walk") {
                    return None;
                }
                let args = node.child_by_field_name("arguments")?;
                children(args).into_iter().find_map(|a| {
                    let inner = a.named_child(0)?;
                    matches!(inner.kind(), "anonymous_function" | "arrow_function")
                        .then(|| inner.child_by_field_name("body"))
                        .flatten()
                })
            }
            (Syntax::Ruby, "call") => {
                let m = text_of(node.child_by_field_name("method")?, text);
                if !loop_methods.iter().any(|x| x == m) {
                    return None;
                }
                node.child_by_field_name("block")
            }
            _ => None,
        }
    }

    fn call(self, node: Node, text: &str) -> Option<Call> {
        let (callee_node, method, receiver, args) = match (self, node.kind()) {
            (Syntax::Python, "call") | (Syntax::Js, "call_expression") => {
                let f = node.child_by_field_name("function")?;
                let (method, receiver) = match f.kind() {
                    "attribute" => (
                        f.child_by_field_name("attribute").map(|a| text_of(a, text)),
                        f.child_by_field_name("object").map(|o| text_of(o, text)),
                    ),
                    "member_expression" => (
                        f.child_by_field_name("property").map(|a| text_of(a, text)),
                        f.child_by_field_name("object").map(|o| text_of(o, text)),
                    ),
                    "identifier" => (Some(text_of(f, text)), Some("")),
                    _ => (None, None),
                };
                (f, method?, receiver?, node.child_by_field_name("arguments"))
            }
            (Syntax::Php, "function_call_expression") => {
                let f = node.child_by_field_name("function")?;
                (
                    f,
                    text_of(f, text),
                    "",
                    node.child_by_field_name("arguments"),
                )
            }
            (
                Syntax::Php,
                "member_call_expression"
                | "nullsafe_member_call_expression"
                | "scoped_call_expression",
            ) => {
                let name = node.child_by_field_name("name")?;
                let recv = node
                    .child_by_field_name("object")
                    .or_else(|| node.child_by_field_name("scope"))
                    .map_or("", |o| text_of(o, text));
                (
                    node,
                    text_of(name, text),
                    recv,
                    node.child_by_field_name("arguments"),
                )
            }
            (Syntax::Ruby, "call") => {
                let m = node.child_by_field_name("method")?;
                let recv = node
                    .child_by_field_name("receiver")
                    .map_or("", |r| text_of(r, text));
                (
                    node,
                    text_of(m, text),
                    recv,
                    node.child_by_field_name("arguments"),
                )
            }
            _ => return None,
        };
        let receiver = receiver.replace("->", ".").replace("::", ".");
        let callee = if self == Syntax::Php || self == Syntax::Ruby {
            if receiver.is_empty() {
                method.to_string()
            } else {
                format!("{receiver}.{method}")
            }
        } else {
            text_of(callee_node, text).to_string()
        };
        let callee: String = callee.split_whitespace().collect::<Vec<_>>().join("");
        let shown_end = args.map_or(node.end_byte(), |a| a.start_byte());
        let shown: String = text
            .get(node.start_byte()..shown_end)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("");
        Some(Call {
            callee,
            shown,
            method: method.to_string(),
            receiver,
            args: args.map_or_else(String::new, |a| text_of(a, text).to_string()),
            range: node.byte_range(),
        })
    }

    /// What a loop node iterates over, as written.
    fn iterable(self, node: Node, text: &str) -> String {
        let expr = match (self, node.kind()) {
            (Syntax::Python | Syntax::Js, "for_statement" | "for_in_statement") => {
                node.child_by_field_name("right")
            }
            (Syntax::Php, "foreach_statement") => node.named_child(0),
            (Syntax::Ruby, "for") => node
                .child_by_field_name("value")
                .and_then(|v| v.named_child(0)),
            (Syntax::Js, "call_expression") => node
                .child_by_field_name("function")
                .and_then(|f| f.child_by_field_name("object")),
            (Syntax::Ruby, "call") => node.child_by_field_name("receiver"),
            (Syntax::Php, "function_call_expression") => node
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(1)),
            _ => None,
        };
        expr.map_or_else(String::new, |e| {
            text_of(e, text)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    /// `name = value` as the grammar writes an assignment.
    fn assignment(self, node: Node, text: &str) -> Option<(String, String)> {
        let (left, right) = match (self, node.kind()) {
            (Syntax::Python | Syntax::Ruby, "assignment")
            | (Syntax::Js | Syntax::Php, "assignment_expression") => (
                node.child_by_field_name("left")?,
                node.child_by_field_name("right")?,
            ),
            (Syntax::Js, "variable_declarator") => (
                node.child_by_field_name("name")?,
                node.child_by_field_name("value")?,
            ),
            _ => return None,
        };
        Some((
            text_of(left, text).to_string(),
            text_of(right, text)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ))
    }

    /// How a function node is reached from a web request, if it is a
    /// request handler the grammar alone can tell: a route decorator, a
    /// Django view's `request` parameter, a callback given to an Express
    /// style router, a Next.js route export, a controller action.
    fn handler(self, node: Node, text: &str, path: &str, decorators: &[String]) -> Option<String> {
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        match (self, node.kind()) {
            (Syntax::Python, "function_definition") => {
                let parent = node.parent().filter(|p| p.kind() == "decorated_definition");
                for d in parent.map(children).unwrap_or_default() {
                    if d.kind() != "decorator" {
                        continue;
                    }
                    let t = text_of(d, text);
                    let callee = t.trim_start_matches('@').split('(').next().unwrap_or("");
                    let last = callee.rsplit('.').next().unwrap_or("").trim();
                    if decorators.iter().any(|x| x == last) {
                        return Some(format!("`{}`", short(&one_line(t))));
                    }
                }
                let params = node.child_by_field_name("parameters").map(children)?;
                let names: Vec<&str> = params
                    .iter()
                    .map(|p| {
                        text_of(*p, text)
                            .split([':', '='])
                            .next()
                            .unwrap_or("")
                            .trim()
                    })
                    .take(2)
                    .collect();
                let takes_request = names.first() == Some(&"request")
                    || (matches!(names.first(), Some(&"self") | Some(&"cls"))
                        && names.get(1) == Some(&"request"));
                takes_request.then(|| "a view that takes the `request`".to_string())
            }
            (Syntax::Js, "arrow_function" | "function_expression" | "function") => {
                let args = node.parent().filter(|p| p.kind() == "arguments")?;
                let call = args.parent().filter(|c| c.kind() == "call_expression")?;
                let f = call.child_by_field_name("function")?;
                let verb = text_of(f.child_by_field_name("property")?, text);
                if !matches!(verb, "get" | "post" | "put" | "patch" | "delete" | "all") {
                    return None;
                }
                let first = children(args).into_iter().next()?;
                let routed = (matches!(first.kind(), "string" | "template_string")
                    && text_of(first, text)
                        .trim_matches(|c| c == '\'' || c == '"' || c == '`')
                        .starts_with('/'))
                    || f.child_by_field_name("object").is_some_and(|o| {
                        o.kind() == "call_expression" && text_of(o, text).contains(".route(")
                    });
                routed.then(|| {
                    let head = text.get(call.start_byte()..first.end_byte()).unwrap_or("");
                    format!("`{})`", short(&one_line(head)))
                })
            }
            (Syntax::Js, "function_declaration") => {
                let name = text_of(node.child_by_field_name("name")?, text);
                let exported = node
                    .parent()
                    .is_some_and(|p| p.kind() == "export_statement");
                let file = path.rsplit('/').next().unwrap_or(path);
                let app_route = (path.starts_with("app/") || path.contains("/app/"))
                    && file.starts_with("route.")
                    && matches!(name, "POST" | "PUT" | "PATCH" | "DELETE" | "GET");
                let pages_api = (path.starts_with("pages/api/") || path.contains("/pages/api/"))
                    && node
                        .parent()
                        .is_some_and(|p| text_of(p, text).starts_with("export default"));
                (exported && (app_route || pages_api))
                    .then(|| format!("the Next.js route handler `{name}` of `{path}`"))
            }
            (Syntax::Php, "method_declaration") => {
                let private = children(node)
                    .iter()
                    .any(|c| c.kind() == "visibility_modifier" && text_of(*c, text) != "public");
                let name = text_of(node.child_by_field_name("name")?, text);
                if private || name.starts_with("__") {
                    return None;
                }
                let class = std::iter::successors(node.parent(), |n| n.parent())
                    .find(|n| n.kind() == "class_declaration")?;
                let cname = text_of(class.child_by_field_name("name")?, text);
                cname
                    .ends_with("Controller")
                    .then(|| format!("the controller action `{cname}::{name}()`"))
            }
            (Syntax::Ruby, "method") => {
                let name = text_of(node.child_by_field_name("name")?, text);
                let class = std::iter::successors(node.parent(), |n| n.parent())
                    .find(|n| n.kind() == "class")?;
                let cname = text_of(class.child_by_field_name("name")?, text);
                cname
                    .ends_with("Controller")
                    .then(|| format!("the controller action `{cname}#{name}`"))
            }
            _ => None,
        }
    }

    fn skips_item(self, node: Node) -> bool {
        matches!(
            (self, node.kind()),
            (
                Syntax::Python | Syntax::Js | Syntax::Php,
                "continue_statement"
            ) | (Syntax::Ruby, "next")
        )
    }
}

/// Every function of a file with its calls and loops. Code outside any
/// function (a script's top level) counts as a function named `<module>`.
fn functions(syntax: Syntax, root: Node, text: &str, path: &str, tables: &Tables) -> Vec<Function> {
    let function = |name: String, range: Range<usize>, handler: Option<String>| Function {
        name,
        range,
        calls: Vec::new(),
        loops: Vec::new(),
        handler,
        assignments: Vec::new(),
    };
    let mut out = vec![function("<module>".to_string(), root.byte_range(), None)];
    // (node, index of the innermost function it belongs to)
    let mut stack = vec![(root, 0usize)];
    while let Some((node, owner)) = stack.pop() {
        let mut owner = owner;
        let name = syntax.function_name(node, text);
        let handler = syntax.handler(node, text, path, &tables.handler_decorators);
        // An unnamed callback is known by its route: `router.post('/sync')`.
        let unnamed = || handler.as_ref().map(|h| h.trim_matches('`').to_string());
        if let Some(name) = name.or_else(unnamed) {
            out.push(function(name, node.byte_range(), handler));
            owner = out.len() - 1;
        }
        if let Some(body) = syntax.loop_body(node, text, &tables.loop_methods) {
            let header = text_of(node, text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let guarded = has_guard(syntax, body);
            let iterable = syntax.iterable(node, text);
            let vars = loop_vars(
                text.get(node.start_byte()..body.start_byte()).unwrap_or(""),
                &iterable,
            );
            out[owner].loops.push(Loop {
                header: header.chars().take(80).collect(),
                range: node.byte_range(),
                body: body.byte_range(),
                guarded,
                iterable,
                vars,
            });
        }
        if let Some(call) = syntax.call(node, text) {
            out[owner].calls.push(call);
        }
        if let Some((name, value)) = syntax.assignment(node, text) {
            out[owner]
                .assignments
                .push((name, value, node.byte_range()));
        }
        let mut kids = children(node);
        kids.reverse();
        stack.extend(kids.into_iter().map(|k| (k, owner)));
    }
    for f in &mut out {
        f.calls.sort_by_key(|c| c.range.start);
        f.loops.sort_by_key(|l| l.range.start);
        f.assignments.sort_by_key(|a| a.2.start);
    }
    out
}

/// The names a loop binds per item, read from its header: the words that
/// are neither the iterable's nor keywords.
fn loop_vars(header: &str, iterable: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "for",
        "in",
        "of",
        "const",
        "let",
        "var",
        "as",
        "foreach",
        "do",
        "async",
        "await",
        "function",
        "fn",
        "use",
        "while",
        "until",
        "each",
        "forEach",
        "map",
        "flatMap",
        "find_each",
        "find_in_batches",
        "in_batches",
        "each_with_index",
        "each_with_object",
        "each_slice",
        "times",
        "array_map",
        "array_walk",
        "enumerate",
        "zip",
        "items",
        "range",
        "len",
        "static",
    ];
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty() && !w.starts_with(|c: char| c.is_ascii_digit()))
            .map(str::to_string)
            .collect()
    };
    let own = split(iterable);
    let mut vars: Vec<String> = split(header)
        .into_iter()
        .filter(|w| !own.contains(w) && !KEYWORDS.contains(&w.as_str()))
        .collect();
    vars.dedup();
    vars
}

/// The arguments after the first, split at top-level commas: the payload
/// of `requests.post(url, json=data)`, without its destination.
fn after_first_argument(args: &str) -> &str {
    let inner = args
        .trim()
        .strip_prefix('(')
        .and_then(|a| a.strip_suffix(')'))
        .unwrap_or(args);
    let mut depth = 0i32;
    for (i, c) in inner.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return &inner[i + 1..],
            _ => {}
        }
    }
    ""
}

/// Whether a loop variable occurs as a whole word in a text.
fn mentions_any(text: &str, vars: &[String]) -> bool {
    vars.iter().any(|v| {
        text.match_indices(v.as_str()).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + v.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// Whether a loop body skips items with `continue` / `next` (the guard's
/// condition is judged by the caller from its text).
fn has_guard(syntax: Syntax, body: Node) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if syntax.skips_item(n) {
            return true;
        }
        stack.extend(children(n));
    }
    false
}

// ------------------------------------------------------------ classification --

impl Batch {
    fn any_word(&self, s: &str, table: &[String]) -> bool {
        let w = words(s);
        w.iter().any(|x| table.contains(x))
    }

    /// What kind of outside effect a call has, if any.
    fn effect(
        &self,
        call: &Call,
        function_text: &str,
        mail_modules: &[String],
    ) -> Option<&'static str> {
        let method = call.method.as_str();
        // `emails.deletion_scheduled(…)` where `emails` is an imported
        // module of the project's own mail functions.
        if mail_modules.contains(&call.receiver) {
            return Some("sends mail");
        }
        let lower_method = method.to_ascii_lowercase();
        if self.tables.effect_methods.iter().any(|m| m == method) {
            return Some(
                if lower_method.contains("mail") || lower_method.starts_with("deliver") {
                    "sends mail"
                } else {
                    "calls a partner system"
                },
            );
        }
        if method == "fetch" && call.receiver.is_empty() {
            let a = call.args.to_ascii_uppercase();
            let writes = [
                "'POST'",
                "\"POST\"",
                "'PUT'",
                "\"PUT\"",
                "'PATCH'",
                "\"PATCH\"",
                "'DELETE'",
                "\"DELETE\"",
                "`POST`",
            ]
            .iter()
            .any(|m| a.contains(m));
            return writes.then_some("sends an HTTP write");
        }
        if method == "mail" && call.receiver.is_empty() {
            return Some("sends mail");
        }
        if method == "curl_exec"
            && (function_text.contains("CURLOPT_POST")
                || function_text.contains("CURLOPT_CUSTOMREQUEST"))
        {
            return Some("sends an HTTP write");
        }
        let http_client = if lower_method == "delete" {
            self.any_word(&call.receiver, &self.tables.http_delete_clients)
        } else {
            self.any_word(&call.receiver, &self.tables.http_clients)
        };
        if self.tables.http_verbs.contains(&lower_method)
            && http_client
            && !self.any_word(&call.receiver, &self.tables.not_http_receivers)
        {
            return Some("sends an HTTP write");
        }
        if self.tables.payment_methods.contains(&lower_method)
            && self.any_word(&call.callee, &self.tables.payment_words)
        {
            return Some("makes a payment call");
        }
        if self.tables.publish_methods.iter().any(|v| v == method)
            && self.any_word(&call.receiver, &self.tables.publish_receivers)
        {
            return Some("publishes a message");
        }
        if self.tables.partner_verbs.contains(&lower_method)
            && self.any_word(&call.receiver, &self.tables.partner_receivers)
        {
            return Some("calls a partner system");
        }
        None
    }

    fn checkpoint(&self, call: &Call) -> bool {
        let m = call.method.as_str();
        // `self.stdout.write(…)`, `logger.write(…)`: output, not progress.
        if self.any_word(&call.receiver, &self.tables.not_checkpoint_receivers) {
            return false;
        }
        if self.tables.checkpoint_methods.iter().any(|c| c == m) {
            return true;
        }
        let lower = m.to_ascii_lowercase();
        if self.tables.checkpoint_prefixes.iter().any(|p| {
            lower.starts_with(p.as_str())
                && m[p.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c == '_' || c.is_uppercase())
        }) {
            return true;
        }
        if self.tables.sql_methods.iter().any(|s| s == m) {
            let a = call.args.to_ascii_uppercase();
            return self
                .tables
                .sql_write_words
                .iter()
                .any(|w| a.contains(w.as_str()));
        }
        false
    }

    fn idempotent(&self, call: &Call) -> bool {
        let a = call.args.to_ascii_lowercase();
        self.tables
            .idempotency_words
            .iter()
            .any(|w| a.contains(w.as_str()))
    }

    fn loop_facts(
        &self,
        funcs: &[Function],
        text: &str,
        mail_modules: &[String],
    ) -> Vec<LoopFacts> {
        let by_name: BTreeMap<&str, &Function> =
            funcs.iter().skip(1).map(|f| (f.name.as_str(), f)).collect();
        let mut out = Vec::new();
        for f in funcs {
            let ftext = text.get(f.range.clone()).unwrap_or("");
            for l in &f.loops {
                let inside: Vec<&Call> = f
                    .calls
                    .iter()
                    .filter(|c| l.body.start <= c.range.start && c.range.end <= l.body.end)
                    .collect();
                let mut effect: Option<(Call, &'static str)> = None;
                let mut via: Option<Call> = None;
                let mut checkpointed = false;
                let mut idempotent = false;
                for c in &inside {
                    if let Some(kind) = self.effect(c, ftext, mail_modules) {
                        idempotent |= self.idempotent(c);
                        effect.get_or_insert(((*c).clone(), kind));
                    }
                    checkpointed |= self.checkpoint(c);
                    // One level into functions of the same file.
                    if let Some(callee) =
                        by_name.get(c.method.as_str()).filter(|g| g.name != f.name)
                    {
                        let gtext = text.get(callee.range.clone()).unwrap_or("");
                        for gc in &callee.calls {
                            if let Some(kind) = self.effect(gc, gtext, mail_modules) {
                                idempotent |= self.idempotent(gc);
                                if effect.is_none() {
                                    effect = Some((gc.clone(), kind));
                                    via = Some((*c).clone());
                                }
                            }
                            checkpointed |= self.checkpoint(gc);
                        }
                    }
                }
                let guard_text = text.get(l.body.clone()).unwrap_or("").to_ascii_lowercase();
                let guarded = l.guarded
                    && self
                        .tables
                        .guard_words
                        .iter()
                        .any(|w| guard_text.contains(w.as_str()));
                let saved_after = f
                    .calls
                    .iter()
                    .find(|c| c.range.start >= l.range.end && self.checkpoint(c))
                    .cloned();
                // The call in the loop that carries the item: the same-file
                // function it goes through, or the side effect itself, whose
                // first argument is its destination.
                let fan_out = !l.vars.is_empty()
                    && match (&via, &effect) {
                        (Some(v), _) => !mentions_any(&v.args, &l.vars),
                        (None, Some((e, _))) => {
                            // A payload sent unchanged to each destination;
                            // `requests.delete(url)` has none: the URL is
                            // the item.
                            let rest = after_first_argument(&e.args);
                            let lower = rest.to_ascii_lowercase();
                            let payload = ["json", "data", "body", "payload", "message", "content"]
                                .iter()
                                .any(|w| lower.contains(w));
                            payload && !mentions_any(rest, &l.vars)
                        }
                        (None, None) => false,
                    };
                let handler = f.handler.clone().map(|h| (h, f.range.clone()));
                let (unbounded, query_source) = match self.unbounded_query(f, l) {
                    Some((q, at)) => (Some(q), at),
                    None => (None, None),
                };
                out.push(LoopFacts {
                    function: f.name.clone(),
                    header: l.header.clone(),
                    range: l.range.clone(),
                    effect,
                    via,
                    checkpointed,
                    idempotent,
                    guarded,
                    saved_after,
                    fan_out,
                    handler,
                    unbounded,
                    query_source,
                });
            }
        }
        out
    }

    /// Names under which a file imports a module of mail functions:
    /// `from hc.lib import emails`, `import * as mailer from './mailer'`,
    /// `const mail = require('../lib/mail')`. Any call on one sends mail.
    fn mail_modules(&self, syntax: Syntax, root: Node, text: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = children(root);
        while let Some(n) = stack.pop() {
            match (syntax, n.kind()) {
                (Syntax::Python, "import_from_statement" | "import_statement") => {
                    // The standard library's `email` package parses mail.
                    let stdlib = text_of(n, text)
                        .split_whitespace()
                        .nth(1)
                        .is_some_and(|m| m == "email" || m.starts_with("email."));
                    if stdlib {
                        continue;
                    }
                    let mut cursor = n.walk();
                    for name in n.children_by_field_name("name", &mut cursor) {
                        let alias = name.child_by_field_name("alias").unwrap_or(name);
                        names.push(text_of(alias, text).to_string());
                    }
                }
                (Syntax::Js, "import_statement") => {
                    for clause in children(n)
                        .into_iter()
                        .filter(|c| c.kind() == "import_clause")
                    {
                        for c in children(clause) {
                            match c.kind() {
                                "identifier" => names.push(text_of(c, text).to_string()),
                                "namespace_import" => names.extend(
                                    children(c)
                                        .into_iter()
                                        .map(|i| text_of(i, text).to_string()),
                                ),
                                _ => {}
                            }
                        }
                    }
                }
                (Syntax::Js, "lexical_declaration" | "variable_declaration") => {
                    for d in children(n)
                        .into_iter()
                        .filter(|d| d.kind() == "variable_declarator")
                    {
                        let required = d
                            .child_by_field_name("value")
                            .is_some_and(|v| text_of(v, text).starts_with("require("));
                        if let (true, Some(name)) = (required, d.child_by_field_name("name")) {
                            names.push(text_of(name, text).to_string());
                        }
                    }
                }
                // Imports sit at the top, or in a module's `if` blocks.
                (_, "if_statement" | "block" | "try_statement" | "expression_statement") => {
                    stack.extend(children(n));
                }
                _ => {}
            }
        }
        // The last word names what the module is: `emails`, `user_mailer`,
        // not `email_utils`.
        names.retain(|n| {
            !n.contains(['{', ' ', '('])
                && words(n)
                    .last()
                    .is_some_and(|w| self.tables.mail_module_words.contains(w))
        });
        names.sort();
        names.dedup();
        names
    }

    /// The query a loop iterates when it fetches every matching row: the
    /// loop's own expression, or what its variable was last assigned
    /// before the loop. Anything that limits or pages it makes it bounded.
    fn unbounded_query(&self, f: &Function, l: &Loop) -> Option<(String, Option<Range<usize>>)> {
        let own = l.iterable.trim();
        let plain = !own.is_empty()
            && own
                .trim_start_matches('$')
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
        let source = plain
            .then(|| {
                f.assignments
                    .iter()
                    .rev()
                    .find(|(name, _, at)| name == own && at.start < l.range.start)
            })
            .flatten();
        let expr = source.map_or(own, |(_, value, _)| value.as_str());
        let is_query = self.tables.query_calls.iter().any(|m| {
            expr.match_indices(m.as_str()).any(|(i, _)| {
                // `.all` must end there: `Order.all.each`, not `.allowed`
                // or `Promise.all(…)`.
                !m.ends_with(|c: char| c.is_alphanumeric())
                    || !expr[i + m.len()..]
                        .starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '(')
            })
        });
        let lower = expr.to_ascii_lowercase();
        let limited = self
            .tables
            .limit_words
            .iter()
            .any(|w| lower.contains(w.as_str()));
        (is_query && !limited).then(|| (expr.to_string(), source.map(|s| s.2.clone())))
    }

    fn is_test_path(&self, path: &str) -> bool {
        if !self.tables.exclude_tests {
            return false;
        }
        let lower = path.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower);
        name.starts_with("test_")
            || name.contains("_test.")
            || name.contains(".test.")
            || name.contains(".spec.")
            || name.contains("_spec.")
            || lower
                .split('/')
                .any(|seg| self.tables.test_path_words.iter().any(|w| w == seg))
    }
}

/// A side of a file, parsed with the grammar of its code.
struct CodeSide {
    text: Arc<str>,
    tree: Tree,
    syntax: Syntax,
}

fn code_side(cx: &Context, file: &ChangedFile, rev: Revision) -> Option<(String, CodeSide)> {
    let (version, lang) = match rev {
        Revision::Base => (file.base.as_ref()?, file.base_lang),
        Revision::Head => (file.head.as_ref()?, file.head_lang),
    };
    let syntax = Syntax::of(lang)?;
    let text = version.text()?.clone();
    let tree = if syntax == Syntax::Php {
        // The cache parses PHP as the HTML around its code.
        let mut parser = tree_sitter::Parser::new();
        let language: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
        parser.set_language(&language).ok()?;
        parser.parse(&*text, None)?
    } else {
        cx.parsed(version, lang)?.tree.clone()
    };
    Some((version.path.clone(), CodeSide { text, tree, syntax }))
}

fn line_of(text: &str, byte: usize) -> usize {
    Span::from_bytes(text, byte, byte).line
}

impl Analyzer for Batch {
    fn reads(&self, _path: &str, lang: Lang) -> bool {
        Syntax::of(lang).is_some()
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        // PHP is parsed here with its own grammar, not by the cache.
        matches!(Syntax::of(lang), Some(s) if s != Syntax::Php)
            && !self.is_test_path(path)
            && self.mentions_effect(text)
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let facts_of = |path: &str, side: &CodeSide| {
            let funcs = functions(
                side.syntax,
                side.tree.root_node(),
                &side.text,
                path,
                &self.tables,
            );
            let mail_modules = self.mail_modules(side.syntax, side.tree.root_node(), &side.text);
            self.loop_facts(&funcs, &side.text, &mail_modules)
        };
        // Base loops of every changed file: a loop moved to another file
        // (or into a renamed function) as it was is not this change's doing.
        let mut bases: Vec<Option<BaseFacts>> = Vec::new();
        let mut unsafe_before: std::collections::BTreeSet<String> = Default::default();
        let mut in_request_before: std::collections::BTreeSet<String> = Default::default();
        let mut effects_before: std::collections::BTreeSet<String> = Default::default();
        for file in cx.files {
            let base = file
                .base
                .as_ref()
                .filter(|_| Syntax::of(file.base_lang).is_some())
                .filter(|b| {
                    !self.is_test_path(&b.path) && b.text().is_some_and(|t| self.mentions_effect(t))
                })
                .and_then(|_| code_side(cx, file, Revision::Base))
                .map(|b| {
                    let facts = facts_of(&b.0, &b.1);
                    (b, facts)
                });
            if let Some((_, facts)) = &base {
                for l in facts.iter().filter(|l| l.unsafe_loop()) {
                    unsafe_before.insert(l.identity().1);
                }
                for l in facts.iter().filter(|l| l.in_request()) {
                    in_request_before.insert(l.identity().1);
                }
                for l in facts.iter().filter(|l| l.effect.is_some()) {
                    effects_before.insert(l.identity().1);
                }
            }
            bases.push(base);
        }
        let mut out = Vec::new();
        for (file, base) in cx.files.iter().zip(&bases) {
            let Some(head_v) = file.head.as_ref() else {
                continue;
            };
            if Syntax::of(file.head_lang).is_none()
                || cx.is_excluded(&head_v.path)
                || self.is_test_path(&head_v.path)
            {
                continue;
            }
            if !head_v.text().is_some_and(|t| self.mentions_effect(t)) {
                continue;
            }
            let Some((path, head)) = code_side(cx, file, Revision::Head) else {
                continue;
            };
            let head_loops = facts_of(&path, &head);
            let base_loops = base.as_ref().map_or(&[][..], |(_, f)| &f[..]);
            let changes = file.line_changes();
            for l in head_loops.iter().filter(|l| l.unsafe_loop()) {
                // The same loop in base: same function and side effect, or
                // same function and header when only the call was edited.
                let before = base_loops
                    .iter()
                    .find(|b| b.identity() == l.identity() && b.effect.is_some())
                    .or_else(|| {
                        base_loops.iter().find(|b| {
                            b.function == l.function && b.header == l.header && b.effect.is_some()
                        })
                    });
                let story = match before {
                    // It was already like this: not this change's doing.
                    Some(b) if b.unsafe_loop() => continue,
                    Some(_) => Story::CheckpointRemoved,
                    None if unsafe_before.contains(&l.identity().1) => continue,
                    None => {
                        let lines = line_of(&head.text, l.range.start)
                            ..line_of(&head.text, l.range.end) + 1;
                        if !changes.touches_head(lines) {
                            continue;
                        }
                        Story::New
                    }
                };
                out.extend(self.finding(
                    &path,
                    &head.text,
                    l,
                    before,
                    base.as_ref().map(|(b, _)| b),
                    story,
                ));
            }
            for l in head_loops.iter().filter(|l| l.in_request()) {
                // Quiet when base already did this work in a request,
                // wherever the loop stood.
                if base_loops
                    .iter()
                    .any(|b| b.identity() == l.identity() && b.in_request())
                    || in_request_before.contains(&l.identity().1)
                {
                    continue;
                }
                // The loop, or the query its variable was given.
                let lines =
                    line_of(&head.text, l.range.start)..line_of(&head.text, l.range.end) + 1;
                let query_lines = l
                    .query_source
                    .as_ref()
                    .map(|r| line_of(&head.text, r.start)..line_of(&head.text, r.end) + 1);
                if !changes.touches_head(lines)
                    && !query_lines.is_some_and(|q| changes.touches_head(q))
                {
                    continue;
                }
                let same = base_loops.iter().find(|b| b.identity() == l.identity());
                let change = if same.is_some_and(|b| b.handler.is_some()) {
                    "This change removed the query's limit"
                } else if effects_before.contains(&l.identity().1) {
                    "This change moved that work into the request"
                } else {
                    "This change adds that work to the request"
                };
                out.extend(self.request_finding(&path, &head.text, l, change));
            }
        }
        out
    }
}

/// A changed file's base side with the facts of its loops.
type BaseFacts = ((String, CodeSide), Vec<LoopFacts>);

enum Story {
    New,
    CheckpointRemoved,
}

impl Batch {
    fn mentions_effect(&self, text: &str) -> bool {
        self.tables
            .effect_methods
            .iter()
            .chain(&self.tables.http_verbs)
            .chain(&self.tables.publish_methods)
            .chain(&self.tables.partner_verbs)
            .chain(&self.tables.payment_words)
            .chain(&self.tables.mail_module_words)
            .any(|w| text.contains(w.as_str()))
            || text.contains("fetch(")
            || text.contains("mail(")
            || text.contains("curl_exec")
    }

    fn finding(
        &self,
        path: &str,
        text: &str,
        l: &LoopFacts,
        before: Option<&LoopFacts>,
        base: Option<&(String, CodeSide)>,
        story: Story,
    ) -> Option<Finding> {
        // Only loops with a side effect are unsafe, so this always holds.
        let (effect, kind) = l.effect.as_ref()?;
        let loop_line = line_of(text, l.range.start);
        let effect_line = line_of(text, effect.range.start);
        let via = l.via.as_ref().map_or_else(String::new, |v| {
            format!(
                " through `{}()` (line {})",
                v.method,
                line_of(text, v.range.start)
            )
        });
        let saved = match &l.saved_after {
            Some(c) => format!(
                "progress is saved only after the loop, at line {} (`{}`)",
                line_of(text, c.range.start),
                short(&c.shown)
            ),
            None => "progress is never saved per item".to_string(),
        };
        let change = match story {
            Story::New => "This change adds the loop or its side effect".to_string(),
            Story::CheckpointRemoved => "In base the loop saved each item's progress inside the loop; this change removed that or moved it after the loop".to_string(),
        };
        let unnamed_handler = l
            .handler
            .as_ref()
            .is_some_and(|(h, _)| h.trim_matches('`') == l.function);
        let function = if l.function == "<module>" {
            format!("`{path}`")
        } else if unnamed_handler {
            format!("the request handler `{}` in `{path}`", l.function)
        } else {
            format!("`{}()` in `{path}`", l.function)
        };
        let twice = match *kind {
            "sends mail" => "the first k recipients get the mail twice",
            "makes a payment call" => "the first k payments are made twice",
            "publishes a message" => "the first k messages are published twice",
            "sends an HTTP write" => "the first k requests reach the other system twice (duplicate orders, shipments or records there)",
            _ => "the partner receives the first k items twice (duplicate shipments or orders)",
        };
        let message = format!(
            "The loop `{}` (line {loop_line}) in {function} {kind} for every item with `{}` (line {effect_line}){via}, but {saved}. {change}. If the run stops at item k (a timeout, a deploy, a crash), a rerun starts from the first item again: {twice}.",
            l.header,
            short(&effect.shown),
        );
        let mut f = Finding::new(
            "batch/unsaved-progress",
            header_location(Revision::Head, path, text, l),
            format!("{} {}", l.function, effect.callee),
            message,
        )
        .related(
            Location {
                revision: Revision::Head,
                path: path.to_string(),
                span: Span::from_bytes(text, effect.range.start, effect.range.end),
            },
            format!("{kind} per item here"),
        )
        .evidence("loop", l.header.clone())
        .evidence("side_effect", effect.shown.clone())
        .evidence("function", l.function.clone());
        if let Some(c) = &l.saved_after {
            f = f
                .related(
                    Location {
                        revision: Revision::Head,
                        path: path.to_string(),
                        span: Span::from_bytes(text, c.range.start, c.range.end),
                    },
                    "progress is saved only here, after the loop",
                )
                .evidence("checkpoint", c.shown.clone());
        }
        if let (Some(b), Some((bpath, bside))) = (before, base) {
            f = f.related(
                header_location(Revision::Base, bpath, &bside.text, b),
                "in base this loop saved progress per item",
            );
        }
        Some(f)
    }
}

impl Batch {
    fn request_finding(
        &self,
        path: &str,
        text: &str,
        l: &LoopFacts,
        change: &str,
    ) -> Option<Finding> {
        let (effect, kind) = l.effect.as_ref()?;
        let (handler, handler_range) = l.handler.as_ref()?;
        let query = l.unbounded.as_ref()?;
        let loop_line = line_of(text, l.range.start);
        let effect_line = line_of(text, effect.range.start);
        let handler_line = line_of(text, handler_range.start);
        let who = if l.function == handler.trim_matches('`') {
            format!("The request handler {handler} in `{path}` (line {handler_line})")
        } else {
            format!(
                "`{}()` in `{path}` (line {handler_line}) handles a web request ({handler}); it",
                l.function
            )
        };
        let message = format!(
            "{who} runs the loop `{}` (line {loop_line}), which {kind} with `{}` (line {effect_line}) for every row of `{}`, a query with no limit. {change}. The request runs as long as the table is long: it holds a worker and the database while it does, the browser or proxy times out and retries, and the retry starts the same work again beside the first. Move the work to a background job that takes bounded batches and saves its progress, or page the query.",
            l.header,
            short(&effect.shown),
            short(query),
        );
        let handler_end = text
            .get(handler_range.clone())
            .and_then(|t| t.find('\n'))
            .map_or(handler_range.end, |n| handler_range.start + n);
        Some(
            Finding::new(
                "batch/unbounded-work-in-request",
                header_location(Revision::Head, path, text, l),
                format!("{} {} request", l.function, effect.callee),
                message,
            )
            .label(format!("{kind} for every row of an unlimited query"))
            .related(
                Location {
                    revision: Revision::Head,
                    path: path.to_string(),
                    span: Span::from_bytes(text, handler_range.start, handler_end),
                },
                "inside this request handler",
            )
            .evidence("handler", handler.clone())
            .evidence("loop", l.header.clone())
            .evidence("query", query.clone())
            .evidence("side_effect", effect.shown.clone()),
        )
    }
}

/// A loop's first line, where findings point.
fn header_location(revision: Revision, path: &str, text: &str, l: &LoopFacts) -> Location {
    Location {
        revision,
        path: path.to_string(),
        span: Span::from_bytes(
            text,
            l.range.start,
            l.range.start + l.header.len().min(l.range.end - l.range.start),
        ),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::parse::grammar;

    fn family() -> Batch {
        let rules: toml::Table = toml::from_str(include_str!("../../../rules/batch.toml")).unwrap();
        let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
            .try_into()
            .unwrap();
        Batch { tables }
    }

    fn facts(lang: Lang, src: &str) -> Vec<LoopFacts> {
        facts_at(lang, src, "app/jobs/run.src")
    }

    fn facts_at(lang: Lang, src: &str, path: &str) -> Vec<LoopFacts> {
        let b = family();
        let syntax = Syntax::of(lang).unwrap();
        let language: tree_sitter::Language = if syntax == Syntax::Php {
            tree_sitter_php::LANGUAGE_PHP.into()
        } else {
            grammar(lang).unwrap()
        };
        let mut p = tree_sitter::Parser::new();
        p.set_language(&language).unwrap();
        let tree = p.parse(src, None).unwrap();
        let funcs = functions(syntax, tree.root_node(), src, path, &b.tables);
        let mail_modules = b.mail_modules(syntax, tree.root_node(), src);
        b.loop_facts(&funcs, src, &mail_modules)
    }

    fn summary(list: &[LoopFacts]) -> Vec<(String, bool, bool)> {
        list.iter()
            .map(|l| {
                (
                    l.effect
                        .as_ref()
                        .map_or_else(String::new, |(c, _)| c.callee.clone()),
                    l.checkpointed,
                    l.unsafe_loop(),
                )
            })
            .collect()
    }

    #[test]
    fn python_loops_effects_and_checkpoints_one_level_deep() {
        let src = "import requests\n\ndef send(o):\n    requests.post(URL, json=o)\n\ndef run(orders):\n    for o in orders:\n        send(o)\n    db.commit()\n    for o in orders:\n        requests.post(URL, json=o)\n        self.stdout.write('sent')\n        o.save()\n    for o in orders:\n        requests.get(URL)\n    for o in orders:\n        total += o.amount\n";
        let got = summary(&facts(Lang::Python, src));
        assert_eq!(
            got,
            [
                ("requests.post".to_string(), false, true),
                ("requests.post".to_string(), true, false),
                (String::new(), false, false),
                (String::new(), false, false),
            ]
        );
        let l = &facts(Lang::Python, src)[0];
        assert_eq!(l.via.as_ref().unwrap().method, "send");
        assert_eq!(l.saved_after.as_ref().unwrap().callee, "db.commit");
    }

    #[test]
    fn js_php_ruby_shapes() {
        let js = "async function run(orders) {\n  for (const o of orders) { await axios.post(u, o); }\n  orders.forEach(async (o) => { await fetch(u, { method: 'POST' }); await markSent(o.id); });\n  await stripe.charges.create({ amount: 1 }, { idempotencyKey: o.id });\n}\n";
        assert_eq!(
            summary(&facts(Lang::JavaScript, js)),
            [
                ("axios.post".to_string(), false, true),
                ("fetch".to_string(), true, false)
            ]
        );
        let php = "<?php\nfunction ship($orders, $client) {\n  foreach ($orders as $o) {\n    $client->post('/shipments', ['json' => $o]);\n  }\n  foreach ($orders as $o) {\n    wp_remote_post($url, []);\n    $o->save();\n  }\n}\n";
        assert_eq!(
            summary(&facts(Lang::Php, php)),
            [
                ("$client.post".to_string(), false, true),
                ("wp_remote_post".to_string(), true, false)
            ]
        );
        let rb = "def ship_all(orders)\n  orders.find_each do |o|\n    Carrier.create_shipment(o)\n  end\n  orders.each { |o| HTTParty.post(url, body: o.to_json); o.update!(shipped: true) }\nend\n";
        assert_eq!(
            summary(&facts(Lang::Ruby, rb)),
            [
                ("Carrier.create_shipment".to_string(), false, true),
                ("HTTParty.post".to_string(), true, false)
            ]
        );
    }

    #[test]
    fn database_deletes_are_not_http() {
        let src = "def clear(models):\n    for m in models:\n        db.session.delete(m)\n    for k in keys:\n        app.session_store.delete(k)\n    for h in hooks:\n        session.post(h.url, json=h.payload)\n    for u in urls:\n        requests.delete(u)\n";
        let got = summary(&facts(Lang::Python, src));
        assert_eq!(
            got.iter().map(|g| g.2).collect::<Vec<_>>(),
            [false, false, true, true]
        );
    }

    #[test]
    fn one_event_to_many_webhooks_is_not_a_batch() {
        let src = "def notify(urls, data):\n    for url in urls:\n        requests.post(url, json=data, timeout=5)\n    for o in orders:\n        requests.post(URL, json=o.to_dict())\n    for hook in hooks:\n        requests.post(hook.url, json={'event': 'x'})\n    for hook in hooks:\n        requests.post(hook.url, json=hook.payload)\n";
        let got: Vec<bool> = facts(Lang::Python, src)
            .iter()
            .map(|l| l.unsafe_loop())
            .collect();
        assert_eq!(got, [false, true, false, true]);
        assert_eq!(loop_vars("for url in urls:", "urls"), ["url"]);
        assert_eq!(
            loop_vars("orders.forEach(async (order) => ", "orders"),
            ["order"]
        );
        assert_eq!(
            loop_vars("foreach ($orders as $id => $order) ", "$orders"),
            ["id", "order"]
        );
        assert_eq!(
            loop_vars("Order.where(x: 1).find_each do |o|", "Order.where(x: 1)"),
            ["o"]
        );
    }

    #[test]
    fn calls_on_an_imported_mail_module_send_mail() {
        let src = "import email\nfrom email.utils import parseaddr\nfrom hc.lib import emails\nfrom app import email_utils\n\ndef run(q):\n    for p in q:\n        emails.deletion_scheduled(p.user.email, {})\n    for p in q:\n        email.message_from_string(p.raw)\n        email_utils.is_valid(p.addr)\n";
        let got = summary(&facts(Lang::Python, src));
        assert_eq!(
            got,
            [
                ("emails.deletion_scheduled".to_string(), false, true),
                (String::new(), false, false)
            ]
        );
        let js = "import * as mailer from '../lib/mailer';\nconst mail = require('./mail');\nasync function run(users) {\n  for (const u of users) { await mailer.welcome(u); }\n  for (const u of users) { await mail.digest(u); await u.save(); }\n}\n";
        assert_eq!(
            summary(&facts(Lang::JavaScript, js)),
            [
                ("mailer.welcome".to_string(), false, true),
                ("mail.digest".to_string(), true, false)
            ]
        );
    }

    #[test]
    fn guards_and_idempotency_keys_make_a_loop_safe() {
        let src = "def run(orders):\n    for o in orders:\n        if o.shipped:\n            continue\n        carrier_api.create_shipment(o)\n    for o in orders:\n        stripe.PaymentIntent.create(amount=1, idempotency_key=f'o-{o.id}')\n";
        let f = facts(Lang::Python, src);
        assert!(f[0].guarded && !f[0].unsafe_loop());
        assert!(f[1].idempotent && !f[1].unsafe_loop());
    }

    fn requests(lang: Lang, src: &str, path: &str) -> Vec<(String, Option<String>)> {
        facts_at(lang, src, path)
            .into_iter()
            .filter(|l| l.effect.is_some())
            .map(|l| (l.handler.map(|h| h.0).unwrap_or_default(), l.unbounded))
            .collect()
    }

    #[test]
    fn request_handlers_and_unlimited_queries() {
        let py = "@app.post('/ship')\ndef ship_all():\n    for o in Order.query.filter_by(shipped=False).all():\n        carrier.create_shipment(o)\n\ndef view(request):\n    orders = Order.objects.filter(new=True)[:50]\n    for o in orders:\n        requests.post(U, json=o)\n\ndef job():\n    for o in Order.objects.all():\n        requests.post(U, json=o)\n";
        assert_eq!(
            requests(Lang::Python, py, "shop/views.py"),
            [
                (
                    "`@app.post('/ship')`".to_string(),
                    Some("Order.query.filter_by(shipped=False).all()".to_string())
                ),
                ("a view that takes the `request`".to_string(), None),
                (String::new(), Some("Order.objects.all()".to_string())),
            ]
        );
        let js = "router.post('/ship', async (req, res) => {\n  const orders = await Order.findAll({ where: { shipped: false } });\n  for (const o of orders) { await axios.post(U, o); }\n});\nasync function run() { for (const r of await Promise.all(xs)) { await axios.post(U, r); } }\n";
        assert_eq!(
            requests(Lang::JavaScript, js, "src/server.js"),
            [
                (
                    "`router.post('/ship')`".to_string(),
                    Some("await Order.findAll({ where: { shipped: false } })".to_string())
                ),
                (String::new(), None),
            ]
        );
        let next = "export async function POST(req) {\n  const orders = await prisma.order.findMany({ take: 50 });\n  for (const o of orders) { await fetch(U, { method: 'POST' }); }\n}\n";
        assert_eq!(
            requests(Lang::JavaScript, next, "app/api/ship/route.js"),
            [(
                "the Next.js route handler `POST` of `app/api/ship/route.js`".to_string(),
                None
            )]
        );
        let php = "<?php\nclass OrderController extends Controller {\n  public function shipAll() {\n    foreach (Order::where('shipped', false)->get() as $o) {\n      Http::post($url, $o->toArray());\n    }\n  }\n  private function helper() {\n    foreach (Order::all() as $o) { Http::post($url, []); }\n  }\n}\n";
        assert_eq!(
            requests(Lang::Php, php, "app/Http/Controllers/OrderController.php"),
            [
                (
                    "the controller action `OrderController::shipAll()`".to_string(),
                    Some("Order::where('shipped', false)->get()".to_string())
                ),
                (String::new(), Some("Order::all()".to_string())),
            ]
        );
        let rb = "class OrdersController < ApplicationController\n  def ship_all\n    Order.where(shipped: false).find_each do |o|\n      Carrier.create_shipment(o)\n    end\n    Order.limit(10).each { |o| Carrier.create_shipment(o) }\n  end\nend\n";
        assert_eq!(
            requests(Lang::Ruby, rb, "app/controllers/orders_controller.rb"),
            [
                (
                    "the controller action `OrdersController#ship_all`".to_string(),
                    Some("Order.where(shipped: false)".to_string())
                ),
                (
                    "the controller action `OrdersController#ship_all`".to_string(),
                    None
                ),
            ]
        );
    }

    #[test]
    fn test_paths() {
        let b = family();
        for p in [
            "tests/test_ship.py",
            "spec/ship_spec.rb",
            "src/ship.test.ts",
            "app/__tests__/x.js",
        ] {
            assert!(b.is_test_path(p), "{p}");
        }
        assert!(!b.is_test_path("app/shipping/sender.py"));
    }
}
