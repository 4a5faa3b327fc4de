#!/usr/bin/env bash
# Installs the Debian packages whose tools the tests drive, when any is missing and we may
# (root, or passwordless sudo). Shared by test/run.sh and .ci/run so the list lives in one place.
# Usage: system-packages.sh [tool=package ...]   (extra pairs, e.g. docker-compose=docker-compose)
# Never fails: without the rights or the network it only warns, and the tests needing the
# missing tool then fail loudly by themselves (the harness throws, it does not skip).
set -uo pipefail

# tool=package. mosquitto lives in /usr/sbin, which a normal user's PATH may lack. A "tool" that is
# an absolute path is a file the package installs (the CJK font the browser tests' screenshots need).
pairs=(
  socat=socat mbpoll=mbpoll
  mosquitto=mosquitto mosquitto_pub=mosquitto-clients mosquitto_sub=mosquitto-clients
  influxd=influxdb influx=influxdb-client chromium=chromium
  docker-compose=docker-compose # validates docker-compose.yml without an engine (test/deploy)
  faketime=faketime
  curl=curl # Debian's curl speaks Digest and multipart to the ISAPI terminal and listener (test/edge)
  /usr/share/fonts/truetype/wqy/wqy-microhei.ttc=fonts-wqy-microhei
  "$@"
)
have() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ] ;;
  esac
}

missing_tools=()
missing_pkgs=()
for pair in "${pairs[@]}"; do
  tool=${pair%%=*}
  pkg=${pair#*=}
  if ! have "$tool"; then
    missing_tools+=("$tool")
    [[ " ${missing_pkgs[*]-} " == *" $pkg "* ]] || missing_pkgs+=("$pkg")
  fi
done
[ "${#missing_tools[@]}" -eq 0 ] && exit 0

if [ -n "${THERMOGATE_APT_TRIED:-}" ]; then
  # .ci/run already ran apt-get in this run; a second try would only repeat its failure.
  echo "system-packages: WARNING: still missing after install: ${missing_tools[*]}; tests needing them will FAIL." >&2
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "system-packages: WARNING: missing tools: ${missing_tools[*]}" >&2
    echo "system-packages: not root and no passwordless sudo: not installing; tests needing them will FAIL." >&2
    echo "system-packages: fix: sudo apt-get install -y --no-install-recommends ${missing_pkgs[*]}" >&2
    exit 0
  fi
fi

echo "system-packages: installing ${missing_pkgs[*]} (missing: ${missing_tools[*]})" >&2
# --no-install-recommends matters: docker-compose would otherwise pull in a whole Docker engine.
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing_pkgs[@]}"; } </dev/null >&2; then
  echo "system-packages: WARNING: apt-get failed; tests needing ${missing_tools[*]} will FAIL." >&2
fi
exit 0
