//! `mail/recipient-removed`: a notification recipient setting emptied, the
//! recipient of a mail call in code emptied, or a form handler whose only
//! mail call is gone (named with the forms that still post to it).

use super::backends::{production_by_name, BackendKind};
use super::routes_reduced::list_names;
use super::{basename, recipients, Mail};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::findings::redact;
use crate::pipeline::lang::Lang;
use std::collections::BTreeSet;
use std::ops::Range;

/// Whether Python code may call a mail function whose recipient we read
/// (`recipients::PYTHON_CALLS`): Django's `send_mail(`, `EmailMessage`,
/// `EmailMultiAlternatives`. Not any `…mail(`: saleor's `send_email(`,
/// `validate_email(` had every such module walked for recipients.
pub(super) fn mentions_mail_call(text: &str) -> bool {
    text.contains("send_mail(")
        || text.contains("EmailMessage")
        || text.contains("EmailMultiAlternatives")
}

/// Whether PHP code calls `mail()`, `wp_mail()` or `mb_send_mail()` as a
/// function: `$this->sendMail(`, `->mail(` and `Mail::mail(` are other
/// things, and a file that only has those is not parsed for recipients
/// (appwrite's controllers made every check parse them twice).
pub(super) fn calls_php_mail(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"mail(").any(|at| {
        let mut start = at;
        while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            start -= 1;
        }
        let name = &text[start..at + 4];
        let before = start.checked_sub(1).map(|i| bytes[i]);
        matches!(name, "mail" | "wp_mail" | "mb_send_mail")
            && !matches!(before, Some(b'>' | b':' | b'$'))
    })
}

/// Signs that a file handles a submitted form.
pub(super) const FORM_INPUT: &[&str] = &[
    "$_POST",
    "$_REQUEST",
    "INPUT_POST",
    "request.POST",
    "request.form",
    "cleaned_data",
];

/// Signs that a file still sends mail some other way.
pub(super) const OTHER_SENDERS: &[&str] = &[
    "mail(",
    "Mail::",
    "->send(",
    ".send(",
    "send_mail",
    "sendMail",
    "sendEmail",
    "PHPMailer",
    "mailer",
    "notify(",
    "Notification",
];

