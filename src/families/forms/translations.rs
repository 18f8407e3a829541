//! Actions looked up in a site's translation files (Hugo's
//! `{{ i18n "subscribe-id" }}`). Hugo renders a key that no translation
//! file defines as an empty string, so a form whose action names a missing
//! key posts to the page itself. digital-canada-ca lost its newsletter
//! sign-ups that way: a footer reformat wrote `{{ i18n " subscribe-id" }}`,
//! a key with a leading space.

use super::facts::{AttrValue, FormFacts};
use super::Forms;
use crate::families::context::Context;
use crate::findings::finding::Revision;
use crate::pipeline::lang::{detect, Lang};

impl Forms {
    /// What `forms/action-broken` says when head's action looks up a key
    /// no translation file of head defines, while base's action reached
    /// somewhere (a literal, or a key base defined). Quiet when either
    /// side's translations cannot be read.
    pub(super) fn missing_translation(
        &self,
        cx: &Context,
        b: &FormFacts,
        head_action: &str,
        label: &str,
        page: &str,
    ) -> Option<String> {
        let key = self.translation_lookup(head_action)?;
        let base_action = b.action().map(AttrValue::shown).unwrap_or_default();
        let base_key = self.translation_lookup(&base_action);
        if base_key == Some(key) && !cx.files.iter().any(|f| self.is_translation_file(f.path())) {
            return None;
        }
        if base_key.is_some_and(|k| self.translation_defined(cx, Revision::Base, k) != Some(true)) {
            return None;
        }
        if self.translation_defined(cx, Revision::Head, key)? {
            return None;
        }
        let dirs = self.tables.translation_dirs.join("/`, `");
        Some(format!(
            "The {label} on `{page}` no longer posts anywhere: its action `{head_action}` looks up the translation key `{key}`, which no file in `{dirs}/` defines (in base the action was `{base_action}`). A missing key renders as an empty string, so the browser sends the form to the page itself and every submission is lost."
        ))
    }

    /// The key of an action that is one translation lookup and nothing
    /// else: `{{ i18n "key" }}`, `{{- T "key" . -}}`, `{{ "key" | i18n }}`.
    /// An action that adds anything around the lookup is left alone: it
    /// renders something even when the key is missing.
    pub(super) fn translation_lookup<'t>(&self, action: &'t str) -> Option<&'t str> {
        let inner = action.trim().strip_prefix("{{")?.strip_suffix("}}")?;
        if inner.contains("{{") || inner.contains("}}") {
            return None;
        }
        let inner = inner.trim_start_matches('-').trim_end_matches('-').trim();
        let calls = &self.tables.translation_calls;
        let is_call = |word: &str| calls.iter().any(|c| c == word);
        // `"key" | i18n`
        if let Some((key, rest)) = quoted(inner) {
            let call = rest.trim_start().strip_prefix('|')?.trim();
            let word = call.split_whitespace().next()?;
            return is_call(word).then_some(key);
        }
        // `i18n "key" …`
        let (word, rest) = inner.split_once(char::is_whitespace)?;
        let (key, _) = quoted(rest.trim_start()).filter(|_| is_call(word))?;
        Some(key)
    }

    /// Whether a side's translation files define `key`: `None` when the
    /// side has no translation file riskdiff can read (a theme or module
    /// outside the repository may define it).
    pub(super) fn translation_defined(
        &self,
        cx: &Context,
        rev: Revision,
        key: &str,
    ) -> Option<bool> {
        let listed: Vec<(String, git2::Oid)> = cx
            .all_files(rev)
            .iter()
            .filter(|(path, _)| self.is_translation_file(path) && !cx.is_excluded(path))
            .cloned()
            .collect();
        let mut read_any = false;
        for file in cx.read_listed(rev, &listed) {
            let Some(entries) = cx.config_keys(&file, detect(&file.path)) else {
                continue;
            };
            read_any = true;
            if entries.iter().any(|e| names_key(&e.path, key)) {
                return Some(true);
            }
        }
        read_any.then_some(false)
    }
}

impl Forms {
    /// `i18n/en.toml`, `themes/x/i18n/fr.yaml`: a translation file.
    fn is_translation_file(&self, path: &str) -> bool {
        let mut parts = path.rsplit('/');
        let (_, dir) = (parts.next(), parts.next());
        dir.is_some_and(|d| self.tables.translation_dirs.iter().any(|t| t == d))
            && matches!(detect(path), Lang::Toml | Lang::Yaml | Lang::Json)
    }
}

/// Whether a key path is `key` or lies under it (`key.other`). Hugo reads
/// translation ids without regard to case.
fn names_key(path: &str, key: &str) -> bool {
    let Some(head) = path.get(..key.len()) else {
        return false;
    };
    head.eq_ignore_ascii_case(key)
        && matches!(path.as_bytes().get(key.len()), None | Some(b'.' | b'#'))
}

/// A Go template string at the start of `s` (`"…"` or `` `…` ``), and
/// what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let q = s.chars().next().filter(|c| matches!(c, '"' | '`'))?;
    let body = &s[1..];
    let end = body.find(q)?;
    Some((&body[..end], &body[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::names_key;
    use crate::families::forms::tests::forms;

    #[test]
    fn an_action_that_is_one_lookup_names_its_key() {
        let f = forms();
        let key = |a: &str| f.translation_lookup(a).map(str::to_string);
        assert_eq!(
            key(r#"{{ i18n " subscribe-id" }}"#).as_deref(),
            Some(" subscribe-id")
        );
        assert_eq!(key(r#"{{- T "signup" . -}}"#).as_deref(), Some("signup"));
        assert_eq!(key(r#"{{ "signup" | i18n }}"#).as_deref(), Some("signup"));
        assert_eq!(
            key("{{ i18n `signup` | safeURL }}").as_deref(),
            Some("signup")
        );
        // Something around the lookup still renders; other calls are not lookups.
        assert_eq!(key(r#"/list{{ i18n "signup" }}"#), None);
        assert_eq!(key(r#"{{ i18n "a" }}{{ i18n "b" }}"#), None);
        assert_eq!(key(r#"{{ relURL "signup" }}"#), None);
        assert_eq!(key(r#"{{ "signup" | relURL }}"#), None);
        assert_eq!(key("{{ .Site.Params.signup }}"), None);
    }

    #[test]
    fn a_key_names_itself_and_what_lies_under_it() {
        assert!(names_key("subscribe-id", "subscribe-id"));
        assert!(names_key("subscribe-id.other", "subscribe-id"));
        assert!(names_key("Subscribe-ID.other", "subscribe-id"));
        assert!(!names_key("subscribe-id.other", " subscribe-id"));
        assert!(!names_key("subscribe-ids.other", "subscribe-id"));
        assert!(!names_key("sub", "subscribe-id"));
    }
}
