//! Schema-destroying ORM options written in code that runs at start-up:
//! Sequelize's `sequelize.sync({ force: true })` drops every model's table
//! and recreates it empty; TypeORM's `synchronize: true` / `dropSchema:
//! true` in the options of `new DataSource({…})`, `createConnection({…})`
//! or `TypeOrmModule.forRoot({…})` rewrite or drop the schema at every
//! connection.

use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::pipeline::lang::Lang;
use crate::readers::syntax::{named_children, text_of};
use crate::readers::words::words;
use std::ops::Range;
use tree_sitter::Node;

/// Callees whose options object configures TypeORM.
const TYPEORM_CALLEES: &[&str] = &[
    "DataSource",
    "createConnection",
    "createConnections",
    "forRoot",
    "forRootAsync",
];

/// File-name words of code that is run by hand to reset or seed a
/// database, not at start-up.
const ONE_OFF_WORDS: &[&str] = &[
    "seed",
    "seeds",
    "seeder",
    "seeders",
    "reset",
    "migrate",
    "migration",
    "migrations",
    "drop",
    "truncate",
];

#[derive(Debug, Clone)]
struct OrmCall {
    /// `sequelize.sync({ force: true })`, `TypeORM synchronize: true`.
    what: &'static str,
    line: String,
    range: Range<usize>,
}

fn is_true(n: Node, text: &str) -> bool {
    n.kind() == "true" || text_of(n, text) == "true"
}

fn pair_is_true(pair: Node, text: &str, key: &str) -> bool {
    let (Some(k), Some(v)) = (
        pair.child_by_field_name("key"),
        pair.child_by_field_name("value"),
    ) else {
        return false;
    };
    text_of(k, text).trim_matches(['"', '\'']) == key && is_true(v, text)
}

/// Whether an `if` or ternary around `node` limits it to tests or
/// development (`NODE_ENV !== 'production'`, `=== 'test'`).
fn guarded(node: Node, text: &str) -> bool {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if let Some(cond) = n.child_by_field_name("condition") {
            let c = text_of(cond, text).to_ascii_lowercase();
            let w = words(&c);
            let dev = w
                .iter()
                .any(|w| matches!(w.as_str(), "test" | "development" | "dev" | "local"));
            let not_prod = c.contains("production") && c.contains("!=");
            if dev || not_prod {
                return true;
            }
        }
        cur = n.parent();
    }
    false
}

fn last_name(callee: &str) -> &str {
    callee
        .rsplit(['.', ' '])
        .next()
        .unwrap_or(callee)
        .trim_end_matches(|c: char| !c.is_alphanumeric())
}

fn calls(root: Node, text: &str, ormconfig: bool) -> Vec<OrmCall> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        stack.extend(named_children(node));
        let mut push = |what: &'static str, at: Node| {
            if guarded(at, text) {
                return;
            }
            let r = crate::readers::syntax::first_line(at, text);
            out.push(OrmCall {
                what,
                line: text_of(at, text)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                range: r,
            });
        };
        match node.kind() {
            "call_expression" | "new_expression" => {
                let callee = node
                    .child_by_field_name("function")
                    .or_else(|| node.child_by_field_name("constructor"))
                    .map_or("", |c| text_of(c, text));
                let Some(args) = node.child_by_field_name("arguments") else {
                    continue;
                };
                let objects: Vec<Node> = named_children(args)
                    .into_iter()
                    .filter(|a| a.kind() == "object")
                    .collect();
                let name = last_name(callee);
                for obj in objects {
                    for pair in named_children(obj)
                        .into_iter()
                        .filter(|p| p.kind() == "pair")
                    {
                        if name == "sync" && pair_is_true(pair, text, "force") {
                            push("sequelize.sync({ force: true })", node);
                        } else if TYPEORM_CALLEES.contains(&name) {
                            if pair_is_true(pair, text, "dropSchema") {
                                push("TypeORM dropSchema: true", pair);
                            } else if pair_is_true(pair, text, "synchronize") {
                                push("TypeORM synchronize: true", pair);
                            }
                        }
                    }
                }
            }
            // `ormconfig.js`: the exported object is the options.
            "pair" if ormconfig => {
                if pair_is_true(node, text, "dropSchema") {
                    push("TypeORM dropSchema: true", node);
                } else if pair_is_true(node, text, "synchronize") {
                    push("TypeORM synchronize: true", node);
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|c| c.range.start);
    out
}

fn meaning(what: &str) -> &'static str {
    match what {
        "TypeORM dropSchema: true" => "TypeORM drops the whole schema each time this connection is made, so every start deletes all data",
        "TypeORM synchronize: true" => "TypeORM rewrites the schema from the entities at every start: a renamed or removed property drops its column and the data in it, with no migration to review",
        _ => "Sequelize drops the table of every model and recreates it empty each time this runs; in code that runs at start-up, every restart or deploy deletes all data",
    }
}

