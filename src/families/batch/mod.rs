//! The batch family: incident 4 in INCIDENTS.md. A module sent 3,500
//! orders to carriers and saved its progress only after the whole loop;
//! it was stopped halfway, and the restart shipped everything again.
//!
//! Facts per function: its loops, the calls in each loop body that reach
//! the outside world (side effects) and those that persist per-item state
//! (checkpoints), following calls into functions of the same file one
//! level deep. Only loops the change creates or makes unsafe are reported.

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::{Finding, Revision};
use crate::pipeline::changes::LineChanges;
use crate::pipeline::lang::Lang;
use facts::{code_side, line_of, CodeSide, LoopFacts};
use mailbox::DrainScope;
use messages::{SideLoops, Story};
use rayon::prelude::*;
use serde::Deserialize;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;
use syntax::{functions, Syntax};

mod effect_calls;
mod facts;
mod flow;
mod gate;
mod mailbox;
mod messages;
mod senders;
mod severity;
mod shield;
mod syntax;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "batch",
    rules: FAMILY_RULES,
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
    row_block_methods: Vec<String>,
    mail_send_methods: Vec<String>,
    mail_receivers: Vec<String>,
    enqueue_methods: Vec<String>,
    enqueue_receivers: Vec<String>,
    not_enqueue_receivers: Vec<String>,
    queue_receivers: Vec<String>,
    configured_iterables: Vec<String>,
    address_list_words: Vec<String>,
    iterable_flag_words: Vec<String>,
    handler_decorators: Vec<String>,
    mail_module_words: Vec<String>,
    query_calls: Vec<String>,
    limit_words: Vec<String>,
    test_path_words: Vec<String>,
    translation_path_words: Vec<String>,
    client_path_words: Vec<String>,
    browser_globals: Vec<String>,
    script_path_words: Vec<String>,
    bounded_iterable_words: Vec<String>,
    mailbox_delete_calls: Vec<String>,
    mailbox_flag_calls: Vec<String>,
    mailbox_expunge_calls: Vec<String>,
    exclude_tests: bool,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Batch::new(
        crate::families::context::read_tables("batch", tables)?,
    )?))
}

struct Batch {
    tables: Tables,
    /// The calls that can be a side effect, searched for in one pass over
    /// a Python or JavaScript text (`effect_calls::EffectCalls`).
    effect_calls: effect_calls::EffectCalls,
}

impl Batch {
    /// The family with its built-in tables only (unit tests, fuzzing).
    fn builtin() -> Batch {
        let rules: toml::Table = toml::from_str(FAMILY_RULES).expect("built-in batch rules");
        let tables = toml::Value::Table(rules["tables"].as_table().cloned().unwrap_or_default());
        Batch::new(tables.try_into().expect("built-in batch tables")).expect("built-in batch")
    }

    fn new(tables: Tables) -> Result<Batch, String> {
        let effect_calls = effect_calls::EffectCalls::new(&tables)?;
        Ok(Batch {
            tables,
            effect_calls,
        })
    }
}

/// Lower-case words of an identifier or receiver expression:
/// `this.carrierApi` → `this carrier api`.
pub(super) fn words(s: &str) -> Vec<String> {
    crate::readers::words::words(s)
}

impl Analyzer for Batch {
    fn reads(&self, _path: &str, lang: Lang) -> bool {
        Syntax::of(lang).is_some()
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        // PHP is parsed here with its own grammar, not by the cache. The
        // calls are searched for by `wants_change`, once the change is
        // known to touch a loop: the search reads the whole text.
        matches!(Syntax::of(lang), Some(s) if s != Syntax::Php && self.may_hold_loop(s, text))
            && !self.skips_path(path)
    }

    fn wants_change(&self, file: &ChangedFile) -> bool {
        // Only the head is parsed here (bases are read on demand).
        self.reads_change(file)
            && (file.head.is_none() || self.side_calls_effect(file, Revision::Head))
    }

    /// A base is compared only with a head that turned risky, and looked
    /// through for a loop moved from it only when it spells out a risky
    /// head's send (`moved_needles` in check): saleor's 800 commits parsed
    /// and walked about a hundred bases for six risky heads.
    fn reads_base_on_demand(&self) -> bool {
        true
    }

