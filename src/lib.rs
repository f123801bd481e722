//! tack: render Jinja charts from layered values, diff them against a cluster and manage tracked releases.
//!
//! The library holds everything; `main.rs` only maps the result of [`run`] to an exit code.

pub mod render;
pub mod values;
