//! The one way riskdiff reads, and the one way it writes, a file the
//! repository under review controls: its working-tree files (the
//! working-tree side of a comparison, `riskdiff.toml`, `.gitattributes`,
//! `.riskdiff/acknowledged.toml`) and its hooks.
//!
//! The repository is hostile input. A committed symlink to
//! `/proc/self/environ` must not end up in an error message, one to
//! `/dev/zero` must not read until memory runs out, a FIFO must not hang
//! the run, and a dangling link must not make `riskdiff ack` create a file
//! outside the repository. So reading refuses a symlink in any component
//! of the path (each is looked at with `symlink_metadata`, and the file is
//! opened with `O_NOFOLLOW`), anything but a regular file, and more than a
//! size cap; writing refuses symlinked paths too, and goes through a
//! temporary file in the same directory renamed over the target, under a
//! lock file, so a crash leaves the old file and concurrent writers do not
//! lose each other's entries.

use crate::error::{Error, Result};
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The cap for riskdiff's own files kept in the repository (configuration,
/// acknowledgements, `.gitattributes`, hooks): far above anything a person
/// writes.
pub const SETTINGS_CAP: u64 = 1024 * 1024;

/// Why a file was not read.
#[derive(Debug)]
pub enum Refusal {
    /// Nothing there (or a component of the path is not a directory).
    Missing,
    /// A component of the path is a symbolic link; never followed.
    Link(String),
    /// A FIFO, socket, device or directory.
    NotRegular,
    /// Over the cap (the size as far as it was read).
    TooLarge(u64),
    Io(io::Error),
}

impl Refusal {
    /// What to say about `name`, for notes and errors.
    pub fn describe(&self, name: &str) -> String {
        match self {
            Refusal::Missing => format!("{name} does not exist"),
            Refusal::Link(at) if at == name => {
                format!("{name} is a symbolic link, which riskdiff never follows")
            }
            Refusal::Link(at) => format!(
                "`{at}` (in the path of {name}) is a symbolic link, which riskdiff never follows"
            ),
            Refusal::NotRegular => format!("{name} is not a regular file"),
            Refusal::TooLarge(size) => format!(
                "{name} is too large to read ({} or more)",
                crate::pipeline::source::human_size(*size as usize)
            ),
            Refusal::Io(e) => format!("cannot read {name}: {e}"),
        }
    }
}

/// The components of a repository-relative path; `None` for paths that
/// could leave the root (`..`, absolute, empty components).
fn components(rel: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = rel.split('/').collect();
    let ok = !rel.is_empty()
        && parts
            .iter()
            .all(|c| !c.is_empty() && *c != "." && *c != ".." && !c.contains('\\'));
    ok.then_some(parts)
}

/// Looks at every component of `rel` under `root` without following any:
/// the directories on the way must be real directories. Returns the
/// metadata of the last component (itself possibly a link).
fn walk(root: &Path, rel: &str) -> std::result::Result<(PathBuf, Metadata), Refusal> {
    let parts = components(rel).ok_or(Refusal::Missing)?;
    let mut path = root.to_path_buf();
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Refusal::Missing),
            Err(e) if e.raw_os_error() == Some(20) => return Err(Refusal::Missing), // ENOTDIR
            Err(e) => return Err(Refusal::Io(e)),
        };
        if meta.file_type().is_symlink() {
            return Err(Refusal::Link(parts[..=i].join("/")));
        }
        if i == last {
            return Ok((path, meta));
        }
        if !meta.is_dir() {
            return Err(Refusal::Missing);
        }
    }
    Err(Refusal::Missing)
}

/// Whether something (a file, a directory, a link) is at `rel`, looked at
/// without following a link in any component: a path through a symlinked
/// directory does not exist, as it does not in a commit's tree.
pub fn exists(root: &Path, rel: &str) -> bool {
    match walk(root, rel) {
        Ok(_) => true,
        // The last component may itself be a link: present, not followed.
        Err(Refusal::Link(at)) => at == rel.trim_end_matches('/'),
        Err(_) => false,
    }
}

/// Opens a regular file without following a final symlink and without
/// blocking on a FIFO that appeared after it was looked at.
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    opts.open(path)
}

/// Reads `rel` under `root`: no symlink in any component, a regular file,
/// at most `cap` bytes.
pub fn read(root: &Path, rel: &str, cap: u64) -> std::result::Result<Vec<u8>, Refusal> {
    let (path, meta) = walk(root, rel)?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular);
    }
    if meta.len() > cap {
        return Err(Refusal::TooLarge(meta.len()));
    }
    let file = open_no_follow(&path).map_err(|e| {
        if e.raw_os_error() == Some(40) {
            // ELOOP: it became a link after it was looked at.
            Refusal::Link(rel.to_string())
        } else {
            Refusal::Io(e)
        }
    })?;
    // What was opened is what counts (it may have been swapped).
    let opened = file.metadata().map_err(Refusal::Io)?;
    if !opened.is_file() {
        return Err(Refusal::NotRegular);
    }
    let mut bytes = Vec::with_capacity(opened.len().min(cap) as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(Refusal::Io)?;
    if bytes.len() as u64 > cap {
        return Err(Refusal::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads one of riskdiff's own files kept in the repository (`name` is
/// how messages call it): `None` when it is absent, an error that never
/// quotes its content when it is refused or not UTF-8.
pub fn read_setting(root: &Path, rel: &str, name: &str) -> Result<Option<String>> {
    match read(root, rel, SETTINGS_CAP) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::new(format!("{name} is not valid UTF-8"))),
        Err(Refusal::Missing) => Ok(None),
        Err(refusal @ Refusal::Link(_)) => Err(Error::new(refusal.describe(name))
            .with_hint(format!("make {name} a regular file inside the repository"))),
        Err(refusal) => Err(Error::new(refusal.describe(name))),
    }
}

/// How [`write`] treats an existing file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    Replace,
    /// Fail instead (`riskdiff init` never overwrites a configuration).
    Keep,
}

