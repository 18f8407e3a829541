//! Loop facts: each loop of a function with the outside effects it performs
//! per item, where (if anywhere) it saves progress, and whether it runs
//! inside a web request over an unlimited query.

use super::flow::recorded_in_memory;
use super::mailbox::{first_reached, Drain};
use super::syntax::Syntax;
use super::{words, Batch};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Revision, Span};
use crate::readers::syntax::{named_children, text_of};
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use tree_sitter::{Node, Tree};

/// A call as the analysis sees it.
#[derive(Clone, Debug)]
pub(super) struct Call {
    /// The callee, `->`/`::` read as `.`: `requests.post`. Compared.
    pub(super) callee: String,
    /// The callee as written, for messages: `$this->client->post`.
    pub(super) shown: String,
    /// The last name of the callee: `post`.
    pub(super) method: String,
    /// Everything before the method: `requests`, `$this->client`.
    pub(super) receiver: String,
    /// The arguments as written, for SQL, HTTP methods and idempotency keys.
    pub(super) args: String,
    pub(super) range: Range<usize>,
    /// The start of the innermost `try` around the call whose handler
    /// swallows its error (see `shield.rs`).
    pub(super) shield: Option<usize>,
}

#[derive(Clone, Debug)]
pub(super) struct Loop {
    /// Its first line, trimmed: `for order in orders:`.
    pub(super) header: String,
    pub(super) range: Range<usize>,
    pub(super) body: Range<usize>,
    /// A `continue`/`next` guard on a persisted "already done" state.
    pub(super) guarded: bool,
    /// What it iterates over, as written: `Order.objects.filter(...)`,
    /// `$orders`; empty for `while` loops.
    pub(super) iterable: String,
    /// The names each item is bound to: `order` in `for order in orders`.
    pub(super) vars: Vec<String>,
}

#[derive(Clone, Debug)]
pub(super) struct Function {
    pub(super) name: String,
    pub(super) range: Range<usize>,
    pub(super) calls: Vec<Call>,
    pub(super) loops: Vec<Loop>,
    /// How the function is reached from a web request, when it is a
    /// request handler: `@app.post("/ship")`, `action store() of
    /// OrderController`.
    pub(super) handler: Option<String>,
    /// `name = value` assignments in its body, in source order, to see
    /// what a loop's variable holds.
    pub(super) assignments: Vec<(String, String, Range<usize>)>,
}

/// What a loop does per item.
#[derive(Clone, Debug)]
pub(super) struct LoopFacts {
    pub(super) function: String,
    pub(super) header: String,
    /// What it iterates over, as written; empty for `while` loops.
    pub(super) iterable: String,
    pub(super) range: Range<usize>,
    pub(super) effect: Option<(Call, &'static str)>,
    /// The call that reaches the effect, when it is a same-file function.
    pub(super) via: Option<Call>,
    pub(super) checkpointed: bool,
    pub(super) idempotent: bool,
    pub(super) guarded: bool,
    /// The first checkpoint after the loop in the same function.
    pub(super) saved_after: Option<Call>,
    /// A checkpoint before the loop in the same function: the batch's
    /// state saved as one record (`campaign.update(email_sent: true)`).
    pub(super) saved_before: bool,
    /// What the loop iterates, followed to the assignment of its variable.
    pub(super) source: String,
    /// The send is in its own `try` whose handler swallows the error.
    pub(super) swallowed: bool,
    /// Where the loop keeps each item's outcome in memory only (assigned
    /// into the item, appended to a list), as written: the shape of
    /// incident 4 when the loop persists it once, after the loop.
    pub(super) recorded: Option<String>,
    /// One message to many destinations (`for url in webhook_urls:
    /// post(url, json=event)`), or a retry loop: the item is not in what
    /// is sent, so there is no per-item progress to lose.
    pub(super) fan_out: bool,
    /// The request handler the loop runs in, with where it is declared.
    pub(super) handler: Option<(String, Range<usize>)>,
    /// The query without a limit that the loop iterates, if it does, and
    /// the assignment it comes from when the loop iterates a variable.
    pub(super) unbounded: Option<String>,
    pub(super) query_source: Option<Range<usize>>,
    /// Messages taken off a mail server, marked deleted in the loop and
    /// expunged only after it.
    pub(super) drain: Option<Drain>,
}

impl LoopFacts {
    pub(super) fn unsafe_loop(&self) -> bool {
        self.effect.is_some()
            && !self.checkpointed
            && !self.idempotent
            && !self.guarded
            && !self.fan_out
    }

