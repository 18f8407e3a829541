//! Comparing one form matched across the revisions: its action and
//! method, its submit controls, whether it became hidden, its fields.

use super::base_href::{host_of, joined, resolves_against_base};
use super::capture::Capture;
use super::facts::{AttrValue, Field, FormFacts, Method};
use super::lookups::{action_set_by_script, page_view_handles_post, submitted_by_script};
use super::page::{Compared, PageSide};
use super::removed::handler_follows_field;
use super::{is_dead_action, one_line, Forms};
use crate::families::context::Context;
use crate::findings::finding::{Finding, Severity};
use std::collections::BTreeSet;

/// One form matched across the revisions, and how findings name it.
struct Pair<'a> {
    bp: &'a PageSide<'a>,
    hp: &'a PageSide<'a>,
    b: &'a FormFacts,
    h: &'a FormFacts,
    label: String,
    page: &'a str,
    subject: String,
    hook: Option<&'a str>,
}

impl Forms {
    /// Everything that can go wrong with a form that is still there: where
    /// it posts, how, whether it can be sent and seen, its fields and the
    /// handler its action reaches.
    pub(super) fn compare_pair(
        &self,
        cx: &Context,
        pages: Compared,
        b: &FormFacts,
        h: &FormFacts,
        out: &mut Vec<Finding>,
    ) {
        let (bp, hp) = (pages.base, pages.head);
        let pair = Pair {
            bp,
            hp,
            b,
            h,
            label: h.label(),
            page: hp.path,
            subject: b.subject(),
            hook: self.submit_hook(&h.tag),
        };
        if !self.check_action(cx, &pair, out) && !check_base_href(&pair, out) {
            self.check_method(&pair, out);
        }
        self.check_netlify(cx, bp, hp, b, h, out);
        self.check_submit_handler(bp, hp, b, h, out);
        self.check_submit(cx, &pair, out);
        self.check_hidden(&pair, out);

        // Fields matter to the handler that reads them: a form that now
        // posts elsewhere (another provider) is expected to rename them.
        let same_handler = b.action().map(|a| a.shown().trim().to_string())
            == h.action().map(|a| a.shown().trim().to_string());
        // A script the site loads on every page may read the fields by
        // name whatever the action (a marketing tool's form capture): its
        // field mapping lives outside the repository and keeps the old names.
        let capture = (!same_handler && b.fields.iter().any(|f| !f.hidden))
            .then(|| pages.capture.get_or_init(|| self.form_capture(cx)).as_ref())
            .flatten();
        if h.body_template.is_subset(&b.body_template) && (same_handler || capture.is_some()) {
            self.compare_fields(cx, pages, b, h, capture, out);
        }
        self.check_handler(cx, hp, h, Some((bp, b)), out);
    }

