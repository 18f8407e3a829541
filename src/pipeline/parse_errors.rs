//! Changed lines the parser could not read. tree-sitter recovers from a
//! syntax error by wrapping what it cannot place in an `ERROR` node, and
//! the fact readers skip those: a YAML mapping of more than 32,768 entries
//! comes back that way whole, so `factory_reset: true` in it passed with
//! nothing said. A change that falls inside such a node is a note.

use super::lang::Lang;
use super::parse::Parsed;
use crate::families::context::ChangedFile;
use crate::findings::finding::Note;
use std::ops::Range;
use tree_sitter::Tree;

/// Markup is left out: tree-sitter-html leaves error nodes in about a
/// third of real templates whose forms still read well, and a note on
/// each would bury the ones that matter.
fn errors_drop_content(lang: Lang) -> bool {
    !matches!(
        lang,
        Lang::Html | Lang::Template | Lang::Blade | Lang::Php | Lang::Vue | Lang::Svelte
    )
}

/// The note of one side of a changed file (`side` 0 is base) whose
/// changed lines meet a parse error in `parse`, if they do.
pub(super) fn note(file: &ChangedFile, side: usize, lang: Lang, parse: &Parsed) -> Option<Note> {
    let version = if side == 0 { &file.base } else { &file.head };
    let version = version.as_ref()?;
    if !errors_drop_content(lang) || !parse.root_has_error() {
        return None;
    }
    let lines = file.line_changes();
    let changed = if side == 0 { &lines.base } else { &lines.head };
    let hit = first_changed_error(&parse.tree, changed)?;
    Some(Note {
        path: version.path.clone(),
        revision: version.revision,
        message: message(hit),
    })
}

fn message(lines: Range<usize>) -> String {
    let at = if lines.end - lines.start <= 1 {
        format!("line {}", lines.start)
    } else {
        format!("lines {}–{}", lines.start, lines.end - 1)
    };
    format!("a change falls inside a parse error ({at}): that part is not analysed")
}

/// The lines (1-based, end exclusive) of the first error or missing node
/// that a changed range (1-based, end exclusive) meets. Walks without
/// recursion and only into subtrees that hold an error.
fn first_changed_error(tree: &Tree, changed: &[Range<usize>]) -> Option<Range<usize>> {
    let meets = |lines: &Range<usize>| {
        changed
            .iter()
            .any(|c| c.start < lines.end && lines.start < c.end.max(c.start + 1))
    };
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            let lines = node.start_position().row + 1..node.end_position().row + 2;
            if meets(&lines) {
                return Some(lines);
            }
        } else if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::parse::parse;

    fn error_lines(text: &str, lang: Lang, changed: Range<usize>) -> Option<Range<usize>> {
        let parsed = parse(text.into(), lang)?;
        first_changed_error(&parsed.tree, std::slice::from_ref(&changed))
    }

    #[test]
    fn a_change_inside_an_error_node_is_found() {
        let text = "a: 1\nb: [1, 2\nc: 3\n";
        assert!(error_lines(text, Lang::Yaml, 2..3).is_some());
    }

    #[test]
    fn a_change_outside_every_error_is_not() {
        assert!(error_lines("a: 1\nb: 2\n", Lang::Yaml, 1..3).is_none());
    }
}
