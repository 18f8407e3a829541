//! Where what a loop sends comes from: whether the item (or something the
//! body computed from it) is in the payload, whether the iterable is a
//! query or a configured list, and where the body keeps each item's
//! outcome. These decide fan-out and progress deferred to the end by data
//! flow, not by the text of the sending call.

use super::facts::{Call, Function, Loop};
use super::syntax::{after_first_argument, mentions_any};
use super::{words, Batch};
use std::ops::Range;

/// The plain names a loop body assigns (`payload = {…}`, `$message = …`,
/// `const body = …`): values computed per item. Field assignments
/// (`order.status = …`) are records, not names.
fn names_assigned_in(f: &Function, body: &Range<usize>) -> Vec<String> {
    let mut names: Vec<String> = f
        .assignments
        .iter()
        .filter(|(_, _, at)| body.start <= at.start && at.end <= body.end)
        .map(|(name, _, _)| name.trim().to_string())
        .filter(|n| {
            !n.is_empty()
                && n.trim_start_matches('$')
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_')
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether a loop variable is used as a record in a text: a field or key
/// of it (`u.email`, `$u['email']`, `$u->email`, `user[:email]`), not a
/// method called on it (`url.strip()`).
pub(super) fn item_field(text: &str, vars: &[String]) -> bool {
    vars.iter().any(|v| {
        text.match_indices(v.as_str()).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                return false;
            }
            let rest = &text[i + v.len()..];
            if rest.starts_with('[') {
                return true;
            }
            let Some(after) = rest
                .strip_prefix("?.")
                .or_else(|| rest.strip_prefix("->"))
                .or_else(|| rest.strip_prefix('.'))
            else {
                return false;
            };
            let name_len = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            name_len > 0 && !after[name_len..].trim_start().starts_with('(')
        })
    })
}

impl Batch {
    /// What a loop iterates: its own expression, or what its variable was
    /// last assigned before the loop, with where that assignment is.
    pub(super) fn iterated<'f>(
        &self,
        f: &'f Function,
        l: &'f Loop,
    ) -> (&'f str, Option<Range<usize>>) {
        let own = l.iterable.trim();
        let plain = !own.is_empty()
            && own
                .trim_start_matches('$')
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
        let source = plain
            .then(|| {
                f.assignments
                    .iter()
                    .rev()
                    .find(|(name, _, at)| name == own && at.start < l.range.start)
            })
            .flatten();
        match source {
            Some((_, value, at)) => (value.as_str(), Some(at.clone())),
            None => (own, None),
        }
    }

    /// Whether an expression fetches rows: a query marker of `query_calls`.
    pub(super) fn is_query(&self, expr: &str) -> bool {
        self.tables.query_calls.iter().any(|m| {
            expr.match_indices(m.as_str()).any(|(i, _)| {
                // `.all` must end there: `Order.all.each`, not `.allowed`
                // or `Promise.all(…)`.
                !m.ends_with(|c: char| c.is_alphanumeric())
                    || !expr[i + m.len()..]
                        .starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '(')
            })
        })
    }

    /// A list the deployment configures (`settings.ADMINS`,
    /// `os.environ[…].split(',')`, `ENV.fetch(…)`): a handful of fixed
    /// destinations, not a table of records.
    fn configured_list(&self, expr: &str) -> bool {
        self.tables
            .configured_iterables
            .iter()
            .any(|m| expr.contains(m.as_str()))
    }

    /// A loop that sends one unchanged payload to many destinations
    /// (`for url in webhook_urls: post(url, json=event)`), or retries one
    /// call: there is no per-item progress to lose. Decided by data flow:
    /// nothing the call carries is computed in the body, and the item is
    /// only a destination: of an HTTP write, or of mail to a list the
    /// deployment configures. Mail and jobs per record of a query are
    /// batches whatever the call's text.
    pub(super) fn fan_out(&self, f: &Function, l: &Loop, carrier: &Call, kind: &str) -> bool {
        if l.vars.is_empty() {
            return false;
        }
        let args = carrier.args.as_str();
        let (iterable, _) = self.iterated(f, l);
        // Mail to each plain address of a list that names addresses
        // (`for rcpt in bcc_rcpts`), even with the message rebuilt per
        // address for its `To:` header: one notice, not rows of a query.
        if kind == "sends mail" && self.address_list(l, iterable) && !item_field(args, &l.vars) {
            return true;
        }
        if mentions_any(args, &names_assigned_in(f, &l.body)) {
            return false;
        }
        if self.configured_list(iterable) && !item_field(args, &l.vars) {
            return true;
        }
        let carries_item = mentions_any(args, &l.vars);
        if !carries_item {
            return !self.is_query(iterable);
        }
        match kind {
            // Records of a table: each its own mail or job.
            "sends mail" | "enqueues a job" if item_field(args, &l.vars) => return false,
            "enqueues a job" => return false,
            // One message to each plain address of a list (`foreach
            // ($toArr as $to) mail($to, $subject, $body)`), not to rows.
            "sends mail" => return self.address_list(l, iterable),
            _ => {}
        }
        // The item as destination only: `post(url, json=event)`;
        // `requests.delete(url)` has no payload: the URL is the item.
        let rest = after_first_argument(args);
        let lower = rest.to_ascii_lowercase();
        let payload = ["json", "data", "body", "payload", "message", "content"]
            .iter()
            .any(|w| lower.contains(w));
        payload && !mentions_any(rest, &l.vars)
    }

    /// A checkpoint call that persists: not a merge into a dict or list the
    /// function built itself (`event_data = rule.action_data or {}` then
    /// `event_data.update(event['data'])` is a dict, not a row).
    pub(super) fn persists(&self, f: &Function, c: &Call) -> bool {
        self.checkpoint(c) && !in_memory_value(f, c)
    }

    /// A list that names the addresses of one message (`$toArr`,
    /// `bcc_rcpts`), not a query of rows.
    fn address_list(&self, l: &Loop, iterable: &str) -> bool {
        !self.is_query(iterable)
            && words(&l.iterable)
                .iter()
                .any(|w| self.tables.address_list_words.contains(w))
    }

    /// A loop over rows a persisted flag already filters
    /// (`Invite.where(sent: false)`, `filter(notified_at__isnull=True)`,
    /// `.unsent`): a rerun skips what was done, once each item's job
    /// records it.
    pub(super) fn filtered_by_flag(&self, f: &Function, l: &Loop) -> bool {
        let (iterable, _) = self.iterated(f, l);
        let w = words(iterable);
        w.iter()
            .any(|x| self.tables.iterable_flag_words.iter().any(|g| g == x))
    }
}

