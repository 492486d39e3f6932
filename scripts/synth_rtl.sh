#!/usr/bin/env bash
# Synthesis of the Verilog RTL with the open tools (docs/rtl.md §Open
# synthesis flow): yosys for a generic gate count or for iCE40, nextpnr-ice40
# for placement, routing and the maximum clock frequency.
#
#   scripts/synth_rtl.sh [options] MODULE
#
# MODULE is cell, lif or crossbar. Options:
#   --formats-dir DIR  the directory holding ionrail_formats.vh (the build's
#                      rtl_generated/; required)
#   --table DIR        the table directory of the cell and the crossbar
#                      (default tests/kat/tables/kat)
#   --rows R --cols C --lanes L   crossbar size (default 4 4 1)
#   --no-noise         cell only: noise_en tied low, so synthesis removes the
#                      noise datapath (what the noise option costs)
#   --sync-rom         cell only: the two-edge cell (SYNC_ROM = 1) whose step
#                      tables are read through registered ports, so that they
#                      map to block RAM
#   --target T         generic (yosys `synth`: gates) or ice40 (`synth_ice40`)
#   --device D         iCE40 part for --target ice40: up5k (default) or hx8k
#   --pnr              after synth_ice40, place and route with nextpnr-ice40
#                      and report Fmax; a design larger than the device is
#                      reported as not fitting instead. Placement uses the
#                      serial-I/O top of verilog_tb/synth/synth_pnr.sv
#                      (pnr_MODULE), since no package has pins for every port
#   --elaborate-only   parse and elaborate only (the check that the RTL stays
#                      synthesizable), no mapping
#   --out DIR          work directory (default: a temporary one, removed)
#
# Prints one line `synth MODULE CONFIG TARGET: key=value ...` and exits 0;
# exits 1 if a tool fails or the design comes out empty, 2 on bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
rtl=$here/verilog_tb/rtl
module=
formats=
table=$here/tests/kat/tables/kat
rows=4 cols=4 lanes=1
target=generic
device=up5k
pnr=0
noise=1
sync_rom=0
elaborate=0
out=

# The comment block above is the usage: on stdout for --help, else on stderr.
help() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
usage() { help >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --formats-dir) formats=$2; shift 2 ;;
    --table) table=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --cols) cols=$2; shift 2 ;;
    --lanes) lanes=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --pnr) pnr=1; shift ;;
    --no-noise) noise=0; shift ;;
    --sync-rom) sync_rom=1; shift ;;
    --elaborate-only) elaborate=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) help; exit 0 ;;
    -*) echo "synth_rtl.sh: unknown option $1" >&2; usage ;;
    *) module=$1; shift ;;
  esac
done
[ -n "$module" ] && [ -n "$formats" ] || usage
[ -f "$formats/ionrail_formats.vh" ] || { echo "synth_rtl.sh: no ionrail_formats.vh in $formats" >&2; exit 2; }
case $target in generic|ice40) ;; *) echo "synth_rtl.sh: --target is generic or ice40" >&2; exit 2 ;; esac
case $device in up5k|hx8k) ;; *) echo "synth_rtl.sh: --device is up5k or hx8k" >&2; exit 2 ;; esac
table=$(cd "$table" && pwd)
[ -f "$table/table.vh" ] || { echo "synth_rtl.sh: $table has no table.vh" >&2; exit 2; }

# The checks the RTL makes only in simulation (they sit under `ifndef
# SYNTHESIS), made here so that no netlist is built from what a simulator
# refuses: the crossbar's sizes, and table files that hold the grid.
is_count() { case $1 in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }
if [ "$module" = crossbar ]; then
  max_rows=$(sed -n 's/^`define IONRAIL_CROSSBAR_MAX_ROWS \([0-9]*\).*/\1/p' "$formats/ionrail_formats.vh")
  if ! is_count "$rows" || ! is_count "$cols" || ! is_count "$lanes" || [ "$rows" -lt 2 ] || [ "$cols" -lt 2 ] ||
     [ "$lanes" -lt 1 ] || [ $((cols % lanes)) -ne 0 ] || [ "$rows" -gt "${max_rows:-131072}" ]; then
    echo "synth_rtl.sh: crossbar: need --rows and --cols >= 2, --rows <= ${max_rows:-131072} and --lanes >= 1 dividing --cols (got rows $rows, cols $cols, lanes $lanes)" >&2
    exit 2
  fi
