use super::*;

#[test]
fn masks_common_secret_shapes_and_keeps_length() {
    for (src, hidden) in [
        ("DB_PASSWORD=hunter2\n", "hunter2"),
        ("  api_key: \"sk_live_123\"\n", "sk_live_123"),
        ("\"client_secret\": \"abc\",\n", "abc"),
        ("'password' => 'geheim',\n", "geheim"),
        ("smtp_password = \"pässwort\"\n", "pässwort"),
    ] {
        let out = mask_secrets(src);
        assert!(!out.contains(hidden), "{src} -> {out}");
        assert!(out.contains('*'));
    }
}

#[test]
fn shell_assignments_before_a_command_mask_only_the_value() {
    let cron = "0 3 * * * root BORG_PASSPHRASE=hunter2 borg create /b::{now} /srv\n";
    assert_eq!(
        mask_secrets(cron),
        "0 3 * * * root BORG_PASSPHRASE=******** borg create /b::{now} /srv\n"
    );
    let quoted = "run: PGPASSWORD='s3 cret' pg_dump shop\n";
    let out = mask_secrets(quoted);
    assert!(!out.contains("s3") && !out.contains("cret") && out.contains("pg_dump shop"));
    // At the start of a line the value runs to its end: `.env` values.
    assert_eq!(
        mask_secrets("DB_PASSWORD=two words\n"),
        "DB_PASSWORD=********\n"
    );
    // As riskdiff's messages quote it.
    assert_eq!(
        mask_secrets("The job `BORG_PASSPHRASE=x1 borg create` (`0 3 * * *`) was removed."),
        "The job `BORG_PASSPHRASE=******** borg create` (`0 3 * * *`) was removed."
    );
    assert_eq!(
        mask_secrets("`smtp_password` changed from `a b` to `c`"),
        "`smtp_password` changed from `a b` to `c`"
    );
}

#[test]
fn leaves_references_and_ordinary_lines_alone() {
    for src in [
        "DB_PASSWORD=${DB_PASSWORD}\n",
        "password: \"{{ vault_password }}\"\n",
        "<input name=\"password\" type=\"password\">\n",
        "MAIL_HOST=smtp.example.com\n",
        "reset_password_url: /reset\n",
    ] {
        assert_eq!(mask_secrets(src), src);
    }
    assert!(!is_secret_key("reset_password_url"));
    assert!(is_secret_key("mail.smtp_password"));
}

#[test]
fn masks_url_and_spaced_passwords() {
    for (src, hidden) in [
        (
            "MAILER_DSN=smtp://mailer:s3cret@mail.example.com:587\n",
            "s3cret",
        ),
        ("url: \"postgres://app:hunter2@db/app\"\n", "hunter2"),
        (
            "poll mail.example.com user \"anna\" password \"geheim\" is anna\n",
            "geheim",
        ),
        ("  user anna with password geheim\n", "geheim"),
        (
            "machine mail.example.com login anna password geheim\n",
            "geheim",
        ),
        ("password geheim\n", "geheim"),
    ] {
        let out = mask_secrets(src);
        assert!(!out.contains(hidden), "{src} -> {out}");
        assert!(out.contains("anna") || !src.contains("anna"), "{out}");
    }
    for src in [
        "MAILER_DSN=smtp://mail.example.com:587\n",
        "see https://example.com/a:b@c for the password policy\n",
        "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n",
        "<p>Forgot your password? We send a link.</p>\n",
        "Change the password regularly\n",
    ] {
        assert_eq!(mask_secrets(src), src);
    }
}

#[test]
fn masks_password_hashes_of_passwd_files() {
    let src = "fristen@k.de:{SHA512-CRYPT}$6$abcdefgh$ijklmnop:5000:5000::/var/mail/fristen\nadmin:$2y$10$abcdefghijklmnopqrstuv\n";
    let out = mask_secrets(src);
    assert!(
        out.starts_with("fristen@k.de:*") && out.contains(":5000:5000::/var/mail/fristen"),
        "{out}"
    );
    assert!(!out.contains("abcdefgh"), "{out}");
    for src in [
        "price: {USD} $6 per month\n",
        "const x = {A}; let y = $1;\n",
        "RewriteRule ^ https://%{HTTP_HOST}%{REQUEST_URI} [R=301]\n",
    ] {
        assert_eq!(mask_secrets(src), src);
    }
}

