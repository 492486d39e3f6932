"""ionrail.torch.AnalogLinear: its forward is the C++ crossbar's read (checked
against ionrail_py_crossbar_reference, C++ only), it learns the digits with
device pulses, alone and as both layers of an MLP (stochastic pulse trains),
and its pulse-train probabilities follow the documented formula."""
import copy
import io
import pickle
import subprocess
import warnings

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


@pytest.mark.parametrize("name,value", [("v_write", float("nan")), ("v_write", 0.0), ("v_write", 20.0),
                                        ("learning_rate", float("nan")), ("active_input", float("nan")),
                                        ("active_input", 1.5), ("error_threshold", float("nan")),
                                        ("out_scale", float("inf")), ("out_scale", 0.0)])
def test_numbers_out_of_range_are_refused(name, value):
    t = ionrail.Table.load(TABLE_DIR)
    with pytest.raises(ValueError, match=f"{name} = {value}: expected a finite number in"):
        AnalogLinear(4, 2, t, **{name: value})


def test_an_evaluation_between_forward_and_backward_changes_no_write():
    # The input of the forward whose gradient backward() computes programs
    # the devices, whatever ran in between (once the no_grad evaluation's
    # input replaced it, and its rows were paired with this gradient).
    t = ionrail.Table.load(TABLE_DIR)

    def weights(evaluate_between):
        torch.manual_seed(0)
        layer = AnalogLinear(4, 3, t, noise=False, gain_sigma=0.1, error_threshold=0.0)
        xa, xb = torch.rand(5, 4), torch.rand(3, 4)
        y = layer(xa)
        if evaluate_between:
            with torch.no_grad():
                layer(xb)
        y.sum().backward()
        layer.apply_pulses()
        return layer.xbar.weights

    np.testing.assert_array_equal(weights(False), weights(True))


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


# Batch-1 training (the per-sample gradient is the loss's gradient) must not
# raise the below-threshold warning, even once the digits are learned.
@pytest.mark.filterwarnings("error:AnalogLinear:UserWarning")
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
    assert acc > (0.6 if rule == "manhattan" else 0.5), acc  # chance is 0.1 (seen: 0.72 and 0.69)
    assert energy > 0 and layer.xbar.energy_j == pytest.approx(energy)


def test_a_batch_mean_loss_that_programs_nothing_warns():
    """Guards against a minibatch loop that silently never learns: with the
    default reduction="mean" of cross_entropy on 32 samples every per-sample
    gradient row is divided by 32, so no entry passes error_threshold (0.3)
    and apply_pulses programmed no device without a word. It must warn
    (UserWarning, once per layer) that the error signal is the per-sample
    gradient, that a batch-mean loss divides it by the batch size, and what
    to do; reduction="sum" (the docs' training example) programs devices
    and does not warn."""
    xtr, ytr, _, _ = digits()
    t = ionrail.Table.load(SOURCE_DIR / "tables" / "polymer_thin")
    layer = AnalogLinear(64, 10, t, seed=3)
    with pytest.warns(UserWarning) as caught:
        for i in range(0, 96, 32):
            torch.nn.functional.cross_entropy(layer(xtr[i:i + 32]), ytr[i:i + 32]).backward()
            assert layer.apply_pulses() == 0.0
    assert layer.xbar.pulses == 0  # nothing was programmed: the warning is all the user sees
    ours = [str(w.message) for w in caught if str(w.message).startswith("AnalogLinear")]
    assert len(ours) == 1, ours  # once per layer, not once per step
    for words in ("per-sample gradient", "divides it by the batch size", "reduction='sum'", "error_threshold"):
        assert words in ours[0], ours[0]
    summed = AnalogLinear(64, 10, t, seed=3)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="AnalogLinear", category=UserWarning)
        energy = 0.0
        for i in range(0, 96, 32):
            torch.nn.functional.cross_entropy(summed(xtr[i:i + 32]), ytr[i:i + 32], reduction="sum").backward()
            energy += summed.apply_pulses()
    assert energy > 0 and summed.xbar.pulses > 0


