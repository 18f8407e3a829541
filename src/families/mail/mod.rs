//! The mail family: incident 5 in INCIDENTS.md. A cleanup of a Postfix
//! virtual map left 2 of 25 mailboxes of a law firm routed; mail to the
//! others bounced and a patent deadline was missed.
//!
//! Facts are read from line-based mail configuration (Postfix maps and
//! `main.cf`, aliases files, `.fetchmailrc`), from `.env` files, and from
//! Django settings (python grammar) and Rails environments (ruby grammar).

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::Finding;
use crate::findings::finding::Revision;
use crate::pipeline::lang::Lang;
use backends::{mentions_mail, production_by_name};
use dnscontrol::is_dnscontrol;
use mx::{is_zone_file, mentions_mx};
use serde::Deserialize;

mod backends;
mod django;
mod dnscontrol;
mod line_formats;
mod mx;
mod recipient_removed;
mod recipients;
mod routes_reduced;
mod terraform;
mod terraform_locals;
mod transports;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "mail",
    rules: include_str!("../../../rules/mail.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    map_files: Vec<String>,
    map_dirs: Vec<String>,
    fetchmail_files: Vec<String>,
    getmail_prefixes: Vec<String>,
    dovecot_user_files: Vec<String>,
    cf_route_keys: Vec<String>,
    cf_copy_keys: Vec<String>,
    production_names: Vec<String>,
    non_production_names: Vec<String>,
    sink_backends: Vec<String>,
    sink_mailers: Vec<String>,
    mailer_keys: Vec<String>,
    dsn_keys: Vec<String>,
    host_keys: Vec<String>,
    recipient_key_suffixes: Vec<String>,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Mail {
        tables: crate::families::context::read_tables("mail", tables)?,
    }))
}

struct Mail {
    tables: Tables,
}

impl Mail {
    /// Whether a change to a file can change what this family reads of it.
    /// Python is read for its mail settings and mail calls: a change that
    /// touched no line able to hold either (no `mail` or `recipient` in any
    /// case, no address, no class head deciding which settings count)
    /// leaves both as they were, and neither side is read. saleor's
    /// webhook plugin (125 KB) names `EMAIL` events and was parsed on both
    /// sides for a change that removed a method.
    pub(super) fn reads_change(&self, file: &ChangedFile) -> bool {
        let python = file.base_lang == Lang::Python && file.head_lang == Lang::Python;
        if !python || file.base.is_none() || file.head.is_none() {
            return true;
        }
        file.remember("mail.touches_mail", || file.any_touched_line(may_hold_mail))
    }
}

/// Whether a line of Python can hold a mail setting, a mail call or a
/// part of one (see [`Mail::reads_change`]).
fn may_hold_mail(line: &str) -> bool {
    let holds = |word: &[u8]| {
        line.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    line.contains('@')
        || line.trim_start().starts_with("class ")
        || holds(b"mail")
        || holds(b"recipient")
}

pub(super) fn basename(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase()
}

impl Analyzer for Mail {
    fn reads(&self, path: &str, lang: Lang) -> bool {
        self.route_kind(path).is_some()
            || self.backend_kind(path, lang).is_some()
            || lang == Lang::Hcl
            || lang == Lang::Php
            || lang == Lang::Yaml
            || is_zone_file(path, lang)
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        match lang {
            // Every check of Python code skips a file whose name says it
            // is no production code (`tests/`, `settings/dev.py`): saleor's
            // tests, which name `EMAIL` everywhere, were parsed for nothing.
            Lang::Python => {
                production_by_name(path, &self.tables) != Some(false) && mentions_mail(text)
            }
            // PHP code is parsed here with the PHP grammar; the cache's parse
            // is the HTML around it, which this family does not read.
            Lang::Php => false,
            Lang::Ruby => text.contains("action_mailer"),
            Lang::Yaml => text.contains("MX") && text.contains("exchange"),
            Lang::JavaScript | Lang::TypeScript => {
                text.contains("createTransport") || is_dnscontrol(path, text)
            }
            Lang::Hcl => {
                mentions_mx(text) || terraform::ROUTING_TYPES.iter().any(|t| text.contains(t))
            }
            _ => self.reads(path, lang),
        }
    }

    fn wants_change(&self, file: &ChangedFile) -> bool {
        self.reads_change(file)
    }

    fn extract(&self, cx: &Context, file: &ChangedFile) {
        for rev in [Revision::Base, Revision::Head] {
            self.settings(cx, file, rev);
            self.mail_calls(cx, file, rev);
        }
        for (version, lang) in [(&file.base, file.base_lang), (&file.head, file.head_lang)] {
            if let Some(version) = version {
                self.mx_records(cx, version, lang);
                routes_reduced::terraform_routes_of(cx, version, lang);
            }
        }
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_routes(cx, &mut out);
        self.check_backends(cx, &mut out);
        self.check_mail_calls(cx, &mut out);
        self.check_recipients(cx, &mut out);
        self.check_mx(cx, &mut out);
        out
    }
}

#[cfg(test)]
mod tests;
