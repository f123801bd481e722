//! What an operation works on: one release (name, namespace, chart, values layers), or several when a stack
//! file supplies them. Settings build these from flags and `tack.yaml`; a plain `tack upgrade NAME CHART` is a
//! list of one, so every command has a single code path.

use crate::stack::runner::RunOptions;
use crate::stack::{ClusterRef, Instance};
use crate::values::LayerRequest;
use std::path::PathBuf;

/// One release to act on.
#[derive(Debug, Clone)]
pub struct Target {
    /// Release name.
    pub name: String,
    pub namespace: String,
    /// Chart directory, for commands that render.
    pub chart: Option<PathBuf>,
    /// Values layers: env, tier, `-f` files and `--set*` flags (`chart_values` is filled in once the chart is
    /// loaded).
    pub layers: LayerRequest,
    /// The stack instance this target comes from, if any.
    pub instance: Option<Instance>,
    /// Whether the command acts on it; unselected stack instances are rendered only for the isolation guard.
    pub selected: bool,
    /// The stack file's cluster it lives in; `None` is the command's kubeconfig and context.
    pub cluster: Option<ClusterRef>,
}

impl Target {
    /// The name of its cluster in the stack file, if it names one.
    pub fn cluster_name(&self) -> Option<String> {
        self.cluster.as_ref().map(|c| c.name.clone())
    }

    /// `tack.yaml:12` for an instance, or the release name.
    pub fn describe(&self) -> String {
        match &self.instance {
            Some(i) => format!("instance `{}` ({})", i.name, i.at()),
            None => format!("release `{}`", self.name),
        }
    }
}

/// Every target of one command.
#[derive(Debug, Clone)]
pub struct Targets {
    /// In stack-file order; for a stack, every instance (see [`Target::selected`]).
    pub all: Vec<Target>,
    /// Whether the targets come from a stack file (`--all`, `-l`, `--instance`, `--stack`).
    pub from_stack: bool,
    pub run: RunOptions,
}

impl Targets {
    /// A single release.
    pub fn one(target: Target) -> Targets {
        Targets {
            all: vec![target],
            from_stack: false,
            run: RunOptions {
                concurrency: 1,
                fail_fast: false,
            },
        }
    }

    /// The targets the command acts on.
    pub fn selected(&self) -> impl Iterator<Item = &Target> {
        self.all.iter().filter(|t| t.selected)
    }

    /// Names of the selected targets, in order.
    pub fn selected_names(&self) -> Vec<String> {
        self.selected().map(|t| t.name.clone()).collect()
    }
}