    /// Each item's outcome kept in memory in the loop and persisted once,
    /// after it: the checkpoint of incident 4.
    pub(super) fn defers_save(&self) -> bool {
        self.recorded.is_some() && self.saved_after.is_some()
    }

    /// Outside work per row of an unlimited query, inside a web request.
    pub(super) fn in_request(&self) -> bool {
        self.effect.is_some() && self.handler.is_some() && self.unbounded.is_some()
    }

    /// The line-independent subject of a finding about the loop: its
    /// function, its effect and what it iterates (the header of a `while`
    /// loop), so two loops of one function that send the same way, one
    /// nested in the other, are told apart.
    pub(super) fn subject(&self) -> String {
        let over = self.over();
        let effect = self.effect.as_ref().map_or("", |(c, _)| c.callee.as_str());
        format!("{} {effect} over {}", self.function, over.trim())
    }

    /// What the loop goes over: its iterable, or its header when it has
    /// none (`while`, a counted `for`).
    pub(super) fn over(&self) -> &str {
        if self.iterable.trim().is_empty() {
            &self.header
        } else {
            &self.iterable
        }
    }

    /// What identifies a loop moved to another file or function as it
    /// was: what it sends and what it iterates.
    pub(super) fn moved_key(&self) -> String {
        let over = self.over();
        let effect = self.effect.as_ref().map_or("", |(c, _)| c.callee.as_str());
        format!("{effect} over {}", over.trim())
    }

    /// What identifies the loop across revisions: where it is and what it
    /// sends, not its line.
    pub(super) fn identity(&self) -> (String, String) {
        (
            self.function.clone(),
            self.effect
                .as_ref()
                .map_or_else(String::new, |(c, _)| c.callee.clone()),
        )
    }
}

/// A side of a file, parsed with the grammar of its code.
pub(super) struct CodeSide {
    pub(super) text: Arc<str>,
    pub(super) tree: Tree,
    pub(super) syntax: Syntax,
}

/// One side of a changed file parsed with its code's grammar: PHP here
/// (the cache parses PHP as the HTML around its code), the other
/// languages through the cache.
pub(super) fn code_side(
    cx: &Context,
    file: &ChangedFile,
    rev: Revision,
) -> Option<(String, CodeSide)> {
    let (version, lang) = match rev {
        Revision::Base => (file.base.as_ref()?, file.base_lang),
        Revision::Head => (file.head.as_ref()?, file.head_lang),
    };
    let syntax = Syntax::of(lang)?;
    let text = version.text()?.clone();
    let tree = if syntax == Syntax::Php {
        let language: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
        crate::pipeline::parse::parse_bounded(&language, &text).ok()?
    } else {
        cx.parsed_for_facts(version, lang)?.tree.clone()
    };
    Some((version.path.clone(), CodeSide { text, tree, syntax }))
}

/// What [`Batch::loop_facts`] asks of every call of a function.
struct CallFacts {
    persists: bool,
    effect: Option<&'static str>,
}

pub(super) fn line_of(text: &str, byte: usize) -> usize {
    Span::from_bytes(text, byte, byte).line
}

impl Batch {
    pub(super) fn any_word(&self, s: &str, table: &[String]) -> bool {
        let w = words(s);
        w.iter().any(|x| table.contains(x))
    }

