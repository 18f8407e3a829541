//! Send loops and their facts in Python, PHP, JavaScript, TypeScript and
//! Ruby: the batch family's fact walk on one file, as a check reads it.
use super::super::{pick, split};
use riskdiff::families::batch::fuzz_loop_facts;
use riskdiff::pipeline::lang::detect;

const PATHS: &[&str] = &[
    "app/tasks/send_shipments.py",
    "app/Jobs/SendOrders.php",
    "src/worker.js",
    "src/worker.ts",
    "app/jobs/send_orders.rb",
    "lib/tasks/mail.rake",
];

pub fn run(data: &[u8]) {
    let Some(case) = split(data) else { return };
    let path = pick(PATHS, case.selector);
    // Both sides, as a check reads both.
    for side in [case.base, case.head] {
        let text = String::from_utf8_lossy(side);
        let _ = fuzz_loop_facts(detect(path), path, &text);
    }
}