def test_accumulated_backward_calls_program_every_sample():
    """Guards gradient accumulation: several backward() calls before one
    apply_pulses must program the devices for every sample recorded, as one
    summed batch of the same samples does (only the last call's rows were
    kept, so 4 accumulated digits programmed one). A whole-layer pickle
    taken mid-accumulation carries the rows recorded so far."""
    xtr, ytr, _, _ = digits()
    t = ionrail.Table.load(SOURCE_DIR / "tables" / "polymer_thin")
    args = dict(seed=5, noise=False, gain_sigma=0.05)
    accumulated, batched = AnalogLinear(64, 10, t, **args), AnalogLinear(64, 10, t, **args)
    for i in range(2):
        torch.nn.functional.cross_entropy(accumulated(xtr[i:i + 1]), ytr[i:i + 1]).backward()
    restored = torch.load(saved_to_file(accumulated), weights_only=False)  # 2 of the 4 recorded
    for layer in (accumulated, restored):
        for i in range(2, 4):
            torch.nn.functional.cross_entropy(layer(xtr[i:i + 1]), ytr[i:i + 1]).backward()
    torch.nn.functional.cross_entropy(batched(xtr[:4]), ytr[:4], reduction="sum").backward()
    energy = batched.apply_pulses()
    assert energy > 0
    for layer in (accumulated, restored):
        assert layer.apply_pulses() == energy
        np.testing.assert_array_equal(layer.xbar.conductances, batched.xbar.conductances)
        assert layer.xbar.pulses == batched.xbar.pulses
    with pytest.raises(RuntimeError, match="needs a forward and a backward pass"):
        accumulated.apply_pulses()  # the rows are forgotten once applied


def test_a_layer_used_twice_in_one_graph_programs_both_uses():
    """Guards weight sharing: a layer applied twice in one graph gets two
    backward() calls, and apply_pulses must program both uses' samples (the
    first call's rows were overwritten by the second's). The same rows given
    as two separate steps program the same devices."""
    t = ionrail.Table.load(SOURCE_DIR / "tables" / "polymer_thin")
    layer = AnalogLinear(10, 10, t, seed=5, noise=False, error_threshold=0.0)
    gen = torch.Generator().manual_seed(4)
    for _ in range(6):  # weights other than 0, so that the inner use's gradient is not 0
        layer.xbar.write_outer((torch.rand(11, generator=gen) < 0.5).int().tolist(),
                               (torch.randint(0, 3, (10,), generator=gen) - 1).tolist(), 8.0)
    steps = copy.deepcopy(layer)
    pulses_before = steps.xbar.pulses
    x = torch.rand(3, 10, generator=gen, dtype=torch.float64)
    inner = layer(x)
    inner.retain_grad()
    h = torch.sigmoid(inner)
    outer = layer(h)
    outer.retain_grad()
    outer.sum().backward()
    energy = layer.apply_pulses()
    # backward() reaches the outer use first, then the inner one
    steps(h.detach()).backward(outer.grad)
    expected = steps.apply_pulses()
    steps(x).backward(inner.grad)
    expected += steps.apply_pulses()
    assert steps.xbar.pulses - pulses_before == 2 * 6  # 6 samples, one V/2 write (two model steps) each
    assert energy == pytest.approx(expected, rel=1e-12)
    np.testing.assert_array_equal(layer.xbar.conductances, steps.xbar.conductances)
    assert layer.xbar.pulses == steps.xbar.pulses


def test_recorded_rows_are_bounded():
    """Guards the memory of a loop that never applies its gradients: the
    recorded rows are bounded by max_recorded_values (float64 values, input
    and gradient rows together); a backward() past it raises RuntimeError
    saying what to do and records nothing, the rows before it stay."""
    t = ionrail.Table.load(TABLE_DIR)
    layer = AnalogLinear(4, 3, t, seed=2, noise=False, error_threshold=0.0)
    layer.max_recorded_values = 3 * (5 + 3)  # three samples' rows: 5 inputs (bias row too), 3 gradients
    layer(torch.rand(2, 4)).sum().backward()
    layer(torch.rand(1, 4)).sum().backward()
    assert layer.recorded_samples == 3
    with pytest.raises(RuntimeError, match=r"past max_recorded_values = 24 .*call apply_pulses\(\)"):
        layer(torch.rand(1, 4)).sum().backward()
    assert layer.recorded_samples == 3
    assert layer.apply_pulses() > 0 and layer.xbar.pulses == 2 * 3 and layer.recorded_samples == 0
    layer(torch.rand(2, 4)).sum().backward()
    layer.discard_gradients()  # forgotten without programming
    with pytest.raises(RuntimeError, match="needs a forward and a backward pass"):
        layer.apply_pulses()
    assert AnalogLinear.max_recorded_values == 2**27  # 1 GiB, docs/python.md


