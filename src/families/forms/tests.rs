//! Unit tests of the forms family's fact extraction and matching.

use super::handler::handler_candidates;
use super::lookups::{include_names, included_templates};
use std::sync::Arc;

use super::*;

pub(super) fn forms() -> Forms {
    let tables = crate::findings::rules::parse_family(FAMILY.rules)
        .unwrap()
        .tables;
    Forms::new(toml::Value::Table(tables).try_into().unwrap()).unwrap()
}

fn facts(text: &str, lang: Lang) -> PageForms {
    let parsed = crate::pipeline::parse::parse(Arc::from(text), lang).unwrap();
    forms().facts(&parsed)
}

#[test]
fn includes_and_the_files_they_name() {
    let page = "{% include 'helpdesk/form.html' %}{{ include(\"contact.twig\") }}@include('partials.contact')<%= render 'shared/form' %>{% render 'newsletter' %}{% if x %}";
    let got: Vec<String> = included_templates(page, Lang::Template)
        .into_iter()
        .collect();
    assert_eq!(
        got,
        [
            "contact.twig",
            "helpdesk/form.html",
            "newsletter",
            "shared/form"
        ]
    );
    let haml = included_templates(
        ".login\n  = render partial: \"form\", locals: {mobile: true}\n  - render 'shared/nav'\n  %p render\n",
        Lang::Haml,
    );
    assert_eq!(haml.into_iter().collect::<Vec<_>>(), ["form", "shared/nav"]);
    let blade = included_templates("<div>@include('partials.contact')</div>", Lang::Blade);
    assert!(blade.contains("partials.contact"));
    assert!(include_names(
        "helpdesk/templates/helpdesk/form.html",
        "helpdesk/form.html"
    ));
    assert!(!include_names(
        "helpdesk/templates/other/form.html",
        "helpdesk/form.html"
    ));
    assert!(include_names(
        "resources/views/partials/contact.blade.php",
        "partials.contact"
    ));
    assert!(include_names(
        "app/views/shared/_form.html.erb",
        "shared/form"
    ));
    assert!(include_names("snippets/newsletter.liquid", "newsletter"));
    assert!(!include_names(
        "app/views/shared/_formula.html.erb",
        "shared/form"
    ));
}

#[test]
fn reads_forms_fields_and_controls() {
    let page = facts(
        r#"<html><body>
        <form id="anfrage" action="anfrage.php" method="POST">
          <input name="email" type="email" required>
          <textarea name="nachricht"></textarea>
          <input type="hidden" name="_token" value="x">
          <button>Senden</button>
        </form>
        <form role="search" action="/suche"><input name="q"></form>
        </body></html>"#,
        Lang::Html,
    );
    assert_eq!(page.forms.len(), 2);
    let f = &page.forms[0];
    assert_eq!(f.label(), "form `#anfrage`");
    assert_eq!(f.method(), Method::Post);
    assert_eq!(f.fields.len(), 3);
    assert!(f.fields[0].required && f.fields[2].hidden);
    assert_eq!(f.usable_controls().count(), 1);
    assert!(f.submits_data());
    assert_eq!(page.forms[1].label(), "form posting to `/suche`");
    assert!(!page.forms[1].submits_data());
}

#[test]
fn templated_action_is_not_literal() {
    let page = facts(
        "{% block body %}<form action=\"{{ url_for('contact') }}\" method=\"post\">{% csrf_token %}<button type=\"submit\">Go</button></form>{% endblock %}",
        Lang::Template,
    );
    assert!(
        matches!(page.forms[0].action(), Some(AttrValue::Templated(t)) if t.contains("url_for"))
    );
    assert!(!page.forms[0].tag.templated);
}

#[test]
fn hidden_by_container_class_or_style_but_not_responsive() {
    let page = facts(
        r#"<div class="box d-none"><form id="a"></form></div>
           <div class="d-none d-md-block"><form id="b"></form></div>
           <section style="display: none"><form id="c"></form></section>
           <form id="d" hidden></form>"#,
        Lang::Html,
    );
    let hidden: Vec<Option<&String>> = page.forms.iter().map(|f| f.hidden.as_ref()).collect();
    assert!(hidden[0].unwrap().contains("`div.box.d-none`"));
    assert!(hidden[1].is_none());
    assert!(hidden[2].unwrap().contains("display:none"));
    assert!(hidden[3].unwrap().contains("`hidden` attribute"));
}

#[test]
fn controls_linked_by_form_attribute_count() {
    let page = facts(
        r#"<form id="f" action="x.php"></form><button form="f" type="submit">Send</button>"#,
        Lang::Html,
    );
    assert_eq!(page.forms[0].usable_controls().count(), 1);
}

#[test]
fn commented_out_forms_are_remembered() {
    let page = facts(
        "<!-- <form id=\"old\" action=\"a.php\"></form> -->",
        Lang::Html,
    );
    assert!(page.forms.is_empty());
    assert_eq!(page.commented.len(), 1);
}

#[test]
fn php_pages_keep_their_html_forms() {
    let page = facts(
        "<?php require 'head.php'; ?>\n<form action=\"<?php echo $self; ?>\" method=\"post\"><?php if ($x) { ?><input name=\"a\" required><?php } ?><input type=\"submit\"></form>",
        Lang::Php,
    );
    assert_eq!(page.forms.len(), 1);
    assert!(matches!(
        page.forms[0].action(),
        Some(AttrValue::Templated(_))
    ));
    assert_eq!(page.forms[0].fields.len(), 1);
}

