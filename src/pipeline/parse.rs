//! Parsing with tree-sitter. A parse is keyed by (blob id, language), so
//! the same content is parsed once however many changes, sides or rules
//! look at it, and several threads asking for the same blob wait for one
//! parse instead of doing two.

use super::changes::FileVersion;
use super::lang::Lang;
use super::template;
use git2::Oid;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tree_sitter::{Language, Node, Parser, Tree};

/// A parsed file version.
pub struct Parsed {
    pub lang: Lang,
    /// The file as stored.
    pub text: Arc<str>,
    /// For markup: the text the tree was built from, with template and PHP
    /// code blanked to spaces (same byte offsets as `text`).
    pub masked: Option<String>,
    /// The blanked regions, sorted.
    pub template_regions: Vec<Range<usize>>,
    pub tree: Tree,
}

impl Parsed {
    /// The original text of a node (template code included).
    pub fn text_of(&self, node: Node) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Whether template code touches `range`: a value built by the template.
    pub fn is_templated(&self, range: Range<usize>) -> bool {
        let i = self
            .template_regions
            .partition_point(|r| r.end <= range.start);
        self.template_regions
            .get(i)
            .is_some_and(|r| r.start < range.end)
    }

    pub fn root_has_error(&self) -> bool {
        self.tree.root_node().has_error()
    }

    /// The template regions inside `range`, as original text.
    pub fn template_code_in(&self, range: Range<usize>) -> Vec<&str> {
        let i = self
            .template_regions
            .partition_point(|r| r.end <= range.start);
        self.template_regions[i..]
            .iter()
            .take_while(|r| r.start < range.end)
            .filter_map(|r| self.text.get(r.clone()))
            .collect()
    }
}

/// The grammar a language is parsed with. Markup (templates, PHP) is parsed
/// as HTML once its code is blanked.
pub fn grammar(lang: Lang) -> Option<Language> {
    Some(match lang {
        Lang::Html | Lang::Template | Lang::Blade | Lang::Php | Lang::Vue | Lang::Svelte => {
            tree_sitter_html::LANGUAGE.into()
        }
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Lang::Ruby => tree_sitter_ruby::LANGUAGE.into(),
        Lang::Yaml => tree_sitter_yaml::LANGUAGE.into(),
        Lang::Json => tree_sitter_json::LANGUAGE.into(),
        Lang::Toml => tree_sitter_toml_ng::LANGUAGE.into(),
        Lang::Hcl => tree_sitter_hcl::LANGUAGE.into(),
        Lang::Shell => tree_sitter_bash::LANGUAGE.into(),
        Lang::Ini | Lang::Env | Lang::Unknown => return None,
    })
}

fn parse_with(language: &Language, text: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(language).ok()?;
    parser.parse(text, None)
}

/// The byte ranges of a PHP file that are PHP code rather than HTML: what
/// tree-sitter-php does not call `text`.
fn php_code_regions(text: &str) -> Vec<Range<usize>> {
    let Some(tree) = parse_with(&tree_sitter_php::LANGUAGE_PHP.into(), text) else {
        // No tree: treat the whole file as code, so nothing is misread as HTML.
        return std::iter::once(0..text.len()).collect();
    };
    let mut html: Vec<Range<usize>> = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "text" {
            html.push(node.byte_range());
            continue;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if matches!(node.kind(), "program" | "text_interpolation") || child.child_count() > 0 {
                stack.push(child);
            }
        }
    }
    html.sort_by_key(|r| r.start);
    let mut code = Vec::new();
    let mut pos = 0;
    for r in html {
        if r.start > pos {
            code.push(pos..r.start);
        }
        pos = pos.max(r.end);
    }
    if pos < text.len() {
        code.push(pos..text.len());
    }
    code
}

pub fn parse(text: Arc<str>, lang: Lang) -> Option<Parsed> {
    let language = grammar(lang)?;
    if lang.is_markup() {
        let mut regions = if matches!(lang, Lang::Php | Lang::Blade) {
            php_code_regions(&text)
        } else {
            Vec::new()
        };
        let once = template::blank(&text, &regions);
        regions.extend(template::template_regions(&once, lang));
        regions.sort_by_key(|r| r.start);
        let masked = template::blank(&text, &regions);
        let tree = parse_with(&language, &masked)?;
        return Some(Parsed {
            lang,
            text,
            masked: Some(masked),
            template_regions: regions,
            tree,
        });
    }
    let tree = parse_with(&language, &text)?;
    Some(Parsed {
        lang,
        text,
        masked: None,
        template_regions: Vec::new(),
        tree,
    })
}

type Slot = Arc<OnceLock<Option<Arc<Parsed>>>>;

/// Parses shared by every rule family for one run.
#[derive(Default)]
pub struct ParseCache {
    slots: Mutex<HashMap<(Oid, Lang), Slot>>,
    parses: AtomicUsize,
}

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parse of a file version as `lang`; `None` for skipped files and
    /// languages without a grammar.
    pub fn get(&self, file: &FileVersion, lang: Lang) -> Option<Arc<Parsed>> {
        let text = file.text()?.clone();
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry((file.oid, lang)).or_default().clone()
        };
        slot.get_or_init(|| {
            self.parses.fetch_add(1, Ordering::Relaxed);
            parse(text, lang).map(Arc::new)
        })
        .clone()
    }

    /// How many parses actually ran (not cache hits).
    pub fn parse_count(&self) -> usize {
        self.parses.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::finding::Revision;
    use crate::pipeline::source::Content;
    use rayon::prelude::*;

    fn version(text: &str) -> FileVersion {
        FileVersion {
            revision: Revision::Head,
            path: "a.html".into(),
            oid: Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()).unwrap(),
            content: Content::Text(Arc::from(text)),
            note: None,
        }
    }

    #[test]
    fn same_blob_is_parsed_once() {
        let cache = ParseCache::new();
        let a = version("<form></form>");
        let b = version("<form></form>");
        [&a, &b, &a, &b].par_iter().for_each(|v| {
            cache.get(v, Lang::Html);
        });
        assert_eq!(cache.parse_count(), 1);
        assert!(cache.get(&a, Lang::Html).is_some());
    }

    #[test]
    fn php_code_is_blanked_and_html_kept() {
        let src = "<?php $to = 'x'; ?>\n<form action=\"<?= $url ?>\" method=\"post\"></form>\n<?php if ($a): ?><p>hi</p><?php endif; ?>";
        let parsed = parse(Arc::from(src), Lang::Php).unwrap();
        let masked = parsed.masked.as_deref().unwrap();
        assert!(!masked.contains("$to") && !masked.contains("$url") && !masked.contains("endif"));
        assert!(masked.contains("<form action=\"") && masked.contains("<p>hi</p>"));
        let start = src.find("<?= $url").unwrap();
        assert!(parsed.is_templated(start..start + 3));
        assert!(!parsed.root_has_error());
    }
}
