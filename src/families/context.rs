//! The seam between the pipeline and the rule families: what an analyzer
//! is given (the changed files, their parses, both sides of the
//! repository) and what it must answer.

use crate::findings::finding::{Finding, Revision};
use crate::pipeline::changes::{Change, FileVersion, LineChanges, SideReader, SideSource};
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::{ParseCache, Parsed};
use crate::settings::Config;
use git2::Oid;
use rayon::prelude::*;
use std::sync::{Arc, Mutex, OnceLock};

/// A rule family's analyzer. It extracts facts from both sides of the
/// changed files and compares them; it knows nothing of output formats.
pub trait Analyzer: Send + Sync {
    /// Whether a file can matter at all, by its path and the language its
    /// name implies (`Unknown` for names such as `main.cf` or `aliases`,
    /// which a family may still claim by path). Files no family reads are
    /// never read from the repository.
    fn reads(&self, path: &str, lang: Lang) -> bool;

    /// A cheap byte-level pre-filter on one file version: could it matter?
    /// Only files some family wants are parsed.
    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool;

    /// Whether a change can matter, judged from the lines it touched
    /// ([`ChangedFile::any_touched_line`]) or from which sides the file
    /// has: a family that reads a few shapes out of large code files says
    /// no when no touched line can make or unmake one, or when it compares
    /// only files both sides hold, and the file is not parsed for it.
    /// Asked only for files it [`wants`](Analyzer::wants).
    fn wants_change(&self, _file: &ChangedFile) -> bool {
        true
    }

    /// Whether the family reads a file's base only when its `check` asks:
    /// the parse stage then parses the heads it wants and none of their
    /// bases (a base another family wants is still parsed, and read by
    /// `extract` while it is held). batch compares a base only with a head
    /// that sends unsafely, which few changes have.
    fn reads_base_on_demand(&self) -> bool {
        false
    }

    /// Reads what [`check`](Analyzer::check) will need of one changed
    /// file's parses while they are held, into [`Context::facts`]: called
    /// on a worker right after the file is parsed, for every family (one
    /// may read a file another wanted); the trees are dropped once all
    /// have read them. Only the trees the parse stage made are read here
    /// ([`Context::parsed_for_facts`] parses nothing while extracting):
    /// what is left out is read by `check` as it asks.
    fn extract(&self, _cx: &Context, _file: &ChangedFile) {}

    fn check(&self, cx: &Context) -> Vec<Finding>;
}

/// How a family is declared: its embedded rule file and a constructor that
/// receives the tables (built-in merged with the repository's extensions).
pub struct FamilyDef {
    pub name: &'static str,
    pub rules: &'static str,
    pub build: fn(&toml::Table) -> Result<Box<dyn Analyzer>, String>,
}

/// A family's pattern tables, read into its own (strict) struct.
pub fn read_tables<T: serde::de::DeserializeOwned>(
    family: &str,
    tables: &toml::Table,
) -> Result<T, String> {
    toml::Value::Table(tables.clone())
        .try_into()
        .map_err(|e| format!("{family} tables: {e}"))
}

/// A changed file with both sides read.
pub struct ChangedFile {
    pub change: Change,
    pub base: Option<FileVersion>,
    pub head: Option<FileVersion>,
    pub base_lang: Lang,
    pub head_lang: Lang,
    line_changes: OnceLock<LineChanges>,
    /// Answers families gave about this file, by tag (see `remember`).
    answers: Mutex<Vec<(&'static str, bool)>>,
}

impl ChangedFile {
    pub fn new(
        change: Change,
        base: Option<FileVersion>,
        head: Option<FileVersion>,
        base_lang: Lang,
        head_lang: Lang,
    ) -> Self {
        ChangedFile {
            change,
            base,
            head,
            base_lang,
            head_lang,
            line_changes: OnceLock::new(),
            answers: Mutex::new(Vec::new()),
        }
    }

