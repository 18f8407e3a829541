//! What of a Markdown page is not HTML a browser would render: code
//! blocks, code spans and front matter. A content page of a static site
//! (`contact.md`) holds its form as raw HTML between paragraphs; the page
//! is parsed as HTML once these regions are blanked, so a `<form>` shown
//! as an example in a code block is never taken for a form of the page.
//! The prose itself is harmless HTML text and stays.

use super::parse::{parse_bounded, Skip};
use std::ops::Range;

/// Block kinds whose whole text is not rendered as HTML.
const NOT_HTML_BLOCKS: &[&str] = &[
    "fenced_code_block",
    "indented_code_block",
    "minus_metadata",
    "plus_metadata",
];

/// The byte ranges of `text` to blank before it is parsed as HTML.
pub fn not_html(text: &str) -> Result<Vec<Range<usize>>, Skip> {
    // A page without a tag has no form: nothing is worth a parse.
    if !text.contains('<') {
        #[allow(clippy::single_range_in_vec_init)] // one region: the whole page
        return Ok(vec![0..text.len()]);
    }
    let tree = parse_bounded(&tree_sitter_md::LANGUAGE.into(), text)?;
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if NOT_HTML_BLOCKS.contains(&node.kind()) {
            out.push(node.byte_range());
            continue;
        }
        if node.kind() == "inline" {
            out.extend(code_spans(text, node.byte_range())?);
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    out.sort_by_key(|r| r.start);
    Ok(out)
}

/// The code spans (`` `<form>` ``) of one paragraph's inline text. Only a
/// paragraph with both a backtick and a tag is worth the inline parse.
fn code_spans(text: &str, inline: Range<usize>) -> Result<Vec<Range<usize>>, Skip> {
    let slice = &text[inline.clone()];
    if !(slice.contains('`') && slice.contains('<')) {
        return Ok(Vec::new());
    }
    let tree = parse_bounded(&tree_sitter_md::INLINE_LANGUAGE.into(), slice)?;
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "code_span" {
            let r = node.byte_range();
            out.push(inline.start + r.start..inline.start + r.end);
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::template::blank;

    fn html_of(md: &str) -> String {
        blank(md, &not_html(md).unwrap())
    }

    #[test]
    fn raw_forms_stay_and_code_goes() {
        let md = "---\ntitle: Contact\n---\n\n# Contact\n\nWrite to us:\n\n<form action=\"https://formspree.io/f/x\" method=\"POST\">\n  <input name=\"email\">\n</form>\n\nExample: `<form action=\"/demo\">`\n\n```html\n<form action=\"/example\"></form>\n```\n\n    <form action=\"/indented\"></form>\n";
        let html = html_of(md);
        assert!(
            html.contains("<form action=\"https://formspree.io/f/x\""),
            "{html}"
        );
        assert!(html.contains("<input name=\"email\">"), "{html}");
        assert!(!html.contains("/demo"), "{html}");
        assert!(!html.contains("/example"), "{html}");
        assert!(!html.contains("/indented"), "{html}");
        assert!(!html.contains("title: Contact"), "{html}");
        assert_eq!(html.len(), md.len());
        assert_eq!(html.lines().count(), md.lines().count());
    }

    #[test]
    fn a_page_without_tags_is_blank() {
        assert_eq!(html_of("# Hello\n\nNo markup.\n").trim(), "");
    }
}