/// Head pages with a form whose `action` resolves to `handler`: a path
/// relative to the page, or rooted (matched as a suffix, since the web
/// root may be a subdirectory). The span is the `action` value.
pub(super) fn forms_posting_to(cx: &Context, handler: &str) -> Vec<(String, String, Range<usize>)> {
    let name = basename(handler);
    let name = name.as_str();
    let mut out = Vec::new();
    for v in crate::families::forms::head_form_pages(cx) {
        let Some(text) = v.text() else {
            continue;
        };
        if !text.contains(name) {
            continue;
        }
        let dir = v.path.rsplit_once('/').map_or("", |(d, _)| d);
        for (i, _) in text.match_indices("action=") {
            let rest = &text[i + 7..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some(end) = rest[1..].find(quote) else {
                continue;
            };
            let value = &rest[1..1 + end];
            let target = value.split(['?', '#']).next().unwrap_or("");
            if target.contains("://") || !target.ends_with(name) {
                continue;
            }
            let resolved = if let Some(rooted) = target.strip_prefix('/') {
                handler == rooted || handler.ends_with(&format!("/{rooted}"))
            } else {
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for seg in target.split('/') {
                    match seg {
                        "" | "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                parts.join("/") == handler
            };
            if resolved {
                let start = i + 8;
                out.push((v.path.clone(), text.to_string(), start..start + value.len()));
                break;
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

impl Mail {
    pub(super) fn is_recipient_key(&self, key: &str) -> bool {
        let up = key.to_ascii_uppercase();
        self.tables
            .recipient_key_suffixes
            .iter()
            .any(|k| up.ends_with(k.as_str()))
    }

    /// Recipient settings (`*_MAIL_TO`, `*_RECIPIENTS`, …) of production
    /// configurations that held an address in base and are empty or gone
    /// in head.
    pub(super) fn check_recipients(&self, cx: &Context, out: &mut Vec<Finding>) {
        for file in cx.files {
            let (Some(head), Some(base_v)) = (file.head.as_ref(), file.base.as_ref()) else {
                continue;
            };
            if cx.is_excluded(&head.path) {
                continue;
            }
            let Some(kind) = self.backend_kind(&head.path, file.head_lang) else {
                continue;
            };
            if !matches!(kind, BackendKind::Env | BackendKind::Django)
                || !self.is_production(cx, &head.path, kind)
            {
                continue;
            }
            let (Some((head_text, head_settings)), Some((base_text, base_settings))) = (
                self.settings(cx, file, Revision::Head),
                self.settings(cx, file, Revision::Base),
            ) else {
                continue;
            };
            let mut seen = BTreeSet::new();
            for old in base_settings.iter().rev() {
                if !self.is_recipient_key(&old.key)
                    || !old.value.contains('@')
                    || !seen.insert(old.key.clone())
                {
                    continue;
                }
                let new = head_settings.iter().rev().find(|h| h.key == old.key);
                if new.is_some_and(|n| !n.value.trim().is_empty()) {
                    continue;
                }
                let was = redact::value_for(&old.key, &old.value);
                let base_loc = Location {
                    revision: Revision::Base,
                    path: base_v.path.clone(),
                    span: Span::from_bytes(&base_text, old.range.start, old.range.end),
                };
                let (now, f) = match new {
                    Some(n) => (
                        "empty",
                        Finding::new(
                            "mail/recipient-removed",
                            Location {
                                revision: Revision::Head,
                                path: head.path.clone(),
                                span: Span::from_bytes(&head_text, n.range.start, n.range.end),
                            },
                            old.key.clone(),
                            format!(
                                "`{}` in `{}`, a production configuration, was `{was}` and is now \
                                 empty. Whatever the application mails to that address \
                                 (notifications, contact-form mail, alerts) now goes to nobody, \
                                 and no error says so.",
                                old.key, head.path
                            ),
                        )
                        .related(base_loc, format!("in base it was `{was}`")),
                    ),
                    None => (
                        "removed",
                        Finding::new(
                            "mail/recipient-removed",
                            base_loc,
                            old.key.clone(),
                            format!(
                                "`{}` (`{was}`) was removed from `{}`, a production configuration. \
                                 Whatever the application mailed to that address \
                                 (notifications, contact-form mail, alerts) now goes to nobody, \
                                 or to a fallback nobody reads.",
                                old.key, head.path
                            ),
                        ),
                    ),
                };
                out.push(
                    f.evidence("key", old.key.clone())
                        .evidence("before", was)
                        .evidence("after", now),
                );
            }
        }
    }

    pub(super) fn mail_calls(
        &self,
        cx: &Context,
        file: &ChangedFile,
        rev: Revision,
    ) -> Option<(String, Vec<recipients::MailCall>)> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let text = version.text()?;
        if lang == Lang::Python && !self.reads_change(file) {
            return None;
        }
        let calls_mail = match lang {
            Lang::Php => calls_php_mail(text),
            _ => mentions_mail_call(text),
        };
        if !calls_mail {
            return None;
        }
        let calls = match lang {
            Lang::Php => recipients::php_mail_calls(text),
            Lang::Python => cx.parse_facts("mail.calls", version, lang, |p| {
                recipients::python_mail_calls(p.tree.root_node(), &p.text)
            })?,
            _ => return None,
        };
        Some((text.to_string(), calls))
    }

    /// A mail call in code that sent to a literal address in base and
    /// sends to nobody in head: the contact form of incident 1 that
    /// "works" and reaches no one.
    pub(super) fn check_mail_calls(&self, cx: &Context, out: &mut Vec<Finding>) {
        for file in cx.files {
            let (Some(head), Some(base_v)) = (file.head.as_ref(), file.base.as_ref()) else {
                continue;
            };
            if cx.is_excluded(&head.path)
                || production_by_name(&head.path, &self.tables) == Some(false)
            {
                continue;
            }
            let Some((base_text, base_calls)) = self.mail_calls(cx, file, Revision::Base) else {
                continue;
            };
            // A head without any mail call is still a head: the call may be
            // what was removed.
            let Some((head_text, head_calls)) = self
                .mail_calls(cx, file, Revision::Head)
                .or_else(|| head.text().map(|t| (t.to_string(), Vec::new())))
            else {
                continue;
            };
            out.extend(self.notification_removed(
                cx,
                &base_v.path,
                &base_text,
                &base_calls,
                &head_text,
                &head_calls,
            ));
            for old in &base_calls {
                let recipients::Recipients::Addresses(addresses) = &old.recipients else {
                    continue;
                };
                let Some(new) = head_calls.iter().find(|h| {
                    h.callee == old.callee && h.function == old.function && h.ordinal == old.ordinal
                }) else {
                    continue;
                };
                if new.recipients != recipients::Recipients::Empty {
                    continue;
                }
                let was: Vec<String> = addresses.iter().map(|a| format!("`{a}`")).collect();
                let was = list_names(&was, 5);
                let place = if old.function.is_empty() {
                    format!("`{}`", head.path)
                } else {
                    format!("`{}()` in `{}`", old.function, head.path)
                };
                // Who it sent to in base tells two calls of one function apart.
                let subject = format!("{} to {} in {}", old.callee, addresses.join(","), place);
                out.push(
                    Finding::new(
                        "mail/recipient-removed",
                        Location {
                            revision: Revision::Head,
                            path: head.path.clone(),
                            span: Span::from_bytes(
                                &head_text,
                                new.decided_at.start,
                                new.decided_at.end,
                            ),
                        },
                        subject,
                        format!(
                            "`{}` (line {}) in {place} sent to {was} in base; its recipient \
                             (`{}`) is now empty. The code still runs and reports no error, but \
                             the message reaches nobody: a contact form behind it looks like it \
                             works.",
                            old.callee,
                            Span::from_bytes(&head_text, new.range.start, new.range.start).line,
                            new.written
                        ),
                    )
                    .related(
                        Location {
                            revision: Revision::Base,
                            path: base_v.path.clone(),
                            span: Span::from_bytes(
                                &base_text,
                                old.decided_at.start,
                                old.decided_at.end,
                            ),
                        },
                        format!("in base it sent to {was}"),
                    )
                    .evidence("call", old.callee.clone())
                    .evidence("before", addresses.join(", "))
                    .evidence("after", "empty"),
                );
            }
        }
    }

    /// A form handler's notification mail removed while it still handles the
    /// form: submissions are accepted, thanked for, and reach nobody.
    pub(super) fn notification_removed(
        &self,
        cx: &Context,
        path: &str,
        base_text: &str,
        base_calls: &[recipients::MailCall],
        head_text: &str,
        head_calls: &[recipients::MailCall],
    ) -> Option<Finding> {
        if !head_calls.is_empty()
            || !FORM_INPUT
                .iter()
                .any(|m| base_text.contains(m) && head_text.contains(m))
            || OTHER_SENDERS.iter().any(|m| head_text.contains(m))
        {
            return None;
        }
        let old = base_calls.first()?;
        if sender_added_elsewhere(cx, path, &old.callee) {
            return None;
        }
        let to = match &old.recipients {
            recipients::Recipients::Addresses(a) => {
                let shown: Vec<String> = a.iter().map(|x| format!("`{x}`")).collect();
                list_names(&shown, 5)
            }
            _ => format!("`{}`", old.written),
        };
        // The other end: pages of head whose forms post to this handler.
        let forms = forms_posting_to(cx, path);
        let posted_from = match forms.first() {
            Some((page, text, at)) => {
                let line = Span::from_bytes(text, at.start, at.end).line;
                let more = match forms.len() - 1 {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!(" The form on `{page}` (line {line}){more} still posts to it.")
            }
            None => String::new(),
        };
        let mut f = Finding::new(
            "mail/recipient-removed",
            Location {
                revision: Revision::Base,
                path: path.to_string(),
                span: Span::from_bytes(base_text, old.range.start, old.range.end),
            },
            format!("{} in `{path}`", old.callee),
            format!(
                "`{path}` still handles a submitted form, but the `{}` call that sent each submission to {to} was removed, and nothing else in the file sends mail. Visitors are thanked as before, and their messages reach nobody.{posted_from}",
                old.callee
            ),
        )
        .evidence("call", old.callee.clone())
        .evidence("before", to)
        .evidence("after", "removed");
        for (page, text, at) in forms.iter().take(3) {
            f = f.related(
                Location {
                    revision: Revision::Head,
                    path: page.clone(),
                    span: Span::from_bytes(text, at.start, at.end),
                },
                "this form posts to the handler",
            );
        }
        if let Some((page, _, _)) = forms.first() {
            f = f.evidence("form_page", page.clone());
        }
        Some(f)
    }
}

/// Whether the change adds a call of the same sender to another file: the
/// handler moved (securedrop.org 8406b66 moved its submission view, with
/// its `send_mail`, from `directory/models/pages.py` to
/// `landing_page_checker/views.py`).
fn sender_added_elsewhere(cx: &Context, path: &str, callee: &str) -> bool {
    let name = callee
        .trim_end_matches("()")
        .rsplit(['.', ':', '>'])
        .next()
        .unwrap_or(callee)
        .trim();
    if name.len() < 3 {
        return false;
    }
    let call = format!("{name}(");
    cx.files.iter().any(|f| {
        // A test that mocks the sender sends nothing.
        let Some(head) = f
            .head
            .as_ref()
            .filter(|h| h.path != path && !crate::readers::words::is_test_file(&h.path))
        else {
            return false;
        };
        head.text().is_some_and(|t| {
            crate::families::context::touched_lines(t, &f.line_changes().head)
                .any(|l| l.contains(call.as_str()))
        })
    })
}
