//! Unit tests of the mail family's readers.

use super::backends::{env_settings, mask_url_password, production_by_name};
use super::line_formats::{cf_items, cf_params, fetchmail_entries, logical_lines, map_entries};
use super::mx::{terraform_mx, zone_mx};

use super::*;

#[test]
fn logical_lines_join_continuations_and_drop_comments() {
    let text = "# header\nfristen@k.de  fristen\n  , archiv\n\n   # indented comment\npatente@k.de patente\r\n";
    let lines = logical_lines(text);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].text, "fristen@k.de  fristen , archiv");
    assert_eq!(lines[1].text, "patente@k.de patente");
    assert_eq!(&text[lines[1].range.clone()], "patente@k.de patente");
}

#[test]
fn map_entries_read_aliases_and_virtual_keys() {
    let keys: Vec<String> = map_entries("postmaster: root\nabuse:root\n@k.de catchall\n")
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(keys, ["postmaster", "abuse", "@k.de"]);
}

#[test]
fn fetchmail_users_are_read_per_server() {
    let rc = "set daemon 300\npoll imap.k.de proto imap\n  user \"fristen\" there with password \"x#y\" is fristen here\n  user 'patente' is patente here\n# user ghost\npoll pop.other.de user anna\n";
    let keys: Vec<String> = fetchmail_entries(rc).into_iter().map(|e| e.shown).collect();
    assert_eq!(
        keys,
        [
            "fristen on imap.k.de",
            "patente on imap.k.de",
            "anna on pop.other.de"
        ]
    );
}

#[test]
fn cf_lists_split_on_commas_and_blanks() {
    let p =
        cf_params("mydestination = $myhostname,\n    localhost, k.de\nrelayhost=[smtp.k.de]:587\n");
    assert_eq!(
        cf_items(&p["mydestination"].0),
        ["$myhostname", "localhost", "k.de"]
    );
    assert_eq!(p["relayhost"].0, "[smtp.k.de]:587");
}

#[test]
fn env_values_lose_quotes_and_comments() {
    let s = env_settings("export MAIL_MAILER=\"log\"\nMAIL_HOST= # none\n#X=1\n");
    assert_eq!(
        (s[0].key.as_str(), s[0].value.as_str()),
        ("MAIL_MAILER", "log")
    );
    assert_eq!(s[1].value, "");
    assert_eq!(s.len(), 2);
}

#[test]
fn dsn_passwords_are_masked() {
    assert_eq!(
        mask_url_password("smtp://u:pw@h:587"),
        "smtp://u:****@h:587"
    );
    assert_eq!(mask_url_password("null://null"), "null://null");
    assert_eq!(mask_url_password("smtp://h@x"), "smtp://h@x");
}

#[test]
fn production_is_decided_by_path_words() {
    let t: Tables = toml::from_str::<toml::Table>(include_str!("../../../rules/mail.toml"))
        .unwrap()["tables"]
        .clone()
        .try_into()
        .unwrap();
    assert_eq!(production_by_name(".env.production", &t), Some(true));
    assert_eq!(production_by_name("config/prod/.env", &t), Some(true));
    assert_eq!(production_by_name("settings/dev.py", &t), Some(false));
    assert_eq!(
        production_by_name(".env.production.example", &t),
        Some(false)
    );
    assert_eq!(production_by_name(".env", &t), None);
    assert_eq!(production_by_name("portal/settings.py", &t), None);
}

#[test]
fn zone_mx_follows_origin_owners_and_parentheses() {
    let zone = "$TTL 3600\n@ IN SOA ns1 hostmaster (\n  2024 ; serial\n  3600 )\n@ 300 IN MX 10 mx1 ; primary\n  IN MX 20 mx2.other.de.\n$ORIGIN sub.k.de.\nwww IN A 1.2.3.4\nlists MX 5 @\n";
    let mx: Vec<(String, String)> = zone_mx(zone, "zones/db.k.de")
        .into_iter()
        .map(|m| (m.owner, m.host))
        .collect();
    assert_eq!(
        mx,
        [
            ("k.de".into(), "mx1.k.de".into()),
            ("k.de".into(), "mx2.other.de".into()),
            ("lists.sub.k.de".into(), "sub.k.de".into())
        ]
    );
}

