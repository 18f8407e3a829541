//! The route readers of Django, Flask/FastAPI, Rails, Laravel/PHP,
//! Express and Next.js, on one file.
use std::sync::Arc;

use super::super::{pick, split};
use riskdiff::pipeline::lang::{detect, Lang};
use riskdiff::pipeline::parse::parse_or_skip;
use riskdiff::readers::routes::{mentions_routes, route_line, routes_of};

const PATHS: &[&str] = &[
    "shop/urls.py",
    "app/views.py",
    "config/routes.rb",
    "routes/web.php",
    "public/index.php",
    "src/routes/index.js",
    "server/app.ts",
    "pages/api/contact.js",
    "app/contact/route.ts",
];

pub fn run(data: &[u8]) {
    let Some(case) = split(data) else { return };
    let path = pick(PATHS, case.selector);
    let lang = detect(path);
    if lang == Lang::Unknown {
        return;
    }
    let text: Arc<str> = String::from_utf8_lossy(case.head).into();
    let _ = mentions_routes(path, lang, &text);
    for line in text.lines().take(10_000) {
        let _ = route_line(path, lang, line);
    }
    let parsed = match parse_or_skip(text.clone(), lang) {
        Ok(p) => p,
        Err(_) => return,
    };
    let _ = routes_of(path, lang, &text, parsed.as_ref().map(|p| &p.tree));
}
