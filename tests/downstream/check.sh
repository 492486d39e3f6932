#!/usr/bin/env bash
# Installs the build tree into a scratch prefix and uses it as a user would.
#   check.sh BUILD SOURCE [CXXFLAGS] [LDFLAGS]           library: find_package(ionrail),
#       a KMC run through ionrail::kmc and the README's table example (ionrail::model_io)
#   check.sh BUILD SOURCE [CXXFLAGS] [LDFLAGS] relocated  the same, then the prefix is moved
#       elsewhere and the source and build trees are hidden (a private mount namespace
#       puts empty directories over them; nothing is deleted), and the installed
#       example, `ionrail demo` and `ionrail crossbar` run on the installed files.
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
cxx_flags=${3:-}
linker_flags=${4:-}
mode=${5:-library}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/ionrail"
for f in share/ionrail/materials/polymer.toml share/ionrail/experiments/crossbar_digits.toml \
         share/ionrail/tables/polymer/table.json share/ionrail/tables/polymer_thin/table.csv \
         share/ionrail/data/digits.csv.gz share/ionrail/rtl/ionrail_cell.sv share/ionrail/rtl/ionrail_formats.vh \
         include/ionrail/model_io/table_files.hpp include/ionrail/calibration/ensemble.hpp \
         include/ionrail/config/run_config.hpp lib/cmake/ionrail/ionrailConfig.cmake; do
  test -e "$work/prefix/$f" || { echo "check: $f not installed" >&2; exit 1; }
done
# The README's example is this file, word for word.
sed -n '/^```cpp$/,/^```$/p' "$source_dir/README.md" | grep -v '^```' |
  diff - <(tail -n +3 "$source_dir/tests/downstream/device_table.cpp") >/dev/null ||
  { echo "check: README.md's C++ example differs from tests/downstream/device_table.cpp" >&2; exit 1; }
cp -r "$source_dir/tests/downstream" "$work/project"
cmake -S "$work/project" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$linker_flags" >/dev/null
cmake --build "$work/build" -j 2 >/dev/null
"$work/build/downstream"
"$work/build/device_table" "$work/prefix/share/ionrail/tables/polymer"
[ "$mode" = relocated ] || exit 0

# The installed tree, moved: nothing may point back to where it was built.
mv "$work/prefix" "$work/moved"
cat > "$work/use.sh" <<SCRIPT
set -euo pipefail
cd "$work"
if [ "\${HIDE:-1}" = 1 ]; then
  for d in "$build_dir" "$source_dir"; do  # the build tree first: it may lie inside the source tree
    mount -t tmpfs none "\$d"
    [ -z "\$(ls -A "\$d")" ] || { echo "check: \$d still visible" >&2; exit 1; }
  done
fi
"$work/build/device_table" "$work/moved/share/ionrail/tables/polymer"
"$work/moved/bin/ionrail" demo --quiet --out "$work/demo"
grep -q "NO\*\*" "$work/demo/report.md" && { echo "check: a demo claim failed" >&2; exit 1; }
"$work/moved/bin/ionrail" crossbar "$work/moved/share/ionrail/experiments/crossbar_digits.toml" --quiet --out "$work/xb"
test -s "$work/xb/summary.json"
if [ "\${HIDE:-1}" = 1 ]; then echo "check: installed demo and crossbar ran with the source tree out of reach"; else echo "check: installed demo and crossbar ran (source tree visible)"; fi
SCRIPT
if unshare --mount --propagation private true 2>/dev/null; then
  unshare --mount --propagation private bash "$work/use.sh"
else
  echo "check: cannot make a private mount namespace here (needs root); the relocated tree runs with the sources visible" >&2
  HIDE=0 bash "$work/use.sh"
fi
