//! Matching forms across the two revisions: by id, name, action, fields,
//! submit-button names and position, best evidence first.

use super::facts::{AttrValue, FormFacts, Method};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

#[cfg(test)]
thread_local! {
    /// How often [`similarity`] ran on this thread: matching must stay
    /// proportional to the forms.
    pub(super) static SIMILARITY_CALLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How alike two forms are; 0 means no evidence they are the same form.
pub(super) fn similarity(a: &FormFacts, b: &FormFacts) -> i64 {
    #[cfg(test)]
    SIMILARITY_CALLS.with(|c| c.set(c.get() + 1));
    let mut score = 0;
    match (a.id(), b.id()) {
        (Some(x), Some(y)) if x == y => score += 100,
        _ => {}
    }
    match (a.name(), b.name()) {
        (Some(x), Some(y)) if x == y => score += 50,
        _ => {}
    }
    if let (Some(x), Some(y)) = (a.action(), b.action()) {
        if x.shown().trim() == y.shown().trim() && !x.shown().trim().is_empty() {
            score += 40;
        }
    }
    let (fa, fb) = (a.field_names(), b.field_names());
    let union = fa.union(&fb).count();
    if let Some(share) = (40 * fa.intersection(&fb).count()).checked_div(union) {
        score += share as i64;
    }
    let (ca, cb) = (a.control_names(), b.control_names());
    if !ca.is_empty() && ca == cb {
        score += 30;
    }
    if a.ordinal == b.ordinal {
        score += 5;
    }
    score
}

/// Pairs forms of two versions of a page: best evidence first, then what is
/// left in order when both sides have as many left. Returns the pairs and
/// the unmatched indices on each side.
/// Pages with more pairs of forms than this are matched through an index
/// ([`match_many`]): all against all took 74 s and 3.5 GB for 10,000 forms.
const ALL_AGAINST_ALL: usize = 64 * 64;

/// Matched pairs (base, head) and the unmatched forms of each side.
pub(super) type Matching = (Vec<(usize, usize)>, Vec<usize>, Vec<usize>);

pub(super) fn match_forms(base: &[FormFacts], head: &[FormFacts]) -> Matching {
    if base.len() * head.len() > ALL_AGAINST_ALL {
        return match_many(base, head);
    }
    let mut scored = Vec::new();
    for (i, a) in base.iter().enumerate() {
        for (j, b) in head.iter().enumerate() {
            let s = similarity(a, b);
            if s > 5 {
                scored.push((s, i, j));
            }
        }
    }
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut used_b = vec![false; base.len()];
    let mut used_h = vec![false; head.len()];
    let mut pairs = Vec::new();
    for (_, i, j) in scored {
        if !used_b[i] && !used_h[j] {
            used_b[i] = true;
            used_h[j] = true;
            pairs.push((i, j));
        }
    }
    let left_b: Vec<usize> = (0..base.len()).filter(|&i| !used_b[i]).collect();
    let left_h: Vec<usize> = (0..head.len()).filter(|&j| !used_h[j]).collect();
    if left_b.len() == left_h.len() {
        // Restyled beyond recognition but still there: pair in order, and
        // let the comparison report what changed. Forms that share nothing
        // (method, action, a field) are not one form restyled: a POST form
        // removed and an empty `<form>{% csrf_token %}</form>` added.
        let (mut rest_b, mut rest_h) = (Vec::new(), Vec::new());
        for (&i, &j) in left_b.iter().zip(&left_h) {
            if share(&base[i], &head[j]) {
                pairs.push((i, j));
            } else {
                rest_b.push(i);
                rest_h.push(j);
            }
        }
        pairs.sort();
        return (pairs, rest_b, rest_h);
    }
    // Unequal counts: align what is left in order, pairing forms that look
    // the same (method, action and fields), so a form added between two
    // anonymous forms does not make both look removed.
    let (n, m) = (left_b.len(), left_h.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if look(&base[left_b[i]]) == look(&head[left_h[j]]) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut rest_b, mut rest_h) = (Vec::new(), Vec::new());
    while i < n && j < m {
        if look(&base[left_b[i]]) == look(&head[left_h[j]]) {
            pairs.push((left_b[i], left_h[j]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            rest_b.push(left_b[i]);
            i += 1;
        } else {
            rest_h.push(left_h[j]);
            j += 1;
        }
    }
    rest_b.extend_from_slice(&left_b[i..]);
    rest_h.extend_from_slice(&left_h[j..]);
    pairs.sort();
    (pairs, rest_b, rest_h)
}

/// Evidence that a form moved within this change: [`same_form_elsewhere`],
/// or forms without an action (posting to whatever page renders them, as a
/// PHP page's forms do after moving into the template it now renders) that
/// share most fields, their submit buttons, or their `data-id`.
pub(super) fn same_form_moved(a: &FormFacts, b: &FormFacts) -> bool {
    if same_form_elsewhere(a, b) {
        return true;
    }
    // Both targets computed by the template (route helpers, renamed with
    // the routes as the form moved: diaspora's `user_path` became
    // `edit_user_path` when the account forms went into `_edit.haml`):
    // the same method and exactly the same fields a visitor fills in make
    // it the same form (hidden tokens such as `_token` are on every form).
    let computed = |f: &FormFacts| matches!(f.action(), Some(AttrValue::Templated(_)));
    if computed(a) && computed(b) && a.method() == b.method() {
        let visible = |f: &FormFacts| -> BTreeSet<String> {
            f.fields
                .iter()
                .filter(|x| !x.hidden)
                .map(|x| x.name.clone())
                .collect()
        };
        let fa = visible(a);
        if !fa.is_empty() && fa == visible(b) {
            return true;
        }
    }
    let selfish = |f: &FormFacts| {
        f.action()
            .is_none_or(|x| x.literal().is_some_and(|x| x.trim().is_empty()))
    };
    if !(selfish(a) && selfish(b)) || a.method() != b.method() {
        return false;
    }
    let data_id = |f: &FormFacts| {
        f.tag
            .literal("data-id")
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if data_id(a).is_some() && data_id(a) == data_id(b) {
        return true;
    }
    let (fa, fb) = (a.field_names(), b.field_names());
    let union = fa.union(&fb).count();
    union > 0 && fa.intersection(&fb).count() * 2 >= union
}

/// Two forms of one page that are copies of each other: same method,
/// action, fields and submit buttons.
pub(super) fn same_look(a: &FormFacts, b: &FormFacts) -> bool {
    look(a) == look(b)
}

/// What a form looks like: method, action, fields, button names, and
/// whether it has a submit button (which tells an auto-submitted empty
/// form from the button form beside it).
type Look<'f> = (
    Method,
    Option<String>,
    BTreeSet<&'f str>,
    BTreeSet<&'f str>,
    bool,
);

fn look(f: &FormFacts) -> Look<'_> {
    (
        f.method(),
        f.action().map(|a| a.shown().trim().to_string()),
        f.field_names(),
        f.control_names(),
        f.controls.iter().any(|c| c.submits),
    )
}

/// Forms pair when they share what they post: method, action or a field.
fn share(a: &FormFacts, b: &FormFacts) -> bool {
    a.method() == b.method()
        || matches!((a.action(), b.action()), (Some(x), Some(y)) if x.shown().trim() == y.shown().trim())
        || !a.field_names().is_disjoint(&b.field_names())
}

/// How many forms of the same id, name or action one form is compared with.
const CANDIDATES: usize = 8;

/// [`match_forms`] for pages with many forms, in time proportional to the
/// forms: forms identical in id, name and look pair in order; then each
/// form is scored against a few forms sharing its id, name or action
/// (best first, in order); what is left pairs in order when both sides
/// have as many left and share what they post.
fn match_many(base: &[FormFacts], head: &[FormFacts]) -> Matching {
    type Key<'f> = (Option<&'f str>, Option<&'f str>, Look<'f>);
    let mut used_h = vec![false; head.len()];
    let mut paired_b = vec![false; base.len()];
    let mut pairs = Vec::new();
    let mut same: HashMap<Key, VecDeque<usize>> = HashMap::new();
    for (j, h) in head.iter().enumerate() {
        same.entry((h.id(), h.name(), look(h)))
            .or_default()
            .push_back(j);
    }
    for (i, b) in base.iter().enumerate() {
        if let Some(j) = same
            .get_mut(&(b.id(), b.name(), look(b)))
            .and_then(VecDeque::pop_front)
        {
            used_h[j] = true;
            paired_b[i] = true;
            pairs.push((i, j));
        }
    }
    // Head forms by each kind of evidence, in order.
    let mut by: HashMap<(u8, String), Vec<usize>> = HashMap::new();
    for (j, h) in head.iter().enumerate().filter(|(j, _)| !used_h[*j]) {
        for k in evidence(h) {
            by.entry(k).or_default().push(j);
        }
    }
    for (i, b) in base.iter().enumerate() {
        if paired_b[i] {
            continue;
        }
        let best = evidence(b)
            .iter()
            .filter_map(|k| by.get(k))
            .flat_map(|list| list.iter().filter(|&&j| !used_h[j]).take(CANDIDATES))
            .map(|&j| (similarity(b, &head[j]), j))
            .filter(|(s, _)| *s > 5)
            .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
        if let Some((_, j)) = best {
            used_h[j] = true;
            paired_b[i] = true;
            pairs.push((i, j));
        }
    }
    let left_b: Vec<usize> = (0..base.len()).filter(|&i| !paired_b[i]).collect();
    let left_h: Vec<usize> = (0..head.len()).filter(|&j| !used_h[j]).collect();
    let (mut rest_b, mut rest_h) = (Vec::new(), Vec::new());
    if left_b.len() == left_h.len() {
        for (&i, &j) in left_b.iter().zip(&left_h) {
            if share(&base[i], &head[j]) {
                pairs.push((i, j));
            } else {
                rest_b.push(i);
                rest_h.push(j);
            }
        }
    } else {
        rest_b = left_b;
        rest_h = left_h;
    }
    pairs.sort();
    (pairs, rest_b, rest_h)
}

/// The id, name and action of a form, as index keys.
fn evidence(f: &FormFacts) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    if let Some(id) = f.id() {
        out.push((0, id.to_string()));
    }
    if let Some(name) = f.name() {
        out.push((1, name.to_string()));
    }
    if let Some(a) = f.action() {
        let a = a.shown().trim().to_string();
        if !a.is_empty() {
            out.push((2, a));
        }
    }
    out
}

