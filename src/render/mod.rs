//! The template environment: minijinja configured for Kubernetes YAML, and rendering of a chart.

pub mod filters;
pub mod format;
