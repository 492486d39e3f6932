"""What train_mlp.py (8x8 digits) and train_mnist.py (MNIST) share: an MLP
N-H-10 with both layers ionrail.torch.AnalogLinear on tables/polymer_thin,
trained sample by sample next to the same MLP in float PyTorch (SGD, lr
0.1), the test accuracy of both after every epoch, and the plot.

The analog MLP: random initial hidden weights written as device pulses
(random rows x random columns, random signs); sigmoid hidden units, each
hidden column centred and scaled once by a digital periphery from the
training inputs after those writes; learning only as device pulses
(AnalogLinear.apply_pulses) with the rule and rates of the options below.
"""
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import ionrail  # noqa: E402
from ionrail.torch import AnalogLinear  # noqa: E402


def add_options(p, hidden, out):
    p.add_argument("--rule", default="manhattan", choices=["manhattan", "pulse_train"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0, help="training order and the pulse draws")
    p.add_argument("--hidden", type=int, default=hidden)
    p.add_argument("--hidden-threshold", type=float, default=0.02, help="the hidden layer's error_threshold")
    p.add_argument("--output-threshold", type=float, default=None,
                   help="the output layer's error_threshold (default: 0.2 manhattan, 0.3 pulse_train)")
    p.add_argument("--train-hidden", type=int, default=1, help="0: only the output layer learns")
    p.add_argument("--hidden-scale", type=float, default=1.0, help="gain of the hidden units after centring")
    p.add_argument("--v-write", type=float, default=None,
                   help="learning pulses' amplitude across a device, V (default: 5.5 manhattan, 6.0 pulse_train)")
    p.add_argument("--init-writes", type=int, default=40)
    p.add_argument("--length", type=int, default=4, help="pulse_train: slots per sample")
    p.add_argument("--lr-hidden", type=float, default=1.0, help="pulse_train: the hidden layer's learning_rate")
    p.add_argument("--lr-output", type=float, default=1.0, help="pulse_train: the output layer's learning_rate")
    p.add_argument("--lr-decay", type=float, default=0.5, help="pulse_train: learning_rate factor per epoch")
    p.add_argument("--normalize", type=int, default=1, help="pulse_train: divide each sample's gradient by its max")
    p.add_argument("--out", default=out)


def train_side_by_side(a, table_dir, xtr, ytr, xte, yte, title):
    """Builds both MLPs, trains them for a.epochs and writes the plot a.out;
    returns {"analog": [...], "float": [...]} test accuracies per epoch."""
    t0 = time.time()
    # Per-rule defaults, chosen on the 8x8 digits (seeds 0-2) with the
    # recalibrated tables/polymer_thin (docs/python.md).
    if a.v_write is None:
        a.v_write = 5.5 if a.rule == "manhattan" else 6.0
    if a.output_threshold is None:
        a.output_threshold = 0.2 if a.rule == "manhattan" else 0.3
    n_in = xtr.shape[1]
    table = ionrail.Table.load(table_dir)
    torch.manual_seed(a.seed)
    dt_m_s = ionrail.table_metadata(table_dir, "dt_m_s")
    common = dict(rule=a.rule, v_write=a.v_write, gain_sigma=0.05, offset_sigma_s=0.5e-6, dt_m_s=dt_m_s, pulse_train_length=a.length,
                  normalize=bool(a.normalize))
    # The hidden layer's gradients are small: those above --hidden-threshold are applied.
    hidden = AnalogLinear(n_in, a.hidden, table, seed=1 + 2 * a.seed, error_threshold=a.hidden_threshold,
                          learning_rate=a.lr_hidden, **common)
    output = AnalogLinear(a.hidden, 10, table, seed=2 + 2 * a.seed, active_input=0.5,
                          error_threshold=a.output_threshold, learning_rate=a.lr_output, **common)
    rng = torch.Generator().manual_seed(1)
    for _ in range(a.init_writes):
        rows = (torch.rand(n_in + 1, generator=rng) < 0.5).int().tolist()
        dirs = (torch.randint(0, 3, (a.hidden,), generator=rng) - 1).tolist()
        hidden.xbar.write_outer(rows, dirs, 8.0)
    with torch.no_grad():
        h0 = hidden(xtr)
        mu, sd = h0.mean(0), h0.std(0) + 1e-9

    def analog(inp):
        return output(torch.sigmoid((hidden(inp) - mu) / sd * a.hidden_scale))

    baseline = torch.nn.Sequential(torch.nn.Linear(n_in, a.hidden), torch.nn.Sigmoid(),
                                   torch.nn.Linear(a.hidden, 10)).double()
    opt = torch.optim.SGD(baseline.parameters(), lr=0.1)

    def accuracy(model):
        with torch.no_grad():
            return (model(xte).argmax(1) == yte).double().mean().item()

    print(f"{len(xtr)} training and {len(xte)} test inputs, MLP {n_in}-{a.hidden}-10, rule {a.rule}", flush=True)
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
                hidden.discard_gradients()
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
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print("wrote", a.out)
    return hist