/// Writes `bytes` to `rel` under `root`: the directories on the way are
/// created where missing and must not be symlinks, the target must not be
/// a symlink or anything but a regular file, and the content goes to a
/// temporary file in the same directory that is renamed over the target,
/// so a reader sees the old file or the new one, never half of it.
pub fn write(root: &Path, rel: &str, bytes: &[u8], mode: u32, existing: Existing) -> Result<()> {
    let fail = |why: String| Error::new(format!("cannot write {rel}: {why}"));
    let parts = components(rel).ok_or_else(|| fail("not a path inside the repository".into()))?;
    let (dirs, name) = parts.split_at(parts.len() - 1);
    let mut dir = root.to_path_buf();
    if !dirs.is_empty() {
        ensure_dir(root, &dirs.join("/")).map_err(|e| fail(e.message))?;
        dir.extend(dirs);
    }
    let target = dir.join(name[0]);
    match fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(fail(
                "it is a symbolic link, which riskdiff never follows or replaces".into(),
            ))
        }
        Ok(m) if !m.is_file() => return Err(fail("it is not a regular file".into())),
        Ok(_) if existing == Existing::Keep => return Err(fail("it exists already".into())),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e.to_string())),
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".riskdiff-tmp")
        .tempfile_in(&dir)
        .map_err(|e| fail(e.to_string()))?;
    tmp.write_all(bytes).map_err(|e| fail(e.to_string()))?;
    tmp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
            .map_err(|e| fail(e.to_string()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    // rename(2) replaces a link at the target rather than following it,
    // and persist_noclobber fails if anything appeared there meanwhile.
    let persisted = match existing {
        Existing::Replace => tmp.persist(&target).map(drop),
        Existing::Keep => tmp.persist_noclobber(&target).map(drop),
    };
    persisted.map_err(|e| fail(e.error.to_string()))
}

/// A lock file held while a read-modify-write of repository files runs;
/// removed when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// How long [`lock`] waits for another riskdiff to finish.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Takes the lock file `rel` (created with `create_new`, so exactly one
/// process holds it), waiting briefly for another holder to let go. The
/// directory is created like [`write`] creates it, and must not be a link.
pub fn lock(root: &Path, rel: &str) -> Result<Lock> {
    let fail = |why: String| Error::new(format!("cannot take the lock {rel}: {why}"));
    let parts = components(rel).ok_or_else(|| fail("not a path inside the repository".into()))?;
    if parts.len() > 1 {
        let dir_rel = parts[..parts.len() - 1].join("/");
        ensure_dir(root, &dir_rel).map_err(|e| fail(e.message))?;
    }
    let path = root.join(rel);
    let start = Instant::now();
    loop {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
        }
        match opts.open(&path) {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                return Ok(Lock { path });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if start.elapsed() > LOCK_WAIT {
                    return Err(fail("another riskdiff holds it".into()).with_hint(format!(
                        "wait for the other `riskdiff ack` to finish; if none runs, delete {rel}"
                    )));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(fail(e.to_string())),
        }
    }
}

/// Makes sure the directory `rel` exists under `root`, creating missing
/// levels one by one and refusing a symlink at any of them.
pub fn ensure_dir(root: &Path, rel: &str) -> Result<()> {
    let fail = |why: String| Error::new(format!("cannot create {rel}: {why}"));
    let parts = components(rel).ok_or_else(|| fail("not a path inside the repository".into()))?;
    let mut dir = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(fail(format!(
                    "`{}` is a symbolic link, which riskdiff never follows",
                    parts[..=i].join("/")
                )))
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(fail(format!(
                    "`{}` is not a directory",
                    parts[..=i].join("/")
                )))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Another riskdiff may create it at the same moment; what
                // is there then is looked at again.
                match fs::create_dir(&dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let m = fs::symlink_metadata(&dir).map_err(|e| fail(e.to_string()))?;
                        if m.file_type().is_symlink() || !m.is_dir() {
                            return Err(fail(format!(
                                "`{}` is not a directory",
                                parts[..=i].join("/")
                            )));
                        }
                    }
                    Err(e) => return Err(fail(e.to_string())),
                }
            }
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    Ok(())
}

/// The longest line an error message quotes.
const QUOTE_MAX_CHARS: usize = 200;

/// The 1-based line number and the line around byte `at` of a repository
/// file, as an error message may quote it: secrets masked, control
/// characters neutralised, cut to a readable length.
pub fn quote_line(text: &str, at: usize) -> (usize, String) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_no = memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = crate::findings::redact::mask_secrets(text[start..end].trim_end_matches('\r'));
    let mut shown: String = crate::findings::redact::printable(&line)
        .chars()
        .take(QUOTE_MAX_CHARS)
        .collect();
    if line.chars().count() > QUOTE_MAX_CHARS {
        shown.push('…');
    }
    (line_no, shown)
}

#[cfg(test)]
mod tests;
