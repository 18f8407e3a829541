//! Secrets recognised by their shape rather than a key: passwords in URLs,
//! password hashes, passwords on command lines, bearer tokens, JWTs and
//! tokens with a well-known prefix. Every function returns the line with
//! each secret as as many `*` as it has bytes.

use super::keys::words;
use super::{is_reference, star_ranges};
use std::ops::Range;

/// Whether a value is worth masking: something, not a reference to a
/// secret kept elsewhere, not masked already.
fn maskable(v: &str) -> bool {
    !v.is_empty() && !is_reference(v) && !v.bytes().all(|b| b == b'*')
}

/// `scheme://user:password@host` in DSNs and connection URLs: the
/// password between the first `:` of the user info and the `@`.
pub(super) fn mask_url_passwords(line: &str) -> String {
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(pos) = line[from..].find("://") {
        let auth_start = from + pos + 3;
        let rest = &line[auth_start..];
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
        if colon >= at || !maskable(&auth[colon + 1..at]) {
            continue;
        }
        ranges.push(auth_start + colon + 1..auth_start + at);
    }
    star_ranges(line, &mut ranges)
}

/// Crypt-style prefixes of password hashes.
const HASH_PREFIXES: &[&str] = &[
    "$1$", "$2a$", "$2b$", "$2y$", "$5$", "$6$", "$y$", "$argon2", "$pbkdf2", "$scrypt$",
];

/// Words of Dovecot password scheme names (`{SHA512-CRYPT}`, and the
/// plaintext ones, `{PLAIN}`, `{CLEAR}`, `{CLEARTEXT}`), in any case.
const HASH_SCHEME_WORDS: &[&str] = &[
    "CRYPT", "SHA", "MD5", "PLAIN", "CLEAR", "ARGON", "PBKDF", "SCRAM",
];

/// The length of a `{SCHEME}` at the start of `s`, if it is a password
/// scheme.
fn scheme_len(s: &str) -> Option<usize> {
    let close = s[1..].find('}').filter(|&j| j <= 24)? + 2;
    let name = s[1..close - 1].to_ascii_uppercase();
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && HASH_SCHEME_WORDS.iter().any(|w| name.contains(w));
    ok.then_some(close)
}

