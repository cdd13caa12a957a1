#!/usr/bin/env bash
# systemd-launcher.sh compares the two kubelet launchers side by side: the
# direct child process on this host, and systemd-run inside systemd-sandbox
# (a real systemd as PID 1), each with both cgroup drivers where they make
# sense. For every configuration it runs one spec N times and prints the
# medians of kubelet launch to Node Ready, of teardown and of the whole run,
# with the systemd/direct ratio; and the sandbox's own boot and shutdown.
# It is a benchmark, not a test: it asserts nothing, it records.
#
#   bench/systemd-launcher.sh [N]     (default 5)
#
# Needs root and the binaries of `make build` (systemd-sandbox included).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-5}
out=$(cd "${OUT_DIR:-_output/bin}" && pwd)
repo=$(pwd)
results=$(mktemp -d "$repo/_output/bench-systemd-XXXXXX")
focus='is Ready and reports'

# ms DURATION: a Go duration (813ms, 1.416s, 0s) in milliseconds.
ms() {
  awk -v d="$1" 'BEGIN {
    if (d ~ /ms$/) { sub(/ms$/, "", d); printf "%d", d }
    else if (d ~ /µs$|us$/) { printf "0" }
    else if (d ~ /m[0-9.]+s$/) { split(d, p, "m"); sub(/s$/, "", p[2]); printf "%d", (p[1] * 60 + p[2]) * 1000 }
    else { sub(/s$/, "", d); printf "%d", d * 1000 }
  }'
}

# phase LOG NAME: the first duration of phase NAME in LOG, in ms.
phase() {
  local d
  d=$(grep -m1 -E "^  $2 {2,}[0-9]" "$1" | awk '{ print $NF }')
  ms "${d:-0s}"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# one NAME DRIVER [sandbox]: one run, appending "ready teardown wall" (ms) to NAME.tsv.
one() {
  local name=$1 driver=$2 where=${3:-host} i=$4 log start end
  log="$results/$name-$i.log"
  local cmd=("$out/e2e_node.test" "--ginkgo.focus=$focus" --ginkgo.no-color
    "--cgroup-driver=$driver" "--report-dir=$results/$name-$i")
  if [[ $where == sandbox ]]; then
    cmd=("$out/systemd-sandbox" run -v --bind "$repo" -- "${cmd[@]}")
  fi
  start=$(date +%s%N)
  if ! "${cmd[@]}" >"$log" 2>&1; then
    echo "$name run $i failed; see $log" >&2
    exit 1
  fi
  end=$(date +%s%N)
  local ready=$(( $(phase "$log" "kubelet started") + $(phase "$log" "node ready") ))
  printf '%d\t%d\t%d\n' "$ready" "$(phase "$log" teardown)" $(( (end - start) / 1000000 )) >>"$results/$name.tsv"
  if [[ $where == sandbox ]]; then
    sed -n 's/.* booted in \([0-9.a-zµ]*\) .*/\1/p' "$log" | while read -r d; do ms "$d"; echo; done >>"$results/boot.txt"
    sed -n 's/.* stopped in \([0-9.a-zµ]*\)$/\1/p' "$log" | while read -r d; do ms "$d"; echo; done >>"$results/shutdown.txt"
  fi
}

configs=("direct-cgroupfs cgroupfs host" "systemd-cgroupfs cgroupfs sandbox" "systemd-systemd systemd sandbox")
# Interleaved, so that a slow spell of the machine hits every configuration.
for i in $(seq 1 "$n"); do
  for c in "${configs[@]}"; do
    # shellcheck disable=SC2086
    set -- $c
    one "$1" "$2" "$3" "$i"
  done
done

col() { cut -f"$2" "$results/$1.tsv" | median; }
base_ready=$(col direct-cgroupfs 1)
base_wall=$(col direct-cgroupfs 3)
printf 'kubelet launchers, median of %d runs of one spec (%s)\n' "$n" "$focus"
printf '  %-34s %10s %10s %10s %14s\n' configuration "to Ready" teardown "whole run" "Ready vs direct"
for c in "${configs[@]}"; do
  # shellcheck disable=SC2086
  set -- $c
  label="$1"
  case $1 in
    direct-cgroupfs) label="direct child, cgroupfs driver" ;;
    systemd-cgroupfs) label="systemd-run, cgroupfs driver" ;;
    systemd-systemd) label="systemd-run, systemd driver" ;;
  esac
  r=$(col "$1" 1) td=$(col "$1" 2) w=$(col "$1" 3)
  printf '  %-34s %8d ms %8d ms %8d ms %13.2fx\n' "$label" "$r" "$td" "$w" "$(awk -v a="$r" -v b="$base_ready" 'BEGIN { print a / b }')"
done
printf '  (whole run inside the sandbox includes its boot and shutdown; direct whole run %d ms)\n' "$base_wall"
printf 'systemd-sandbox: boot median %d ms, shutdown median %d ms (%d boots)\n' \
  "$(median <"$results/boot.txt")" "$(median <"$results/shutdown.txt")" "$(wc -l <"$results/boot.txt")"
echo "logs: $results"
