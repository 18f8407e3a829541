//! Template masking, the PHP and Markdown region splitters and the HTML
//! parse of every markup language, fresh and incremental (head parsed from
//! base's tree edited at the change, as a check does).
use std::sync::Arc;

use super::super::{pick, split};
use riskdiff::pipeline::lang::Lang;
use riskdiff::pipeline::parse::parse_or_skip_from;

const LANGS: &[Lang] = &[
    Lang::Html,
    Lang::Template,
    Lang::Blade,
    Lang::Php,
    Lang::Vue,
    Lang::Svelte,
    Lang::Markdown,
];

pub fn run(data: &[u8]) {
    let Some(case) = split(data) else { return };
    let lang = pick(LANGS, case.selector);
    let base: Arc<str> = String::from_utf8_lossy(case.base).into();
    let head: Arc<str> = String::from_utf8_lossy(case.head).into();
    let Ok(Some(before)) = parse_or_skip_from(base, lang, None) else {
        return;
    };
    let edited = parse_or_skip_from(head.clone(), lang, Some(&before));
    let fresh = parse_or_skip_from(head, lang, None);
    // The incremental parse is an optimisation: whether a file is skipped
    // must not depend on it, and where tree-sitter recovered no error the
    // two trees must be the same.
    match (edited, fresh) {
        (Ok(Some(e)), Ok(Some(f))) => {
            if !e.root_has_error() && !f.root_has_error() {
                assert_eq!(e.tree.root_node().to_sexp(), f.tree.root_node().to_sexp());
            }
        }
        (Err(_), Err(_)) | (Ok(None), Ok(None)) => {}
        (e, f) => panic!(
            "incremental and fresh parses disagree: {:?} vs {:?}",
            e.err(),
            f.err()
        ),
    }
}
