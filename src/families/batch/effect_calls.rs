//! The byte pre-filter of Python, JavaScript and PHP code: whether a text can
//! hold a call `effect` (facts.rs) or `sender` (senders.rs) takes for a
//! side effect, before the text is parsed.

use super::Tables;
use aho_corasick::AhoCorasick;
use std::collections::BTreeMap;

/// The call shapes of [`super::Batch::may_call_effect`], searched for in one
/// ASCII-case-insensitive pass (`http_verbs`, `payment_methods` and
/// `partner_verbs` are matched in lower case by `effect`).
///
/// Most methods send only on a receiver with a word of a table: `push` on
/// a `carrier`, `post` on an `api`, `add` on a `queue`. Such a method
/// counts only when one of those words stands as a word (as `words` splits
/// it) of its receiver, where the bytes show the receiver as names
/// (`this.api`, `$this->client`), else anywhere in the text, since a
/// receiver is text of the file: NodeBB's `list.push(…)` and `set.add(…)`
/// made batch parse and walk most of its scripts for a `push` or an `add`
/// no rule could take for a send, and healthchecks' `check.delete()` in a
/// module that imports `django.http`.
pub(super) struct EffectCalls {
    patterns: AhoCorasick,
    shapes: Vec<Shape>,
    /// Per pattern: the receiver tables (bits of `receivers`) one of whose
    /// words makes the call a possible effect, or `ALWAYS`.
    needs: Vec<u8>,
    /// The receiver words, each pattern tagged with its table's bit.
    receivers: AhoCorasick,
    receiver_bits: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// `post(`: must not continue an identifier (`reorder(` is no
    /// `order(`).
    Method,
    /// `emails.`: a module imported under a mail name is called by that
    /// name alone, whose last word it is (`emails.welcome(…)`,
    /// `user_mailer.send(…)`); `user.email.trim()` calls no module.
    MailModule,
    /// `.delay.`: Sidekiq's `UserMailer.delay.welcome(id)`.
    Delayed,
    /// `dispatch(`: a job when static or bare (`SendInvoice::dispatch(`,
    /// `dispatch(new SendInvoice(…))`); on an object, only a partner's verb
    /// (`carrier->dispatch(`): Symfony's `$this->dispatcher->dispatch($event)`
    /// had batch parse most of mautic's changed PHP. Its `needs` are the
    /// partner's.
    Dispatch,
}

/// A call that needs no receiver word: `send_mail(`, `emails.`.
const ALWAYS: u8 = 0;
/// `fetch(` writes only with a method `effect` reads in its arguments.
const FETCH_WRITES: u8 = 1 << 7;

