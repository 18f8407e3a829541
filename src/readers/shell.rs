//! Simple commands of a shell script, read with tree-sitter-bash: a script
//! file, a crontab's command, a CronJob's `args` or a workflow's `run:`.
//! Quoting is resolved the way a reader sees it (`"$DIR/*"` is `$DIR/*`);
//! nothing is expanded, and nothing is ever run.

use crate::pipeline::parse::parse_bounded;
use crate::readers::syntax::{named_children, text_of};
use std::ops::Range;
use tree_sitter::Node;

/// One simple command: `find /backups -mtime +7 -delete`.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// The program, without a leading `sudo`/`exec`/`command`/`nice`.
    pub name: String,
    pub args: Vec<String>,
    /// The command's bytes in the text given to [`commands`].
    pub range: Range<usize>,
}

impl Command {
    /// The command as one line, for messages and as a comparison key.
    pub fn shown(&self) -> String {
        std::iter::once(self.name.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The value of `--flag value` or `--flag=value`.
    pub fn flag_value(&self, flag: &str) -> Option<&str> {
        self.args.iter().enumerate().find_map(|(i, a)| {
            if a == flag {
                self.args.get(i + 1).map(String::as_str)
            } else {
                a.strip_prefix(flag)?.strip_prefix('=')
            }
        })
    }
}

/// Words that run the next word as the command.
const WRAPPERS: &[&str] = &["sudo", "exec", "command", "nice", "nohup", "time", "doas"];

/// Every simple command of `text`, in order. A script the parser cannot
/// afford (see [`parse_bounded`]) yields none.
pub fn commands(text: &str) -> Vec<Command> {
    let Ok(tree) = parse_bounded(&tree_sitter_bash::LANGUAGE.into(), text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "command" {
            if let Some(c) = command(node, text) {
                out.push(c);
            }
        }
        // Commands nest in substitutions, pipelines, lists and loops.
        stack.extend(named_children(node).into_iter().rev());
    }
    out.sort_by_key(|c| c.range.start);
    out
}

fn command(node: Node, text: &str) -> Option<Command> {
    let name = node.child_by_field_name("name")?;
    let mut cursor = node.walk();
    let mut words: Vec<String> = std::iter::once(word(name, text))
        .chain(
            node.children_by_field_name("argument", &mut cursor)
                .map(|a| word(a, text)),
        )
        .collect();
    while words.len() > 1 && WRAPPERS.contains(&words[0].as_str()) {
        words.remove(0);
    }
    let name = words.remove(0);
    // `/usr/bin/find` is `find`.
    let name = name.rsplit('/').next().unwrap_or(&name).to_string();
    Some(Command {
        name,
        args: words,
        range: node.byte_range(),
    })
}

/// A word as written, its outer quotes removed.
fn word(node: Node, text: &str) -> String {
    let t = text_of(node, text);
    match node.kind() {
        "string" | "raw_string" if t.len() >= 2 => t[1..t.len() - 1].to_string(),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_lists_pipelines_and_substitutions() {
        let got: Vec<String> = commands(
            "#!/bin/sh\nset -e\nborg create ::x /srv && sudo find \"$DEST\" -mtime +7 -delete\nfor f in $(ls /b); do rm -f '/b/'$f; done\n",
        )
        .iter()
        .map(Command::shown)
        .collect();
        assert_eq!(
            got,
            [
                "set -e",
                "borg create ::x /srv",
                "find $DEST -mtime +7 -delete",
                "ls /b",
                "rm -f '/b/'$f"
            ]
        );
    }

    #[test]
    fn flag_values() {
        let c = &commands("rclone delete remote:b --min-age 30d --dry-run=false")[0];
        assert_eq!(c.flag_value("--min-age"), Some("30d"));
        assert_eq!(c.flag_value("--dry-run"), Some("false"));
        assert_eq!(c.flag_value("--max-age"), None);
    }
}
