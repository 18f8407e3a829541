//! Helpers shared by the integration tests: real git repositories built
//! with git2 and a fixed signature (CI's git has no user configured), so
//! commit ids, and therefore snapshots, are the same on every machine.

#![allow(dead_code)]

use git2::{IndexAddOption, Oid, Repository, Signature, Time};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub struct TestRepo {
    pub dir: TempDir,
    pub repo: Repository,
    clock: i64,
}

impl TestRepo {
    pub fn new() -> TestRepo {
        let dir = tempfile::Builder::new()
            .prefix("riskdiff-test")
            .tempdir()
            .expect("temp dir");
        let repo = Repository::init_opts(
            dir.path(),
            git2::RepositoryInitOptions::new().initial_head("main"),
        )
        .expect("git init");
        TestRepo {
            dir,
            repo,
            clock: 1_700_000_000,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    /// Makes the working tree hold exactly the files under `src`.
    pub fn replace_tree_with(&self, src: &Path) {
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == ".git" {
                continue;
            }
            let p = entry.path();
            if p.is_dir() {
                std::fs::remove_dir_all(p).unwrap();
            } else {
                std::fs::remove_file(p).unwrap();
            }
        }
        copy_dir(src, self.path());
    }

    /// Stages everything (deletions too).
    pub fn stage_all(&self) {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"].iter(), IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"].iter(), None).unwrap();
        index.write().unwrap();
    }

    /// Stages everything and commits with a fixed author and clock.
    pub fn commit(&mut self, message: &str) -> Oid {
        self.stage_all();
        let mut index = self.repo.index().unwrap();
        let tree_id = index.write_tree().unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        self.clock += 60;
        let sig = Signature::new(
            "riskdiff tests",
            "tests@riskdiff.invalid",
            &Time::new(self.clock, 0),
        )
        .unwrap();
        let parents: Vec<git2::Commit> = match self.repo.head() {
            Ok(h) => vec![h.peel_to_commit().unwrap()],
            Err(_) => vec![],
        };
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .unwrap()
    }

    /// Commits the staged tree with HEAD and `other` as parents (a merge
    /// made with `--no-ff`).
    pub fn commit_merge(&mut self, message: &str, other: Oid) -> Oid {
        self.stage_all();
        let mut index = self.repo.index().unwrap();
        let tree_id = index.write_tree().unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        self.clock += 60;
        let sig = Signature::new(
            "riskdiff tests",
            "tests@riskdiff.invalid",
            &Time::new(self.clock, 0),
        )
        .unwrap();
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        let other = self.repo.find_commit(other).unwrap();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head, &other])
            .unwrap()
    }

    pub fn branch(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo.branch(name, &head, true).unwrap();
    }

    pub fn checkout(&self, name: &str) {
        let refname = format!("refs/heads/{name}");
        let obj = self.repo.revparse_single(&refname).unwrap();
        self.repo
            .checkout_tree(&obj, Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
        self.repo.set_head(&refname).unwrap();
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
}

pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Runs the binary; returns (exit code, stdout, stderr).
pub fn run_bin(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_riskdiff"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run riskdiff");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
