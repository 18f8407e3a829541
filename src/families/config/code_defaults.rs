//! Boolean default values of Python and JS/TS function parameters, read as
//! key paths `function.param`: `def update(factory_reset=False)` is a
//! switch too.

use crate::families::context::{touched_lines, ChangedFile, Context};
use crate::findings::finding::Revision;
use crate::pipeline::lang::Lang;
use crate::readers::config_files::ConfigSide;
use crate::readers::keypath::{ConfigEntry, Scalar};
use std::collections::HashSet;

pub(super) fn is_code(lang: Lang) -> bool {
    matches!(
        lang,
        Lang::Python | Lang::JavaScript | Lang::TypeScript | Lang::Tsx
    )
}

/// Whether the change can have flipped a boolean parameter default, which
/// is all `default_entries` reports in code: a name set `= true` on a
/// touched line of one side and `= false` on a touched line of the other
/// (`True`/`False` in Python). A default's value is a literal after `=`,
/// and its name stands before that `=` on the same line, after at most a
/// type annotation; every name within `NAME_WINDOW` bytes is taken, so an
/// annotation cannot hide it. A byte check before any parse: a call's
/// `notify=True` passes too, and the parse then finds no parameter.
pub(super) fn may_flip_default(file: &ChangedFile) -> bool {
    let (Some(base), Some(head)) = (
        file.base.as_ref().and_then(|v| v.text()),
        file.head.as_ref().and_then(|v| v.text()),
    ) else {
        return false;
    };
    let changes = file.line_changes();
    let mut set_in_base = HashSet::new();
    for line in touched_lines(base, &changes.base) {
        bool_settings(line, |name, value| {
            set_in_base.insert((name, value));
        });
    }
    if set_in_base.is_empty() {
        return false;
    }
    let mut flipped = false;
    for line in touched_lines(head, &changes.head) {
        bool_settings(line, |name, value| {
            flipped |= set_in_base.contains(&(name, !value));
        });
        if flipped {
            return true;
        }
    }
    false
}

/// How far before a boolean's `=` the names of a line are taken: past a
/// parameter's type annotation (`force: Optional[bool] = False`).
const NAME_WINDOW: usize = 160;

/// Calls `found(name, value)` for every name within `NAME_WINDOW` bytes
/// before each `= true`/`= false` (or `True`/`False`) of `line`; not
/// `== True`, `!= false`, `<= …`.
fn bool_settings<'l>(line: &'l str, mut found: impl FnMut(&'l str, bool)) {
    let bytes = line.as_bytes();
    let is_name_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    for (word, value) in [
        ("true", true),
        ("True", true),
        ("false", false),
        ("False", false),
    ] {
        for at in memchr::memmem::find_iter(bytes, word.as_bytes()) {
            let end = at + word.len();
            if bytes.get(end).is_some_and(|&b| is_name_byte(b)) {
                continue;
            }
            let before = line[..at].trim_end();
            let Some(left) = before.strip_suffix('=') else {
                continue;
            };
            if left.ends_with(['=', '!', '<', '>', ':']) {
                continue;
            }
            let mut from = left.len().saturating_sub(NAME_WINDOW);
            while !left.is_char_boundary(from) {
                from += 1;
            }
            left[from..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                .filter(|name| !name.is_empty())
                .for_each(|name| found(name, value));
        }
    }
}

/// Default argument values of a code file's functions as entries
/// `function.param`: `def update(factory_reset=False)` and
/// `function sync({ dryRun = true } = {})` are switches too.
pub(super) fn code_side(cx: &Context, file: &ChangedFile, rev: Revision) -> Option<ConfigSide> {
    let (version, lang) = match rev {
        Revision::Base => (file.base.as_ref()?, file.base_lang),
        Revision::Head => (file.head.as_ref()?, file.head_lang),
    };
    if !is_code(lang) {
        return None;
    }
    let entries = cx.parse_facts("config.code_defaults", version, lang, |p| {
        std::sync::Arc::new(default_entries(p))
    })?;
    Some(ConfigSide {
        path: version.path.clone(),
        text: version.text()?.clone(),
        entries,
        code: true,
    })
}

/// The default argument values of a parsed code file, in text order.
fn default_entries(parsed: &crate::pipeline::parse::Parsed) -> Vec<ConfigEntry> {
    let text = &parsed.text;
    let mut entries = Vec::new();
    let mut stack = vec![parsed.tree.root_node()];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
        let (param, value) = match node.kind() {
            "default_parameter" | "typed_default_parameter" => (
                node.child_by_field_name("name"),
                node.child_by_field_name("value"),
            ),
            "assignment_pattern" | "object_assignment_pattern" => (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ),
            _ => continue,
        };
        let (Some(param), Some(value)) = (param, value) else {
            continue;
        };
        let value = match value.kind() {
            "true" => Scalar::Bool(true),
            "false" => Scalar::Bool(false),
            _ => continue,
        };
        let Some(function) = enclosing_function_name(node, text) else {
            continue;
        };
        let name = text.get(param.byte_range()).unwrap_or("").to_string();
        entries.push(ConfigEntry {
            path: format!("{function}.{name}"),
            value,
            range: node.byte_range(),
        });
    }
    entries.sort_by_key(|e| e.range.start);
    entries
}