#[test]
fn masks_private_key_blocks() {
    let src = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
    let out = mask_secrets(src);
    assert!(!out.contains("MIIEow"));
}

#[test]
fn values_are_masked_by_key() {
    assert_eq!(value_for("smtp.password", "x"), MASK);
    assert_eq!(
        value_for("smtp.host", "mail.example.com"),
        "mail.example.com"
    );
    assert_eq!(value_for("token", "$TOKEN"), "$TOKEN");
}

/// Masks `src` and asserts that none of `hidden` is left and that every
/// one of `kept` is.
fn masks(src: &str, hidden: &[&str], kept: &[&str]) {
    let out = mask_secrets(src);
    for h in hidden {
        assert!(!out.contains(h), "`{h}` leaks: {src:?} -> {out:?}");
    }
    for k in kept {
        assert!(out.contains(k), "`{k}` lost: {src:?} -> {out:?}");
    }
}

#[test]
fn every_secret_on_a_line_is_masked() {
    masks(
        "0 4 * * * RESTIC_PASSWORD=first AWS_SECRET_ACCESS_KEY=second restic backup /srv\n",
        &["first", "second"],
        &["restic backup /srv"],
    );
    masks(
        "The job `RESTIC_PASSWORD=first AWS_SECRET_ACCESS_KEY=second restic backup` was removed",
        &["first", "second"],
        &["restic backup"],
    );
    masks(
        r#"{"password": "first", "host": "db", "token": "second"}"#,
        &["first", "second"],
        &["\"host\": \"db\""],
    );
}

#[test]
fn framework_keys_and_short_names_are_secrets() {
    for (src, hidden) in [
        ("SECRET_KEY=django-insecure-abc\n", "django-insecure"),
        ("SECRET_KEY_BASE=0123abcd\n", "0123abcd"),
        ("APP_KEY=base64:Zm9vYmFy\n", "Zm9vYmFy"),
        ("DB_PASS=hunter2\n", "hunter2"),
        ("MAIL_PASS=hunter2\n", "hunter2"),
        ("MYSQL_PWD=hunter2\n", "hunter2"),
        ("auth: { user: 'a', pass: 'hunter2' }\n", "hunter2"),
    ] {
        masks(src, &[hidden], &[]);
    }
    for src in [
        "PWD=/home/app\n",
        "bypass: true\n",
        "pass: true\n",
        "compass = north\n",
    ] {
        assert_eq!(mask_secrets(src), src);
    }
    assert!(is_secret_key("DB_PASS") && is_secret_key("MYSQL_PWD"));
    assert!(!is_secret_key("bypass") && !is_secret_key("PWD"));
}

#[test]
fn command_line_passwords_are_masked() {
    for (src, hidden, kept) in [
        (
            "mysqldump -uroot -phunter2 shop > /b/shop.sql",
            "hunter2",
            "shop > /b/shop.sql",
        ),
        (
            "pg_restore --password hunter2 -d shop",
            "hunter2",
            "-d shop",
        ),
        (
            "sshpass -p hunter2 rsync -a /srv b:",
            "hunter2",
            "rsync -a /srv",
        ),
        ("sshpass -phunter2 ssh b", "hunter2", "ssh b"),
        ("curl -u anna:hunter2 https://x", "hunter2", "anna:"),
        ("curl --user=anna:hunter2 https://x", "hunter2", "anna:"),
        (
            "smbclient //nas/b -U anna%hunter2 -c ls",
            "hunter2",
            "anna%",
        ),
        ("lftp -u anna,hunter2 sftp://b", "hunter2", "anna,"),
    ] {
        masks(src, &[hidden], &[kept]);
    }
    for src in [
        "mkdir -p /srv/www",
        "ssh -p 2222 host",
        "curl -u anna https://x",
    ] {
        assert_eq!(mask_secrets(src), src);
    }
}

