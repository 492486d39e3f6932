#!/usr/bin/env python3
"""Synthetic "measured" pulse trains for a table built from measured data
(`ionrail calibrate` on a [measured_table] file, docs/measurements.md).

Runs the KMC with `ionrail run` (waveform protocol) as a lab would pulse and
read a device, then adds Gaussian read noise of a stated size, and writes the
CSVs [[measured_table.train]] reads (t_s,v_v,width_s,g_s: the conductance read
at t_s after a pulse of v_v volts lasting width_s that started at the previous
read):

  train_<A>V.csv   for each amplitude A of --amplitudes: blocks that set a start
                   state (--reset pulses of -set_v, then a random number up to
                   --set-max of +set_v, so that the starts spread over the
                   range), then 2 x --pulses pulses of +-A in random order, read
                   after each; after every third block a retention trace (reads
                   every --retention-every s for --retention-s s at 0 V)
  heldout.csv      a random train over every amplitude (and the amplitudes
                   halfway between them, which no build train has), with
                   retention traces, from its own KMC seed: the table's
                   held-out check
  truth.json       the material, rails, seeds, noise and protocol

Every pulse is --width s (the table's model step should be a divisor) and is
read --read-delay s after it starts; reads are at 0 V (the KMC's conductance
is its state's). Noise: each read gets independent N(0, sigma) with sigma =
--noise x the range of every noise-free read (stated in truth.json).

Only the Python standard library; `ionrail` does the physics.
"""
import argparse
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_measured import run_kmc, write_waveform  # noqa: E402


def build_protocol(events, width):
    """events: list of (kind, value): ("pulse", V) read after, ("wait", seconds) then read.
    Returns the waveform points, the read times and, per read, (V, width) of its pulse."""
    pts = [(0.0, 0.0)]
    t = 0.1
    reads = [(t, 0.0, 0.0)]
    for kind, value in events:
        if kind == "pulse":
            pts += [(t, 0.0), (t + 1e-6, value), (t + width, value), (t + width + 1e-6, 0.0)]
            t = round(t + 2 * width, 9)
            reads.append((t, value, width))
        else:
            t = round(t + value, 9)
            reads.append((t, 0.0, 0.0))
    pts.append((t + 1.0, 0.0))
    return pts, reads


def retention(a):
    n = int(round(a.retention_s / a.retention_every))
    return [("wait", a.retention_every)] * n


def set_state(a, rng):
    """Reset to the low end (--reset pulses of -set_v), then a random number of +set_v pulses: a block's start
    state, spread over the whole range."""
    return [("pulse", -a.set_v)] * a.reset + [("pulse", a.set_v)] * rng.randint(0, a.set_max)


def amplitude_events(amp, a, rng):
    ev = []
    for block in range(a.blocks):
        ev += set_state(a, rng)
        ev += [("pulse", rng.choice([-1, 1]) * amp) for _ in range(2 * a.pulses)]
        if block % 3 == 2:
            ev += retention(a)
    return ev


def heldout_events(amps, a, rng):
    levels = sorted(set(amps + [0.5 * (x + y) for x, y in zip(amps, amps[1:])]))
    ev = []
    for block in range(a.blocks // 2):
        ev += set_state(a, rng)
        ev += [("pulse", rng.choice([-1, 1]) * rng.choice(levels)) for _ in range(2 * a.pulses)]
        if block % 2 == 1:
            ev += retention(a)
    return ev


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ionrail", default="build/bin/ionrail")
    ap.add_argument("--material", default="materials/polymer_thin.toml")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=201, help="seed of the KMC 'device' runs and of the noise")
    ap.add_argument("--rails", type=int, default=2000, help="rails of the KMC 'device'")
    ap.add_argument("--noise", type=float, default=0.01, help="read noise sigma as a fraction of the reads' range")
    ap.add_argument("--amplitudes", type=lambda x: [float(v) for v in x.split(",")], default=[4.0, 5.0, 6.0, 7.0, 8.0])
    ap.add_argument("--width", type=float, default=0.05, help="pulse width (s)")
    ap.add_argument("--pulses", type=int, default=15, help="a block's pulses of random sign: twice this many")
    ap.add_argument("--blocks", type=int, default=24, help="blocks per amplitude train (the held-out: half)")
    ap.add_argument("--set-v", type=float, default=8.0, help="the pulses that set a block's starting state")
    ap.add_argument("--reset", type=int, default=10, help="pulses of -set_v that start a block from the low end")
    ap.add_argument("--set-max", type=int, default=30, help="then at most this many of +set_v")
    ap.add_argument("--retention-s", type=float, default=20.0)
    ap.add_argument("--retention-every", type=float, default=1.0)
    ap.add_argument("--set", action="append", default=[], dest="sets",
                    help="a material key of the 'device', as `ionrail run --set` takes it (readout.g1_s=3e-5)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    sets = [f"device.rails={a.rails}"] + a.sets
    trains = {}
    for k, amp in enumerate(a.amplitudes):
        trains[f"train_{amp:g}V"] = (amplitude_events(amp, a, rng), a.seed + 1 + k)
    trains["heldout"] = (heldout_events(a.amplitudes, a, rng), a.seed + 100)
    clean = {}
    with tempfile.TemporaryDirectory(prefix="ionrail_pulses_") as work:
        for name, (events, seed) in trains.items():
            pts, reads = build_protocol(events, a.width)
            wave = os.path.join(work, name + "_wave.csv")
            write_waveform(wave, pts)
            rows = run_kmc(a.ionrail, a.material, wave, a.width, sets, seed, work, name)
            by_time = {round(r["t_s"], 6): r for r in rows}
            values = []
            for t, v, w in reads:
                r = by_time.get(round(t, 6))
                if r is None:
                    sys.exit(f"make_pulse_trains: no trace row at t = {t} s")
                values.append((t, v, w, r["g_s"]))
            clean[name] = values
    every = [g for vals in clean.values() for (_, _, _, g) in vals]
    sigma = a.noise * (max(every) - min(every))
    for name, vals in clean.items():
        with open(os.path.join(a.out, name + ".csv"), "w") as f:
            f.write(f"# {name}: reads after pulses of {a.width:g} s (scripts/make_pulse_trains.py); synthetic: ionrail "
                    f"KMC ({a.material}, {a.rails} rails) + N(0, {sigma:.4g} S) read noise\n")
            f.write("t_s,v_v,width_s,g_s\n")
            for t, v, w, g in vals:
                f.write(f"{t:.9g},{v:.9g},{w:.9g},{g + rng.gauss(0.0, sigma):.9g}\n")
    truth = {"material": a.material, "set": a.sets, "device_rails": a.rails, "seed": a.seed, "amplitudes_v": a.amplitudes,
             "width_s": a.width, "pulses_per_block": a.pulses, "blocks": a.blocks, "set_v": a.set_v,
             "retention_s": a.retention_s, "retention_every_s": a.retention_every,
             "read_noise": {"sigma_s": sigma, "rule": f"independent Gaussian, sigma = {a.noise} x the range of every "
                                                     "noise-free read"},
             "generator": "scripts/make_pulse_trains.py (ionrail run, waveform protocol)"}
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
