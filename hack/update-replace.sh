#!/usr/bin/env bash
# update-replace.sh rewrites the replace block of go.mod so that every k8s.io
# staging module that k8s.io/kubernetes replaces with a local directory is
# pinned to the matching published v0.X.Y version instead.
#
# Usage: hack/update-replace.sh [KUBERNETES_VERSION]   (default: the version in go.mod)
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(go list -m -f '{{.Version}}' k8s.io/kubernetes 2>/dev/null || true)}
if [[ -z "$version" || "$version" != v1.* ]]; then
  echo "update-replace.sh: cannot tell the k8s.io/kubernetes version; pass it, e.g. hack/update-replace.sh v1.37.2" >&2
  exit 2
fi
staging="v0.${version#v1.}"

gomod=$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
if [[ ! -r "$gomod" ]]; then
  echo "update-replace.sh: could not download go.mod of k8s.io/kubernetes@${version}" >&2
  exit 1
fi

# Every "k8s.io/x => ./staging/..." line of upstream's replace block becomes
# a -replace edit pinned to the staging version.
mapfile -t mods < <(awk '/=> \.\/staging\/src\// {print $1}' "$gomod" | sort -u)
if [[ ${#mods[@]} -eq 0 ]]; then
  echo "update-replace.sh: no staging replacements found in $gomod" >&2
  exit 1
fi
args=(-require="k8s.io/kubernetes@${version}")
for m in "${mods[@]}"; do
  args+=(-replace="${m}=${m}@${staging}")
done
go mod edit "${args[@]}"
echo "pinned k8s.io/kubernetes@${version} and ${#mods[@]} staging modules to ${staging}"