    /// `answer()`, worked out on the first ask of `tag` and remembered:
    /// for a family's questions about the change that the pre-filter, the
    /// extract and the check each ask again (batch's scan of the touched
    /// lines for loops was a tenth of saleor's 800 commits, five times
    /// over). A tag is one family's question; two must not share one.
    pub fn remember(&self, tag: &'static str, answer: impl FnOnce() -> bool) -> bool {
        let known = |answers: &Vec<(&'static str, bool)>| {
            answers.iter().find(|(t, _)| *t == tag).map(|&(_, a)| a)
        };
        if let Some(a) = known(&self.answers.lock().unwrap_or_else(|p| p.into_inner())) {
            return a;
        }
        // Worked out unlocked: an answer may ask another (`line_changes`
        // is a `OnceLock` of its own), and two threads at worst compute
        // the same answer twice.
        let a = answer();
        let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        if known(&answers).is_none() {
            answers.push((tag, a));
        }
        a
    }

    pub fn path(&self) -> &str {
        self.change.path()
    }

    /// Whether `pred` holds for a line this change touched on either side;
    /// for a file only one side has, for any of its lines. What a family
    /// asks before it parses a large file for a few shapes.
    pub fn any_touched_line(&self, mut pred: impl FnMut(&str) -> bool) -> bool {
        let text = |v: &Option<FileVersion>| v.as_ref().and_then(|v| v.text()).cloned();
        let (base, head) = (text(&self.base), text(&self.head));
        let (Some(base), Some(head)) = (base.as_ref(), head.as_ref()) else {
            return base.or(head).is_some_and(|t| t.lines().any(pred));
        };
        let changes = self.line_changes();
        touched_lines(base, &changes.base).any(&mut pred)
            || touched_lines(head, &changes.head).any(&mut pred)
    }

    /// The lines the change touched on each side, computed on first use.
    pub fn line_changes(&self) -> &LineChanges {
        self.line_changes.get_or_init(|| {
            let base = self.base.as_ref().and_then(|v| v.text()).map_or("", |t| t);
            let head = self.head.as_ref().and_then(|v| v.text()).map_or("", |t| t);
            LineChanges::between(base, head)
        })
    }
}

/// The lines of `text` in `ranges` (1-based line numbers, sorted).
pub fn touched_lines<'t>(
    text: &'t str,
    ranges: &'t [std::ops::Range<usize>],
) -> impl Iterator<Item = &'t str> + 't {
    let mut i = 0;
    text.lines()
        .zip(1..)
        .map_while(move |(line, n)| {
            while ranges.get(i).is_some_and(|r| r.end <= n) {
                i += 1;
            }
            Some((ranges.get(i)?.start <= n).then_some(line))
        })
        .flatten()
}

/// Every regular file of a side: (path, blob id).
pub type Listing = Arc<Vec<(String, Oid)>>;

/// What an analyzer sees of one run.
pub struct Context<'a> {
    pub files: &'a [ChangedFile],
    pub cache: &'a ParseCache,
    pub config: &'a Config,
    sources: [SideSource; 2],
    base: Mutex<SideReader>,
    head: Mutex<SideReader>,
    listings: [OnceLock<Listing>; 2],
    /// Each side's files of each [`FileGroup`], read at most once per run.
    groups: [[OnceLock<Arc<Vec<FileVersion>>>; 4]; 2],
    /// Answers of [`Context::exists`]: 20,000 forms posting to one handler
    /// asked the tree the same question 20,000 times.
    known: [Mutex<std::collections::HashMap<String, bool>>; 2],
    /// Key paths of configuration blobs, read once however many families
    /// ask (config, backup and durability all read a changed file).
    config_keys: Mutex<std::collections::HashMap<(Oid, Lang), ConfigKeys>>,
    /// What families read of a file version's parse ([`Context::facts`]),
    /// kept for the run once its tree is dropped.
    facts: Mutex<std::collections::HashMap<FactKey, FactSlot>>,
}

