#!/usr/bin/env python3
"""ctest make_measured_sampling: scripts/make_measured.py samples each KMC
run only at the times it reports (its at_times refuses a trace with a row
between them), so the synthetic device is the process `ionrail fit`'s
model simulates; the sync solver ends a step on every sample time, and a
train read every 1 s from a trace sampled every 0.1 s had biased the
fitted hop rate low by about 1 sigma (docs/measurements.md).

  make_measured_check.py IONRAIL SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

ionrail, src = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "scripts"))
import make_measured  # noqa: E402

rows = [{"t_s": t, "v": 0.0, "g_s": 1e-5 + t} for t in (0.0, 1.0, 1.5, 2.0, 3.0)]
# The reported times 0..2 with a row at 1.5 between them: refused.
try:
    make_measured.at_times(rows, [0.0, 1.0, 2.0], "g_s")
    sys.exit("FAIL: at_times accepted a trace with a row between the reported times")
except SystemExit as e:
    if "not a reported time" not in str(e.code):
        raise
# Rows after the last reported time do not matter (no step before it ends there).
got = make_measured.at_times(rows, [0.0, 1.0, 1.5], "g_s")
assert [p[0] for p in got] == [0.0, 1.0, 1.5], got
# A missing reported time: refused.
try:
    make_measured.at_times(rows, [0.0, 0.5], "g_s")
    sys.exit("FAIL: at_times accepted a reported time with no trace row")
except SystemExit as e:
    if "no trace row" not in str(e.code):
        raise
# The train's reads fall on whole periods.
_, reads, period = make_measured.waveform_train()
assert all(abs(r / period - round(r / period)) < 1e-9 for r in reads), reads

# Every protocol of a real run passes the check (a small device: the check is on the sampling).
with tempfile.TemporaryDirectory(prefix="ionrail_make_measured_") as out:
    subprocess.run([sys.executable, os.path.join(src, "scripts/make_measured.py"), "--ionrail", ionrail,
                    "--material", os.path.join(src, "materials/polymer.toml"), "--out", out, "--rails", "50",
                    "--seed", "3", "--temperatures", "280,300,320", "--time-scales", "280:5,320:0.2"], check=True)
    for name in ("relax_280K.csv", "relax_300K.csv", "relax_320K.csv", "sweep.csv", "train.csv"):
        assert os.path.getsize(os.path.join(out, name)) > 0, name
print("make_measured_check: passed")
