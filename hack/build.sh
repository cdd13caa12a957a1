#!/usr/bin/env bash
# build.sh builds the binaries a node e2e run needs into $OUT_DIR
# (default _output/bin): kubelet and ginkgo from the versions pinned in go.mod,
# and the pause and test image programs, e2e_node.test and systemd-sandbox from
# this repository. On request only: runner-local, runner/local as a binary
# (what `make test-e2e-node SYSTEMD=sandbox` runs inside the sandbox).
#
# Usage: hack/build.sh [kubelet] [ginkgo] [pause] [testimage] [e2e_node.test] [systemd-sandbox] [runner-local]
#        (default: all but runner-local)
#
# Go's build cache makes a second build of an unchanged binary take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT_DIR=${OUT_DIR:-_output/bin}
mkdir -p "$OUT_DIR"

k8s_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
# Stamp the kubelet with the pinned version, so the Node reports it instead of v0.0.0-master.
major=${k8s_version#v}; major=${major%%.*}
minor=${k8s_version#v*.}; minor=${minor%%.*}
pkg=k8s.io/component-base/version
ldflags="-s -w -X ${pkg}.gitVersion=${k8s_version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(kubelet ginkgo pause testimage e2e_node.test systemd-sandbox)

for t in "${targets[@]}"; do
  start=$(date +%s)
  case "$t" in
    kubelet)
      go build -trimpath -ldflags "$ldflags" -o "$OUT_DIR/kubelet" k8s.io/kubernetes/cmd/kubelet ;;
    ginkgo)
      go build -trimpath -o "$OUT_DIR/ginkgo" github.com/onsi/ginkgo/v2/ginkgo ;;
    pause|testimage)
      # Static and reproducible: the image digests depend on these bytes.
      CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$OUT_DIR/$t" "./images/$t" ;;
    e2e_node.test)
      go test -c -trimpath -ldflags "$ldflags" -o "$OUT_DIR/e2e_node.test" ./e2e_node ;;
    systemd-sandbox)
      # Static: it re-executes itself inside the sandbox's namespaces.
      CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT_DIR/systemd-sandbox" ./sandbox/cmd/systemd-sandbox ;;
    runner-local)
      go build -trimpath -o "$OUT_DIR/runner-local" ./runner/local ;;
    *)
      echo "build.sh: unknown target '$t' (want kubelet, ginkgo, pause, testimage, e2e_node.test, systemd-sandbox or runner-local)" >&2; exit 2 ;;
  esac
  echo "built $OUT_DIR/$t in $(( $(date +%s) - start ))s"
done