def test_the_tables_metadata_sets_the_layers_model_step_and_initial_state():
    """Guards AnalogLinear against ignoring the table's metadata, as its
    Crossbar does (test_crossbar.py): the devices start at the table's s_eq
    (it was 0.25 whatever the table), step at its dt_m_s, and another
    dt_m_s is refused as `ionrail crossbar` allows none; a table without
    metadata takes any step."""
    tdir = SOURCE_DIR / "tables" / "measured_pulses"
    t = ionrail.Table.load(tdir)
    layer = AnalogLinear(3, 2, t, noise=False)
    s_eq = ionrail.table_metadata(tdir, "s_eq")
    at_s_eq = AnalogLinear(3, 2, t, noise=False, initial_state=s_eq)
    np.testing.assert_array_equal(layer.xbar.conductances, at_s_eq.xbar.conductances)
    assert (layer.xbar.initial_state, layer.xbar.dt_m_s) == (s_eq, ionrail.table_metadata(tdir, "dt_m_s"))
    with pytest.raises(ValueError, match="dt_m_s = 1: the table records its model step, dt_m_s = 0.05 s"):
        AnalogLinear(3, 2, t, dt_m_s=1.0)
    g = t.grid
    bare = ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift, t.noise, t.fluct, t.g_siemens,
                                     t.fluct_rho)
    assert AnalogLinear(3, 2, bare, dt_m_s=1.0).xbar.dt_m_s == 1.0
    assert AnalogLinear(3, 2, bare).xbar.initial_state == 0.25


def test_pulse_train_probabilities():
    t = ionrail.Table.load(SOURCE_DIR / "tables" / "polymer_thin")
    layer = AnalogLinear(3, 4, t, rule="pulse_train", pulse_train_length=4, learning_rate=0.5, error_threshold=0.1)
    x, g = np.array([0.2, 0.0, 0.5, 1.0]), np.array([0.4, -0.05, -0.2, 0.0])
    p, q = layer.pulse_train_probabilities(x, g)
    # c_x c_g = 0.5 / 4, c_x * 1.0 = c_g * 0.4; |g| <= 0.1 is dropped
    c_x, c_g = np.sqrt(0.125 * 0.4), np.sqrt(0.125 / 0.4)
    np.testing.assert_allclose(p, c_x * x)
    np.testing.assert_allclose(q, [c_g * 0.4, 0.0, c_g * 0.2, 0.0])
    np.testing.assert_allclose(4 * np.outer(p, q)[3, 0], 0.5 * 1.0 * 0.4)  # expected pulses = lr x |g|
    layer.normalize = True
    p, q = layer.pulse_train_probabilities(x, g)
    np.testing.assert_allclose(q, [np.sqrt(0.125), 0.0, np.sqrt(0.125) / 2, 0.0])
    layer.learning_rate = 100.0
    p, q = layer.pulse_train_probabilities(x, g)
    assert p.max() == 1.0 and q.max() == 1.0
    with pytest.raises(ValueError, match="learning_rate"):
        AnalogLinear(3, 4, t, learning_rate=0.0)


