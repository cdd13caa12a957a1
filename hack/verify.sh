#!/usr/bin/env bash
# verify.sh runs the checks every change must pass, fastest first, and stops
# at the first that fails:
#
#   - gofmt: every Go file formatted (lists the ones that are not)
#   - go vet: every package, with its tests
#   - staticcheck: pinned (STATICCHECK_VERSION), configured by staticcheck.conf
#   - ShellCheck: the scripts of hack/, bench/ and .ci/
#   - unit tests: hack/test.sh unit, go test -race -short
#
# Usage: hack/verify.sh [check ...]   (default: all, in the order above;
#        names: gofmt vet staticcheck shellcheck unit)
#
# `make verify` runs it; `make test` (so .ci/run) runs it before the
# integration tests. staticcheck is built once into _output/tools from the
# Go module proxy; shellcheck is Debian's (hack/install-deps.sh --for-tests).
set -euo pipefail
cd "$(dirname "$0")/.."

# honnef.co/go/tools v0.8.2 is staticcheck 2026.2.2, which knows Go 1.26
# (go.mod's go directive). Change the version here and nowhere else.
STATICCHECK_VERSION=v0.8.2
TOOLS_DIR=${TOOLS_DIR:-$PWD/_output/tools}

step() { printf '== %s\n' "$*"; }
fail() { printf 'verify.sh: %s\n' "$*" >&2; exit 1; }

# go_files lists the repository's Go files, tracked or new (not ignored).
go_files() { git ls-files --cached --others --exclude-standard -- '*.go'; }

check_gofmt() {
  step "gofmt"
  local bad
  bad=$(go_files | xargs -r gofmt -l)
  if [[ -n $bad ]]; then
    fail "these files are not gofmt-formatted (run: gofmt -w <file>):
$bad"
  fi
}

check_vet() {
  step "go vet ./..."
  go vet ./...
}

staticcheck_bin() {
  local bin=$TOOLS_DIR/staticcheck-$STATICCHECK_VERSION
  if [[ ! -x $bin ]]; then
    echo "installing staticcheck $STATICCHECK_VERSION into $TOOLS_DIR" >&2
    mkdir -p "$TOOLS_DIR"
    local tmp
    tmp=$(mktemp -d "$TOOLS_DIR/.install.XXXXXX")
    GOBIN=$tmp go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
    mv "$tmp/staticcheck" "$bin"
    rmdir "$tmp"
  fi
  echo "$bin"
}

check_staticcheck() {
  local bin
  bin=$(staticcheck_bin)
  step "staticcheck $STATICCHECK_VERSION (staticcheck.conf)"
  "$bin" ./...
}

check_shellcheck() {
  step "shellcheck"
  if ! command -v shellcheck >/dev/null; then
    fail "shellcheck is not installed: run hack/install-deps.sh --for-tests (as root), or apt-get install shellcheck"
  fi
  local scripts
  mapfile -t scripts < <(git ls-files --cached --others --exclude-standard -- 'hack/*.sh' 'bench/*.sh' '.ci/run')
  shellcheck "${scripts[@]}"
}

check_unit() {
  hack/test.sh unit
}

all=(gofmt vet staticcheck shellcheck unit)
checks=("$@")
if [[ ${#checks[@]} -eq 0 ]]; then
  checks=("${all[@]}")
fi
for c in "${checks[@]}"; do
  case "$c" in
    gofmt | vet | staticcheck | shellcheck | unit) ;;
    *) echo "verify.sh: unknown check '$c' (want any of: ${all[*]})" >&2; exit 2 ;;
  esac
done
start=$SECONDS
took=()
for c in "${checks[@]}"; do
  t=$SECONDS
  "check_$c"
  took+=("$c $((SECONDS - t))s")
done
summary=$(printf '%s, ' "${took[@]}")
echo "verify.sh: passed in $((SECONDS - start))s (${summary%, })"