    /// What kind of outside effect a call has, if any.
    pub(super) fn effect(
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
        if let Some(kind) = self.sender(call) {
            return Some(kind);
        }
        // The method is checked first in each test below: splitting the
        // receiver into words for every call of a 5,000-line controller
        // cost more than parsing it.
        let http_clients = if lower_method == "delete" {
            &self.tables.http_delete_clients
        } else {
            &self.tables.http_clients
        };
        if self.tables.http_verbs.contains(&lower_method)
            && self.any_word(&call.receiver, http_clients)
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

    pub(super) fn checkpoint(&self, call: &Call) -> bool {
        let m = call.method.as_str();
        let lower = m.to_ascii_lowercase();
        let saves = self.tables.checkpoint_methods.iter().any(|c| c == m)
            || self.tables.checkpoint_prefixes.iter().any(|p| {
                lower.starts_with(p.as_str())
                    && m[p.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c == '_' || c.is_uppercase())
            })
            || self.tables.sql_methods.iter().any(|s| s == m) && {
                let a = call.args.to_ascii_uppercase();
                self.tables
                    .sql_write_words
                    .iter()
                    .any(|w| a.contains(w.as_str()))
            };
        // `self.stdout.write(…)`, `logger.write(…)`: output, not progress.
        saves && !self.any_word(&call.receiver, &self.tables.not_checkpoint_receivers)
    }

    pub(super) fn idempotent(&self, call: &Call) -> bool {
        let a = call.args.to_ascii_lowercase();
        self.tables
            .idempotency_words
            .iter()
            .any(|w| a.contains(w.as_str()))
    }

    pub(super) fn loop_facts(
        &self,
        funcs: &[Function],
        text: &str,
        mail_modules: &[String],
    ) -> Vec<LoopFacts> {
        let by_name: BTreeMap<&str, usize> = funcs
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, f)| (f.name.as_str(), i))
            .collect();
        // What each call of a function does, worked out once per function
        // on first use: asked per loop, per call in it and per call of the
        // helpers it calls, a 3,000-line PHP controller took seconds.
        let memo: Vec<OnceCell<Vec<CallFacts>>> = funcs.iter().map(|_| OnceCell::new()).collect();
        let calls_of = |i: usize| -> &[CallFacts] {
            memo[i].get_or_init(|| {
                let f = &funcs[i];
                let ftext = text.get(f.range.clone()).unwrap_or("");
                f.calls
                    .iter()
                    .map(|c| CallFacts {
                        persists: self.persists(f, c),
                        effect: self.effect(c, ftext, mail_modules),
                    })
                    .collect()
            })
        };
        let mut out = Vec::new();
        for (fi, f) in funcs.iter().enumerate() {
            for l in &f.loops {
                let known = calls_of(fi);
                let inside: Vec<(usize, &Call)> = f
                    .calls
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| l.body.start <= c.range.start && c.range.end <= l.body.end)
                    .collect();
                let mut effect: Option<(Call, &'static str)> = None;
                let mut via: Option<Call> = None;
                let mut checkpointed = false;
                let mut idempotent = false;
                let mut swallowed = false;
                // A try inside the loop body, or inside the same-file
                // function it calls per item, catches per item.
                let per_item = |c: &Call, from: usize| c.shield.is_some_and(|t| t >= from);
                for &(ci, c) in &inside {
                    if let Some(kind) = known[ci].effect {
                        idempotent |= self.idempotent(c);
                        if effect.is_none() {
                            effect = Some((c.clone(), kind));
                            swallowed = per_item(c, l.body.start);
                        }
                    }
                    checkpointed |= known[ci].persists;
                    // One level into functions of the same file.
                    let Some(gi) = by_name
                        .get(c.method.as_str())
                        .copied()
                        .filter(|&g| funcs[g].name != f.name)
                    else {
                        continue;
                    };
                    let callee = &funcs[gi];
                    for (gci, gc) in callee.calls.iter().enumerate() {
                        let g = &calls_of(gi)[gci];
                        if let Some(kind) = g.effect {
                            idempotent |= self.idempotent(gc);
                            if effect.is_none() {
                                effect = Some((gc.clone(), kind));
                                via = Some(c.clone());
                                swallowed =
                                    per_item(c, l.body.start) || per_item(gc, callee.range.start);
                            }
                        }
                        // A checkpoint the helper leaves to its own
                        // helper (`$this->setSeen($message)`) is one too:
                        // a refactor into helpers removes no checkpoint.
                        let inner = by_name
                            .get(gc.method.as_str())
                            .copied()
                            .filter(|&h| funcs[h].name != callee.name && funcs[h].name != f.name);
                        checkpointed |= g.persists
                            || inner.is_some_and(|h| calls_of(h).iter().any(|x| x.persists));
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
                    .zip(known)
                    .find(|(c, k)| c.range.start >= l.range.end && k.persists)
                    .map(|(c, _)| c.clone());
                let saved_before = f
                    .calls
                    .iter()
                    .zip(known)
                    .any(|(c, k)| c.range.end <= l.range.start && k.persists);
                // A job that records its own item is skipped on a rerun
                // when the loop's rows are filtered on that record; a
                // flag written after the loop guards nothing.
                let enqueues = matches!(&effect, Some((_, "enqueues a job")));
                let guarded = guarded || (enqueues && self.filtered_by_flag(f, l));
                let carrier = via.as_ref().or(effect.as_ref().map(|(e, _)| e));
                let fan_out = match (carrier, &effect) {
                    (Some(c), Some((_, kind))) => self.fan_out(f, l, c, kind),
                    _ => false,
                };
                let inside: Vec<&Call> = inside.into_iter().map(|(_, c)| c).collect();
                let recorded = recorded_in_memory(f, l, &inside);
                let reach = |c: &Call, depth: usize| -> Option<Call> {
                    if self.persists(f, c) || self.effect(c, "", mail_modules).is_some() {
                        return Some(c.clone());
                    }
                    let hit = |g: usize, k: usize| {
                        let x = &calls_of(g)[k];
                        x.persists || x.effect.is_some()
                    };
                    first_reached(funcs, &by_name, &c.method, depth, &hit).cloned()
                };
                let drain = self.drain(funcs, fi, l, &inside, &reach);
                let handler = f.handler.clone().map(|h| (h, f.range.clone()));
                let (unbounded, query_source) = match self.unbounded_query(f, l) {
                    Some((q, at)) => (Some(q), at),
                    None => (None, None),
                };
                out.push(LoopFacts {
                    function: f.name.clone(),
                    header: l.header.clone(),
                    iterable: l.iterable.clone(),
                    range: l.range.clone(),
                    effect,
                    via,
                    checkpointed,
                    idempotent,
                    guarded,
                    saved_after,
                    saved_before,
                    source: self.iterated(f, l).0.to_string(),
                    swallowed,
                    recorded,
                    fan_out,
                    handler,
                    unbounded,
                    query_source,
                    drain,
                });
            }
        }
        out
    }

    /// Names under which a file imports a module of mail functions:
    /// `from hc.lib import emails`, `import * as mailer from './mailer'`,
    /// `const mail = require('../lib/mail')`. Any call on one sends mail.
    pub(super) fn mail_modules(&self, syntax: Syntax, root: Node, text: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = named_children(root);
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
                    for clause in named_children(n)
                        .into_iter()
                        .filter(|c| c.kind() == "import_clause")
                    {
                        for c in named_children(clause) {
                            match c.kind() {
                                "identifier" => names.push(text_of(c, text).to_string()),
                                "namespace_import" => names.extend(
                                    named_children(c)
                                        .into_iter()
                                        .map(|i| text_of(i, text).to_string()),
                                ),
                                _ => {}
                            }
                        }
                    }
                }
                (Syntax::Js, "lexical_declaration" | "variable_declaration") => {
                    for d in named_children(n)
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
                    stack.extend(named_children(n));
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
    pub(super) fn unbounded_query(
        &self,
        f: &Function,
        l: &Loop,
    ) -> Option<(String, Option<Range<usize>>)> {
        let (expr, source) = self.iterated(f, l);
        let lower = expr.to_ascii_lowercase();
        let limited = self
            .tables
            .limit_words
            .iter()
            .any(|w| lower.contains(w.as_str()));
        (self.is_query(expr) && !limited).then(|| (expr.to_string(), source))
    }

    /// Whether a path holds no shipped code this family reads: tests
    /// (unless configured otherwise) and translations (Laravel
    /// `lang/*/texts.php`, whose 2,000-entry arrays are text).
    pub(super) fn skips_path(&self, path: &str) -> bool {
        self.is_test_path(path)
            || path
                .to_ascii_lowercase()
                .split('/')
                .any(|seg| self.tables.translation_path_words.iter().any(|w| w == seg))
    }

    pub(super) fn is_test_path(&self, path: &str) -> bool {
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
