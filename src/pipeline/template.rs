//! Blanks template syntax to same-length spaces before HTML parsing, so the
//! HTML tree stays clean and every span stays exact. tree-sitter-html alone
//! leaves error nodes in about a third of real Twig templates; blanked, a
//! template parses like the page it renders.
//!
//! This is not a template parser: it only finds the delimiters (`{{ }}`,
//! `{% %}`, `{# #}`, `{!! !!}`, `<% %>`, `<? ?>`, Blade `@directives`).
//! The regions it blanks are kept, so an analyzer can tell that an
//! attribute value such as `action="{{ url_for('contact') }}"` is computed
//! by the template, and read its original text.

use super::lang::Lang;
use std::ops::Range;

/// A template tag that never closes within this many bytes is left alone:
/// a stray `{{` in prose must not blank the rest of a page.
const MAX_TAG_BYTES: usize = 64 * 1024;

/// Replaces every byte of `ranges` with a space, keeping line breaks so
/// line numbers stay exact. Ranges must start and end on ASCII delimiters
/// (they do: every delimiter is ASCII), so the result stays valid UTF-8.
pub fn blank(text: &str, ranges: &[Range<usize>]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for r in ranges {
        for b in &mut bytes[r.start.min(text.len())..r.end.min(text.len())] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Blanking replaces whole characters (every byte of a multi-byte
    // character lies inside the range), so this cannot fail; fall back to
    // the lossy form rather than panic if a range ever splits one.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The template regions of a markup file: tags of every common template
/// language, plus Blade directives in `.blade.php` files.
pub fn template_regions(text: &str, lang: Lang) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut closers = NextCloser::default();
    let mut i = 0;
    while i + 1 < b.len() {
        let close: Option<&[u8]> = match (b[i], b[i + 1]) {
            (b'{', b'{') if b.get(i + 2) == Some(&b'{') => Some(b"}}}"),
            (b'{', b'{') => Some(b"}}"),
            (b'{', b'%') => Some(b"%}"),
            (b'{', b'#') if lang == Lang::Template => Some(b"#}"),
            (b'{', b'!') if b.get(i + 2) == Some(&b'!') => Some(b"!!}"),
            (b'<', b'%') => Some(b"%>"),
            (b'<', b'?') if lang != Lang::Php => Some(b"?>"),
            _ => None,
        };
        if let Some(close) = close {
            let from = i + 2;
            if let Some(pos) = closers
                .find(b, close, from)
                .filter(|&p| p - from < MAX_TAG_BYTES)
            {
                let end = pos + close.len();
                out.push(i..end);
                i = end;
                continue;
            }
        }
        if lang == Lang::Blade && b[i] == b'@' {
            if let Some(end) = blade_directive_end(b, i) {
                out.push(i..end);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The next occurrence of each closing delimiter, remembered: a file of
/// unclosed `<%` would otherwise search the same 64 KiB again at every one
/// of them (12 s for 64 KiB, minutes for 500 KiB).
#[derive(Default)]
struct NextCloser {
    /// (closer, the result of its last search). Searches start further on
    /// each time, so the first occurrence at or after an earlier start is
    /// still the first one at or after a later start it does not precede,
    /// and none after an earlier start means none after a later one.
    seen: Vec<(&'static [u8], Option<usize>)>,
}

impl NextCloser {
    fn find(&mut self, b: &[u8], close: &'static [u8], from: usize) -> Option<usize> {
        let slot = self.seen.iter().position(|(c, _)| *c == close);
        if let Some(i) = slot {
            match self.seen[i].1 {
                Some(at) if at >= from => return Some(at),
                None => return None,
                Some(_) => {}
            }
        }
        let found = b
            .get(from..)
            .and_then(|rest| memchr::memmem::find(rest, close))
            .map(|p| from + p);
        match slot {
            Some(i) => self.seen[i].1 = found,
            None => self.seen.push((close, found)),
        }
        found
    }
}

const BLADE_BARE_DIRECTIVES: &[&str] = &[
    "csrf",
    "else",
    "endif",
    "endforeach",
    "endfor",
    "endforelse",
    "endwhile",
    "endsection",
    "endpush",
    "endprepend",
    "endcomponent",
    "endslot",
    "endauth",
    "endguest",
    "endisset",
    "endempty",
    "endswitch",
    "endunless",
    "endcan",
    "endcannot",
    "endenv",
    "endproduction",
    "endonce",
    "endverbatim",
    "endphp",
    "endfragment",
    "break",
    "continue",
    "default",
    "show",
    "stop",
    "append",
    "overwrite",
    "parent",
    "php",
    "verbatim",
    "auth",
    "guest",
    "production",
    "once",
    "empty",
    "livewireStyles",
    "livewireScripts",
    "viteReactRefresh",
    "endsession",
];

/// The end of a Blade directive starting at `at` (the `@`), if it is one:
/// `@name(...)` with balanced parentheses, or a known bare directive. An
/// `@` inside a word (an e-mail address) or an attribute (`@click=`) is not.
fn blade_directive_end(b: &[u8], at: usize) -> Option<usize> {
    if at > 0
        && !matches!(
            b[at - 1],
            b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'(' | b'"' | b'\''
        )
    {
        return None;
    }
    let mut j = at + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    if j == at + 1 {
        return None;
    }
    let name = std::str::from_utf8(&b[at + 1..j]).ok()?;
    let mut k = j;
    while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
        k += 1;
    }
    if k < b.len() && b[k] == b'(' {
        let mut depth = 0usize;
        let mut quote: Option<u8> = None;
        let limit = b.len().min(k + MAX_TAG_BYTES);
        let mut m = k;
        while m < limit {
            let c = b[m];
            match quote {
                Some(q) if c == b'\\' => {
                    m += 1;
                    let _ = q;
                }
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(m + 1);
                        }
                    }
                    _ => {}
                },
            }
            m += 1;
        }
        return None;
    }
    let next = b.get(j).copied();
    if BLADE_BARE_DIRECTIVES.contains(&name)
        && !matches!(next, Some(b'=') | Some(b'.') | Some(b':'))
    {
        return Some(j);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str, lang: Lang) -> String {
        blank(text, &template_regions(text, lang))
    }

    #[test]
    fn blanks_jinja_and_keeps_lengths_and_lines() {
        let src = "<form action=\"{{ url_for('contact') }}\">{% csrf_token %}\n{# note #}</form>";
        let out = masked(src, Lang::Template);
        assert_eq!(out.len(), src.len());
        assert_eq!(out.lines().count(), src.lines().count());
        assert!(!out.contains("url_for") && !out.contains("csrf") && !out.contains("note"));
        assert!(out.starts_with("<form action=\""));
    }

    #[test]
    fn hash_comments_only_in_template_languages() {
        let css = "<style>a{#x}</style>";
        assert_eq!(masked(css, Lang::Html), css);
    }

    #[test]
    fn unclosed_tag_is_left_alone() {
        let src = "<p>use {{ to open</p><form></form>";
        assert_eq!(masked(src, Lang::Html), src);
    }

    #[test]
    fn multibyte_text_inside_a_tag_stays_valid() {
        let src = "<p>{{ 'Grüße' }}</p>";
        let out = masked(src, Lang::Template);
        assert_eq!(out.len(), src.len());
        assert!(out.starts_with("<p>   "));
    }

    #[test]
    fn blade_directives_but_not_emails_or_alpine_attributes() {
        let src = "@csrf\n@if($x > 1)<form @submit=\"go\">mail@example.com</form>@endif";
        let out = masked(src, Lang::Blade);
        assert!(!out.contains("csrf") && !out.contains("@if") && !out.contains("endif"));
        assert!(out.contains("@submit=\"go\""));
        assert!(out.contains("mail@example.com"));
    }

    #[test]
    fn erb_and_php_short_tags() {
        let src = "<form action=\"<%= contact_path %>\"><?= $x ?></form>";
        let out = masked(src, Lang::Template);
        assert!(!out.contains("contact_path") && !out.contains("$x"));
    }

    #[test]
    fn unclosed_tags_do_not_hide_later_closed_ones() {
        let text = format!("{}<% ok %>{{{{ a }}}}<% b %>", "<% x ".repeat(2000));
        let regions = template_regions(&text, Lang::Template);
        let found: Vec<&str> = regions.iter().map(|r| &text[r.clone()]).collect();
        // The first `<%` runs to the first `%>`: everything before it.
        assert_eq!(
            found.len(),
            3,
            "{:?}",
            found.iter().map(|f| f.len()).collect::<Vec<_>>()
        );
        assert!(found[1] == "{{ a }}" && found[2] == "<% b %>");
    }
}
