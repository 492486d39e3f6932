#!/usr/bin/env bash
# The checks that need a GPU, in one script, for a lent GPU machine that has
# the CUDA driver but none of the project's Debian packages.
#
# Build here (any machine with nvcc), portable to the GPU host's processor,
# then run this script there:
#   cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
#     -DIONRAIL_NATIVE=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3
#   cmake --build build-gpu --target test_gpu_compare bench_gpu bench_kmc ionrail
#   scripts/gpu_check.sh --collect-libs .devlibs     # the shared libraries to carry
#   (there) scripts/gpu_check.sh build-gpu/bin .devlibs OUTDIR [BASELINE]
# GPU_CHECK_QUICK=1: only the current build's tests, GPU benchmark (one
# repetition), CLI comparisons, kernel times and sanitizers.
# BASELINE: an optional folder with an earlier build's test_gpu_compare and
# bench_gpu, measured beside the current one. bin/bench_kmc_v4 (built with
# -march=x86-64-v4), if present, is used for the CPU figures where the host
# has AVX-512.
#
# It runs, each under a time limit, in order of importance: the CPU-vs-GPU
# bit-identity tests, the GPU benchmark, the CLI on both backends (outputs
# compared byte for byte), the CPU benchmark on every core of the same machine,
# per-kernel times (ncu), a calibration on both backends, and memcheck/racecheck.
# One log (OUTDIR/gpu_check.log) and the benchmark JSON files come back; the
# last lines are a table of the steps and their exit codes.
set -u -o pipefail

