//! End-to-end tests: the real `tack` binary against a real kube-apiserver, etcd, controllers and kwok
//! started by `tests/testenv/testenv.sh`. Run through `tests/run-all.sh`; without a control plane they fail.

mod harness;

mod apply;
mod clusters;
mod connect;
mod crds;
mod daily;
mod diff;
mod hooks;
mod import_helm;
mod import_helm_safety;
mod layers_memory;
mod lifecycle;
mod locks;
mod netfault;
mod network;
mod one_path;
mod plan;
mod plane;
mod policy;
mod policy_gate;
mod recovery;
mod registry;
mod registry_deps;
mod reliability;
mod restart;
mod stack;
mod stack_diff;
mod workflows;
mod workloads;
