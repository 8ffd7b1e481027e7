#!/usr/bin/env bash
# Makes Podman usable for the docker executor's Podman tests (EQUINOX_DOCKER=podman):
# installs it from Debian's packages with what its networks need (CNI plugins, and the
# dnsname plugin so a service is reachable by its name), lets it start containers on a
# machine whose hard rlimits are below Podman's defaults, and copies the slim test image
# over from Docker (no registry is reachable here). Idempotent; run as root after
# scripts/docker-images.sh.
set -euo pipefail

IMAGE=equinox-test/debian-slim:bookworm
CONF=/etc/containers/containers.conf

declare -A PACKAGES=(
  [podman]=podman [catatonit]=catatonit [dnsmasq]=dnsmasq-base
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [/usr/lib/cni/dnsname]=golang-github-containernetworking-plugin-dnsname
)
missing=()
for tool in "${!PACKAGES[@]}"; do
  if [[ $tool == /* ]]; then [ -e "$tool" ] || missing+=("${PACKAGES[$tool]}")
  else command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGES[$tool]}"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "podman-engine: installing from Debian: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rootful Podman raises a container's open-files and process limits to its own defaults,
# which fails ("error setting rlimit … operation not permitted") where this machine's
# hard limits are lower and cannot be raised (a sandboxed CI machine). Cap them at what
# the machine allows, in a config of our own; an existing config is left alone.
if [ ! -e "$CONF" ]; then
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max)
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
  [ "$nofile" = unlimited ] && nofile=1048576
  mkdir -p "$(dirname "$CONF")"
  cat >"$CONF" <<EOF
# Written by Equinox's scripts/podman-engine.sh: container rlimits this machine allows.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
EOF
  echo "podman-engine: wrote $CONF (nofile $nofile, nproc $nproc)"
fi

docker_id=$(docker image inspect --format '{{.Id}}' "$IMAGE")
podman_id=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
if [ "sha256:${podman_id#sha256:}" != "$docker_id" ]; then
  echo "podman-engine: copying $IMAGE from Docker"
  docker save "$IMAGE" | podman load -q
fi

if ! out=$(podman run --rm "$IMAGE" true 2>&1); then
  echo "podman-engine: error: podman cannot run a container here: $out" >&2
  exit 1
fi
echo "podman-engine: podman $(podman version --format '{{.Client.Version}}') runs containers"
