//! Stage 2½: from the list of changed files to the file versions a family
//! may read. Excluded paths are dropped, files of no family's language are
//! never read, both sides are read in parallel from the object database,
//! and a cheap byte-level pre-filter picks what is worth parsing.

use super::changes::{Change, FileRef, FileVersion, Lease, SideSource};
use super::check::{Stats, Tracker};
use super::lang::{self, Lang};
use super::source::Content;
use crate::families::context::{Analyzer, ChangedFile};
use crate::findings::finding::Note;
use crate::settings::Config;
use rayon::prelude::*;

/// The changes whose paths `exclude` does not cover on both sides.
pub(super) fn without_excluded(
    all: Vec<Change>,
    config: &Config,
    stats: &mut Stats,
) -> Vec<Change> {
    all.into_iter()
        .filter(|c| {
            let excluded = c.base.as_ref().is_none_or(|b| config.is_excluded(&b.path))
                && c.head.as_ref().is_none_or(|h| config.is_excluded(&h.path));
            if excluded {
                stats.files_excluded += 1;
            }
            !excluded
        })
        .collect()
}

/// Reads both sides of every change some family could care about: by
/// language, or files with no telling name that a sniff may place.
pub(super) fn read_changed(
    changes: Vec<Change>,
    analyzers: &[Box<dyn Analyzer>],
    [base_source, head_source]: [&SideSource; 2],
    progress: &Tracker,
) -> Vec<ChangedFile> {
    let interesting = |lang: Lang, path: &str| {
        analyzers.iter().any(|a| a.reads(path, lang))
            || (lang == Lang::Unknown && !path.rsplit('/').next().unwrap_or(path).contains('.'))
    };
    let read_side = |reader: &Option<Lease>, file: &Option<FileRef>| {
        let file = file.as_ref()?;
        let mut lang = lang::detect(&file.path);
        if !interesting(lang, &file.path) {
            return None;
        }
        let version = reader.as_ref()?.read(file);
        if lang == Lang::Unknown {
            lang = version.text().map_or(Lang::Unknown, |t| lang::sniff(t));
        }
        Some((version, lang))
    };
    // A side that was not read keeps the language its name implies.
    let named_lang = |file: &Option<FileRef>| {
        file.as_ref()
            .map_or(Lang::Unknown, |f| lang::detect(&f.path))
    };
    progress.stage("reading", changes.len());
    changes
        .into_par_iter()
        .map_init(
            || (base_source.lease().ok(), head_source.lease().ok()),
            |(base_reader, head_reader), change| {
                progress.advance();
                let base = read_side(base_reader, &change.base);
                let head = read_side(head_reader, &change.head);
                let base_lang = base
                    .as_ref()
                    .map_or_else(|| named_lang(&change.base), |b| b.1);
                let head_lang = head
                    .as_ref()
                    .map_or_else(|| named_lang(&change.head), |h| h.1);
                ChangedFile::new(
                    change,
                    base.map(|b| b.0),
                    head.map(|h| h.0),
                    base_lang,
                    head_lang,
                )
            },
        )
        .collect()
}

/// Leaves out the changes whose head version could not be read (binary, a
/// link, over the size cap, a corrupt blob, a Git LFS pointer) while their
/// base version could: compared with nothing, every form, route or key of
/// base would read as removed ("the page was deleted", at high). Each gets
/// a note instead, saying the change went unchecked.
pub(super) fn withhold_unanalysable(files: Vec<ChangedFile>) -> (Vec<ChangedFile>, Vec<Note>) {
    let mut notes = Vec::new();
    let kept = files
        .into_iter()
        .filter(|file| {
            let (Some(base), Some(head)) = (&file.base, &file.head) else {
                return true;
            };
            let (Some(_), Content::Skipped(why)) = (base.text(), &head.content) else {
                return true;
            };
            let why = why.strip_prefix("skipped: ").unwrap_or(why);
            notes.push(Note {
                path: head.path.clone(),
                revision: head.revision,
                message: format!("could not be analysed ({why}): the change to it is not checked"),
            });
            false
        })
        .collect();
    (kept, notes)
}