impl EffectCalls {
    pub(super) fn new(t: &Tables) -> Result<EffectCalls, String> {
        // `delete` is an HTTP write on fewer clients (`effect`): not on a
        // database `connection` or `session`.
        let (deletes, writes): (Vec<String>, Vec<String>) =
            t.http_verbs.iter().cloned().partition(|v| v == "delete");
        // Each receiver table that `effect` or `sender` asks, with the
        // methods it makes sends of (a bit each, below `FETCH_WRITES`).
        let gated: [(&[String], &[String]); 7] = [
            (&writes, &t.http_clients),
            (&deletes, &t.http_delete_clients),
            (&t.payment_methods, &t.payment_words),
            (&t.publish_methods, &t.publish_receivers),
            (&t.partner_verbs, &t.partner_receivers),
            (&t.mail_send_methods, &t.mail_receivers),
            (&["add".to_string()], &t.queue_receivers),
        ];
        // Lower-cased method → what it needs; `ALWAYS` wins.
        let mut methods: BTreeMap<String, Option<u8>> = BTreeMap::new();
        let always = t
            .effect_methods
            .iter()
            .chain(&t.enqueue_methods)
            .chain(&t.mailbox_expunge_calls)
            .map(String::as_str)
            .chain(["mail", "curl_exec"]);
        for m in always {
            methods.insert(m.to_ascii_lowercase(), None);
        }
        methods.entry("fetch".into()).or_insert(Some(FETCH_WRITES));
        // A job when static or bare (`Shape::Dispatch`); on an object only
        // what a table makes of it (a partner's verb).
        methods.entry("dispatch".into()).or_insert(Some(0));
        for (bit, (verbs, _)) in gated.iter().enumerate() {
            for m in verbs.iter() {
                let need = methods.entry(m.to_ascii_lowercase()).or_insert(Some(0));
                if let Some(need) = need {
                    *need |= 1 << bit;
                }
            }
        }
        let (mut patterns, mut shapes, mut needs) = (Vec::new(), Vec::new(), Vec::new());
        for (m, need) in &methods {
            let shape = if m == "dispatch" {
                Shape::Dispatch
            } else {
                Shape::Method
            };
            for call in ["(", " (", "?.("] {
                patterns.push(format!("{m}{call}"));
                shapes.push(shape);
                needs.push(need.unwrap_or(ALWAYS));
            }
        }
        let receivers = (t.mail_module_words.iter().map(|w| (w, Shape::MailModule)))
            .chain(t.enqueue_receivers.iter().map(|w| (w, Shape::Delayed)));
        for (receiver, shape) in receivers {
            patterns.push(format!("{receiver}."));
            shapes.push(shape);
            needs.push(ALWAYS);
        }
        let (mut words, mut receiver_bits) = (Vec::new(), Vec::new());
        for (bit, (_, receivers)) in gated.iter().enumerate() {
            for w in receivers.iter() {
                words.push(w.to_ascii_lowercase());
                receiver_bits.push(1 << bit);
            }
        }
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            for quote in ['\'', '"', '`'] {
                words.push(format!("{quote}{method}{quote}"));
                receiver_bits.push(FETCH_WRITES);
            }
        }
        let build = |what: &str, p: &[String]| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                // A DFA searches saleor's 25 MB of changed Python in 75
                // ms instead of 125, for 0.2 ms more to build.
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(p)
                .map_err(|e| format!("batch tables: {what}: {e}"))
        };
        Ok(EffectCalls {
            patterns: build("effect calls", &patterns)?,
            shapes,
            needs,
            receivers: build("effect receivers", &words)?,
            receiver_bits,
        })
    }

    /// Whether `text` holds one of the shapes. Overlapping matches, so a
    /// method that continues an identifier hides no other match. Without
    /// `modules` (PHP: `mail_modules` reads Python and JavaScript imports,
    /// and PHP joins strings with `.`), only calls count.
    pub(super) fn found_in(&self, text: &str, modules: bool) -> bool {
        let bytes = text.as_bytes();
        let mut needed = 0u8;
        // Asked at most once: a module using `email.` thousands of times
        // would otherwise read all its lines for each.
        let stdlib_email = std::cell::OnceCell::new();
        for m in self.patterns.find_overlapping_iter(text) {
            let p = m.pattern().as_usize();
            let need = self.needs[p];
            let stands = match self.shapes[p] {
                Shape::Method | Shape::Dispatch
                    if m.start()
                        .checked_sub(1)
                        .is_some_and(|i| name_byte(bytes[i])) =>
                {
                    false
                }
                Shape::Method if need == ALWAYS => true,
                Shape::Method => match receiver_of(bytes, m.start()) {
                    // Only `fetch(` sends with no receiver.
                    Receiver::None => need & FETCH_WRITES != 0,
                    Receiver::Names { span, .. } => {
                        if self.receiver_words(&text[span]) & need & !FETCH_WRITES != 0 {
                            return true;
                        }
                        continue;
                    }
                    Receiver::Unknown => true,
                },
                Shape::Dispatch => match receiver_of(bytes, m.start()) {
                    Receiver::Names {
                        span,
                        statics: false,
                    } => {
                        // On an object: `carrier->dispatch(` is a
                        // partner's verb; a dispatcher's is no table's.
                        if self.receiver_words(&text[span]) & need != 0 {
                            return true;
                        }
                        continue;
                    }
                    _ => return true,
                },
                Shape::MailModule | Shape::Delayed if !modules => false,
                Shape::MailModule => {
                    let name = bytes[..m.start()]
                        .iter()
                        .rev()
                        .take_while(|b| name_byte(**b));
                    let name_start = m.start() - name.count();
                    let head = text[..name_start].trim_end();
                    word_at(bytes, m.start(), m.end() - 1)
                        && name_start.checked_sub(1).is_none_or(|i| bytes[i] != b'.')
                        // `from email.mime.text import …` names a package.
                        && !(head.ends_with("from") || head.ends_with("import"))
                        && !(&bytes[name_start..m.end()] == b"email."
                            && *stdlib_email.get_or_init(|| imports_stdlib_email(text)))
                }
                Shape::Delayed => true,
            };
            if !stands {
                continue;
            }
            if need == ALWAYS {
                return true;
            }
            needed |= need;
        }
        needed != 0 && self.receiver_words(text) & needed != 0
    }

    /// The receiver tables with a word standing as a word of `text`.
    fn receiver_words(&self, text: &str) -> u8 {
        let bytes = text.as_bytes();
        let mut found = 0u8;
        for m in self.receivers.find_overlapping_iter(text) {
            let bit = self.receiver_bits[m.pattern().as_usize()];
            if found & bit == 0 && word_at(bytes, m.start(), m.end()) {
                found |= bit;
            }
        }
        found
    }
}

