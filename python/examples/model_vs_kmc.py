"""The compact model against KMC: a 5 V, 4 s pulse and 30 s of relaxation,
once with the KMC engine (the material the table was calibrated from) and
once with 1000 compact-model devices of tables/polymer stepped by
DeviceBatch (mean and spread). Writes model_vs_kmc.png.

    PYTHONPATH=build/python python3 python/examples/model_vs_kmc.py [OUT.png]
"""
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import ionrail  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
TABLE = ROOT / "tables" / "polymer"
PULSE_S, RELAX_S, VOLT = 4.0, 30.0, 5.0

kmc = ionrail.run({
    "material": str(ROOT / "materials" / "polymer.toml"),
    "device": {"rails": 400},
    "protocol": {"kind": "relax", "pulse_s": PULSE_S, "relax_s": RELAX_S, "voltage_v": VOLT, "sample_every_s": 0.25},
    "sim": {"seed": 3},
    "output": {"plots": False},
})["variants"][0]["trace"]

table = ionrail.Table.load(TABLE)
dt = ionrail.table_metadata(TABLE, "dt_m_s")
s_eq = ionrail.table_metadata(TABLE, "s_eq")
devices = ionrail.DeviceBatch(table, 1000, seed=1, gain_sigma=0.02, initial_state=s_eq)
steps = int(round((PULSE_S + RELAX_S) / dt))
t, mean, lo, hi = [], [], [], []
for k in range(steps + 1):
    g = devices.conductance
    t.append(k * dt)
    mean.append(g.mean())
    lo.append(np.percentile(g, 10))
    hi.append(np.percentile(g, 90))
    devices.step(VOLT if k * dt < PULSE_S else 0.0)

fig, ax = plt.subplots(figsize=(6, 4))
ax.fill_between(t, np.array(lo) * 1e6, np.array(hi) * 1e6, alpha=0.3, label="model 10-90 %")
ax.plot(t, np.array(mean) * 1e6, label="compact model, mean of 1000")
ax.plot(kmc["t_s"], kmc["g_s"] * 1e6, "k", lw=1, label="KMC (400 rails)")
ax.set_xlabel("time (s)")
ax.set_ylabel("G (µS)")
ax.set_title(f"{VOLT:g} V, {PULSE_S:g} s pulse: model vs KMC")
ax.legend()
out = sys.argv[1] if len(sys.argv) > 1 else "model_vs_kmc.png"
fig.tight_layout()
fig.savefig(out, dpi=120)
kmc_end = kmc["g_s"][-1]
print(f"G at the end: KMC {kmc_end * 1e6:.3f} µS, model {mean[-1] * 1e6:.3f} µS; wrote {out}")
