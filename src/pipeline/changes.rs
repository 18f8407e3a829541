//! The changed files between two sides, with rename detection, and reading
//! one file version from a side: blobs come from the object database, the
//! working tree is read from disk without following symlinks.

use super::revisions::Side;
use super::source::{self, Content};
use crate::error::{Error, Result};
use crate::findings::finding::Revision;
use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, Oid, Repository};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    Added,
    Deleted,
    Modified,
    Renamed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Link,
    Submodule,
}

/// One side of a changed file, before its content is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    pub path: String,
    /// Zero for working-tree files, whose id is computed when read.
    pub oid: Oid,
    pub kind: EntryKind,
}

#[derive(Clone, Debug)]
pub struct Change {
    pub status: ChangeStatus,
    pub base: Option<FileRef>,
    pub head: Option<FileRef>,
}

impl Change {
    /// The path a finding about this file is filed under: head's, or base's
    /// when the file is gone.
    pub fn path(&self) -> &str {
        self.head
            .as_ref()
            .or(self.base.as_ref())
            .map_or("", |f| f.path.as_str())
    }
}

fn kind_of(mode: FileMode) -> EntryKind {
    match mode {
        FileMode::Link => EntryKind::Link,
        FileMode::Commit => EntryKind::Submodule,
        _ => EntryKind::File,
    }
}

fn path_str(p: Option<&Path>) -> Option<String> {
    // Git paths are bytes; a path that is not UTF-8 is carried lossily
    // rather than dropped, so it still shows up in notes.
    p.map(|p| p.to_string_lossy().replace('\\', "/"))
}

