//! `riskdiff init`: a starter configuration (the hook is in `hook.rs`).

use crate::error::Error;
use crate::pipeline::repo_files;
use std::io::Write;
use std::path::Path;

/// What `riskdiff init` writes: every setting, commented out.
const STARTER_CONFIG: &str = r#"# riskdiff configuration. Every setting is optional; uncomment to change one.
# `riskdiff rules` lists the rules, `riskdiff explain RULE` explains one.

# Exit 1 on findings at or above this severity: "high", "medium", "low" or "never".
# fail_on = "medium"

# Paths to leave out, in .gitignore syntax (added to the built-in excludes).
# exclude = ["legacy/**", "*.generated.html"]

# Drop the built-in excludes (vendor/, node_modules/, minified files).
# no_default_excludes = false

# Per rule or per family: "off", "high", "medium" or "low".
# [rules]
# "forms/removed" = "high"
# forms = "medium"

# One section per rule family extends its built-in tables (see the family's
# rule file); lists grow, other values are replaced.
# [forms]
# [batch]
# partner_receivers = ["acme_logistics"]   # your carrier client's name
# exclude_tests = true
# [mail]
# production_names = ["live"]
# [config]
# destructive = ["reflash"]               # key words that destroy on your devices
# [backup]
# tools = ["my-backup-script"]
# [durability]
"#;

pub(super) fn init(repo: &Path, stdout: &mut dyn Write) -> Result<i32, Error> {
    let io = Error::output;
    let git = crate::pipeline::revisions::open(repo)?;
    let workdir = git
        .workdir()
        .ok_or_else(|| Error::new("init needs a working tree (this repository is bare)"))?;
    let path = workdir.join("riskdiff.toml");
    // Never overwrites, and never writes through a (dangling) link.
    if repo_files::exists(workdir, "riskdiff.toml") {
        return Err(Error::new(format!(
            "{} exists already; not overwriting it",
            path.display()
        )));
    }
    repo_files::write(
        workdir,
        "riskdiff.toml",
        STARTER_CONFIG.as_bytes(),
        0o644,
        repo_files::Existing::Keep,
    )?;
    writeln!(stdout, "wrote {}", path.display()).map_err(io)?;
    Ok(0)
}
