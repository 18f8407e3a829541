//! Key paths of every configuration format, and the comparison of two
//! versions' entries.
use std::sync::Arc;

use super::super::{pick, split};
use riskdiff::pipeline::lang::Lang;
use riskdiff::pipeline::parse::parse_or_skip;
use riskdiff::readers::keypath::{compare, entries};

const LANGS: &[Lang] = &[
    Lang::Yaml,
    Lang::Json,
    Lang::Toml,
    Lang::Hcl,
    Lang::Env,
    Lang::Ini,
];

fn keys(lang: Lang, bytes: &[u8]) -> Option<Vec<riskdiff::readers::keypath::ConfigEntry>> {
    let text: Arc<str> = String::from_utf8_lossy(bytes).into();
    let parsed = parse_or_skip(text.clone(), lang).ok()?;
    entries(lang, &text, parsed.as_ref().map(|p| &p.tree))
}

pub fn run(data: &[u8]) {
    let Some(case) = split(data) else { return };
    let lang = pick(LANGS, case.selector);
    let (Some(base), Some(head)) = (keys(lang, case.base), keys(lang, case.head)) else {
        return;
    };
    let _ = compare(&base, &head);
}
