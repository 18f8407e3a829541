//! Backup jobs that configuration management installs: Ansible `cron:`
//! tasks, Chef `cron`/`cron_d` resources and Puppet `cron { … }` resources
//! (and the `cron::job` family of the puppet-cron module). They are
//! compared like every other job ([`super::jobs`]): by name, across the
//! changed files, so a task removed, `state: absent`, `disabled: true`,
//! `action :delete` or `ensure => absent` is a backup that no longer runs.

use super::jobs::Job;
use super::Backup;
use crate::readers::config_files::ConfigSide;
use crate::readers::syntax::{named_children, text_of};
use tree_sitter::{Node, Tree};

/// Modules that manage a crontab entry (`cron`, `ansible.builtin.cron`).
fn is_cron_module(prefix: &str) -> bool {
    prefix == "cron" || prefix.ends_with(".cron")
}

impl Backup {
    /// Ansible tasks using the `cron` module whose `job` runs a backup.
    pub(super) fn ansible_cron_jobs(&self, side: &ConfigSide) -> Vec<Job> {
        let mut out = Vec::new();
        for e in side.entries.iter() {
            let Some(module) = e.path.strip_suffix(".job") else {
                continue;
            };
            if !is_cron_module(module) {
                continue;
            }
            let command = e.value.shown();
            let param = |key: &str| {
                let path = format!("{module}.{key}");
                side.entries.iter().find(|p| p.path == path)
            };
            let name = param("name").map(|p| p.value.shown());
            if !self.mentions_tool(&command)
                && !name.as_deref().is_some_and(|n| self.mentions_tool(n))
            {
                continue;
            }
            let absent = param("state").is_some_and(|p| p.value.shown() == "absent");
            let disabled = param("disabled").is_some_and(|p| p.value.is_on());
            let switch = param("state")
                .filter(|_| absent)
                .or_else(|| param("disabled").filter(|_| disabled));
            let schedule = ["special_time", "minute", "hour", "day", "weekday"]
                .iter()
                .filter_map(|k| param(k).map(|p| format!("{k}={}", p.value.shown())))
                .collect::<Vec<_>>()
                .join(" ");
            let id = name.clone().unwrap_or_else(|| command.clone());
            out.push(Job {
                key: format!("ansible cron {id}"),
                shown: format!("Ansible cron task `{id}` (`{command}`)"),
                schedule,
                path: side.path.clone(),
                range: switch.unwrap_or(e).range.clone(),
                suspended: absent || disabled,
            });
        }
        out
    }

    /// Puppet `cron` resources (types of `puppet_cron_types`) whose
    /// command (or title) runs a backup.
    pub(super) fn puppet_cron_jobs(&self, path: &str, text: &str, tree: &Tree) -> Vec<Job> {
        let mut out = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() != "resource_declaration" {
                stack.extend(named_children(node));
                continue;
            }
            let Some(rtype) = node.child_by_field_name("type").map(|t| text_of(t, text)) else {
                continue;
            };
            if !self.tables.puppet_cron_types.iter().any(|t| t == rtype) {
                continue;
            }
            // A declaration Puppet could not compile says nothing reliable
            // about its crons (initr 9e0328b: a missing comma hid
            // `ensure => absent` in base).
            if node.has_error() {
                continue;
            }
            for (title, at, attrs) in puppet_bodies(node, text) {
                let attr = |k: &str| attrs.iter().find(|(n, _, _)| *n == k);
                let command = attr("command")
                    .map(|(_, v, _)| v.clone())
                    .unwrap_or_default();
                if !self.mentions_tool(&command) && !self.mentions_tool(&title) {
                    continue;
                }
                let absent = attr("ensure").filter(|(_, v, _)| v == "absent");
                let schedule = ["special", "minute", "hour", "monthday", "weekday"]
                    .iter()
                    .filter_map(|k| attr(k).map(|(_, v, _)| format!("{k} => {v}")))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(Job {
                    key: format!("puppet cron {title}"),
                    shown: format!("Puppet `{rtype}` resource `{title}` (`{command}`)"),
                    schedule,
                    path: path.to_string(),
                    range: absent.map_or(at, |(_, _, r)| r.clone()),
                    suspended: absent.is_some(),
                });
            }
        }
        out.sort_by_key(|j| j.range.start);
        out
    }

    /// Chef `cron`/`cron_d` resources whose command (or name) runs a backup.
    pub(super) fn chef_cron_jobs(&self, path: &str, text: &str, tree: &Tree) -> Vec<Job> {
        let mut out = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            stack.extend(named_children(node));
            let Some((method, name)) = resource(node, text) else {
                continue;
            };
            if !matches!(method, "cron" | "cron_d") {
                continue;
            }
            let Some(block) = node.child_by_field_name("block") else {
                continue;
            };
            let props = properties(block, text);
            let prop = |k: &str| props.iter().find(|(p, _, _)| p == k);
            let command = prop("command")
                .map(|(_, v, _)| v.clone())
                .unwrap_or_default();
            if !self.mentions_tool(&command) && !self.mentions_tool(&name) {
                continue;
            }
            let deleted =
                prop("action").filter(|(_, v, _)| matches!(v.as_str(), ":delete" | ":remove"));
            let schedule = ["minute", "hour", "day", "weekday", "predefined_value"]
                .iter()
                .filter_map(|k| prop(k).map(|(_, v, _)| format!("{k} {v}")))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(Job {
                key: format!("chef cron {name}"),
                shown: format!("Chef `{method}` resource `{name}` (`{command}`)"),
                schedule,
                path: path.to_string(),
                range: deleted.map_or_else(
                    || crate::readers::syntax::first_line(node, text),
                    |(_, _, r)| r.clone(),
                ),
                suspended: deleted.is_some(),
            });
        }
        out.sort_by_key(|j| j.range.start);
        out
    }
}

