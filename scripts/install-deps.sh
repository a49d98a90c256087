#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages shrike's build, tests and
# benchmarks need. A no-op when they are all there already.
set -euo pipefail
PKGS=(gcc make pkg-config libpcre2-dev zlib1g-dev libyaml-dev libexpat1-dev libvectorscan-dev libjansson-dev libevtx-utils python3-evtx clang libclang-rt-14-dev valgrind jq time python3)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
