//! `mail/backend-disabled`: production mail settings that send to a sink
//! (console, log, null, a test backend) or lose their mail host.

use super::django::deployment_sets;
use super::recipient_removed::mentions_mail_call;
use super::{basename, transports, Mail, Tables};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::findings::redact;
use crate::pipeline::lang::Lang;
use std::ops::Range;
use tree_sitter::Node;

/// `smtp://user:****@host`: the password of a DSN masked.
pub(super) fn mask_url_password(value: &str) -> String {
    let Some(scheme_end) = value.find("://").map(|i| i + 3) else {
        return value.to_string();
    };
    let rest = &value[scheme_end..];
    let Some(at) = rest.rfind('@') else {
        return value.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:****{}",
            &value[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => value.to_string(),
    }
}

/// Whether a settings file is meant for production, by the words of its
/// path. `None`: the path says neither.
pub(super) fn production_by_name(path: &str, tables: &Tables) -> Option<bool> {
    let lower = path.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(['/', '.', '_', '-'])
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[String]| words.iter().any(|w| list.iter().any(|n| n == w));
    if has(&tables.non_production_names) {
        Some(false)
    } else if has(&tables.production_names) {
        Some(true)
    } else {
        None
    }
}

/// One mail-transport setting as it stands on one side.
/// Where the last assignment of each key is.
fn last_of(list: &[Setting]) -> std::collections::HashMap<&str, usize> {
    list.iter()
        .enumerate()
        .map(|(i, x)| (x.key.as_str(), i))
        .collect()
}

#[derive(Clone, Debug)]
pub(super) struct Setting {
    pub(super) key: String,
    pub(super) value: String,
    pub(super) range: Range<usize>,
    /// The environment variable whose default `value` is, when the
    /// setting is a lookup (`os.environ.get('EMAIL_BACKEND', '…')`).
    pub(super) env_var: Option<String>,
}

pub(super) fn env_settings(text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    for (start, line) in crate::pipeline::source::lines(text) {
        let t = line.trim_start();
        if t.starts_with('#') {
            continue;
        }
        let t = t.strip_prefix("export ").unwrap_or(t);
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
            Some('#') => "",
            _ => v.split(" #").next().unwrap_or(v).trim(),
        };
        out.push(Setting {
            key: k.trim().to_string(),
            value: v.to_string(),
            range: start..start + line.len(),
            env_var: None,
        });
    }
    out
}

pub(super) fn string_content(node: Node, text: &str) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let mut s = String::new();
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.kind() == "string_content" {
            s.push_str(text.get(child.byte_range())?);
        }
    }
    Some(s)
}

/// `config.action_mailer.X = value` assignments of a Rails environment.
pub(super) fn rails_settings(root: Node, text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() == "assignment" {
            if let (Some(l), Some(r)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                let key: String = text
                    .get(l.byte_range())
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if key.contains("action_mailer.") {
                    out.push(Setting {
                        key,
                        value: text.get(r.byte_range()).unwrap_or("").trim().to_string(),
                        range: node.byte_range(),
                        env_var: None,
                    });
                }
            }
            continue;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            stack.push(child);
        }
    }
    out
}

pub(super) const SPRING_NO_HOST: &str =
    "without `spring.mail.host` Spring Boot configures no mail sender, so nothing can be sent";

/// `application.properties`, `application-prod.properties`, …
pub(super) fn is_spring_properties(path: &str) -> bool {
    let name = basename(path);
    name.starts_with("application") && name.ends_with(".properties")
}

