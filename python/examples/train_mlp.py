"""A small MLP (64-32-10) on the 8x8 digits with both layers analog
(ionrail.torch.AnalogLinear on tables/polymer_thin: DAC/ADC, device noise and
variation, updates as V/2 device pulses), next to the same MLP in float
PyTorch (SGD, lr 0.1). Prints test accuracy per epoch and writes
train_mlp.png.

Rules: ``--rule manhattan`` (one pulse per sample on the rows with input
>= 0.5 and the columns whose |gradient| passes the layer's threshold) or
``--rule pulse_train`` (stochastic pulse trains, 4 slots, gradients
normalised per sample; learning_rate 0.2 for the hidden and 0.5 for the
output layer, in expected pulses, multiplied by 0.3 after every epoch).
Without the decay, or with the rates of 1 and more that the rule used
before, the coarse pulses (about 4.5 % of the conductance span each) keep
the test accuracy jumping between 0.4 and 0.7.

    PYTHONPATH=build/python python3 python/examples/train_mlp.py [--rule manhattan|pulse_train] [--epochs N] [--seed S]
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
p.add_argument("--seed", type=int, default=0, help="training order and the pulse draws")
p.add_argument("--hidden", type=int, default=32)
p.add_argument("--hidden-threshold", type=float, default=0.02)
p.add_argument("--train-hidden", type=int, default=1)
p.add_argument("--hidden-scale", type=float, default=1.0)
p.add_argument("--init-writes", type=int, default=40)
p.add_argument("--length", type=int, default=4, help="pulse_train: slots per sample")
p.add_argument("--lr-hidden", type=float, default=0.2, help="pulse_train: the hidden layer's learning_rate")
p.add_argument("--lr-output", type=float, default=0.5, help="pulse_train: the output layer's learning_rate")
p.add_argument("--lr-decay", type=float, default=0.3, help="pulse_train: learning_rate factor per epoch")
p.add_argument("--normalize", type=int, default=1, help="pulse_train: divide each sample's gradient by its max")
p.add_argument("--output-threshold", type=float, default=0.3)
p.add_argument("--out", default="train_mlp.png")
a = p.parse_args()

x, y = ionrail.load_digits(ROOT / "data" / "digits.csv.gz")
train, test = ionrail.split_digits(y, 450, 1)
x = torch.from_numpy(x / 16.0)
y = torch.from_numpy(y)
xtr, ytr, xte, yte = x[train], y[train], x[test], y[test]
table = ionrail.Table.load(ROOT / "tables" / "polymer_thin")
torch.manual_seed(a.seed)

dt_m_s = ionrail.table_metadata(ROOT / "tables" / "polymer_thin", "dt_m_s")
# The hidden layer's gradients are small: those above 0.02 are applied.
hidden = AnalogLinear(64, a.hidden, table, rule=a.rule, seed=1 + 2 * a.seed, gain_sigma=0.05, offset_sigma_s=0.5e-6,
                      error_threshold=a.hidden_threshold, dt_m_s=dt_m_s, pulse_train_length=a.length,
                      learning_rate=a.lr_hidden, normalize=bool(a.normalize))
output = AnalogLinear(a.hidden, 10, table, rule=a.rule, seed=2 + 2 * a.seed, gain_sigma=0.05, offset_sigma_s=0.5e-6,
                      active_input=0.5, dt_m_s=dt_m_s, error_threshold=a.output_threshold,
                      pulse_train_length=a.length, learning_rate=a.lr_output, normalize=bool(a.normalize))
# Random initial hidden weights, written as device pulses: random rows x random columns, random signs.
rng = torch.Generator().manual_seed(1)
for _ in range(a.init_writes):
    rows = (torch.rand(65, generator=rng) < 0.5).int().tolist()
    dirs = (torch.randint(0, 3, (a.hidden,), generator=rng) - 1).tolist()
    hidden.xbar.write_outer(rows, dirs, 8.0)


# Digital periphery between the layers: each hidden column is centred and
# scaled once, from the training digits after the random initial writes.
with torch.no_grad():
    h0 = hidden(xtr)
    mu, sd = h0.mean(0), h0.std(0) + 1e-9


def analog(inp):
    return output(torch.sigmoid((hidden(inp) - mu) / sd * a.hidden_scale))


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
        energy += output.apply_pulses()
        if a.train_hidden:
            energy += hidden.apply_pulses()
        else:
            hidden._last_input = hidden._last_grad = None
        opt.zero_grad()
        torch.nn.functional.cross_entropy(baseline(xi), yi).backward()
        opt.step()
    hidden.learning_rate *= a.lr_decay
    output.learning_rate *= a.lr_decay
    hist["analog"].append(accuracy(analog))
    hist["float"].append(accuracy(baseline))
    print(f"epoch {epoch}: test accuracy analog ({a.rule}) {hist['analog'][-1]:.3f}, float PyTorch "
          f"{hist['float'][-1]:.3f}; write energy {energy:.3g} J", flush=True)

fig, ax = plt.subplots(figsize=(5, 3.5))
epochs = range(1, a.epochs + 1)
ax.plot(epochs, hist["analog"], "o-", label=f"analog crossbars ({a.rule})")
ax.plot(epochs, hist["float"], "s--", label="float PyTorch")
ax.set_xticks(list(epochs))
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1)
ax.legend()
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print("wrote", a.out)
