#!/usr/bin/env bash
# run-suite.sh runs the node e2e suite from the directory it is in: the
# workspace runner/remote unpacked its archive into. runner/remote runs it
# as root over ssh.
#
#   run-suite.sh run INTERRUPT_AFTER KILL_AFTER GINKGO_ARGS...
#     starts `./ginkgo GINKGO_ARGS...` in a session of its own, its output
#     in results/ginkgo.log, streams that file to stdout, and exits with
#     ginkgo's status. If the suite is still running INTERRUPT_AFTER
#     seconds after the start, its process group gets one SIGINT (Ginkgo
#     cancels the running specs, tears the node down and writes its
#     reports), and KILL_AFTER seconds later SIGKILL; the status is then
#     124. The suite does not depend on the ssh connection: if it drops,
#     the suite still ends by these deadlines and its files stay in
#     results/.
#   run-suite.sh stop GRACE
#     sends a running suite's process group one SIGINT, waits up to GRACE
#     seconds for it to end, then kills it.
#
# The process group gets exactly one SIGINT, as from a terminal's Ctrl-C:
# a second one would make Ginkgo skip its cleanup (the node teardown).
set -uo pipefail
cd "$(dirname "$0")" || exit 1
mkdir -p results

# running PGID: whether any process of the group is left.
running() { kill -0 -- "-$1" 2>/dev/null; }

# interrupt PGID: send the group its one SIGINT, unless it already had it.
interrupt() {
  mkdir suite.interrupted 2>/dev/null || return 0
  kill -INT -- "-$1" 2>/dev/null
}

case "${1:-}" in
run)
  interrupt_after=$2 kill_after=$3
  shift 3
  rm -rf suite.pid suite.rc suite.interrupted suite.timed-out
  # The suite appends, so that the watchdog's notes do not overwrite its
  # output.
  : >results/ginkgo.log
  # Job control on while starting the suite: without it, a background
  # command starts with SIGINT ignored, and the interrupt would be lost.
  set -m
  setsid -w sh -c 'echo $$ >suite.pid; exec ./ginkgo "$@"' ginkgo "$@" \
    </dev/null >>results/ginkgo.log 2>&1 &
  leader=$!
  set +m
  for _ in $(seq 100); do
    [[ -s suite.pid ]] && break
    sleep 0.1
  done
  pgid=$(cat suite.pid 2>/dev/null) || { echo "run-suite.sh: the suite did not start" >&2; exit 125; }
  # The watchdog enforces the deadlines. It holds none of the ssh
  # session's descriptors, so it never keeps the session open.
  (
    start=$SECONDS
    while running "$pgid"; do
      elapsed=$((SECONDS - start))
      if ((elapsed >= interrupt_after)) && [[ ! -e suite.timed-out ]]; then
        touch suite.timed-out
        echo "run-suite.sh: the suite is still running after ${interrupt_after}s: interrupting it" >>results/ginkgo.log
        interrupt "$pgid"
      fi
      if ((elapsed >= interrupt_after + kill_after)); then
        echo "run-suite.sh: the suite did not stop within ${kill_after}s of SIGINT: killing it" >>results/ginkgo.log
        kill -KILL -- "-$pgid" 2>/dev/null
      fi
      sleep 1
    done
  ) </dev/null >/dev/null 2>&1 &
  watchdog=$!
  # Stream the log until the suite ends (checked every 0.2s).
  tail -n +1 -F -s 0.2 --pid="$leader" results/ginkgo.log 2>/dev/null
  wait "$leader"
  rc=$?
  # Ginkgo has exited; anything left in its group is a stray.
  kill -KILL -- "-$pgid" 2>/dev/null
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  if [[ -e suite.timed-out ]]; then
    rc=124
  fi
  echo "$rc" >suite.rc
  exit "$rc"
  ;;
stop)
  grace=$2
  pgid=$(cat suite.pid 2>/dev/null) || exit 0
  running "$pgid" || exit 0
  interrupt "$pgid"
  for ((i = 0; i < grace * 5; i++)); do
    running "$pgid" || exit 0
    sleep 0.2
  done
  kill -KILL -- "-$pgid" 2>/dev/null
  echo "run-suite.sh: the suite did not stop within ${grace}s of SIGINT: killed it" >&2
  exit 1
  ;;
*)
  echo "usage: run-suite.sh run INTERRUPT_AFTER KILL_AFTER GINKGO_ARGS... | stop GRACE" >&2
  exit 2
  ;;
esac