/// Whether a Python file may hold mail settings worth a parse.
pub(super) fn mentions_mail(text: &str) -> bool {
    text.contains("EMAIL_BACKEND")
        || text.contains("MAIL")
        || text.contains("RECIPIENT")
        || mentions_mail_call(text)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum BackendKind {
    Env,
    Django,
    Rails,
    Spring,
    Nodemailer,
    LaravelConfig,
}

impl Mail {
    pub(super) fn backend_kind(&self, path: &str, lang: Lang) -> Option<BackendKind> {
        match lang {
            Lang::Env => Some(BackendKind::Env),
            Lang::Python => Some(BackendKind::Django),
            Lang::Ruby if path.contains("config/environments/") => Some(BackendKind::Rails),
            Lang::Ini if is_spring_properties(path) => Some(BackendKind::Spring),
            Lang::JavaScript | Lang::TypeScript => Some(BackendKind::Nodemailer),
            Lang::Php if path == "config/mail.php" || path.ends_with("/config/mail.php") => {
                Some(BackendKind::LaravelConfig)
            }
            _ => None,
        }
    }

    /// Whether a file configures production. A file whose name says
    /// neither counts as production, except a plain `.env` beside an
    /// `.env.production` (then that file is what production reads).
    pub(super) fn is_production(&self, cx: &Context, path: &str, kind: BackendKind) -> bool {
        match production_by_name(path, &self.tables) {
            Some(p) => p,
            None => match kind {
                BackendKind::Rails => false,
                BackendKind::Django
                | BackendKind::Spring
                | BackendKind::Nodemailer
                | BackendKind::LaravelConfig => true,
                BackendKind::Env => {
                    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                    let sibling = if dir.is_empty() {
                        ".env.production".to_string()
                    } else {
                        format!("{dir}/.env.production")
                    };
                    !cx.exists(Revision::Head, &sibling)
                }
            },
        }
    }

    pub(super) fn settings(
        &self,
        cx: &Context,
        file: &ChangedFile,
        rev: Revision,
    ) -> Option<(String, Vec<Setting>)> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let text = version.text()?;
        let kind = self.backend_kind(&version.path, lang)?;
        if kind == BackendKind::Django && !self.reads_change(file) {
            return None;
        }
        // Settings read from a parse are kept for the run (`extract` reads
        // them while the tree is held).
        let from_tree = |read: &dyn Fn(&crate::pipeline::parse::Parsed) -> Vec<Setting>| {
            cx.parse_facts("mail.settings", version, lang, read)
        };
        let settings = match kind {
            BackendKind::Env => env_settings(text),
            BackendKind::Django => {
                if !mentions_mail(text) {
                    return Some((text.to_string(), Vec::new()));
                }
                from_tree(&|p| {
                    super::django::python_settings(p.tree.root_node(), &p.text, &self.tables)
                })?
            }
            BackendKind::Rails => {
                if !text.contains("action_mailer") {
                    return Some((text.to_string(), Vec::new()));
                }
                from_tree(&|p| rails_settings(p.tree.root_node(), &p.text))?
            }
            BackendKind::Spring => transports::spring_properties(text),
            BackendKind::Nodemailer => {
                if !text.contains("createTransport") {
                    return Some((text.to_string(), Vec::new()));
                }
                from_tree(&|p| transports::nodemailer_transports(p.tree.root_node(), &p.text))?
            }
            BackendKind::LaravelConfig => transports::laravel_default_mailer(text),
        };
        Some((text.to_string(), settings))
    }

    /// Why a setting makes the transport a sink, or `None`.
    pub(super) fn sink(
        &self,
        kind: BackendKind,
        s: &Setting,
        base: Option<&Setting>,
    ) -> Option<String> {
        let key_up = s.key.to_ascii_uppercase();
        let value = s.value.trim();
        let lower = value.to_ascii_lowercase();
        match kind {
            BackendKind::Django if self.tables.host_keys.contains(&key_up) => (value.is_empty()
                && base.is_some_and(|b| !b.value.trim().is_empty()))
            .then(|| "with no mail host nothing can be sent".to_string()),
            BackendKind::Django => {
                if s.key != "EMAIL_BACKEND"
                    || !self
                        .tables
                        .sink_backends
                        .iter()
                        .any(|b| value.ends_with(b.as_str()))
                {
                    return None;
                }
                let kind = value.rsplit('.').nth(1).unwrap_or("");
                Some(match kind {
                    "console" => "Django now prints every message to the server's console instead of sending it".to_string(),
                    "dummy" => "Django's dummy backend throws every message away".to_string(),
                    "locmem" => "Django now keeps every message in memory instead of sending it".to_string(),
                    "filebased" => "Django now writes every message to a file instead of sending it".to_string(),
                    _ => format!("the `{kind}` backend keeps mail instead of sending it"),
                })
            }
            BackendKind::Rails => {
                if s.key.ends_with("action_mailer.perform_deliveries") && lower == "false" {
                    Some("Rails renders mail but never delivers it".to_string())
                } else if s.key.ends_with("action_mailer.delivery_method")
                    && matches!(lower.as_str(), ":test" | ":file")
                {
                    Some(format!(
                        "Rails keeps mail in {} instead of sending it",
                        if lower == ":test" { "memory" } else { "files" }
                    ))
                } else {
                    None
                }
            }
            BackendKind::Spring => (s.key == "spring.mail.host"
                && value.is_empty()
                && base.is_some_and(|b| !b.value.trim().is_empty()))
            .then(|| SPRING_NO_HOST.to_string()),
            BackendKind::Nodemailer => match value {
                "jsonTransport" => Some(
                    "nodemailer's `jsonTransport` only renders each message to JSON and sends nothing"
                        .to_string(),
                ),
                "streamTransport" => Some(
                    "nodemailer's `streamTransport` only renders each message to a stream and sends nothing"
                        .to_string(),
                ),
                _ => None,
            },
            BackendKind::LaravelConfig => self.tables.sink_mailers.contains(&lower).then(|| {
format!("the `{value}` mailer keeps mail instead of sending it")
            }),
            BackendKind::Env => {
                if self.tables.mailer_keys.contains(&key_up)
                    && self.tables.sink_mailers.contains(&lower)
                {
                    Some(format!(
                        "the `{value}` mailer keeps mail instead of sending it"
                    ))
                } else if self.tables.dsn_keys.contains(&key_up) && lower.starts_with("null://") {
                    Some("a `null://` DSN discards every message".to_string())
                } else if self.tables.host_keys.contains(&key_up)
                    && value.is_empty()
                    && base.is_some_and(|b| !b.value.trim().is_empty())
                {
                    Some("with no mail host nothing can be sent".to_string())
                } else {
                    None
                }
            }
        }
    }

    pub(super) fn check_backends(&self, cx: &Context, out: &mut Vec<Finding>) {
        for file in cx.files {
            let Some(head) = file.head.as_ref() else {
                continue;
            };
            if cx.is_excluded(&head.path) {
                continue;
            }
            let Some(kind) = self.backend_kind(&head.path, file.head_lang) else {
                continue;
            };
            if !self.is_production(cx, &head.path, kind) {
                continue;
            }
            let Some((head_text, head_settings)) = self.settings(cx, file, Revision::Head) else {
                continue;
            };
            // A new file is not a switch away from a working transport,
            // unless what it sets is only an environment lookup's default.
            let base = self.settings(cx, file, Revision::Base);
            let new_file = base.is_none();
            let base_settings = base.as_ref().map_or(&[][..], |b| &b.1[..]);
            // The last assignment of a key is the one that counts; looked
            // up by key, not by scanning (a `.env` of 150,000 lines).
            let (base_last, head_last) = (last_of(base_settings), last_of(&head_settings));
            for (i, s) in head_settings.iter().enumerate() {
                let old = base_last.get(s.key.as_str()).map(|&j| &base_settings[j]);
                if head_last.get(s.key.as_str()) != Some(&i) {
                    continue;
                }
                // A transport added beside the real one is not a switch.
                if kind == BackendKind::Nodemailer && old.is_none() {
                    continue;
                }
                let Some(why) = self.sink(kind, s, old) else {
                    continue;
                };
                if old.is_some_and(|o| self.sink(kind, o, None).is_some()) {
                    continue;
                }
                // Where a deployment may set the variable a lookup reads.
                let deployed = s.env_var.as_ref().map(|v| {
                    let var = if v.is_empty() {
                        format!("DJANGO_{}", s.key)
                    } else {
                        v.clone()
                    };
                    let at = deployment_sets(cx, &var, &self.tables);
                    (var, at)
                });
                if new_file && !deployed.as_ref().is_some_and(|(_, at)| at.is_none()) {
                    continue;
                }
                let show = |v: &str| {
                    if kind == BackendKind::Nodemailer && v == transports::SENDING {
                        return "a sending transport".to_string();
                    }
                    let v = mask_url_password(&redact::value_for(&s.key, v));
                    if v.is_empty() {
                        "empty".to_string()
                    } else {
                        format!("`{v}`")
                    }
                };
                let before = old.map_or_else(
                    || {
                        if new_file {
                            "not set (a new file)".to_string()
                        } else {
                            "unset (the real transport)".to_string()
                        }
                    },
                    |o| show(&o.value),
                );
                let after = show(&s.value);
                let message = if let Some((var, at)) = &deployed {
                    let whose = match at {
                        Some(p) => format!(
                            "`{p}` names `{var}`: unless production sets it there, mail is lost"
                        ),
                        None => format!(
                            "Nothing in the repository (`.env` files, compose files, Helm values, \
                             manifests) sets `{var}`, so every deployment gets the default"
                        ),
                    };
                    format!(
                        "`{}` in `{}` now falls back to {} when the environment does not set \
                         `{var}` (before: {}): {}. {whose}.",
                        s.key, head.path, after, before, why
                    )
                } else if kind == BackendKind::Nodemailer {
                    format!(
                        "The nodemailer transport in `{}` changed from {} to {}: {}. \
                         Every message the application sends from now on is silently lost.",
                        head.path, before, after, why
                    )
                } else if kind == BackendKind::LaravelConfig {
                    format!(
                        "The default mailer in `{}` changed from {} to {}: {}. Every deployment \
                         whose environment does not set `MAIL_MAILER` now loses every message \
                         silently.",
                        head.path, before, after, why
                    )
                } else {
                    format!(
                        "`{}` in `{}`, a production configuration, changed from {} to {}: {}. \
                         Every message the application sends from now on is silently lost.",
                        s.key, head.path, before, after, why
                    )
                };
                let mut f = Finding::new(
                    "mail/backend-disabled",
                    Location {
                        revision: Revision::Head,
                        path: head.path.clone(),
                        span: Span::from_bytes(&head_text, s.range.start, s.range.end),
                    },
                    s.key.clone(),
                    message,
                )
                .evidence("key", s.key.clone())
                .evidence("before", before.clone())
                .evidence("after", after);
                // Only a fallback changed: production usually sets
                // MAIL_MAILER itself, so this is a question, not a verdict.
                if kind == BackendKind::LaravelConfig {
                    f = f.severity(Severity::Medium);
                }
                // Only a default changed: a question where a deployment
                // file names the variable or the file is new.
                if let Some((var, at)) = &deployed {
                    f = f.evidence("env_var", var.clone());
                    if at.is_some() || new_file {
                        f = f.severity(Severity::Medium);
                    }
                }
                // A base line whose value had to be masked is not shown.
                let masked = old.is_some_and(|o| show(&o.value) != format!("`{}`", o.value));
                if let (Some(o), Some((base_text, _)), Some(bv), false) =
                    (old, base.as_ref(), file.base.as_ref(), masked)
                {
                    f = f.related(
                        Location {
                            revision: Revision::Base,
                            path: bv.path.clone(),
                            span: Span::from_bytes(base_text, o.range.start, o.range.end),
                        },
                        format!("in base it was {before}"),
                    );
                }
                out.push(f);
            }
            if kind == BackendKind::Spring {
                self.spring_host_removed(cx, file, &head_settings, base.as_ref(), out);
            }
        }
    }

    /// `spring.mail.host` deleted from a production properties file while
    /// no other changed properties file took it over.
    pub(super) fn spring_host_removed(
        &self,
        cx: &Context,
        file: &ChangedFile,
        head_settings: &[Setting],
        base: Option<&(String, Vec<Setting>)>,
        out: &mut Vec<Finding>,
    ) {
        const HOST: &str = "spring.mail.host";
        let (Some((base_text, base_settings)), Some(bv)) = (base, file.base.as_ref()) else {
            return;
        };
        let Some(old) = base_settings
            .iter()
            .rev()
            .find(|b| b.key == HOST && !b.value.trim().is_empty())
        else {
            return;
        };
        if head_settings.iter().any(|h| h.key == HOST) {
            return;
        }
        let moved = cx.files.iter().any(|f| {
            f.head.as_ref().is_some_and(|h| {
                is_spring_properties(&h.path)
                    && h.text().is_some_and(|t| {
                        transports::spring_properties(t)
                            .iter()
                            .any(|s| s.key == HOST)
                    })
            })
        });
        if moved {
            return;
        }
        let was = redact::value_for(HOST, &old.value);
        out.push(
            Finding::new(
                "mail/backend-disabled",
                Location {
                    revision: Revision::Base,
                    path: bv.path.clone(),
                    span: Span::from_bytes(base_text, old.range.start, old.range.end),
                },
                HOST,
                format!(
                    "`{HOST}` (`{was}`) was removed from `{}`, a production configuration: \
                     {SPRING_NO_HOST}. Every message the application sends from now on fails \
                     or is lost.",
                    bv.path
                ),
            )
            .evidence("key", HOST)
            .evidence("before", format!("`{was}`"))
            .evidence("after", "removed"),
        );
    }
}