    /// `forms/action-broken` for the action: emptied, `#`, removed. Says whether it fired.
    fn check_action(&self, cx: &Context, p: &Pair, out: &mut Vec<Finding>) -> bool {
        let Pair {
            bp,
            hp,
            b,
            h,
            page,
            hook,
            ..
        } = *p;
        let (label, subject) = (&p.label, &p.subject);
        let base_action = b.action();
        let head_action = h.action();
        // A `javascript:` action never posted: script handled the form in
        // base, and what handles it in head is not visible here.
        let scripted = base_action.is_some_and(|v| {
            v.shown()
                .trim_start()
                .get(..11)
                .is_some_and(|p| p.eq_ignore_ascii_case("javascript:"))
        });
        let base_usable = !scripted
            && match base_action {
                None => false,
                // `{{ request.path }}` and friends name the page itself.
                Some(AttrValue::Templated(t)) => {
                    let t = t.trim_start();
                    !t.starts_with('?')
                        && ![
                            "request.path",
                            "request.get_full_path",
                            "request.url",
                            "request()->url",
                            "request.fullpath",
                        ]
                        .iter()
                        .any(|p| t.contains(p))
                }
                // `?next=…` posts to the page itself, as an empty action does:
                // emptying it changes nothing (Django's login templates do this).
                // So does `./` on the slash-terminated URLs of Django and most
                // frameworks.
                Some(v) => {
                    let a = v.literal().unwrap_or("").trim();
                    let rest = a
                        .strip_prefix("./")
                        .or_else(|| a.strip_prefix('.'))
                        .unwrap_or(a);
                    let itself = a != rest && (rest.is_empty() || rest.starts_with(['?', '#']));
                    !is_dead_action(a) && !a.starts_with('?') && !itself
                }
            };
        let mut action_broken = false;
        if let Some(provider) = self.hosted_action_lost(b, h) {
            // The hosted service is what is lost: say that, once.
            out.push(self.hosted_finding(bp, hp, b, h, &provider));
            action_broken = true;
        } else if base_usable && hook.is_none() {
            let old = base_action.map(AttrValue::shown).unwrap_or_default();
            let problem = match head_action {
                Some(AttrValue::Templated(t)) => self.missing_translation(cx, b, t, label, page),
                Some(v) => {
                    let new = v.literal().unwrap_or("");
                    is_dead_action(new).then(|| {
                        let what = if new.trim().is_empty() {
                            "empty".to_string()
                        } else {
                            format!("`{}`", new.trim())
                        };
                        format!(
                            "The {label} on `{page}` no longer posts anywhere: its action changed from `{old}` to {what}. Every submission is now lost."
                        )
                    })
                }
                None if !h.tag.templated
                    && !page_view_handles_post(cx, page)
                    && !action_set_by_script(cx, hp, h) =>
                {
                    Some(format!(
                    "The {label} on `{page}` lost its `action` attribute (it posted to `{old}`): the browser now sends it to the page itself, which does not handle it."
                ))
                }
                None => None,
            };
            if let Some(message) = problem {
                action_broken = true;
                let at = h
                    .tag
                    .attr("action")
                    .map_or(h.tag.range.clone(), |a| a.span.clone());
                out.push(
                    Finding::new("forms/action-broken", hp.loc(at), subject.clone(), message)
                        .related(bp.form_loc(b), format!("in base it posted to `{old}`"))
                        .evidence("page", page)
                        .evidence("form", label.clone())
                        .evidence("old_action", old)
                        .evidence(
                            "new_action",
                            head_action
                                .map(AttrValue::shown)
                                .unwrap_or_else(|| "(none)".into()),
                        ),
                );
            }
        }
        action_broken
    }

