//! Loops that drain a mailbox: each message taken off a mail server is
//! processed (a ticket, a record, a reply) and marked deleted, but the
//! server drops marked messages only at the expunge. Expunged once after
//! the loop, a failure half-way leaves every message processed so far in
//! the mailbox, and the next poll processes it again (django-helpdesk:
//! "hundreds of duplicate tickets"). The item's progress is its removal
//! from the mailbox, not the records its processing saves.

use super::facts::{line_of, Call, Function, Loop, LoopFacts};
use super::messages::{header_location, short, SideLoops};
use super::Batch;
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// A mailbox drained by a loop that expunges only after it.
#[derive(Clone, Debug)]
pub(super) struct Drain {
    /// The call that marks each message deleted: `server.store(num,
    /// '+FLAGS', '\\Deleted')`.
    pub(super) mark: Call,
    /// The expunge after the loop that removes them.
    pub(super) expunge: Call,
    /// The call in the loop that processes the message, and the record or
    /// send it reaches (through functions of the same file).
    pub(super) processing: Call,
    pub(super) reaches: Call,
}

/// How far into functions of the same file a message's processing is
/// followed: helpdesk's `object_from_message` saves its ticket two calls
/// down.
const PROCESSING_DEPTH: usize = 3;

impl Batch {
    fn marks_deleted(&self, c: &Call) -> bool {
        let m = c.method.as_str();
        self.tables.mailbox_delete_calls.iter().any(|d| d == m)
            || self.tables.mailbox_flag_calls.iter().any(|d| d == m)
                && c.args.to_ascii_lowercase().contains("deleted")
    }

    fn expunges(&self, c: &Call) -> bool {
        self.tables.mailbox_expunge_calls.contains(&c.method)
    }

    /// The drain of loop `l` of `funcs[fi]`, when its body marks messages
    /// deleted, processes them, and leaves the expunge to after the loop.
    /// `reach` tells, for a call, what record or send it leads to through
    /// functions of the same file, up to a depth.
    pub(super) fn drain(
        &self,
        funcs: &[Function],
        fi: usize,
        l: &Loop,
        inside: &[&Call],
        reach: &dyn Fn(&Call, usize) -> Option<Call>,
    ) -> Option<Drain> {
        let f = &funcs[fi];
        let mark = inside.iter().find(|c| self.marks_deleted(c))?;
        let mailbox = mark.receiver.as_str();
        // Expunged per message (directly or by a helper): nothing is left.
        let per_item = inside.iter().any(|c| {
            self.expunges(c)
                || funcs.iter().skip(1).any(|g| {
                    g.name == c.method
                        && g.name != f.name
                        && g.calls.iter().any(|x| self.expunges(x))
                })
        });
        if per_item {
            return None;
        }
        let expunge = f
            .calls
            .iter()
            .find(|c| c.range.start >= l.range.end && self.expunges(c) && c.receiver == mailbox)?;
        // What the loop does with each message besides talking to the
        // mail server: a loop that only deletes old mail processes nothing.
        // PHP's `imap_*` functions take the mailbox as an argument.
        let on_mailbox = |c: &Call| {
            (!mailbox.is_empty() && c.receiver == mailbox) || c.method.starts_with("imap_")
        };
        let (processing, reaches) = inside
            .iter()
            .filter(|c| !on_mailbox(c))
            .find_map(|c| Some(((*c).clone(), reach(c, PROCESSING_DEPTH)?)))?;
        Some(Drain {
            mark: (*mark).clone(),
            expunge: expunge.clone(),
            processing,
            reaches,
        })
    }
}

/// The first call that saves or sends among the calls of the same-file
/// function `start` names and of the functions those call, up to `depth`
/// calls down, breadth first; `hit(function, call)` tells which do.
pub(super) fn first_reached<'a>(
    funcs: &'a [Function],
    by_name: &BTreeMap<&str, usize>,
    start: &str,
    depth: usize,
    hit: &dyn Fn(usize, usize) -> bool,
) -> Option<&'a Call> {
    let mut seen = BTreeSet::new();
    let mut frontier: Vec<usize> = by_name.get(start).copied().into_iter().collect();
    for _ in 0..depth {
        let mut next = Vec::new();
        for gi in frontier.into_iter().filter(|&g| seen.insert(g)) {
            for (k, gc) in funcs[gi].calls.iter().enumerate() {
                if hit(gi, k) {
                    return Some(gc);
                }
                next.extend(by_name.get(gc.method.as_str()).copied());
            }
        }
        frontier = next;
    }
    None
}

/// Where a drained mailbox's findings come from: the loop's place in head,
/// its base file, and whether the change's bases held as many such loops.
pub(super) struct DrainScope<'a> {
    pub(super) head: &'a SideLoops,
    pub(super) base: Option<&'a SideLoops>,
    /// Whether the change touched these head lines.
    pub(super) touched: &'a dyn Fn(&Range<usize>) -> bool,
    /// Whether the bases held at least as many drains of a [`drain_key`]
    /// as the heads: a loop moved, not a new one.
    pub(super) moved: &'a dyn Fn(&str) -> bool,
}

