//! `forms/endpoint-unrouted`: a form posts to a same-site path whose route
//! the change removed, renamed, or restricted to GET. Route declarations
//! come from [`crate::readers::routes`]; only when a changed route file loses a
//! route that accepted POST are forms looked at, so a change without route
//! files costs nothing.

use super::{AttrValue, FormFacts, Forms, Method, PageSide};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use crate::readers::routes::{self, Route};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// A route that accepted POST in base and is not served for POST in head.
struct Lost {
    route: Route,
    base_path: String,
    /// The route file's text (shared, never copied per route).
    base_text: Arc<str>,
    /// Still served, but only for GET (or other non-POST methods).
    now_get_only: bool,
    /// A head route of the same name accepts POST: forms that resolve the
    /// route by name follow it to its new path.
    name_still_served: bool,
}

/// Whether the change touched a line of a route file that routes are made
/// of. Routes of files it did not touch are the same on both sides, so
/// they are never read unless a route turns out lost (then see
/// `lost_routes`, which looks for it elsewhere).
pub(super) fn touches_routes(file: &ChangedFile) -> bool {
    // Asked by the parse stage, extract and each lookup of check.
    file.remember("forms.touches_routes", || touches_routes_now(file))
}

fn touches_routes_now(file: &ChangedFile) -> bool {
    // A side whose bytes cannot declare a route has none to lose or gain
    // (the check `routes_of_version` makes before it reads any): asked
    // first, it spares the line diff of every module without a route,
    // which was 4% of saleor's 800 commits.
    let may_route = |version: &Option<FileVersion>, lang: Lang| {
        version.as_ref().is_some_and(|v| {
            routes::may_declare_routes(&v.path, lang)
                && v.text()
                    .is_some_and(|t| routes::mentions_routes(&v.path, lang, t))
        })
    };
    if !may_route(&file.base, file.base_lang) && !may_route(&file.head, file.head_lang) {
        return false;
    }
    let lang = if file.head.is_some() {
        file.head_lang
    } else {
        file.base_lang
    };
    file.any_touched_line(|line| routes::route_line(file.path(), lang, line))
}

pub(super) fn routes_of_side(cx: &Context, file: &ChangedFile, rev: Revision) -> Vec<Route> {
    let (version, lang) = match rev {
        Revision::Base => (file.base.as_ref(), file.base_lang),
        Revision::Head => (file.head.as_ref(), file.head_lang),
    };
    let Some(version) = version else {
        return Vec::new();
    };
    routes_of_version(cx, version, lang)
}

pub(super) fn routes_of_version(cx: &Context, version: &FileVersion, lang: Lang) -> Vec<Route> {
    if !routes::may_declare_routes(&version.path, lang) {
        return Vec::new();
    }
    let Some(text) = version.text() else {
        return Vec::new();
    };
    // The byte check too is kept: the lookups of check ask for the routes
    // of every changed file, side after side.
    let routes = cx.facts("forms.routes", version, lang, || {
        if !routes::mentions_routes(&version.path, lang, text) {
            return Vec::new();
        }
        let tree = if lang == Lang::Php {
            None
        } else {
            cx.parsed_for_facts(version, lang)
        };
        routes::routes_of(&version.path, lang, text, tree.as_ref().map(|p| &p.tree))
    });
    (*routes).clone()
}

/// A rooted same-site path of a literal action, if it is one.
fn action_path(action: &str) -> Option<&str> {
    let a = action.trim();
    a.starts_with('/')
        .then_some(a)
        .filter(|a| !a.starts_with("//"))
}

/// The named routes the changed route files declare on each side: what a
/// route helper in a form's action (`route('admin.notifications')`) stands
/// for. Built only when a removed form and a new one both post through
/// route helpers.
#[derive(Default)]
pub(super) struct NamedRoutes {
    base: HashMap<String, Route>,
    head: HashMap<String, Route>,
}

