//! Masks values that look like secrets in everything riskdiff prints:
//! reports end up in PR comments and CI logs. Masking keeps byte lengths,
//! so spans into the masked text stay exact.

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "accesskey",
    "private_key",
    "privatekey",
    "credentials",
    "client_secret",
    "auth_key",
    "signing_key",
    "encryption_key",
    "dsn_password",
];

/// What may follow a secret word at the end of a key that still holds the
/// secret (`password_hash`, `tokens`); `reset_password_url` holds a URL.
const SECRET_TAILS: &[&str] = &[
    "", "s", "_hash", "_value", "_digest", "_plain", "_b64", "_base64", "_enc",
];

/// Whether a key name looks like it holds a secret: a secret word at the
/// end of its last segment.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let last = k.rsplit(['.', '/', ':']).next().unwrap_or(&k);
    SECRET_WORDS.iter().any(|w| {
        last.rfind(w)
            .is_some_and(|i| SECRET_TAILS.contains(&&last[i + w.len()..]))
    })
}

/// A value as it may be shown: masked when its key looks secret.
pub fn value_for(key: &str, value: &str) -> String {
    if is_secret_key(key) && !value.is_empty() && !is_reference(value) {
        "****".to_string()
    } else {
        value.to_string()
    }
}

/// References to a secret kept elsewhere are safe to show.
fn is_reference(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    v.is_empty()
        || v.starts_with('$')
        || v.starts_with("{{")
        || v.starts_with("%(")
        || v.starts_with("env(")
        || v.starts_with("ENV[")
        || v.starts_with("getenv")
        || v.starts_with("os.environ")
        || v.starts_with("process.env")
        || v.starts_with("!vault")
        || v.starts_with("<%")
}

/// Masks secrets in everything a finding prints that rules took from the
/// repository. The fingerprint was taken before, from the unmasked subject,
/// so it does not change.
pub fn mask_finding(f: &mut crate::findings::finding::Finding) {
    f.message = mask_secrets(&f.message);
    f.subject = mask_secrets(&f.subject);
    if let Some(l) = &f.label {
        f.label = Some(mask_secrets(l));
    }
    for v in f.evidence.values_mut() {
        *v = mask_secrets(v);
    }
    for r in &mut f.related {
        r.message = mask_secrets(&r.message);
    }
}

/// Masks secret values in a whole file: `key = value`, `key: value`,
/// `"key": "value"`, `key => value` where the key looks secret, and the body
/// of private-key blocks. Every masked character becomes as many `*` as it
/// has bytes.
pub fn mask_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_key_block = false;
    for line in text.split_inclusive('\n') {
        if line.contains("-----BEGIN") && line.contains("PRIVATE KEY") {
            in_key_block = true;
            out.push_str(line);
            continue;
        }
        if in_key_block {
            if line.contains("-----END") {
                in_key_block = false;
                out.push_str(line);
            } else {
                out.push_str(&stars_keep_newline(line));
            }
            continue;
        }
        let line = mask_line(line);
        let line = mask_url_passwords(&line);
        let line = mask_password_hashes(&line);
        out.push_str(&mask_spaced_password(&line));
    }
    out
}

/// `scheme://user:password@host` in DSNs and connection URLs: the
/// password between the first `:` of the user info and the `@`.
fn mask_url_passwords(line: &str) -> String {
    let mut out = line.to_string();
    let mut from = 0;
    while let Some(pos) = out[from..].find("://") {
        let auth_start = from + pos + 3;
        let rest = &out[auth_start..];
        let auth_len = rest
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(rest.len());
        let auth = &rest[..auth_len];
        from = auth_start;
        let (Some(at), Some(colon)) = (auth.rfind('@'), auth.find(':')) else {
            continue;
        };
        if colon >= at {
            continue;
        }
        let password = &auth[colon + 1..at];
        if password.is_empty() || is_reference(password) || password.chars().all(|c| c == '*') {
            continue;
        }
        let start = auth_start + colon + 1;
        let end = auth_start + at;
        out = format!(
            "{}{}{}",
            &out[..start],
            stars(&out[start..end]),
            &out[end..]
        );
    }
    out
}

/// Crypt-style prefixes of password hashes.
const HASH_PREFIXES: &[&str] = &[
    "$1$", "$2a$", "$2b$", "$2y$", "$5$", "$6$", "$y$", "$argon2", "$pbkdf2", "$scrypt$",
];

