//! One page version with its forms, as the comparisons see it.

use super::facts::{FormFacts, PageForms};
use super::{holds_forms, may_hold_form, Forms};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Location, Revision, Span};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use std::sync::Arc;

/// One page version with its forms, ready to compare.
pub(super) struct PageSide<'a> {
    pub(super) revision: Revision,
    pub(super) path: &'a str,
    /// What the page's parse told, when it was parsed for forms.
    pub(super) read: Option<Arc<PageRead>>,
    pub(super) forms: Arc<PageForms>,
    /// The file as stored, parsed or not (a page without a `<form` is not
    /// parsed, yet its links and controls still tell what happened).
    pub(super) text: Arc<str>,
}

/// What the forms family reads of a page's parse, kept once its tree is
/// dropped.
pub(super) struct PageRead {
    pub(super) forms: Arc<PageForms>,
    /// The parser met a syntax error (a quote inside a template
    /// condition) and may have hidden a form.
    pub(super) broken: bool,
    /// For each form of `forms`: whether its JSX submit handler sends
    /// anything (`None` when the handler is not in the file).
    pub(super) submit_sends: Vec<Option<bool>>,
}

impl PageSide<'_> {
    /// The text of a parsed page: locations in a page that was not parsed
    /// point nowhere, as before its tree was dropped.
    fn parsed_text(&self) -> &str {
        self.read.as_ref().map_or("", |_| &self.text)
    }

    pub(super) fn loc(&self, range: std::ops::Range<usize>) -> Location {
        Location {
            revision: self.revision,
            path: self.path.to_string(),
            span: Span::from_bytes(self.parsed_text(), range.start, range.end),
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
        self.parsed_text().get(range).unwrap_or("")
    }

    pub(super) fn broken(&self) -> bool {
        self.read.as_ref().is_some_and(|r| r.broken)
    }

    /// Whether a form of this page has a JSX submit handler that sends
    /// anything, as read from the parse.
    pub(super) fn submit_sends(&self, form: &FormFacts) -> Option<bool> {
        let i = self
            .forms
            .forms
            .iter()
            .position(|f| std::ptr::eq(f, form))?;
        *self.read.as_ref()?.submit_sends.get(i)?
    }
}

impl Forms {
    /// A page version's forms, read once per run (by `extract`, while its
    /// parse is held).
    pub(super) fn page_read(
        &self,
        cx: &Context,
        version: &FileVersion,
        lang: Lang,
    ) -> Option<Arc<PageRead>> {
        let text = version.text()?;
        if !(holds_forms(lang) && may_hold_form(lang, text)) {
            return None;
        }
        cx.parse_facts("forms.page", version, lang, |parsed| {
            let forms = self.page_facts(parsed);
            let submit_sends = forms
                .forms
                .iter()
                .map(|f| super::jsx::submit_sends(parsed, f))
                .collect();
            Arc::new(PageRead {
                broken: parsed.root_has_error(),
                forms: Arc::new(forms),
                submit_sends,
            })
        })
    }

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
        let read = self.page_read(cx, version, lang);
        let forms = read.as_ref().map(|r| r.forms.clone()).unwrap_or_default();
        Some(PageSide {
            revision: rev,
            path: &version.path,
            read,
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
