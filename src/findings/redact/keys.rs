//! Secrets named by their key: `key = value`, `key: value`, `"key":
//! "value"`, `key => value`, a spaced `password "x"` (fetchmailrc, netrc),
//! and the `value` of a password `<input>`. Every function returns the
//! line with each secret as as many `*` as it has bytes.

use super::{
    is_reference, is_secret_key, star_ranges, word_starts_here, SECRET_TAILS, SECRET_WORDS,
};
use std::ops::Range;

/// Values that are never secrets, whatever their key: `pass: true`.
fn is_plain_value(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "nil" | "none" | "~"
    )
}

/// The words of a line with their byte offsets.
pub(super) fn words(line: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push((s, &line[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &line[s..]));
    }
    words
}

/// The end of a value that opens with quote `q` at byte 0: its closing
/// quote (not one escaped by a backslash), or the end.
fn quoted_len(value: &str, q: u8) -> usize {
    let b = value.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Every `key = value` on the line whose key looks secret.
pub(super) fn mask_key_values(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let mut ranges = Vec::new();
    for word in SECRET_WORDS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(word) {
            let word_at = from + pos;
            let key_end = word_at + word.len();
            from = key_end;
            if !word_starts_here(&lower, word, word_at) {
                continue;
            }
            if let Some(r) = value_after_key(line, word_at, key_end) {
                from = from.max(r.end);
                ranges.push(r);
            }
        }
    }
    star_ranges(line, &mut ranges)
}

/// The secret value of the key whose secret word spans `word_at..key_end`.
fn value_after_key(line: &str, word_at: usize, key_end: usize) -> Option<Range<usize>> {
    // The rest of the key name (`_hash`, `"`), then the separator.
    let rest = &line[key_end..];
    let key_tail = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(rest.len());
    if !SECRET_TAILS.contains(&rest[..key_tail].to_ascii_lowercase().as_str()) {
        return None;
    }
    let after_key = &rest[key_tail..];
    let trimmed = after_key.trim_start_matches(['"', '\'', ' ', '\t', ']']);
    let sep_len = if trimmed.starts_with("=>") {
        2
    } else if trimmed.starts_with(['=', ':']) {
        1
    } else {
        return None;
    };
    let value_start_rel = after_key.len() - trimmed.len() + sep_len;
    let value_region = &after_key[value_start_rel..];
    let value_trimmed = value_region.trim_start();
    let lead = value_region.len() - value_trimmed.len();
    let value_body = value_trimmed.trim_end_matches(['\n', '\r', ' ', '\t', ',', ';']);
    // In riskdiff's own messages a quoted value ends at its backtick.
    let value_body = value_body.split('`').next().unwrap_or(value_body);
    // A shell assignment before a command (`BORG_PASSPHRASE=x borg create
    // …`) ends at its first blank; the command after it stays readable.
    // Only mid-line: a `.env` line `KEY=two words` keeps its whole value
    // masked. A quoted value ends at its closing quote anywhere, so the
    // next key of a one-line JSON object is read too.
    let key_begin = line[..word_at]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let mid_line = line[..key_begin].ends_with([' ', '\t', '`'])
        && !line[..key_begin].trim_matches([' ', '\t', '`']).is_empty();
    let shell = sep_len == 1 && trimmed.starts_with('=') && lead == 0 && mid_line;
    let value_body = match value_body.bytes().next() {
        Some(q @ (b'"' | b'\'')) => &value_body[..quoted_len(value_body, q)],
        Some(_) if shell => value_body
            .find(char::is_whitespace)
            .map_or(value_body, |end| &value_body[..end]),
        _ => value_body,
    };
    let inner = value_body.trim_matches(['"', '\'']);
    if inner.is_empty()
        || is_reference(inner)
        || is_plain_value(inner)
        || inner.starts_with('[')
        || inner.starts_with('{')
    {
        return None;
    }
    let quote_len = (value_body.len() - value_body.trim_start_matches(['"', '\'']).len()).min(1);
    let start = key_end + key_tail + value_start_rel + lead + quote_len;
    Some(start..start + inner.len())
}

/// The words after which a space-separated `password VALUE` is a setting
/// rather than prose (fetchmailrc `user "a" with password "b"`, netrc
/// `login u password p`).
const SPACED_PASSWORD_LEADS: &[&str] = &["user", "username", "login", "with"];

/// `password "x"` / `passwd x` without `=` or `:`: fetchmailrc, netrc,
/// getmail. Prose stays alone: the value must be quoted, follow a keyword
/// of those formats, or be the only word after `password` on the line.
pub(super) fn mask_spaced_password(line: &str) -> String {
    let words = words(line);
    let mut ranges = Vec::new();
    for i in 0..words.len().saturating_sub(1) {
        let word = words[i].1.to_ascii_lowercase();
        if !matches!(word.as_str(), "password" | "passwd" | "pass") {
            continue;
        }
        let (at, value) = words[i + 1];
        let quoted = value.starts_with(['"', '\'']);
        let after_keyword =
            i > 0 && SPACED_PASSWORD_LEADS.contains(&words[i - 1].1.to_ascii_lowercase().as_str());
        let alone = i == 0 && words.len() == 2;
        // After `user "a"` the keyword before `password` is the user's name.
        let after_user_value = i >= 2
            && matches!(
                words[i - 2].1.to_ascii_lowercase().as_str(),
                "user" | "username" | "login"
            );
        if !(quoted || after_keyword || alone || after_user_value) {
            continue;
        }
        let inner = value.trim_end_matches([',', ';']).trim_matches(['"', '\'']);
        if inner.is_empty() || is_reference(inner) || inner.bytes().all(|b| b == b'*') {
            continue;
        }
        let start = at + value.find(inner).unwrap_or(0);
        ranges.push(start..start + inner.len());
    }
    star_ranges(line, &mut ranges)
}

/// `<input type="password" value="…">`, and an `<input>` whose name looks
/// secret (`name="api_token" value="…"`): the value attribute.
pub(super) fn mask_input_values(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("<input") {
        let start = from + pos;
        let end = lower[start..].find('>').map_or(line.len(), |i| start + i);
        from = end.max(start + 1);
        let attrs = attributes(&line[start..end], start);
        let secret = attrs.iter().any(|(name, value)| {
            let v = &line[value.clone()];
            (name == "type" && v.eq_ignore_ascii_case("password"))
                || (name == "name" && is_secret_key(v))
        });
        if !secret {
            continue;
        }
        for (name, value) in attrs {
            let v = &line[value.clone()];
            if name == "value" && !v.is_empty() && !is_reference(v) {
                ranges.push(value);
            }
        }
    }
    star_ranges(line, &mut ranges)
}

/// The attributes of a tag as (lower-cased name, value range in the line).
fn attributes(tag: &str, offset: usize) -> Vec<(String, Range<usize>)> {
    let b = tag.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphabetic() && i > 0 && b[i - 1].is_ascii_whitespace()) {
            i += 1;
            continue;
        }
        let name_start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'-' | b'_' | b':')) {
            i += 1;
        }
        let name = tag[name_start..i].to_ascii_lowercase();
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        let (vs, ve) = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = tag[i + 1..].find(q as char).map_or(b.len(), |j| i + 1 + j);
                (i + 1, end)
            }
            _ => {
                let end = tag[i..]
                    .find(|c: char| c.is_whitespace() || c == '/')
                    .map_or(b.len(), |j| i + j);
                (i, end)
            }
        };
        out.push((name, offset + vs..offset + ve));
        i = ve + 1;
    }
    out
}
