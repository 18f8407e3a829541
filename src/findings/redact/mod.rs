//! Masks values that look like secrets in everything riskdiff prints:
//! reports end up in PR comments and CI logs. Every secret on a line is
//! masked, and every mask is the same eight stars, so neither a report nor
//! a fingerprint (taken over the masked subject) tells a secret's length
//! or lets a guessed password be confirmed offline. Excerpts keep their
//! spans through the [`Masked`] offset map.
//!
//! The shapes: `key = value` where the key looks secret ([`keys`]), URL
//! user info, password hashes, command-line passwords, bearer tokens,
//! JWTs and well-known token prefixes ([`shapes`]), `<input
//! type="password" value=…>`, and private-key blocks, on several lines or
//! on one.

mod keys;
mod shapes;

use std::ops::Range;

/// What every masked value becomes, whatever its length.
pub const MASK: &str = "********";

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "accesskey",
    "private_key",
    "privatekey",
    "credentials",
    "client_secret",
    "auth_key",
    "signing_key",
    "encryption_key",
    "dsn_password",
    // Framework keys that are secrets whole: Django, Rails, Laravel.
    "secret_key",
    "secret_key_base",
    "app_key",
    "master_key",
    // `DB_PASS`, `MAIL_PASS`, nodemailer's `pass`; `MYSQL_PWD`. Only as a
    // word of their own (see [`BOUNDED_WORDS`]): `bypass` is no secret.
    "pass",
    "pwd",
];

/// Secret words that count only after a word boundary (`pass`), or, for
/// `pwd`, only after `_` (`PWD` alone is the working directory).
const BOUNDED_WORDS: &[&str] = &["pass", "pwd"];

/// Whether the secret word starting at `at` of the lower-cased `key` is a
/// word of its own where it has to be.
fn word_starts_here(key: &str, word: &str, at: usize) -> bool {
    if !BOUNDED_WORDS.contains(&word) {
        return true;
    }
    let before = key[..at].bytes().next_back();
    if word == "pwd" {
        return before == Some(b'_');
    }
    before.is_none_or(|b| !b.is_ascii_alphanumeric())
}

/// What may follow a secret word at the end of a key that still holds the
/// secret (`password_hash`, `tokens`); `reset_password_url` holds a URL.
const SECRET_TAILS: &[&str] = &[
    "", "s", "_hash", "_value", "_digest", "_plain", "_b64", "_base64", "_enc", "_key",
];

/// Whether a key name looks like it holds a secret: a secret word at the
/// end of its last segment.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let last = k.rsplit(['.', '/', ':']).next().unwrap_or(&k);
    SECRET_WORDS.iter().any(|w| {
        last.rfind(w).is_some_and(|i| {
            SECRET_TAILS.contains(&&last[i + w.len()..]) && word_starts_here(last, w, i)
        })
    })
}

/// A value as it may be shown: masked when its key looks secret.
pub fn value_for(key: &str, value: &str) -> String {
    if is_secret_key(key) && !value.is_empty() && !is_reference(value) {
        MASK.to_string()
    } else {
        value.to_string()
    }
}

/// References to a secret kept elsewhere are safe to show.
pub(crate) fn is_reference(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    v.is_empty()
        || v.starts_with('$')
        || v.starts_with("{{")
        || v.starts_with("%(")
        || v.starts_with("env(")
        || v.starts_with("ENV[")
        || v.starts_with("getenv")
        || v.starts_with("os.environ")
        || v.starts_with("process.env")
        || v.starts_with("!vault")
        || v.starts_with("<%")
}

/// Masks secrets in everything a finding prints that rules took from the
/// repository. The filter takes the fingerprint over the masked subject.
pub fn mask_finding(f: &mut crate::findings::finding::Finding) {
    f.message = mask_secrets(&f.message);
    f.subject = mask_secrets(&f.subject);
    if let Some(l) = &f.label {
        f.label = Some(mask_secrets(l));
    }
    for v in f.evidence.values_mut() {
        *v = mask_secrets(v);
    }
    for r in &mut f.related {
        r.message = mask_secrets(&r.message);
    }
}

/// A text with its secrets masked, and where each mask stands, so byte
/// offsets into the original text can be carried over.
#[derive(Clone, Debug, Default)]
pub struct Masked {
    pub text: String,
    /// (range in the original text, start in the masked text), in order.
    regions: Vec<(Range<usize>, usize)>,
}

impl Masked {
    /// Where byte `at` of the original text is in the masked text; inside
    /// a masked value, its mask's start (or end, for the end of a span).
    pub fn offset(&self, at: usize, is_end: bool) -> usize {
        let i = self.regions.partition_point(|(r, _)| r.start < at);
        // Regions before `at` (a region starting exactly at `at` is not).
        let Some((r, new_start)) = i.checked_sub(1).map(|k| &self.regions[k]) else {
            return at;
        };
        let new_end = new_start + MASK.len();
        if at >= r.end {
            new_end + (at - r.end)
        } else if is_end {
            new_end
        } else {
            *new_start
        }
    }
}

/// Masks secret values in a whole file or message: see the module docs.
pub fn mask_secrets(text: &str) -> String {
    mask_mapped(text).text
}

