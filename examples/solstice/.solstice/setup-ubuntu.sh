#!/usr/bin/env bash
# Prepares an Ubuntu image for the build. On Solstice this runs as root in a fresh VM;
# under `equinox run` it runs on your machine, so it installs only what is missing.
set -euo pipefail
echo "Setting up Ubuntu for $PROJECT"
missing=()
for tool in git tar gzip; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "missing ${missing[*]}; run as root to install them" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
mkdir -p build
echo "ubuntu" > build/os