/// The receiver of a call, as far as its bytes tell.
enum Receiver {
    /// A bare call: `post(url)`, `dispatch(new Job)`.
    None,
    /// Names joined by `.`, `?.`, `->`, `::` and whitespace, at these bytes
    /// (`$this->client`, `requests`, `api\n    `): the receiver `effect`
    /// reads. `statics` when a `::` joins them.
    Names {
        span: std::ops::Range<usize>,
        statics: bool,
    },
    /// Anything else (a call's result, an index, a name outside ASCII):
    /// its words could be anywhere.
    Unknown,
}

/// How far back a receiver is read: a chain longer than this is no answer,
/// so that `a.post().post().post()…` costs each call a bounded look back,
/// not the whole chain before it.
const RECEIVER_BYTES: usize = 1024;

/// The receiver of the call whose method starts at `at`.
fn receiver_of(bytes: &[u8], at: usize) -> Receiver {
    let before = |i: usize, s: &[u8]| i >= s.len() && &bytes[i - s.len()..i] == s;
    let skip_space = |mut i: usize| {
        while i > 0 && bytes[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
        i
    };
    let (mut i, mut end, mut statics) = (at, None, false);
    loop {
        // The operator before the name.
        i = skip_space(i);
        let op = [&b"?->"[..], b"->", b"?.", b"::", b"."]
            .into_iter()
            .find(|op| before(i, op));
        let Some(op) = op else {
            return match end {
                None => Receiver::None,
                Some(end) => Receiver::Names {
                    span: skip_space_after(bytes, i)..end,
                    statics,
                },
            };
        };
        statics |= op == b"::";
        if at - i > RECEIVER_BYTES {
            return Receiver::Unknown;
        }
        // The name before the operator, after its call and index groups
        // (`.all()`, `.filter(owner=None)`, `[0]`).
        i = skip_space(i - op.len());
        end.get_or_insert(i);
        let mut groups = false;
        while i > 0 && matches!(bytes[i - 1], b')' | b']') && at - i <= RECEIVER_BYTES {
            let Some(open) = group_start(bytes, i) else {
                return Receiver::Unknown;
            };
            i = open;
            groups = true;
        }
        let name_end = i;
        while i > 0 && (name_byte(bytes[i - 1]) || bytes[i - 1] == b'$') {
            i -= 1;
            if at - i > RECEIVER_BYTES {
                return Receiver::Unknown;
            }
        }
        if i.checked_sub(1).is_some_and(|j| !bytes[j].is_ascii()) {
            return Receiver::Unknown;
        }
        if i == name_end {
            // A group alone (`(await api()).post(`) starts the receiver
            // only after a byte that ends an expression's left side; after
            // anything else (`getApi<Client>().post(`) it may not.
            let j = skip_space(i);
            let starts = j == 0 || b"(,=;{[!&|?:+-*%".contains(&bytes[j - 1]);
            if !groups || !starts && !before(j, b".") && !before(j, b"->") {
                return Receiver::Unknown;
            }
        }
    }
}

/// Where the bracket group that closes just before `end` opens, read
/// backwards over at most a kilobyte of code. A quote or a comment inside
/// (whose brackets need not pair) is no answer, nor is text outside ASCII.
fn group_start(bytes: &[u8], end: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = end;
    while i > 0 && end - i < 1024 {
        i -= 1;
        match bytes[i] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'"' | b'\'' | b'`' | b'#' | b'/' => return None,
            b if !b.is_ascii() => return None,
            _ => {}
        }
    }
    None
}