/// A family's tag for one kind of fact, the version's path, blob and
/// language.
type FactKey = (&'static str, String, Oid, Lang);
type FactSlot = Arc<OnceLock<Arc<dyn std::any::Any + Send + Sync>>>;

thread_local! {
    /// Set while a worker runs [`Analyzer::extract`].
    static EXTRACTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Set when a parse was refused while extracting.
    static REFUSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A configuration blob's entries, shared by the families that read it.
pub type ConfigKeys = Option<Arc<Vec<crate::readers::keypath::ConfigEntry>>>;

/// The kinds of head files that cross-file lookups read beyond the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileGroup {
    /// HTML, templates, the HTML parts of PHP, and Haml.
    Markup,
    /// Python and PHP, where views render templates and read POST.
    ServerCode,
    /// JavaScript and TypeScript, where scripts submit forms.
    Script,
    /// Every language that renders, includes or imports a template or
    /// component: Python, PHP, Ruby, JavaScript and TypeScript.
    Code,
}

impl FileGroup {
    fn holds(self, lang: Lang) -> bool {
        match self {
            FileGroup::Markup => lang.is_markup() || lang == Lang::Haml,
            FileGroup::ServerCode => matches!(lang, Lang::Python | Lang::Php),
            FileGroup::Script => matches!(lang, Lang::JavaScript | Lang::TypeScript | Lang::Tsx),
            FileGroup::Code => matches!(
                lang,
                Lang::Python
                    | Lang::Php
                    | Lang::Ruby
                    | Lang::JavaScript
                    | Lang::TypeScript
                    | Lang::Tsx
            ),
        }
    }
}

impl<'a> Context<'a> {
    pub fn new(
        files: &'a [ChangedFile],
        cache: &'a ParseCache,
        config: &'a Config,
        base: SideSource,
        head: SideSource,
    ) -> crate::error::Result<Self> {
        Ok(Context {
            files,
            cache,
            config,
            base: Mutex::new(base.open()?),
            head: Mutex::new(head.open()?),
            sources: [base, head],
            listings: [OnceLock::new(), OnceLock::new()],
            groups: Default::default(),
            known: Default::default(),
            config_keys: Default::default(),
            facts: Default::default(),
        })
    }

    fn reader(&self, rev: Revision) -> std::sync::MutexGuard<'_, SideReader> {
        let m = match rev {
            Revision::Base => &self.base,
            Revision::Head => &self.head,
        };
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the repository's configuration excludes a path.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.config.is_excluded(path)
    }

    pub fn parsed(&self, file: &FileVersion, lang: Lang) -> Option<Arc<Parsed>> {
        self.cache.get(file, lang)
    }

    /// The parse to read [`Context::facts`] from: the run's tree while it
    /// is held, else a parse that is dropped once read (the facts are
    /// what is kept).
    pub fn parsed_for_facts(&self, file: &FileVersion, lang: Lang) -> Option<Arc<Parsed>> {
        if !EXTRACTING.get() {
            return self.cache.get_unkept(file, lang);
        }
        // While extracting, only the trees the parse stage holds are read:
        // what they do not cover is read by `check`, as it asks.
        match self.cache.held(file, lang) {
            Some(outcome) => outcome.ok(),
            None => {
                REFUSED.set(true);
                None
            }
        }
    }

    /// Runs a family's [`Analyzer::extract`]: facts are read only from
    /// the trees the parse stage holds, and none is kept that a refused
    /// parse left out.
    pub fn extracting(&self, extract: impl FnOnce()) {
        /// Clears the flag however `extract` ends.
        struct Extracting;
        impl Drop for Extracting {
            fn drop(&mut self) {
                EXTRACTING.set(false);
            }
        }
        EXTRACTING.set(true);
        let _on = Extracting;
        extract();
    }

    /// `read()`, and whether it was cut short by a parse refused while
    /// extracting (then its answer is not kept).
    fn read_unless_refused<T>(read: impl FnOnce() -> T) -> (T, bool) {
        let outer = REFUSED.replace(false);
        let value = read();
        (value, REFUSED.replace(outer))
    }

    /// Whether `path` (a file or directory) exists on a side.
    pub fn exists(&self, rev: Revision, path: &str) -> bool {
        let known = &self.known[rev as usize];
        if let Some(&answer) = known.lock().unwrap_or_else(|p| p.into_inner()).get(path) {
            return answer;
        }
        let answer = self.reader(rev).exists(path);
        known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_string(), answer);
        answer
    }

    /// The key paths of a configuration file version, computed once per
    /// blob (`None` when it has none: not configuration, or unparsable).
    pub fn config_keys(&self, version: &FileVersion, lang: Lang) -> ConfigKeys {
        let key = (version.oid, lang);
        let cached = self
            .config_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some(keys) = cached {
            return keys;
        }
        use crate::readers::keypath;
        let (keys, refused) = Self::read_unless_refused(|| {
            match lang {
                Lang::Env | Lang::Ini => keypath::entries(lang, version.text()?, None),
                _ => self
                    .parsed_for_facts(version, lang)
                    .and_then(|p| keypath::entries(lang, &p.text, Some(&p.tree))),
            }
            .map(Arc::new)
        });
        if !refused {
            self.config_keys
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, keys.clone());
        }
        keys
    }

    /// What `read` makes of a file version (a family's facts of its
    /// parse), computed once per run and kept after the version's tree is
    /// dropped: [`Analyzer::extract`] fills it while the tree is held and
    /// `check` finds it here. `tag` names the kind of fact; one tag holds
    /// one type.
    pub fn facts<T: std::any::Any + Send + Sync>(
        &self,
        tag: &'static str,
        version: &FileVersion,
        lang: Lang,
        read: impl FnOnce() -> T,
    ) -> Arc<T> {
        let slot = {
            let mut facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
            facts
                .entry((tag, version.path.clone(), version.oid, lang))
                .or_default()
                .clone()
        };
        if let Some(kept) = slot.get() {
            // A tag reused for another type is computed, not kept.
            return kept
                .clone()
                .downcast::<T>()
                .unwrap_or_else(|_| Arc::new(read()));
        }
        let (value, refused) = Self::read_unless_refused(read);
        let value = Arc::new(value);
        if !refused {
            let _ = slot.set(value.clone());
        }
        value
    }

    /// [`Context::facts`] read from a version's parse: `None` when it has
    /// none (no grammar, or skipped).
    pub fn parse_facts<T: Clone + std::any::Any + Send + Sync>(
        &self,
        tag: &'static str,
        version: &FileVersion,
        lang: Lang,
        read: impl FnOnce(&Parsed) -> T,
    ) -> Option<T> {
        let facts = self.facts(tag, version, lang, || {
            self.parsed_for_facts(version, lang).map(|p| read(&p))
        });
        (*facts).clone()
    }

    /// Reads the key paths of both sides of a changed configuration file
    /// into [`Context::config_keys`]: what the families that read
    /// configuration do in [`Analyzer::extract`].
    pub fn extract_config_keys(&self, file: &ChangedFile) {
        for (version, lang) in [(&file.base, file.base_lang), (&file.head, file.head_lang)] {
            if let Some(version) = version
                .as_ref()
                .filter(|_| crate::readers::keypath::is_config(lang))
            {
                self.config_keys(version, lang);
            }
        }
    }

    /// Reads `path` on a side, if it is a regular file there.
    pub fn lookup(&self, rev: Revision, path: &str) -> Option<FileVersion> {
        self.reader(rev).lookup(path)
    }

    /// Every regular file on a side, listed once per run.
    pub fn all_files(&self, rev: Revision) -> Arc<Vec<(String, Oid)>> {
        let slot = &self.listings[rev as usize];
        slot.get_or_init(|| Arc::new(self.reader(rev).all_files()))
            .clone()
    }

    /// Every file of head in `group`, outside excluded paths: read once per
    /// run however many findings look into it.
    pub fn head_files(&self, group: FileGroup) -> Arc<Vec<FileVersion>> {
        self.side_files(Revision::Head, group)
    }

    /// Every file of a side in `group`, outside excluded paths, read once
    /// per run.
    pub fn side_files(&self, rev: Revision, group: FileGroup) -> Arc<Vec<FileVersion>> {
        self.groups[rev as usize][group as usize]
            .get_or_init(|| {
                let listing = self.all_files(rev);
                let items: Vec<(String, Oid)> = listing
                    .iter()
                    .filter(|(p, _)| {
                        group.holds(crate::pipeline::lang::detect(p)) && !self.is_excluded(p)
                    })
                    .cloned()
                    .collect();
                Arc::new(self.read_listed(rev, &items))
            })
            .clone()
    }

    /// Calls `visit` with every file of a side in `group`: the files read
    /// for the run when some lookup already read them, else read a batch
    /// at a time and dropped after the visit, so a lookup that only scans
    /// (a route name in every template) does not hold the group in memory.
    pub fn for_each_file(
        &self,
        rev: Revision,
        group: FileGroup,
        mut visit: impl FnMut(&FileVersion),
    ) {
        if let Some(read) = self.groups[rev as usize][group as usize].get() {
            read.iter().for_each(visit);
            return;
        }
        const BATCH: usize = 256;
        let items: Vec<(String, Oid)> = self
            .all_files(rev)
            .iter()
            .filter(|(p, _)| group.holds(crate::pipeline::lang::detect(p)) && !self.is_excluded(p))
            .cloned()
            .collect();
        for batch in items.chunks(BATCH) {
            self.read_listed(rev, batch).iter().for_each(&mut visit);
        }
    }

    /// Reads files from a listing of [`Context::all_files`], in parallel
    /// (each worker with its own repository handle).
    pub fn read_listed(&self, rev: Revision, items: &[(String, Oid)]) -> Vec<FileVersion> {
        let source = &self.sources[rev as usize];
        items
            .par_iter()
            .map_init(
                || source.lease().ok(),
                |reader, (path, oid)| reader.as_ref().map(|r| r.read_listed(path, *oid)),
            )
            .flatten()
            .collect()
    }
}