/// Whether a call's receiver is a plain name the function last assigned a
/// literal dict, list or set (or `x or {}`, `x || {}`, `x ?? []`).
fn in_memory_value(f: &Function, c: &Call) -> bool {
    let name = c.receiver.trim();
    let plain = !name.is_empty()
        && name
            .trim_start_matches('$')
            .chars()
            .all(|ch| ch.is_alphanumeric() || ch == '_');
    if !plain {
        return false;
    }
    let Some((_, value, _)) = f
        .assignments
        .iter()
        .rev()
        .find(|(n, _, at)| n.trim() == name && at.start < c.range.start)
    else {
        return false;
    };
    let v = value.trim();
    const LITERAL_START: &[&str] = &[
        "{", "[", "dict(", "set(", "list(", "array(", "new Map", "new Set", "Hash.new", "Set.new",
    ];
    const EMPTY_DEFAULT: &[&str] = &[" or {}", "|| {}", "?? {}", " or []", "|| []", "?? []"];
    LITERAL_START.iter().any(|p| v.starts_with(p)) || EMPTY_DEFAULT.iter().any(|p| v.ends_with(p))
}

/// Where a loop body keeps an item's outcome only in memory: an
/// assignment into the item (`order.shipped = True`, `$o['sent'] = 1`) or
/// a call that appends to a list (`sent.append(order)`, `done.push(id)`).
pub(super) fn recorded_in_memory(f: &Function, l: &Loop, inside: &[&Call]) -> Option<String> {
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let assigned = f
        .assignments
        .iter()
        .filter(|(_, _, at)| l.body.start <= at.start && at.end <= l.body.end)
        .find(|(name, _, _)| item_field(name, &l.vars))
        .map(|(name, value, _)| one_line(&format!("{name} = {value}")));
    assigned.or_else(|| {
        inside
            .iter()
            .find(|c| {
                matches!(c.method.as_str(), "append" | "push" | "extend" | "add")
                    && !c.receiver.is_empty()
                    && !mentions_any(&c.receiver, &l.vars)
                    && mentions_any(&c.args, &l.vars)
            })
            .map(|c| one_line(&format!("{}{}", c.shown, c.args)))
    })
}

#[cfg(test)]
mod tests {
    use super::item_field;

    #[test]
    fn fields_of_an_item_are_records_and_method_calls_are_not() {
        let v = vec!["u".to_string()];
        assert!(item_field("($u['email'], $s)", &v));
        assert!(item_field("(u.email, s)", &v));
        assert!(item_field("($u->email)", &v));
        assert!(item_field("(u[:email])", &v));
        assert!(!item_field("(u.strip(), data)", &v));
        assert!(!item_field("(url, data)", &v));
        assert!(!item_field("(mu.email)", &v));
    }
}