/// Password hashes and plaintext passwords in passwd-style files (Dovecot
/// `user:{SHA512-CRYPT}$6$…:`, `user:{PLAIN}secret:`, `/etc/shadow`,
/// htpasswd): a `{SCHEME}` prefix or a crypt prefix up to the next `:` or
/// blank. A hash is not the password, but it can be cracked offline and
/// has no business in a CI log.
pub(super) fn mask_password_hashes(line: &str) -> String {
    let mut ranges = Vec::new();
    let mut from = 0;
    for start in memchr::memchr2_iter(b'{', b'$', line.as_bytes()) {
        if start < from {
            continue;
        }
        let rest = &line[start..];
        let prefix = if rest.starts_with('{') {
            scheme_len(rest)
        } else {
            HASH_PREFIXES
                .iter()
                .find(|p| rest.starts_with(**p))
                .map(|p| p.len())
        };
        let Some(prefix) = prefix else { continue };
        let len = rest
            .find(|c: char| c == ':' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        // `{PLAIN}` with nothing after it, `$6$` in prose.
        if len < 8 || len <= prefix {
            continue;
        }
        ranges.push(start..start + len);
        from = start + len;
    }
    star_ranges(line, &mut ranges)
}

/// Programs whose `-pPASSWORD` (attached) is a password.
const MYSQL_TOOLS: &[&str] = &[
    "mysql",
    "mysqldump",
    "mysqladmin",
    "mysqlcheck",
    "mysqlimport",
    "mysqlpump",
    "mariadb",
    "mariadb-dump",
    "mariadb-admin",
];

/// A word without its quotes (and a trailing `;` or backtick), with the
/// offset it starts at.
fn unquote((at, w): (usize, &str)) -> (usize, &str) {
    let inner = w.trim_end_matches([';', '`']).trim_matches(['"', '\'']);
    let start = at + w.find(inner).unwrap_or(0);
    (start, inner)
}

/// Passwords on command lines: `--password PW` (the `=` form is a key),
/// `mysql -pPW`, `sshpass -p PW`, `curl -u user:PW`, `smbclient -U
/// user%PW`, `lftp -u user,PW`.
pub(super) fn mask_command_line(line: &str) -> String {
    let words = words(line);
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut mysql = false;
    let mut sshpass = false;
    for i in 0..words.len() {
        let (at, word) = words[i];
        let program = word
            .rsplit('/')
            .next()
            .unwrap_or(word)
            .trim_start_matches(['`', '(']);
        mysql |= MYSQL_TOOLS.contains(&program);
        sshpass |= program == "sshpass";
        let next = words.get(i + 1).copied().map(unquote);
        let lower = word.to_ascii_lowercase();
        // `--password PW`, `--db-password PW`, `--pass PW`.
        if lower.starts_with("--") && !lower.contains('=') && super::is_secret_key(&lower[2..]) {
            if let Some((start, v)) = next.filter(|(_, v)| !v.starts_with('-') && maskable(v)) {
                ranges.push(start..start + v.len());
            }
            continue;
        }
        if (mysql || sshpass) && word.len() > 2 && word.starts_with("-p") && !word.starts_with("--")
        {
            let (start, v) = unquote((at + 2, &word[2..]));
            if maskable(v) {
                ranges.push(start..start + v.len());
            }
            continue;
        }
        if sshpass && word == "-p" {
            if let Some((start, v)) = next.filter(|(_, v)| maskable(v)) {
                ranges.push(start..start + v.len());
            }
            continue;
        }
        // `-u user:PW`, `--user user:PW`, `-U user%PW`, `--user=user:PW`.
        let (value_at, value) = if matches!(word, "-u" | "-U" | "--user" | "--username") {
            match next {
                Some(n) => n,
                None => continue,
            }
        } else if lower.starts_with("--user=") {
            unquote((at + 7, &word[7..]))
        } else {
            continue;
        };
        if let Some(sep) = value.find([':', '%', ',']) {
            let pw = &value[sep + 1..];
            if maskable(pw) {
                let start = value_at + sep + 1;
                ranges.push(start..start + pw.len());
            }
        }
    }
    star_ranges(line, &mut ranges)
}

/// Characters of a token (base64, base64url, and the separators of the
/// well-known formats).
fn token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+' | b'/' | b'=' | b'~')
}

/// Prefixes of tokens that are secrets on sight: GitHub, GitLab, Slack,
/// Stripe, AWS access keys, npm, SendGrid.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xapp-",
    "sk_live_",
    "rk_live_",
    "sk_test_",
    "AKIA",
    "ASIA",
    "npm_",
    "SG.",
];

/// `Bearer TOKEN` (and `Basic …` after `Authorization`), JWTs (`eyJ….….…`)
/// and tokens with a well-known prefix.
pub(super) fn mask_tokens(line: &str) -> String {
    let b = line.as_bytes();
    let lower = line.to_ascii_lowercase();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let token_at = |start: usize| {
        let len = b[start..].iter().take_while(|&&c| token_char(c)).count();
        start..start + len
    };
    let schemes: &[&str] = if lower.contains("authorization") {
        &["bearer ", "basic ", "token "]
    } else {
        &["bearer "]
    };
    for scheme in schemes {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(scheme) {
            let mut start = from + pos + scheme.len();
            from = start;
            while b.get(start) == Some(&b' ') {
                start += 1;
            }
            let r = token_at(start);
            if r.len() >= 8 && maskable(&line[r.clone()]) {
                from = r.end;
                ranges.push(r);
            }
        }
    }
    // Tokens start at a word boundary (`/ghp_…` in a URL is one).
    let boundary =
        |i: usize| i == 0 || !(b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'_' | b'-'));
    for (i, _) in line.char_indices() {
        if !boundary(i) {
            continue;
        }
        let rest = &line[i..];
        let jwt = rest.starts_with("eyJ") && {
            let r = token_at(i);
            let t = &line[r];
            t.split('.').filter(|p| !p.is_empty()).count() >= 2 && t.matches('.').count() == 2
        };
        let known = TOKEN_PREFIXES.iter().any(|p| rest.starts_with(p));
        if jwt || known {
            let r = token_at(i);
            if r.len() >= 16 {
                ranges.push(r);
            }
        }
    }
    star_ranges(line, &mut ranges)
}
