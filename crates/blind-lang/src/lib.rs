//! tmp
pub mod ast;
pub mod diag;
pub mod parser;
pub mod types;