/// The files that differ between `base` and `head`, renames paired.
pub fn list(repo: &Repository, base: &Side, head: &Side) -> Result<Vec<Change>> {
    // Two commits with one tree have nothing to compare; libgit2 would
    // still walk both trees (18 ms on a 5,000-file repository).
    if let (Side::Commit { tree: b, .. }, Side::Commit { tree: h, .. }) = (base, head) {
        if b == h {
            return Ok(Vec::new());
        }
    }
    let base_tree = match base {
        Side::Empty => None,
        Side::Commit { tree, .. } => Some(
            repo.find_tree(*tree)
                .map_err(|e| Error::git("cannot read the base tree", e))?,
        ),
        Side::Index | Side::Workdir => {
            return Err(Error::new("the base of a comparison must be a commit"))
        }
    };
    let mut opts = DiffOptions::new();
    opts.skip_binary_check(true)
        .ignore_submodules(true)
        .include_typechange(true);
    let mut diff = match head {
        Side::Commit { tree, .. } => {
            let head_tree = repo
                .find_tree(*tree)
                .map_err(|e| Error::git("cannot read the head tree", e))?;
            repo.diff_tree_to_tree(base_tree.as_ref(), Some(&head_tree), Some(&mut opts))
        }
        Side::Index => repo.diff_tree_to_index(base_tree.as_ref(), None, Some(&mut opts)),
        Side::Workdir => {
            opts.include_untracked(true).recurse_untracked_dirs(true);
            repo.diff_tree_to_workdir_with_index(base_tree.as_ref(), Some(&mut opts))
        }
        Side::Empty => return Ok(Vec::new()),
    }
    .map_err(|e| Error::git("cannot compute the changes", e))?;

    missing_blobs(repo, &diff, base, head)?;

    // Similarity search is quadratic, so it is capped; past the cap libgit2
    // would pair nothing, and a restructuring commit that moves 2,000
    // templates unchanged would read as 2,000 deleted pages. Past the cap
    // libgit2 is not asked at all (even its exact-match pass compares every
    // pair: 40,000 moved files took 25 s and 1.5 GB); the changes are paired
    // here instead, by blob id and then by a file name that only one
    // deleted and one added file share (see [`pair_large`]).
    const SIMILARITY_LIMIT: usize = 2000;
    // libgit2 compares the signature of every deleted file with every
    // added one: 566 added and 280 deleted files (healthchecks, 1,500
    // commits) spent a quarter of the run there, where the pairing below
    // takes a millisecond. Past this many pairs, it pairs instead.
    const SIMILARITY_PAIRS: usize = 40_000;
    let (mut added, mut deleted) = (0usize, 0usize);
    for delta in diff.deltas() {
        match delta.status() {
            Delta::Added | Delta::Untracked => added += 1,
            Delta::Deleted => deleted += 1,
            _ => {}
        }
    }
    let large =
        diff.deltas().len() > SIMILARITY_LIMIT || added.saturating_mul(deleted) > SIMILARITY_PAIRS;
    if !large {
        let mut find = DiffFindOptions::new();
        find.renames(true)
            .for_untracked(true)
            .rename_limit(SIMILARITY_LIMIT);
        diff.find_similar(Some(&mut find))
            .map_err(|e| Error::git("rename detection failed", e))?;
    }

    let mut changes = Vec::new();
    // Blob ids of added files as libgit2 computed them (zeroed in the
    // working tree's `FileRef`s): what pairs them when the change is large.
    let mut blob_ids: HashMap<String, Oid> = HashMap::new();
    for delta in diff.deltas() {
        let old = delta.old_file();
        let new = delta.new_file();
        if large && !new.id().is_zero() {
            if let Some(p) = path_str(new.path()) {
                blob_ids.insert(p, new.id());
            }
        }
        let base_ref = || {
            path_str(old.path()).map(|path| FileRef {
                path,
                oid: old.id(),
                kind: kind_of(old.mode()),
            })
        };
        let head_ref = || {
            path_str(new.path()).map(|path| FileRef {
                path,
                oid: if matches!(head, Side::Workdir) {
                    Oid::ZERO_SHA1
                } else {
                    new.id()
                },
                kind: kind_of(new.mode()),
            })
        };
        let change = match delta.status() {
            Delta::Added | Delta::Untracked | Delta::Copied => Change {
                status: ChangeStatus::Added,
                base: None,
                head: head_ref(),
            },
            Delta::Deleted => Change {
                status: ChangeStatus::Deleted,
                base: base_ref(),
                head: None,
            },
            Delta::Modified | Delta::Typechange => Change {
                status: ChangeStatus::Modified,
                base: base_ref(),
                head: head_ref(),
            },
            Delta::Renamed => Change {
                status: ChangeStatus::Renamed,
                base: base_ref(),
                head: head_ref(),
            },
            Delta::Unmodified | Delta::Ignored | Delta::Unreadable | Delta::Conflicted => continue,
        };
        changes.push(change);
    }
    if large {
        changes = pair_large(changes, &blob_ids);
    }
    changes.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(changes)
}

