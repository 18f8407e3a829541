//! Fingerprints identify a finding in base terms, survive unrelated edits
//! and never collide within a run: acknowledging one finding must never
//! silence another nobody reviewed.

mod common;

use common::{run_bin, TestRepo};
use std::collections::BTreeSet;
use std::path::Path;

/// A contact form without id or name, as many pages have it.
fn form(action: &str, fields: &[&str]) -> String {
    let inputs: String = fields
        .iter()
        .map(|f| format!("  <input name=\"{f}\" required>\n"))
        .collect();
    format!(
        "<form action=\"{action}\" method=\"post\">\n{inputs}  <button>Send</button>\n</form>\n"
    )
}

fn page(forms: &[String]) -> String {
    format!("<h1>Contact</h1>\n{}<p>Bye</p>\n", forms.concat())
}

/// `(exit code, findings)` of `riskdiff check RANGE --format json`.
fn check(dir: &Path, range: &str) -> (i32, Vec<serde_json::Value>) {
    let (code, out, err) = run_bin(dir, &["check", range, "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    // Committing an acknowledgement is itself reported (low, as
    // `riskdiff/config-weakened`); these tests count the form findings.
    let findings = v["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f["rule"] != "riskdiff/config-weakened")
        .collect();
    (code, findings)
}

fn fingerprints(list: &[serde_json::Value]) -> Vec<String> {
    list.iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

fn ack(dir: &Path, fp: &str, range: &str) {
    let (code, out, err) = run_bin(dir, &["ack", fp, "--reason", "reviewed", range]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Base with two forms, then one commit breaking `first`, then one
/// breaking the other too. Acknowledging the first finding must leave the
/// second one failing the check.
fn ack_one_then_break_another(forms: [String; 2], first: usize) {
    let mut repo = TestRepo::new();
    repo.write("contact.html", page(&forms));
    repo.commit("base");
    let mut broken = forms.clone();
    broken[first] = broken[first].replace("action=\"/send\"", "action=\"#\"");
    repo.write("contact.html", page(&broken));
    repo.commit("break one form");
    let (code, list) = check(repo.path(), "HEAD~1..HEAD");
    assert_eq!(code, 1);
    assert_eq!(list.len(), 1, "{list:?}");
    let fp = fingerprints(&list).remove(0);
    ack(repo.path(), &fp, "HEAD~1..HEAD");
    assert_eq!(check(repo.path(), "HEAD~1..HEAD").0, 0);

    let other = 1 - first;
    broken[other] = broken[other].replace("action=\"/send\"", "action=\"#\"");
    repo.write("contact.html", page(&broken));
    repo.commit("break the other form");
    let (code, list) = check(repo.path(), "HEAD~2..HEAD");
    let fps = fingerprints(&list);
    assert_eq!(fps.len(), 2, "{list:?}");
    assert_eq!(fps.iter().collect::<BTreeSet<_>>().len(), 2, "{list:?}");
    assert_eq!(
        list.iter().filter(|f| f["acknowledged"] == true).count(),
        1,
        "{list:?}"
    );
    assert!(
        fps.contains(&fp),
        "the reviewed finding kept its fingerprint"
    );
    assert_eq!(code, 1, "the unreviewed broken form must fail the check");
}

#[test]
fn acknowledging_one_anonymous_form_never_silences_another() {
    let contact = form("/send", &["email", "message"]);
    let callback = form("/send", &["phone"]);
    ack_one_then_break_another([contact.clone(), callback.clone()], 0);
    ack_one_then_break_another([contact, callback], 1);
}

#[test]
fn identical_forms_on_one_page_get_distinct_fingerprints() {
    // The same enquiry form in the header and the footer.
    let same = form("/send", &["email"]);
    ack_one_then_break_another([same.clone(), same.clone()], 0);
    ack_one_then_break_another([same.clone(), same], 1);
}

/// The fingerprint of breaking the contact form on a page that also holds
/// `others` above it.
fn fingerprint_with_forms_above(others: &[String]) -> String {
    let mut repo = TestRepo::new();
    let contact = form("/send", &["email", "message"]);
    let mut base: Vec<String> = others.to_vec();
    base.push(contact.clone());
    repo.write("contact.html", page(&base));
    repo.commit("base");
    *base.last_mut().unwrap() = contact.replace("action=\"/send\"", "action=\"\"");
    repo.write("contact.html", page(&base));
    repo.commit("head");
    let (code, list) = check(repo.path(), "HEAD~1..HEAD");
    assert_eq!(code, 1);
    assert_eq!(list.len(), 1, "{list:?}");
    fingerprints(&list).remove(0)
}

#[test]
fn adding_forms_above_keeps_fingerprints() {
    let alone = fingerprint_with_forms_above(&[]);
    let search = "<form action=\"/search\"><input name=\"q\"></form>\n".to_string();
    let newsletter = form("/subscribe", &["email"]);
    assert_eq!(
        alone,
        fingerprint_with_forms_above(std::slice::from_ref(&search))
    );
    assert_eq!(alone, fingerprint_with_forms_above(&[search, newsletter]));
}

#[test]
fn loops_of_one_function_that_send_alike_get_distinct_fingerprints() {
    let mut repo = TestRepo::new();
    repo.write("jobs/ship.py", "def ship(batches):\n    pass\n");
    repo.commit("base");
    // A loop nested in another that sends the same way, and two loops
    // side by side: one subject each before fingerprints were unique.
    repo.write(
        "jobs/ship.py",
        "import requests\n\n\ndef ship(batches):\n    for batch in batches:\n        requests.post(\"https://carrier.example/batches\", json=batch.header())\n        for order in batch.orders:\n            requests.post(\"https://carrier.example/api\", json=order.payload())\n\n\ndef sync(orders, returns):\n    for order in orders:\n        requests.post(\"https://erp.example/o\", json=order.payload())\n    for r in returns:\n        requests.post(\"https://erp.example/r\", json=r.payload())\n",
    );
    repo.commit("head");
    let (code, list) = check(repo.path(), "HEAD~1..HEAD");
    assert_eq!(code, 1, "{list:?}");
    let fps = fingerprints(&list);
    assert_eq!(fps.len(), 4, "{list:?}");
    assert_eq!(fps.iter().collect::<BTreeSet<_>>().len(), 4, "{list:?}");
}