/// The first byte at or after `i` that is not whitespace.
fn skip_space_after(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Whether Python code binds `email` to the standard library's package
/// (`import email`, `import email.utils`), which `mail_modules` never
/// takes for the project's mail module: healthchecks' views parse inbound
/// mail with `email.message_from_bytes(…)`.
fn imports_stdlib_email(text: &str) -> bool {
    text.lines().any(|l| {
        l.trim_start()
            .strip_prefix("import email")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', ' ', '\t', '\r']))
    })
}

/// A byte of a name in Python or JavaScript.
fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Whether `bytes[start..end]` is a whole word as `words` splits an
/// identifier: not continued by a letter or digit on either side, except
/// across a lower-to-upper turn (`smsGateway` holds `sms` and `gateway`;
/// `SMSGateway` holds neither). A byte outside ASCII counts as a break,
/// so a word is found rather than missed.
fn word_at(bytes: &[u8], start: usize, end: usize) -> bool {
    let inner = |b: u8| b.is_ascii_alphanumeric();
    let turn = |before: u8, at: u8| {
        at.is_ascii_uppercase() && (before.is_ascii_lowercase() || before.is_ascii_digit())
    };
    // A pattern that starts or ends with a quote stands as it is.
    let opens = start == 0
        || !inner(bytes[start])
        || !inner(bytes[start - 1])
        || turn(bytes[start - 1], bytes[start]);
    let closes = end == bytes.len()
        || !inner(bytes[end - 1])
        || !inner(bytes[end])
        || turn(bytes[end - 1], bytes[end]);
    opens && closes
}

#[cfg(test)]
mod tests {
    use super::super::Batch;
    use super::word_at;

    fn calls(text: &str) -> bool {
        Batch::builtin().effect_calls.found_in(text, true)
    }

    #[test]
    fn a_method_that_needs_a_receiver_word_needs_it_in_the_text() {
        // The everyday `push`, `add`, `post` and `send` of scripts.
        assert!(!calls(
            "for (const x of xs) { out.push(x); seen.add(x.id); }"
        ));
        assert!(!calls("for (const p of posts) { await socket.send(p) }"));
        assert!(!calls(
            "for row in rows:\n    items.append(row)\n    cache.delete(row.id)\n"
        ));
        // The same methods on a receiver the tables name.
        assert!(calls("for (const o of orders) { await carrier.push(o) }"));
        assert!(calls(
            "for (const o of orders) { await this.smsGateway.send(o) }"
        ));
        assert!(calls("for o in orders:\n    requests.post(URL, json=o)\n"));
        assert!(calls(
            "for (const u of users) { await emailQueue.add('welcome', u) }"
        ));
        assert!(calls(
            "for o in orders:\n    stripe.Charge.create(amount=o.total)\n"
        ));
        assert!(calls("for m in msgs:\n    smtp.send_message(m)\n"));
        // Names before the method are the receiver `effect` reads: a word
        // elsewhere in the text makes no client of them.
        assert!(!calls(
            "from django.http import HttpResponse\nfor c in checks:\n    c.delete()\n"
        ));
        assert!(!calls(
            "const c = api;\nfor (const o of orders) { await c.post(o) }"
        ));
        assert!(calls(
            "for (const o of orders) {\n  await api\n    .post('/ship', o);\n}"
        ));
        assert!(calls(
            "foreach ($os as $o) { $this -> httpClient -> post($u, $o); }"
        ));
        // Call and index groups are read through; strings inside a group
        // and generic calls are not, so they may hold anything.
        assert!(calls(
            "for o in orders:\n    requests.Session().post(URL, json=o)\n"
        ));
        assert!(!calls("from django.http import HttpResponse\nfor c in checks:\n    c.pings.all().delete()\n    Flip.objects.filter(owner=None)[0].delete()\n"));
        assert!(calls("from django.http import HttpResponse\nfor c in checks:\n    Flip.objects.filter(kind='x').delete()\n"));
        assert!(calls(
            "for (const o of os) { await getApi<Client>().post(o) }"
        ));
        assert!(calls("for (const o of os) { await (await api()).post(o) }"));
    }

    #[test]
    fn a_long_chain_of_calls_is_read_back_a_bounded_way() {
        // Each `.post(` would read every call before it: quadratic.
        let chain = format!("for (const o of os) {{ x{} }}", ".post(o)".repeat(100_000));
        assert!(!calls(&chain));
        let named = format!(
            "{}\nfor (const o of os) {{ api{} }}",
            "a".repeat(100_000),
            ".post(o)".repeat(1_000)
        );
        assert!(calls(&named));
        let emails = format!("import email\n{}", "m = email.parse(b)\n".repeat(50_000));
        assert!(!calls(&emails));
    }

    #[test]
    fn a_method_that_always_sends_needs_no_receiver_word() {
        assert!(calls(
            "for u in users:\n    send_mail(s, b, f, [u.email])\n"
        ));
        assert!(calls("for u in users:\n    emails.welcome(u)\n"));
        assert!(calls("for u in users:\n    user_mailer.welcome(u)\n"));
        assert!(calls(
            "for (const u of users) { await sendEmail.welcome(u) }"
        ));
        assert!(calls("for u in users:\n    Mailer.delay.welcome(u.id)\n"));
        assert!(calls(
            "for u in users:\n    send_welcome.apply_async(u.id)\n"
        ));
        // A method inside a name is none, and a mail word is a module
        // only as a whole name's last word.
        assert!(!calls(
            "for o in orders:\n    reorder(o)\n    items.extend(o)\n"
        ));
        assert!(!calls(
            "for (const u of users) { u.email.trim(); myemail.x() }"
        ));
        assert!(!calls("for u in users:\n    self.emails.append(u)\n"));
        // The standard library's `email` parses mail.
        assert!(!calls(
            "import email\nfor b in bodies:\n    m = email.message_from_bytes(b)\n"
        ));
        assert!(!calls(
            "from email.mime.text import MIMEText\nfor u in users:\n    u.x()\n"
        ));
        assert!(calls(
            "from hc.lib import email\nfor u in users:\n    email.welcome(u)\n"
        ));
    }

    #[test]
    fn dispatch_counts_static_or_bare_only() {
        assert!(calls(
            "<?php\nforeach ($orders as $o) { SendInvoice::dispatch($o); }"
        ));
        assert!(calls(
            "<?php\nforeach ($orders as $o) { dispatch(new SendInvoice($o)); }"
        ));
        assert!(calls(
            "<?php\nforeach ($os as $o) { Bus::facade()->dispatch(new Job($o)); }"
        ));
        assert!(calls("<?php\nforeach ($os as $o) { Bus :: dispatch($o); }"));
        assert!(!calls(
            "<?php\nforeach ($es as $e) { $this->dispatcher->dispatch($e); }"
        ));
        assert!(!calls(
            "<?php\nforeach ($es as $e) {\n  $this\n    ->dispatcher\n    ?->dispatch($e);\n}"
        ));
        assert!(!calls("for (const a of actions) { store.dispatch(a) }"));
        assert!(calls(
            "<?php\nforeach ($ps as $p) { $this->carrier->dispatch($p); }"
        ));
    }

    #[test]
    fn fetch_counts_with_a_method_that_writes() {
        assert!(calls(
            "for (const o of os) { await fetch(url, {method: 'POST'}) }"
        ));
        assert!(calls(
            "for (const o of os) { await fetch(url, {method: `delete`}) }"
        ));
        assert!(!calls("for (const o of os) { const r = await fetch(url) }"));
    }

    #[test]
    fn a_receiver_word_is_a_whole_word_as_words_splits_it() {
        let at = |text: &str, word: &str| {
            let start = text.find(word).unwrap();
            word_at(text.as_bytes(), start, start + word.len())
        };
        assert!(at("smsGateway.send(x)", "sms"));
        assert!(at("this.smsGateway.send(x)", "Gateway"));
        assert!(at("pickUps.send(x)", "Ups"));
        assert!(at("sms2Gateway.send(x)", "Gateway"));
        assert!(!at("SMSGateway.send(x)", "SMS"));
        assert!(!at("SMSGateway.send(x)", "Gateway"));
        assert!(!at("groups.push(x)", "ups"));
        assert!(!at("relationship.push(x)", "ship"));
        assert!(at("é_ups.push(x)", "ups"));
    }
}