/// Stops the run when a blob of the change is not in the object database,
/// before anything reads one: a partial clone (`--filter=blob:none`, a
/// common CI checkout) or a damaged mirror would otherwise make rename
/// detection fail on an unnamed object, or read missing pages as skipped
/// and pass a check that analysed nothing. riskdiff never fetches; the
/// hint says what does.
fn missing_blobs(repo: &Repository, diff: &git2::Diff, base: &Side, head: &Side) -> Result<()> {
    let odb = repo
        .odb()
        .map_err(|e| Error::git("cannot open the object database", e))?;
    let mut missing: Vec<(String, Oid)> = Vec::new();
    for delta in diff.deltas() {
        // The index's and working tree's versions are local by nature (a
        // working-tree id is computed, never stored): only commits can lack one.
        let head_stored = matches!(head, Side::Commit { .. });
        let files = [
            Some(delta.old_file()),
            head_stored.then(|| delta.new_file()),
        ];
        for file in files.into_iter().flatten() {
            let blob = matches!(
                file.mode(),
                FileMode::Blob | FileMode::BlobExecutable | FileMode::Link
            );
            if !blob || file.id().is_zero() || odb.exists(file.id()) {
                continue;
            }
            let path = path_str(file.path()).unwrap_or_default();
            // A file of no language riskdiff reads (`.wasm`, `.map`, images)
            // loses nothing by being absent; were it read after all (a
            // script without extension), it is skipped with a note.
            if super::lang::detect(&path) != super::lang::Lang::Unknown {
                missing.push((path, file.id()));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let short = super::revisions::short;
    let shown: Vec<String> = missing
        .iter()
        .take(3)
        .map(|(path, oid)| format!("`{path}` ({})", short(*oid)))
        .collect();
    let more = match missing.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    let rev = |side: &Side| match side {
        Side::Commit { commit, .. } => short(*commit),
        Side::Index | Side::Workdir | Side::Empty => "HEAD".into(),
    };
    Err(Error::new(format!(
        "{} file version{} of this comparison {} not in the local repository: {}{more}",
        missing.len(),
        if missing.len() == 1 { "" } else { "s" },
        if missing.len() == 1 { "is" } else { "are" },
        shown.join(", ")
    ))
    .with_hint(format!(
        "a partial or damaged clone leaves file contents out, and riskdiff never goes on the network. \
         In a partial clone, `git diff --stat {} {} >/dev/null` fetches what the comparison needs; \
         in CI, check out without a blob filter (actions/checkout: no `filter:`, `fetch-depth: 0`).",
        rev(base),
        rev(head)
    )))
}

/// Pairs the deleted and added files of a change too large for similarity
/// search, in time proportional to the files: identical content first (by
/// blob id, `ids` as libgit2 saw them, working-tree files included), then
/// files whose name (the last path component) exactly one deleted and one
/// added file carry: `old/contact.html` edited into `new/contact.html`.
fn pair_large(changes: Vec<Change>, ids: &HashMap<String, Oid>) -> Vec<Change> {
    let mut out = Vec::with_capacity(changes.len());
    let mut deleted: Vec<Change> = Vec::new();
    let mut added: Vec<Change> = Vec::new();
    for c in changes {
        match c.status {
            ChangeStatus::Deleted => deleted.push(c),
            ChangeStatus::Added => added.push(c),
            _ => out.push(c),
        }
    }
    let id_of = |f: &FileRef| ids.get(&f.path).copied().unwrap_or(f.oid);
    let mut by_id: HashMap<Oid, Vec<usize>> = HashMap::new();
    for (i, d) in deleted.iter().enumerate() {
        if let Some(b) = &d.base {
            if !b.oid.is_zero() {
                by_id.entry(b.oid).or_default().push(i);
            }
        }
    }
    let mut taken = vec![false; deleted.len()];
    let mut unpaired = Vec::new();
    for a in added {
        let id = a.head.as_ref().map_or(Oid::ZERO_SHA1, id_of);
        let found = by_id
            .get_mut(&id)
            .and_then(|list| list.iter().position(|&i| !taken[i]).map(|k| list[k]));
        match found {
            Some(i) => {
                taken[i] = true;
                out.push(Change {
                    status: ChangeStatus::Renamed,
                    base: deleted[i].base.clone(),
                    head: a.head,
                });
            }
            None => unpaired.push(a),
        }
    }
    let name = |f: &FileRef| f.path.rsplit('/').next().unwrap_or(&f.path).to_string();
    let mut deleted_names: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, d) in deleted.iter().enumerate().filter(|(i, _)| !taken[*i]) {
        if let Some(b) = &d.base {
            deleted_names.entry(name(b)).or_default().push(i);
        }
    }
    let mut added_names: HashMap<String, usize> = HashMap::new();
    for a in unpaired.iter().filter_map(|a| a.head.as_ref()) {
        *added_names.entry(name(a)).or_default() += 1;
    }
    for a in unpaired {
        let pair = a.head.as_ref().and_then(|h| {
            let n = name(h);
            match (
                deleted_names.get(&n).map(Vec::as_slice),
                added_names.get(&n),
            ) {
                (Some(&[i]), Some(1)) => Some(i),
                _ => None,
            }
        });
        match pair {
            Some(i) => {
                taken[i] = true;
                out.push(Change {
                    status: ChangeStatus::Renamed,
                    base: deleted[i].base.clone(),
                    head: a.head,
                });
            }
            None => out.push(a),
        }
    }
    out.extend(
        deleted
            .into_iter()
            .zip(taken)
            .filter(|(_, t)| !t)
            .map(|(d, _)| d),
    );
    out
}

/// One file version, read: what analyzers look at.
#[derive(Clone, Debug)]
pub struct FileVersion {
    pub revision: Revision,
    pub path: String,
    /// The blob id (computed for working-tree files), which keys the parse
    /// cache so the same content is never parsed twice.
    pub oid: Oid,
    pub content: Content,
    /// Something worth telling about how the file was read (decoding).
    pub note: Option<String>,
}

impl FileVersion {
    pub fn text(&self) -> Option<&Arc<str>> {
        self.content.text()
    }
}

/// Everything a reader of one side needs, shareable across threads: each
/// worker leases its own [`SideReader`] from it. The index is read once here
/// and shared, because reading it verifies its checksum, which on a
/// 20,000-file repository cost more than the whole staged check when every
/// rayon split did it again.
#[derive(Clone)]
pub struct SideSource {
    repo_path: PathBuf,
    side: Side,
    revision: Revision,
    index: Option<Arc<BTreeMap<String, (Oid, u32)>>>,
    /// Readers given back, for the next lease: a rayon split is a few
    /// items, and opening a handle per split (then loading the pack
    /// indexes into it and freeing it) was 50 opens on NodeBB's 65 commits.
    idle: Arc<Mutex<Vec<SideReader>>>,
}

impl SideSource {
    pub fn new(repo_path: &Path, side: &Side, revision: Revision) -> Result<SideSource> {
        let index = if matches!(side, Side::Index) {
            let repo = Repository::open(repo_path)
                .map_err(|e| Error::git("cannot reopen the repository", e))?;
            let idx = repo
                .index()
                .map_err(|e| Error::git("cannot read the index", e))?;
            let map: BTreeMap<String, (Oid, u32)> = idx
                .iter()
                .filter(|e| (e.flags >> 12) & 0x3 == 0)
                .map(|e| {
                    (
                        String::from_utf8_lossy(&e.path).into_owned(),
                        (e.id, e.mode),
                    )
                })
                .collect();
            Some(Arc::new(map))
        } else {
            None
        };
        Ok(SideSource {
            repo_path: repo_path.to_path_buf(),
            side: side.clone(),
            revision,
            index,
            idle: Arc::default(),
        })
    }

    /// A reader no other thread uses until the lease is dropped: an idle
    /// one when there is one, else a new handle.
    pub fn lease(&self) -> Result<Lease<'_>> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let reader = match idle {
            Some(reader) => reader,
            None => self.open()?,
        };
        Ok(Lease {
            reader: Some(reader),
            idle: &self.idle,
        })
    }

    /// A reader with its own repository handle, for one thread.
    pub fn open(&self) -> Result<SideReader> {
        let repo = Repository::open(&self.repo_path)
            .map_err(|e| Error::git("cannot reopen the repository", e))?;
        Ok(SideReader {
            repo,
            side: self.side.clone(),
            revision: self.revision,
            index: self.index.clone(),
        })
    }
}

