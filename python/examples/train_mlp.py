"""A small MLP (64-32-10) on the 8x8 digits with both layers analog
(ionrail.torch.AnalogLinear on tables/polymer_thin: DAC/ADC, device noise and
variation, updates as V/2 device pulses), next to the same MLP in float
PyTorch (SGD). Prints test accuracy per epoch and writes train_mlp.png.

    PYTHONPATH=build/python python3 python/examples/train_mlp.py [--rule manhattan|pulse_train] [--epochs N]
"""
import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import ionrail  # noqa: E402
from ionrail.torch import AnalogLinear  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
p = argparse.ArgumentParser()
p.add_argument("--rule", default="manhattan", choices=["manhattan", "pulse_train"])
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--hidden", type=int, default=32)
p.add_argument("--out", default="train_mlp.png")
a = p.parse_args()

x, y = ionrail.load_digits(ROOT / "data" / "digits.csv.gz")
train, test = ionrail.split_digits(y, 450, 1)
x = torch.from_numpy(x / 16.0)
y = torch.from_numpy(y)
xtr, ytr, xte, yte = x[train], y[train], x[test], y[test]
table = ionrail.Table.load(ROOT / "tables" / "polymer_thin")
torch.manual_seed(0)

hidden = AnalogLinear(64, a.hidden, table, rule=a.rule, seed=1, gain_sigma=0.05, offset_sigma_s=0.5e-6)
output = AnalogLinear(a.hidden, 10, table, rule=a.rule, seed=2, gain_sigma=0.05, offset_sigma_s=0.5e-6)


def analog(inp):
    return output(torch.sigmoid(hidden(inp) / 4))


baseline = torch.nn.Sequential(torch.nn.Linear(64, a.hidden), torch.nn.Sigmoid(), torch.nn.Linear(a.hidden, 10)).double()
opt = torch.optim.SGD(baseline.parameters(), lr=0.1)


def accuracy(model):
    with torch.no_grad():
        return (model(xte).argmax(1) == yte).double().mean().item()


hist = {"analog": [], "float": []}
for epoch in range(1, a.epochs + 1):
    energy = 0.0
    for i in torch.randperm(len(xtr)):
        xi, yi = xtr[i:i + 1], ytr[i:i + 1]
        torch.nn.functional.cross_entropy(analog(xi), yi).backward()
        energy += output.apply_pulses() + hidden.apply_pulses()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(baseline(xi), yi).backward()
        opt.step()
    hist["analog"].append(accuracy(analog))
    hist["float"].append(accuracy(baseline))
    print(f"epoch {epoch}: test accuracy analog ({a.rule}) {hist['analog'][-1]:.3f}, float PyTorch "
          f"{hist['float'][-1]:.3f}; write energy {energy * 1e9:.2f} nJ", flush=True)

fig, ax = plt.subplots(figsize=(5, 3.5))
epochs = range(1, a.epochs + 1)
ax.plot(epochs, hist["analog"], "o-", label=f"analog crossbars ({a.rule})")
ax.plot(epochs, hist["float"], "s--", label="float PyTorch")
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1)
ax.legend()
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print("wrote", a.out)
