#!/bin/sh
# "Builds" the project: installs greet.sh as build/greet.
set -eu
mkdir -p build
cp greet.sh build/greet
chmod +x build/greet
echo "Built build/greet for $(cat build/os 2>/dev/null || echo "an unknown OS")"
