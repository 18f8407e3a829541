//! What the batch family reads from each language's grammar: functions,
//! loops and their bodies, calls, iterables, assignments and request
//! handlers, in Python, JavaScript/TypeScript, PHP and Ruby.

use super::facts::{Call, Function, Loop};
use super::messages::short;
use super::shield::try_handlers;
use super::Tables;
use crate::pipeline::lang::Lang;
use crate::readers::syntax::{named_children, text_of};
use std::ops::Range;
use tree_sitter::Node;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Syntax {
    Python,
    Js,
    Php,
    Ruby,
}

/// The ids of the fields the per-node readers ask for, looked up once per
/// file: `child_by_field_name` compares the name with each of the
/// grammar's field names (`strncmp`) on every call, and `call` asks three
/// of every call of a file.
pub(super) struct Fields {
    function: Option<u16>,
    attribute: Option<u16>,
    object: Option<u16>,
    property: Option<u16>,
    arguments: Option<u16>,
    name: Option<u16>,
    value: Option<u16>,
    left: Option<u16>,
    right: Option<u16>,
}

impl Fields {
    pub(super) fn of(language: &tree_sitter::LanguageRef) -> Fields {
        let id = |name: &str| language.field_id_for_name(name).map(|f| f.get());
        Fields {
            function: id("function"),
            attribute: id("attribute"),
            object: id("object"),
            property: id("property"),
            arguments: id("arguments"),
            name: id("name"),
            value: id("value"),
            left: id("left"),
            right: id("right"),
        }
    }
}