if [[ ${1:-} == --collect-libs ]]; then
  dest=${2:?destination folder}
  mkdir -p "$dest/fallback"
  for bin in build-gpu/bin/*; do
    ldd "$bin" | awk '/=> \//{print $3}'
  done | sort -u | while read -r lib; do
    case $(basename "$lib") in
      libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*) ;;  # the host's own
      libstdc++.so.*|libgcc_s.so.*) cp -L "$lib" "$dest/fallback/" ;;  # only if the host's are older
      *) cp -L "$lib" "$dest/" ;;
    esac
  done
  du -sh "$dest"
  exit 0
fi

bin=${1:?folder with test_gpu_compare, bench_gpu, bench_kmc, ionrail}
libs=${2:?folder with the carried shared libraries}
out=${3:?output folder}
base=${4:-}
quick=${GPU_CHECK_QUICK:-0}
((quick)) && base=
mkdir -p "$out"
log=$out/gpu_check.log
work=$(mktemp -d)
export LD_LIBRARY_PATH=$PWD/$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! "$bin/bench_gpu" --benchmark_list_tests >/dev/null 2>&1; then
  export LD_LIBRARY_PATH=$PWD/$libs/fallback:$LD_LIBRARY_PATH
fi
summary=()
deadline=${GPU_CHECK_SECONDS:-500}  # the whole script; later steps are skipped or cut short
step() {  # step NAME SECONDS COMMAND...
  local name=$1 limit=$2
  shift 2
  if ((deadline - SECONDS < 15)); then
    summary+=("$(printf '%-28s skipped: out of time' "$name")")
    return
  fi
  ((limit > deadline - SECONDS)) && limit=$((deadline - SECONDS))
  echo "=== $name ($(date +%T), limit ${limit}s): $*" | tee -a "$log"
  local t0=$SECONDS
  if declare -F "$1" >/dev/null; then  # a function of this script: timeout needs a process
    timeout "$limit" bash -c '"$@"' _ "$@" 2>&1 | tee -a "$log" | tail -40
  else
    timeout "$limit" "$@" 2>&1 | tee -a "$log" | tail -40
  fi
  local rc=${PIPESTATUS[0]}
  summary+=("$(printf '%-28s rc=%-3s %4ss' "$name" "$rc" $((SECONDS - t0)))")
  echo "=== $name: rc=$rc in $((SECONDS - t0)) s" | tee -a "$log"
}
same_outputs() {  # same_outputs DIR_A DIR_B: every csv byte for byte
  local a=$1 b=$2 n=0 bad=0
  while read -r f; do
    n=$((n + 1))
    cmp -s "$a/$f" "$b/$f" || { echo "differs: $f"; bad=$((bad + 1)); }
  done < <(cd "$a" && find . -name '*.csv' | sort)
  echo "compared $n csv files, $bad differ"
  [[ $n -gt 0 && $bad -eq 0 ]]
}
cli_compare() {  # cli_compare NAME RAILS: ionrail run on cpu and cuda, same seed
  local name=$1 rails=$2
  for be in cpu cuda; do
    "$bin/ionrail" run experiments/relax_voltage.toml --backend "$be" --set device.rails="$rails" \
      --quiet --force --out "$work/$name-$be" || return 1
    grep -o '"wall_s": [0-9.e+-]*' "$work/$name-$be/summary.json" | head -1 | sed "s/^/$be total /"
    grep -o '"attempts_per_s": [0-9.e+-]*' "$work/$name-$be/summary.json" | sed "s/^/$be /"
  done
  same_outputs "$work/$name-cpu" "$work/$name-cuda"
}
calibrate_compare() {
  for be in cpu cuda; do
    "$bin/ionrail" calibrate experiments/calibrate_polymer.toml --set sim.backend="$be" \
      --set calibration.runs=2 --set calibration.duration_s=40 --quiet --force --out "$work/cal-$be" || return 1
  done
  for f in table.csv table.hex table_noise.hex table_g.hex; do
    [[ -f $work/cal-cpu/$f ]] || continue
    cmp "$work/cal-cpu/$f" "$work/cal-cuda/$f" && echo "same: $f" || return 1
  done
}

fit_compare() {  # #18: the shipped fit on cpu and cuda, its time and the same fitted values
  for be in cpu cuda; do
    "$bin/ionrail" fit experiments/measured/polymer.toml --set sim.backend="$be" --quiet --force \
      --out "$work/fit-$be" || return 1
    grep -o '"wall_s": [0-9.e+-]*' "$work/fit-$be/fit.json" | head -1 | sed "s/^/fit $be /"
  done
  cmp "$work/fit-cpu/material.toml" "$work/fit-cuda/material.toml" && echo "same: material.toml"
}

export bin work
export -f same_outputs cli_compare calibrate_compare fit_compare

step nvidia-smi 30 nvidia-smi
step test_gpu_compare 240 "$bin/test_gpu_compare"
reps=3
((quick)) && reps=1
step bench_gpu 120 "$bin/bench_gpu" --benchmark_repetitions=$reps --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/bench_gpu.json" --benchmark_out_format=json
if [[ -n $base ]]; then
  step bench_gpu_baseline 120 "$base/bench_gpu" --benchmark_out="$out/bench_gpu_base.json" --benchmark_out_format=json
fi
step cli_cpu_vs_cuda_2000 120 cli_compare small 2000
step cli_cpu_vs_cuda_large 180 cli_compare large $((quick ? 20000 : 50000))
bench_kmc=$bin/bench_kmc
[[ -x $bin/bench_kmc_v4 ]] && grep -qw avx512f /proc/cpuinfo && bench_kmc=$bin/bench_kmc_v4
((quick)) || step bench_kmc_all_cores 150 "$bench_kmc" --benchmark_filter='sync_step/rails:(100000|1000000)/' \
  --benchmark_out="$out/bench_kmc.json" --benchmark_out_format=json
if command -v ncu >/dev/null; then
  for rails in 10000 1000000; do
    step "ncu_kernels_$rails" 120 ncu --clock-control none --metrics gpu__time_duration.sum --launch-skip 60 \
      --launch-count 9 "$bin/bench_gpu" --benchmark_filter="rails:$rails/" --benchmark_min_time=0.01
  done
  if [[ -n $base ]]; then
    step ncu_kernels_baseline 120 ncu --clock-control none --metrics gpu__time_duration.sum --launch-skip 60 \
      --launch-count 9 "$base/bench_gpu" --benchmark_filter="rails:10000/" --benchmark_min_time=0.01
  fi
fi
((quick)) || step calibrate_cpu_vs_cuda 240 calibrate_compare
((quick)) || step fit_cpu_vs_cuda 150 fit_compare
[[ -n $base ]] && step test_gpu_compare_baseline 240 "$base/test_gpu_compare"
if command -v compute-sanitizer >/dev/null; then
  step memcheck 150 compute-sanitizer --tool memcheck --error-exitcode 9 "$bin/test_gpu_compare" \
    --gtest_filter='GpuCompare.MixedSpecies*:GpuCompare.LongRails*'
  step racecheck 150 compute-sanitizer --tool racecheck --error-exitcode 9 "$bin/test_gpu_compare" \
    --gtest_filter='GpuCompare.MixedSpecies*:GpuCompare.RelaxWithSpaceCharge*'
fi
rm -rf "$work"
printf '%s\n' "${summary[@]}" | tee -a "$log"
