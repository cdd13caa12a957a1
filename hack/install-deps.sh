#!/usr/bin/env bash
# install-deps.sh installs the Debian packages a node e2e run needs on this host:
# containerd and runc (the runtime), the CNI plugins, iptables and conntrack
# (used by the kubelet and the CNI bridge plugin), busybox-static (for the
# test images), and openssh-server (sshd: runner/remote reaches hosts over SSH,
# and its integration tests run one on loopback). With --for-tests it also
# installs what the project's own tests need and a node does not: chromium
# (internal/report's browser test opens report.html in it) and shellcheck
# (hack/verify.sh). `make test` asks for them; runner/remote ships this
# script to remote hosts (--install-deps) and runs it without. It is idempotent: packages already installed are left alone
# and apt is not touched when nothing is missing.
#
# Usage: hack/install-deps.sh [--for-tests]   (--with-browser: the same, its old name)
set -euo pipefail

packages=(containerd runc containernetworking-plugins iptables conntrack busybox-static openssh-server)
case "${1-}" in
  "") ;;
  --for-tests | --with-browser) packages+=(chromium shellcheck) ;;
  *) echo "install-deps.sh: unknown argument '$1' (want --for-tests or nothing)" >&2; exit 2 ;;
esac

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get install); re-run with sudo" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "install-deps.sh: apt-get not found; install these packages by hand: ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps.sh: done"