/// Words of Dovecot password scheme names (`{SHA512-CRYPT}`, `{PLAIN}`).
const HASH_SCHEME_WORDS: &[&str] = &["CRYPT", "SHA", "MD5", "PLAIN", "ARGON", "PBKDF", "SCRAM"];

/// Password hashes in passwd-style files (Dovecot `user:{SHA512-CRYPT}$6$…:`,
/// `/etc/shadow`, htpasswd): a `{SCHEME}` prefix or a crypt prefix up to the
/// next `:` or blank. A hash is not the password, but it can be cracked
/// offline and has no business in a CI log.
fn mask_password_hashes(line: &str) -> String {
    let mut out = line.to_string();
    let mut from = 0;
    loop {
        let rest = &out[from..];
        let scheme = rest.find('{').filter(|&i| {
            let after = &rest[i + 1..];
            after.find('}').is_some_and(|j| {
                let name = &after[..j];
                name.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
                    && HASH_SCHEME_WORDS.iter().any(|w| name.contains(w))
            })
        });
        let crypt = HASH_PREFIXES.iter().filter_map(|p| rest.find(p)).min();
        let Some(start) = [scheme, crypt].into_iter().flatten().min() else {
            break;
        };
        let start = from + start;
        let len = out[start..]
            .find(|c: char| c == ':' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(out.len() - start);
        if len < 8 {
            from = start + len.max(1);
            continue;
        }
        out = format!(
            "{}{}{}",
            &out[..start],
            stars(&out[start..start + len]),
            &out[start + len..]
        );
        from = start + len;
    }
    out
}

/// The words after which a space-separated `password VALUE` is a setting
/// rather than prose (fetchmailrc `user "a" with password "b"`, netrc
/// `login u password p`).
const SPACED_PASSWORD_LEADS: &[&str] = &["user", "username", "login", "with"];

/// `password "x"` / `passwd x` without `=` or `:`: fetchmailrc, netrc,
/// getmail. Prose stays alone: the value must be quoted, follow a keyword
/// of those formats, or be the only word after `password` on the line.
fn mask_spaced_password(line: &str) -> String {
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push((s, &line[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &line[s..]));
    }
    let mut out = line.to_string();
    for i in 0..words.len().saturating_sub(1) {
        let word = words[i].1.to_ascii_lowercase();
        if !matches!(word.as_str(), "password" | "passwd" | "pass") {
            continue;
        }
        let (at, value) = words[i + 1];
        let quoted = value.starts_with(['"', '\'']);
        let after_keyword =
            i > 0 && SPACED_PASSWORD_LEADS.contains(&words[i - 1].1.to_ascii_lowercase().as_str());
        let alone = i == 0 && words.len() == 2;
        // After `user "a"` the keyword before `password` is the user's name.
        let after_user_value = i >= 2
            && matches!(
                words[i - 2].1.to_ascii_lowercase().as_str(),
                "user" | "username" | "login"
            );
        if !(quoted || after_keyword || alone || after_user_value) {
            continue;
        }
        let inner = value.trim_end_matches([',', ';']).trim_matches(['"', '\'']);
        if inner.is_empty() || is_reference(inner) {
            continue;
        }
        let start = at + value.find(inner).unwrap_or(0);
        let end = start + inner.len();
        out = format!(
            "{}{}{}",
            &out[..start],
            stars(&out[start..end]),
            &out[end..]
        );
    }
    out
}

fn stars(s: &str) -> String {
    "*".repeat(s.len())
}

fn stars_keep_newline(line: &str) -> String {
    let body = line.trim_end_matches(['\n', '\r']);
    format!("{}{}", stars(body), &line[body.len()..])
}

fn mask_line(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    for word in SECRET_WORDS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(word) {
            let key_end = from + pos + word.len();
            // The rest of the key name (`_hash`, `"`), then the separator.
            let rest = &line[key_end..];
            let key_tail = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
                .unwrap_or(rest.len());
            if !SECRET_TAILS.contains(&rest[..key_tail].to_ascii_lowercase().as_str()) {
                from = key_end;
                continue;
            }
            let after_key = &rest[key_tail..];
            let trimmed = after_key.trim_start_matches(['"', '\'', ' ', '\t', ']']);
            let sep_len = if trimmed.starts_with("=>") {
                2
            } else if trimmed.starts_with(['=', ':']) {
                1
            } else {
                from = key_end;
                continue;
            };
            let value_start_rel = after_key.len() - trimmed.len() + sep_len;
            let value_region = &after_key[value_start_rel..];
            let value_trimmed = value_region.trim_start();
            let lead = value_region.len() - value_trimmed.len();
            let value_body = value_trimmed.trim_end_matches(['\n', '\r', ' ', '\t', ',', ';']);
            // In riskdiff's own messages a quoted value ends at its backtick.
            let value_body = value_body.split('`').next().unwrap_or(value_body);
            // A shell assignment before a command (`BORG_PASSPHRASE=x borg
            // create …`, quoted or not) ends at its closing quote or its
            // first blank; the command after it stays readable.
            // Only mid-line: a `.env` line `KEY=two words` keeps its whole
            // value masked.
            let key_begin = line[..from + pos]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let mid_line = line[..key_begin].ends_with([' ', '\t', '`'])
                && !line[..key_begin].trim_matches([' ', '\t', '`']).is_empty();
            let shell = sep_len == 1 && trimmed.starts_with('=') && lead == 0 && mid_line;
            let value_body = match value_body.chars().next() {
                Some(q @ ('"' | '\'')) if shell => value_body[1..]
                    .find(q)
                    .map_or(value_body, |end| &value_body[..end + 2]),
                Some(_) if shell => value_body
                    .find(char::is_whitespace)
                    .map_or(value_body, |end| &value_body[..end]),
                _ => value_body,
            };
            let inner = value_body.trim_matches(['"', '\'']);
            if inner.is_empty()
                || is_reference(inner)
                || inner.starts_with('[')
                || inner.starts_with('{')
            {
                from = key_end;
                continue;
            }
            let quote_len =
                (value_body.len() - value_body.trim_start_matches(['"', '\'']).len()).min(1);
            let abs_start = key_end + key_tail + value_start_rel + lead + quote_len;
            let abs_end = abs_start + inner.len();
            return format!(
                "{}{}{}",
                &line[..abs_start],
                stars(&line[abs_start..abs_end]),
                &line[abs_end..]
            );
        }
    }
    line.to_string()
}

