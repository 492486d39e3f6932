"""An MLP on MNIST (data/mnist10k) with both layers analog
(ionrail.torch.AnalogLinear on tables/polymer_thin: DAC/ADC, device noise and
variation, updates as V/2 device pulses), next to the same MLP in float
PyTorch (SGD, lr 0.1). Prints test accuracy per epoch and writes
train_mnist.png.

Split: the fixed shuffle of data/mnist10k/README.md,
``numpy.random.default_rng(1).permutation(10000)``; its first 8,000 indices
are the training set, its last 2,000 the test set. ``--train N`` trains on
the first N of the 8,000 (default all); the test set is always the 2,000.

Inputs: 2x2 average pooling to 14x14 = 196 pixels by default, scaled to
[0, 1]. ``--pool 1`` keeps the 784 pixels: three times the time per digit
and, after one epoch of 2,000 digits, 0.43 instead of 0.69 test accuracy
(Manhattan). The MLP is 196-H-10 (H = ``--hidden``, 64), sigmoid hidden
units centred and scaled once by a digital periphery, as in train_mlp.py;
the rules and the pulse_train learning rates (0.2 hidden, 0.5 output, x0.3
per epoch) are those of train_mlp.py. With the defaults (8,000 digits, 3
epochs) a run takes about 30 s (Manhattan) or 50 s (pulse_train) on two
cores.

    PYTHONPATH=build/python python3 python/examples/train_mnist.py [--rule manhattan|pulse_train]
        [--epochs N] [--train N] [--pool 1|2|4] [--seed S]
"""
import argparse
import pathlib
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import ionrail  # noqa: E402
from ionrail.torch import AnalogLinear  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
p = argparse.ArgumentParser()
p.add_argument("--rule", default="manhattan", choices=["manhattan", "pulse_train"])
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--train", type=int, default=8000, help="training digits per epoch (of 8,000)")
p.add_argument("--pool", type=int, default=2, choices=[1, 2, 4], help="average pooling (1: 784 inputs)")
p.add_argument("--hidden", type=int, default=64)
p.add_argument("--hidden-threshold", type=float, default=0.02)
p.add_argument("--lr-hidden", type=float, default=0.2, help="pulse_train: the hidden layer's learning_rate")
p.add_argument("--lr-output", type=float, default=0.5, help="pulse_train: the output layer's learning_rate")
p.add_argument("--lr-decay", type=float, default=0.3, help="pulse_train: learning_rate factor per epoch")
p.add_argument("--init-writes", type=int, default=40)
p.add_argument("--seed", type=int, default=0, help="training order and the pulse draws")
p.add_argument("--out", default="train_mnist.png")
a = p.parse_args()
t0 = time.time()

images, labels = ionrail.load_mnist(ROOT / "data" / "mnist10k", dtype=np.float64)
n = len(labels)
images = images.reshape(n, 28 // a.pool, a.pool, 28 // a.pool, a.pool).mean(axis=(2, 4)).reshape(n, -1)
perm = np.random.default_rng(1).permutation(n)
train, test = perm[:8000][:a.train], perm[8000:]
x, y = torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))
xtr, ytr, xte, yte = x[train], y[train], x[test], y[test]
n_in = x.shape[1]

table = ionrail.Table.load(ROOT / "tables" / "polymer_thin")
dt_m_s = ionrail.table_metadata(ROOT / "tables" / "polymer_thin", "dt_m_s")
torch.manual_seed(a.seed)
hidden = AnalogLinear(n_in, a.hidden, table, rule=a.rule, seed=1 + 2 * a.seed, gain_sigma=0.05, offset_sigma_s=0.5e-6,
                      error_threshold=a.hidden_threshold, dt_m_s=dt_m_s, learning_rate=a.lr_hidden, normalize=True)
output = AnalogLinear(a.hidden, 10, table, rule=a.rule, seed=2 + 2 * a.seed, gain_sigma=0.05, offset_sigma_s=0.5e-6,
                      dt_m_s=dt_m_s, learning_rate=a.lr_output, normalize=True)
# Random initial hidden weights, written as device pulses: random rows x random columns, random signs.
rng = torch.Generator().manual_seed(1)
for _ in range(a.init_writes):
    rows = (torch.rand(n_in + 1, generator=rng) < 0.5).int().tolist()
    dirs = (torch.randint(0, 3, (a.hidden,), generator=rng) - 1).tolist()
    hidden.xbar.write_outer(rows, dirs, 8.0)

# Digital periphery between the layers: each hidden column is centred and
# scaled once, from the training digits after the random initial writes.
with torch.no_grad():
    h0 = hidden(xtr)
    mu, sd = h0.mean(0), h0.std(0) + 1e-9


def analog(inp):
    return output(torch.sigmoid((hidden(inp) - mu) / sd))


baseline = torch.nn.Sequential(torch.nn.Linear(n_in, a.hidden), torch.nn.Sigmoid(),
                               torch.nn.Linear(a.hidden, 10)).double()
opt = torch.optim.SGD(baseline.parameters(), lr=0.1)


def accuracy(model):
    with torch.no_grad():
        return (model(xte).argmax(1) == yte).double().mean().item()


print(f"{len(xtr)} training and {len(xte)} test digits, {n_in} inputs, MLP {n_in}-{a.hidden}-10, rule {a.rule}",
      flush=True)
hist = {"analog": [], "float": []}
for epoch in range(1, a.epochs + 1):
    energy = 0.0
    for i in torch.randperm(len(xtr)):
        xi, yi = xtr[i:i + 1], ytr[i:i + 1]
        torch.nn.functional.cross_entropy(analog(xi), yi).backward()
        energy += output.apply_pulses()
        energy += hidden.apply_pulses()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(baseline(xi), yi).backward()
        opt.step()
    hidden.learning_rate *= a.lr_decay
    output.learning_rate *= a.lr_decay
    hist["analog"].append(accuracy(analog))
    hist["float"].append(accuracy(baseline))
    print(f"epoch {epoch}: test accuracy analog ({a.rule}) {hist['analog'][-1]:.3f}, float PyTorch "
          f"{hist['float'][-1]:.3f}; write energy {energy:.3g} J; {time.time() - t0:.0f} s", flush=True)

fig, ax = plt.subplots(figsize=(5, 3.5))
epochs = range(1, a.epochs + 1)
ax.plot(epochs, hist["analog"], "o-", label=f"analog crossbars ({a.rule})")
ax.plot(epochs, hist["float"], "s--", label="float PyTorch")
ax.set_xticks(list(epochs))
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1)
ax.set_title(f"MNIST, {len(xtr)} training digits, {n_in}-{a.hidden}-10")
ax.legend()
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print("wrote", a.out)
