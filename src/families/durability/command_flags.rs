//! Server flags on a command line as settings: `postgres -c fsync=off`
//! in a Compose `command:` or a container's `args:` is the same setting
//! as `fsync = off` in `postgresql.conf`, and as easy to ship by mistake.

use crate::readers::keypath::{ConfigEntry, Scalar};
use crate::readers::shell::commands;

/// Whether a key holds a command line.
fn is_command_key(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    matches!(last, "command" | "args" | "entrypoint")
}

/// `-c name=value`, `--name=value` and `--name value`: the flags of one
/// command line, as `(name, value)`.
fn flags(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in commands(line) {
        let mut args = c.args.iter().peekable();
        while let Some(a) = args.next() {
            let pair = if a == "-c" {
                args.next().and_then(|v| v.split_once('='))
            } else if let Some(flag) = a.strip_prefix("--") {
                match flag.split_once('=') {
                    Some(p) => Some(p),
                    None => args
                        .peek()
                        .filter(|v| !v.starts_with('-'))
                        .map(|v| (flag, v.as_str())),
                }
            } else {
                None
            };
            if let Some((k, v)) = pair {
                out.push((k.replace('-', "_"), v.to_string()));
            }
        }
    }
    out
}

/// Entries for the flags of every command line among `entries`, keyed
/// `<command key>.<flag>` and placed at the command's line, for the flags
/// `wanted` accepts.
pub(super) fn command_flag_entries(
    entries: &[ConfigEntry],
    wanted: impl Fn(&str) -> bool,
) -> Vec<ConfigEntry> {
    let mut out = Vec::new();
    for e in entries.iter().filter(|e| is_command_key(&e.path)) {
        let line = match &e.value {
            Scalar::List(items) => items.join(" "),
            Scalar::Text(t) => t.replace('\n', " "),
            _ => continue,
        };
        for (k, v) in flags(&line) {
            if wanted(&k) {
                out.push(ConfigEntry {
                    path: format!("{}.{k}", e.path),
                    value: Scalar::Text(v),
                    range: e.range.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_and_redis_flags() {
        let got: Vec<(String, String)> =
            flags("postgres -c fsync=off -c synchronous_commit=off --max-connections=200");
        assert_eq!(
            got,
            [
                ("fsync".into(), "off".into()),
                ("synchronous_commit".into(), "off".into()),
                ("max_connections".into(), "200".into())
            ]
        );
        assert_eq!(
            flags("redis-server --appendonly no --save ''"),
            [
                ("appendonly".into(), "no".into()),
                ("save".into(), "".into())
            ]
        );
    }
}
