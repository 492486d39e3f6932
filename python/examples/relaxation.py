"""Relaxation curves from KMC runs: conductance after 4 s pulses of 2.5-10 V
(the paper's fixed-pulse, varying-voltage experiment, experiments/relax_voltage.toml,
with 400 rails so it runs in a few seconds). Writes relaxation.png.

    PYTHONPATH=build/python python3 python/examples/relaxation.py [OUT.png]
"""
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import ionrail  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
config = {
    "material": str(ROOT / "materials" / "polymer.toml"),
    "device": {"rails": 400},
    "protocol": {"kind": "relax", "pulse_s": 4.0, "relax_s": 30.0, "voltage_v": 5.0, "sample_every_s": 0.25},
    "series": {"key": "protocol.voltage_v", "values": [2.5, 5.0, 7.5, 10.0]},
    "sim": {"seed": 11},
    "output": {"plots": False},
}
result = ionrail.run(config)
fig, ax = plt.subplots(figsize=(6, 4))
for v in result["variants"]:
    tr = v["trace"]
    ax.plot(tr["t_s"], tr["g_s"] * 1e6, label=v["label"])
    print(f"{v['label']}: G peak {tr['g_s'].max() * 1e6:.2f} µS, end {tr['g_s'][-1] * 1e6:.2f} µS, "
          f"{v['info']['steps']} steps in {v['wall_s']:.1f} s")
ax.set_xlabel("time (s)")
ax.set_ylabel("G (µS)")
ax.set_title("KMC: relaxation after 4 s pulses")
ax.legend()
out = sys.argv[1] if len(sys.argv) > 1 else "relaxation.png"
fig.tight_layout()
fig.savefig(out, dpi=120)
print("wrote", out)