/// A Puppet attribute: its name, its value as [`literal`] reads it, and
/// where it stands.
type PuppetAttr<'t> = (&'t str, String, std::ops::Range<usize>);

/// A resource body: its title, where the title stands, its attributes.
type PuppetBody<'t> = (String, std::ops::Range<usize>, Vec<PuppetAttr<'t>>);

/// The bodies of a Puppet resource declaration, each title with the
/// attributes after it: `cron { 'a': command => …; 'b': command => … }`
/// declares two resources.
fn puppet_bodies<'t>(node: Node, text: &'t str) -> Vec<PuppetBody<'t>> {
    let mut out: Vec<PuppetBody> = Vec::new();
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return out;
    }
    loop {
        let child = cursor.node();
        if cursor.field_name() == Some("title") {
            out.push((literal(child, text), child.byte_range(), Vec::new()));
        } else if child.kind() == "attribute" {
            let name = child.child_by_field_name("name");
            let value = child.child_by_field_name("value");
            if let (Some(name), Some(value), Some((_, _, attrs))) = (name, value, out.last_mut()) {
                attrs.push((
                    text_of(name, text),
                    literal(value, text),
                    child.byte_range(),
                ));
            }
        }
        if !cursor.goto_next_sibling() {
            return out;
        }
    }
}

/// `cron 'nightly' do … end`: the resource type and its name.
fn resource<'t>(node: Node, text: &'t str) -> Option<(&'t str, String)> {
    if node.kind() != "call" || node.child_by_field_name("receiver").is_some() {
        return None;
    }
    let method = text_of(node.child_by_field_name("method")?, text);
    let first = named_children(node.child_by_field_name("arguments")?)
        .into_iter()
        .next()?;
    Some((method, literal(first, text)))
}

/// The property calls of a resource block (`command '…'`, `action
/// :delete`), with their value as written and their line.
fn properties(block: Node, text: &str) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut stack = named_children(block);
    while let Some(n) = stack.pop() {
        if let Some((method, value)) = resource(n, text) {
            out.push((method.to_string(), value, n.byte_range()));
            continue;
        }
        // Properties sit in the block's body, not in nested blocks.
        if matches!(n.kind(), "body_statement" | "block_body") {
            stack.extend(named_children(n));
        }
    }
    out
}

/// A string's content without quotes (Ruby and Puppet), a symbol as
/// `:name`, anything else as written.
fn literal(node: Node, text: &str) -> String {
    let t = text_of(node, text);
    match node.kind() {
        "string" => t
            .trim_start_matches(['\'', '"'])
            .trim_end_matches(['\'', '"'])
            .to_string(),
        _ => t.to_string(),
    }
}
