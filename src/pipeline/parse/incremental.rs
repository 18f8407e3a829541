//! Re-using the base side's tree for the head side of a change. A change
//! touches a few lines of a file; tree-sitter re-parses only the subtrees
//! an edit overlaps once it is told where the text changed, so the head
//! version of a modified file costs about what its change costs.

use std::ops::Range;
use tree_sitter::{InputEdit, Point, Tree};

/// `old_tree` (built from `old`) edited to the coordinates of `new`, ready
/// to be handed to the parser with `new`.
pub(super) fn edited_tree(old: &str, new: &str, old_tree: &Tree) -> Tree {
    let mut tree = old_tree.clone();
    // From the last edit to the first: an edit never moves the text before
    // it, so each one is given in the coordinates of `old`.
    for edit in edits(old, new).iter().rev() {
        tree.edit(edit);
    }
    tree
}

/// Where `new` differs from `old`, as tree-sitter edits in `old`'s
/// coordinates, in order. Whole changed lines from a line diff; one edit
/// spanning everything between the common prefix and suffix when the diff
/// has nothing to say (it treats a text with a NUL byte as binary).
fn edits(old: &str, new: &str) -> Vec<InputEdit> {
    if old == new {
        return Vec::new();
    }
    let (old_lines, new_lines) = (line_starts(old), line_starts(new));
    let hunks = changed_lines(old, new);
    if hunks.is_empty() {
        let prefix = common_prefix(old, new);
        let suffix = common_suffix(&old[prefix..], &new[prefix..]);
        return vec![edit(
            old,
            new,
            prefix..old.len() - suffix,
            prefix..new.len() - suffix,
        )];
    }
    // Hunks begin and end at line starts, whose points are known: counting
    // lines from the top for each of 20,000 hunks made this quadratic.
    let old_end = point_at(old, old.len());
    let at = |line: usize| match old_lines.get(line) {
        Some(&byte) => (
            byte,
            Point {
                row: line,
                column: 0,
            },
        ),
        None => (old.len(), old_end),
    };
    let new_byte = |line: usize| new_lines.get(line).copied().unwrap_or(new.len());
    hunks
        .into_iter()
        .map(|(o, n)| {
            let ((start_byte, start_position), (old_end_byte, old_end_position)) =
                (at(o.start), at(o.end));
            let new_range = new_byte(n.start)..new_byte(n.end);
            InputEdit {
                start_byte,
                old_end_byte,
                new_end_byte: start_byte + new_range.len(),
                start_position,
                old_end_position,
                new_end_position: advance(start_position, &new[new_range]),
            }
        })
        .collect()
}

/// One edit: `old_range` of `old` became `new_range` of `new`; both start
/// at the same place (everything before them is equal).
fn edit(old: &str, new: &str, old_range: Range<usize>, new_range: Range<usize>) -> InputEdit {
    let start_position = point_at(old, old_range.start);
    InputEdit {
        start_byte: old_range.start,
        old_end_byte: old_range.end,
        new_end_byte: old_range.start + new_range.len(),
        start_position,
        old_end_position: point_at(old, old_range.end),
        new_end_position: advance(start_position, &new[new_range]),
    }
}

/// The 0-based line ranges each hunk of a line diff replaced: (in `old`,
/// in `new`).
fn changed_lines(old: &str, new: &str) -> Vec<(Range<usize>, Range<usize>)> {
    crate::pipeline::changes::line_hunks(old, new)
}

/// The byte offset where each line starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

fn point_at(text: &str, byte: usize) -> Point {
    advance(Point { row: 0, column: 0 }, &text.as_bytes()[..byte])
}

/// `from` moved over `text`: tree-sitter columns count bytes.
fn advance(from: Point, text: impl AsRef<[u8]>) -> Point {
    let text = text.as_ref();
    match memchr::memrchr(b'\n', text) {
        Some(last) => Point {
            row: from.row + memchr::memchr_iter(b'\n', text).count(),
            column: text.len() - last - 1,
        },
        None => Point {
            row: from.row,
            column: from.column + text.len(),
        },
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    floor_char_boundary(a, n)
}

fn common_suffix(a: &str, b: &str) -> usize {
    let n = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut n = n.min(a.len()).min(b.len());
    while !a.is_char_boundary(a.len() - n) || !b.is_char_boundary(b.len() - n) {
        n -= 1;
    }
    n
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::lang::Lang;
    use crate::pipeline::parse::{grammar, parse_bounded};

    /// The tree re-parsed from an edited base tree is the tree a fresh
    /// parse of head builds, node for node and position for position.
    fn same_as_fresh(lang: Lang, old: &str, new: &str) {
        let language = grammar(lang).unwrap();
        let base = parse_bounded(&language, old).unwrap();
        let edited = edited_tree(old, new, &base);
        let again = super::super::parse_bounded_from(&language, new, Some(&edited)).unwrap();
        let fresh = parse_bounded(&language, new).unwrap();
        assert_eq!(dump(&again), dump(&fresh), "{old:?} -> {new:?}");
    }

    fn dump(tree: &Tree) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            let n = cursor.node();
            out.push(format!(
                "{} {:?} {:?}",
                n.kind(),
                n.byte_range(),
                n.start_position()
            ));
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        out
    }

    #[test]
    fn reparsed_head_equals_a_fresh_parse() {
        let py = "import x\n\ndef f(items):\n    for i in items:\n        send(i)\n    save()\n\nY = 1\n";
        same_as_fresh(Lang::Python, py, &py.replace("    save()\n", ""));
        same_as_fresh(
            Lang::Python,
            py,
            &py.replace(
                "        send(i)\n    save()",
                "        send(i)\n        save()",
            ),
        );
        same_as_fresh(Lang::Python, py, &format!("# head\n{py}# tail"));
        same_as_fresh(
            Lang::Python,
            py,
            &py.replace("import x", "import é\nimport z"),
        );
        same_as_fresh(Lang::Python, "a = 1", "a = 2\nb = 3");
        same_as_fresh(Lang::Python, "a = 1\n", "");
        same_as_fresh(Lang::Python, "", "a = 1\n");
        let html = "<form action=\"/a\">\n<input name=x>\n</form>\n<p>ü</p>\n";
        same_as_fresh(Lang::Html, html, &html.replace("<input name=x>\n", ""));
        same_as_fresh(Lang::Html, html, "<p>\0</p>\n<form action=\"/b\"></form>");
        same_as_fresh(
            Lang::Yaml,
            "a:\n  b: 1\nc: 2\n",
            "a:\n  b: 1\n  d: 3\nc: 2\n",
        );
    }

    #[test]
    fn edits_follow_the_changed_lines() {
        let e = edits("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].start_byte, e[0].old_end_byte, e[0].new_end_byte),
            (2, 4, 4)
        );
        assert_eq!(e[0].start_position, Point { row: 1, column: 0 });
        assert!(edits("same", "same").is_empty());
    }
}
