#!/usr/bin/env bash
# Prepares a Debian image for the build (same tools, Debian's own way of checking them).
set -euo pipefail
echo "Setting up Debian for $PROJECT"
for tool in git tar gzip; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || { echo "missing $tool; run as root to install it" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool"
  fi
done
mkdir -p build
echo "debian" > build/os
