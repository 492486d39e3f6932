#!/usr/bin/env bash
# Evidence for the choice of state variables (docs/compact-model.md): the
# compact model with one state variable (the readout fraction) and with two
# (slow state + fast fluctuation), both calibrated from the same KMC runs,
# replayed against fresh KMC ensembles on the held-out protocols.
#
#   scripts/compare_state_variables.sh [BIN] [OUT] [TWO_VAR_TABLE ONE_VAR_TABLE]
#
# BIN: the ionrail binary (default build/bin/ionrail); OUT: work directory
# (default out/state_variables). Given two table directories, the
# calibration is skipped and those are compared. Writes OUT/fidelity.csv and the figures
# docs/img/fidelity_mean.png, docs/img/fidelity_spread.png. About 6 minutes
# on 2 cores (one calibration; the second table reuses its runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin/ionrail}
out=${2:-out/state_variables}
protocols=(relax_8v_2s relax_3v_8s relax_5v_4s_long pulses_3v sweep_2v)
mkdir -p "$out" docs/img

# Two-variable table (the shipped recipe); its finished runs are copied
# before the checkpoint is removed, so the one-variable table uses the very
# same KMC transitions.
if [ $# -ge 4 ]; then
  rm -rf "$out/two" "$out/one"
  cp -r "$3" "$out/two"
  cp -r "$4" "$out/one"
else
"$bin" calibrate experiments/calibrate_polymer.toml --out "$out/two" --force --quiet &
pid=$!
mkdir -p "$out/one.checkpoint"
while kill -0 "$pid" 2>/dev/null; do
  cp "$out/two.checkpoint/"*.bins "$out/two.checkpoint/config" "$out/one.checkpoint/" 2>/dev/null || true
  sleep 2
done
wait "$pid"
runs=$(ls "$out/one.checkpoint/"*.bins | wc -l)
[ "$runs" -ge 1 ] || { echo "no calibration runs were saved" >&2; exit 1; }
"$bin" calibrate experiments/calibrate_polymer.toml --out "$out/one" --force --resume --quiet \
  --set calibration.state_variables=1
fi

echo "protocol,variables,nrmse_mean_g,spread_ratio" > "$out/fidelity.csv"
for p in "${protocols[@]}"; do
  for n in one two; do
    "$bin" replay "$out/$n" --protocol "tests/data/heldout/$p.toml" --compare-kmc --out "$out/replay_${n}_$p" \
      --force --quiet
    v=$([ "$n" = one ] && echo 1 || echo 2)
    nrmse=$(sed -n 's/.*"nrmse_mean_g": \([^,]*\),.*/\1/p' "$out/replay_${n}_$p/fidelity.json")
    ratio=$(sed -n 's/.*"spread_ratio": \([^,]*\),.*/\1/p' "$out/replay_${n}_$p/fidelity.json")
    echo "$p,$v,$nrmse,$ratio" >> "$out/fidelity.csv"
  done
done
column -s, -t < "$out/fidelity.csv"

# replay.csv columns: t_s, v, g_model_mean_s, g_model_std_s, g_kmc_mean_s, g_kmc_std_s
plot() {  # $1 output, $2 title, $3 'mean' or 'spread'
  {
    echo "set datafile separator ','"
    echo "set terminal pngcairo noenhanced size 1500,820 font 'DejaVu Sans,10'"
    echo "set output '$1'"
    echo "set multiplot layout 2,3 title '$2'"
    echo "set grid; set key top right font ',8'; set xlabel 't (s)'"
    for p in "${protocols[@]}"; do
      if [ "$3" = mean ]; then
        echo "set ylabel 'mean G (uS)'; set title '$p'"
        echo "plot '$out/replay_one_$p/replay.csv' every ::1 using 1:(\$5*1e6) with lines lw 3 lc rgb '#000000' title 'KMC', \
'' every ::1 using 1:(\$3*1e6) with lines lw 1.5 lc rgb '#d62728' title '1 variable', \
'$out/replay_two_$p/replay.csv' every ::1 using 1:(\$3*1e6) with lines lw 1.5 lc rgb '#1f77b4' title '2 variables'"
      else
        echo "set ylabel 'device-to-device sd of G (uS)'; set title '$p'"
        echo "plot '$out/replay_two_$p/replay.csv' every ::1 using 1:(\$6*1e6) with lines lw 2 lc rgb '#000000' title 'KMC (2-var run)', \
'$out/replay_one_$p/replay.csv' every ::1 using 1:(\$6*1e6) with lines lw 1 lc rgb '#7f7f7f' title 'KMC (1-var run)', \
'' every ::1 using 1:(\$4*1e6) with lines lw 1.5 lc rgb '#d62728' title '1 variable', \
'$out/replay_two_$p/replay.csv' every ::1 using 1:(\$4*1e6) with lines lw 1.5 lc rgb '#1f77b4' title '2 variables'"
      fi
    done
    echo "unset multiplot"
  } | gnuplot
}
plot docs/img/fidelity_mean.png "Held-out protocols: mean conductance, KMC vs compact model (32 devices of 100 rails)" mean
plot docs/img/fidelity_spread.png "Held-out protocols: device-to-device spread of G, KMC vs compact model (bar: ratio within 1.5)" spread
echo "wrote $out/fidelity.csv, docs/img/fidelity_mean.png, docs/img/fidelity_spread.png"
