#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| riskdiff_fuzz::targets::batch_loops::run(data));
