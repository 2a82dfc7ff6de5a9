//! Native modules. Each owns the state keys under its prefix.

pub mod bank;