fi
if [ "$module" != lif ]; then
  n_s=$(sed -n 's/^`define IONRAIL_TABLE_N_S \([0-9]*\).*/\1/p' "$table/table.vh")
  n_v=$(sed -n 's/^`define IONRAIL_TABLE_N_V \([0-9]*\).*/\1/p' "$table/table.vh")
  is_count "$n_s" && is_count "$n_v" || { echo "synth_rtl.sh: $table/table.vh names no grid (IONRAIL_TABLE_N_S, _N_V)" >&2; exit 2; }
  for f in table.hex:$((n_s * n_v)) table_noise.hex:$((n_s * n_v)) table_fluct.hex:$((n_s * n_v)) table_g.hex:$n_s table_coeff.hex:2; do
    file=$table/${f%%:*}; want=${f##*:}
    [ -f "$file" ] || { echo "synth_rtl.sh: $file: missing" >&2; exit 2; }
    got=$(grep -c '[0-9a-fA-F]' "$file")
    [ "$got" -eq "$want" ] || { echo "synth_rtl.sh: $file: $got words, the grid of table.vh needs $want" >&2; exit 2; }
  done
fi

if [ -z "$out" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
# yosys 0.23 cannot set a string parameter (the table directory) from its
# command line, so the synthesis tops take it from this generated header.
printf '`define IONRAIL_SYNTH_TABLE_DIR "%s"\n' "$table" > "$out/synth_table_dir.vh"

synth_dir=$here/verilog_tb/synth
case $module in
  cell)
    srcs="ionrail_table_rom.sv ionrail_cell_step.sv ionrail_cell_read.sv ionrail_cell.sv"
    top=synth_cell; extra=$synth_dir/synth_cell.sv; sized=
    config=$(basename "$table")
    [ $noise = 1 ] || config=${config}_nonoise
    [ $sync_rom = 0 ] || config=${config}_syncrom ;;
  crossbar)
    srcs="ionrail_table_rom.sv ionrail_crossbar.sv"
    top=synth_crossbar; extra=$synth_dir/synth_crossbar.sv; sized=1
    config=${rows}x${cols}_lanes${lanes}_$(basename "$table") ;;
  lif)
    srcs="ionrail_lif.sv"; top=ionrail_lif; extra=; sized=; config=- ;;
  *) echo "synth_rtl.sh: MODULE is cell, lif or crossbar" >&2; exit 2 ;;
esac
files=
for s in $srcs; do files="$files $rtl/$s"; done

# The yosys commands that read and elaborate top $1.
read_top() {
  local r="read_verilog -defer -sv -I$formats -I$rtl -I$table -I$out $files $extra $synth_dir/synth_pnr.sv;"
  [ -z "$sized" ] || r="$r chparam -set ROWS $rows -set COLS $cols -set LANES $lanes $1;"
  [ $module != cell ] || r="$r chparam -set NOISE $noise -set SYNC_ROM $sync_rom $1;"
  echo "$r hierarchy -check -top $1;"
}

if [ $elaborate = 1 ]; then
  # hierarchy -check: every module and parameter resolved; proc: every
  # process turned into logic (an unsynthesizable construct stops here);
  # check -assert: no combinational loop, no multiple drivers.
  yosys -q -l "$out/yosys.log" -p "$(read_top $top) proc; flatten; opt_clean; check -assert; tee -q -o $out/stat.txt stat" \
    >/dev/null || { tail -20 "$out/yosys.log" >&2; exit 1; }
  cells=$(awk '/Number of cells:/ {n=$4} END {print n+0}' "$out/stat.txt")
  [ "$cells" -gt 0 ] || { echo "synth_rtl.sh: $module elaborated to an empty design" >&2; exit 1; }
  echo "synth $module $config elaborate: cells=$cells"
  exit 0
fi

count() { awk -v k="$1" '$1 == k {n += $2} END {print n+0}' "$2"; }

