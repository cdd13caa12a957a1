#!/usr/bin/env bash
# test.sh runs the project's tests.
#
#   hack/test.sh unit          unit tests of every package (go test -race -short;
#                              services/controlplane without -race)
#   hack/test.sh integration   real node runs (TestIntegration*, root, built binaries)
#   hack/test.sh all           hack/verify.sh (gofmt, vet, staticcheck,
#                              ShellCheck, the unit tests), then integration
#
# The e2e_node package is not run by `go test` here: its binary is the suite
# itself, built once by hack/build.sh and driven by the integration tests
# (a plain `go test ./e2e_node` skips it, saying so).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
pkgs=$(go list ./... | grep -v '/e2e_node$')

# services/controlplane links kube-apiserver: its first build under -race
# alone takes about 13 minutes on 2 cores (a cold CI machine), so its unit
# tests run without the race detector; every other package's run with it.
heavy=github.com/node-e2e/harness/services/controlplane

unit() {
  echo "== unit tests (-race; $heavy without)"
  # shellcheck disable=SC2046 # one package per word
  go test -race -trimpath -short -count=1 $(grep -vx "$heavy" <<<"$pkgs")
  go test -trimpath -short -count=1 "$heavy"
}

integration() {
  echo "== integration tests (real etcd, kube-apiserver, kubelet, containerd)"
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: integration tests need root" >&2
    exit 1
  fi
  # Only the packages that have integration tests: each test binary that
  # links the API server costs a minute and gigabytes to link.
  local dirs
  dirs=$(grep -rl --include='*_test.go' '^func TestIntegration' . | grep -v '^./e2e_node/' | xargs -n1 dirname | sort -u)
  # -p 1: one package at a time. runner/local and runner/remote each bring
  # up real nodes on this machine, and only one node may run at once.
  # The binaries are built (make test-integration, make test): a missing
  # one fails a test instead of skipping it.
  # shellcheck disable=SC2086
  NODE_E2E_REQUIRE_BINARIES=1 go test -trimpath -count=1 -p 1 -timeout=60m -run '^TestIntegration' -v $dirs
}

case "$what" in
  unit) unit ;;
  integration) integration ;;
  all) hack/verify.sh; integration ;;
  *) echo "usage: hack/test.sh unit|integration|all" >&2; exit 2 ;;
esac
