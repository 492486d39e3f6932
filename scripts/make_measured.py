#!/usr/bin/env python3
"""Synthetic "measured" curves for `ionrail fit` (docs/measurements.md).

Runs the KMC with `ionrail run` at KNOWN material parameters on three
protocols, as a lab would measure a device, then adds Gaussian measurement
noise of a stated size, and writes the CSVs `ionrail fit` reads:

  relax_<T>K.csv           t_s,v_v,g_s,g_sigma_s   G(t) during and after a 5 V, 4 s pulse, at each of
                                                   --temperatures (the other curves: the material's)
  relax_waveform.csv       time_s,volts            its applied waveform (the v_v column, sampled every
                                                   0.5 s, would turn the pulse's edges into 0.5 s ramps)
  relax_<T>K_waveform.csv  time_s,volts            the same with every time x the temperature's --time-scales
                                                   factor (pulse, relaxation and reads), where one is given
  sweep.csv                t_s,v_v,i_a,i_sigma_a   I(t) of one 0 -> 3 V -> -3 V -> 0 triangle at 0.5 V/s
  train.csv                t_s,g_s,g_sigma_s       G read between pulses of a potentiation/depression train
  train_waveform.csv       time_s,volts            the train's applied waveform (the file of [[fit.curve]] waveform)
  truth.json               the true parameters, the noise, the seeds and rails used

Noise: each curve's points get independent N(0, sigma) with
sigma = --noise times the curve's range (max - min of the noise-free KMC
curve), the sigma column says so. The KMC "device" is its own ensemble
(--rails rails, seed --seed), so its intrinsic fluctuations are in the data
too, as they would be in a measured device.

Only the Python standard library; `ionrail` does the physics.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile


def waveform_relax(scale=1.0):
    # 0 V for 1 s, a 5 V pulse of 4 s, then 0 V until 30 s; every time x scale.
    return [(scale * t, v) for t, v in
            [(0.0, 0.0), (1.0, 0.0), (1.0 + 1e-6, 5.0), (5.0, 5.0), (5.0 + 1e-6, 0.0), (30.0, 0.0)]]


def waveform_sweep():
    # One triangle 0 -> +3 -> 0 -> -3 -> 0 V at 0.5 V/s (24 s).
    return [(0.0, 0.0), (6.0, 3.0), (12.0, 0.0), (18.0, -3.0), (24.0, 0.0)]


def waveform_train(n_pot=10, n_dep=10, v_pot=4.0, v_dep=-4.0, width=0.4, gap=0.6, read=0.1):
    """Pulses of `width` s separated by `gap` s at the read voltage; returns
    the waveform and the read times: one before the first pulse and the
    middle of each gap, on whole multiples of the period width + gap, so
    that the run's trace (sample_every_s = the period) holds a row at every
    read and at no other time (see at_times)."""
    period = width + gap
    pts = [(0.0, read)]
    reads = [period]
    t = period + gap / 2
    for k in range(n_pot + n_dep):
        v = v_pot if k < n_pot else v_dep
        pts += [(t, read), (t + 1e-6, v), (t + width, v), (t + width + 1e-6, read)]
        t += period
        reads.append(period * (k + 2))
    pts.append((t, read))
    return pts, reads, period


def write_waveform(path, pts):
    with open(path, "w") as f:
        f.write("time_s,volts\n")
        for t, v in pts:
            f.write(f"{t:.9g},{v:.9g}\n")


def run_kmc(ionrail, material, wave_csv, sample_every, sets, seed, workdir, name):
    run_toml = os.path.join(workdir, name + ".toml")
    with open(run_toml, "w") as f:
        f.write(f'material = "{os.path.abspath(material)}"\n\n[protocol]\nkind = "waveform"\n'
                f'waveform_csv = "{os.path.abspath(wave_csv)}"\nsample_every_s = {sample_every}\n'
                # the default zone-profile snapshots (quarters of the protocol) would add
                # trace rows, and so sync step ends, between the reported times (at_times)
                f'profile_times_s = [0.0]\n\n'
                f'[output]\nplots = false\n')
    out = os.path.join(workdir, name + "_out")
    cmd = ["nice", "-n", "19", ionrail, "run", run_toml, "--out", out, "--seed", str(seed), "--quiet", "--force"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    rows = []
    with open(os.path.join(out, "trace.csv")) as f:
        for r in csv.DictReader(f):
            rows.append({k: float(v) for k, v in r.items()})
    return rows


def at_times(rows, times, key):
    """The trace's value of `key` at each time. The trace must hold a row at
    every one of them and at no other time between 0 and the last: the sync
    solver shortens its step to end on every sample time, so a run sampled
    more densely than the curve it reports is a (slightly) different
    discretisation from the fit's model, which samples only the reported
    times, and the synthetic device would not be the process the fit
    assumes (a train read every 1 s from a trace sampled every 0.1 s biased
    the fitted hop rate low by about 1 sigma)."""
    wanted = sorted(times)
    for r in rows:
        if 0.0 < r["t_s"] <= wanted[-1] + 1e-6 and min(abs(r["t_s"] - t) for t in wanted) > 1e-6:
            sys.exit(f"make_measured: the trace has a row at t = {r['t_s']} s that is not a reported time: "
                     "sample the run only at the reported times")
    out = []
    for t in times:
        best = min(rows, key=lambda r: abs(r["t_s"] - t))
        if abs(best["t_s"] - t) > 1e-6:
            sys.exit(f"make_measured: no trace row at t = {t} s (nearest {best['t_s']})")
        out.append((best["t_s"], best["v"], best[key]))
    return out


def noisy(points, noise, rng):
    values = [p[2] for p in points]
    sigma = noise * (max(values) - min(values))
    return [(t, v, y + rng.gauss(0.0, sigma), sigma) for t, v, y in points], sigma


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ionrail", default="build/bin/ionrail")
    ap.add_argument("--material", default="materials/polymer.toml")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=101, help="seed of the KMC 'device' and of the noise")
    ap.add_argument("--rails", type=int, default=2000, help="rails of the KMC 'device'")
    ap.add_argument("--noise", type=float, default=0.01, help="noise sigma as a fraction of each curve's range")
    ap.add_argument("--temperatures", type=lambda x: [float(t) for t in x.split(",")], default=[300.0],
                    help="temperatures (K) of the relaxation curve, comma-separated (e.g. 300,330)")
    ap.add_argument("--time-scales", type=lambda x: dict((float(k), float(v)) for k, v in
                                                          (kv.split(":") for kv in x.split(","))), default={},
                    help="per temperature, a factor on the relaxation protocol's times (pulse, reads), e.g. "
                         "280:5,320:0.2: an experimenter slows or speeds the protocol with the device so that every "
                         "temperature's relaxation is resolved (default 1)")
    ap.add_argument("--set", action="append", default=[], dest="sets",
                    help="a true parameter, as `ionrail run --set` takes it (species[0].activation_energy_ev=0.75)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    sets = [f"device.rails={a.rails}"] + a.sets
    with tempfile.TemporaryDirectory(prefix="ionrail_measured_") as work:
        s_relax = {}
        for k, temp in enumerate(a.temperatures):
            scale = a.time_scales.get(temp, 1.0)
            wave_name = "relax_waveform.csv" if scale == 1.0 else f"relax_{temp:g}K_waveform.csv"
            w = os.path.join(a.out, wave_name)
            write_waveform(w, waveform_relax(scale))
            rows = run_kmc(a.ionrail, a.material, w, 0.5 * scale, sets + [f"device.temperature_k={temp:g}"],
                           a.seed + 10 + k, work, f"relax_{temp:g}K")
            pts, s_relax[f"{temp:g}K"] = noisy(at_times(rows, [0.5 * scale * j for j in range(61)], "g_s"), a.noise,
                                               rng)
            with open(os.path.join(a.out, f"relax_{temp:g}K.csv"), "w") as f:
                f.write(f"# G(t) of a 5 V, {4 * scale:g} s pulse from t = {scale:g} s at {temp:g} K ({wave_name}); "
                        f"synthetic: ionrail KMC + N(0, {a.noise} x range) noise\n")
                f.write("t_s,v_v,g_s,g_sigma_s\n")
                for t, v, y, sg in pts:
                    f.write(f"{t:.9g},{v:.9g},{y:.9g},{sg:.6g}\n")

        w = os.path.join(work, "sweep_wave.csv")
        write_waveform(w, waveform_sweep())
        rows = run_kmc(a.ionrail, a.material, w, 0.25, sets, a.seed + 1, work, "sweep")
        pts, s_sweep = noisy(at_times(rows, [0.25 * k for k in range(97)], "i_a"), a.noise, rng)
        with open(os.path.join(a.out, "sweep.csv"), "w") as f:
            f.write(f"# I(t) of a 0.5 V/s triangle to +-3 V; synthetic: ionrail KMC + N(0, {a.noise} x range) noise\n")
            f.write("t_s,v_v,i_a,i_sigma_a\n")
            for t, v, y, s in pts:
                f.write(f"{t:.9g},{v:.9g},{y:.9g},{s:.6g}\n")

        train, reads, period = waveform_train()
        write_waveform(os.path.join(a.out, "train_waveform.csv"), train)
        rows = run_kmc(a.ionrail, a.material, os.path.join(a.out, "train_waveform.csv"), period, sets, a.seed + 2,
                       work, "train")
        pts, s_train = noisy(at_times(rows, reads, "g_s"), a.noise, rng)
        with open(os.path.join(a.out, "train.csv"), "w") as f:
            f.write(f"# G read at 0.1 V between 4 V / -4 V pulses (train_waveform.csv); synthetic: ionrail KMC + "
                    f"N(0, {a.noise} x range) noise\n")
            f.write("t_s,g_s,g_sigma_s\n")
            for t, v, y, s in pts:
                f.write(f"{t:.9g},{y:.9g},{s:.6g}\n")

    truth = {"material": a.material, "true_parameters": a.sets, "device_rails": a.rails, "seed": a.seed,
             "noise": f"independent Gaussian, sigma = {a.noise} x each curve's range",
             "relax_temperatures_k": a.temperatures,
             "relax_time_scales": {f"{t:g}K": a.time_scales.get(t, 1.0) for t in a.temperatures},
             "sigma": {"relax_g_s": s_relax, "sweep_i_a": s_sweep, "train_g_s": s_train},
             "generator": "scripts/make_measured.py (ionrail run, waveform protocol)"}
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