    fn extract(&self, cx: &Context, file: &ChangedFile) {
        // A base is read here only while another family's parse of it is
        // held; the others are read by check, when it asks.
        self.loops_of(cx, file, Revision::Head);
        self.loops_of(cx, file, Revision::Base);
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        // Heads first: only a loop that sends unsafely or works in a
        // request can be reported, and most changes have none, so their
        // bases are never compared.
        let heads = self.side_loops(cx, Revision::Head, |_| true);
        let risky = |h: &Arc<SideLoops>| h.risky();
        if !heads.iter().flatten().any(risky) {
            return Vec::new();
        }
        // A risky loop is judged against its file's base, and, when that
        // base has no such loop, against the loops of every other base of
        // the change (a loop moved between files): those are read then.
        let wanted = |i: usize| heads[i].as_ref().is_some_and(risky);
        let bases = self.side_loops(cx, Revision::Base, wanted);
        let before = OnceCell::new();
        let before = || {
            before.get_or_init(|| {
                // Only a base whose text names a risky head's send can
                // hold a loop it is compared with (by what it sends).
                let needles = moved_needles(heads.iter().flatten().filter(|h| risky(h)));
                let could_hold = |i: usize| {
                    let text = cx.files[i].base.as_ref().and_then(|b| b.text());
                    match &needles {
                        None => true,
                        Some(callees) => text.is_some_and(|t| may_call_one_of(t, callees)),
                    }
                };
                let others = self.side_loops(cx, Revision::Base, |i| !wanted(i) && could_hold(i));
                BaseLoops::of(bases.iter().chain(&others).flatten().map(|b| &**b))
            })
        };
        let now = LoopCounts::of(heads.iter().flatten().map(|h| &**h));
        cx.files
            .iter()
            .zip(heads.iter().zip(&bases))
            .filter_map(|(file, (head, base))| {
                Some((file, head.as_ref().filter(|h| risky(h))?, base))
            })
            .flat_map(|(file, head, base)| {
                let ctx = HeadFile {
                    head,
                    base: base.as_deref(),
                    changes: file.line_changes(),
                    now: &now,
                };
                self.check_file(&ctx, &before)
            })
            .collect()
    }
}

/// What a base must hold to have a loop `BaseLoops` is asked about for
/// these heads: every key it is asked by (`moved_key`, `identity`) names
/// the send's callee as written without whitespace
/// (`fetch_product_media_image_task.delay`, `api.post`), and a loop sends
/// by a call its own file spells out. `None` (read every base) when a head
/// drains a mailbox, whose key names no send.
fn moved_needles<'a>(heads: impl Iterator<Item = &'a Arc<SideLoops>>) -> Option<Vec<Callee>> {
    let mut callees = Vec::new();
    for l in heads.flat_map(|h| &h.loops) {
        if l.drain.is_some() {
            return None;
        }
        if let Some((call, _)) = &l.effect {
            callees.push(call.callee.clone());
        }
    }
    callees.sort();
    callees.dedup();
    Some(callees.into_iter().map(Callee::new).collect())
}

/// A send's callee as `Call::callee` has it (without whitespace), kept as
/// its longest name, which stands in a text that calls it as written, and
/// what must come before and after that name, separators aside.
struct Callee {
    longest_name: String,
    before: String,
    after: String,
}

impl Callee {
    fn new(squeezed: String) -> Callee {
        let longest_name = squeezed
            .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .max_by_key(|w| w.len())
            .unwrap_or("")
            .to_string();
        let loose: String = squeezed.chars().filter(|&c| !separator(c)).collect();
        let at = loose.find(longest_name.as_str()).unwrap_or(0);
        Callee {
            before: loose[..at].to_string(),
            after: loose[at + longest_name.len()..].to_string(),
            longest_name,
        }
    }

    /// Whether `text` can spell the callee out: at an occurrence of its
    /// longest name, the rest reads the same once whitespace and the
    /// joins (`.`, `->`, `::`) are left out on both sides, which no copy of
    /// the text needs (every base of NodeBB's 600 commits was copied
    /// three times for `api.post`).
    fn called_in(&self, text: &str) -> bool {
        if self.longest_name.is_empty() {
            return false;
        }
        memchr::memmem::find_iter(text.as_bytes(), self.longest_name.as_bytes()).any(|p| {
            let end = p + self.longest_name.len();
            reads_as(text[..p].chars().rev(), self.before.chars().rev())
                && reads_as(text[end..].chars(), self.after.chars())
        })
    }
}

/// Whether `text`, separators left out, begins with `want`.
fn reads_as(text: impl Iterator<Item = char>, mut want: impl Iterator<Item = char>) -> bool {
    let mut text = text.filter(|&c| !separator(c));
    want.all(|w| text.next() == Some(w))
}