impl NamedRoutes {
    /// Whether base form `b` and head form `h` post, by the same method, to
    /// the same endpoint through routes of different names, and `h` has
    /// every field a visitor filled in on `b`: the form moved to a page of
    /// its own while its route was renamed (Firefly III's admin
    /// notification settings: `admin.notifications` became
    /// `admin.notification.post`, both POST `/admin/notifications`).
    pub(super) fn same_endpoint(&self, b: &FormFacts, h: &FormFacts) -> bool {
        let resolve = |f: &FormFacts, side: &HashMap<String, Route>| match f.action() {
            Some(AttrValue::Templated(t)) => {
                routes::referenced_name(t).and_then(|n| side.get(&n).cloned())
            }
            _ => None,
        };
        let (Some(rb), Some(rh)) = (resolve(b, &self.base), resolve(h, &self.head)) else {
            return false;
        };
        let posts = |r: &Route| r.accepts_post() == !matches!(b.method(), Method::Get);
        let head_fields = h.field_names();
        b.method() == h.method()
            && !rb.path.is_empty()
            && rb.path == rh.path
            && posts(&rb)
            && posts(&rh)
            && b.fields
                .iter()
                .all(|x| x.hidden || head_fields.contains(x.name.as_str()))
    }
}

impl Forms {
    /// [`NamedRoutes`] of the changed route files.
    pub(super) fn named_routes(&self, cx: &Context) -> NamedRoutes {
        let mut named = NamedRoutes::default();
        for f in cx.files.iter().filter(|f| !cx.is_excluded(f.path())) {
            for (rev, side) in [
                (Revision::Base, &mut named.base),
                (Revision::Head, &mut named.head),
            ] {
                for r in routes_of_side(cx, f, rev) {
                    if let Some(n) = r.name.clone() {
                        side.entry(n).or_insert(r);
                    }
                }
            }
        }
        named
    }

    /// Routes the changed route files declared in base and no longer
    /// declare in head, by name (or by path for unnamed ones): what a form
    /// removed in the same change posted to was retired with it.
    pub(super) fn routes_gone(&self, cx: &Context) -> Vec<String> {
        let key = |r: &Route| r.name.clone().unwrap_or_else(|| r.path.clone());
        let mut base = BTreeSet::new();
        let mut head = BTreeSet::new();
        for f in cx.files {
            base.extend(routes_of_side(cx, f, Revision::Base).iter().map(key));
            head.extend(routes_of_side(cx, f, Revision::Head).iter().map(key));
        }
        base.difference(&head).cloned().collect()
    }

    /// The routes that accepted POST in the base of a changed route file
    /// and that no changed route file serves for POST in head.
    fn lost_routes(&self, cx: &Context) -> Vec<Lost> {
        let mut base_routes: Vec<(Route, String, Arc<str>)> = Vec::new();
        let mut head_routes: Vec<Route> = Vec::new();
        let touched: Vec<&ChangedFile> = cx
            .files
            .iter()
            .filter(|f| !cx.is_excluded(f.path()) && touches_routes(f))
            .collect();
        // Each side on a worker of its own: read one after another, the
        // route files of a large range kept check waiting on this family
        // (mautic's 200 commits: 24 PHP controllers, 650 KB).
        let sides: Vec<[Vec<Route>; 2]> = touched
            .par_iter()
            .with_max_len(1)
            .map(|&f| {
                let (base, head) = rayon::join(
                    || routes_of_side(cx, f, Revision::Base),
                    || routes_of_side(cx, f, Revision::Head),
                );
                [base, head]
            })
            .collect();
        for (&f, [base, head]) in touched.iter().zip(sides) {
            let bv = f.base.as_ref();
            for r in base {
                if let Some(bv) = bv {
                    base_routes.push((
                        r,
                        bv.path.clone(),
                        bv.text().cloned().unwrap_or_else(|| Arc::from("")),
                    ));
                }
            }
            head_routes.extend(head);
        }
        // Head routes by path and the names that still accept POST: one
        // look-up per base route, not a scan of head (8,000 routes).
        let mut head_by_path: HashMap<&str, (bool, bool)> = HashMap::new();
        let mut posting_names: HashSet<&str> = HashSet::new();
        for h in &head_routes {
            let e = head_by_path.entry(h.path.as_str()).or_default();
            e.0 = true;
            e.1 |= h.accepts_post();
            if let (Some(n), true) = (&h.name, h.accepts_post()) {
                posting_names.insert(n.as_str());
            }
        }
        let mut lost = Vec::new();
        for (r, path, text) in base_routes {
            if !r.accepts_post() || r.path.is_empty() {
                continue;
            }
            let (declared, posts) = head_by_path
                .get(r.path.as_str())
                .copied()
                .unwrap_or_default();
            if posts {
                continue;
            }
            let same_path = declared;
            let name_still_served = r.name.as_deref().is_some_and(|n| posting_names.contains(n));
            lost.push(Lost {
                now_get_only: same_path,
                name_still_served,
                route: r,
                base_path: path,
                base_text: text,
            });
        }
        lost
    }

