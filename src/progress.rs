//! The progress bar on stderr. It is drawn only on a terminal and only once
//! a run has taken long enough that silence would look like a hang: a bar
//! that flashes up for a 30 ms pre-commit check is noise.

use crate::pipeline::check::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

const SHOW_AFTER: Duration = Duration::from_millis(400);

pub struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    /// A bar for stderr when it is a terminal, else `None` (CI logs and
    /// pipes get no control sequences).
    pub fn for_stderr() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{spinner} {msg:<9} [{bar:30}] {pos}/{len}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        // A timer rather than a check on each step, so a single slow step
        // (a family indexing a whole revision) still reveals the bar.
        let timer = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SHOW_AFTER);
            if !timer.is_finished() {
                timer.set_draw_target(ProgressDrawTarget::stderr());
                timer.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Some(TerminalProgress { bar })
    }
}

impl Progress for TerminalProgress {
    fn stage(&self, name: &'static str, total: usize) {
        // Length first: a tick between the calls then shows the old stage's
        // name with the new count, never a position beyond the length.
        self.bar.set_position(0);
        self.bar.set_length(total as u64);
        self.bar.set_message(name);
    }

    fn advance(&self, steps: usize) {
        self.bar.inc(steps as u64);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