#[test]
fn bearer_tokens_jwts_and_known_tokens_are_masked() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2ln";
    masks(
        "curl -H 'Authorization: Bearer abcdefghijkl0123' https://api",
        &["abcdefghijkl0123"],
        &["Bearer ", "https://api"],
    );
    masks(
        &format!("session: {jwt}\n"),
        &["eyJzdWIiOiIxMjM0In0", "c2lnbmF0dXJl"],
        &["session: "],
    );
    masks(
        "git clone https://x/ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/a",
        &["abcdefghijklmnop"],
        &[],
    );
    masks("aws AKIAIOSFODNN7EXAMPLE", &["IOSFODNN7EXAMPLE"], &["aws "]);
    assert_eq!(mask_secrets("a bearer of news\n"), "a bearer of news\n");
}

#[test]
fn dovecot_plaintext_and_password_inputs_are_masked() {
    masks(
        "anna@example.org:{PLAIN}hunter2:5000:5000::/var/mail/anna\n",
        &["hunter2"],
        &["anna@example.org:", ":5000:5000::/var/mail/anna"],
    );
    masks(
        "anna:{CLEARTEXT}hunter2\nbob:{plain}geheim12\n",
        &["hunter2", "geheim12"],
        &["anna:", "bob:"],
    );
    masks(
        "<input type=\"password\" name=\"pw\" value=\"hunter2\">\n",
        &["hunter2"],
        &["type=\"password\""],
    );
    masks(
        "<input name=\"password\" value='hunter2' class=x>\n",
        &["hunter2"],
        &["class=x"],
    );
    masks(
        "<input type=hidden name=api_token value=abcdef0123>",
        &["abcdef0123"],
        &[],
    );
    let plain = "<input name=\"email\" value=\"anna@example.org\">\n";
    assert_eq!(mask_secrets(plain), plain);
}

#[test]
fn a_one_line_private_key_does_not_star_the_rest_of_the_file() {
    let src = "{\n  \"type\": \"service_account\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"ci@project.iam.gserviceaccount.com\"\n}\n";
    masks(
        src,
        &["MIIEvQIBADANBgkq"],
        &[
            "ci@project.iam.gserviceaccount.com",
            "\"type\": \"service_account\"",
        ],
    );
    // A block on several lines whose end is missing stops at the first
    // line that is not key material.
    let src = "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEowIBAAKCAQEA\n  Zm9vYmFy\nhost: mail.example.org\n";
    masks(src, &["MIIEow", "Zm9vYmFy"], &["host: mail.example.org"]);
}

#[test]
fn masks_have_one_length_and_offsets_map_across_them() {
    let short = mask_secrets("DB_PASSWORD=a\n");
    let long = mask_secrets("DB_PASSWORD=a-much-longer-password\n");
    assert_eq!(short, long);
    assert_eq!(short, format!("DB_PASSWORD={MASK}\n"));
    let src = "x\nDB_PASSWORD=a-much-longer-password\n<form>\n";
    let m = mask_mapped(src);
    let form = src.find("<form>").unwrap();
    let at = m.offset(form, false);
    assert_eq!(&m.text[at..at + 6], "<form>");
    let value = src.find("a-much").unwrap();
    assert_eq!(
        &m.text[m.offset(value, false)..m.offset(value + 3, true)],
        MASK
    );
    // Stars the text holds itself are no mask.
    assert_eq!(mask_secrets("a *** b\n"), "a *** b\n");
}

#[test]
fn printable_neutralises_terminal_escapes_and_keeps_offsets() {
    let src = "evil\x1b]0;title\x07 name\u{202e}txt.html\r\nok\tline\n";
    let out = printable(src);
    assert_eq!(out.len(), src.len());
    assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{202e}'));
    assert!(out.contains("\r\n") && out.contains("ok\tline"));
    assert!(matches!(
        printable("plain\n"),
        std::borrow::Cow::Borrowed(_)
    ));
}
