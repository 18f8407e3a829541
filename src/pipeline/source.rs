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

/// How a Git LFS pointer opens: the file itself lives elsewhere, and what
/// the object database holds says nothing about the page.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1";

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
    if bytes.starts_with(LFS_POINTER) {
        return Err("skipped: stored in Git LFS (a pointer file), not analysed".to_string());
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

/// A line longer than this is minified, not written by a person.
const MINIFIED_LINE_BYTES: usize = 5_000;

/// What bundlers, minifiers and code generators leave near the top of
/// what they write.
const GENERATED_MARKERS: &[&str] = &[
    "/*! For license information please see",
    "webpackBootstrap",
    "__webpack_require__",
    "__webpack_modules__",
    "parcelRequire",
    "This combined file was created",
    "@generated",
    "DO NOT EDIT",
    "typeof exports === 'object' && typeof module !== 'undefined'",
    "typeof exports==\"object\"&&typeof module",
    "(function (global, factory)",
    "(function(global,factory)",
];

/// Why a script is generated or bundled code rather than the
/// repository's own (a bundle of 1 MB cost 13 s and 390 MB per commit):
/// a minified line, a source-map comment at its end, a bundler's banner or
/// bootstrap near its top, or a preserved `/*!` licence banner opening a
/// large file. `None` for hand-written code.
pub fn generated_reason(text: &str) -> Option<String> {
    if let Some(len) = minified_line(text) {
        return Some(format!(
            "skipped: generated or minified code (a line of {})",
            human_size(len)
        ));
    }
    let tail = &text.as_bytes()[text.len().saturating_sub(1024)..];
    if memchr::memmem::find(tail, b"# sourceMappingURL=").is_some() {
        return Some("skipped: generated code (it ends with a source map comment)".into());
    }
    let mut head_end = text.len().min(4096);
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let head = &text[..head_end];
    if let Some(marker) = GENERATED_MARKERS.iter().find(|m| head.contains(*m)) {
        return Some(format!(
            "skipped: generated or bundled code (`{}` near its top)",
            marker.trim_start_matches(['/', '*', '!', '(', ' '])
        ));
    }
    if text.len() > 50 * 1024 && text.trim_start().starts_with("/*!") {
        return Some("skipped: a bundled library (a `/*!` licence banner opens it)".into());
    }
    None
}

/// Why a JSON file is a tool's data rather than configuration a person
/// edits: a minified line. healthchecks' icon-font project (745 KiB on one
/// line, 38,604 keys) was parsed and compared key by key, a third of a
/// 1,500-commit check, for icon names that spell `reset` and `batch`.
pub fn minified_data_reason(text: &str) -> Option<String> {
    minified_line(text).map(|len| {
        format!(
            "skipped: minified data (a line of {}), written by a tool rather than by hand",
            human_size(len)
        )
    })
}

/// The length of the first line longer than a person writes.
fn minified_line(text: &str) -> Option<usize> {
    text.split('\n')
        .map(str::len)
        .find(|&l| l > MINIFIED_LINE_BYTES)
}

pub fn human_size(bytes: usize) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if bytes >= 10 * 1024 * 1024 {
        format!("{mib:.1} MiB")
    } else if bytes >= 1024 * 1024 {
        // Two decimals near the 2 MiB cap: "2.0 MiB is larger than the
        // 2 MiB limit" read as a contradiction.
        format!("{mib:.2} MiB")
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
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12\n";
        assert!(decode(pointer).unwrap_err().contains("Git LFS"));
    }

    #[test]
    fn bundles_and_generated_code_are_recognised_by_content() {
        let minified = format!("!function(e){{{}}}();\n", "var a=1;".repeat(1000));
        assert!(generated_reason(&minified).unwrap().contains("minified"));
        let data = format!("{{\"icons\":[{}]}}", "{\"name\":\"reset\"},".repeat(500));
        assert!(minified_data_reason(&data)
            .unwrap()
            .contains("a line of 8.3 KiB"));
        let pretty = "{\n  \"factory_reset\": false\n}\n".repeat(500);
        assert_eq!(minified_data_reason(&pretty), None);
        let mapped = "function a() {}\n//# sourceMappingURL=app.js.map\n";
        assert!(generated_reason(mapped).unwrap().contains("source map"));
        let webpack = "/******/ (function(modules) { // webpackBootstrap\n";
        assert!(generated_reason(webpack).is_some());
        let banner = format!(
            "/*!\n * Chart.js v3.7.1\n */\n{}",
            "var a = 1;\n".repeat(6000)
        );
        assert!(generated_reason(&banner)
            .unwrap()
            .contains("licence banner"));
        let own = "export function send(form) {\n  return fetch('/send', { method: 'POST' });\n}\n";
        assert!(generated_reason(own).is_none());
        assert!(generated_reason("/*! small banner */\nvar a = 1;\n").is_none());
    }
}
