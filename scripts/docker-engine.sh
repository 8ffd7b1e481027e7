#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info`, for the docker executor's tests.
# Idempotent: installs from Debian's packages only what is missing, and starts dockerd
# directly (CI machines run no systemd) only when no engine answers. Run as root.
set -euo pipefail

LOG=/var/log/equinox-dockerd.log
WAIT_SECONDS=60

engine_answers() { docker info >/dev/null 2>&1; }

# command → Debian package. debootstrap (and wget, which it downloads with) builds the
# test images; bubblewrap is the bwrap executor's sandbox, installed here so one script
# provisions every isolation tool.
declare -A PACKAGES=(
  [iptables]=iptables [bwrap]=bubblewrap [debootstrap]=debootstrap [wget]=wget
)
missing=()
for tool in "${!PACKAGES[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGES[$tool]}")
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
# An engine that already answers (any install) is kept; docker.io only when there is none.
if ! engine_answers && ! { command -v dockerd && command -v docker; } >/dev/null 2>&1; then
  missing+=(docker.io)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "docker-engine: installing from Debian: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if engine_answers; then
  echo "docker-engine: engine answers ($(docker version --format '{{.Server.Version}}'))"
  exit 0
fi

if ! pidof dockerd >/dev/null; then
  echo "docker-engine: starting dockerd (log: $LOG)"
  # Its own session and no inherited descriptors, so it outlives this script and does not
  # hold the caller's output open (CI waits for that to close).
  setsid -f dockerd </dev/null >>"$LOG" 2>&1
else
  echo "docker-engine: dockerd is running but does not answer yet; waiting"
fi

for _ in $(seq "$WAIT_SECONDS"); do
  if engine_answers; then
    echo "docker-engine: engine answers ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done

echo "docker-engine: error: 'docker info' still fails after ${WAIT_SECONDS}s" >&2
docker info 2>&1 >/dev/null | tail -n 5 | sed 's/^/  docker info: /' >&2 || true
if [ -f "$LOG" ]; then
  echo "docker-engine: last lines of $LOG:" >&2
  tail -n 20 "$LOG" | sed 's/^/  /' >&2
fi
exit 1
