//! Which changes to a code file can make or unmake a sending loop, judged
//! from the lines they touched before anything is parsed: a change to a
//! large module that touches no line inside a loop (by indentation, as
//! formatted code of every language is written), no loop header and no
//! line naming a send, a save, a query or a decorator leaves every loop's
//! facts as they were, so the file is not parsed for this family.

use super::{Batch, Syntax};
use crate::families::context::ChangedFile;
use std::ops::Range;

impl Batch {
    /// Whether the change to a code file touched a line that a loop's facts
    /// are made of.
    pub(super) fn touches_loops(&self, file: &ChangedFile, syntax: Syntax) -> bool {
        let changes = file.line_changes();
        let header = |code: &str| self.loop_header(syntax, code);
        let side = |v: &Option<crate::pipeline::changes::FileVersion>, touched: &[Range<usize>]| {
            v.as_ref()
                .and_then(|v| v.text())
                .is_some_and(|t| touched_in_loop(t, touched, header, |l| self.names_loop_fact(l)))
        };
        side(&file.base, &changes.base) || side(&file.head, &changes.head)
    }

    /// Whether a statement (trimmed) opens a loop. Generous outside Python:
    /// a line naming a loop method (`->each(`, `.forEach(`, `.find_each do`)
    /// counts, since a loop taken for none would hide a change.
    fn loop_header(&self, syntax: Syntax, code: &str) -> bool {
        let starts = |keys: &[&str]| keys.iter().any(|k| code.starts_with(k));
        match syntax {
            Syntax::Python => starts(&["for ", "async for ", "while "]),
            Syntax::Js | Syntax::Php | Syntax::Ruby => {
                starts(&[
                    "for ",
                    "for(",
                    "foreach",
                    "while ",
                    "while(",
                    "until ",
                    "do ",
                    "do{",
                    "loop ",
                    "await Promise.all",
                ]) || code.contains("array_map(")
                    || code.contains("array_walk(")
                    || (code.contains('.') || code.contains("->"))
                        && self
                            .tables
                            .loop_methods
                            .iter()
                            .any(|m| code.contains(m.as_str()))
            }
        }
    }

    /// Whether a text can hold a loop at all, before it is parsed. Python's
    /// loops are statements, each opening a line (`for`, `async for`,
    /// `while`; comprehensions are no loop here), and a module without
    /// one has no loop to report or to compare with: half the Python
    /// modules saleor's 800 commits parsed for this family had none.
    /// Elsewhere a loop can stand anywhere on a line (`.forEach(`), so
    /// every text can.
    pub(super) fn may_hold_loop(&self, syntax: Syntax, text: &str) -> bool {
        syntax != Syntax::Python || text.lines().any(|l| python_loop_line(l.trim_start()))
    }

    /// A line outside a loop that can still change one: the send, the save
    /// after it, the query it iterates, the handler's decorator.
    fn names_loop_fact(&self, line: &str) -> bool {
        let t = &self.tables;
        if literal_entry(line) {
            return false;
        }
        line.contains('@')
            || self.mentions_effect(line)
            || t.checkpoint_methods
                .iter()
                .any(|w| line.contains(w.as_str()))
            || t.query_calls.iter().any(|w| line.contains(w.as_str()))
            || t.limit_words.iter().any(|w| line.contains(w.as_str()))
    }
}

/// Whether a (trimmed) Python line opens a loop: `for x in`, `for(a, b)
/// in`, `async for`, `while(x):`.
fn python_loop_line(code: &str) -> bool {
    let code = code.strip_prefix("async ").map_or(code, str::trim_start);
    ["for", "while"].iter().any(|kw| {
        code.strip_prefix(kw)
            .is_some_and(|rest| rest.starts_with([' ', '\t', '(']))
    })
}

/// A line of a data table outside any loop: a quoted key mapped to a
/// quoted value (`"\xc2\xa9" => "<span …>",`, `'send': 'Senden',`). It
/// names no call, whatever words its strings hold; mautic's emoji maps
/// (16,000 such lines) were parsed as code for them.
fn literal_entry(line: &str) -> bool {
    let t = line.trim();
    let quoted = |s: &str| s.starts_with(['"', '\'']);
    if !quoted(t) || t.contains('(') {
        return false;
    }
    let Some((_, value)) = t
        .split_once("=>")
        .or_else(|| t.split_once("\": "))
        .or_else(|| t.split_once("': "))
    else {
        return false;
    };
    quoted(value.trim_start())
}

