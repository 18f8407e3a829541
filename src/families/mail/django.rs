//! Mail settings of a Python (Django) settings module: module-level
//! assignments and those of django-configurations classes
//! (`class Prod(Base): EMAIL_BACKEND = …`), each a string literal or an
//! environment lookup whose default is what a deployment that does not set
//! the variable gets (`os.environ.get('EMAIL_BACKEND', '…console…')`,
//! `os.getenv`, django-environ `env(…, default=…)`, python-decouple
//! `config(…, default=…)`, django-configurations `values.Value('…')`).

use super::backends::{production_by_name, string_content, Setting};
use super::Tables;
use crate::readers::syntax::{named_children, text_of};
use tree_sitter::Node;

/// Module-level and class-body settings, in source order. Classes whose
/// name says development or test (`Dev`, `Test`, `Local`) are left out,
/// like settings files named so; a `Production(Base)` class comes after
/// `Base` in the file, so its own assignments win as the last ones do.
pub(super) fn python_settings(root: Node, text: &str, tables: &Tables) -> Vec<Setting> {
    let mut out = Vec::new();
    block_settings(root, text, &mut out);
    for class in named_children(root)
        .into_iter()
        .filter_map(|n| match n.kind() {
            "class_definition" => Some(n),
            "decorated_definition" => n.child_by_field_name("definition"),
            _ => None,
        })
        .filter(|n| n.kind() == "class_definition")
    {
        let name = class
            .child_by_field_name("name")
            .map_or("", |n| text_of(n, text));
        if production_by_name(&snake(name), tables) == Some(false) {
            continue;
        }
        if let Some(body) = class.child_by_field_name("body") {
            block_settings(body, text, &mut out);
        }
    }
    out.sort_by_key(|s| s.range.start);
    out
}

/// `DevSettings` → `dev_settings`: class names read like file names.
fn snake(name: &str) -> String {
    let mut s = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

/// The `NAME = value` statements directly in a block (not in its `if`
/// branches: `if DEBUG:` is development by definition).
fn block_settings(block: Node, text: &str, out: &mut Vec<Setting>) {
    for stmt in named_children(block) {
        if stmt.kind() != "expression_statement" {
            continue;
        }
        let Some(assign) = stmt.named_child(0).filter(|a| a.kind() == "assignment") else {
            continue;
        };
        let (Some(left), Some(right)) = (
            assign.child_by_field_name("left"),
            assign.child_by_field_name("right"),
        ) else {
            continue;
        };
        if left.kind() != "identifier" {
            continue;
        }
        let (value, env_var) = match string_content(right, text) {
            Some(v) => (v, None),
            None => match env_default(right, text) {
                Some((var, default)) => (default, Some(var)),
                None => continue,
            },
        };
        out.push(Setting {
            key: text_of(left, text).to_string(),
            value,
            range: stmt.byte_range(),
            env_var,
        });
    }
}

/// An environment lookup with a literal default: the variable's name
/// (empty when the call does not name it) and the default.
pub(super) fn env_default(call: Node, text: &str) -> Option<(String, String)> {
    if call.kind() != "call" {
        return None;
    }
    let callee = text_of(call.child_by_field_name("function")?, text);
    let args = named_children(call.child_by_field_name("arguments")?);
    let keyword = |name: &str| {
        args.iter()
            .filter(|a| a.kind() == "keyword_argument")
            .find(|a| {
                a.child_by_field_name("name")
                    .is_some_and(|n| text_of(n, text) == name)
            })
            .and_then(|a| a.child_by_field_name("value"))
            .and_then(|v| string_content(v, text))
    };
    let positional: Vec<Node> = args
        .iter()
        .copied()
        .filter(|a| a.kind() != "keyword_argument")
        .collect();
    let literal = |i: usize| positional.get(i).and_then(|a| string_content(*a, text));
    let last = callee.rsplit('.').next().unwrap_or(callee);
    match last {
        // `os.environ.get('X', 'd')`, `os.getenv('X', 'd')`
        "get" if callee.ends_with("environ.get") => Some((literal(0)?, literal(1)?)),
        "getenv" => Some((literal(0)?, literal(1).or_else(|| keyword("default"))?)),
        // django-environ `env('X', default='d')`, `env.str(…)`;
        // python-decouple `config('X', default='d')`.
        "env" | "str" | "config" if callee == last || callee.starts_with("env.") => {
            Some((literal(0)?, keyword("default")?))
        }
        // django-configurations: `values.Value('d', environ_name='X')`.
        "Value" if callee.starts_with("values.") => Some((
            keyword("environ_name").unwrap_or_default(),
            literal(0).or_else(|| keyword("default"))?,
        )),
        _ => None,
    }
}

/// Files a deployment sets environment variables in: `.env*` (not the
/// examples and development ones), compose files, Helm values, Kubernetes
/// and other deployment manifests.
fn deployment_file(path: &str, tables: &Tables) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if production_by_name(&lower, tables) == Some(false) {
        return false;
    }
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    name.starts_with(".env")
        || name.ends_with(".env")
        || (yaml
            && (name.contains("compose")
                || name.starts_with("values")
                || lower.split('/').any(|seg| {
                    matches!(
                        seg,
                        "k8s"
                            | "kubernetes"
                            | "helm"
                            | "charts"
                            | "deploy"
                            | "deployment"
                            | "manifests"
                            | "ansible"
                            | "group_vars"
                            | "host_vars"
                    )
                })))
}

/// The first deployment file of head that names the variable, if any:
/// there production may set it, so a sink default is a question, not a
/// verdict. Bounded: at most `LIMIT` candidate files are read.
pub(super) fn deployment_sets(
    cx: &crate::families::context::Context,
    var: &str,
    tables: &Tables,
) -> Option<String> {
    const LIMIT: usize = 400;
    use crate::findings::finding::Revision;
    if var.is_empty() {
        return None;
    }
    cx.all_files(Revision::Head)
        .iter()
        .filter(|(p, _)| deployment_file(p, tables))
        .take(LIMIT)
        .find(|(p, _)| {
            cx.lookup(Revision::Head, p)
                .and_then(|f| f.text().map(|t| t.contains(var)))
                .unwrap_or(false)
        })
        .map(|(p, _)| p.clone())
}