/// What a callee's text drops between its names: whitespace, and the
/// joins of PHP and Ruby (`->`, `::`) read as Python's `.`.
fn separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '>' | ':')
}

/// Whether `text` can hold a call of one of `callees`.
fn may_call_one_of(text: &str, callees: &[Callee]) -> bool {
    callees.iter().any(|c| c.called_in(text))
}

impl Batch {
    /// The loops of one side of the changed files `which` picks (by index)
    /// where the family can learn something from it; the parse trees are
    /// dropped file by file.
    fn side_loops(
        &self,
        cx: &Context,
        rev: Revision,
        which: impl Fn(usize) -> bool + Sync,
    ) -> Vec<Option<Arc<SideLoops>>> {
        cx.files
            .par_iter()
            .enumerate()
            // One file per task: the cost is in a few large controllers,
            // often side by side in the list, that would share a worker.
            .with_max_len(1)
            .map(|(i, file)| which(i).then(|| self.loops_of(cx, file, rev)).flatten())
            .collect()
    }

    /// The loops of one side of a changed file where the family can learn
    /// something from it, read once per run (by `extract`, while the
    /// parse is held).
    fn loops_of(&self, cx: &Context, file: &ChangedFile, rev: Revision) -> Option<Arc<SideLoops>> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let tag = match rev {
            Revision::Base => "batch.reads_base",
            Revision::Head => "batch.reads_head",
        };
        let read = file.remember(tag, || {
            Syntax::of(lang).is_some()
                && self.reads_change(file)
                // Base is read for what it holds; an excluded head
                // is not reported on.
                && (rev == Revision::Base || !cx.is_excluded(&version.path))
                && !self.skips_path(&version.path)
                && version.text().is_some_and(|t| {
                    Syntax::of(lang).is_some_and(|s| self.may_hold_loop(s, t))
                })
                && self.side_calls_effect(file, rev)
        });
        if !read {
            return None;
        }
        let loops = cx.facts("batch.loops", version, lang, || {
            let (path, side) = code_side(cx, file, rev)?;
            Some(Arc::new(SideLoops {
                loops: self.facts_of(&path, &side),
                path,
                text: side.text,
                syntax: side.syntax,
            }))
        });
        (*loops).clone()
    }

    fn check_file<'b>(&self, ctx: &HeadFile, before: &dyn Fn() -> &'b BaseLoops) -> Vec<Finding> {
        let mut out = Vec::new();
        self.unsaved_progress(ctx, &ctx.head.loops, before, &mut out);
        let moved =
            |key: &str| LoopCounts::all_were_in(|c| &c.drains, ctx.now, &before().counts, key);
        let scope = DrainScope {
            head: ctx.head,
            base: ctx.base,
            touched: &|range| ctx.changes.touches_head(ctx.lines(range)),
            moved: &moved,
        };
        self.deferred_expunges(&scope, &mut out);
        self.work_in_request(ctx, &ctx.head.loops, before, &mut out);
        out
    }
}

/// How many unsafe loops and mailbox drains one side of the change holds
/// per identity (what they send and iterate). A loop with no counterpart
/// in its own file is a move when the other side held as many as this
/// one; a copy beside the original (a new worker while the old controller
/// keeps its loop) is one more, and new.
#[derive(Default)]
struct LoopCounts {
    unsafe_loops: BTreeMap<String, usize>,
    drains: BTreeMap<String, usize>,
}

impl LoopCounts {
    fn of<'a>(sides: impl Iterator<Item = &'a SideLoops>) -> LoopCounts {
        let mut out = LoopCounts::default();
        for l in sides.flat_map(|b| &b.loops) {
            if l.unsafe_loop() {
                *out.unsafe_loops.entry(l.moved_key()).or_default() += 1;
            }
            if let Some(key) = mailbox::drain_key(l) {
                *out.drains.entry(key).or_default() += 1;
            }
        }
        out
    }

    /// Whether `before` held at least as many loops of `key` as `self`.
    fn all_were_in(
        map: fn(&LoopCounts) -> &BTreeMap<String, usize>,
        now: &LoopCounts,
        before: &LoopCounts,
        key: &str,
    ) -> bool {
        let count = |c: &LoopCounts| map(c).get(key).copied().unwrap_or(0);
        count(before) >= count(now)
    }
}

/// What every changed file's base held: loops moved to another file (or
/// into a renamed function) as they were are not this change's doing.
struct BaseLoops {
    counts: LoopCounts,
    in_request_before: BTreeSet<String>,
    effects_before: BTreeSet<String>,
}

