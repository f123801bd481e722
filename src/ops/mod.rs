//! Operations, like Helm's `pkg/action`: option structs in, data out. No clap types and no printing here;
//! what an operation has to say while it runs goes out as `crate::events`. The lifecycle core
//! (`deploy.rs`) is generic over the release store and the deployer so it is unit-tested in memory.

pub mod chart_tests;
pub mod core;
pub mod dependency;
pub mod deploy;
pub mod deployer;
pub mod diff;
pub mod dry_run;
pub mod hooks;
pub mod import;
pub mod inspect;
pub mod install;
pub mod lint;
pub mod lock;
pub mod plan;
pub mod policy;
pub mod prune;
pub mod recall;
pub mod records;
pub mod references;
pub mod render;
pub mod revision;
pub mod rollback;
pub mod served;
pub mod share;
pub mod show;
pub mod stack;
pub mod target;
pub mod uninstall;
pub mod wait_scope;

pub use render::{prepare, Prepared};
