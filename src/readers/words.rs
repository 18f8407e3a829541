//! Words of keys and paths, shared by the families that match names
//! against tables: `factoryReset`, `factory-reset` and `FACTORY_RESET` are
//! all the words `factory reset`.

/// A text with everything but letters and digits dropped and ASCII
/// lowercased, as bytes: what a byte pre-filter searches for a table's
/// squashed words (`factory_reset:` and `factoryReset` both hold
/// `factoryreset`). Characters beyond ASCII are kept as they are, without
/// asking Unicode which are letters: a locale file of translations spent
/// most of a pre-filter there, and no table word is punctuation.
pub fn squashed(text: &str) -> Vec<u8> {
    text.bytes()
        .filter(|b| b.is_ascii_alphanumeric() || !b.is_ascii())
        .map(|b| b.to_ascii_lowercase())
        .collect()
}

/// Whether `squashed` (of [`squashed`]) holds `word` squashed the same way.
pub fn squashed_contains(squashed_text: &[u8], word: &str) -> bool {
    let word = squashed(word);
    !word.is_empty() && memchr::memmem::find(squashed_text, &word).is_some()
}

/// The words of a key segment: `factoryReset`, `factory-reset`,
/// `FACTORY_RESET` and `factory reset` are all `["factory", "reset"]`.
pub fn words(segment: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in segment.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        // ASCII by hand: `to_lowercase`'s iterator was most of the cost of
        // batch's walk, which asks for the words of every call's receiver.
        if c.is_ascii() {
            cur.push(c.to_ascii_lowercase());
        } else {
            cur.extend(c.to_lowercase());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `key` (its words) matches a table phrase: the phrase's words in
/// order at the start of the key, `*` standing for any one word
/// (`preserve_*`).
pub fn phrase_matches(key: &[String], phrase: &str) -> bool {
    // Word by word, with no copy: asked for every key of a file against
    // every phrase of a table (an added 38,000-key JSON file).
    let mut keys = key.iter();
    phrase
        .split(['_', ' ', '-'])
        .filter(|w| !w.is_empty())
        .all(|w| {
            keys.next()
                .is_some_and(|k| w == "*" || w.eq_ignore_ascii_case(k))
        })
}

/// Whether a path is test, example or fixture data by its words.
pub fn is_ignored_path(path: &str, words_table: &[String], files: &[String]) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if files.iter().any(|f| f == name) {
        return true;
    }
    lower
        .split(['/', '.', '_', '-'])
        .any(|w| words_table.iter().any(|t| t == w))
}

/// Whether a path holds tests: a `test`/`tests`/`spec`/`specs`/`__tests__`
/// directory, or a `test_*`, `*_test.*`, `*.test.*` or `*_spec.*` file. Not
/// a name that merely contains `test` (`latest_views.py`).
pub fn is_test_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    lower
        .split('/')
        .any(|seg| matches!(seg, "test" | "tests" | "spec" | "specs" | "__tests__"))
        || name.starts_with("test_")
        || name.contains("_test.")
        || name.contains(".test.")
        || name.contains("_spec.")
}

#[cfg(test)]
mod tests {
    use super::{squashed, squashed_contains, words};

    #[test]
    fn squashed_text_keeps_letters_digits_and_non_ascii() {
        let text = squashed("Factory_Reset: true # übersetzt, 2×");
        assert_eq!(text, "factoryresettrueübersetzt2×".as_bytes());
        assert!(squashed_contains(&text, "factory-reset"));
        assert!(squashed_contains(&text, "FACTORY RESET"));
        assert!(!squashed_contains(&text, "reset_all"));
        assert!(!squashed_contains(&text, "--"));
    }

    #[test]
    fn test_files_by_directory_or_name_not_by_a_substring() {
        for p in [
            "tests/views.py",
            "app/test_mail.py",
            "mail_test.py",
            "Form.test.tsx",
            "spec/mailer_spec.rb",
        ] {
            assert!(super::is_test_file(p), "{p}");
        }
        for p in ["app/latest_views.py", "contest/entry.py", "attestation.rb"] {
            assert!(!super::is_test_file(p), "{p}");
        }
    }

    #[test]
    fn words_split_on_case_and_separators_in_any_script() {
        for (s, want) in [
            ("factoryReset", vec!["factory", "reset"]),
            ("FACTORY_RESET", vec!["factory", "reset"]),
            ("this->carrierApi", vec!["this", "carrier", "api"]),
            ("smtp2Go.send", vec!["smtp2", "go", "send"]),
            ("ÄnderungsDienst", vec!["änderungs", "dienst"]),
            ("", vec![]),
        ] {
            assert_eq!(words(s), want, "{s}");
        }
    }
}