/// A [`SideReader`] lent by a [`SideSource`], given back when dropped.
pub struct Lease<'s> {
    reader: Option<SideReader>,
    idle: &'s Mutex<Vec<SideReader>>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = SideReader;

    fn deref(&self) -> &SideReader {
        // Taken only by drop.
        self.reader
            .as_ref()
            .expect("a lease holds its reader until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(reader);
        }
    }
}

/// Reads file versions from one side. Holds its own repository handle so
/// that readers on several threads never share one.
pub struct SideReader {
    repo: Repository,
    side: Side,
    revision: Revision,
    /// The index as path → (blob, mode); `git2::Index` is not `Send`.
    index: Option<Arc<BTreeMap<String, (Oid, u32)>>>,
}

impl SideReader {
    pub fn new(repo_path: &Path, side: &Side, revision: Revision) -> Result<SideReader> {
        SideSource::new(repo_path, side, revision)?.open()
    }

    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// Reads the file a change names on this side.
    pub fn read(&self, file: &FileRef) -> FileVersion {
        let skipped = |why: &str| FileVersion {
            revision: self.revision,
            path: file.path.clone(),
            oid: file.oid,
            content: Content::Skipped(why.to_string()),
            note: None,
        };
        match file.kind {
            EntryKind::Link => return skipped("skipped: a symbolic link (never followed)"),
            EntryKind::Submodule => return skipped("skipped: a submodule"),
            EntryKind::File => {}
        }
        match &self.side {
            Side::Workdir => self.read_workdir(&file.path),
            _ if file.oid.is_zero() => self
                .lookup(&file.path)
                .unwrap_or_else(|| skipped("skipped: not found")),
            _ => self.read_blob(&file.path, file.oid),
        }
    }

