//! Name rules the stack file checks (namespaces, clusters), shared by its parser and its clusters section.

pub use crate::names::is_dns_label;
