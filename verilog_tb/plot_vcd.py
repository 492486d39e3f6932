#!/usr/bin/env python3
"""Draws a few signals of a VCD file as a waveform PNG with gnuplot
(pngcairo), for the docs (gtkwave is not needed).

  plot_vcd.py TRACE.vcd OUT.png --from T0 --to T1 SIGNAL[=LABEL[=SCALE[=s]]] ...

SIGNAL is matched against the end of each hierarchical name (a.b.c); the
first match wins. LABEL is the strip's title; SCALE multiplies the value
(e.g. 2^-30 to show a Q1.30 state as a number); a trailing "s" reads the
bits as two's complement. One-bit signals are drawn as logic levels.
"""
import argparse
import os
import subprocess
import sys
import tempfile


def parse_vcd(path, wanted):
    """Returns {name: (width, [(time, int value)])} for the wanted suffixes."""
    ids = {}  # vcd id -> list of wanted names it serves
    widths = {}
    scope = []
    changes = {}
    time = 0
    with open(path) as f:
        in_header = True
        for line in f:
            words = line.split()
            if not words:
                continue
            if in_header:
                if words[0] == "$scope":
                    scope.append(words[2])
                elif words[0] == "$upscope":
                    scope.pop()
                elif words[0] == "$var":
                    width, code, name = int(words[2]), words[3], words[4]
                    full = ".".join(scope + [name])
                    for w in wanted:
                        if w not in widths and (full == w or full.endswith("." + w)):
                            ids.setdefault(code, []).append(w)
                            widths[w] = width
                            changes[w] = []
                elif words[0] == "$enddefinitions":
                    in_header = False
                continue
            c = words[0][0]
            if c == "#":
                time = int(words[0][1:])
            elif c in "01xz" and len(words) == 1:
                for w in ids.get(words[0][1:], []):
                    changes[w].append((time, 1 if c == "1" else 0))
            elif c == "b":
                for w in ids.get(words[1], []):
                    changes[w].append((time, int(words[0][1:].replace("x", "0").replace("z", "0"), 2)))
    missing = [w for w in wanted if w not in widths]
    if missing:
        sys.exit("plot_vcd: not in %s: %s" % (path, ", ".join(missing)))
    return {w: (widths[w], changes[w]) for w in wanted}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vcd")
    ap.add_argument("png")
    ap.add_argument("--from", dest="t0", type=int, default=0)
    ap.add_argument("--to", dest="t1", type=int, required=True)
    ap.add_argument("--title", default="")
    ap.add_argument("signals", nargs="+")
    a = ap.parse_args()
    specs = []
    for s in a.signals:
        parts = s.split("=")
        specs.append((parts[0], parts[1] if len(parts) > 1 else parts[0].split(".")[-1],
                      float(eval(parts[2], {"__builtins__": {}})) if len(parts) > 2 and parts[2] else 1.0,
                      len(parts) > 3 and parts[3] == "s"))
    data = parse_vcd(a.vcd, [s[0] for s in specs])
    tmp = tempfile.mkdtemp(prefix="plot_vcd")
    n = len(specs)
    strip = 1.0 / n
    script = ["set terminal pngcairo size 1000,%d font 'DejaVu Sans,9'" % (70 * n + 60),
              "set output '%s'" % a.png, "set multiplot", "set lmargin at screen 0.16",
              "set rmargin at screen 0.98", "unset key", "set xrange [%d:%d]" % (a.t0, a.t1),
              "set grid xtics lc rgb '#dddddd'", "set format x ''", "set ytics font ',8'"]
    for k, (name, label, scale, signed) in enumerate(specs):
        width, ch = data[name]
        # The value at t0, the changes inside the window, the value at t1.
        rows = [(a.t0, 0)]
        for t, v in ch:
            if signed and width > 1 and v >= 1 << (width - 1):
                v -= 1 << width
            if t <= a.t0:
                rows[0] = (a.t0, v)
            elif t <= a.t1:
                rows.append((t, v))
        rows.append((a.t1, rows[-1][1]))
        values = [v * scale for _, v in rows]
        path = os.path.join(tmp, "s%d.dat" % k)
        with open(path, "w") as f:
            for (t, _), v in zip(rows, values):
                f.write("%d %.10g\n" % (t, v))
        top = 0.975 - k * (0.9 * strip)
        script.append("set tmargin at screen %.4f" % top)
        script.append("set bmargin at screen %.4f" % (top - 0.9 * strip + 0.012))
        script.append("set ylabel \"%s\" rotate by 0 offset -2,0" % label.replace("_", "\\\\_"))
        if width == 1:
            script.append("set yrange [-0.2:1.2]")
            script.append("set ytics ('0' 0, '1' 1)")
        else:
            lo, hi = min(values), max(values)
            pad = (hi - lo) * 0.2 if hi > lo else (abs(hi) * 0.1 or 1.0)
            script.append("set yrange [%.10g:%.10g]" % (lo - pad, hi + pad))
            script.append("set ytics (%s)" % ", ".join("'%.4g' %.10g" % (y, y) for y in sorted({lo, hi})))
        if k == n - 1:
            script.append("set format x '%g'")
            script.append("set xlabel 'time (10 units = 1 clock cycle)'")
        script.append("plot '%s' using 1:2 with steps lw 1.5 lc rgb '#1f4e9c'" % path)
    script.append("unset multiplot")
    gp = os.path.join(tmp, "plot.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gnuplot", gp], check=True)


if __name__ == "__main__":
    main()
