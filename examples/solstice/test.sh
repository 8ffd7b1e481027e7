#!/bin/sh
# Tests the build.
set -eu
out=$(build/greet Solstice)
[ "$out" = "Hello, Solstice!" ] || { echo "unexpected output: $out" >&2; exit 1; }
echo "Test passed: $out"