    /// `forms/action-broken` (medium) for POST falling back to GET.
    fn check_method(&self, p: &Pair, out: &mut Vec<Finding>) {
        let Pair {
            bp,
            hp,
            b,
            h,
            page,
            hook,
            ..
        } = *p;
        let (label, subject) = (&p.label, &p.subject);
        if b.method() == Method::Post && h.method() == Method::Get && hook.is_none() {
            let at = h
                .tag
                .attr("method")
                .map_or(h.tag.range.clone(), |a| a.span.clone());
            let target = h
                .action()
                .map(AttrValue::shown)
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "the page itself".into());
            out.push(
                Finding::new(
                    "forms/action-broken",
                    hp.loc(at),
                    format!("{subject}/method"),
                    format!(
                        "The {label} on `{page}` now submits with GET instead of POST: a handler at `{target}` that reads POST data receives nothing, and the fields end up in URLs and server logs."
                    ),
                )
                .severity(Severity::Medium)
                .related(bp.form_loc(b), "in base it used method=\"post\"")
                .evidence("page", page)
                .evidence("form", label.clone())
                .evidence("old_method", "POST")
                .evidence("new_method", "GET"),
            );
        }
    }

    /// `forms/submit-disabled`: no enabled submit control left.
    fn check_submit(&self, cx: &Context, p: &Pair, out: &mut Vec<Finding>) {
        let Pair {
            bp,
            hp,
            b,
            h,
            page,
            hook,
            ..
        } = *p;
        let (label, subject) = (&p.label, &p.subject);
        let base_can_submit = b.usable_controls().next().is_some();
        let head_can_submit = h.usable_controls().next().is_some();
        let new_template: Vec<&String> = h.body_template.difference(&b.body_template).collect();
        if base_can_submit
            && !head_can_submit
            && new_template.is_empty()
            && hook.is_none()
            && !submitted_by_script(cx, hp, h)
            && !h.submits_on_enter()
        {
            let (at, what) = if let Some(c) = h.controls.iter().find(|c| c.dead_formaction) {
                (
                    c.span.clone(),
                    "its submit button's `formaction` now sends it nowhere".to_string(),
                )
            } else if let Some(c) = h.controls.iter().find(|c| c.in_disabled_fieldset) {
                (
                    c.span.clone(),
                    "a `<fieldset disabled>` around it now disables its submit button".to_string(),
                )
            } else if let Some(c) = h.controls.iter().find(|c| c.submits && c.disabled) {
                (
                    c.span.clone(),
                    "its submit button is now `disabled`".to_string(),
                )
            } else if let Some(c) = h.controls.iter().find(|c| !c.submits) {
                (
                    c.span.clone(),
                    "its submit button became `type=\"button\"` with no click handler wired"
                        .to_string(),
                )
            } else {
                (
                    h.tag.range.clone(),
                    "its submit button was removed".to_string(),
                )
            };
            let old = b
                .usable_controls()
                .next()
                .map(|c| bp.text(c.span.clone()).trim().to_string())
                .unwrap_or_default();
            let old_loc = b
                .usable_controls()
                .next()
                .map_or_else(|| bp.form_loc(b), |c| bp.loc(c.span.clone()));
            out.push(
                Finding::new(
                    "forms/submit-disabled",
                    hp.loc(at),
                    subject.clone(),
                    format!("The {label} on `{page}`{} can no longer be submitted: {what}. Visitors can fill it in but never send it.", b.posting()),
                )
                .related(old_loc, format!("in base: {}", one_line(&old, 80)))
                .evidence("page", page)
                .evidence("form", label.clone()),
            );
        }
    }

    /// `forms/hidden`: the form or an element around it became hidden.
    fn check_hidden(&self, p: &Pair, out: &mut Vec<Finding>) {
        let Pair {
            bp, hp, b, h, page, ..
        } = *p;
        let (label, subject) = (&p.label, &p.subject);
        if let (None, Some(reason)) = (&b.hidden, &h.hidden) {
            let message = if reason == super::facts::NESTED_IN_FORM {
                format!("The {label} on `{page}`{} no longer submits on its own: {reason}. Close the outer form before it.", b.posting())
            } else {
                format!(
                    "The {label} on `{page}`{} is now hidden: {reason}. Visitors no longer see it.",
                    b.posting()
                )
            };
            out.push(
                Finding::new("forms/hidden", hp.form_loc(h), subject.clone(), message)
                    .related(bp.form_loc(b), "visible in base")
                    .evidence("page", page)
                    .evidence("form", label.clone())
                    .evidence("hidden_by", reason.clone()),
            );
        }
    }

    pub(super) fn compare_fields(
        &self,
        cx: &Context,
        pages: Compared,
        b: &FormFacts,
        h: &FormFacts,
        capture: Option<&Capture>,
        out: &mut Vec<Finding>,
    ) {
        let (bp, hp) = (pages.base, pages.head);
        let head_names = h.field_names();
        let base_names = b.field_names();
        let label = h.label();
        // `to` and `to[]` are one parameter to PHP, Rails and most form
        // parsers: a field that became a list still arrives under its name.
        let key = |n: &str| n.trim_end_matches("[]").to_string();
        let head_keys: BTreeSet<String> = head_names.iter().map(|n| key(n)).collect();
        let base_keys: BTreeSet<String> = base_names.iter().map(|n| key(n)).collect();
        // A JSX binding (`{email}`) is state, not a submitted name: its
        // rename is a refactor no handler sees.
        let named = |f: &&Field| !f.hidden && !super::jsx::is_binding(&f.name);
        let gone: Vec<&Field> = b
            .fields
            .iter()
            .filter(named)
            .filter(|f| !head_keys.contains(&key(&f.name)))
            .collect();
        let mut added: Vec<&Field> = h
            .fields
            .iter()
            .filter(named)
            .filter(|f| !base_keys.contains(&key(&f.name)))
            .collect();
        let mut reported = BTreeSet::new();
        let hosted = self.hosted_provider(h).filter(|_| capture.is_none());
        for field in gone {
            if !reported.insert(field.name.as_str()) {
                continue;
            }
            // A rename: the same kind of control took its place.
            let renamed_to = added.iter().position(|a| a.kind == field.kind);
            let renamed = renamed_to.map(|i| added.remove(i));
            // The handler moved with it: it no longer reads the old name,
            // or now reads the new one.
            if handler_follows_field(cx, &field.name, renamed.map(|f| f.name.as_str())) {
                continue;
            }
            let (severity, message, at) = match (field.required, renamed) {
                // The form posts somewhere new: only the capture script
                // still reads the old name.
                (_, Some(new)) if let Some(c) = capture => {
                    (
                        Severity::Medium,
                        format!(
                            "The field `{}` of the {label} on `{}` was renamed to `{}` while the form moved to a new action. `{}` loads a script that captures form submissions by field name (`{}`); its field mapping is kept outside the repository and still names `{}`, so these submissions stop reaching it.",
                            field.name, hp.path, new.name, c.page, c.script, field.name
                        ),
                        hp.loc(new.span.clone()),
                    )
                }
                (_, None) if capture.is_some() => continue,
                // A hosted form service stores whatever fields arrive: the
                // submission still arrives, under the new name.
                (_, Some(new)) if let Some(provider) = hosted.as_deref() => (
                    Severity::Low,
                    format!(
                        "The field `{}` of the {label} on `{}` was renamed to `{}`. The form posts to `{provider}`, which keeps whatever fields arrive, so submissions still arrive under the new name; an export or automation that reads `{}` gets nothing.",
                        field.name, hp.path, new.name, field.name
                    ),
                    hp.loc(new.span.clone()),
                ),
                (true, Some(new)) => (
                    Severity::Medium,
                    format!(
                        "The required field `{}` of the {label} on `{}`{} was renamed to `{}`: a handler that still reads `{}` gets nothing and may reject every submission.",
                        field.name, hp.path, b.posting(), new.name, field.name
                    ),
                    hp.loc(new.span.clone()),
                ),
                (true, None) => (
                    Severity::Medium,
                    format!("The required field `{}` of the {label} on `{}`{} is gone: a handler that expects it may reject every submission.", field.name, hp.path, b.posting()),
                    hp.form_loc(h),
                ),
                (false, Some(new)) => (
                    Severity::Low,
                    format!(
                        "The field `{}` of the {label} on `{}`{} was renamed to `{}`: a handler that still reads `{}` gets nothing.",
                        field.name, hp.path, b.posting(), new.name, field.name
                    ),
                    hp.loc(new.span.clone()),
                ),
                (false, None) => continue,
            };
            let mut finding = Finding::new(
                "forms/field-removed",
                at,
                format!("{}/field:{}", b.subject(), field.name),
                message,
            )
            .severity(severity)
            .related(
                bp.loc(field.span.clone()),
                format!("`{}` in base", field.name),
            )
            .evidence("page", hp.path)
            .evidence("form", label.clone())
            .evidence("field", field.name.clone());
            if let Some(c) = capture {
                finding = finding
                    .evidence("capture_script", c.script.clone())
                    .evidence("capture_loaded_by", c.page.clone());
            }
            out.push(finding);
        }
    }
}

