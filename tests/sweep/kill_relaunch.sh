#!/usr/bin/env bash
# A sweep killed with SIGKILL mid-way and re-launched completes only the
# missing points and ends with the points.csv of an uninterrupted sweep.
set -euo pipefail
# RAILS (default 4000): fewer in sanitized builds, 10-15 times slower, so the
# six points still finish one after another rather than all at the end.
bin=$1 src=$2 work=$3 rails=${4:-4000}
rm -rf "$work" && mkdir -p "$work"
sweep=(sweep "$src/experiments/arrhenius_sweep.toml" --set device.rails="$rails" --set protocol.relax_s=800 --quiet)
"$bin" "${sweep[@]}" --out "$work/whole"
# Finished points so far (0 before the sweep has made its directory: find's
# failure must not end the script under set -e -o pipefail).
count_done() { { find "$work/killed/points" -name summary.json 2>/dev/null || true; } | wc -l; }
"$bin" "${sweep[@]}" --out "$work/killed" &
pid=$!
# Kill once at least one point has finished and before all have (polled while
# the sweep runs, however slow the build: sanitizer builds are ~10x slower).
while kill -0 "$pid" 2>/dev/null; do
  done_points=$(count_done)
  [ "$done_points" -ge 1 ] && break
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
before=$(count_done)
[ "$before" -ge 1 ] && [ "$before" -lt 6 ] || { echo "kill_relaunch: killed after $before of 6 points; cannot test"; exit 1; }
stamp=$(stat -c %Y.%y "$work"/killed/points/p00000/summary.json 2>/dev/null || true)
"$bin" "${sweep[@]}" --out "$work/killed"
cmp "$work/whole/points.csv" "$work/killed/points.csv"
[ -z "$stamp" ] || [ "$stamp" = "$(stat -c %Y.%y "$work"/killed/points/p00000/summary.json)" ]
echo "kill_relaunch: killed with $before of 6 points finished; the re-launch completed the rest, points.csv identical"
