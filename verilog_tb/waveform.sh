#!/usr/bin/env bash
# Renders docs/img/rtl_crossbar_waveform.png: the 4 x 4 crossbar (2 lanes)
# replaying tests/kat/crossbar.kat, cycles 35-59 (a write, a read, ...).
# Usage: verilog_tb/waveform.sh [BUILD_DIR]   (needs gnuplot and python3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
vcd=$(mktemp --suffix=.vcd)
trap 'rm -f "$vcd"' EXIT
"$build/bin/tb_crossbar" --model kat4 --kat "$root/tests/kat/crossbar.kat" --trace "$vcd"
mkdir -p "$root/docs/img"
python3 "$root/verilog_tb/plot_vcd.py" "$vcd" "$root/docs/img/rtl_crossbar_waveform.png" --from 350 --to 590 \
  top.clk=clk top.start=start top.op_write=op_write top.busy=busy top.done=done u_xbar.grp_q=group \
  "top.v_row[0]=v_row[0] (V)=2**-11=s" "top.mon_state[0][0][0]=s(0,0)=2**-30=s" \
  "top.mon_state[0][1][0]=s(0,1)=2**-30=s" "top.i_col[0]=i_col[0] (µA)=2**-31=s"
echo "wrote $root/docs/img/rtl_crossbar_waveform.png"