/// `node`'s child in the field `id` (of [`Fields`]).
fn field(node: Node<'_>, id: Option<u16>) -> Option<Node<'_>> {
    node.child_by_field_id(id?)
}

impl Syntax {
    pub(super) fn of(lang: Lang) -> Option<Syntax> {
        Some(match lang {
            Lang::Python => Syntax::Python,
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => Syntax::Js,
            Lang::Php => Syntax::Php,
            Lang::Ruby => Syntax::Ruby,
            _ => return None,
        })
    }

    /// The name of a function node; `ancestors` are the nodes around it,
    /// outermost first.
    pub(super) fn function_name(
        self,
        node: Node,
        kind: &str,
        text: &str,
        ancestors: &[Node],
    ) -> Option<String> {
        let named = |n: Node| {
            n.child_by_field_name("name")
                .map(|x| text_of(x, text).to_string())
        };
        match (self, kind) {
            (Syntax::Python, "function_definition")
            | (
                Syntax::Js,
                "function_declaration" | "method_definition" | "generator_function_declaration",
            )
            | (Syntax::Php, "function_definition" | "method_declaration")
            | (Syntax::Ruby, "method" | "singleton_method") => named(node),
            (Syntax::Js, "arrow_function" | "function_expression" | "function") => {
                let holder = *ancestors.last()?;
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
    pub(super) fn loop_body<'t>(
        self,
        node: Node<'t>,
        kind: &str,
        text: &str,
        tables: &Tables,
        fields: &Fields,
    ) -> Option<Node<'t>> {
        let loop_methods = &tables.loop_methods;
        match (self, kind) {
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
                let f = field(node, fields.function)?;
                let prop = field(f, fields.property)?;
                if !loop_methods.iter().any(|m| m == text_of(prop, text)) {
                    return None;
                }
                let args = field(node, fields.arguments)?;
                named_children(args)
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
                named_children(args).into_iter().find_map(|a| {
                    let inner = a.named_child(0)?;
                    matches!(inner.kind(), "anonymous_function" | "arrow_function")
                        .then(|| inner.child_by_field_name("body"))
                        .flatten()
                })
            }
            (Syntax::Ruby, "call") => {
                let m = text_of(node.child_by_field_name("method")?, text);
                // `db.execute(sql) do |row|` yields each row; `File.open`,
                // `transaction do` and `Net::SMTP.start do |smtp|` yield once.
                let rows = tables.row_block_methods.iter().any(|x| x == m)
                    && node.child_by_field_name("receiver").is_some();
                if !rows && !loop_methods.iter().any(|x| x == m) {
                    return None;
                }
                node.child_by_field_name("block")
            }
            _ => None,
        }
    }

    pub(super) fn call(self, node: Node, kind: &str, text: &str, fields: &Fields) -> Option<Call> {
        let (callee_node, method, receiver, args) = match (self, kind) {
            (Syntax::Python, "call") | (Syntax::Js, "call_expression") => {
                let f = field(node, fields.function)?;
                let (method, receiver) = match f.kind() {
                    "attribute" => (
                        field(f, fields.attribute).map(|a| text_of(a, text)),
                        field(f, fields.object).map(|o| text_of(o, text)),
                    ),
                    "member_expression" => (
                        field(f, fields.property).map(|a| text_of(a, text)),
                        field(f, fields.object).map(|o| text_of(o, text)),
                    ),
                    "identifier" => (Some(text_of(f, text)), Some("")),
                    _ => (None, None),
                };
                (f, method?, receiver?, field(node, fields.arguments))
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
            shield: None,
        })
    }

    /// What a loop node iterates over, as written.
    pub(super) fn iterable(self, node: Node, text: &str, row_methods: &[String]) -> String {
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
            (Syntax::Ruby, "call") => {
                // `db.execute(sql) do |row|`: the call itself is the rows.
                let method = node.child_by_field_name("method").map(|m| text_of(m, text));
                let block = node.child_by_field_name("block");
                match (method, block) {
                    (Some(m), Some(b)) if row_methods.iter().any(|r| r == m) => {
                        let head = text.get(node.start_byte()..b.start_byte()).unwrap_or("");
                        return head.split_whitespace().collect::<Vec<_>>().join(" ");
                    }
                    _ => node.child_by_field_name("receiver"),
                }
            }
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
    pub(super) fn assignment(
        self,
        node: Node,
        kind: &str,
        text: &str,
        fields: &Fields,
    ) -> Option<(String, String)> {
        let (left, right) = match (self, kind) {
            (Syntax::Python | Syntax::Ruby, "assignment")
            | (Syntax::Js | Syntax::Php, "assignment_expression") => {
                (field(node, fields.left)?, field(node, fields.right)?)
            }
            (Syntax::Js, "variable_declarator") => {
                (field(node, fields.name)?, field(node, fields.value)?)
            }
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
    pub(super) fn handler(
        self,
        node: Node,
        kind: &str,
        text: &str,
        path: &str,
        decorators: &[String],
        ancestors: &[Node],
    ) -> Option<String> {
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let parent = ancestors.last().copied();
        let outward = || ancestors.iter().rev().copied();
        match (self, kind) {
            (Syntax::Python, "function_definition") => {
                let parent = parent.filter(|p| p.kind() == "decorated_definition");
                for d in parent.map(named_children).unwrap_or_default() {
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
                let params = node.child_by_field_name("parameters").map(named_children)?;
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
                let args = parent.filter(|p| p.kind() == "arguments")?;
                let call = outward().nth(1).filter(|c| c.kind() == "call_expression")?;
                let f = call.child_by_field_name("function")?;
                let verb = text_of(f.child_by_field_name("property")?, text);
                if !matches!(verb, "get" | "post" | "put" | "patch" | "delete" | "all") {
                    return None;
                }
                let first = named_children(args).into_iter().next()?;
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
                let exported = parent.is_some_and(|p| p.kind() == "export_statement");
                let file = path.rsplit('/').next().unwrap_or(path);
                let app_route = (path.starts_with("app/") || path.contains("/app/"))
                    && file.starts_with("route.")
                    && matches!(name, "POST" | "PUT" | "PATCH" | "DELETE" | "GET");
                let pages_api = (path.starts_with("pages/api/") || path.contains("/pages/api/"))
                    && parent.is_some_and(|p| text_of(p, text).starts_with("export default"));
                (exported && (app_route || pages_api))
                    .then(|| format!("the Next.js route handler `{name}` of `{path}`"))
            }
            (Syntax::Php, "method_declaration") => {
                let private = named_children(node)
                    .iter()
                    .any(|c| c.kind() == "visibility_modifier" && text_of(*c, text) != "public");
                let name = text_of(node.child_by_field_name("name")?, text);
                if private || name.starts_with("__") {
                    return None;
                }
                let class = outward().find(|n| n.kind() == "class_declaration")?;
                let cname = text_of(class.child_by_field_name("name")?, text);
                cname
                    .ends_with("Controller")
                    .then(|| format!("the controller action `{cname}::{name}()`"))
            }
            (Syntax::Ruby, "method") => {
                let name = text_of(node.child_by_field_name("name")?, text);
                let class = outward().find(|n| n.kind() == "class")?;
                let cname = text_of(class.child_by_field_name("name")?, text);
                cname
                    .ends_with("Controller")
                    .then(|| format!("the controller action `{cname}#{name}`"))
            }
            _ => None,
        }
    }

    pub(super) fn skips_item(self, node: Node) -> bool {
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
pub(super) fn functions(
    syntax: Syntax,
    root: Node,
    text: &str,
    path: &str,
    tables: &Tables,
) -> Vec<Function> {
    let function = |name: String, range: Range<usize>, handler: Option<String>| Function {
        name,
        range,
        calls: Vec::new(),
        loops: Vec::new(),
        handler,
        assignments: Vec::new(),
    };
    let mut out = vec![function("<module>".to_string(), root.byte_range(), None)];
    let handles_errors = super::shield::may_handle_errors(text);
    let fields = Fields::of(&root.language());
    // One depth-first pass of one cursor. `inside` holds, per node the
    // cursor is in (the root first), what its children inherit (`Inside`);
    // `ancestors` holds those nodes themselves, for the readers that ask
    // a node's parent: tree-sitter finds a parent by descending from the
    // root, per arrow function.
    let mut inside: Vec<Inside> = Vec::new();
    let mut ancestors: Vec<Node> = Vec::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        let (mut owner, mut shield) = match inside.last() {
            None => (0, None),
            Some(up) => (up.owner, up.shield_of(node)),
        };
        // A leaf (a name, a number, a piece of a string) is no function,
        // loop, call or assignment: half the nodes of a file, skipped
        // before their kind is asked six times. Only named nodes are read,
        // and only their children are walked.
        let read = node.is_named() && node.child_count() > 0;
        if read {
            // Asked once: each reader below matches on it, and `kind()`
            // reads and checks a C string every time.
            let kind = node.kind();
            let name = syntax.function_name(node, kind, text, &ancestors);
            let handler = syntax.handler(
                node,
                kind,
                text,
                path,
                &tables.handler_decorators,
                &ancestors,
            );
            // An unnamed callback is known by its route: `router.post('/sync')`.
            let unnamed = || handler.as_ref().map(|h| h.trim_matches('`').to_string());
            if let Some(name) = name.or_else(unnamed) {
                out.push(function(name, node.byte_range(), handler));
                owner = out.len() - 1;
                // A `try` around a function's definition shields none of its calls.
                shield = None;
            }
            if let Some(body) = syntax.loop_body(node, kind, text, tables, &fields) {
                let header = text_of(node, text)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let guarded = has_guard(syntax, body);
                let iterable = syntax.iterable(node, text, &tables.row_block_methods);
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
            if let Some(mut call) = syntax.call(node, kind, text, &fields) {
                call.shield = shield;
                out[owner].calls.push(call);
            }
            if let Some((name, value)) = syntax.assignment(node, kind, text, &fields) {
                out[owner]
                    .assignments
                    .push((name, value, node.byte_range()));
            }
            let handlers = handles_errors
                .then(|| try_handlers(node, kind, text))
                .flatten();
            if cursor.goto_first_child() {
                inside.push(Inside {
                    start: node.start_byte(),
                    owner,
                    shield,
                    handlers,
                });
                ancestors.push(node);
                continue;
            }
        }
        // The next node: a sibling of this one or of the nearest ancestor
        // that has one.
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                for f in &mut out {
                    f.calls.sort_by_key(|c| c.range.start);
                    f.loops.sort_by_key(|l| l.range.start);
                    f.assignments.sort_by_key(|a| a.2.start);
                }
                return out;
            }
            inside.pop();
            ancestors.pop();
        }
    }
}

/// What the walk of `functions` knows of a node whose children it reads.
struct Inside {
    start: usize,
    /// The innermost function its children belong to.
    owner: usize,
    /// The innermost swallowing `try` around it, in that function.
    shield: Option<usize>,
    /// When it is a `try`: where its first handler starts and whether
    /// every handler swallows the error.
    handlers: Option<(usize, bool)>,
}

impl Inside {
    /// The shield of a child: in this try's body (before its first
    /// handler) this try is the innermost one; in a handler, the one
    /// around it still is.
    fn shield_of(&self, child: Node) -> Option<usize> {
        match self.handlers {
            Some((first, swallows)) if child.end_byte() <= first => swallows.then_some(self.start),
            _ => self.shield,
        }
    }
}

/// The names a loop binds per item, read from its header: the words that
/// are neither the iterable's nor keywords.
pub(super) fn loop_vars(header: &str, iterable: &str) -> Vec<String> {
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
pub(super) fn after_first_argument(args: &str) -> &str {
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
pub(super) fn mentions_any(text: &str, vars: &[String]) -> bool {
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
pub(super) fn has_guard(syntax: Syntax, body: Node) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if syntax.skips_item(n) {
            return true;
        }
        stack.extend(named_children(n));
    }
    false
}
