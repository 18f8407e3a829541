//! Parsing with tree-sitter. A parse is keyed by (blob id, language), so
//! the same content is parsed once however many changes, sides or rules
//! look at it, and several threads asking for the same blob wait for one
//! parse instead of doing two.

use super::changes::FileVersion;
use super::lang::Lang;
use super::template;

mod incremental;
use git2::Oid;
use std::collections::{HashMap, VecDeque};
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

    /// The text the tree was built from: `masked` for markup.
    pub fn input(&self) -> &str {
        self.masked.as_deref().unwrap_or(&self.text)
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
        Lang::Html
        | Lang::Template
        | Lang::Blade
        | Lang::Php
        | Lang::Vue
        | Lang::Svelte
        | Lang::Markdown => tree_sitter_html::LANGUAGE.into(),
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Lang::Ruby => tree_sitter_ruby::LANGUAGE.into(),
        Lang::Haml => tree_sitter_haml::LANGUAGE.into(),
        Lang::Puppet => tree_sitter_puppet::LANGUAGE.into(),
        Lang::Yaml => tree_sitter_yaml::LANGUAGE.into(),
        Lang::Json => tree_sitter_json::LANGUAGE.into(),
        Lang::Toml => tree_sitter_toml_ng::LANGUAGE.into(),
        Lang::Hcl => tree_sitter_hcl::LANGUAGE.into(),
        Lang::Shell => tree_sitter_bash::LANGUAGE.into(),
        Lang::Ini | Lang::Env | Lang::Unknown => return None,
    })
}

/// Progress callbacks tree-sitter may make per byte of input, on top of
/// [`BASE_BUDGET`], before a parse is given up. It calls back once per
/// hundred or so parser operations; ordinary files of every grammar need
/// well under one callback per 10 bytes, error recovery on hostile input
/// (a million invalid YAML lines, 64 KiB of unclosed `<%`) many more. A
/// count of work, not a clock, so every run skips the same files.
const BUDGET_PER_BYTE: usize = 1;
const BASE_BUDGET: usize = 20_000;

/// The clock behind the work budget. Some grammars make each operation
/// cost more as a file nests deeper (tree-sitter-html keeps a stack of
/// open tags: 100,000 nested `<div>` or 64 KiB of `<%` take seconds in a
/// few thousand operations), which no count of operations bounds. Real
/// files parse at a few hundred KiB per 100 ms, so the limit is far above
/// them and only ever stops a pathological file.
const TIME_BASE: std::time::Duration = std::time::Duration::from_millis(500);
const TIME_PER_MIB: std::time::Duration = std::time::Duration::from_millis(1000);

/// Nesting deeper than this (levels of the syntax tree) is skipped with a
/// note for the grammars whose readers walk trees recursively
/// (configuration formats, Ruby routes): no real file comes near it, and
/// a hostile one must not overflow a stack.
pub const MAX_TREE_DEPTH: usize = 400;

/// Block structure deeper than this in a YAML file is never handed to
/// tree-sitter-yaml, whose scanner aborts the process (a C assertion, not
/// a Rust panic) on block mappings nested about 255 levels.
pub const MAX_YAML_NESTING: usize = 100;

/// Why a file version was not parsed: the note the report shows.
pub type Skip = String;

/// Parses `text` as `language` within a work budget: `Err` with the note
/// to show when the parser runs out of it.
pub fn parse_bounded(language: &Language, text: &str) -> Result<Tree, Skip> {
    parse_bounded_from(language, text, None)
}

