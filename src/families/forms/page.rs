//! One page version with its forms, as the comparisons see it.

use super::facts::{FormFacts, PageForms};
use super::{holds_forms, may_hold_form, Forms};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Location, Revision, Span};
use crate::pipeline::parse::Parsed;
use std::sync::Arc;

/// One page version with its forms, ready to compare.
pub(super) struct PageSide<'a> {
    pub(super) revision: Revision,
    pub(super) path: &'a str,
    pub(super) parsed: Option<Arc<Parsed>>,
    pub(super) forms: PageForms,
    /// The file as stored, parsed or not (a page without a `<form` is not
    /// parsed, yet its links and controls still tell what happened).
    pub(super) text: Arc<str>,
}

impl PageSide<'_> {
    pub(super) fn loc(&self, range: std::ops::Range<usize>) -> Location {
        let text = self.parsed.as_ref().map_or("", |p| &p.text);
        Location {
            revision: self.revision,
            path: self.path.to_string(),
            span: Span::from_bytes(text, range.start, range.end),
        }
    }

    pub(super) fn form_loc(&self, form: &FormFacts) -> Location {
        self.loc(form.tag.range.clone())
    }

    /// The whole text of the page version.
    pub(super) fn full_text(&self) -> &str {
        &self.text
    }

    pub(super) fn text(&self, range: std::ops::Range<usize>) -> &str {
        self.parsed
            .as_ref()
            .and_then(|p| p.text.get(range))
            .unwrap_or("")
    }
}

impl Forms {
    pub(super) fn page_side<'a>(
        &self,
        cx: &Context,
        file: &'a ChangedFile,
        rev: Revision,
    ) -> Option<PageSide<'a>> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let text = version.text()?;
        let parsed = if holds_forms(lang) && may_hold_form(lang, text) {
            cx.parsed(version, lang)
        } else {
            None
        };
        let forms = parsed
            .as_deref()
            .map(|p| self.page_facts(p))
            .unwrap_or_default();
        Some(PageSide {
            revision: rev,
            path: &version.path,
            parsed,
            forms,
            text: text.clone(),
        })
    }
}

#[derive(Clone, Copy)]
pub(super) struct Compared<'a> {
    pub(super) base: &'a PageSide<'a>,
    pub(super) head: &'a PageSide<'a>,
    /// The site's form-capture script, looked for once per run (every
    /// changed action would otherwise scan all of head's markup again).
    pub(super) capture: &'a std::cell::OnceCell<Option<super::capture::Capture>>,
}
