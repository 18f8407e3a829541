//! `<base href>`: a page's base URL, against which the browser resolves
//! every relative form action. An absolute one naming another site sends
//! those forms there.

use super::facts::Tag;
use std::collections::BTreeSet;
use std::ops::Range;

/// The first `<base href>` of a page (browsers use the first one).
#[derive(Clone, Debug)]
pub struct BaseHref {
    pub href: String,
    pub range: Range<usize>,
}

/// The host of an absolute or protocol-relative URL, lower-cased, without
/// port or a leading `www.`.
pub(super) fn host_of(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let rest = ["https://", "http://", "//"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    let host = host.strip_prefix("www.").unwrap_or(host);
    (!host.is_empty()).then(|| host.to_string())
}

/// What one tag says about the page's base URL and its own address.
pub(super) fn read_tag(
    tag: &Tag,
    base_href: &mut Option<BaseHref>,
    own_hosts: &mut BTreeSet<String>,
) {
    if tag.templated {
        return;
    }
    match tag.name.as_str() {
        "base" if base_href.is_none() => {
            if let Some(attr) = tag.attr("href") {
                if let Some(href) = attr.value.literal() {
                    *base_href = Some(BaseHref {
                        href: href.trim().to_string(),
                        range: tag.range.clone(),
                    });
                }
            }
        }
        // The page's own address: its canonical and alternate links, and
        // the URL it shares as.
        "link" => {
            let rel = tag.literal("rel").unwrap_or("").to_ascii_lowercase();
            if rel
                .split_whitespace()
                .any(|r| r == "canonical" || r == "alternate")
            {
                own_hosts.extend(tag.literal("href").and_then(host_of));
            }
        }
        "meta" => {
            let property = tag.literal("property").or_else(|| tag.literal("name"));
            if property.is_some_and(|p| p.eq_ignore_ascii_case("og:url")) {
                own_hosts.extend(tag.literal("content").and_then(host_of));
            }
        }
        _ => {}
    }
}

/// Whether a literal form action resolves against the base URL: a path,
/// not an absolute URL, a fragment, a query or the empty action (those
/// name the document itself).
pub(super) fn resolves_against_base(action: &str) -> bool {
    let a = action.trim();
    !a.is_empty()
        && !a.starts_with(['#', '?'])
        && !a.starts_with("//")
        && !a.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Where a relative action now goes: `href` joined with `action` the way
/// a reader pictures it (enough for a message, not a URL resolver).
pub(super) fn joined(href: &str, action: &str) -> String {
    let action = action.trim();
    if let Some(path) = action.strip_prefix('/') {
        let origin_end = href
            .find("//")
            .map(|i| i + 2)
            .and_then(|i| href[i..].find('/').map(|j| i + j))
            .unwrap_or(href.len());
        format!("{}/{path}", &href[..origin_end])
    } else {
        let dir = href.rfind('/').map_or(href, |i| &href[..=i]);
        format!("{dir}{action}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_relative_actions() {
        assert_eq!(
            host_of("https://www.Example.com:8443/a").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            host_of("//cdn.example.net").as_deref(),
            Some("cdn.example.net")
        );
        assert_eq!(host_of("/app/"), None);
        assert!(resolves_against_base("/send"));
        assert!(resolves_against_base("send.php"));
        assert!(!resolves_against_base("https://formspree.io/f/x"));
        assert!(!resolves_against_base("mailto:a@b.c"));
        assert!(!resolves_against_base(""));
        assert!(!resolves_against_base("?next=/"));
        assert_eq!(
            joined("https://other.example/x/", "/send"),
            "https://other.example/send"
        );
        assert_eq!(
            joined("https://other.example/x/", "send.php"),
            "https://other.example/x/send.php"
        );
    }
}
