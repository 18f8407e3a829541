//! Byte offsets to lines and columns in time independent of the offset.
//!
//! Rules build a [`Span`](super::finding::Span) from a text and two byte
//! offsets in some forty places; counting lines from the start of the file
//! each time made 30,000 removed cron lines take 28 s and a 2 MiB
//! single-line bundle minutes. Texts read from the repository are
//! registered here as they are read ([`register`]); a span of a registered
//! text uses its index, built once on first use. The registry holds a
//! reference to each text, so an address it knows is never reused by
//! another text while the entry exists: a pointer match is the same text.
//! Texts it does not know (derived strings, tests) are counted the slow,
//! plain way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Bytes per checkpoint of the character count.
const BLOCK: usize = 1024;

/// Where each line starts, and the number of characters before every
/// [`BLOCK`]th byte.
pub struct LineIndex {
    starts: Vec<usize>,
    ends_with_break: bool,
    chars_at_block: Vec<usize>,
    /// Blocks of ASCII only, where a byte is a character.
    ascii_block: Vec<bool>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let b = text.as_bytes();
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', b).map(|i| i + 1));
        let mut chars_at_block = Vec::with_capacity(b.len() / BLOCK + 1);
        let mut ascii_block = Vec::with_capacity(b.len() / BLOCK + 1);
        let mut count = 0;
        for chunk in b.chunks(BLOCK) {
            chars_at_block.push(count);
            let ascii = chunk.is_ascii();
            ascii_block.push(ascii);
            count += if ascii {
                chunk.len()
            } else {
                chunk.iter().filter(|&&c| !is_continuation(c)).count()
            };
        }
        chars_at_block.push(count);
        LineIndex {
            starts,
            ends_with_break: text.ends_with('\n'),
            chars_at_block,
            ascii_block,
        }
    }

    /// Characters in `text[..byte]`: UTF-8 bytes that start a character.
    fn chars_before(&self, text: &str, byte: usize) -> usize {
        let block = byte / BLOCK;
        let from = block * BLOCK;
        if self.ascii_block.get(block).copied().unwrap_or(true) {
            return self.chars_at_block[block] + (byte - from);
        }
        self.chars_at_block[block]
            + text.as_bytes()[from..byte]
                .iter()
                .filter(|&&c| !is_continuation(c))
                .count()
    }

    /// The 1-based line and column (in characters) of `byte`, a char
    /// boundary of `text`, the text the index was built from.
    pub fn line_col(&self, text: &str, byte: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= byte);
        let start = self.starts[line - 1];
        let column = self.chars_before(text, byte) - self.chars_before(text, start) + 1;
        (line, column)
    }

    /// The number of lines as `str::lines` counts them (a final line break
    /// opens no line).
    pub fn line_count(&self) -> usize {
        self.starts.len() - usize::from(self.ends_with_break)
    }

    /// The byte range of 1-based line `line` without its line break; the
    /// last line when there are fewer.
    pub fn line_range(&self, text: &str, line: usize) -> (usize, usize) {
        let i = line.clamp(1, self.starts.len()) - 1;
        let start = self.starts[i];
        let end = self.starts.get(i + 1).map_or(text.len(), |&next| next - 1);
        (start, end.max(start))
    }
}

fn is_continuation(b: u8) -> bool {
    (0x80..0xC0).contains(&b)
}

struct Entry {
    /// Keeps the text, and so its address, alive while it is registered.
    text: Arc<str>,
    index: OnceLock<Arc<LineIndex>>,
}

/// Registered texts by (address, length).
type Registry = Mutex<HashMap<(usize, usize), Arc<Entry>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn key(text: &str) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// Registers a text read from the repository, so spans into it are
/// computed through an index. Small texts are not worth it.
pub fn register(text: &Arc<str>) {
    if text.len() < 4 * BLOCK {
        return;
    }
    let entry = Arc::new(Entry {
        text: text.clone(),
        index: OnceLock::new(),
    });
    let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
    map.entry(key(text)).or_insert(entry);
}

/// Lets go of the texts nothing but the registry holds any more (at the
/// end of a comparison); texts other runs in the process still use stay.
pub fn forget_unused() {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|_, e| Arc::strong_count(&e.text) > 1);
}

/// The index of a registered text, built on first use.
pub fn index_of(text: &str) -> Option<Arc<LineIndex>> {
    let entry = registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key(text))
        .cloned()?;
    Some(
        entry
            .index
            .get_or_init(|| Arc::new(LineIndex::new(text)))
            .clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_agrees_with_counting() {
        let line = "Grüße <form> ".repeat(200);
        let text: String = (0..50).map(|i| format!("{i} {line}\n")).collect::<String>() + "end";
        let idx = LineIndex::new(&text);
        for byte in (0..text.len())
            .filter(|&b| text.is_char_boundary(b))
            .step_by(97)
        {
            let before = &text[..byte];
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..byte].chars().count() + 1;
            assert_eq!(idx.line_col(&text, byte), (line, col), "at {byte}");
        }
        let (s, e) = idx.line_range(&text, 2);
        assert!(text[s..e].starts_with("1 Grüße") && !text[s..e].contains('\n'));
        assert_eq!(&text[idx.line_range(&text, 99).0..], "end");
    }

    #[test]
    fn only_registered_texts_are_indexed() {
        let text: Arc<str> = Arc::from("x\n".repeat(10_000));
        let copy = text.to_string();
        register(&text);
        assert!(index_of(&text).is_some());
        assert!(index_of(&copy).is_none(), "another text at another address");
        drop(text);
        forget_unused();
        assert!(index_of(&copy).is_none());
    }
}