    /// Reads `path` on this side, if it is a regular file there.
    pub fn lookup(&self, path: &str) -> Option<FileVersion> {
        match &self.side {
            Side::Empty => None,
            Side::Workdir => {
                if self.exists(path) {
                    Some(self.read_workdir(path))
                } else {
                    None
                }
            }
            Side::Index => {
                let &(id, mode) = self.index.as_ref()?.get(path)?;
                if mode & 0o170000 != 0o100000 {
                    return None;
                }
                Some(self.read_blob(path, id))
            }
            Side::Commit { tree, .. } => {
                let tree = self.repo.find_tree(*tree).ok()?;
                let entry = tree.get_path(Path::new(path)).ok()?;
                if entry.kind() != Some(git2::ObjectType::Blob)
                    || entry.filemode() == i32::from(FileMode::Link)
                {
                    return None;
                }
                Some(self.read_blob(path, entry.id()))
            }
        }
    }

    /// Whether a regular file (or a directory, for paths ending in `/`)
    /// exists at `path` on this side. Cheap: no content is read.
    pub fn exists(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        if path.is_empty()
            || path
                .split('/')
                .any(|c| c == ".." || c == "." || c.is_empty())
        {
            return false;
        }
        match &self.side {
            Side::Empty => false,
            Side::Commit { tree, .. } => self
                .repo
                .find_tree(*tree)
                .ok()
                .and_then(|t| t.get_path(Path::new(path)).ok())
                .is_some(),
            Side::Index => self.index.as_ref().is_some_and(|idx| {
                let dir = format!("{path}/");
                idx.contains_key(path)
                    || idx
                        .range(dir.clone()..)
                        .next()
                        .is_some_and(|(k, _)| k.starts_with(&dir))
            }),
            // A link counts as present but is never followed, in any
            // component: nothing outside the repository is touched.
            Side::Workdir => self
                .repo
                .workdir()
                .is_some_and(|root| super::repo_files::exists(root, path)),
        }
    }

    fn read_blob(&self, path: &str, oid: Oid) -> FileVersion {
        let make = |content, note| FileVersion {
            revision: self.revision,
            path: path.to_string(),
            oid,
            content,
            note,
        };
        // Look at the size before inflating anything large.
        if let Ok(odb) = self.repo.odb() {
            if let Ok((size, _)) = odb.read_header(oid) {
                if size > source::MAX_FILE_BYTES {
                    return make(
                        Content::Skipped(format!(
                            "skipped: {} is larger than the {} MiB limit for analysed files",
                            source::human_size(size),
                            source::MAX_FILE_BYTES / (1024 * 1024)
                        )),
                        None,
                    );
                }
            }
        }
        match self.repo.find_blob(oid) {
            Ok(blob) => match source::decode(blob.content()) {
                Ok((text, note)) => {
                    crate::findings::line_index::register(&text);
                    make(Content::Text(text), note)
                }
                Err(why) => make(Content::Skipped(why), None),
            },
            Err(e) => make(
                Content::Skipped(format!(
                    "skipped: blob {} cannot be read ({})",
                    crate::pipeline::revisions::short(oid),
                    e.message()
                )),
                None,
            ),
        }
    }

