#!/usr/bin/env bash
# Install the Debian packages nestlab's tests use, only when missing (idempotent).
#   tshark — test/pcap.test.ts decodes the pcap files nestlab writes (skips when absent).
# Not root: installs nothing, exits 0; the tests that need these tools skip with a message.
set -euo pipefail

need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-deps: all present (tshark: $(command -v tshark))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${need[*]} but not root; install them with:"
  echo "  sudo $0"
  echo "install-test-deps: the tests that need them will skip."
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-superusers may capture: answer "no" up front.
echo "install-test-deps: preseeding wireshark-common/install-setuid=false"
if command -v debconf-set-selections >/dev/null 2>&1; then
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
fi

start=$(date +%s)
echo "install-test-deps: apt-get update"
apt-get update -q
echo "install-test-deps: apt-get install ${need[*]}"
apt-get install -y -q --no-install-recommends "${need[@]}"
echo "install-test-deps: installed ${need[*]} in $(( $(date +%s) - start ))s"