/// [`parse_bounded`], reusing `old` (a tree of an earlier text, already
/// edited to this one's coordinates): tree-sitter then re-parses only what
/// the edits touched.
fn parse_bounded_from(language: &Language, text: &str, old: Option<&Tree>) -> Result<Tree, Skip> {
    let mut parser = Parser::new();
    parser
        .set_language(language)
        .map_err(|e| format!("skipped: grammar cannot be loaded ({e})"))?;
    let budget = BASE_BUDGET + text.len() * BUDGET_PER_BYTE;
    let deadline = std::time::Instant::now()
        + TIME_BASE
        + TIME_PER_MIB.mul_f64(text.len() as f64 / (1024.0 * 1024.0));
    let mut calls = 0usize;
    let mut over_budget = |_: &tree_sitter::ParseState| {
        calls += 1;
        calls > budget || std::time::Instant::now() > deadline
    };
    let bytes = text.as_bytes();
    let tree = parser.parse_with_options(
        &mut |i, _| bytes.get(i..).unwrap_or_default(),
        old,
        Some(tree_sitter::ParseOptions::new().progress_callback(&mut over_budget)),
    );
    tree.ok_or_else(|| TOO_COSTLY.to_string())
}

/// The note of a parse that ran out of its budget.
pub const TOO_COSTLY: &str =
    "skipped: too costly to parse (the parser's work budget for a file of this size ran out)";

/// The note of a head version not parsed because its base, about as
/// large, ran out of the budget: it would only run out again.
pub const TOO_COSTLY_AS_BASE: &str =
    "skipped: too costly to parse (its base version, about as large, ran out of the parser's work budget)";

/// The depth of a tree, counted without recursion and given up past `limit`.
pub fn tree_depth(tree: &Tree, limit: usize) -> usize {
    let mut cursor = tree.walk();
    let (mut depth, mut max) = (0usize, 0usize);
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            max = max.max(depth);
            if max > limit {
                return max;
            }
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return max;
            }
            depth -= 1;
        }
    }
}

/// How deep the block structure of a YAML text nests, by indentation and
/// `- ` item markers, given up past `limit`. Cheap: one pass over the bytes.
pub fn yaml_nesting(text: &str, limit: usize) -> usize {
    let mut indents: Vec<usize> = Vec::new();
    let mut max = 0;
    for line in text.lines() {
        let b = line.as_bytes();
        let mut col = b.iter().take_while(|&&c| c == b' ').count();
        let rest = line[col..].trim_end();
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        // Each level this line opens: its indentation, then one per `- `.
        let mut levels = vec![col];
        let mut r = rest.as_bytes();
        while r.len() >= 2 && r[0] == b'-' && r[1] == b' ' {
            let spaces = r[1..].iter().take_while(|&&c| c == b' ').count();
            col += 1 + spaces;
            r = &r[1 + spaces..];
            levels.push(col);
        }
        while indents.last().is_some_and(|&top| top >= levels[0]) {
            indents.pop();
        }
        indents.extend(levels);
        max = max.max(indents.len());
        if max > limit {
            return max;
        }
        // Flow collections nest too: `[[[[…` on one line.
        let flow = r.iter().filter(|&&c| c == b'[' || c == b'{').count();
        if indents.len() + flow > limit {
            return indents.len() + flow;
        }
    }
    max
}

/// Bracket nesting of JSON at which its tree may reach [`MAX_TREE_DEPTH`]:
/// each level is at most two tree levels, plus a document and a string.
const JSON_SHALLOW: usize = (MAX_TREE_DEPTH - 4) / 2;

