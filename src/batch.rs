//! The batch family: incident 4 in INCIDENTS.md. A module sent 3,500
//! orders to carriers and saved its progress only after the whole loop;
//! it was stopped halfway, and the restart shipped everything again.
//!
//! Facts per function: its loops, the calls in each loop body that reach
//! the outside world (side effects) and those that persist per-item state
//! (checkpoints), following calls into functions of the same file one
//! level deep. Only loops the change creates or makes unsafe are reported.

use crate::family::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::finding::{Finding, Location, Revision, Span};
use crate::lang::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use tree_sitter::{Node, Tree};

pub const FAMILY: FamilyDef = FamilyDef {
    name: "batch",
    rules: include_str!("../rules/batch.toml"),
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
    sql_write_words: Vec<String>,
    sql_methods: Vec<String>,
    idempotency_words: Vec<String>,
    guard_words: Vec<String>,
    loop_methods: Vec<String>,
    test_path_words: Vec<String>,
    exclude_tests: bool,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Batch {
        tables: crate::family::read_tables("batch", tables)?,
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
    crate::config::words(s)
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
}

#[derive(Clone, Debug)]
struct Function {
    name: String,
    range: Range<usize>,
    calls: Vec<Call>,
    loops: Vec<Loop>,
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
}

impl LoopFacts {
    fn unsafe_loop(&self) -> bool {
        self.effect.is_some() && !self.checkpointed && !self.idempotent && !self.guarded
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
fn functions(syntax: Syntax, root: Node, text: &str, loop_methods: &[String]) -> Vec<Function> {
    let mut out = vec![Function {
        name: "<module>".to_string(),
        range: root.byte_range(),
        calls: Vec::new(),
        loops: Vec::new(),
    }];
    // (node, index of the innermost function it belongs to)
    let mut stack = vec![(root, 0usize)];
    while let Some((node, owner)) = stack.pop() {
        let mut owner = owner;
        if let Some(name) = syntax.function_name(node, text) {
            out.push(Function {
                name,
                range: node.byte_range(),
                calls: Vec::new(),
                loops: Vec::new(),
            });
            owner = out.len() - 1;
        }
        if let Some(body) = syntax.loop_body(node, text, loop_methods) {
            let header = text_of(node, text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let guarded = has_guard(syntax, body);
            out[owner].loops.push(Loop {
                header: header.chars().take(80).collect(),
                range: node.byte_range(),
                body: body.byte_range(),
                guarded,
            });
        }
        if let Some(call) = syntax.call(node, text) {
            out[owner].calls.push(call);
        }
        let mut kids = children(node);
        kids.reverse();
        stack.extend(kids.into_iter().map(|k| (k, owner)));
    }
    for f in &mut out {
        f.calls.sort_by_key(|c| c.range.start);
        f.loops.sort_by_key(|l| l.range.start);
    }
    out
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
    fn effect(&self, call: &Call, function_text: &str) -> Option<&'static str> {
        let method = call.method.as_str();
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

    fn loop_facts(&self, funcs: &[Function], text: &str) -> Vec<LoopFacts> {
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
                    if let Some(kind) = self.effect(c, ftext) {
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
                            if let Some(kind) = self.effect(gc, gtext) {
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
                });
            }
        }
        out
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
        let facts_of = |side: &CodeSide| {
            let funcs = functions(
                side.syntax,
                side.tree.root_node(),
                &side.text,
                &self.tables.loop_methods,
            );
            self.loop_facts(&funcs, &side.text)
        };
        // Base loops of every changed file: a loop moved to another file
        // (or into a renamed function) as it was is not this change's doing.
        let mut bases: Vec<Option<BaseFacts>> = Vec::new();
        let mut unsafe_before: std::collections::BTreeSet<String> = Default::default();
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
                    let facts = facts_of(&b.1);
                    (b, facts)
                });
            if let Some((_, facts)) = &base {
                for l in facts.iter().filter(|l| l.unsafe_loop()) {
                    unsafe_before.insert(l.identity().1);
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
            let head_loops = facts_of(&head);
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
        let function = if l.function == "<module>" {
            format!("`{path}`")
        } else {
            format!("`{}()` in `{path}`", l.function)
        };
        let message = format!(
            "The loop `{}` (line {loop_line}) in {function} {kind} for every item with `{}` (line {effect_line}){via}, but {saved}. {change}. If the run stops at item k (a timeout, a deploy, a crash), a rerun repeats items 1 to k: duplicate shipments, charges, mails or messages.",
            l.header,
            short(&effect.shown),
        );
        let mut f = Finding::new(
            "batch/unsaved-progress",
            Location {
                revision: Revision::Head,
                path: path.to_string(),
                span: Span::from_bytes(
                    text,
                    l.range.start,
                    l.range.start + l.header.len().min(l.range.end - l.range.start),
                ),
            },
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
                Location {
                    revision: Revision::Base,
                    path: bpath.clone(),
                    span: Span::from_bytes(
                        &bside.text,
                        b.range.start,
                        b.range.start + b.header.len().min(b.range.end - b.range.start),
                    ),
                },
                "in base this loop saved progress per item",
            );
        }
        Some(f)
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
    use crate::parse::grammar;

    fn family() -> Batch {
        let rules: toml::Table = toml::from_str(include_str!("../rules/batch.toml")).unwrap();
        let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
            .try_into()
            .unwrap();
        Batch { tables }
    }

    fn facts(lang: Lang, src: &str) -> Vec<LoopFacts> {
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
        let funcs = functions(syntax, tree.root_node(), src, &b.tables.loop_methods);
        b.loop_facts(&funcs, src)
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
        let src = "import requests\n\ndef send(o):\n    requests.post(URL, json=o)\n\ndef run(orders):\n    for o in orders:\n        send(o)\n    db.commit()\n    for o in orders:\n        requests.post(URL, json=o)\n        o.save()\n    for o in orders:\n        requests.get(URL)\n    for o in orders:\n        total += o.amount\n";
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
    fn guards_and_idempotency_keys_make_a_loop_safe() {
        let src = "def run(orders):\n    for o in orders:\n        if o.shipped:\n            continue\n        carrier_api.create_shipment(o)\n    for o in orders:\n        stripe.PaymentIntent.create(amount=1, idempotency_key=f'o-{o.id}')\n";
        let f = facts(Lang::Python, src);
        assert!(f[0].guarded && !f[0].unsafe_loop());
        assert!(f[1].idempotent && !f[1].unsafe_loop());
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
