#!/usr/bin/env bash
# Installs the build tree into a scratch prefix and builds and runs a
# downstream project against it: find_package(ionrail) + ionrail::kmc.
set -euo pipefail
build_dir=$1
source_dir=$2
cxx_flags=${3:-}
linker_flags=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/ionrail"
test -f "$work/prefix/share/ionrail/materials/polymer.toml"
cmake -S "$source_dir/tests/downstream" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$linker_flags" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/downstream"