    fn read_workdir(&self, path: &str) -> FileVersion {
        let make = |oid, content, note| FileVersion {
            revision: self.revision,
            path: path.to_string(),
            oid,
            content,
            note,
        };
        let Some(root) = self.repo.workdir() else {
            return make(
                Oid::ZERO_SHA1,
                Content::Skipped("skipped: no working tree".into()),
                None,
            );
        };
        use super::repo_files::Refusal;
        let skipped = |why: String| make(Oid::ZERO_SHA1, Content::Skipped(why), None);
        let bytes = match super::repo_files::read(root, path, source::MAX_FILE_BYTES as u64) {
            Ok(b) => b,
            Err(Refusal::Link(at)) if at == path => {
                return skipped("skipped: a symbolic link (never followed)".into())
            }
            Err(Refusal::Link(at)) => {
                return skipped(format!(
                    "skipped: `{at}` is a symbolic link (never followed)"
                ))
            }
            Err(Refusal::NotRegular) => return skipped("skipped: not a regular file".into()),
            Err(Refusal::TooLarge(size)) => {
                return skipped(format!(
                    "skipped: {} is larger than the {} MiB limit for analysed files",
                    source::human_size(size as usize),
                    source::MAX_FILE_BYTES / (1024 * 1024)
                ))
            }
            Err(Refusal::Missing) => return skipped("skipped: not found".into()),
            Err(Refusal::Io(e)) => return skipped(format!("skipped: cannot read ({e})")),
        };
        let oid = Oid::hash_object(git2::ObjectType::Blob, &bytes).unwrap_or(Oid::ZERO_SHA1);
        match source::decode(&bytes) {
            Ok((text, note)) => {
                crate::findings::line_index::register(&text);
                make(oid, Content::Text(text), note)
            }
            Err(why) => make(oid, Content::Skipped(why), None),
        }
    }