/// Text from the repository made safe to print on a terminal: control
/// characters (an escape sequence in a file name or a quoted line could
/// rewrite the terminal or hide a line of the report) and the invisible
/// bidirectional overrides become `?`, one per byte, so byte offsets into
/// the text stay exact. Tabs and newlines stay, and a carriage return only
/// as part of `\r\n`.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char, next: Option<char>| {
        (c.is_control() && c != '\n' && c != '\t' && !(c == '\r' && next == Some('\n')))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    let mut chars = text.chars().peekable();
    let mut clean = true;
    while let Some(c) = chars.next() {
        if bad(c, chars.peek().copied()) {
            clean = false;
            break;
        }
    }
    if clean {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if bad(c, chars.peek().copied()) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
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
            assert_eq!(out.len(), src.len(), "{src}");
            assert!(!out.contains(hidden), "{src} -> {out}");
            assert!(out.contains('*'));
        }
    }

    #[test]
    fn shell_assignments_before_a_command_mask_only_the_value() {
        let cron = "0 3 * * * root BORG_PASSPHRASE=hunter2 borg create /b::{now} /srv\n";
        assert_eq!(
            mask_secrets(cron),
            "0 3 * * * root BORG_PASSPHRASE=******* borg create /b::{now} /srv\n"
        );
        let quoted = "run: PGPASSWORD='s3 cret' pg_dump shop\n";
        let out = mask_secrets(quoted);
        assert!(!out.contains("s3") && !out.contains("cret") && out.contains("pg_dump shop"));
        // At the start of a line the value runs to its end: `.env` values.
        assert_eq!(
            mask_secrets("DB_PASSWORD=two words\n"),
            "DB_PASSWORD=*********\n"
        );
        // As riskdiff's messages quote it.
        assert_eq!(
            mask_secrets("The job `BORG_PASSPHRASE=x1 borg create` (`0 3 * * *`) was removed."),
            "The job `BORG_PASSPHRASE=** borg create` (`0 3 * * *`) was removed."
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
            assert_eq!(out.len(), src.len(), "{src}");
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
        assert_eq!(out.len(), src.len());
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
        let src =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
        let out = mask_secrets(src);
        assert!(!out.contains("MIIEow"));
        assert_eq!(out.len(), src.len());
    }

    #[test]
    fn values_are_masked_by_key() {
        assert_eq!(value_for("smtp.password", "x"), "****");
        assert_eq!(
            value_for("smtp.host", "mail.example.com"),
            "mail.example.com"
        );
        assert_eq!(value_for("token", "$TOKEN"), "$TOKEN");
    }
}