/// How deep `[` and `{` nest in a JSON text outside its strings, given up
/// past `limit`. One pass over the bytes.
fn json_nesting(text: &str, limit: usize) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
                if max > limit {
                    return max;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// What stops a file version from being parsed before the parser runs, or
/// after, from being read by the recursive readers.
fn too_deep_before(lang: Lang, text: &str) -> Option<Skip> {
    (lang == Lang::Yaml && yaml_nesting(text, MAX_YAML_NESTING) > MAX_YAML_NESTING)
        .then(|| format!("skipped: YAML nested more than {MAX_YAML_NESTING} levels deep"))
}

fn too_deep_after(lang: Lang, tree: &Tree, text: &str) -> Option<Skip> {
    let walked_recursively = matches!(
        lang,
        Lang::Yaml | Lang::Json | Lang::Toml | Lang::Hcl | Lang::Ruby
    );
    // JSON nests only through brackets, two tree levels for each (an
    // object and its pair): a text of few cannot make a deep tree, and
    // counting them is cheaper than walking every node (an added 760 KB
    // JSON file, 3% of healthchecks' 1,500 commits). Error recovery may
    // build otherwise: a tree with errors is walked.
    let shallow_json = lang == Lang::Json
        && !tree.root_node().has_error()
        && json_nesting(text, JSON_SHALLOW) <= JSON_SHALLOW;
    (walked_recursively && !shallow_json && tree_depth(tree, MAX_TREE_DEPTH) > MAX_TREE_DEPTH)
        .then(|| format!("skipped: nested more than {MAX_TREE_DEPTH} syntax levels deep"))
}

/// The byte ranges of a PHP file that are PHP code rather than HTML: what
/// tree-sitter-php does not call `text`.
fn php_code_regions(text: &str) -> Result<Vec<Range<usize>>, Skip> {
    let tree = parse_bounded(&tree_sitter_php::LANGUAGE_PHP.into(), text)?;
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
    Ok(code)
}

pub fn parse(text: Arc<str>, lang: Lang) -> Option<Parsed> {
    parse_or_skip(text, lang).ok().flatten()
}

/// A parse, `Ok(None)` for languages without a grammar, or why the file
/// was skipped.
pub fn parse_or_skip(text: Arc<str>, lang: Lang) -> Result<Option<Parsed>, Skip> {
    parse_or_skip_from(text, lang, None)
}

/// [`parse_or_skip`], given the parse of the other side of the same change
/// (`earlier`): its tree is edited to this text and reused, so a head
/// version costs about what its change costs, not what the file costs.
pub fn parse_or_skip_from(
    text: Arc<str>,
    lang: Lang,
    earlier: Option<&Parsed>,
) -> Result<Option<Parsed>, Skip> {
    let Some(language) = grammar(lang) else {
        return Ok(None);
    };
    if let Some(why) = too_deep_before(lang, &text) {
        return Err(why);
    }
    // Bundles and generated scripts are not what a change broke, and
    // cost the most to parse and hold (a 2 MiB one-line bundle: 400 MB).
    if matches!(lang, Lang::JavaScript | Lang::TypeScript | Lang::Tsx) {
        if let Some(why) = super::source::generated_reason(&text) {
            return Err(why);
        }
    }
    if lang == Lang::Json {
        if let Some(why) = super::source::minified_data_reason(&text) {
            return Err(why);
        }
    }
    let earlier = earlier.filter(|e| e.lang == lang);
    let reused = |input: &str| earlier.map(|e| incremental::edited_tree(e.input(), input, &e.tree));
    if lang.is_markup() {
        let mut regions = match lang {
            Lang::Php | Lang::Blade => php_code_regions(&text)?,
            Lang::Markdown => super::markdown::not_html(&text)?,
            _ => Vec::new(),
        };
        let once = template::blank(&text, &regions);
        regions.extend(template::template_regions(&once, lang));
        regions.sort_by_key(|r| r.start);
        let masked = template::blank(&text, &regions);
        let tree = parse_bounded_from(&language, &masked, reused(&masked).as_ref())?;
        return Ok(Some(Parsed {
            lang,
            text,
            masked: Some(masked),
            template_regions: regions,
            tree,
        }));
    }
    let tree = parse_bounded_from(&language, &text, reused(&text).as_ref())?;
    if let Some(why) = too_deep_after(lang, &tree, &text) {
        return Err(why);
    }
    Ok(Some(Parsed {
        lang,
        text,
        masked: None,
        template_regions: Vec::new(),
        tree,
    }))
}

/// [`parse_or_skip`] for a YAML file written as a Jinja template
/// (`lang::is_jinja_yaml`): `{{ … }}`, `{% … %}` and `{# … #}` are blanked
/// (lengths and lines kept) before the YAML parse, as template syntax is
/// for markup.
pub fn parse_jinja_yaml(text: Arc<str>) -> Result<Option<Parsed>, Skip> {
    let regions = template::template_regions(&text, Lang::Template);
    let masked = template::blank(&text, &regions);
    let Some(mut parsed) = parse_or_skip(Arc::from(masked.as_str()), Lang::Yaml)? else {
        return Ok(None);
    };
    parsed.text = text;
    parsed.masked = Some(masked);
    parsed.template_regions = regions;
    Ok(Some(parsed))
}

type Slot = Arc<OnceLock<Result<Arc<Parsed>, Option<Skip>>>>;

/// A parse's blob, language, and whether its template syntax is blanked.
type Key = (Oid, Lang, bool);

fn key_of(file: &FileVersion, lang: Lang) -> Key {
    let jinja = lang == Lang::Yaml && super::lang::is_jinja_yaml(&file.path);
    (file.oid, lang, jinja)
}

/// How many unkept parses [`ParseCache`] remembers.
const RECENT: usize = 8;

/// Parses shared by every rule family for one run.
#[derive(Default)]
pub struct ParseCache {
    /// By blob, language, and whether its template syntax is blanked (the
    /// same blob as `x.yaml` and as `x.yaml.j2`).
    slots: Mutex<HashMap<Key, Slot>>,
    /// The last few parses [`ParseCache::get_unkept`] made: two kinds of
    /// facts read of one version in a row (a component's forms, then its
    /// routes) parse it once, and what is kept stays bounded.
    recent: Mutex<VecDeque<(Key, Slot)>>,
    /// How many jobs still ask for each tree ([`ParseCache::expect`]).
    pending: Mutex<HashMap<Key, usize>>,
    parses: AtomicUsize,
}

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parse of a file version as `lang`; `None` for skipped files and
    /// languages without a grammar.
    pub fn get(&self, file: &FileVersion, lang: Lang) -> Option<Arc<Parsed>> {
        self.outcome(file, lang)?.ok()
    }

    /// Why a file version could not be parsed as `lang` (too deep, too
    /// costly), if it could not; `None` when it parsed or needs no parse.
    /// Asked after the parse, it parses nothing.
    pub fn skipped(&self, file: &FileVersion, lang: Lang) -> Option<Skip> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = slots.get(&key_of(file, lang))?.get()?;
        outcome.as_ref().err().cloned().flatten()
    }

    /// The parse of `file` as `lang`, reusing the tree of `earlier` (the
    /// other side of the same change) when it has one: what the parsing
    /// stage calls for a head version after its base.
    pub fn get_after(
        &self,
        file: &FileVersion,
        lang: Lang,
        earlier: Option<&Arc<Parsed>>,
    ) -> Option<Arc<Parsed>> {
        self.outcome_from(file, lang, earlier)?.ok()
    }

    fn outcome(&self, file: &FileVersion, lang: Lang) -> Option<Result<Arc<Parsed>, Option<Skip>>> {
        self.outcome_from(file, lang, None)
    }

    fn outcome_from(
        &self,
        file: &FileVersion,
        lang: Lang,
        earlier: Option<&Arc<Parsed>>,
    ) -> Option<Result<Arc<Parsed>, Option<Skip>>> {
        let text = file.text()?.clone();
        let key = key_of(file, lang);
        let jinja = key.2;
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(key).or_default().clone()
        };
        Some(
            slot.get_or_init(|| {
                self.parses.fetch_add(1, Ordering::Relaxed);
                let parsed = if jinja {
                    parse_jinja_yaml(text)
                } else {
                    parse_or_skip_from(text, lang, earlier.map(|e| &**e))
                };
                match parsed {
                    Ok(Some(p)) => Ok(Arc::new(p)),
                    Ok(None) => Err(None),
                    Err(why) => Err(Some(why)),
                }
            })
            .clone(),
        )
    }

    /// Records that `file` is not parsed as `lang`, and why, unless it
    /// was already.
    pub fn skip_as(&self, file: &FileVersion, lang: Lang, why: Skip) {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(key_of(file, lang)).or_default().clone()
        };
        let _ = slot.set(Err(Some(why)));
    }

    /// The parse of a file version as `lang` if the cache holds it now;
    /// never parses.
    pub fn held(&self, file: &FileVersion, lang: Lang) -> Option<Result<Arc<Parsed>, ()>> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = slots.get(&key_of(file, lang))?.get()?;
        Some(outcome.clone().map_err(|_| ()))
    }

    /// The parse of a file version as `lang` for facts that are kept
    /// apart ([`Context::facts`](crate::families::context::Context::facts)):
    /// the cached tree while there is one, else a parse that is not kept.
    pub fn get_unkept(&self, file: &FileVersion, lang: Lang) -> Option<Arc<Parsed>> {
        let key = key_of(file, lang);
        let jinja = key.2;
        let slot = {
            let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.get(&key).cloned()
        };
        if let Some(outcome) = slot.as_ref().and_then(|s| s.get()) {
            return outcome.clone().ok();
        }
        let text = file.text()?.clone();
        // Two workers asking at once wait for one parse, as in `slots`.
        let slot = {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            match recent.iter().find(|(k, _)| *k == key) {
                Some((_, slot)) => slot.clone(),
                None => {
                    if recent.len() == RECENT {
                        recent.pop_front();
                    }
                    let slot = Slot::default();
                    recent.push_back((key, slot.clone()));
                    slot
                }
            }
        };
        slot.get_or_init(|| {
            self.parses.fetch_add(1, Ordering::Relaxed);
            let parsed = if jinja {
                parse_jinja_yaml(text)
            } else {
                parse_or_skip_from(text, lang, None)
            };
            parsed
                .map_err(Some)
                .and_then(|p| p.map(Arc::new).ok_or(None))
        })
        .clone()
        .ok()
    }

    /// Says that a job will ask for a file version's tree: it is kept
    /// until every job that said so has [released](ParseCache::release)
    /// it (two files with one blob are parsed once).
    pub fn expect(&self, file: &FileVersion, lang: Lang) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        *pending.entry(key_of(file, lang)).or_default() += 1;
    }

    /// Drops the tree of a file version once the families have read what
    /// they need of it (`Analyzer::extract`) for the last job that
    /// [expected](ParseCache::expect) it: a range of 2,000 files held every
    /// tree to the end (485 of saleor's 546 MB). Why a version was skipped
    /// is kept; a later ask parses it again.
    pub fn release(&self, file: &FileVersion, lang: Lang) {
        let key = key_of(file, lang);
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            match pending.get_mut(&key) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    return;
                }
                _ => pending.remove(&key),
            };
        }
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots
            .get(&key)
            .is_some_and(|s| matches!(s.get(), Some(Ok(_))))
        {
            slots.remove(&key);
        }
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

    #[test]
    fn a_jinja_yaml_template_parses_as_yaml_with_its_syntax_blanked() {
        let text = "storage:\n  files:\n    - path: /etc/{{ name }}.conf\n{% if tz %}\n  links: []\n{% endif %}\n";
        let parsed = parse_jinja_yaml(Arc::from(text)).unwrap().unwrap();
        assert!(!parsed.tree.root_node().has_error());
        assert_eq!(
            parsed.text.as_ref(),
            text,
            "the text shown is the template's"
        );
        assert_eq!(parsed.input().len(), text.len());
        assert!(!parsed.input().contains("{%"));
    }

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
    fn a_tree_expected_twice_is_kept_until_both_release_it() {
        let cache = ParseCache::new();
        let v = version("a: 1\n");
        cache.expect(&v, Lang::Yaml);
        cache.expect(&v, Lang::Yaml);
        assert!(cache.get(&v, Lang::Yaml).is_some());
        cache.release(&v, Lang::Yaml);
        assert!(cache.get(&v, Lang::Yaml).is_some());
        assert_eq!(cache.parse_count(), 1);
        cache.release(&v, Lang::Yaml);
        assert!(cache.get(&v, Lang::Yaml).is_some());
        assert_eq!(cache.parse_count(), 2);
    }

    #[test]
    fn a_released_tree_is_parsed_again_and_a_skip_is_kept() {
        let cache = ParseCache::new();
        let v = version("a: 1\n");
        assert!(cache.get(&v, Lang::Yaml).is_some());
        cache.release(&v, Lang::Yaml);
        assert!(cache.get(&v, Lang::Yaml).is_some());
        assert_eq!(cache.parse_count(), 2);
        let w = version("b: 2\n");
        cache.skip_as(&w, Lang::Yaml, "too costly".to_string());
        cache.release(&w, Lang::Yaml);
        assert_eq!(cache.skipped(&w, Lang::Yaml).as_deref(), Some("too costly"));
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

    #[test]
    fn yaml_nesting_counts_indentation_and_item_markers() {
        assert_eq!(
            yaml_nesting("a: 1\nb:\n  c: 2\n  d:\n    e: 3\nf: 4\n", 100),
            3
        );
        assert_eq!(yaml_nesting("- - - a\n", 100), 4);
        assert_eq!(yaml_nesting("# comment\n\nx: [[[[1]]]]\n", 100), 1);
        assert!(yaml_nesting(&format!("x: {}\n", "[".repeat(500)), 100) > 100);
        let deep: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(yaml_nesting(&deep, 100) > 100);
    }

    #[test]
    fn json_nesting_counts_brackets_outside_strings() {
        assert_eq!(
            json_nesting(r#"{"a": [1, {"b": "[[{"}], "c\"[": 2}"#, 10),
            3
        );
        assert_eq!(json_nesting("[]", 10), 1);
        assert_eq!(json_nesting("", 10), 0);
        // Given up past the limit.
        assert_eq!(json_nesting(&"[".repeat(50), 10), 11);
        // Objects as deep as the shortcut allows parse; deeper ones are
        // walked and skipped as before.
        let objects = |n: usize| format!("{}1{}", "{\"k\": ".repeat(n), "}".repeat(n));
        let parsed = parse_or_skip(Arc::from(objects(JSON_SHALLOW).as_str()), Lang::Json);
        let tree = &parsed.ok().flatten().expect("parsed").tree;
        assert!(tree_depth(tree, MAX_TREE_DEPTH) <= MAX_TREE_DEPTH);
        let why = parse_or_skip(Arc::from(objects(250).as_str()), Lang::Json).err();
        assert!(why.is_some_and(|w| w.contains("nested")));
    }

    #[test]
    fn deep_trees_are_skipped_for_recursive_readers_only() {
        let json = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
        let why = parse_or_skip(Arc::from(json.as_str()), Lang::Json).err();
        assert!(why.is_some_and(|w| w.contains("nested")));
        let js = format!("x = {}1{};", "[".repeat(1000), "]".repeat(1000));
        assert!(parse_or_skip(Arc::from(js.as_str()), Lang::JavaScript).is_ok());
        let yaml: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let why = parse_or_skip(Arc::from(yaml.as_str()), Lang::Yaml).err();
        assert!(why.is_some_and(|w| w.contains("YAML nested")));
    }

    #[test]
    fn a_parse_that_runs_out_of_budget_is_skipped_with_a_reason() {
        // tree-sitter-html spends seconds on 64 KiB of unclosed `<%`.
        let text = "<%".repeat(32_000);
        let why = parse_or_skip(Arc::from(text.as_str()), Lang::Html).err();
        assert!(why.is_some_and(|w| w.contains("too costly")));
        let cache = ParseCache::new();
        let v = version(&text);
        assert!(cache.get(&v, Lang::Html).is_none());
        assert!(cache.skipped(&v, Lang::Html).is_some());
    }
}