/// `forms/action-broken` (medium): an absolute `<base href>` naming
/// another site, added to the page, sends the form's relative action
/// there. Medium: riskdiff cannot tell a site's own second domain from a
/// stranger's, unless the page names it (canonical link, `og:url`).
fn check_base_href(p: &Pair, out: &mut Vec<Finding>) -> bool {
    let Pair {
        bp, hp, b, h, page, ..
    } = *p;
    let Some(base) = &hp.forms.base_href else {
        return false;
    };
    let Some(host) = host_of(&base.href) else {
        return false;
    };
    // Only a base URL *added* sends the forms somewhere new: one that named
    // a host in base already (staging.example.com -> www.example.com, a
    // domain move) only renames where they went.
    let had_host = bp
        .forms
        .base_href
        .as_ref()
        .is_some_and(|b| host_of(&b.href).is_some());
    let own = hp.forms.own_hosts.contains(&host) || bp.forms.own_hosts.contains(&host);
    let action = h.action().and_then(AttrValue::literal).unwrap_or("");
    if had_host || own || !resolves_against_base(action) {
        return false;
    }
    let same_action = b.action().and_then(AttrValue::literal).map(str::trim) == Some(action.trim());
    if !same_action {
        return false;
    }
    let target = joined(&base.href, action);
    let label = &p.label;
    out.push(
        Finding::new(
            "forms/action-broken",
            hp.loc(base.range.clone()),
            format!("{}/base-href", p.subject),
            format!(
                "The {label} on `{page}` now posts to `{target}`: the `<base href=\"{}\">` added to the page resolves its action `{}` against `{host}`, not this site. If `{host}` is this site's own address, add a canonical link naming it.",
                base.href,
                action.trim()
            ),
        )
        .severity(Severity::Medium)
        .related(bp.form_loc(b), format!("in base it posted to `{}` on this site", action.trim()))
        .evidence("page", page)
        .evidence("form", label.clone())
        .evidence("base_href", base.href.clone())
        .evidence("new_target", target),
    );
    true
}
