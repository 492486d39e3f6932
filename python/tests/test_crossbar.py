import numpy as np
import pytest

import ionrail
from conftest import TABLE_DIR


def make(**kw):
    t = ionrail.Table.load(TABLE_DIR)
    args = dict(rows=16, cols=4, seed=3, gain_sigma=0.02, offset_sigma_s=1e-7)
    args.update(kw)
    return ionrail.Crossbar(t, **args)


def test_forward_batched_equals_single_reads_and_exact_is_linear():
    x = make()
    rng = np.random.default_rng(1)
    xs = rng.random((8, 16))
    batched = x.forward(xs)
    assert batched.shape == (8, 4)
    for b in range(8):
        np.testing.assert_array_equal(batched[b], x.forward(xs[b]))
    exact = x.forward(xs, exact=True)
    np.testing.assert_allclose(exact, 0.2 * xs @ x.weights, rtol=1e-9, atol=1e-15)
    # quantised: within one ADC step (plus the DAC's rounding) of the exact currents
    lsb = x.adc_full_scale_a / 2 ** 7
    assert np.abs(batched - exact).max() < 2 * lsb
    assert x.reads == 8 + 8 + 8


def test_v_half_pulses_program_one_weight_and_count_energy():
    x = make(noise=False, gain_sigma=0.0, offset_sigma_s=0.0)
    w0 = x.weights.copy()
    rows = np.zeros(16)
    rows[2] = 4.0
    plus = np.zeros(4)
    plus[1] = -4.0
    minus = np.zeros(4)
    e = 0.0
    for _ in range(5):
        e += x.pulse(rows, plus, minus)
    dw = x.weights - w0
    assert dw[2, 1] > 0  # G+ of (2, 1) saw 8 V
    others = np.delete(dw.ravel(), 2 * 4 + 1)
    assert np.abs(others).max() < dw[2, 1]  # half-selected cells (±4 V) move less
    mask = np.ones_like(dw, dtype=bool)
    mask[2, :] = False
    mask[:, 1] = False
    assert (dw[mask] == 0).all()  # cells at 0 V stay at rest (noise off)
    assert x.pulses == 5 and x.energy_j == pytest.approx(e) and e > 0
    assert x.steps == 5
    g = x.conductances
    assert g.shape == (16, 8)
    np.testing.assert_allclose(g[:, 0::2] - g[:, 1::2], x.weights)


def test_ir_drop_lowers_the_currents():
    ideal, wired = make(wire_ohm=0.0, noise=False), make(wire_ohm=20.0, noise=False)
    for x in (ideal, wired):  # raise every G+ of every weight: all rows at +4 V, all G+ bit lines at -4 V
        for _ in range(20):
            x.pulse(np.full(16, 4.0), np.full(4, -4.0), np.zeros(4))
    np.testing.assert_array_equal(ideal.weights, wired.weights)
    xs = np.ones((1, 16))
    a, b = ideal.forward(xs), wired.forward(xs)
    assert (a > 0).all() and (b < a).all()