#[test]
fn terraform_mx_reads_route53_and_cloudflare() {
    let tf = "resource \"aws_route53_record\" \"mx\" {\n  zone_id = aws_route53_zone.k.zone_id\n  name = \"k.de\"\n  type = \"MX\"\n  records = [\"10 mx1.k.de\", \"20 mx2.k.de.\"]\n}\nresource \"cloudflare_record\" \"mx\" {\n  zone_id = var.zone\n  name = \"@\"\n  type = \"MX\"\n  content = \"mx.cf.de\"\n  priority = 10\n}\nresource \"aws_route53_record\" \"a\" {\n  name = \"k.de\"\n  type = \"A\"\n  records = [\"1.2.3.4\"]\n}\n";
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_hcl::LANGUAGE.into()).unwrap();
    let t = p.parse(tf, None).unwrap();
    let hosts: Vec<String> = terraform_mx(t.root_node(), tf)
        .into_iter()
        .map(|m| m.host)
        .collect();
    assert_eq!(hosts.len(), 3);
    for h in ["mx1.k.de", "mx2.k.de", "mx.cf.de"] {
        assert!(hosts.iter().any(|x| x == h), "{h} in {hosts:?}");
    }
}

#[test]
fn broken_input_never_panics() {
    for t in [
        "\"unterminated",
        "user",
        "poll",
        "=",
        " \n\t",
        "a:\n:b",
        "ü\"ß",
    ] {
        map_entries(t);
        fetchmail_entries(t);
        cf_params(t);
        env_settings(t);
        zone_mx(t, "db.x");
    }
}

#[test]
fn terraform_mx_keys_a_record_the_same_in_0_11_and_0_12_syntax() {
    let old = "resource \"aws_route53_record\" \"mx\" {\n  zone_id = \"${aws_route53_zone.pif.zone_id}\"\n  name    = \"pif.gov.\"\n  type    = \"MX\"\n  records = [\"1 aspmx.l.google.com.\"]\n}\n";
    let new = old.replace(
        "\"${aws_route53_zone.pif.zone_id}\"",
        "aws_route53_zone.pif.zone_id",
    );
    let read = |t: &str| {
        let tree = crate::pipeline::parse::parse(
            std::sync::Arc::from(t),
            crate::pipeline::lang::Lang::Hcl,
        )
        .unwrap();
        super::mx::terraform_mx(tree.tree.root_node(), t)
    };
    let (a, b) = (read(old), read(&new));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].owner, b[0].owner);
    assert!(
        a[0].owner.contains("aws_route53_zone.pif.zone_id"),
        "{}",
        a[0].owner
    );
}

#[test]
fn php_mail_calls_are_told_from_methods_that_end_in_mail() {
    use super::recipient_removed::calls_php_mail;
    for code in [
        "<?php mail($to, $s, $m);",
        "<?php if (!wp_mail($a, 'x', 'y')) {}",
        "<?php \\mail($to, $s, $m);",
        "<?php mb_send_mail($to, $s, $m);",
    ] {
        assert!(calls_php_mail(code), "{code}");
    }
    for code in [
        "<?php $this->sendMail($user);",
        "<?php $mailer->mail($to);",
        "<?php Mail::mail($to);",
        "<?php $mail($to);",
        "<?php getMail();",
    ] {
        assert!(!calls_php_mail(code), "{code}");
    }
}

#[test]
fn python_is_read_only_for_a_change_to_a_line_that_can_hold_mail() {
    let rules: toml::Table = toml::from_str(include_str!("../../../rules/mail.toml")).unwrap();
    let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
        .try_into()
        .unwrap();
    let mail = Mail { tables };
    let reads = |base: &str, head: &str| {
        mail.reads_change(&ChangedFile::modified_for_test(
            "app/plugin.py",
            base,
            head,
            Lang::Python,
        ))
    };
    let events = "EVENTS = ['ACCOUNT_EMAIL_CHANGED']\n\ndef a():\n    return 1\n";
    // saleor's webhook plugin: a method removed, the mail events untouched.
    assert!(!reads(events, "EVENTS = ['ACCOUNT_EMAIL_CHANGED']\n"));
    // A setting, a call, an address on a line of its own, a recipient key,
    // and a class head that decides which settings count.
    for (base, head) in [
        ("EMAIL_BACKEND = 'smtp'\n", "EMAIL_BACKEND = 'console'\n"),
        ("x = 1\n", "x = 1\nsend_mail(s, b, f, to)\n"),
        ("TO = [\n    'ops@example.com',\n]\n", "TO = [\n]\n"),
        ("ALERT_RECIPIENTS = ['a']\n", "ALERT_RECIPIENTS = []\n"),
        (
            "class Dev(Base):\n    pass\n",
            "class Production(Base):\n    pass\n",
        ),
    ] {
        assert!(reads(base, head), "{head}");
    }
    // Not Python: every change is read.
    let env = ChangedFile::modified_for_test(".env", "A=1\n", "A=2\n", Lang::Env);
    assert!(mail.reads_change(&env));
}
