#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| riskdiff_fuzz::targets::check::run(data));
