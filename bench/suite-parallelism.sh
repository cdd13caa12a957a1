#!/usr/bin/env bash
# suite-parallelism.sh measures the node e2e suite's wall time at one and
# at two ginkgo processes against the same kind of node, and prints both
# with the speed-up as a ratio. It is a benchmark, not a test: it asserts
# nothing, it records.
#
#   bench/suite-parallelism.sh [LABEL_FILTER]     (default NodeConformance)
#
# Needs root and the binaries of `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."

filter=${1:-NodeConformance}
out=${OUT_DIR:-_output/bin}
results=$(mktemp -d /tmp/bench-parallelism-XXXXXX)

run() {
  local procs=$1 start end
  start=$(date +%s%N)
  if ! "$out/ginkgo" --no-color --procs="$procs" --label-filter="$filter" "$out/e2e_node.test" -- \
      --report-dir="$results/p$procs" >"$results/p$procs.log" 2>&1; then
    echo "suite failed at --procs=$procs; see $results/p$procs.log" >&2
    exit 1
  fi
  end=$(date +%s%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

p1=$(run 1)
p2=$(run 2)
specs=$(grep -Eo 'Ran [0-9]+ of [0-9]+ Specs' "$results/p1.log" | head -1)
printf 'suite wall time (%s, label filter %q)\n' "$specs" "$filter"
printf '  PARALLELISM=1  %8.1f s\n' "$p1"
printf '  PARALLELISM=2  %8.1f s\n' "$p2"
awk -v a="$p1" -v b="$p2" 'BEGIN { printf "  speed-up       %8.2fx\n", a / b }'
echo "logs: $results"