def test_two_layer_mlp_learns_with_pulse_trains():
    # python/examples/train_mlp.py --rule pulse_train (its own shuffle)
    x, y = ionrail.load_digits(str(SOURCE_DIR / "data" / "digits.csv.gz"))
    train, test = ionrail.split_digits(y, 450, 1)
    x, y = torch.from_numpy(x / 16.0), torch.from_numpy(y)
    xtr, ytr, xte, yte = x[train], y[train], x[test], y[test]
    tdir = SOURCE_DIR / "tables" / "polymer_thin"
    t, dt = ionrail.Table.load(tdir), ionrail.table_metadata(tdir, "dt_m_s")
    common = dict(rule="pulse_train", gain_sigma=0.05, offset_sigma_s=0.5e-6, dt_m_s=dt, normalize=True)
    hidden = AnalogLinear(64, 32, t, seed=1, error_threshold=0.02, learning_rate=0.2, **common)
    output = AnalogLinear(32, 10, t, seed=2, learning_rate=0.5, **common)
    g = torch.Generator().manual_seed(1)
    for _ in range(40):  # random initial hidden weights, as pulses
        hidden.xbar.write_outer((torch.rand(65, generator=g) < 0.5).int().tolist(),
                                (torch.randint(0, 3, (32,), generator=g) - 1).tolist(), 8.0)
    with torch.no_grad():
        h0 = hidden(xtr)
        mu, sd = h0.mean(0), h0.std(0) + 1e-9

    def mlp(inp):
        return output(torch.sigmoid((hidden(inp) - mu) / sd))

    g = torch.Generator().manual_seed(0)
    for epoch in range(3):
        for i in torch.randperm(len(xtr), generator=g):
            torch.nn.functional.cross_entropy(mlp(xtr[i:i + 1]), ytr[i:i + 1]).backward()
            output.apply_pulses()
            hidden.apply_pulses()
        hidden.learning_rate *= 0.3
        output.learning_rate *= 0.3
    with torch.no_grad():
        acc = (mlp(xte).argmax(1) == yte).double().mean().item()
    assert acc > 0.55, acc  # chance is 0.1 (seen: 0.74)


def test_constructor_refuses_a_pulse_train_length_that_is_not_whole():
    t = ionrail.Table.load(TABLE_DIR)
    for bad in (1.5, float("nan"), float("inf"), 0, -2, 10**7):
        with pytest.raises(ValueError, match=r"pulse_train_length = .*: expected a whole number in \[1, 1000000\]"):
            AnalogLinear(4, 2, t, rule="pulse_train", pulse_train_length=bad)
    for bad in ("4", True, None):
        with pytest.raises(TypeError, match="pulse_train_length"):
            AnalogLinear(4, 2, t, rule="pulse_train", pulse_train_length=bad)
    layer = AnalogLinear(4, 2, t, rule="pulse_train", pulse_train_length=3.0)
    assert layer.pulse_train_length == 3 and isinstance(layer.pulse_train_length, int)
    with pytest.raises(ValueError, match="pulse_train_length = 2.5"):
        layer.pulse_train_length = 2.5
    with pytest.raises(ValueError, match="learning_rate = nan"):
        layer.learning_rate = float("nan")  # changed between epochs: checked as in the constructor
    assert layer.pulse_train_length == 3 and layer.learning_rate == 1.0