if [ $target = generic ]; then
  # The coarse cells (multipliers as $mul/$macc) first, then the gates.
  yosys -q -l "$out/yosys.log" -p "$(read_top $top) synth -flatten -top $top -run :fine; \
    tee -q -o $out/coarse.txt stat; synth -flatten -top $top -run fine:; tee -q -o $out/stat.txt stat" \
    >/dev/null || { tail -20 "$out/yosys.log" >&2; exit 1; }
  gates=$(awk '/Number of cells:/ {n=$4} END {print n+0}' "$out/stat.txt")
  ffs=$(awk '$1 ~ /^\$_(S?DFF|DFFE|SDFF|SDFFE|SDFFCE|ALDFF|DLATCH)/ {n += $2} END {print n+0}' "$out/stat.txt")
  muls=$(( $(count '$mul' "$out/coarse.txt") + $(count '$macc' "$out/coarse.txt") ))
  [ "$gates" -gt 0 ] || { echo "synth_rtl.sh: $module synthesized to an empty design" >&2; exit 1; }
  echo "synth $module $config generic: gates=$gates ffs=$ffs multipliers=$muls"
  exit 0
fi

dsp=
[ $device = up5k ] && dsp=-dsp
ice40() {  # top, log/stat name
  yosys -q -l "$out/$2.log" -p "$(read_top $1) synth_ice40 $dsp -top $1 -json $out/$2.json; tee -q -o $out/$2.txt stat" \
    >/dev/null || { tail -20 "$out/$2.log" >&2; exit 1; }
}
ice40 $top yosys
luts=$(count SB_LUT4 "$out/yosys.txt")
carry=$(count SB_CARRY "$out/yosys.txt")
ffs=$(awk '$1 ~ /^SB_DFF/ {n += $2} END {print n+0}' "$out/yosys.txt")
dsps=$(count SB_MAC16 "$out/yosys.txt")
brams=$(count SB_RAM40_4K "$out/yosys.txt")
[ "$luts" -gt 0 ] || { echo "synth_rtl.sh: $module synthesized to an empty design" >&2; exit 1; }
line="synth $module $config ice40-$device: luts=$luts carry=$carry ffs=$ffs dsps=$dsps bram=$brams bram_bits=$((brams * 4096))"

if [ $pnr = 1 ]; then
  case $device in
    up5k) cap_luts=5280 cap_dsps=8 cap_brams=30 pkg=sg48 ;;
    hx8k) cap_luts=7680 cap_dsps=0 cap_brams=32 pkg=ct256 ;;
  esac
  if [ "$luts" -gt $cap_luts ] || [ "$dsps" -gt $cap_dsps ] || [ "$brams" -gt $cap_brams ]; then
    echo "$line fits=no (device: $cap_luts LUTs, $cap_dsps DSPs, $cap_brams BRAMs)"
    exit 0
  fi
  ice40 pnr_$module pnr
  pnr_ffs=$(awk '$1 ~ /^SB_DFF/ {n += $2} END {print n+0}' "$out/pnr.txt")
  # The clock is constrained at 100 MHz, above what these parts reach, so
  # the router optimizes timing and the report is the achieved maximum.
  nextpnr-ice40 --$device --package $pkg --json "$out/pnr.json" --asc "$out/pnr.asc" --freq 100 \
    --timing-allow-fail --seed 1 -l "$out/nextpnr.log" >/dev/null 2>&1 \
    || { tail -20 "$out/nextpnr.log" >&2; exit 1; }
  fmax=$(grep -o "Max frequency for clock '[^']*': [0-9.]* MHz" "$out/nextpnr.log" | tail -1 | awk '{print $(NF-1)}')
  [ -n "$fmax" ] || { echo "synth_rtl.sh: nextpnr reported no clock frequency" >&2; exit 1; }
  lcs=$(grep -o "ICESTORM_LC: *[0-9]*/ *[0-9]*" "$out/nextpnr.log" | tail -1 | tr -d ' ' | cut -d: -f2)
  line="$line fits=yes pnr_lcs=$lcs pnr_ffs=$pnr_ffs fmax_mhz=$fmax"
  # The bitstream, so the flow is known to run to the end. The timing is
  # nextpnr's (icetime would need the separate fpga-icestorm-chipdb).
  if command -v icepack >/dev/null; then
    icepack "$out/pnr.asc" "$out/pnr.bin"
    line="$line bitstream_bytes=$(wc -c < "$out/pnr.bin")"
  fi
fi
echo "$line"