/// The name of the function whose parameter list holds `node`.
pub(super) fn enclosing_function_name(node: tree_sitter::Node, text: &str) -> Option<String> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        match n.kind() {
            "function_definition"
            | "function_declaration"
            | "method_definition"
            | "generator_function_declaration" => {
                return n
                    .child_by_field_name("name")
                    .and_then(|x| text.get(x.byte_range()))
                    .map(str::to_string);
            }
            "arrow_function" | "function_expression" | "function" => {
                let holder = n.parent()?;
                let name = match holder.kind() {
                    "variable_declarator" => holder.child_by_field_name("name"),
                    "pair" => holder.child_by_field_name("key"),
                    "assignment_expression" => holder.child_by_field_name("left"),
                    _ => None,
                }?;
                return text.get(name.byte_range()).map(str::to_string);
            }
            // A default inside a call or an object literal is not a parameter.
            "call_expression" | "call" | "object" | "dictionary" | "class_body" | "block"
            | "statement_block" => return None,
            _ => {}
        }
        cur = n.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modified(path: &str, base: &str, head: &str, lang: Lang) -> ChangedFile {
        ChangedFile::modified_for_test(path, base, head, lang)
    }

    #[test]
    fn a_default_that_flipped_passes_in_every_shape_default_entries_reads() {
        let py = |b: &str, h: &str| may_flip_default(&modified("a.py", b, h, Lang::Python));
        assert!(py("def f(force=False):\n", "def f(force=True):\n"));
        assert!(py(
            "def f(self,\n      force: bool = False,\n):\n",
            "def f(self,\n      force: bool = True,\n):\n"
        ));
        assert!(py(
            "def f(force: Optional[Dict[str, bool]] = False): ...\n",
            "def f(x, force: Optional[Dict[str, bool]]=True): ...\n"
        ));
        let js = |b: &str, h: &str| may_flip_default(&modified("a.ts", b, h, Lang::TypeScript));
        assert!(js(
            "function sync({ dryRun = true } = {}) {}\n",
            "function sync({ dryRun = false } = {}) {}\n"
        ));
        assert!(js(
            "export function sync(dryRun: boolean = true) {}\n",
            "export function sync(dryRun: boolean = false) {}\n"
        ));
    }

    #[test]
    fn touched_booleans_that_flipped_nothing_are_not_read() {
        let py = |b: &str, h: &str| may_flip_default(&modified("a.py", b, h, Lang::Python));
        // Only added, or the same value kept, or compared rather than set.
        assert!(!py("x = 1\n", "x = 1\nobj.save(notify=True)\n"));
        assert!(!py("f(a=True)\n", "f(a=True, b=2)\n"));
        assert!(!py("if x == True:\n", "if x == False:\n"));
        assert!(!py("ok = a != True\n", "ok = a != False\n"));
        // A name set one way in base and another set the other way in head.
        assert!(!py("x(a=True)\n", "y(b=False)\n"));
        // A flip on an untouched line cannot be: it would be touched.
        assert!(!py(
            "def f(force=False):\n    pass\n",
            "def f(force=False):\n    return 1\n"
        ));
    }
}