    /// Every regular file on this side: (path, blob id; zero in the working
    /// tree). For cross-file rules that must look beyond the change.
    pub fn all_files(&self) -> Vec<(String, Oid)> {
        let mut out = Vec::new();
        match &self.side {
            Side::Empty => {}
            Side::Commit { tree, .. } => {
                if let Ok(tree) = self.repo.find_tree(*tree) {
                    let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                        if entry.kind() == Some(git2::ObjectType::Blob)
                            && entry.filemode() != i32::from(FileMode::Link)
                        {
                            if let Ok(name) = entry.name() {
                                out.push((format!("{dir}{name}"), entry.id()));
                            }
                        }
                        git2::TreeWalkResult::Ok
                    });
                }
            }
            Side::Index => {
                if let Some(idx) = &self.index {
                    for (path, &(id, mode)) in idx.iter() {
                        if mode & 0o170000 == 0o100000 {
                            out.push((path.clone(), id));
                        }
                    }
                }
            }
            Side::Workdir => {
                if let Some(root) = self.repo.workdir() {
                    // `ignore` walks like git does: .gitignore respected,
                    // links not followed.
                    for entry in ignore::WalkBuilder::new(root)
                        .hidden(false)
                        .follow_links(false)
                        .build()
                        .flatten()
                    {
                        if entry.file_type().is_some_and(|t| t.is_file()) {
                            if let Ok(rel) = entry.path().strip_prefix(root) {
                                let rel = rel.to_string_lossy().replace('\\', "/");
                                if !rel.starts_with(".git/") {
                                    out.push((rel, Oid::ZERO_SHA1));
                                }
                            }
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Reads a file listed by [`SideReader::all_files`].
    pub fn read_listed(&self, path: &str, oid: Oid) -> FileVersion {
        if oid.is_zero() {
            self.read_workdir(path)
        } else {
            self.read_blob(path, oid)
        }
    }
}

/// The line ranges (1-based, half-open) that differ between two texts, on
/// each side: what the diff touched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineChanges {
    pub base: Vec<Range<usize>>,
    pub head: Vec<Range<usize>>,
}

impl LineChanges {
    pub fn between(base: &str, head: &str) -> LineChanges {
        let mut out = LineChanges::default();
        // 1-based, as the rules count lines.
        for (b, h) in line_hunks(base, head) {
            if !b.is_empty() {
                out.base.push(b.start + 1..b.end + 1);
            }
            if !h.is_empty() {
                out.head.push(h.start + 1..h.end + 1);
            }
        }
        out
    }

    pub fn touches_head(&self, lines: Range<usize>) -> bool {
        self.head
            .iter()
            .any(|r| r.start < lines.end && lines.start < r.end)
    }

    pub fn touches_base(&self, lines: Range<usize>) -> bool {
        self.base
            .iter()
            .any(|r| r.start < lines.end && lines.start < r.end)
    }
}

/// The 0-based line ranges each hunk of a line diff (Myers, no context)
/// replaced: (in `old`, in `new`); a side with no lines is empty at the
/// line the other follows. Text with a NUL byte in its first 8,000 bytes
/// is binary to git and has no line hunks.
pub fn line_hunks(old: &str, new: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let binary = |t: &str| memchr::memchr(0, &t.as_bytes()[..t.len().min(8000)]).is_some();
    if binary(old) || binary(new) {
        return Vec::new();
    }
    let input = imara_diff::InternedInput::new(old, new);
    let mut diff = imara_diff::Diff::compute(imara_diff::Algorithm::Myers, &input);
    diff.postprocess_no_heuristic(&input);
    diff.hunks()
        .map(|h| {
            let range = |r: Range<u32>| r.start as usize..r.end as usize;
            (range(h.before), range(h.after))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_changes_cover_edits_on_both_sides() {
        let lc = LineChanges::between("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(lc.base, vec![2..3]);
        assert_eq!(lc.head, vec![2..3, 4..5]);
        assert!(lc.touches_head(4..5));
        assert!(!lc.touches_head(1..2));
    }

    #[test]
    fn large_changes_pair_by_blob_and_by_a_unique_name() {
        let oid = |n: u8| Oid::from_bytes(&[n; 20]).unwrap();
        let file = |path: &str, id: Oid| FileRef {
            path: path.to_string(),
            oid: id,
            kind: EntryKind::File,
        };
        let deleted = |path: &str, id: Oid| Change {
            status: ChangeStatus::Deleted,
            base: Some(file(path, id)),
            head: None,
        };
        let added = |path: &str, id: Oid| Change {
            status: ChangeStatus::Added,
            base: None,
            head: Some(file(path, id)),
        };
        let mut changes = vec![
            deleted("old/same.html", oid(1)),
            added("new/moved.html", oid(1)),
            deleted("old/contact.html", oid(2)),
            added("new/contact.html", oid(3)),
            deleted("a/index.html", oid(4)),
            deleted("b/index.html", oid(5)),
            added("c/index.html", oid(6)),
        ];
        // Many more, to show it stays a matter of hashing.
        for i in 0..20_000u32 {
            changes.push(deleted(&format!("x/p{i}.html"), oid(7)));
            changes.push(added(&format!("y/p{i}.html"), oid(8)));
        }
        let out = pair_large(changes, &HashMap::new());
        let renamed: Vec<(&str, &str)> = out
            .iter()
            .filter(|c| c.status == ChangeStatus::Renamed)
            .map(|c| {
                (
                    c.base.as_ref().unwrap().path.as_str(),
                    c.head.as_ref().unwrap().path.as_str(),
                )
            })
            .collect();
        assert!(renamed.contains(&("old/same.html", "new/moved.html")));
        assert!(renamed.contains(&("old/contact.html", "new/contact.html")));
        assert!(renamed.contains(&("x/p7.html", "y/p7.html")));
        // `index.html`: two deleted, one added: no guess.
        assert!(!renamed.iter().any(|(_, h)| *h == "c/index.html"));
        assert_eq!(renamed.len(), 2 + 20_000);
        assert_eq!(out.len(), 7 + 40_000 - renamed.len());
    }

    #[test]
    fn a_reader_given_back_is_lent_again() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(dir.path()).unwrap();
        let source = SideSource::new(dir.path(), &Side::Index, Revision::Head).unwrap();
        let idle = || source.idle.lock().unwrap().len();
        let (a, b) = (source.lease().unwrap(), source.lease().unwrap());
        assert_eq!(idle(), 0, "two leases at once are two handles");
        drop((a, b));
        assert_eq!(idle(), 2);
        let again = source.lease().unwrap();
        assert_eq!(idle(), 1, "a lease takes an idle handle before opening one");
        drop(again);
        assert_eq!(idle(), 2);
    }
}
