//! The senders real code calls per item besides HTTP clients: mail
//! transports (`smtp.sendmail`, `mail_host.send`, `$mailer->send()`,
//! `Mail::to(…)->send()`) and job enqueues (Sidekiq, ActiveJob, Celery, RQ,
//! Laravel, BullMQ), from the tables `mail_send_methods`,
//! `mail_receivers`, `enqueue_methods`, `enqueue_receivers` and
//! `queue_receivers` of `rules/batch.toml`.

use super::facts::Call;
use super::{words, Batch};

impl Batch {
    /// The kind of effect a mail transport or job enqueue has, if the call
    /// is one.
    pub(super) fn sender(&self, call: &Call) -> Option<&'static str> {
        let method = call.method.as_str();
        let t = &self.tables;
        // The receiver's words only for a method that may send: this runs
        // for every call of every parsed file.
        let maybe = t.mail_send_methods.iter().any(|m| m == method)
            || t.enqueue_methods.iter().any(|m| m == method)
            || matches!(method, "add" | "dispatch")
            || t.enqueue_receivers
                .iter()
                .any(|r| call.receiver.ends_with(r.as_str()));
        if !maybe {
            return None;
        }
        let receiver = words(&call.receiver);
        if t.mail_send_methods.iter().any(|m| m == method)
            && receiver.iter().any(|w| t.mail_receivers.contains(w))
        {
            return Some("sends mail");
        }
        if self.enqueues(call, &receiver) {
            return Some("enqueues a job");
        }
        None
    }

    fn enqueues(&self, call: &Call, receiver: &[String]) -> bool {
        let t = &self.tables;
        let method = call.method.as_str();
        // Sidekiq's delayed extensions: `UserMailer.delay.welcome(id)`.
        let last_receiver = call.receiver.rsplit(['.', ' ']).next().unwrap_or("");
        if t.enqueue_receivers.iter().any(|r| r == last_receiver) {
            return true;
        }
        if t.enqueue_methods.iter().any(|m| m == method) {
            // `_.delay(fn, 100)`, `Promise.delay(…)`, `this.delay(…)` wait;
            // `send_welcome.delay(user.id)` is Celery.
            return method != "delay"
                || (!call.receiver.is_empty()
                    && !receiver.iter().any(|w| t.not_enqueue_receivers.contains(w))
                    && call.receiver != "_");
        }
        // BullMQ and Bee: `emailQueue.add('welcome', {id})`.
        // The last word names the queue: `emailQueue.add`, not Django's
        // many-to-many `ticket.queues.add(q)`.
        if method == "add"
            && receiver
                .last()
                .is_some_and(|w| t.queue_receivers.contains(w))
        {
            return true;
        }
        // Laravel: `SendInvoice::dispatch($order)`, `Bus::dispatch(…)`,
        // `dispatch(new SendInvoice($order))`; not Redux's
        // `store.dispatch(action)`.
        // Laravel events (`TokenDeleteEvent::dispatch`) are not jobs.
        let event = call.receiver.ends_with("Event") || call.args.contains("Event(");
        method == "dispatch"
            && !event
            && (call.shown.contains("::")
                || (call.receiver.is_empty()
                    && call.args.trim_start_matches('(').starts_with("new ")))
    }
}
