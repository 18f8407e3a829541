//! The floors riskdiff is measured against in `bench/ranges.py`: the cost
//! of listing a range's changed files and reading both sides' blobs
//! (`read`), and of that plus a plain tree-sitter parse of every changed
//! file on both sides with the grammar its name implies (`parse`).
//!
//!     cargo run --release --example floor -- read|parse REPO BASE HEAD
//!
//! Both run on rayon's default pool, as riskdiff does.

use git2::{DiffOptions, FileMode, Oid, Repository};
use rayon::prelude::*;
use riskdiff::pipeline::{lang, parse};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, repo, base, head] = args.as_slice() else {
        eprintln!("usage: floor read|parse REPO BASE HEAD");
        std::process::exit(2);
    };
    let blobs = changed_blobs(repo, base, head).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let parse = mode == "parse";
    let bytes: usize = blobs
        .par_iter()
        .map_init(
            || {
                Repository::open_bare(repo)
                    .or_else(|_| Repository::open(repo))
                    .ok()
            },
            |git, (path, oid)| {
                let Some(blob) = git.as_ref().and_then(|g| g.find_blob(*oid).ok()) else {
                    return 0;
                };
                let text = String::from_utf8_lossy(blob.content());
                if parse {
                    if let Some(language) = parse::grammar(lang::detect(path)) {
                        let mut parser = tree_sitter::Parser::new();
                        if parser.set_language(&language).is_ok() {
                            std::hint::black_box(parser.parse(text.as_bytes(), None));
                        }
                    }
                }
                text.len()
            },
        )
        .sum();
    println!("{} blobs, {bytes} bytes", blobs.len());
}

/// (path, blob) of both sides of every file that differs between the two
/// revisions.
fn changed_blobs(repo: &str, base: &str, head: &str) -> Result<Vec<(String, Oid)>, git2::Error> {
    let git = Repository::open(repo)?;
    let tree = |rev: &str| git.revparse_single(rev)?.peel_to_tree();
    let diff = git.diff_tree_to_tree(
        Some(&tree(base)?),
        Some(&tree(head)?),
        Some(DiffOptions::new().skip_binary_check(true)),
    )?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            let blob = matches!(file.mode(), FileMode::Blob | FileMode::BlobExecutable);
            if !file.id().is_zero() && blob {
                let path = file.path().and_then(|p| p.to_str()).unwrap_or("");
                out.push((path.to_string(), file.id()));
            }
        }
    }
    Ok(out)
}
