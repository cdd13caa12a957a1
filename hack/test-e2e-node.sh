#!/usr/bin/env bash
# test-e2e-node.sh is `make test-e2e-node`: it runs the node e2e suite on
# this machine (runner/local), inside systemd-sandbox (SYSTEMD=sandbox) or
# on other machines (REMOTE=true, runner/remote), with the Makefile's
# variables, which it reads from the environment (see the Makefile).
#
# Every value is data: it reaches the runner as (part of) one argument and
# is never evaluated, so quotes, $(...), backquotes and $VARS in FOCUS,
# HOSTS, ARTIFACTS, ... run nothing. TEST_ARGS and GINKGO_FLAGS are lists of
# flags, passed whole to --test-args and --ginkgo-flags: both runners split
# them (runner/internal/suite: shell-style quoting, nothing expanded) and
# refuse bad quoting naming the flag.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT_DIR=${OUT_DIR:-_output/bin}
FOCUS=${FOCUS-} SKIP=${SKIP-} LABEL_FILTER=${LABEL_FILTER-}
PARALLELISM=${PARALLELISM:-8}
GINKGO_FLAGS=${GINKGO_FLAGS-} TEST_ARGS=${TEST_ARGS-}
ARTIFACTS=${ARTIFACTS:-/tmp/_artifacts/$(date +%y%m%dT%H%M%S)}
KUBELET_CONFIG_FILE=${KUBELET_CONFIG_FILE-} CONTAINER_RUNTIME_ENDPOINT=${CONTAINER_RUNTIME_ENDPOINT-}
START_SERVICES=${START_SERVICES-} KUBECONFIG=${KUBECONFIG-}
SYSTEMD=${SYSTEMD-} REMOTE=${REMOTE:-false}

die() {
  echo "test-e2e-node.sh: $*" >&2
  exit 2
}

