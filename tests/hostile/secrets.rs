//! Secrets in output: every secret of a line masked in every format, masks
//! of one length, fingerprints that do not confirm a guessed password, and
//! no terminal escapes from the repository in human output.

use crate::common::{run_bin, TestRepo};
use std::path::Path;

const FORMATS: &[&str] = &["human", "json", "sarif", "github", "markdown", "gitlab"];

/// Every format's output of `HEAD~1..HEAD`.
fn all_formats(dir: &Path) -> Vec<(String, String)> {
    FORMATS
        .iter()
        .map(|f| {
            let (code, out, err) = run_bin(
                dir,
                &["check", "HEAD~1..HEAD", "--format", f, "--color", "always"],
            );
            assert!(code < 2, "{f}: {err}");
            (f.to_string(), out)
        })
        .collect()
}

/// A repository whose last commit removes a backup cron job that carries
/// `line`'s credentials.
fn removed_cron_job(line: &str) -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write(
        "etc/cron.d/backup",
        format!("# m h dom mon dow user command\n{line}\n"),
    );
    repo.commit("backup job");
    repo.write("etc/cron.d/backup", "# m h dom mon dow user command\n");
    repo.commit("drop it");
    repo
}

const JOB: &str = "0 4 * * * root RESTIC_PASSWORD=leaked-first AWS_SECRET_ACCESS_KEY=leaked-second restic -r s3:backups backup /srv";

#[test]
fn every_secret_of_a_line_is_masked_in_all_formats() {
    let repo = removed_cron_job(JOB);
    for (format, out) in all_formats(repo.path()) {
        assert!(out.contains("restic"), "{format}: no finding\n{out}");
        assert!(!out.contains("leaked"), "{format} leaks:\n{out}");
    }
}

#[test]
fn command_line_and_token_secrets_are_masked_in_all_formats() {
    let repo = removed_cron_job(
        "0 5 * * * root mysqldump -uroot -pleaked-mysql shop | curl -u anna:leaked-curl -H 'Authorization: Bearer leakedbearertoken' -T - https://b/ && sshpass -p leaked-ssh rsync -a /srv b: && borg create /b::x /srv",
    );
    for (format, out) in all_formats(repo.path()) {
        assert!(out.contains("mysqldump"), "{format}: no finding\n{out}");
        assert!(!out.contains("leaked"), "{format} leaks:\n{out}");
    }
}

fn fingerprint(dir: &Path) -> String {
    let (_, out, err) = run_bin(dir, &["check", "HEAD~1..HEAD", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e} {err}"));
    v["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_fingerprint_never_confirms_a_guessed_password() {
    let a = removed_cron_job("15 2 * * * root BORG_PASSPHRASE=short borg create /b::x /srv");
    let b = removed_cron_job(
        "15 2 * * * root BORG_PASSPHRASE=a-much-longer-passphrase borg create /b::x /srv",
    );
    assert_eq!(fingerprint(a.path()), fingerprint(b.path()));
    // The human reports differ only in their commit ids.
    let report = |dir: &Path| {
        let (_, out, _) = run_bin(dir, &["check", "HEAD~1..HEAD"]);
        let base = out.split_whitespace().nth(3).unwrap_or("").to_string();
        out.lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
            .replace(&base, "BASE")
    };
    assert_eq!(
        report(a.path()),
        report(b.path()),
        "the masks tell the lengths apart"
    );
}

#[test]
fn terminal_escapes_from_the_repository_never_reach_the_terminal() {
    let mut repo = TestRepo::new();
    let name = "evil\x1b]0;owned\x07\x1b[2J.html";
    let form = "<form id=\"c\" action=\"/send\" method=\"post\">\n<input name=\"email\">\n<button type=\"submit\">Send \x1b[8mhidden\x1b[0m</button>\n</form>\n";
    repo.write(name, format!("<h1>x</h1>\n{form}"));
    repo.commit("page");
    repo.write(name, "<h1>x</h1>\n");
    repo.commit("form removed");
    for format in ["human", "github"] {
        let (code, out, _) = run_bin(repo.path(), &["check", "HEAD~1..HEAD", "--format", format]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("evil"), "{out}");
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{format}: {out:?}"
        );
    }
}