/// The sides of one change some family wants parsed. Base goes first: its
/// tree is reused for head (see `parse::incremental`).
pub(super) struct ParseJob<'f> {
    pub file: &'f ChangedFile,
    pub base: Option<(&'f FileVersion, Lang)>,
    pub head: Option<(&'f FileVersion, Lang)>,
}

impl<'f> ParseJob<'f> {
    pub fn versions(&self) -> impl Iterator<Item = (&'f FileVersion, Lang)> {
        self.base.into_iter().chain(self.head)
    }
}

/// The file versions some family wants parsed (by its byte pre-filter),
/// and a note for each that was skipped or decoded with a caveat.
pub(super) fn to_parse<'f>(
    files: &'f [ChangedFile],
    analyzers: &[Box<dyn Analyzer>],
    stats: &mut Stats,
) -> (Vec<ParseJob<'f>>, Vec<Note>) {
    let note = |version: &FileVersion, message: &str| Note {
        path: version.path.clone(),
        revision: version.revision,
        message: message.to_string(),
    };
    // The pre-filters search every changed text: on workers, one file per
    // task (NodeBB's 600 commits spent 7% of the run here on one thread).
    let per_file: Vec<(Option<ParseJob>, Vec<Note>, usize)> = files
        .par_iter()
        .with_max_len(1)
        .map(|file| {
            let (mut notes, mut read) = (Vec::new(), 0);
            let mut readable = [None, None];
            let sides = [(&file.base, file.base_lang), (&file.head, file.head_lang)];
            for (slot, (version, lang)) in readable.iter_mut().zip(sides) {
                let Some(version) = version else { continue };
                read += 1;
                match version.text() {
                    None => {
                        if let Content::Skipped(why) = &version.content {
                            // A file some family reads by its name
                            // (`crontab`, `Caddyfile`) has no language, yet
                            // skipping it silently would pass a check that
                            // read nothing.
                            if lang != Lang::Unknown
                                || analyzers.iter().any(|a| a.reads(&version.path, lang))
                            {
                                notes.push(note(version, why));
                            }
                        }
                    }
                    Some(text) => {
                        if let Some(caveat) = &version.note {
                            notes.push(note(version, caveat));
                        }
                        *slot = Some((version, lang, text));
                    }
                }
            }
            let [base, head] = wanted_sides(file, readable, analyzers);
            let job = (base.is_some() || head.is_some()).then_some(ParseJob { file, base, head });
            (job, notes, read)
        })
        .collect();
    let mut notes = Vec::new();
    let mut jobs = Vec::new();
    for (job, file_notes, read) in per_file {
        stats.files_read += read;
        jobs.extend(job);
        notes.extend(file_notes);
    }
    notes.sort();
    notes.dedup();
    (jobs, notes)
}

type Readable<'f> = Option<(&'f FileVersion, Lang, &'f std::sync::Arc<str>)>;

/// The sides of a file some family wants: by each side's text, and, for a
/// file both sides hold, by the lines the change touched.
fn wanted_sides<'f>(
    file: &ChangedFile,
    sides: [Readable<'f>; 2],
    analyzers: &[Box<dyn Analyzer>],
) -> [Option<(&'f FileVersion, Lang)>; 2] {
    let mut wanted = [false; 2];
    for a in analyzers {
        // A family that reads bases on demand is not asked about them here.
        let on_demand = a.reads_base_on_demand();
        let wants = [0, 1].map(|i| {
            !(i == 0 && on_demand)
                && sides[i].is_some_and(|(v, lang, text)| a.wants(&v.path, lang, text))
        });
        if (wants[0] || wants[1]) && a.wants_change(file) {
            wanted = [wanted[0] || wants[0], wanted[1] || wants[1]];
        }
    }
    let pick = |i: usize| sides[i].filter(|_| wanted[i]).map(|(v, lang, _)| (v, lang));
    [pick(0), pick(1)]
}