def test_bad_shapes_raise():
    x = make()
    with pytest.raises(ValueError, match="rows = 16"):
        x.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="row_v has 3 values"):
        x.pulse(np.zeros(3), np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        x.forward(np.full(16, 1.5))
    with pytest.raises(ValueError, match="finite"):
        x.pulse(np.full(16, np.nan), np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="rows and cols"):
        ionrail.Crossbar(ionrail.Table.load(TABLE_DIR), rows=0, cols=3)


def test_values_the_fixed_point_would_saturate_raise():
    # NaN became 0 V (a write that did nothing) and a state of 2 the largest
    # Q1.30 value: refused, as DeviceBatch refuses them.
    table = ionrail.Table.load(TABLE_DIR)
    for bad in ({"initial_state": 2.0}, {"initial_state": np.nan}, {"gain_sigma": -1.0}, {"offset_sigma_s": 1.0},
                {"wire_ohm": np.inf}):
        with pytest.raises(ValueError, match="crossbar: "):
            ionrail.Crossbar(table, rows=4, cols=3, **bad)
    x = ionrail.Crossbar(table, rows=4, cols=3)
    for v in (np.nan, np.inf):
        with pytest.raises(ValueError, match="not a finite voltage"):
            x.write_outer([1] * 4, [1] * 3, v)
    with pytest.raises(ValueError, match="negative"):
        x.relax(-5)
    with pytest.raises(ValueError, match="the model's range"):
        x.pulse(np.full(4, 10.0), np.full(3, -10.0), np.zeros(3))
    assert x.steps == 0


def test_1t1r_writes_reach_only_the_selected_cells():
    # Against a twin that only relaxed for the write's model steps (two with
    # the V/2 scheme, one with 1T1R: x.pulses counts them): passive cells
    # half-selected by the write drift away from it, 1T1R cells other than
    # the selected pair are the twin's bit for bit.
    moved = {}
    for selector in ("passive", "1t1r"):
        x = make(noise=False, gain_sigma=0.0, offset_sigma_s=0.0, selector=selector)
        twin = make(noise=False, gain_sigma=0.0, offset_sigma_s=0.0, selector=selector)
        active = [0] * 16
        active[2] = 1
        x.write_outer(active, [0, 1, 0, 0], 8.0)
        assert x.pulses == (2 if selector == "passive" else 1)
        twin.relax(x.pulses)
        dg = np.abs(x.conductances - twin.conductances).reshape(16, 4, 2)
        assert dg[2, 1].min() > 1e-7  # the selected pair moved (S)
        dg[2, 1] = 0
        moved[selector] = dg.max()
    assert moved["passive"] > 1e-9
    assert moved["1t1r"] == 0.0
    with pytest.raises(ValueError, match="selector"):
        make(selector="2t2r")


def test_a_copy_continues_bit_identically_and_pickling_is_refused():
    import copy
    import pickle

    x = make(wire_ohm=1.0)  # noise on: the copy must carry every device's generator
    rng = np.random.default_rng(5)
    for _ in range(3):
        x.write_outer((rng.random(16) < 0.5).astype(int).tolist(), rng.integers(-1, 2, 4).tolist(), 8.0)
    x.forward(rng.random((2, 16)))
    for c in (copy.deepcopy(x), copy.copy(x)):
        assert (c.steps, c.pulses, c.reads, c.energy_j) == (x.steps, x.pulses, x.reads, x.energy_j)
        assert (c.rows, c.cols, c.v_read_v, c.g_span_s, c.adc_full_scale_a) == \
            (x.rows, x.cols, x.v_read_v, x.g_span_s, x.adc_full_scale_a)
    c = copy.deepcopy(x)
    c.relax(2)  # the copy is its own: the original's devices stay
    assert c.steps == x.steps + 2
    x.relax(2)
    ops = np.random.default_rng(6)
    for _ in range(4):
        active, cols = (ops.random(16) < 0.5).astype(int).tolist(), ops.integers(-1, 2, 4).tolist()
        assert c.write_outer(active, cols, 8.0) == x.write_outer(active, cols, 8.0)
        row_v, plus, minus = ops.uniform(-3, 3, 16), ops.uniform(-3, 3, 4), ops.uniform(-3, 3, 4)
        assert c.pulse(row_v, plus, minus) == x.pulse(row_v, plus, minus)
        inputs = ops.random((3, 16))
        np.testing.assert_array_equal(c.forward(inputs), x.forward(inputs))
        np.testing.assert_array_equal(c.conductances, x.conductances)
    assert (c.steps, c.pulses, c.reads, c.energy_j) == (x.steps, x.pulses, x.reads, x.energy_j)
    with pytest.raises(TypeError, match="cannot be pickled .* copy.deepcopy"):
        pickle.dumps(x)
