//! Boolean default values of Python and JS/TS function parameters, read as
//! key paths `function.param`: `def update(factory_reset=False)` is a
//! switch too.

use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::Revision;
use crate::pipeline::lang::Lang;
use crate::readers::config_files::ConfigSide;
use crate::readers::keypath::{ConfigEntry, Scalar};

pub(super) fn is_code(lang: Lang) -> bool {
    matches!(
        lang,
        Lang::Python | Lang::JavaScript | Lang::TypeScript | Lang::Tsx
    )
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