/// What identifies a drain loop moved to another function or file: the
/// mailbox call and what it iterates.
pub(super) fn drain_key(l: &LoopFacts) -> Option<String> {
    let d = l.drain.as_ref()?;
    Some(format!("{} over {}", d.mark.callee, l.over().trim()))
}

impl Batch {
    /// `batch/unsaved-progress` for the loops this change made drain a
    /// mailbox with the expunge after the loop.
    pub(super) fn deferred_expunges(&self, scope: &DrainScope, out: &mut Vec<Finding>) {
        let head = scope.head;
        let base_loops = scope.base.map_or(&[][..], |b| &b.loops[..]);
        for l in &head.loops {
            let (Some(d), Some(key)) = (&l.drain, drain_key(l)) else {
                continue;
            };
            // The same loop in base: same function and header or
            // iterable, or the only loop of its function on both sides.
            let of_function =
                |loops: &'_ [LoopFacts]| loops.iter().filter(|x| x.function == l.function).count();
            let only = of_function(base_loops) == 1 && of_function(&head.loops) == 1;
            let same = base_loops.iter().find(|b| {
                b.function == l.function
                    && (b.header == l.header || b.iterable == l.iterable || only)
            });
            let expunged_inside = |b: &LoopFacts| {
                let text = scope.base.and_then(|base| base.text.get(b.range.clone()));
                text.is_some_and(|t| {
                    self.tables
                        .mailbox_expunge_calls
                        .iter()
                        .any(|e| t.contains(e.as_str()))
                })
            };
            let story = match same {
                // Like this in base, or never expunged per message there:
                // this change removed no per-message removal.
                Some(b) if b.drain.is_some() || !expunged_inside(b) => continue,
                Some(_) => "In base this loop expunged each message as it went; this change moved the expunge after the loop",
                None if (scope.moved)(&key) || !(scope.touched)(&l.range) => continue,
                None => "This change adds the loop",
            };
            out.push(self.drain_finding(head, l, d, same.zip(scope.base), story));
        }
    }

    fn drain_finding(
        &self,
        head: &SideLoops,
        l: &LoopFacts,
        d: &Drain,
        before: Option<(&LoopFacts, &SideLoops)>,
        story: &str,
    ) -> Finding {
        let (path, text) = (head.path.as_str(), &*head.text);
        let at = |c: &Call| line_of(text, c.range.start);
        let function = if l.function == "<module>" {
            format!("`{path}`")
        } else {
            format!("`{}()` in `{path}`", l.function)
        };
        let reaches = if d.reaches.range == d.processing.range {
            String::new()
        } else {
            format!(
                "; it reaches `{}` at line {}",
                short(&d.reaches.shown),
                at(&d.reaches)
            )
        };
        let message = format!(
            "The loop `{}` (line {}) in {function} processes each message of a mail server with `{}` (line {}{reaches}), marks it deleted with `{}` (line {}), but the server removes marked messages only at `{}` (line {}), after the loop. {story}. If the run stops at message k (an exception on one bad message, a timeout, a restart), the k messages processed before it stay in the mailbox and the next poll processes them again: duplicate tickets or records, and the mail they send. Expunge right after each message is marked, or move it out of the folder. Reported at medium: nothing is lost, but everything done so far is done twice.",
            l.header,
            line_of(text, l.range.start),
            short(&d.processing.shown),
            at(&d.processing),
            short(&d.mark.shown),
            at(&d.mark),
            short(&d.expunge.shown),
            at(&d.expunge),
        );
        let place = |c: &Call| Location {
            revision: Revision::Head,
            path: path.to_string(),
            span: Span::from_bytes(text, c.range.start, c.range.end),
        };
        let mut f = Finding::new(
            "batch/unsaved-progress",
            header_location(Revision::Head, path, text, l),
            format!(
                "{} mailbox {} over {}",
                l.function,
                d.mark.callee,
                l.over().trim()
            ),
            message,
        )
        .severity(Severity::Medium)
        .label("each message is processed, and removed only after the loop")
        .related(place(&d.processing), "each message is processed here")
        .related(place(&d.mark), "marked deleted here, not yet removed")
        .related(place(&d.expunge), "removed only here, after the loop")
        .evidence("loop", l.header.clone())
        .evidence("function", l.function.clone())
        .evidence("iterable", l.iterable.clone())
        .evidence("side_effect", d.processing.shown.clone())
        .evidence("reaches", d.reaches.shown.clone())
        .evidence("marked_deleted", d.mark.shown.clone())
        .evidence("checkpoint", d.expunge.shown.clone());
        if let Some((b, base)) = before {
            f = f.related(
                header_location(Revision::Base, &base.path, &base.text, b),
                "in base this loop expunged each message inside it",
            );
        }
        f
    }
}
