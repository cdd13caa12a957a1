#!/usr/bin/env bash
# bench.sh is `make bench`: it builds the harness (hack/build.sh) and the
# anchors (bench/build-anchors.sh: kube-apiserver, etcd and upstream's
# e2e_node.test from the versions pinned in go.mod, cached under
# _output/bench/ by version), each build under flock /tmp/heavy-build.lock,
# then runs bench/cmd/bench once under flock /tmp/node-e2e.lock (and
# /tmp/heavy-build.lock, so no build runs meanwhile), so the rounds stay
# interleaved: every round measures our control plane, envtest's
# and upstream's services mode (in a rotating order), then our one-spec run.
# It prints the table and writes it, with every run's log and report
# directory, to _output/bench/results/<UTC time>/.
#
#   ROUNDS=5 SUITE=false bench/bench.sh     (what `make bench` runs)
#
# SUITE=true adds the full suite at PARALLELISM 1, 2, 4 and 8 (about
# 15 minutes more); SUITE_PROCS=2,4 picks the counts. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-5}
suite=${SUITE:-false}
suite_procs=${SUITE_PROCS:-1,2,4,8}
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
	echo "bench: ROUNDS=$rounds: want a positive number of rounds, e.g. make bench ROUNDS=5" >&2
	exit 2
fi
if [[ $suite != true && $suite != false ]]; then
	echo "bench: SUITE=$suite: want SUITE=true (also time the full suite) or SUITE=false" >&2
	exit 2
fi
if [[ $(id -u) != 0 ]]; then
	echo "bench: run as root: the one-spec run brings up a node" >&2
	exit 2
fi

echo "bench: building the harness (waiting for /tmp/heavy-build.lock)" >&2
flock /tmp/heavy-build.lock hack/build.sh
bench/build-anchors.sh
# shellcheck source=/dev/null
source _output/bench/anchors.env

bin=_output/bench/bin
mkdir -p "$bin"
go build -o "$bin/envtest-anchor" ./bench/cmd/envtest-anchor
go build -o "$bin/bench" ./bench/cmd/bench

out=_output/bench/results/$(date -u +%Y%m%dT%H%M%SZ)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
	rev="$rev + uncommitted changes"
fi
# The node lock for the whole run (rounds stay interleaved), then the
# build lock too, so that no heavy build shares the machine with it.
echo "bench: waiting for /tmp/node-e2e.lock, then /tmp/heavy-build.lock" >&2
flock /tmp/node-e2e.lock flock /tmp/heavy-build.lock "$bin/bench" \
	--rounds="$rounds" --suite="$suite" --suite-procs="$suite_procs" --out="$out" \
	--ours="${OUT_DIR:-_output/bin}/e2e_node.test" --ginkgo="${OUT_DIR:-_output/bin}/ginkgo" \
	--envtest-anchor="$bin/envtest-anchor" --etcd="$BENCH_ETCD" \
	--kube-apiserver="$BENCH_KUBE_APISERVER" --upstream="$BENCH_UPSTREAM_E2E_NODE" \
	--command="make bench ROUNDS=$rounds SUITE=$suite (tree at $rev)"
echo "bench: logs and report directories in $out" >&2
