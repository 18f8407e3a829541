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
/// A call's shield is the innermost of these whose body holds it, within
/// its function.
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

/// For a `try`-like node with handlers: where its first handler starts
/// (its body is what comes before) and whether every handler swallows the
/// error. The walk in `syntax::functions` carries the answer down to the
/// calls below, so no call walks up its ancestors (on a 3,000-line PHP
/// controller that cost a fifth of a check).
pub(super) fn try_handlers(n: Node, kind: &str, text: &str) -> Option<(usize, bool)> {
    if !TRY_KINDS.contains(&kind) {
        return None;
    }
    let handlers: Vec<Node> = named_children(n)
        .into_iter()
        .filter(|c| HANDLERS.contains(&c.kind()))
        .collect();
    let first = handlers.first()?.start_byte();
    Some((first, handlers.iter().all(|h| !stops(*h, text))))
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