/// Whether a touched line (1-based `touched`, sorted) of `text` is a loop
/// `header`, stands inside a loop by its indentation, or `names`
/// something a loop is made of. One pass, with a stack of the open blocks.
fn touched_in_loop(
    text: &str,
    touched: &[Range<usize>],
    header: impl Fn(&str) -> bool,
    names: impl Fn(&str) -> bool,
) -> bool {
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut loops = 0usize;
    let mut next = 0;
    for (line, n) in text.lines().zip(1..) {
        while touched.get(next).is_some_and(|r| r.end <= n) {
            next += 1;
        }
        let Some(range) = touched.get(next) else {
            return false;
        };
        let code = line.trim_start();
        let is_touched = range.start <= n;
        // Only a statement opens or closes a block: continuation lines and
        // strings may be indented anyhow.
        let statement = code
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || matches!(c, '_' | '@' | '$'));
        if statement {
            let indent = line.len() - code.len();
            while open.last().is_some_and(|&(i, _)| i >= indent) {
                if open.pop().is_some_and(|(_, l)| l) {
                    loops -= 1;
                }
            }
            let header = header(code);
            if is_touched && (header || loops > 0) {
                return true;
            }
            open.push((indent, header));
            loops += usize::from(header);
        } else if is_touched && loops > 0 {
            return true;
        }
        if is_touched && names(line) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::literal_entry;
    use super::python_loop_line;
    use super::touched_in_loop;

    #[test]
    fn python_loops_open_a_line() {
        for code in [
            "for u in users:",
            "for(a, b) in pairs:",
            "async for m in q:",
            "while(pending):",
            "while\tTrue:",
        ] {
            assert!(python_loop_line(code), "{code}");
        }
        for code in [
            "format(x)",
            "forward(u)",
            "whilst = 1",
            "[send(u) for u in users]",
            "# for u in users",
        ] {
            assert!(!python_loop_line(code), "{code}");
        }
    }

    fn py_header(code: &str) -> bool {
        ["for ", "async for ", "while "]
            .iter()
            .any(|k| code.starts_with(k))
    }

    /// The one line `n` as the touched ranges.
    fn line(n: usize) -> Vec<std::ops::Range<usize>> {
        std::iter::once(n..n + 1).collect()
    }

    const SRC: &str = "import x\n\ndef f(users):\n    n = 0\n    for u in users:\n        n += 1\n        x.y(u)\n    log(n)\n\nTITLE = 'a'\n";

    #[test]
    fn a_line_inside_a_loop_or_a_loop_header_is_a_loop_change() {
        let none = |_: &str| false;
        assert!(
            touched_in_loop(SRC, &line(6), py_header, none),
            "inside the loop"
        );
        assert!(
            touched_in_loop(SRC, &line(5), py_header, none),
            "the header"
        );
        assert!(
            !touched_in_loop(SRC, &line(4), py_header, none),
            "before the loop"
        );
        assert!(
            !touched_in_loop(SRC, &line(8), py_header, none),
            "after the loop"
        );
        assert!(
            !touched_in_loop(SRC, &line(10), py_header, none),
            "module level"
        );
        assert!(
            touched_in_loop(SRC, &line(8), py_header, |l| l.contains("log")),
            "a named fact"
        );
    }

    #[test]
    fn continuation_lines_do_not_close_the_loop() {
        let src = "for u in users:\n    send(\n'''text at column 0\n''')\n    done = 1\n";
        assert!(touched_in_loop(src, &line(5), py_header, |_| false));
    }

    #[test]
    fn brace_languages_are_read_by_their_indentation_too() {
        let php = "<?php\nclass Sender {\n    public function run($orders) {\n        foreach ($orders as $o) {\n            $this->api->ship($o);\n            $o->sent = 1;\n        }\n    }\n\n    public function label() {\n        return 'x';\n    }\n}\n";
        let header = |code: &str| code.starts_with("foreach");
        let none = |_: &str| false;
        assert!(
            touched_in_loop(php, &line(6), header, none),
            "in the foreach"
        );
        assert!(
            touched_in_loop(php, &line(7), header, none),
            "its closing brace"
        );
        assert!(
            !touched_in_loop(php, &line(11), header, none),
            "another method"
        );
    }

    #[test]
    fn data_table_lines_name_no_loop_fact() {
        for line in [
            r#"        "\xc2\xa9"     => "<span class=\x22emoji-outer\x22>send</span>","#,
            "    'send_button' => 'Senden',",
            r#"  "save": "Speichern","#,
        ] {
            assert!(literal_entry(line), "{line}");
        }
        for line in [
            "    'to' => $user->email,",
            "    'sent' => mail($to, 'x', 'y'),",
            "$orders = Order::where('sent', false)->get();",
            r#"  "handler": send,"#,
        ] {
            assert!(!literal_entry(line), "{line}");
        }
    }
}
