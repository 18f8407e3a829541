//! `backup/target-colocated`: a backup repository moved from another host or
//! bucket onto the machine it backs up.

use super::Backup;
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Revision};
use crate::readers::config_files::config_side;
use crate::readers::keypath;
use crate::readers::keypath::Scalar;
use crate::readers::words::words;

impl Backup {
    pub(super) fn is_remote(&self, value: &str) -> bool {
        let v = value.trim().to_ascii_lowercase();
        self.tables.remote_prefixes.iter().any(|p| v.starts_with(p.as_str()))
            // `user@host:path` and `host:path` (scp style), not `C:\`.
            || v.split_once(':').is_some_and(|(host, _)| host.len() > 1 && !host.contains('/'))
    }

    pub(super) fn check_colocated(
        &self,
        cx: &Context,
        files: &[&ChangedFile],
        out: &mut Vec<Finding>,
    ) {
        for f in files {
            let (Some(head), Some(base)) = (
                config_side(cx, f, Revision::Head),
                config_side(cx, f, Revision::Base),
            ) else {
                continue;
            };
            if !self.is_backup_config(&base) {
                continue;
            }
            for change in keypath::compare(&base.entries, &head.entries) {
                let (Some(b), Some(a)) = (change.before, change.after) else {
                    continue;
                };
                let seg_words: Vec<String> = change.path.split('.').flat_map(words).collect();
                if !seg_words
                    .iter()
                    .any(|w| self.tables.destination_words.contains(w))
                {
                    continue;
                }
                let values = |v: &Scalar| match v {
                    Scalar::List(items) => items.clone(),
                    other => vec![other.shown()],
                };
                let (was, now) = (values(&b.value), values(&a.value));
                let was_remote = was.iter().any(|v| self.is_remote(v));
                let all_local =
                    !now.is_empty() && now.iter().all(|v| v.starts_with('/') && !self.is_remote(v));
                if !(was_remote && all_local) {
                    continue;
                }
                out.push(
                    Finding::new(
                        "backup/target-colocated",
                        head.location(Revision::Head, a),
                        format!("{} {}", head.path, change.path),
                        format!(
                            "`{}` in `{}` moved the backups from `{}` to `{}`, a path on the machine being backed up. A disk failure, ransomware or a deleted server now takes the data and its backups together.",
                            change.path,
                            head.path,
                            b.value.shown(),
                            a.value.shown()
                        ),
                    )
                    .related(base.location(Revision::Base, b), "in base the backups went elsewhere")
                    .evidence("key", change.path.to_string())
                    .evidence("before", b.value.shown())
                    .evidence("after", a.value.shown()),
                );
            }
        }
    }
}
