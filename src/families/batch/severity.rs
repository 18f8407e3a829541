//! How much a rerun of an unsafe loop can repeat, which sets the
//! finding's severity. High is kept for incident 4's shape: a send per
//! record of a query or collection, run on a server, with the outcome
//! saved only after the loop or never. On the corpus the rest was wrong
//! at high nearly every time: browser code, hand-run scripts over a few
//! fixed items, lists of channels, jobs a queue keeps, sends whose error
//! the loop swallows. Each lowering is stated in the message.

use super::facts::LoopFacts;
use super::messages::{short, Story};
use super::syntax::Syntax;
use super::{words, Batch};
use crate::findings::finding::{Finding, Severity};

impl Batch {
    /// The finding at the severity the loop earns, with the reason
    /// appended to its message when it is below the rule's.
    pub(super) fn tiered(
        &self,
        f: Finding,
        path: &str,
        text: &str,
        syntax: Syntax,
        l: &LoopFacts,
        story: &Story,
    ) -> Finding {
        let Some((severity, why)) = self
            .low_reason(path, text, syntax, l, story)
            .map(|w| (Severity::Low, w))
            .or_else(|| self.medium_reason(l).map(|w| (Severity::Medium, w)))
        else {
            return f;
        };
        let mut f = f.severity(severity);
        f.message = format!("{} Reported at {}: {why}.", f.message, severity.as_str());
        f
    }

    /// Nothing a rerun repeats is a batch of records.
    fn low_reason(
        &self,
        path: &str,
        text: &str,
        syntax: Syntax,
        l: &LoopFacts,
        story: &Story,
    ) -> Option<String> {
        let t = &self.tables;
        let dirs: Vec<&str> = path
            .rsplit_once('/')
            .map_or(vec![], |(d, _)| d.split('/').collect());
        let in_dir = |table: &[String]| dirs.iter().any(|d| table.iter().any(|w| w == d));
        let source = short(l.source.trim());
        // Served to a browser: the user watches the loop and clicks again.
        let browser = "the loop runs in the browser, an action its user watches, not a server batch a rerun repeats";
        if syntax == Syntax::Js && in_dir(&t.client_path_words) {
            return Some(browser.into());
        }
        if literal_list(&l.source) && !self.is_query(&l.source) {
            return Some(format!("it iterates `{source}`, a list written in the code: a few fixed items, not records"));
        }
        if words(&l.source)
            .iter()
            .any(|w| t.bounded_iterable_words.contains(w))
        {
            return Some(format!(
                "it iterates `{source}`, a few channels or drivers of one message, not records"
            ));
        }
        if in_dir(&t.script_path_words) && !self.is_query(&l.source) {
            return Some(format!(
                "a script run by hand over `{source}`, not over a query of records"
            ));
        }
        if syntax == Syntax::Js && t.browser_globals.iter().any(|g| text.contains(g.as_str())) {
            return Some(browser.into());
        }
        // A new loop of jobs that send no mail: on the corpus event, usage
        // and search-index jobs that run idempotently.
        (self.job_only(l) && !mail_job(l) && matches!(story, Story::New)).then(|| {
            "it only enqueues jobs that send no mail; a duplicate would happen in the job, which the queue runs".into()
        })
    }

    /// A rerun may repeat items, but the loop is unlikely to stop half-way.
    fn medium_reason(&self, l: &LoopFacts) -> Option<String> {
        // Enqueueing is quick: what repeats the jobs is a relaunch of the
        // whole batch, and that is incident 4 when the function saves the
        // batch's state as one record around the loop (`campaign.save`).
        if self.job_only(l) && l.saved_after.is_none() && !l.saved_before {
            return Some("it only enqueues jobs, which is quick and leaves each job to the queue, and the function saves no state of the whole batch (a campaign marked sent) around the loop".into());
        }
        l.swallowed.then(|| {
            "each send is in its own `try`/`rescue` that swallows the error, so a failing send does not stop the loop".into()
        })
    }

    fn job_only(&self, l: &LoopFacts) -> bool {
        matches!(&l.effect, Some((_, "enqueues a job")))
    }
}

/// A job that delivers mail (`Mailer.delay.phish(victim)`,
/// `$publisherForMails->enqueue`): incident 4's per-recipient mailing.
fn mail_job(l: &LoopFacts) -> bool {
    l.effect
        .as_ref()
        .is_some_and(|(c, _)| c.shown.to_ascii_lowercase().contains("mail"))
}

/// An iterable written out in the code: `['renovate']`, `%w[a b]`,
/// `array('a', 'b')`, `('a', 'b')`; not a comprehension (`[u for u in
/// users]`) or a spread (`[...users]`).
fn literal_list(source: &str) -> bool {
    let s = source.trim();
    ["[", "%w[", "%i[", "%w(", "array(", "('", "(\""]
        .iter()
        .any(|p| s.starts_with(p))
        && !s.starts_with("[...")
        && !s.contains(" for ")
}
