//! A whole check of a two-commit change to one file, as a pull request
//! would bring it: every family, the filters, masking and every renderer.
//! The file's path (and so its language and the families that read it)
//! comes from the selector, and so does whether it was added, modified or
//! deleted.
use std::cell::RefCell;
use std::path::PathBuf;

use super::super::{pick, split};
use git2::{Index, IndexEntry, IndexTime, Oid, Repository, Signature};
use riskdiff::pipeline::revisions::{HeadSpec, RangeSpec};
use riskdiff::report::{render, Format};
use riskdiff::{run_check, CheckOptions};

const PATHS: &[&str] = &[
    "templates/contact.html",
    "contact.php",
    "resources/views/contact.blade.php",
    "app/views/contact/new.html.erb",
    "templates/contact.html.j2",
    "content/contact.md",
    "src/Contact.vue",
    "src/Contact.jsx",
    "app/tasks/send_shipments.py",
    "app/Jobs/SendOrders.php",
    "app/jobs/send_orders.rb",
    "src/worker.js",
    "src/worker.ts",
    "shop/urls.py",
    "config/routes.rb",
    "routes/web.php",
    "shop/settings.py",
    "config/mail.php",
    ".env",
    "config/application.yml",
    "docker-compose.yml",
    "infra/main.tf",
    "config/production.json",
    "config.toml",
    "etc/cron.d/backup",
    "scripts/backup.sh",
    ".github/workflows/backup.yml",
    "k8s/backup-cronjob.yaml",
    "postfix/main.cf",
    "redis/redis.conf",
    "dns/zone.yaml",
    "app/config/parameters.ini",
];

const FORMATS: &[Format] = &[
    Format::Human,
    Format::Json,
    Format::Sarif,
    Format::Github,
    Format::Markdown,
    Format::Gitlab,
];

/// A scratch repository in memory-backed storage, replaced now and then so
/// its loose objects do not pile up over millions of runs.
struct Scratch {
    dir: PathBuf,
    repo: Repository,
    runs: u32,
}

impl Scratch {
    fn new(generation: u32) -> Scratch {
        let root = if std::path::Path::new("/dev/shm").is_dir() {
            "/dev/shm"
        } else {
            "/tmp"
        };
        let dir = PathBuf::from(format!(
            "{root}/riskdiff-fuzz-{}-{generation}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let repo = Repository::init(&dir).expect("scratch repository");
        Scratch { dir, repo, runs: 0 }
    }

    fn tree(&self, file: Option<(&str, &[u8])>) -> Oid {
        let mut index = Index::new().expect("index");
        if let Some((path, bytes)) = file {
            let id = self.repo.blob(bytes).expect("blob");
            let time = IndexTime::new(0, 0);
            let entry = IndexEntry {
                ctime: time,
                mtime: time,
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: bytes.len() as u32,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).expect("index entry");
        }
        index.write_tree_to(&self.repo).expect("tree")
    }

    fn commit(&self, tree: Oid, parent: Option<Oid>) -> Oid {
        let sig = Signature::new("fuzz", "fuzz@riskdiff.invalid", &git2::Time::new(0, 0)).unwrap();
        let tree = self.repo.find_tree(tree).unwrap();
        let parent = parent.map(|p| self.repo.find_commit(p).unwrap());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(None, &sig, &sig, "change", &tree, &parents)
            .expect("commit")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

thread_local! {
    static SCRATCH: RefCell<(u32, Option<Scratch>)> = const { RefCell::new((0, None)) };
}

pub fn run(data: &[u8]) {
    let Some(case) = split(data) else { return };
    let path = pick(PATHS, case.selector);
    // Bits 5 and 6: 1 added, 2 deleted, else modified.
    let (base, head) = match (case.selector >> 5) & 3 {
        1 => (None, Some(case.head)),
        2 => (Some(case.base), None),
        _ => (Some(case.base), Some(case.head)),
    };
    SCRATCH.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (generation, slot) = &mut *cell;
        if slot.as_ref().is_none_or(|s| s.runs >= 2_000) {
            *slot = None;
            *generation += 1;
            *slot = Some(Scratch::new(*generation));
        }
        let scratch = slot.as_mut().unwrap();
        scratch.runs += 1;
        let base_commit = scratch.commit(scratch.tree(base.map(|b| (path, b))), None);
        let head_commit = scratch.commit(scratch.tree(head.map(|h| (path, h))), Some(base_commit));
        let mut opts = CheckOptions::new(
            &scratch.dir,
            RangeSpec::Explicit {
                base: Some(base_commit.to_string()),
                head: HeadSpec::Rev(head_commit.to_string()),
                merge_base: false,
            },
        );
        opts.threads = Some(1);
        // Errors (exit 2 on the command line) are fine; panics and aborts
        // are what this target looks for.
        if let Ok(report) = run_check(&opts) {
            for &format in FORMATS {
                let mut out = Vec::new();
                render(&report, format, true, &mut out).expect("render to memory");
            }
        }
    });
}
