#!/bin/sh
# The "project": prints a greeting.
echo "Hello, ${1:-world}!"
