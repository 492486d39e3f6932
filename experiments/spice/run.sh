#!/usr/bin/env bash
# Runs the example netlists of experiments/spice/ on a calibrated table and
# draws their plots (docs/spice.md):
#   experiments/spice/run.sh [TABLE_DIR [OUT_DIR]]
# TABLE_DIR defaults to tables/polymer, OUT_DIR to out/spice. Needs the
# `ionrail` binary (IONRAIL, default: build/bin/ionrail or on PATH), ngspice
# and gnuplot (plots are skipped with a message if gnuplot is missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
table=${1:-$root/tables/polymer}
out=${2:-$root/out/spice}
ionrail=${IONRAIL:-}
if [ -z "$ionrail" ]; then
  if [ -x "$root/build/bin/ionrail" ]; then ionrail=$root/build/bin/ionrail; else ionrail=$(command -v ionrail || true); fi
fi
[ -n "$ionrail" ] || { echo "run.sh: no ionrail binary (set IONRAIL=path/to/ionrail)" >&2; exit 2; }
command -v ngspice >/dev/null || { echo "run.sh: ngspice not found (scripts/deps.sh installs it)" >&2; exit 2; }
"$ionrail" export spice "$table" --out "$out" --force --quiet
for n in pulses crossbar_read half_select; do
  cp "$here/$n.cir" "$out/"
  start=$(date +%s%N)
  rm -f "$out/$n.dat"
  # ngspice -b exits 1 when a netlist has no .print line: success is the data
  # file written and no error in the log.
  (cd "$out" && ngspice -b "$n.cir" > "$n.log" 2>&1) || true
  if [ ! -s "$out/$n.dat" ] || grep -qi 'error' "$out/$n.log"; then
    echo "run.sh: ngspice failed on $n.cir, see $out/$n.log" >&2
    exit 1
  fi
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  printf 'run.sh: %s.cir: %d.%03d s wall\n' "$n" $((ms / 1000)) $((ms % 1000))
done
if command -v gnuplot >/dev/null; then
  (cd "$out" && gnuplot "$here/plots.gp")
  echo "run.sh: wrote $out/{pulses,crossbar_read,half_select}.png"
else
  echo "run.sh: gnuplot not found: data only in $out/*.dat"
fi