/// Strong evidence that a form left one page and arrived on another.
pub(super) fn same_form_elsewhere(a: &FormFacts, b: &FormFacts) -> bool {
    if let (Some(x), Some(y)) = (a.id(), b.id()) {
        return x == y;
    }
    let (fa, fb) = (a.field_names(), b.field_names());
    let union = fa.union(&fb).count();
    let fields_alike = union > 0 && fa.intersection(&fb).count() * 2 >= union;
    let same_action = matches!((a.action(), b.action()), (Some(x), Some(y)) if x.shown().trim() == y.shown().trim());
    // The name of a submit button is how a server tells its forms apart
    // (`invite_team_member`): a form that keeps it is the same form.
    let same_button = !a.control_names().is_disjoint(&b.control_names());
    // A form whose controls all come from a partial riskdiff did not read
    // (`render "send_reminder_button"` in its block) is known only by where
    // it posts: the same action, by the same method, is the same form.
    let opaque = a.fields.is_empty() && a.controls.is_empty() && !a.body_template.is_empty();
    let same_target = same_action && opaque && a.method() == b.method();
    (same_action && fields_alike)
        || (a.name().is_some() && a.name() == b.name())
        || same_button
        || same_target
}

/// The attribute that names a form for good: `data-id`, else `id`, as
/// `(attribute, value)`.
pub(super) fn form_ident(f: &FormFacts) -> Option<(&'static str, &str)> {
    let value = |attr| f.tag.literal(attr).map(str::trim).filter(|v| !v.is_empty());
    value("data-id")
        .map(|v| ("data-id", v))
        .or_else(|| value("id").map(|v| ("id", v)))
}

