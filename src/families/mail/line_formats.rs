//! Line-based mail routing files: Postfix maps and `main.cf`, aliases,
//! fetchmail and getmail rc files, Dovecot passwd-files. Each becomes a
//! list of entries with the span of the line that holds them.

use std::collections::BTreeMap;
use std::ops::Range;

/// A logical line of a Postfix-style file: comments (`#` as the first
/// non-blank character) dropped, lines starting with whitespace joined to
/// the line before. `range` covers the physical lines it was made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogicalLine {
    pub text: String,
    pub range: Range<usize>,
}

pub(crate) fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out: Vec<LogicalLine> = Vec::new();
    for (start, line) in crate::pipeline::source::lines(text) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let continues = line.starts_with([' ', '\t']);
        match out.last_mut() {
            Some(last) if continues => {
                last.text.push(' ');
                last.text.push_str(trimmed.trim_end());
                last.range.end = start + line.len();
            }
            _ => out.push(LogicalLine {
                text: trimmed.trim_end().to_string(),
                range: start..start + line.len(),
            }),
        }
    }
    out
}

/// One routed entry: a map key, a fetched user, a `main.cf` list item.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    /// Compared case-insensitively.
    pub(super) key: String,
    /// As written, for messages.
    pub(super) shown: String,
    pub(super) range: Range<usize>,
}

/// The keys of a lookup table or aliases file (`key value`, `key: value`).
pub(super) fn map_entries(text: &str) -> Vec<Entry> {
    logical_lines(text)
        .into_iter()
        .filter_map(|l| {
            let first = l.text.split_whitespace().next()?;
            let key = first.split(':').next().unwrap_or(first);
            if key.is_empty() {
                return None;
            }
            Some(Entry {
                key: key.to_ascii_lowercase(),
                shown: key.to_string(),
                range: l.range,
            })
        })
        .collect()
}

/// Words of a `.fetchmailrc`, with their byte ranges; quotes stripped,
/// comments dropped.
pub(super) fn rc_words(text: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() || c == b',' || c == b';' || c == b':' {
            i += 1;
        } else if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            let mut word = Vec::new();
            while i < bytes.len() && bytes[i] != c {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                word.push(bytes[i]);
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            out.push((String::from_utf8_lossy(&word).into_owned(), start..i));
        } else {
            let start = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b',' | b';' | b'#')
            {
                i += 1;
            }
            out.push((
                String::from_utf8_lossy(&bytes[start..i]).into_owned(),
                start..i,
            ));
        }
    }
    out
}

/// The mailboxes a `.fetchmailrc` fetches: `user NAME` under each
/// `poll`/`server` HOST, as `NAME on HOST`.
pub(super) fn fetchmail_entries(text: &str) -> Vec<Entry> {
    let words = rc_words(text);
    let mut out = Vec::new();
    let mut server = String::new();
    // Entries point at their `poll HOST` words, never at the `user` line,
    // which usually carries the password.
    let mut server_range = 0..0;
    let mut k = 0;
    while k < words.len() {
        let w = words[k].0.to_ascii_lowercase();
        match w.as_str() {
            "poll" | "server" | "skip" => {
                if let Some((host, range)) = words.get(k + 1) {
                    server = host.clone();
                    server_range = words[k].1.start..range.end;
                    k += 1;
                }
            }
            "user" | "username" => {
                if let Some((name, _)) = words.get(k + 1) {
                    let shown = format!("{name} on {server}");
                    out.push(Entry {
                        key: shown.to_ascii_lowercase(),
                        shown,
                        range: server_range.clone(),
                    });
                    k += 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    out
}

/// The mailbox a getmail rc file fetches: `username on server` of its
/// `[retriever]` section (one rc file per mailbox is getmail's layout).
pub(super) fn getmail_entries(text: &str) -> Vec<Entry> {
    let mut section = String::new();
    let (mut user, mut server) = (None, None);
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let line = raw.trim();
        if line.starts_with(['#', ';']) || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        if section != "retriever" {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        let range = start..start + raw.trim_end().len();
        match k.trim().to_ascii_lowercase().as_str() {
            "username" => user = Some((v.trim().to_string(), range)),
            "server" => server = Some(v.trim().to_string()),
            _ => {}
        }
    }
    user.map(|(u, range)| {
        let shown = match server {
            Some(s) => format!("{u} on {s}"),
            None => u,
        };
        Entry {
            key: shown.to_ascii_lowercase(),
            shown,
            range,
        }
    })
    .into_iter()
    .collect()
}

/// The users of a Dovecot passwd-file (`user:{SCHEME}hash:uid:gid:…`):
/// the name before the first `:`. Hashes are never part of an entry.
pub(super) fn dovecot_users(text: &str) -> Vec<Entry> {
    logical_lines(text)
        .into_iter()
        .filter_map(|l| {
            let user = l.text.split(':').next()?.trim();
            (!user.is_empty()).then(|| Entry {
                key: user.to_ascii_lowercase(),
                shown: user.to_string(),
                range: l.range.start..l.range.start + user.len(),
            })
        })
        .collect()
}

/// `main.cf` parameters: name → (value, range of the logical line).
pub(super) fn cf_params(text: &str) -> BTreeMap<String, (String, Range<usize>)> {
    let mut out = BTreeMap::new();
    for l in logical_lines(text) {
        if let Some((k, v)) = l.text.split_once('=') {
            out.insert(k.trim().to_string(), (v.trim().to_string(), l.range));
        }
    }
    out
}

pub(super) fn cf_items(value: &str) -> Vec<String> {
    value
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
