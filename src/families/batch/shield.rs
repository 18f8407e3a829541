//! Whether a send sits in a `try`/`begin` whose handler swallows its
//! error (`rescue => e` with only a log line, `except Exception: pass`,
//! `catch (e) {}`). Inside a loop body that means a failing send never
//! stops the loop: one notification lost, not a run stopped at item k
//! that a rerun repeats. A handler that re-raises, breaks, returns or
//! exits stops the loop, and shields nothing.

use crate::readers::syntax::{named_children, text_of};
use tree_sitter::Node;

/// The clauses that handle a `try`'s error, in every grammar the family
/// reads: Python `except`, JS and PHP `catch`, Ruby `rescue`.
const HANDLERS: &[&str] = &[
    "except_clause",
    "except_group_clause",
    "catch_clause",
    "rescue",
];

/// The nodes whose children a handler can be: `try` statements, Ruby's
/// `begin` and the bodies that take a `rescue` directly (`def`, `do`).
const TRY_KINDS: &[&str] = &["try_statement", "begin", "body_statement"];

/// Whether a text can hold a handler at all: most files have none, and
/// then no call needs its ancestors walked.
pub(super) fn may_handle_errors(text: &str) -> bool {
    ["catch", "except", "rescue"]
        .iter()
        .any(|w| text.contains(w))
}

/// What ends the loop from a handler: a re-raise, `break`, `return`.
const STOPS: &[&str] = &[
    "raise_statement",
    "throw_statement",
    "throw_expression",
    "break_statement",
    "return_statement",
    "break",
    "return",
    "retry",
    "exit_statement",
];

/// The start of the innermost `try` around `node` (up to `limit`, the
/// function it belongs to) whose handlers all swallow the error, if the
/// node is in that `try`'s body (not in a handler).
pub(super) fn swallowing_try(node: Node, text: &str, limit: usize) -> Option<usize> {
    let mut child = node;
    let mut up = node.parent();
    while let Some(n) = up.filter(|n| n.start_byte() >= limit) {
        // Only these hold handlers; listing the children of every
        // ancestor of every call (a 3,000-element PHP array) cost seconds.
        if !TRY_KINDS.contains(&n.kind()) {
            child = n;
            up = n.parent();
            continue;
        }
        let handlers: Vec<Node> = named_children(n)
            .into_iter()
            .filter(|c| HANDLERS.contains(&c.kind()))
            .collect();
        // In the body: before the first handler.
        if handlers
            .first()
            .is_some_and(|h| child.end_byte() <= h.start_byte())
        {
            return handlers
                .iter()
                .all(|h| !stops(*h, text))
                .then_some(n.start_byte());
        }
        child = n;
        up = n.parent();
    }
    None
}

/// Whether a handler ends the loop: it re-raises, breaks, returns or
/// exits (`raise`, `sys.exit(1)`, `exit 1`, `die()`).
fn stops(handler: Node, text: &str) -> bool {
    let mut stack = vec![handler];
    while let Some(n) = stack.pop() {
        if STOPS.contains(&n.kind()) {
            return true;
        }
        if matches!(n.kind(), "identifier" | "name") {
            let word = text_of(n, text);
            if matches!(word, "raise" | "exit" | "abort" | "die" | "fail") {
                return true;
            }
        }
        stack.extend(named_children(n));
    }
    false
}