# check_own_dir NAME DIR refuses DIR (absolute), the report directory that
# SYSTEMD=sandbox creates and binds into the sandbox read-write, unless
# nobody but root and us can have planted or change it: every existing
# component of DIR and of its real path (symbolic links resolved) belongs
# to root or to us, and each directory among them is writable by its owner
# alone or sticky (/tmp); DIR itself, if it exists, is ours and writable
# by us alone. Otherwise a planted directory, or a symbolic link to /etc,
# would be bound read-write and the suite inside would write into it as
# root. NAME is the variable named in the error.
check_own_dir() {
  local name=$1 dir=$2 uid p owner mode
  uid=$(id -u)
  for p in "$dir" "$(realpath -m -- "$dir")"; do
    while :; do
      if [[ -e $p || -L $p ]]; then
        read -r owner mode < <(stat -c '%u %a' -- "$p")
        if [[ $owner != 0 && $owner != "$uid" ]]; then
          die "$name=$dir: $p belongs to uid $owner, not to root or you: choose a report directory whose path only root and you control"
        fi
        if [[ ! -L $p ]] && ((8#$mode & 8#022)) && ! ((8#$mode & 8#1000)); then
          die "$name=$dir: $p (mode $mode) is writable by others: choose a report directory whose path only root and you control"
        fi
      fi
      [[ $p != / ]] || break
      p=$(dirname -- "$p")
    done
  done
  p=$(realpath -m -- "$dir")
  if [[ -e $p ]]; then
    read -r owner mode < <(stat -c '%u %a' -- "$p")
    if [[ ! -d $p || $owner != "$uid" ]] || ((8#$mode & 8#022)); then
      die "$name=$dir: $p is not a directory of yours writable by you alone (owner uid $owner, mode $mode): remove it or choose another"
    fi
  fi
}

# run_remote VAR=flag...: runs runner/remote with the selection flags
# every remote mode takes, then args, then --flag=$VAR for each VAR set and
# not empty (an empty one leaves runner/remote's default).
run_remote() {
  local pair var flag
  local -a all=(
    --bin-dir="$OUT_DIR" --results-dir="$ARTIFACTS"
    --focus="$FOCUS" --skip="$SKIP" --label-filter="$LABEL_FILTER"
    --parallelism="$PARALLELISM" --ginkgo-flags="$GINKGO_FLAGS" --test-args="$TEST_ARGS"
    --test-timeout="${TIMEOUT:-45m}" "${args[@]}"
  )
  for pair in "$@"; do
    var=${pair%%=*} flag=${pair#*=}
    if [[ -n ${!var-} ]]; then
      all+=("--$flag=${!var}")
    fi
  done
  if [[ -n $CONTAINER_RUNTIME_ENDPOINT ]]; then
    all+=(-- --container-runtime-endpoint="$CONTAINER_RUNTIME_ENDPOINT")
  fi
  exec go run ./runner/remote "${all[@]}"
}

# Cluster mode: the suite as Jobs on a cluster's nodes (NODES or
# NODE_SELECTOR). HOSTS and IMAGES are passed too, for runner/remote to
# refuse the mix naming the flag.
if [[ $REMOTE == true && ( -n ${NODES-} || -n ${NODE_SELECTOR-} ) ]]; then
  args=()
  run_remote KUBECONFIG=kubeconfig CONTEXT=context NODES=nodes NODE_SELECTOR=node-selector \
    REGISTRY=registry REGISTRY_CREDENTIALS_FILE=registry-credentials-file API_SERVER=api-server \
    REPLICAS_PER_NODE=replicas-per-node SYNC_TIMEOUT=sync-timeout WORKLOAD=workload TTL=ttl \
    DETACH=detach HOSTS=hosts IMAGES=images IMAGE_CONFIG_FILE=image-config-file
fi
if [[ $REMOTE == true ]]; then
  args=(
    --install-deps="${INSTALL_DEPS:-false}" --cleanup="${CLEANUP:-true}"
    --delete-instances="${DELETE_INSTANCES:-true}"
  )
  run_remote HOSTS=hosts IMAGES=images IMAGE_PROJECT=image-project \
    IMAGE_CONFIG_FILE=image-config-file IMAGE_CONFIG_DIR=image-config-dir \
    PROJECT=project ZONE=zone GCE_ENDPOINT=gce-endpoint \
    INSTANCE_PREFIX=instance-name-prefix INSTANCE_TYPE=instance-type \
    INSTANCE_METADATA=instance-metadata SSH_USER=ssh-user SSH_KEY=ssh-key \
    SSH_OPTIONS=ssh-options KUBELET_CONFIG_FILE=kubelet-config-file
fi
[[ $REMOTE == false ]] || die "REMOTE=$REMOTE: want REMOTE=true (the suite on other machines) or REMOTE=false (this machine)"

# The local runners: ginkgo's flags, then e2e_node.test's after "--".
report_dir=$(realpath -m -s -- "$ARTIFACTS")
args=(
  --build-dependencies=false
  --focus="$FOCUS" --skip="$SKIP" --label-filter="$LABEL_FILTER"
  --parallelism="$PARALLELISM" --ginkgo-flags="$GINKGO_FLAGS" --test-args="$TEST_ARGS"
  -- --report-dir="$report_dir"
)
if [[ -n $KUBELET_CONFIG_FILE ]]; then
  args+=(--kubelet-config-file="$KUBELET_CONFIG_FILE")
fi
if [[ -n $CONTAINER_RUNTIME_ENDPOINT ]]; then
  args+=(--container-runtime-endpoint="$CONTAINER_RUNTIME_ENDPOINT")
fi
# A node the harness did not start: e2e_node.test checks the value (and
# that it has a kubeconfig), naming the flag. KUBECONFIG counts only then.
if [[ -n $START_SERVICES ]]; then
  args+=(--start-services="$START_SERVICES")
fi
if [[ $START_SERVICES == false && -n $KUBECONFIG ]]; then
  args+=(--kubeconfig="$KUBECONFIG")
fi

case $SYSTEMD in
  '')
    exec go run ./runner/local --out-dir="$OUT_DIR" "${args[@]}"
    ;;
  sandbox)
    # The repository and the report directory are bound into the sandbox
    # (its /tmp is its own); runner-local runs inside, as a binary.
    check_own_dir ARTIFACTS "$report_dir"
    hack/build.sh runner-local
    mkdir -p -- "$report_dir"
    check_own_dir ARTIFACTS "$report_dir" # again: nothing raced mkdir
    out_dir=$(realpath -m -s -- "$OUT_DIR")
    exec "$OUT_DIR/systemd-sandbox" run --bind "$PWD" --bind "$report_dir" -- \
      "$out_dir/runner-local" --out-dir="$out_dir" "${args[@]}"
    ;;
  *)
    die "SYSTEMD=$SYSTEMD: want SYSTEMD=sandbox (the suite inside systemd-sandbox) or no SYSTEMD (the host as it is)"
    ;;
esac