    /// Which of the `lost` routes at `hit` a head file whose routes the
    /// change did not touch still declares for POST (two routers for one
    /// path). Read only when a form posts to a lost route: it reads the
    /// route files of head that mention one.
    fn declared_elsewhere(
        &self,
        cx: &Context,
        lost: &[Lost],
        hit: &BTreeSet<usize>,
    ) -> BTreeSet<usize> {
        let in_change: BTreeSet<&str> = cx
            .files
            .iter()
            .filter(|f| !cx.is_excluded(f.path()) && touches_routes(f))
            .map(|f| f.path())
            .collect();
        let listing = cx.all_files(Revision::Head);
        let candidates: Vec<(String, git2::Oid)> = listing
            .iter()
            .filter(|(p, _)| {
                !in_change.contains(p.as_str())
                    && !cx.is_excluded(p)
                    && routes::may_declare_routes(p, crate::pipeline::lang::detect(p))
            })
            .cloned()
            .collect();
        let needles: Vec<String> = hit
            .iter()
            .map(|&i| last_segment(&lost[i].route.path))
            .collect();
        let versions = cx.read_listed(Revision::Head, &candidates);
        let mut elsewhere: Vec<Route> = Vec::new();
        for v in versions {
            let Some(t) = v.text() else { continue };
            if !needles.iter().any(|n| t.contains(n.as_str())) {
                continue;
            }
            elsewhere.extend(routes_of_version(
                cx,
                &v,
                crate::pipeline::lang::detect(&v.path),
            ));
        }
        hit.iter()
            .copied()
            .filter(|&i| {
                elsewhere
                    .iter()
                    .any(|e| e.path == lost[i].route.path && e.accepts_post())
            })
            .collect()
    }

    /// The lost routes a head form may post to, by index, first match
    /// first.
    fn posts_to(&self, form: &FormFacts, lost: &[Lost]) -> Vec<usize> {
        let matching = |serves: &dyn Fn(&Lost) -> bool| {
            (0..lost.len()).filter(|&i| serves(&lost[i])).collect()
        };
        if matches!(form.method(), Method::Get | Method::Dialog) {
            return Vec::new();
        }
        match form.action() {
            Some(AttrValue::Literal(a)) => match action_path(a) {
                Some(p) => matching(&|l| l.route.serves(p)),
                None => Vec::new(),
            },
            Some(AttrValue::Templated(t)) => match routes::referenced_name(t) {
                Some(name) => matching(&|l| {
                    !l.name_still_served
                        && l.route.name.as_deref().is_some_and(|n| {
                            n == name
                                || n.rsplit('.').next() == Some(name.as_str())
                                || name.rsplit('.').next() == Some(n)
                        })
                }),
                None => Vec::new(),
            },
            Some(AttrValue::Bare) | None => Vec::new(),
        }
    }

