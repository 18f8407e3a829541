//! The findings of the batch family: what the loop sends, where progress
//! is (not) saved, and what a rerun after a stop repeats.

use super::facts::{line_of, LoopFacts};
use super::syntax::Syntax;
use super::Batch;
use crate::findings::finding::{Finding, Location, Revision, Span};
use std::sync::Arc;

/// One side of a changed code file after the fact walk: its path, text
/// and loops. The parse tree is dropped as soon as the loops are read.
pub(super) struct SideLoops {
    pub(super) path: String,
    pub(super) text: Arc<str>,
    pub(super) syntax: Syntax,
    pub(super) loops: Vec<LoopFacts>,
}

impl SideLoops {
    /// Whether a loop here sends unsafely, works in a request or drains a
    /// mailbox: the only loops a finding can be about.
    pub(super) fn risky(&self) -> bool {
        self.loops
            .iter()
            .any(|l| l.unsafe_loop() || l.in_request() || l.drain.is_some())
    }
}

pub(super) enum Story {
    New,
    CheckpointRemoved,
    DeferredSave,
}

/// A loop's first line, where findings point.
pub(super) fn header_location(
    revision: Revision,
    path: &str,
    text: &str,
    l: &LoopFacts,
) -> Location {
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

pub(super) fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

impl Batch {
    /// Whether a text can hold a call `effect` (facts.rs) takes for a side
    /// effect, before it is parsed. Python, JavaScript and PHP call with
    /// parentheses, so one of the effect tables' methods must stand as a
    /// call (`.post(`, `->send(`, `send_mail (`, `send?.(`), or a mail
    /// module or a delayed receiver take a call (`emails.`, `.delay.`): a
    /// word that only shows up inside a name (`reorder`, `posts`,
    /// `user.email`) is none (`effect_calls.rs`). Ruby calls without
    /// parentheses and keeps [`mentions_effect`](Self::mentions_effect).
    pub(super) fn may_call_effect(&self, syntax: Syntax, text: &str) -> bool {
        match syntax {
            Syntax::Python | Syntax::Js => self.effect_calls.found_in(text, true),
            Syntax::Php => self.effect_calls.found_in(text, false),
            Syntax::Ruby => self.mentions_effect(text),
        }
    }

    pub(super) fn mentions_effect(&self, text: &str) -> bool {
        self.tables
            .effect_methods
            .iter()
            .chain(&self.tables.http_verbs)
            .chain(&self.tables.publish_methods)
            .chain(&self.tables.partner_verbs)
            .chain(&self.tables.payment_words)
            .chain(&self.tables.mail_module_words)
            .chain(&self.tables.enqueue_methods)
            .chain(&self.tables.enqueue_receivers)
            .chain(&self.tables.queue_receivers)
            .chain(&self.tables.mailbox_expunge_calls)
            .any(|w| text.contains(w.as_str()))
            || text.contains("fetch(")
            || text.contains("mail(")
            || text.contains("curl_exec")
    }

    pub(super) fn finding(
        &self,
        path: &str,
        text: &str,
        l: &LoopFacts,
        before: Option<&LoopFacts>,
        base: Option<&SideLoops>,
        story: &Story,
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
            Story::DeferredSave => format!(
                "This change makes the loop keep each item's outcome in memory (`{}`) and persist it only once, after the loop",
                short(l.recorded.as_deref().unwrap_or(""))
            ),
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
            "enqueues a job" => "the jobs of the first k items are enqueued, and run, twice",
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
            // In base terms when the loop was there: the change removed
            // its checkpoint, not what it is.
            before.unwrap_or(l).subject(),
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
        .evidence("function", l.function.clone())
        .evidence("iterable", l.iterable.clone());
        if let Some(r) = &l.recorded {
            f = f.evidence("recorded_in_memory", r.clone());
        }
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
        if let (Some(b), Some(base)) = (before, base) {
            let was = if l.defers_save() && !b.defers_save() && b.unsafe_loop() {
                "in base this loop sent the same way and kept no outcome"
            } else {
                "in base this loop saved progress per item"
            };
            f = f.related(
                header_location(Revision::Base, &base.path, &base.text, b),
                was,
            );
        }
        Some(f)
    }

    pub(super) fn request_finding(
        &self,
        path: &str,
        text: &str,
        l: &LoopFacts,
        before: Option<&LoopFacts>,
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
                format!("{} request", before.unwrap_or(l).subject()),
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