#[cfg(test)]
impl ChangedFile {
    /// A file modified from `base` to `head` text, for unit tests.
    pub fn modified_for_test(path: &str, base: &str, head: &str, lang: Lang) -> ChangedFile {
        use crate::pipeline::changes::{ChangeStatus, EntryKind, FileRef};
        use crate::pipeline::source::Content;
        let version = |revision, text: &str| FileVersion {
            revision,
            path: path.into(),
            oid: Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()).unwrap(),
            content: Content::Text(Arc::from(text)),
            note: None,
        };
        let (base, head) = (version(Revision::Base, base), version(Revision::Head, head));
        let file_ref = |v: &FileVersion| FileRef {
            path: path.into(),
            oid: v.oid,
            kind: EntryKind::File,
        };
        let change = Change {
            status: ChangeStatus::Modified,
            base: Some(file_ref(&base)),
            head: Some(file_ref(&head)),
        };
        ChangedFile::new(change, Some(base), Some(head), lang, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::touched_lines;
    use super::ChangedFile;
    use crate::pipeline::lang::Lang;

    #[test]
    fn an_answer_is_worked_out_once_per_tag() {
        let file = ChangedFile::modified_for_test("a.py", "a\n", "b\n", Lang::Python);
        let mut asked = 0;
        for _ in 0..3 {
            assert!(file.remember("one", || {
                asked += 1;
                true
            }));
        }
        assert!(!file.remember("two", || false));
        assert!(file.remember("one", || false));
        assert_eq!(asked, 1);
    }

    #[test]
    fn touched_lines_are_the_lines_in_the_ranges() {
        let text = "a\nb\nc\nd\ne\n";
        let got: Vec<&str> = touched_lines(text, &[2..3, 4..6]).collect();
        assert_eq!(got, ["b", "d", "e"]);
        assert_eq!(touched_lines(text, &[]).count(), 0);
        assert_eq!(touched_lines(text, &[8..9, 9..10]).count(), 0);
    }
}
