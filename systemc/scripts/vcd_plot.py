#!/usr/bin/env python3
"""Renders a few signals of the co-simulation's VCD files as a PNG (gnuplot,
pngcairo), since no waveform viewer is installed: the SystemC trace
(cosim_sc.vcd: both sides' ports) and one internal RTL signal from
Verilator's trace (cosim_rtl_cell.vcd).

Usage: vcd_plot.py TRACE_DIR OUT.png [FIRST_NS LAST_NS]
Run `sc_cosim --cycles 60 --trace TRACE_DIR` first (docs/systemc.md)."""
import os
import subprocess
import sys
import tempfile


def parse_vcd(path):
    """Returns ({full name: (id, width)}, {id: [(time in ps, int value)]})."""
    names, changes, scope = {}, {}, []
    scale_ps = 1
    time = 0
    with open(path) as f:
        text = f.read()
    head, _, body = text.partition("$enddefinitions")
    tokens = head.split()
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "$timescale":
            unit = tokens[i + 1]
            num = "".join(c for c in unit if c.isdigit()) or "1"
            suffix = unit[len(num):] or tokens[i + 2]
            scale_ps = int(num) * {"ps": 1, "ns": 1000, "us": 10**6, "ms": 10**9, "s": 10**12}[suffix]
        elif t == "$scope":
            scope.append(tokens[i + 2])
        elif t == "$upscope":
            scope.pop()
        elif t == "$var":
            width, ident, name = int(tokens[i + 2]), tokens[i + 3], tokens[i + 4]
            names[".".join(scope + [name])] = (ident, width)
            changes.setdefault(ident, [])
        i += 1
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("$"):
            continue
        if line[0] == "#":
            time = int(line[1:]) * scale_ps
        elif line[0] in "bB":
            bits, ident = line[1:].split()
            if ident in changes:
                changes[ident].append((time, int(bits.replace("x", "0").replace("z", "0"), 2)))
        elif line[0] in "01xz" and line[1:] in changes:
            changes[line[1:]].append((time, 1 if line[0] == "1" else 0))
    return names, changes


def signal(vcd, suffix, signed=True):
    names, changes = vcd
    hits = [n for n in names if n.endswith(suffix)]
    if not hits:
        raise SystemExit(f"no signal ending in {suffix}")
    ident, width = names[sorted(hits, key=len)[0]]
    out = []
    for t, v in changes[ident]:
        if signed and width > 1 and v >= 1 << (width - 1):
            v -= 1 << width
        out.append((t, v))
    return out


def steps(samples, scale, first_ps, last_ps):
    """Step-function points (t in ns) of samples within [first, last]."""
    pts, last_v = [], None
    for t, v in samples:
        if t < first_ps:
            last_v = v
            continue
        if t > last_ps:
            break
        if last_v is not None:
            pts.append((t / 1000, last_v * scale))
        pts.append((t / 1000, v * scale))
        last_v = v
    if last_v is not None:
        pts.insert(0, (first_ps / 1000, (samples[0][1] if not pts else pts[0][1])))
        pts.append((last_ps / 1000, last_v * scale))
    return pts


def main():
    if len(sys.argv) not in (3, 5):
        raise SystemExit(__doc__)
    trace_dir, out_png = sys.argv[1], sys.argv[2]
    first_ns, last_ns = (float(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) == 5 else (0.0, 400.0)
    first_ps, last_ps = int(first_ns * 1000), int(last_ns * 1000)
    sc = parse_vcd(os.path.join(trace_dir, "cosim_sc.vcd"))
    rtl = parse_vcd(os.path.join(trace_dir, "cosim_rtl_cell.vcd"))
    series = {
        "clk": (signal(sc, ".clk", False), 1.0),
        "rst": (signal(sc, "cell.rst", False), 1.0),
        "step_en": (signal(sc, "cell.step_en", False), 1.0),
        "v": (signal(sc, "cell.v_sc"), 2.0**-11),
        "state_sc": (signal(sc, "cell.state_sc"), 2.0**-30),
        "state_rtl": (signal(sc, "cell.state_rtl"), 2.0**-30),
        "s_next_rtl": (signal(rtl, "ionrail_cell.s_next"), 2.0**-30),
        "current_sc": (signal(sc, "cell.current_sc"), 2.0**-31),
        "current_rtl": (signal(sc, "cell.current_rtl"), 2.0**-31),
    }
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for key, (samples, scale) in series.items():
            files[key] = os.path.join(tmp, key + ".dat")
            with open(files[key], "w") as f:
                for t, v in steps(samples, scale, first_ps, last_ps):
                    f.write(f"{t} {v}\n")
        script = f"""
set terminal pngcairo size 1100,820 font "DejaVu Sans,10" noenhanced
set output "{out_png}"
set multiplot layout 4,1 title "sc_cosim: ionrail::sc::memristor next to the Verilated ionrail_cell (same stimulus; cosim_sc.vcd and cosim_rtl_cell.vcd)"
set xrange [{first_ns}:{last_ns}]
set lmargin 12
set rmargin 30
set grid xtics
set format x ""
set key outside right
set ylabel "logic"
set yrange [-0.2:4.6]
set ytics ("clk" 0.5, "rst" 2, "step_en" 3.5)
plot "{files['clk']}" u 1:($2*0.9) w l lw 1 lc rgb "#555555" t "clk", \\
     "{files['rst']}" u 1:($2*0.9+1.5) w l lw 2 lc rgb "#cc3311" t "rst", \\
     "{files['step_en']}" u 1:($2*0.9+3) w l lw 2 lc rgb "#0077bb" t "step_en"
set ytics auto
set autoscale y
set ylabel "v (V)"
plot "{files['v']}" w l lw 2 lc rgb "#009988" t "v (both)"
set ylabel "state s"
plot "{files['state_sc']}" w l lw 4 lc rgb "#88ccee" t "SystemC state", \\
     "{files['state_rtl']}" w l lw 1.5 lc rgb "#000000" dt 2 t "RTL state", \\
     "{files['s_next_rtl']}" w l lw 1 lc rgb "#ee7733" t "RTL s_next (internal)"
set format x "%g"
set xlabel "time (ns)"
set ylabel "current (uA)"
plot "{files['current_sc']}" w l lw 4 lc rgb "#88ccee" t "SystemC current", \\
     "{files['current_rtl']}" w l lw 1.5 lc rgb "#000000" dt 2 t "RTL current"
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"wrote {out_png}")


if __name__ == "__main__":
    main()
