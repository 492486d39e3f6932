#!/usr/bin/env python3
"""Coverage of `ionrail fit`'s reported uncertainties over independent data sets.

For each seed: scripts/make_measured.py makes the three curves of
experiments/measured/polymer.toml from a KMC "device" at the known parameters
(Ea = 0.75 eV, g0 = 1.2e-5 S, g1 = 1.3e-4 S; 10000 rails, 1 % Gaussian noise)
with that seed, and `ionrail fit` fits them with the example's settings (its
own evaluation seed varied too). A parameter counts as recovered when
|fitted - true| <= 2 sigma (its 95 % interval). Exit 1 unless every
parameter is identifiable and recovered in at least --need of --seeds seeds
(statistical tolerance: with exact 95 % intervals, 9 of 10 or more happens
with probability 0.91 per parameter).

With --degenerate the fits are those of polymer_degenerate.toml (Ea, the
attempt frequency and g1 from the same curves, g0 given): Ea and nu0 are
expected not identifiable, and what is counted is g1 and the hop rate the
fit reports (fit.json arrhenius: nu0 exp(-Ea / kB T) at 300 K, true
1e13 exp(-0.75 / kB 300) Hz) within 2 sigma.

With --arrhenius the fits are those of polymer_arrhenius.toml (relaxations
at 280, 300 and 320 K, the sweep and the train at 300 K; Ea, nu0 and g1
fitted, g0 given): all three must be identifiable and recovered (true nu0
1e13 Hz), and the hop rate at T_ref is counted too.
"""
import math
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TRUTH = {"activation_energy_ev": 0.75, "g0_s": 1.2e-5, "g1_s": 1.3e-4}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ionrail", default="build/bin/ionrail")
    ap.add_argument("--source", default=".", help="the project's source directory")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first", type=int, default=1, help="the first data set's number (data seed 100 + it)")
    ap.add_argument("--need", type=int, default=9)
    ap.add_argument("--degenerate", action="store_true", help="polymer_degenerate.toml: g1 and the fitted hop rate")
    ap.add_argument("--arrhenius", action="store_true",
                    help="polymer_arrhenius.toml: Ea, nu0 and g1 from curves at 280, 300 and 320 K")
    ap.add_argument("--need-pair", type=int, default=None,
                    help="with --arrhenius: the bar for Ea and nu0 alone (default --need); measured 9 of 10 on "
                         "data sets 1-10, 18 of 20 on 1-20 (docs/measurements.md)")
    a = ap.parse_args()
    src = os.path.abspath(a.source)
    name = "polymer_degenerate.toml" if a.degenerate else "polymer_arrhenius.toml" if a.arrhenius else "polymer.toml"
    with open(os.path.join(src, "experiments/measured", name)) as f:
        example = f.read()
    truth = dict(TRUTH)
    subdir, extra = "polymer", []
    if a.degenerate:
        truth = {"g1_s": 1.3e-4, "hop_rate_300K": 1e13 * math.exp(-0.75 / (8.617333262e-5 * 300))}
    if a.arrhenius:
        truth = {"activation_energy_ev": 0.75, "attempt_frequency_hz": 1e13, "g1_s": 1.3e-4, "hop_rate_t_ref": None}
        subdir, extra = "arrhenius", ["--temperatures", "280,300,320", "--time-scales", "280:5,320:0.2"]
    example = example.replace('material = "../../materials/polymer.toml"',
                              f'material = "{os.path.join(src, "materials/polymer.toml")}"')
    hits = {k: 0 for k in truth}
    rows = []
    with tempfile.TemporaryDirectory(prefix="ionrail_coverage_") as work:
        for seed in range(a.first, a.first + a.seeds):
            data = os.path.join(work, f"s{seed}")
            subprocess.run([sys.executable, os.path.join(src, "scripts/make_measured.py"), "--ionrail", a.ionrail,
                            "--material", os.path.join(src, "materials/polymer.toml"), "--out",
                            os.path.join(data, subdir), "--rails", "10000", "--seed", str(100 + seed),
                            "--set", "species[0].activation_energy_ev=0.75", "--set", "readout.g0_s=1.2e-5",
                            "--set", "readout.g1_s=1.3e-4"] + extra, check=True)
            toml = os.path.join(data, "polymer.toml")
            with open(toml, "w") as f:
                f.write(re.sub(r"(?m)^seed = 7\b", f"seed = {1000 + seed}", example))
            out = os.path.join(data, "out")
            subprocess.run(["nice", "-n", "19", a.ionrail, "fit", toml, "--out", out, "--quiet"], check=True)
            with open(os.path.join(out, "fit.json")) as f:
                fit = json.load(f)
            row = [seed, fit["cost"]["wall_s"]]
            if a.degenerate:
                ar = fit["arrhenius"]
                t = truth["hop_rate_300K"]
                sigma = ar["rate_relative_uncertainty"] * ar["rate_hz"]
                ok = abs(ar["t_ref_k"] - 300) < 1e-9 and abs(ar["rate_hz"] - t) <= 2 * sigma
                hits["hop_rate_300K"] += ok
                row.append(f'rate {ar["rate_hz"]:.5g} ± {sigma:.3g} Hz ({(ar["rate_hz"] - t) / sigma:+.2f} σ)')
            if a.arrhenius:
                ar = fit["arrhenius"]
                t = 1e13 * math.exp(-0.75 / (8.617333262e-5 * ar["t_ref_k"]))
                sigma = ar["rate_relative_uncertainty"] * ar["rate_hz"]
                hits["hop_rate_t_ref"] += abs(ar["rate_hz"] - t) <= 2 * sigma
                row.append(f'rate at {ar["t_ref_k"]:.1f} K {ar["rate_hz"]:.5g} ± {sigma:.3g} Hz '
                           f'({(ar["rate_hz"] - t) / sigma:+.2f} σ)')
            for p in fit["parameters"]:
                if p["name"] not in truth:
                    continue
                t = truth[p["name"]]
                ok = p["identifiable"] and abs(p["value"] - t) <= 2 * p["uncertainty"]
                hits[p["name"]] += ok
                row.append(f'{p["value"]:.6g} ± {p["uncertainty"] if p["uncertainty"] is not None else float("inf"):.3g}'
                           f' ({(p["value"] - t) / p["uncertainty"] if p["uncertainty"] else float("inf"):+.2f} σ)')
            rows.append(row)
            print(f"seed {seed}: {row[1]:.1f} s; " + "; ".join(row[2:]), flush=True)
    print("recovered within 2 sigma: " + ", ".join(f"{k} {v}/{a.seeds}" for k, v in hits.items()))
    pair = ("activation_energy_ev", "attempt_frequency_hz") if a.arrhenius else ()
    need_pair = a.need if a.need_pair is None else a.need_pair
    if any(v < (need_pair if k in pair else a.need) for k, v in hits.items()):
        print(f"fit_coverage: FAILED: fewer than {a.need} of {a.seeds}" +
              (f" ({need_pair} for Ea and nu0)" if pair else ""))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
