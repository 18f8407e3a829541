//! Scripts that capture form submissions on every page of a site by field
//! name (Autopilot "Anywhere", HubSpot's collected forms). Their field
//! mapping lives in the vendor's dashboard, not in the repository: a field
//! renamed in the page stops reaching them even when the form's own action
//! changed in the same commit. aptible's newsletter sign-ups moved to
//! FormKeep and renamed `newsletter-form__email` to `email`; Autopilot kept
//! reading the old name and the leads stopped until the name was restored.

use super::Forms;
use crate::families::context::{Context, FileGroup};

/// A form-capture script and the page that loads it.
pub(super) struct Capture {
    /// The markup file that loads it (the site's layout, usually).
    pub page: String,
    /// What names the script in that file (`api.autopilothq.com/anywhere`).
    pub script: String,
}

impl Forms {
    /// The first markup file of head (by path) that loads a form-capture
    /// script, if any. Reads head's markup once per run, and only when a
    /// field of a form that changed its action went missing.
    pub(super) fn form_capture(&self, cx: &Context) -> Option<Capture> {
        let scripts = &self.tables.form_capture_scripts;
        if scripts.is_empty() {
            return None;
        }
        let pages = cx.head_files(FileGroup::Markup);
        let mut hits: Vec<Capture> = pages
            .iter()
            .filter_map(|v| {
                let text = v.text()?;
                let script = scripts.iter().find(|s| text.contains(s.as_str()))?;
                Some(Capture {
                    page: v.path.clone(),
                    script: script.clone(),
                })
            })
            .collect();
        hits.sort_by(|a, b| a.page.cmp(&b.page));
        hits.into_iter().next()
    }
}