    pub(super) fn check_unrouted(
        &self,
        cx: &Context,
        pages: &[(Option<PageSide>, Option<PageSide>)],
        out: &mut Vec<Finding>,
    ) {
        let lost = self.lost_routes(cx);
        if lost.is_empty() {
            return;
        }
        // Each form that posts to a lost route, with a finding per route it
        // may post to, first match first.
        let mut hits: Vec<Vec<(usize, Finding)>> = Vec::new();
        let mut consider = |page: &PageSide, added: bool| {
            for form in &page.forms.forms {
                // A page this change adds, posting through a route helper
                // to a route the same change stops declaring, was written
                // against a route its author knows is served: by a package
                // now left to register its own (Firefly III stopped
                // ignoring Passport's routes and added Passport's
                // authorization page in one change).
                if added && matches!(form.action(), Some(AttrValue::Templated(_))) {
                    continue;
                }
                let found: Vec<(usize, Finding)> = self
                    .posts_to(form, &lost)
                    .into_iter()
                    .map(|i| (i, self.unrouted(page, form, &lost[i])))
                    .collect();
                if !found.is_empty() {
                    hits.push(found);
                }
            }
        };
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for (bp, hp) in pages {
            if let Some(hp) = hp {
                seen.insert(hp.path);
                consider(hp, bp.is_none());
            }
        }
        // Pages the change did not touch that mention a lost path or name.
        let needles: Vec<String> = lost
            .iter()
            .flat_map(|l| [Some(last_segment(&l.route.path)), l.route.name.clone()])
            .flatten()
            .filter(|n| !n.is_empty())
            .collect();
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        self.visit_unchanged_pages(cx, &seen, &needles, |page| consider(page, false));
        if hits.is_empty() {
            return;
        }
        let hit: BTreeSet<usize> = hits.iter().flatten().map(|(i, _)| *i).collect();
        let still = self.declared_elsewhere(cx, &lost, &hit);
        out.extend(hits.into_iter().filter_map(|found| {
            found
                .into_iter()
                .find(|(i, _)| !still.contains(i))
                .map(|(_, f)| f)
        }));
    }

    /// The finding for a form that posts to a lost route.
    fn unrouted(&self, page: &PageSide, form: &FormFacts, l: &Lost) -> Finding {
        let label = form.label();
        let action = form.action().map(AttrValue::shown).unwrap_or_default();
        let at = form
            .tag
            .attr("action")
            .map_or(form.tag.range.clone(), |a| a.span.clone());
        let decl = self.one_line_of(&l.base_text, &l.route);
        let what = if l.now_get_only {
            format!("now answers only {} there", "GET")
        } else {
            "no longer declares it".to_string()
        };
        let message = format!(
            "The {label} on `{}` posts to `{}`, which `{}` served in base ({}: `{decl}`), and the application {what}. Every submission now gets a 404 or 405 and is lost.",
            page.path,
            action.trim(),
            l.base_path,
            l.route.framework,
        );
        Finding::new(
            "forms/endpoint-unrouted",
            page.loc(at),
            form.subject(),
            message,
        )
        .related(
            Location {
                revision: Revision::Base,
                path: l.base_path.clone(),
                span: Span::from_bytes(&l.base_text, l.route.range.start, l.route.range.end),
            },
            format!(
                "in base the route was declared here ({})",
                l.route.framework
            ),
        )
        .evidence("page", page.path)
        .evidence("form", label)
        .evidence("action", action.trim().to_string())
        .evidence("route", l.route.path.clone())
        .evidence("framework", l.route.framework)
    }

    fn one_line_of(&self, text: &str, r: &Route) -> String {
        let decl = text.get(r.range.clone()).unwrap_or("");
        let first = decl.lines().next().unwrap_or("").trim();
        if first.chars().count() > 70 {
            format!("{}…", first.chars().take(69).collect::<String>())
        } else {
            first.to_string()
        }
    }
}

fn last_segment(path: &str) -> String {
    path.rsplit('/')
        .find(|s| !s.is_empty() && *s != "*")
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_side_that_can_declare_routes_has_route_lines_touched() {
        let py = |base: &str, head: &str| {
            touches_routes(&ChangedFile::modified_for_test(
                "app/views.py",
                base,
                head,
                Lang::Python,
            ))
        };
        // `def ` is a route line, but no decorator here declares a route.
        assert!(!py("def a():\n    pass\n", "def b():\n    pass\n"));
        let flask = "@app.route(\"/contact\", methods=[\"POST\"])\ndef contact():\n    pass\n";
        assert!(py(flask, &flask.replace("contact()", "contact_form()")));
        // The route gone from head is still one base declared.
        assert!(py(flask, "def contact():\n    pass\n"));
    }
}
