#!/usr/bin/env bash
# The same sweep with 1, 2 and 3 MPI ranks gives identical points.csv (the
# work is distributed dynamically; seeds depend only on the point's index).
set -euo pipefail
bin=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
for n in 1 2 3; do
  mpirun --allow-run-as-root --oversubscribe -np "$n" "$bin" sweep "$src/experiments/arrhenius_sweep.toml" \
    --out "$work/np$n" --mpi --quiet --set device.rails=300
done
cmp "$work/np1/points.csv" "$work/np2/points.csv"
cmp "$work/np1/points.csv" "$work/np3/points.csv"
echo "mpi_ranks: 1, 2 and 3 ranks gave identical points.csv ($(($(wc -l < "$work/np1/points.csv") - 1)) points)"