/// [`mask_secrets`] with the offset map of its masks.
pub fn mask_mapped(text: &str) -> Masked {
    let same_length = mask_same_length(text);
    fixed_length(text, &same_length)
}

/// Every secret as as many `*` as it has bytes: the maskers chain on this
/// form, since it keeps every offset.
fn mask_same_length(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_key_block = false;
    for line in text.split_inclusive('\n') {
        if in_key_block {
            match pem_block_line(line) {
                PemLine::End => {
                    in_key_block = false;
                    out.push_str(line);
                    continue;
                }
                PemLine::Body => {
                    out.push_str(&stars_keep_newline(line));
                    continue;
                }
                // Not key material: the block was never closed.
                PemLine::Other => {}
            }
        }
        // (After a block that was never closed, the line is read as usual.)
        let (line, opens_block) = mask_inline_key(line);
        in_key_block = opens_block;
        let line = keys::mask_key_values(&line);
        let line = shapes::mask_url_passwords(&line);
        let line = shapes::mask_password_hashes(&line);
        let line = shapes::mask_command_line(&line);
        let line = shapes::mask_tokens(&line);
        let line = keys::mask_input_values(&line);
        out.push_str(&keys::mask_spaced_password(&line));
    }
    out
}

/// Turns each run of stars that hides something into [`MASK`].
fn fixed_length(original: &str, starred: &str) -> Masked {
    let (a, b) = (original.as_bytes(), starred.as_bytes());
    let mut out = Masked {
        text: String::with_capacity(starred.len()),
        regions: Vec::new(),
    };
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] != b'*' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i] == b'*' {
            i += 1;
        }
        if a.get(start..i) == b.get(start..i) {
            continue; // stars in the text itself
        }
        out.text.push_str(&starred[copied..start]);
        out.regions.push((start..i, out.text.len()));
        out.text.push_str(MASK);
        copied = i;
    }
    out.text.push_str(&starred[copied..]);
    out
}

/// A private key on one line (a service account's JSON `private_key`):
/// the body between the markers is masked, and nothing after the line.
/// The start of a block on several lines opens it (`true`).
fn mask_inline_key(line: &str) -> (std::borrow::Cow<'_, str>, bool) {
    let Some(begin) = line.find("-----BEGIN") else {
        return (line.into(), false);
    };
    let Some(marker_end) = line[begin..]
        .find("PRIVATE KEY-----")
        .map(|i| begin + i + "PRIVATE KEY-----".len())
    else {
        return (line.into(), false);
    };
    match line[marker_end..].find("-----END") {
        Some(end) => {
            let end = marker_end + end;
            let masked = format!(
                "{}{}{}",
                &line[..marker_end],
                stars(&line[marker_end..end]),
                &line[end..]
            );
            (masked.into(), false)
        }
        None => {
            // The rest of the line may already hold key material.
            let rest = &line[marker_end..];
            let body = rest.trim_end_matches(['\n', '\r']);
            let masked = format!(
                "{}{}{}",
                &line[..marker_end],
                stars(body),
                &rest[body.len()..]
            );
            (masked.into(), true)
        }
    }
}

enum PemLine {
    End,
    Body,
    Other,
}

/// What a line inside a private-key block is: its end, key material
/// (base64, or a `Proc-Type:` header of an encrypted key), or something
/// else, which means the block was not a block after all.
fn pem_block_line(line: &str) -> PemLine {
    if line.contains("-----END") {
        return PemLine::End;
    }
    let t = line.trim().trim_matches(['"', '\'', ',']);
    let t = t.strip_suffix("\\n").unwrap_or(t);
    let base64 = t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    let header = t.starts_with("Proc-Type:") || t.starts_with("DEK-Info:");
    if base64 || header {
        PemLine::Body
    } else {
        PemLine::Other
    }
}

pub(crate) fn stars(s: &str) -> String {
    "*".repeat(s.len())
}

fn stars_keep_newline(line: &str) -> String {
    let body = line.trim_end_matches(['\n', '\r']);
    format!("{}{}", stars(body), &line[body.len()..])
}

/// Replaces `ranges` (byte ranges on char boundaries) of `line` by stars.
pub(crate) fn star_ranges(line: &str, ranges: &mut [Range<usize>]) -> String {
    if ranges.is_empty() {
        return line.to_string();
    }
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(line.len());
    let mut pos = 0;
    for r in ranges.iter() {
        let start = r.start.max(pos);
        if start >= r.end {
            continue;
        }
        out.push_str(&line[pos..start]);
        out.push_str(&stars(&line[start..r.end]));
        pos = r.end;
    }
    out.push_str(&line[pos..]);
    out
}

/// Text from the repository made safe to print on a terminal: control
/// characters (an escape sequence in a file name or a quoted line could
/// rewrite the terminal or hide a line of the report) and the invisible
/// bidirectional overrides become `?`, one per byte, so byte offsets into
/// the text stay exact. Tabs and newlines stay, and a carriage return only
/// as part of `\r\n`.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char, next: Option<char>| {
        (c.is_control() && c != '\n' && c != '\t' && !(c == '\r' && next == Some('\n')))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    let mut chars = text.chars().peekable();
    let mut clean = true;
    while let Some(c) = chars.next() {
        if bad(c, chars.peek().copied()) {
            clean = false;
            break;
        }
    }
    if clean {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if bad(c, chars.peek().copied()) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests;
