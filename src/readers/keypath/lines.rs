//! `.env` and INI-style files: a small line reader, since no grammar is
//! needed for `KEY=value` and `[section]`.

use super::{join, plain_scalar, unquote, ConfigEntry, Scalar};

/// `.env` lines (`KEY=value`, `export KEY=value`) or INI lines (`[section]`,
/// `key = value`, `key: value`). Lines that are neither are skipped.
pub(super) fn line_entries(text: &str, ini: bool) -> Vec<ConfigEntry> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (start, line) in crate::pipeline::source::lines(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with(['#', ';']) || t.starts_with("//") {
            continue;
        }
        if ini && t.starts_with('[') {
            if let Some(end) = t.find(']') {
                section = t[1..end].trim().to_string();
            }
            continue;
        }
        let t = if ini {
            t
        } else {
            t.strip_prefix("export ").unwrap_or(t).trim_start()
        };
        let sep = if ini { t.find(['=', ':']) } else { t.find('=') };
        let Some(sep) = sep else {
            continue;
        };
        let key = t[..sep].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let raw_value = t[sep + 1..].trim();
        let quoted = raw_value.starts_with(['"', '\'']);
        let value = if quoted {
            Scalar::Text(unquote(raw_value.split(" #").next().unwrap_or(raw_value)))
        } else {
            let v = raw_value
                .split(" #")
                .next()
                .unwrap_or(raw_value)
                .split(" ;")
                .next()
                .unwrap_or(raw_value);
            plain_scalar(v)
        };
        out.push(ConfigEntry {
            path: join(&section, key),
            value,
            range: start..start + line.len(),
        });
    }
    out
}
