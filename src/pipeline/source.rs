//! File contents as the analyzers see them: decoded text, or a reason the
//! file was skipped. Nothing here panics on what a repository holds.

use std::sync::Arc;

/// Files above this size are skipped with a note: generated bundles and
/// data dumps, never hand-written templates or configuration.
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Debug)]
pub enum Content {
    Text(Arc<str>),
    Skipped(String),
}

impl Content {
    pub fn text(&self) -> Option<&Arc<str>> {
        match self {
            Content::Text(t) => Some(t),
            Content::Skipped(_) => None,
        }
    }
}

/// Decodes a file's bytes. Returns the text and an optional note, or the
/// reason to skip the file.
///
/// Text that is not UTF-8 is decoded as Latin-1 (ISO-8859-1) rather than
/// skipped: older European websites, the ones incident 1 is about, are often
/// stored that way, and every byte maps to one character so line numbers
/// stay exact. The note says so.
pub fn decode(bytes: &[u8]) -> Result<(Arc<str>, Option<String>), String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "skipped: {} is larger than the {} MiB limit for analysed files",
            human_size(bytes.len()),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("skipped: UTF-16 text is not analysed; save the file as UTF-8".to_string());
    }
    let probe = &bytes[..bytes.len().min(8000)];
    if memchr::memchr(0, probe).is_some() {
        return Err("skipped: binary content".to_string());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((Arc::from(text), None)),
        Err(_) => {
            let text: String = bytes.iter().map(|&b| b as char).collect();
            Ok((
                Arc::from(text),
                Some("not valid UTF-8: decoded as Latin-1 (ISO-8859-1)".to_string()),
            ))
        }
    }
}

pub fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// The lines of a text with the byte offset each starts at, line endings
/// (`\n`, `\r\n`) cut off: line readers report spans into the text.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = pos;
        pos += raw.len();
        (start, raw.trim_end_matches(['\n', '\r']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_passes_through() {
        let (text, note) = decode("Grüße".as_bytes()).unwrap();
        assert_eq!(&*text, "Grüße");
        assert!(note.is_none());
    }

    #[test]
    fn latin1_is_decoded_with_a_note() {
        let (text, note) = decode(b"Gr\xfc\xdfe <form>").unwrap();
        assert_eq!(&*text, "Grüße <form>");
        assert!(note.unwrap().contains("Latin-1"));
    }

    #[test]
    fn binary_huge_and_utf16_are_skipped() {
        assert!(decode(b"\x89PNG\r\n\x1a\n\0\0")
            .unwrap_err()
            .contains("binary"));
        assert!(decode(&vec![b'a'; MAX_FILE_BYTES + 1])
            .unwrap_err()
            .contains("larger"));
        assert!(decode(b"\xff\xfe<\0h\0").unwrap_err().contains("UTF-16"));
    }
}
