#!/usr/bin/env bash
# Builds the docker executor's test images from Debian's packages: no image registry is
# reachable here, so each is a debootstrap'ed root imported with `docker import`.
#   equinox-test/debian:bookworm       what the workflow fixtures run inside a job
#                                      container, plus redis-server for `services:`
#   equinox-test/debian-slim:bookworm  bash and git only: the runtime needs nothing more
# No Node.js in either: the executor brings its own. Each image carries a label with a
# hash of its recipe and is rebuilt only when the recipe changes. Needs root, a running
# engine (scripts/docker-engine.sh) and debootstrap.
set -euo pipefail

SUITE=bookworm
VARIANT=minbase
# The programs test/fixtures/run/*/expect.json list under "requires", and what they build
# with (libc6-dev and libssl-dev: gcc only recommends the C headers, redis links OpenSSL).
FULL_PACKAGES=(
  bash git ca-certificates make gcc g++ libc6-dev cmake valgrind tcl8.6 pkg-config
  openssl libssl-dev python3 python-is-python3 perl jq procps redis-server
)
SLIM_PACKAGES=(bash git ca-certificates)
CHANGES=(
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  'ENV LANG=C.UTF-8'
  'CMD ["bash"]'
)

# Debian's mirror as this machine's apt configuration names it (sources.list or deb822
# .sources alike); apt parses it, so no host name is written here. --no-release-info: the
# sources alone, so it works before the first `apt-get update` too.
debian_mirror() {
  local uri
  uri=$(apt-get indextargets --no-release-info --format '$(REPO_URI)' \
    "Release: $SUITE" 'Identifier: Packages' | head -n 1)
  if [ -z "$uri" ]; then
    # Another Debian release's machine: its main archive (not -updates or -security)
    # serves $SUITE too.
    uri=$(apt-get indextargets --no-release-info --format '$(RELEASE) $(REPO_URI)' \
      'Identifier: Packages' | awk '$1 !~ /-/ { print $2; exit }')
  fi
  if [ -z "$uri" ]; then
    echo "docker-images: error: no Debian archive in this machine's apt configuration" \
      "(/etc/apt/sources.list, /etc/apt/sources.list.d/)" >&2
    return 1
  fi
  echo "$uri"
}

recipe_hash() {
  printf 'suite=%s\nvariant=%s\npackages=%s\nchanges=%s\n' \
    "$SUITE" "$VARIANT" "$*" "$(printf '%s;' "${CHANGES[@]}")" | sha256sum | cut -c1-16
}

image_size() {
  docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1000000 }'
}

ROOTFS=""
remove_rootfs() {
  [ -n "$ROOTFS" ] && [ -d "$ROOTFS" ] || return 0
  # debootstrap mounts /proc (and more) inside the target; a failed run can leave them.
  findmnt -rno TARGET | grep -F "$ROOTFS/" | sort -r | xargs -r -n 1 umount -l || true
  rm -rf --one-file-system "$ROOTFS"
  ROOTFS=""
}
trap remove_rootfs EXIT

# build_image TAG PACKAGE...
build_image() {
  local tag=$1
  shift
  local want have
  want=$(recipe_hash "$@")
  have=$(docker image inspect -f '{{index .Config.Labels "equinox.recipe"}}' "$tag" 2>/dev/null ||
    true)
  if [ "$have" = "$want" ]; then
    echo "docker-images: $tag is up to date (recipe $want, $(image_size "$tag"))"
    return 0
  fi

  local mirror started log
  mirror=$(debian_mirror)
  started=$(date +%s)
  echo "docker-images: building $tag from $mirror ($SUITE, $VARIANT + $*)"
  ROOTFS=$(mktemp -d /var/tmp/equinox-rootfs.XXXXXX)
  log="$ROOTFS.log"
  local include
  include=$(IFS=, && echo "$*")
  if ! debootstrap --variant="$VARIANT" --include="$include" "$SUITE" "$ROOTFS" "$mirror" \
    >"$log" 2>&1; then
    echo "docker-images: error: debootstrap failed for $tag; last lines of $log:" >&2
    tail -n 30 "$log" | sed 's/^/  /' >&2
    return 1
  fi
  rm -f "$log"
  # A clean apt cache keeps the image small (a job runs `apt-get update` first anyway);
  # Docker provides the container's own resolv.conf and hostname.
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/archives/*.deb \
    "$ROOTFS"/var/cache/apt/*.bin
  rm -f "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hostname"
  touch "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hostname"
  local args=(--change "LABEL equinox.recipe=$want")
  for change in "${CHANGES[@]}"; do args+=(--change "$change"); done
  tar -C "$ROOTFS" --numeric-owner -c . | docker import "${args[@]}" - "$tag" >/dev/null
  remove_rootfs
  echo "docker-images: built $tag in $(($(date +%s) - started))s ($(image_size "$tag"))"
}

if ! docker info >/dev/null 2>&1; then
  echo "docker-images: error: no Docker engine answers 'docker info': run scripts/docker-engine.sh" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "docker-images: error: debootstrap is missing: run scripts/docker-engine.sh" >&2
  exit 1
}

build_image equinox-test/debian:bookworm "${FULL_PACKAGES[@]}"
build_image equinox-test/debian-slim:bookworm "${SLIM_PACKAGES[@]}"