impl BaseLoops {
    fn of<'a>(bases: impl Iterator<Item = &'a SideLoops>) -> BaseLoops {
        let bases: Vec<&SideLoops> = bases.collect();
        let mut out = BaseLoops {
            counts: LoopCounts::of(bases.iter().copied()),
            in_request_before: BTreeSet::new(),
            effects_before: BTreeSet::new(),
        };
        for l in bases.iter().flat_map(|b| &b.loops) {
            let id = l.identity().1;
            if l.in_request() {
                out.in_request_before.insert(id.clone());
            }
            if l.effect.is_some() {
                out.effects_before.insert(id);
            }
        }
        out
    }
}

/// One changed file's head, with its base and the lines the change touched.
struct HeadFile<'a> {
    head: &'a SideLoops,
    base: Option<&'a SideLoops>,
    changes: &'a LineChanges,
    /// The loops of every head of the change, counted.
    now: &'a LoopCounts,
}

impl HeadFile<'_> {
    fn base_loops(&self) -> &[LoopFacts] {
        self.base.map_or(&[][..], |b| &b.loops[..])
    }

    fn lines(&self, range: &Range<usize>) -> Range<usize> {
        line_of(&self.head.text, range.start)..line_of(&self.head.text, range.end) + 1
    }
}

impl Batch {
    /// Whether the change can alter a loop (the loops of a file whose
    /// change cannot touch them are the same on both sides): a file one
    /// side holds is read whole, its loops are new or gone; formatted code
    /// of every language tells a loop by its indentation.
    fn reads_change(&self, file: &ChangedFile) -> bool {
        file.base.is_none()
            || file.head.is_none()
            || Syntax::of(file.head_lang).is_none_or(|s| {
                file.remember("batch.touches_loops", || self.touches_loops(file, s))
            })
    }

    /// Whether a side's text can call a side effect (`EffectCalls`),
    /// worked out once: the parse stage asks it of a head, `loops_of` of
    /// both sides.
    fn side_calls_effect(&self, file: &ChangedFile, rev: Revision) -> bool {
        let (version, lang, tag) = match rev {
            Revision::Base => (&file.base, file.base_lang, "batch.base_calls_effect"),
            Revision::Head => (&file.head, file.head_lang, "batch.head_calls_effect"),
        };
        file.remember(tag, || {
            let text = version.as_ref().and_then(|v| v.text());
            let syntax = Syntax::of(lang);
            text.zip(syntax)
                .is_some_and(|(t, s)| self.may_call_effect(s, t))
        })
    }

    fn facts_of(&self, path: &str, side: &CodeSide) -> Vec<LoopFacts> {
        let funcs = functions(
            side.syntax,
            side.tree.root_node(),
            &side.text,
            path,
            &self.tables,
        );
        let mail_modules = self.mail_modules(side.syntax, side.tree.root_node(), &side.text);
        self.loop_facts(&funcs, &side.text, &mail_modules)
    }