#[test]
fn pre_filter_finds_form_tags_in_any_case_only() {
    assert!(contains_form_tag("<FORM action=x>"));
    assert!(contains_form_tag("<form>"));
    assert!(!contains_form_tag("<formatted-text>"));
    assert!(!contains_form_tag("platform form"));
}

#[test]
fn handler_candidates_cover_relative_rooted_and_directory_actions() {
    let t = forms().tables;
    assert_eq!(
        handler_candidates("site/kontakt.html", "anfrage.php?x=1", &t),
        vec!["site/anfrage.php"]
    );
    assert_eq!(
        handler_candidates("site/de/kontakt.html", "../anfrage.php", &t),
        vec!["site/anfrage.php"]
    );
    let rooted = handler_candidates("site/kontakt.html", "/cgi-bin/mail.pl", &t);
    assert!(
        rooted.contains(&"cgi-bin/mail.pl".to_string())
            && rooted.contains(&"site/cgi-bin/mail.pl".to_string())
            && rooted.contains(&"public/cgi-bin/mail.pl".to_string())
    );
    assert!(handler_candidates("a.html", "kontakt/", &t).contains(&"kontakt/index.php".to_string()));
    assert!(handler_candidates("a.html", "https://formspree.io/f/x", &t).is_empty());
    assert!(handler_candidates("a.html", "mailto:a@b.de", &t).is_empty());
    assert!(handler_candidates("a.html", "../../x.php", &t).is_empty());
}

#[test]
fn matching_survives_restyling_and_reordering() {
    let base = facts(
        r#"<form id="a" action="a.php"><input name="x"></form><form action="/search"><input name="q"></form>"#,
        Lang::Html,
    );
    let head = facts(
        r#"<form action="/search" class="new"><input name="q"></form><form class="fancy" action="a.php" id="a"><input name="x"><input name="y"></form>"#,
        Lang::Html,
    );
    let (pairs, lb, lh) = match_forms(&base.forms, &head.forms);
    assert_eq!(pairs, vec![(0, 1), (1, 0)]);
    assert!(lb.is_empty() && lh.is_empty());
}

#[test]
fn many_forms_are_matched_in_proportion_to_their_number() {
    use super::matching::SIMILARITY_CALLS;
    let form =
        r#"<form action="/send" method="post"><input name="email"><button>Go</button></form>"#;
    let n = 2_000;
    let base = facts(&form.repeat(n), Lang::Html);
    let hidden = form.replace("<form ", "<form hidden ");
    let head = facts(&hidden.repeat(n), Lang::Html);
    assert_eq!(base.forms.len(), n);
    SIMILARITY_CALLS.with(|c| c.set(0));
    let (pairs, lb, lh) = match_forms(&base.forms, &head.forms);
    assert_eq!(pairs.len(), n);
    assert!(
        pairs.iter().all(|(i, j)| i == j),
        "identical forms pair in order"
    );
    assert!(lb.is_empty() && lh.is_empty());
    let calls = SIMILARITY_CALLS.with(|c| c.get());
    assert!(calls <= 8 * n, "{calls} comparisons for {n} forms");

    // Changed actions, no ids: nothing identical, paired in order.
    let moved = form.replace("/send", "#");
    let head = facts(&moved.repeat(n), Lang::Html);
    SIMILARITY_CALLS.with(|c| c.set(0));
    let (pairs, _, _) = match_forms(&base.forms, &head.forms);
    assert_eq!(pairs.len(), n);
    assert!(SIMILARITY_CALLS.with(|c| c.get()) <= 8 * n);
}

#[test]
fn hidden_containers_are_found_however_deep_the_form() {
    let depth = 2_000;
    let page = format!(
        "<div class=\"d-none\">{}<form action=\"/a\" method=\"post\"><input name=\"x\"></form>{}</div>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let f = facts(&page, Lang::Html);
    assert_eq!(f.forms.len(), 1);
    let why = f.forms[0].hidden.as_deref().unwrap_or("");
    assert!(why.contains("container") && why.contains("d-none"), "{why}");
    let own = facts(
        "<div hidden><form hidden action=\"/a\"></form></div>",
        Lang::Html,
    );
    assert!(own.forms[0]
        .hidden
        .as_deref()
        .unwrap()
        .starts_with("the form has"));
}

#[test]
fn form_tag_idents_read_ids_from_text_the_tree_lost() {
    let text = "<div><form class=\"x\" data-id=\"editmailbox\"\n role=\"form\" method=\"post\">\n<FORM id='contact'>\n<formset id=\"nope\"><form>";
    let idents = super::matching::form_tag_idents(text);
    assert!(idents.contains(&("data-id", "editmailbox".to_string())));
    assert!(idents.contains(&("id", "contact".to_string())));
    // `id` is never read out of `data-id`, nor from another tag.
    assert!(!idents.contains(&("id", "editmailbox".to_string())));
    assert!(!idents.contains(&("id", "nope".to_string())));
    assert_eq!(idents.len(), 2);
    // Unclosed tags end within their window: nothing runs to the end.
    let hostile = "<form id=\"a\" ".repeat(20_000);
    assert_eq!(super::matching::form_tag_idents(&hostile).len(), 1);
}
