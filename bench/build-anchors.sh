#!/usr/bin/env bash
# build-anchors.sh builds the anchors `make bench` compares the harness with,
# from the versions pinned in go.mod, into _output/bench/<name>-<version>-<go>/:
#
#   kube-apiserver   k8s.io/kubernetes/cmd/kube-apiserver     (envtest's API server)
#   etcd             go.etcd.io/etcd/server/v3/etcdmain        (envtest's etcd; bench/anchors/etcd)
#   e2e_node.test    go test -c k8s.io/kubernetes/test/e2e_node (upstream's services mode)
#
# A directory that already holds its binary is not rebuilt (the key is the
# module version and the Go version). Every build runs under
# flock /tmp/heavy-build.lock, one at a time; each build's wall time is kept
# in build-seconds next to the binary. For `make bench` only: neither CI nor
# `make test` builds these.
#
# Upstream's e2e_node package needs modules (kubectl's cli-runtime, ...) that
# the harness's go.sum does not list, so it is built in a scratch module under
# _output/bench/src whose go.mod is the harness's own (same requires and
# replaces, so the same k8s.io versions), resolved with -mod=mod there; the
# harness's go.mod and go.sum are never touched. The script checks that the
# k8s.io/kubernetes and etcd versions resolved there are the pinned ones.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${BENCH_OUT:-$root/_output/bench}
mkdir -p "$out"

gover=$(go env GOVERSION)
k8s=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)

apiserver_dir=$out/kube-apiserver-$k8s-$gover
etcd_dir=$out/etcd-$etcd-$gover
upstream_dir=$out/e2e_node-$k8s-$gover

# build DIR BINARY CMD...: runs CMD (which writes DIR/BINARY.tmp) under the
# heavy-build lock unless DIR/BINARY exists, then moves it into place.
build() {
	local dir=$1 bin=$2
	shift 2
	if [[ -x $dir/$bin ]]; then
		echo "bench: $dir/$bin is built (cached)" >&2
		return
	fi
	mkdir -p "$dir"
	echo "bench: building $dir/$bin (waiting for /tmp/heavy-build.lock)" >&2
	local start end
	start=$(date +%s.%N)
	flock /tmp/heavy-build.lock "$@"
	end=$(date +%s.%N)
	mv "$dir/$bin.tmp" "$dir/$bin"
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }' >"$dir/build-seconds"
	echo "bench: built $dir/$bin in $(cat "$dir/build-seconds") s (including the wait for the lock)" >&2
}

what=${1:-all}

if [[ $what == all || $what == kube-apiserver ]]; then
	build "$apiserver_dir" kube-apiserver \
		go build -o "$apiserver_dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
fi

if [[ $what == all || $what == etcd ]]; then
	build "$etcd_dir" etcd \
		go build -o "$etcd_dir/etcd.tmp" ./bench/anchors/etcd
fi

if [[ $what == all || $what == e2e_node ]]; then
	src=$out/src/e2e_node-$k8s
	if [[ ! -x $upstream_dir/e2e_node.test ]]; then
		rm -rf "$src"
		mkdir -p "$src"
		sed 's|^module .*|module nodee2e.invalid/bench/upstream|' go.mod >"$src/go.mod"
		cp go.sum "$src/go.sum"
		printf 'package upstream\n\nimport _ "k8s.io/kubernetes/test/e2e_node"\n' >"$src/upstream_test.go"
		(cd "$src" && GOFLAGS=-mod=mod go mod download k8s.io/kubernetes)
		got_k8s=$(cd "$src" && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' k8s.io/kubernetes)
		if [[ $got_k8s != "$k8s" ]]; then
			echo "bench: the scratch module resolved k8s.io/kubernetes $got_k8s, want $k8s (go.mod)" >&2
			exit 1
		fi
	fi
	# shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
	build "$upstream_dir" e2e_node.test \
		bash -c 'cd "$1" && GOFLAGS=-mod=mod go test -c -o "$2" k8s.io/kubernetes/test/e2e_node' _ "$src" "$upstream_dir/e2e_node.test.tmp"
	if [[ -d $src && -x $upstream_dir/e2e_node.test ]]; then
		(cd "$src" && GOFLAGS=-mod=mod go list -m k8s.io/kubernetes k8s.io/api k8s.io/apiserver k8s.io/client-go go.etcd.io/etcd/server/v3) >"$upstream_dir/versions.txt"
	fi
fi

# The paths, for bench's driver.
cat >"$out/anchors.env" <<ENV
BENCH_KUBE_APISERVER=$apiserver_dir/kube-apiserver
BENCH_ETCD=$etcd_dir/etcd
BENCH_UPSTREAM_E2E_NODE=$upstream_dir/e2e_node.test
ENV
