#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Helm oracle build, unit/snapshot/CLI/conversion tests, then the end-to-end tests against a real
# control plane (kube-apiserver, etcd, controllers, kwok) that tests/testenv builds and starts on loopback, some of
# them through a fault-injecting proxy (toxiproxy) that tests/netfault builds.
# The control plane is always stopped again, even when tests fail. Nothing is skipped: if the control plane
# cannot be built or started, this fails and names the step and its log.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
testenv="$root/tests/testenv/testenv.sh"
registry="$root/tests/registry/registry.sh"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets --all-features -- -D warnings"
cargo clippy --all-targets --all-features -- -D warnings

step "building the Helm oracle for the conversion tests (tests/oracle/helm.sh build)"
tests/oracle/helm.sh build

step "unit, snapshot and CLI tests"
cargo test --all-targets

step "building the e2e test binary"
cargo test --features e2e --test e2e --no-run

step "building the fault-injecting proxy for the network-fault tests (tests/netfault/netfault.sh build)"
TACK_TOXIPROXY=$(tests/netfault/netfault.sh path)
export TACK_TOXIPROXY

step "starting the test control planes (tests/testenv/testenv.sh up): the main one and a second for stacks across clusters"
second_dir="${TACK_TESTENV_DIR:-/tmp/tack-testenv}-b"
cleanup() {
  step "stopping the test control planes and the test registry"
  "$testenv" down || echo "warning: testenv down failed" >&2
  TACK_TESTENV_DIR="$second_dir" "$testenv" down || echo "warning: testenv down (second) failed" >&2
  "$registry" down || echo "warning: registry down failed" >&2
}
trap cleanup EXIT
if ! "$testenv" up; then
  echo "error: the test control plane did not start; see the log named above (state: ${TACK_TESTENV_DIR:-/tmp/tack-testenv})" >&2
  exit 1
fi
if ! TACK_TESTENV_DIR="$second_dir" "$testenv" up; then
  echo "error: the second test control plane did not start; see the log named above (state: $second_dir)" >&2
  exit 1
fi
eval "$("$testenv" env)"
export KUBECONFIG
export TACK_E2E_KUBECONFIG_B="$second_dir/kubeconfig"

step "starting the test OCI registry (tests/registry/registry.sh up)"
if ! "$registry" up; then
  echo "error: the test registry did not start; see the log named above (state: ${TACK_REGISTRY_DIR:-/tmp/tack-registry})" >&2
  exit 1
fi
eval "$("$registry" env)"

step "end-to-end tests against the control plane"
cargo test --features e2e --test e2e -- --test-threads=4

step "all tests passed in $(( $(date +%s) - started ))s"
