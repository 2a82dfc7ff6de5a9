//! Placeholder; the auction bench lands with the executor.
fn main() {}
