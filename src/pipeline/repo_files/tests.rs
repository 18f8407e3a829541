use super::*;
use std::os::unix::fs::symlink;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn reads_a_regular_file_and_nothing_else() {
    let root = tmp();
    let outside = tmp();
    fs::write(outside.path().join("environ"), "CI_TOKEN=s3cr3t").unwrap();
    fs::write(root.path().join("plain.toml"), "a = 1").unwrap();
    assert_eq!(read(root.path(), "plain.toml", 100).unwrap(), b"a = 1");

    // A link as the file itself, and a link as a directory on the way.
    symlink(
        outside.path().join("environ"),
        root.path().join("link.toml"),
    )
    .unwrap();
    symlink(outside.path(), root.path().join(".riskdiff")).unwrap();
    fs::write(outside.path().join("acknowledged.toml"), "x").unwrap();
    assert!(
        matches!(read(root.path(), "link.toml", 100), Err(Refusal::Link(at)) if at == "link.toml")
    );
    assert!(
        matches!(read(root.path(), ".riskdiff/acknowledged.toml", 100), Err(Refusal::Link(at)) if at == ".riskdiff")
    );
    // Devices are only reachable through a link, refused before opening.
    symlink("/dev/zero", root.path().join("zero")).unwrap();
    assert!(matches!(
        read(root.path(), "zero", 100),
        Err(Refusal::Link(_))
    ));
    // A directory, a FIFO (would block a plain read forever).
    fs::create_dir(root.path().join("dir")).unwrap();
    assert!(matches!(
        read(root.path(), "dir", 100),
        Err(Refusal::NotRegular)
    ));
    let fifo = root.path().join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(matches!(
        read(root.path(), "fifo", 100),
        Err(Refusal::NotRegular)
    ));
    // Paths that leave the root, missing files, the cap.
    assert!(matches!(
        read(root.path(), "../x", 100),
        Err(Refusal::Missing)
    ));
    assert!(matches!(
        read(root.path(), "nope", 100),
        Err(Refusal::Missing)
    ));
    assert!(matches!(
        read(root.path(), "plain.toml/x", 100),
        Err(Refusal::Missing)
    ));
    assert!(matches!(
        read(root.path(), "plain.toml", 3),
        Err(Refusal::TooLarge(5))
    ));
}

#[test]
fn a_refused_setting_never_quotes_what_the_link_points_at() {
    let root = tmp();
    let outside = tmp();
    fs::write(outside.path().join("environ"), "CI_TOKEN=s3cr3t\n").unwrap();
    symlink(
        outside.path().join("environ"),
        root.path().join("riskdiff.toml"),
    )
    .unwrap();
    let err = read_setting(root.path(), "riskdiff.toml", "riskdiff.toml").unwrap_err();
    assert!(err.message.contains("symbolic link"), "{err}");
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
    assert_eq!(
        read_setting(root.path(), "absent.toml", "absent.toml").unwrap(),
        None
    );
}

#[test]
fn exists_never_looks_through_a_linked_directory() {
    let root = tmp();
    let outside = tmp();
    fs::write(outside.path().join("send.php"), "<?php").unwrap();
    symlink(outside.path(), root.path().join("handlers")).unwrap();
    fs::write(root.path().join("here.php"), "<?php").unwrap();
    assert!(!exists(root.path(), "handlers/send.php"));
    assert!(exists(root.path(), "handlers"), "a link itself is present");
    assert!(exists(root.path(), "here.php"));
    assert!(!exists(root.path(), "../here.php"));
}

#[test]
fn writes_refuse_links_and_replace_atomically() {
    let root = tmp();
    let outside = tmp();
    // A dangling link must not create its target outside the repository.
    let target = outside.path().join("created-by-riskdiff");
    symlink(&target, root.path().join("riskdiff.toml")).unwrap();
    let err = write(root.path(), "riskdiff.toml", b"x", 0o644, Existing::Keep).unwrap_err();
    assert!(err.message.contains("symbolic link"), "{err}");
    assert!(!target.exists());
    // An existing target behind a link is not overwritten.
    fs::write(outside.path().join("victim"), "keep me").unwrap();
    symlink(outside.path().join("victim"), root.path().join("hook")).unwrap();
    assert!(write(root.path(), "hook", b"x", 0o755, Existing::Replace).is_err());
    assert_eq!(
        fs::read_to_string(outside.path().join("victim")).unwrap(),
        "keep me"
    );
    // A linked directory on the way.
    symlink(outside.path(), root.path().join(".riskdiff")).unwrap();
    assert!(write(
        root.path(),
        ".riskdiff/acknowledged.toml",
        b"x",
        0o644,
        Existing::Replace
    )
    .is_err());
    assert!(!outside.path().join("acknowledged.toml").exists());
    assert!(lock(root.path(), ".riskdiff/.lock").is_err());
    assert!(!outside.path().join(".lock").exists());

    write(root.path(), "a/b/c.toml", b"one", 0o644, Existing::Replace).unwrap();
    write(root.path(), "a/b/c.toml", b"two", 0o644, Existing::Replace).unwrap();
    assert_eq!(
        fs::read_to_string(root.path().join("a/b/c.toml")).unwrap(),
        "two"
    );
    assert!(write(root.path(), "a/b/c.toml", b"3", 0o644, Existing::Keep).is_err());
    let names: Vec<_> = fs::read_dir(root.path().join("a/b")).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file left behind");
}

#[test]
fn eight_concurrent_writers_under_the_lock_keep_eight_entries() {
    let root = tmp();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let root = root.path().to_path_buf();
            std::thread::spawn(move || {
                let _held = lock(&root, ".riskdiff/.lock").unwrap();
                let mut text = read_setting(&root, "list.txt", "list.txt")
                    .unwrap()
                    .unwrap_or_default();
                // Widen the window a lost update would need.
                std::thread::sleep(Duration::from_millis(5));
                text.push_str(&format!("entry {i}\n"));
                write(&root, "list.txt", text.as_bytes(), 0o644, Existing::Replace).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = fs::read_to_string(root.path().join("list.txt")).unwrap();
    assert_eq!(text.lines().count(), 8, "{text}");
    assert!(!root.path().join(".riskdiff/.lock").exists());
}

#[test]
fn quoted_lines_are_masked_neutralised_and_short() {
    let text = "a = 1\nAWS_SECRET_ACCESS_KEY=abcd \x1b[2J\n";
    let (line, shown) = quote_line(text, 8);
    assert_eq!(line, 2);
    assert!(
        !shown.contains("abcd") && !shown.contains('\x1b'),
        "{shown}"
    );
    let long = "x".repeat(10_000);
    assert!(quote_line(&long, 5).1.chars().count() <= QUOTE_MAX_CHARS + 1);
}
