//! Small helpers over tree-sitter nodes that every reader of a syntax
//! tree needs. They never panic: a range outside the text reads as empty.

use std::ops::Range;
use tree_sitter::Node;

/// The source text of a node.
pub fn text_of<'t>(node: Node, text: &'t str) -> &'t str {
    text.get(node.byte_range()).unwrap_or("")
}

/// Every child of a node, anonymous ones (punctuation, keywords) included.
pub fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// The named children of a node.
pub fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// A node's range cut at the end of its first line: a mapping pair whose
/// value is a nested block, or a call spanning lines, is shown by its
/// first line.
pub fn first_line(node: Node, text: &str) -> Range<usize> {
    let start = node.start_byte();
    let end = node.end_byte();
    let line_end = text
        .get(start..end)
        .and_then(|s| s.find('\n'))
        .map_or(end, |i| start + i);
    start..line_end
}