def test_inputs_of_any_leading_shape_and_half_precision():
    t = ionrail.Table.load(TABLE_DIR)
    layer = AnalogLinear(4, 3, t, seed=2, noise=False)
    x = torch.rand(2, 5, 4, dtype=torch.float64)
    y = layer(x)
    assert y.shape == (2, 5, 3)
    torch.testing.assert_close(y, layer(x.reshape(10, 4)).reshape(2, 5, 3), rtol=0, atol=0)
    torch.testing.assert_close(layer(x[1, 2]), y[1, 2], rtol=0, atol=0)  # one sample, 1-D
    xg = x.clone().requires_grad_()
    layer(xg).sum().backward()
    assert xg.grad.shape == (2, 5, 4)
    layer.apply_pulses()  # the 10 samples' rows and gradients pair up
    for dtype in (torch.float16, torch.bfloat16):
        xh = x.to(dtype).requires_grad_()
        yh = layer(xh)  # (before: a RuntimeError from torch.clamp, not implemented for Half)
        assert yh.dtype == dtype and yh.shape == (2, 5, 3)
        torch.testing.assert_close(yh, layer(xh.detach().double()).to(dtype), rtol=0, atol=0)
        yh.sum().backward()
        assert xh.grad.dtype == dtype and xh.grad.shape == x.shape
        layer.discard_gradients()
    with pytest.raises(ValueError, match=r"x has shape \(\): expected \(\.\.\., in_features\) with in_features = 4"):
        layer(torch.tensor(0.5))  # a RuntimeError from cat before
    with pytest.raises(ValueError, match=r"x has shape \(2, 5\): expected .* in_features = 4"):
        layer(torch.rand(2, 5))  # it said "rows = 5", counting the bias row
    with pytest.raises(TypeError, match="x has dtype torch.int64: expected a floating-point tensor"):
        layer(torch.ones(2, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match="NaN"):
        layer(torch.full((2, 4), float("nan")))


def train_steps(layer, xs, gs):
    for x, g in zip(xs, gs):
        layer(x).backward(g)
        layer.apply_pulses()


def test_a_trained_layer_is_copied_and_restored_exactly():

    t = ionrail.Table.load(SOURCE_DIR / "tables" / "polymer_thin")
    args = dict(rule="pulse_train", learning_rate=2.0, error_threshold=0.0, seed=5, gain_sigma=0.05)
    layer = AnalogLinear(6, 4, t, **args)
    gen = torch.Generator().manual_seed(3)
    xs = [torch.rand(3, 6, generator=gen, dtype=torch.float64) for _ in range(8)]
    gs = [torch.randn(3, 4, generator=gen, dtype=torch.float64) for _ in range(8)]
    train_steps(layer, xs[:4], gs[:4])
    layer.learning_rate = 1.5
    assert list(layer.state_dict()) == ["_extra_state"]  # it was empty
    saved = layer.state_dict()
    twin = copy.deepcopy(layer)  # "cannot pickle 'ionrail._ionrail.Crossbar'" before
    fresh = AnalogLinear(6, 4, t, **args)
    fresh.load_state_dict(saved)
    # Through files: the whole layer, and its state_dict into a new layer
    # (weights_only=False: the state holds a Crossbar, not only tensors).
    loaded = torch.load(saved_to_file(layer), weights_only=False)
    from_file = AnalogLinear(6, 4, t, **args)
    from_file.load_state_dict(torch.load(saved_to_file(saved), weights_only=False))
    assert fresh.learning_rate == loaded.learning_rate == from_file.learning_rate == 1.5
    at_save = layer.xbar.conductances
    train_steps(layer, xs[4:], gs[4:])  # the state taken before is a snapshot: this changes none of it
    for other in (twin, fresh, loaded, from_file):
        np.testing.assert_array_equal(other.xbar.conductances, at_save)
        train_steps(other, xs[4:], gs[4:])  # the same devices and pulse-train draws from here on
        np.testing.assert_array_equal(other.xbar.conductances, layer.xbar.conductances)
        assert (other.xbar.steps, other.xbar.pulses) == (layer.xbar.steps, layer.xbar.pulses)
        torch.testing.assert_close(other(xs[0]), layer(xs[0]), rtol=0, atol=0)
    assert not np.array_equal(layer.xbar.weights, AnalogLinear(6, 4, t, **args).xbar.weights)  # it did learn
    with pytest.raises(ValueError, match="crossbar of 7 x 4; this layer needs 6 x 4"):
        AnalogLinear(5, 4, t).load_state_dict(saved)
    with pytest.raises(pickle.UnpicklingError):  # torch.load(weights_only=True) takes tensors only
        torch.load(saved_to_file(saved), weights_only=True)


def saved_to_file(obj):
    """torch.save(OBJ) into a file object, rewound for torch.load."""
    f = io.BytesIO()
    torch.save(obj, f)
    f.seek(0)
    return f


def test_a_layer_saved_between_backward_and_apply_pulses_continues_exactly():
    t = ionrail.Table.load(SOURCE_DIR / "tables" / "polymer_thin")
    layer = AnalogLinear(5, 3, t, rule="pulse_train", learning_rate=3.0, error_threshold=0.0, seed=2, wire_ohm=1.0)
    gen = torch.Generator().manual_seed(8)
    xs = [torch.rand(4, 5, generator=gen, dtype=torch.float64) for _ in range(4)]
    gs = [torch.randn(4, 3, generator=gen, dtype=torch.float64) for _ in range(4)]
    train_steps(layer, xs[:2], gs[:2])
    layer(xs[2]).backward(gs[2])  # a recorded gradient, not yet applied
    restored = torch.load(saved_to_file(layer), weights_only=False)
    assert layer.apply_pulses() == restored.apply_pulses()
    train_steps(layer, xs[3:], gs[3:])
    train_steps(restored, xs[3:], gs[3:])
    np.testing.assert_array_equal(restored.xbar.conductances, layer.xbar.conductances)
    assert (restored.xbar.steps, restored.xbar.pulses, restored.xbar.reads, restored.xbar.energy_j) == \
        (layer.xbar.steps, layer.xbar.pulses, layer.xbar.reads, layer.xbar.energy_j)
    torch.testing.assert_close(restored(xs[0]), layer(xs[0]), rtol=0, atol=0)
