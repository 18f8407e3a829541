//! Replays every input kept under `fuzz/regressions/<target>/` through
//! the same code the fuzz targets run (`fuzz/src/targets/`), on stable
//! Rust and without libFuzzer: an input that once crashed riskdiff, or
//! that a fuzz run kept as a hard case, must go through cleanly.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    inputs.sort();
    for input in &inputs {
        let data = std::fs::read(input).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| run(&data)) {
            panic!("{} fails again: {e:?}", input.display());
        }
    }
    inputs.len()
}

#[test]
fn markup_inputs_replay() {
    assert!(replay("markup", fuzz::targets::markup::run) > 0);
}

#[test]
fn keypath_inputs_replay() {
    assert!(replay("keypath", fuzz::targets::keypath::run) > 0);
}

#[test]
fn routes_inputs_replay() {
    assert!(replay("routes", fuzz::targets::routes::run) > 0);
}

#[test]
fn check_inputs_replay() {
    assert!(replay("check", fuzz::targets::check::run) > 0);
}

#[test]
fn batch_loops_inputs_replay() {
    assert!(replay("batch_loops", fuzz::targets::batch_loops::run) > 0);
}
