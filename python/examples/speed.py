"""Python-call overhead of DeviceBatch against the C++ batch API.

Times, on the same machine in one run, model::step_batch (q_volt raw words),
model::step_batch_volts (volts) and model::read_current_batch called from C++
(the helper ionrail_py_batch_timing) and DeviceBatch.step_raw, step and
read_raw called from Python, for batches of 10^4 to 10^6 devices, and prints a Markdown table
(docs/performance.md). Usage:

    PYTHONPATH=build/python python3 python/examples/speed.py [BIN_DIR]
"""
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

import ionrail

ROOT = pathlib.Path(__file__).resolve().parents[2]
TABLE = ROOT / "tables" / "polymer"


def bin_dir():
    if len(sys.argv) > 1:
        return pathlib.Path(sys.argv[1])
    return pathlib.Path(ionrail._ionrail.__file__).resolve().parents[2] / "bin"


def per_call(fn, repeats):
    for _ in range(3):
        fn()
    best = float("inf")
    for _ in range(3):  # best of three rounds, as noisy neighbours only slow a round down
        t0 = time.perf_counter()
        for _ in range(repeats):
            fn()
        best = min(best, (time.perf_counter() - t0) / repeats)
    return best


def cpp(n, repeats):
    best = {}
    for _ in range(3):
        out = subprocess.run([str(bin_dir() / "ionrail_py_batch_timing"), str(TABLE), str(n), str(repeats)],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            kind, _, _, s = line.split()
            best[kind] = min(best.get(kind, float("inf")), float(s))
    return best


def main():
    t = ionrail.Table.load(str(TABLE))
    print(f"ionrail {ionrail.__version__}, one thread, best of three rounds (seconds per call)\n")
    print("| devices | C++ step_batch | Python step_raw | overhead | C++ step_batch_volts | Python step (float V) "
          "| overhead | C++ read_current_batch | Python read_raw | overhead |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (10_000, 100_000, 1_000_000):
        repeats = max(20, 2_000_000 // n)
        c = cpp(n, repeats)
        d = ionrail.DeviceBatch(t, n, 1, gain_sigma=0.05, initial_state=0.25)
        v = -8.0 + 16.0 * np.arange(n) / n
        raw = np.round(v * 2048).astype(np.int16)
        s_raw = per_call(lambda: d.step_raw(raw), repeats)
        s_f = per_call(lambda: d.step(v), repeats)
        r_raw = per_call(lambda: d.read_raw(raw), repeats)
        print(f"| {n:,} | {c['step'] * 1e6:.1f} µs | {s_raw * 1e6:.1f} µs | {100 * (s_raw / c['step'] - 1):+.1f} % "
              f"| {c['step_volts'] * 1e6:.1f} µs | {s_f * 1e6:.1f} µs | {100 * (s_f / c['step_volts'] - 1):+.1f} % "
              f"| {c['read'] * 1e6:.1f} µs | {r_raw * 1e6:.1f} µs | {100 * (r_raw / c['read'] - 1):+.1f} % |")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
