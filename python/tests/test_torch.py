"""ionrail.torch.AnalogLinear: its forward is the C++ crossbar's read (checked
against ionrail_py_crossbar_reference, C++ only), and it learns the digits
with device pulses."""
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ionrail  # noqa: E402
from ionrail.torch import AnalogLinear  # noqa: E402
from conftest import BIN_DIR, SOURCE_DIR, TABLE_DIR  # noqa: E402


def test_forward_equals_the_cpp_crossbar():
    t = ionrail.Table.load(TABLE_DIR)
    layer = AnalogLinear(12, 5, t, seed=4, wire_ohm=2.0, offset_sigma_s=5e-6)
    x = torch.from_numpy(np.random.default_rng(2).random((6, 12)))
    y = layer(x).detach().numpy()
    rows = torch.cat([x, torch.ones(6, 1, dtype=x.dtype)], dim=1).numpy()
    text = "\n".join(" ".join(repr(float(v)) for v in r) for r in rows)
    out = subprocess.run([str(BIN_DIR / "ionrail_py_crossbar_reference"), str(TABLE_DIR), "13", "5", "4", "2.0", "1", "5e-6"],
                         input=text, capture_output=True, text=True, check=True).stdout
    currents = np.array([[float(v) for v in line.split()] for line in out.splitlines()])
    assert currents.shape == (6, 5) and np.abs(currents).max() > 0
    np.testing.assert_array_equal(y, currents * (15.0 / (0.2 * layer.xbar.g_span_s)))


def test_backward_is_the_float_gradient_of_the_effective_weights():
    t = ionrail.Table.load(TABLE_DIR)
    layer = AnalogLinear(8, 3, t, seed=2, gain_sigma=0.05)
    x = torch.rand(4, 8, dtype=torch.float64, requires_grad=True)
    layer(x).sum().backward()
    w = layer.effective_weight()
    np.testing.assert_allclose(x.grad.numpy(), np.tile(w[:8].sum(axis=1), (4, 1)))


def digits():
    x, y = ionrail.load_digits(str(SOURCE_DIR / "data" / "digits.csv.gz"))
    train, test = ionrail.split_digits(y, 300, 1)
    x = torch.from_numpy(x / 16.0)
    y = torch.from_numpy(y)
    return x[train], y[train], x[test], y[test]


@pytest.mark.parametrize("rule", ["manhattan", "pulse_train"])
def test_layer_learns_digits(rule):
    xtr, ytr, xte, yte = digits()
    # the thin device of experiments/crossbar_digits.toml (the thick one's half-select disturb is large)
    t = ionrail.Table.load(SOURCE_DIR / "tables" / "polymer_thin")
    layer = AnalogLinear(64, 10, t, rule=rule, seed=7)
    g = torch.Generator().manual_seed(0)
    energy = 0.0
    for i in torch.randperm(len(xtr), generator=g)[:600]:
        out = layer(xtr[i:i + 1])
        torch.nn.functional.cross_entropy(out, ytr[i:i + 1]).backward()
        energy += layer.apply_pulses()
    with torch.no_grad():
        acc = (layer(xte).argmax(1) == yte).double().mean().item()
    assert acc > (0.6 if rule == "manhattan" else 0.3), acc  # chance is 0.1 (seen: 0.72 and 0.36)
    assert energy > 0 and layer.xbar.energy_j == pytest.approx(energy)
