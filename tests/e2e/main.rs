//! End-to-end tests: the real `tack` binary against a real kube-apiserver, etcd, controllers and kwok
//! started by `tests/testenv/testenv.sh`. Run through `tests/run-all.sh`; without a control plane they fail.

mod harness;

mod apply;
mod clusters;
mod connect;
mod diff;
mod lifecycle;
mod one_path;
mod policy;
mod policy_gate;
mod recovery;
mod reliability;
mod stack;
mod stack_diff;
mod workloads;