/// Reads the ORM calls of both sides of a changed code file while their
/// parses are held (the family's `extract`).
pub(super) fn extract(cx: &Context, file: &ChangedFile) {
    for rev in [Revision::Base, Revision::Head] {
        side_calls(cx, file, rev);
    }
}

fn side_calls(cx: &Context, file: &ChangedFile, rev: Revision) -> Option<(Vec<OrmCall>, String)> {
    let (version, lang) = match rev {
        Revision::Base => (file.base.as_ref()?, file.base_lang),
        Revision::Head => (file.head.as_ref()?, file.head_lang),
    };
    if !matches!(lang, Lang::JavaScript | Lang::TypeScript | Lang::Tsx) {
        return None;
    }
    let text = version.text()?;
    if !(text.contains(".sync(") || text.contains("synchronize") || text.contains("dropSchema")) {
        return Some((Vec::new(), String::new()));
    }
    let name = version.path.rsplit('/').next().unwrap_or(&version.path);
    let ormconfig = name.to_ascii_lowercase().starts_with("ormconfig");
    let calls = cx.parse_facts("config.orm_calls", version, lang, |p| {
        calls(p.tree.root_node(), &p.text, ormconfig)
    })?;
    Some((calls, text.to_string()))
}

/// Whether the pre-filter should parse a code file for these calls.
pub(super) fn mentions_orm_switch(text: &str) -> bool {
    (text.contains(".sync(") && text.contains("force"))
        || text.contains("synchronize")
        || text.contains("dropSchema")
}

/// Findings for ORM switches this change adds to start-up code.
pub(super) fn orm_findings(cx: &Context, file: &ChangedFile) -> Vec<Finding> {
    let path = file.path();
    let file_words = words(path.rsplit('/').next().unwrap_or(path));
    if file_words
        .iter()
        .any(|w| ONE_OFF_WORDS.contains(&w.as_str()))
    {
        return Vec::new();
    }
    let Some((head, head_text)) = side_calls(cx, file, Revision::Head) else {
        return Vec::new();
    };
    let base = side_calls(cx, file, Revision::Base).map_or_else(Vec::new, |(c, _)| c);
    let mut out = Vec::new();
    for what in [
        "sequelize.sync({ force: true })",
        "TypeORM dropSchema: true",
        "TypeORM synchronize: true",
    ] {
        let h: Vec<&OrmCall> = head.iter().filter(|c| c.what == what).collect();
        let b: Vec<&OrmCall> = base.iter().filter(|c| c.what == what).collect();
        if h.len() <= b.len() {
            continue;
        }
        // The calls base did not have (by their text); all of head's when
        // every one was reworded.
        let new: Vec<&&OrmCall> = h
            .iter()
            .filter(|c| !b.iter().any(|x| x.line == c.line))
            .collect();
        for c in new.into_iter().take(h.len() - b.len()) {
            let message = format!(
                "`{what}` was added to `{path}`: {}. Keep it behind a test or development condition, or use migrations.",
                meaning(what)
            );
            out.push(
                Finding::new(
                    "config/destructive-enabled",
                    Location {
                        revision: Revision::Head,
                        path: path.to_string(),
                        span: Span::from_bytes(&head_text, c.range.start, c.range.end),
                    },
                    format!("{path} {what}"),
                    message,
                )
                .evidence("call", what.to_string())
                .evidence("before", format!("{} in base", b.len()))
                .evidence("after", format!("{} in head", h.len())),
            );
        }
    }
    out
}
