//! Leaks and writes outside the repository: links, FIFOs and devices in
//! the files riskdiff reads and writes itself.

use crate::common::{run_bin, TestRepo};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FORM: &str = "<form id=\"contact\" action=\"/send\" method=\"post\">\n  <input name=\"email\" type=\"email\">\n  <button type=\"submit\">Send</button>\n</form>\n";

/// A repository whose last commit removes the contact form of each page.
fn removed_forms(pages: usize) -> TestRepo {
    let mut repo = TestRepo::new();
    for i in 0..pages {
        repo.write(&format!("page{i}.html"), format!("<h1>{i}</h1>\n{FORM}"));
    }
    repo.commit("with forms");
    for i in 0..pages {
        repo.write(&format!("page{i}.html"), format!("<h1>{i}</h1>\n"));
    }
    repo.commit("without forms");
    repo
}

/// A file outside the repository holding what a CI runner's environment
/// would: it must never be printed.
fn runner_secrets() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("environ"),
        "GITHUB_TOKEN=ghp_leakedleakedleaked\nAWS_SECRET_ACCESS_KEY=leakedkey\n",
    )
    .unwrap();
    dir
}

fn fingerprints(dir: &Path) -> Vec<String> {
    let (_, out, err) = run_bin(dir, &["check", "HEAD~1..HEAD", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_ack_file_linked_outside_is_refused_without_printing_it() {
    let repo = removed_forms(1);
    let outside = runner_secrets();
    std::fs::create_dir_all(repo.path().join(".riskdiff")).unwrap();
    symlink(
        outside.path().join("environ"),
        repo.path().join(".riskdiff/acknowledged.toml"),
    )
    .unwrap();
    let (code, out, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!err.contains("leaked") && !out.contains("leaked"), "{err}");
}

#[test]
fn a_riskdiff_directory_linked_outside_is_refused() {
    let repo = removed_forms(1);
    let outside = runner_secrets();
    std::fs::rename(
        outside.path().join("environ"),
        outside.path().join("acknowledged.toml"),
    )
    .unwrap();
    symlink(outside.path(), repo.path().join(".riskdiff")).unwrap();
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`.riskdiff`") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(!err.contains("leaked"), "{err}");
}

#[test]
fn config_and_attributes_linked_to_devices_are_refused_or_ignored() {
    let repo = removed_forms(1);
    symlink("/dev/zero", repo.path().join("riskdiff.toml")).unwrap();
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    std::fs::remove_file(repo.path().join("riskdiff.toml")).unwrap();
    // .gitattributes only narrows what is analysed: a link is ignored.
    symlink("/dev/urandom", repo.path().join(".gitattributes")).unwrap();
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 1, "{err}");
}

/// Runs the binary, killing it if it has not finished in `limit`: a FIFO
/// read would otherwise hang the test run instead of failing it.
fn run_bounded(dir: &Path, args: &[&str], limit: Duration) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_riskdiff"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn a_fifo_as_ack_file_does_not_hang() {
    let repo = removed_forms(1);
    std::fs::create_dir_all(repo.path().join(".riskdiff")).unwrap();
    let fifo = repo.path().join(".riskdiff/acknowledged.toml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let code = run_bounded(
        repo.path(),
        &["check", "HEAD~1..HEAD"],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(2), "a FIFO must be refused, not read");
}

#[test]
fn a_broken_ack_file_quotes_its_line_masked() {
    let repo = removed_forms(1);
    repo.write(
        ".riskdiff/acknowledged.toml",
        "[[acknowledged]]\napi_token = \"ghp_leakedleakedleaked\"\n",
    );
    let (code, _, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("acknowledged.toml:2"), "{err}");
    assert!(!err.contains("leaked"), "{err}");
}

#[test]
fn ack_never_writes_through_a_dangling_link() {
    let repo = removed_forms(1);
    let fp = fingerprints(repo.path()).remove(0);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("created");
    std::fs::create_dir_all(repo.path().join(".riskdiff")).unwrap();
    symlink(&target, repo.path().join(".riskdiff/acknowledged.toml")).unwrap();
    let (code, _, err) = run_bin(repo.path(), &["ack", &fp, "--reason", "ok", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        !target.exists(),
        "ack created a file outside the repository"
    );
    let (code, _, _) = run_bin(repo.path(), &["ack", "--prune", "HEAD~1..HEAD"]);
    assert_eq!(code, 2);
    assert!(!target.exists());
}

#[test]
fn init_and_install_hook_never_write_through_links() {
    let repo = removed_forms(1);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("riskdiff.toml");
    symlink(&target, repo.path().join("riskdiff.toml")).unwrap();
    let (code, _, err) = run_bin(repo.path(), &["init"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        !target.exists(),
        "init created a file outside the repository"
    );

    let victim = outside.path().join("victim.sh");
    std::fs::write(&victim, "# installed by riskdiff install-hook\nkeep me\n").unwrap();
    let hooks = repo.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    symlink(&victim, hooks.join("pre-commit")).unwrap();
    let (code, _, err) = run_bin(repo.path(), &["install-hook", "--force"]);
    assert_eq!(code, 2, "{err}");
    assert!(std::fs::read_to_string(&victim)
        .unwrap()
        .contains("keep me"));
}

#[test]
fn eight_concurrent_acks_keep_eight_entries() {
    let repo = removed_forms(8);
    let fps = fingerprints(repo.path());
    assert_eq!(fps.len(), 8, "{fps:?}");
    let children: Vec<_> = fps
        .iter()
        .map(|fp| {
            Command::new(env!("CARGO_BIN_EXE_riskdiff"))
                .args(["ack", fp, "--reason", "reviewed", "HEAD~1..HEAD"])
                .current_dir(repo.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(repo.path().join(".riskdiff/acknowledged.toml")).unwrap();
    for fp in &fps {
        assert!(text.contains(fp.as_str()), "lost {fp}:\n{text}");
    }
    assert!(!repo.path().join(".riskdiff/.lock").exists());
}

#[test]
fn a_handler_behind_a_linked_directory_is_not_found_outside() {
    let mut repo = TestRepo::new();
    let page = "<form id=\"anfrage\" action=\"handlers/send.php\" method=\"post\">\n  <input name=\"email\" required>\n  <button type=\"submit\">Send</button>\n</form>\n";
    repo.write("site/kontakt.html", page);
    repo.write(
        "site/handlers/send.php",
        "<?php mail('a@b.de', 's', $_POST['email']);\n",
    );
    repo.commit("page and handler");
    // The working tree swaps the handler directory for a link to a copy
    // outside the repository.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("send.php"), "<?php\n").unwrap();
    std::fs::remove_dir_all(repo.path().join("site/handlers")).unwrap();
    symlink(outside.path(), repo.path().join("site/handlers")).unwrap();
    let (code, out, err) = run_bin(repo.path(), &["check", "HEAD", "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("forms/handler-missing"), "{out}");
}

/// A partial clone (`--filter=blob:none`) lacks the blobs it never checked
/// out: the check stops with exit 2 and says what fetches them, instead of
/// reading the missing page as skipped and passing.
#[test]
fn a_missing_blob_stops_the_check_with_the_command_that_fetches_it() {
    let repo = removed_forms(1);
    let blob = repo
        .repo
        .revparse_single("HEAD~1:page0.html")
        .unwrap()
        .id()
        .to_string();
    let loose = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(loose).unwrap();
    let (code, out, err) = run_bin(repo.path(), &["check", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("`page0.html` ("), "{err}");
    assert!(err.contains("git diff --stat"), "{err}");
    assert!(!out.contains("no findings"), "{out}");
}