/// The `(attribute, value)` of the `data-id` and `id` of every `<form …>`
/// start tag of `text`, read from the text itself: the fallback for markup
/// whose tree lost its forms to error recovery. One pass, each tag read
/// within a bounded window, so hostile text stays linear.
pub(super) fn form_tag_idents(text: &str) -> HashSet<(&'static str, String)> {
    const MAX_TAG_BYTES: usize = 4096;
    let lower = text.to_ascii_lowercase();
    let mut out = HashSet::new();
    for (start, _) in lower.match_indices("<form") {
        let rest = &text[start + "<form".len()..];
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let mut end = MAX_TAG_BYTES.min(rest.len());
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let tag = rest[..end].split('>').next().unwrap_or("");
        for attr in ["data-id", "id"] {
            if let Some(value) = attribute_value(tag, attr) {
                out.insert((attr, value));
            }
        }
    }
    out
}

/// The value of `attr="…"` (or `'…'`) in a start tag's text, the name
/// preceded by whitespace so `id` is never read out of `data-id`.
fn attribute_value(tag: &str, attr: &str) -> Option<String> {
    tag.match_indices(attr).find_map(|(at, _)| {
        let before = tag[..at].chars().next_back()?;
        let after = tag[at + attr.len()..].strip_prefix('=')?;
        let quote = after.chars().next().filter(|q| matches!(q, '"' | '\''))?;
        let value = &after[1..];
        let close = value.find(quote)?;
        let value = value[..close].trim();
        (before.is_whitespace() && !value.is_empty()).then(|| value.to_string())
    })
}
