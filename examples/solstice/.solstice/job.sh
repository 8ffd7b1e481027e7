#!/usr/bin/env bash
# The legacy Solstice job: the whole build in one script. On its own (with no
# workflow.kdl) Solstice and Equinox run it as a one-step job; here a step calls it.
set -euo pipefail
echo "Legacy job for $PROJECT (mode: ${MODE:-debug})"
./build.sh
./test.sh
tar -czf "build/$PROJECT.tar.gz" -C build greet
echo "Packaged build/$PROJECT.tar.gz ($(tar -tzf "build/$PROJECT.tar.gz" | wc -l) file)"
