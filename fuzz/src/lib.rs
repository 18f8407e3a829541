//! What the fuzz targets share: how one input becomes a change.
//!
//! An input is a selector byte, then the base text, a `0xFF` byte (never
//! part of UTF-8, so text mutations keep it), and the head text. Without
//! the separator the whole rest is the head and the base is empty.

pub struct Case<'a> {
    pub selector: u8,
    pub base: &'a [u8],
    pub head: &'a [u8],
}

pub fn split(data: &[u8]) -> Option<Case<'_>> {
    let (&selector, rest) = data.split_first()?;
    let (base, head) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (&rest[..0], rest),
    };
    Some(Case {
        selector,
        base,
        head,
    })
}

/// Picks one entry of `table` by the selector's low bits.
pub fn pick<T: Copy>(table: &[T], selector: u8) -> T {
    table[selector as usize % table.len()]
}

/// One module per fuzz target, each with `run(data)`: the bodies live
/// here, not in `fuzz_targets/`, so `tests/fuzz_regressions.rs` replays
/// found inputs on stable Rust without libFuzzer.
pub mod targets {
    pub mod batch_loops;
    pub mod check;
    pub mod keypath;
    pub mod markup;
    pub mod routes;
}