    /// `batch/unsaved-progress` for the head loops this change made unsafe.
    fn unsaved_progress<'b>(
        &self,
        file: &HeadFile,
        head_loops: &[LoopFacts],
        before: &dyn Fn() -> &'b BaseLoops,
        out: &mut Vec<Finding>,
    ) {
        let base_loops = file.base_loops();
        let same_call = |a: &LoopFacts, b: &LoopFacts| match (&a.effect, &b.effect) {
            (Some((x, _)), Some((y, _))) => x.range == y.range,
            _ => false,
        };
        let within = |inner: &LoopFacts, outer: &LoopFacts| {
            outer.range.start < inner.range.start && inner.range.end <= outer.range.end
        };
        for l in head_loops.iter().filter(|l| l.unsafe_loop()) {
            // The innermost loop around a send is the one reported.
            if head_loops
                .iter()
                .any(|i| within(i, l) && i.unsafe_loop() && same_call(i, l))
            {
                continue;
            }
            // A loop nested into one that already sent this way without a
            // record (more recipients per row) re-sends no more than before.
            if head_loops.iter().any(|o| {
                within(l, o)
                    && same_call(o, l)
                    && base_loops.iter().any(|b| {
                        b.unsafe_loop() && b.identity() == o.identity() && b.iterable == o.iterable
                    })
            }) {
                continue;
            }
            // The same loop in base: same function and side effect, or
            // same function and header when only the call was edited.
            // A loop is known by what it iterates and sends: an outer loop
            // of the same function that sends the same way is another loop.
            let sends = |b: &&LoopFacts| b.effect.is_some() && b.identity() == l.identity();
            let unique = base_loops.iter().filter(sends).count() == 1
                && head_loops
                    .iter()
                    .filter(|h| h.effect.is_some() && h.identity() == l.identity())
                    .count()
                    == 1;
            let same = base_loops
                .iter()
                .filter(sends)
                .find(|b| b.iterable == l.iterable)
                .or_else(|| {
                    base_loops.iter().find(|b| {
                        b.function == l.function && b.header == l.header && b.effect.is_some()
                    })
                })
                .or_else(|| base_loops.iter().filter(sends).find(|_| unique));
            let story = match same {
                // Incident 4 re-created in a loop that already sent:
                // each outcome now kept in memory and saved once, after.
                Some(b) if b.unsafe_loop() && l.defers_save() && !b.defers_save() => {
                    Story::DeferredSave
                }
                // It was already like this: not this change's doing.
                Some(b) if b.unsafe_loop() => continue,
                Some(_) => Story::CheckpointRemoved,
                None if LoopCounts::all_were_in(
                    |c| &c.unsafe_loops,
                    file.now,
                    &before().counts,
                    &l.moved_key(),
                ) =>
                {
                    continue
                }
                None if !file.changes.touches_head(file.lines(&l.range)) => continue,
                None => Story::New,
            };
            let found = self.finding(&file.head.path, &file.head.text, l, same, file.base, &story);
            out.extend(found.map(|f| {
                self.tiered(
                    f,
                    &file.head.path,
                    &file.head.text,
                    file.head.syntax,
                    l,
                    &story,
                )
            }));
        }
    }

    /// `batch/unbounded-work-in-request` for the head loops this change
    /// put into a request handler.
    fn work_in_request<'b>(
        &self,
        file: &HeadFile,
        head_loops: &[LoopFacts],
        before: &dyn Fn() -> &'b BaseLoops,
        out: &mut Vec<Finding>,
    ) {
        let base_loops = file.base_loops();
        for l in head_loops.iter().filter(|l| l.in_request()) {
            // The loop, or the query its variable was given.
            let query_touched = l
                .query_source
                .as_ref()
                .is_some_and(|r| file.changes.touches_head(file.lines(r)));
            if !file.changes.touches_head(file.lines(&l.range)) && !query_touched {
                continue;
            }
            // Quiet when base already did this work in a request,
            // wherever the loop stood (the other bases read last).
            if base_loops
                .iter()
                .any(|b| b.identity() == l.identity() && b.in_request())
                || before().in_request_before.contains(&l.identity().1)
            {
                continue;
            }
            let same = base_loops.iter().find(|b| b.identity() == l.identity());
            let change = if same.is_some_and(|b| b.handler.is_some()) {
                "This change removed the query's limit"
            } else if before().effects_before.contains(&l.identity().1) {
                "This change moved that work into the request"
            } else {
                "This change adds that work to the request"
            };
            out.extend(self.request_finding(&file.head.path, &file.head.text, l, same, change));
        }
    }
}

#[cfg(test)]
mod tests;

/// The loop facts of one code file as this family reads them (the
/// built-in tables, the file's grammar within the parse budget, the fact
/// walk and what the rules ask of each loop), for the `batch_loops` fuzz
/// target in `fuzz/`. Returns how many loops it found.
#[doc(hidden)]
pub fn fuzz_loop_facts(lang: Lang, path: &str, text: &str) -> usize {
    static FAMILY: std::sync::OnceLock<Batch> = std::sync::OnceLock::new();
    let batch = FAMILY.get_or_init(Batch::builtin);
    let Some(syntax) = Syntax::of(lang) else {
        return 0;
    };
    // As a check parses: PHP with its code grammar here, the others
    // through the pipeline's parse (depth and bundle checks included).
    let tree = match syntax {
        Syntax::Php => {
            let language: tree_sitter::Language = tree_sitter_php::LANGUAGE_PHP.into();
            crate::pipeline::parse::parse_bounded(&language, text).ok()
        }
        _ => crate::pipeline::parse::parse_or_skip(text.into(), lang)
            .ok()
            .flatten()
            .map(|p| p.tree),
    };
    let Some(tree) = tree else {
        return 0;
    };
    let side = CodeSide {
        text: text.into(),
        tree,
        syntax,
    };
    let loops = batch.facts_of(path, &side);
    for l in &loops {
        let _ = (
            l.unsafe_loop(),
            l.defers_save(),
            l.in_request(),
            l.subject(),
        );
        let _ = (l.moved_key(), l.identity());
    }
    loops.len()
}

const FAMILY_RULES: &str = include_str!("../../../rules/batch.toml");
