import numpy as np
import pytest

import ionrail
from conftest import SOURCE_DIR, TABLE_DIR


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


def test_a_copy_or_a_pickle_continues_bit_identically():
    import copy
    import pickle

    x = make(wire_ohm=1.0)  # noise on: the copy must carry every device's generator
    rng = np.random.default_rng(5)
    for _ in range(3):
        x.write_outer((rng.random(16) < 0.5).astype(int).tolist(), rng.integers(-1, 2, 4).tolist(), 8.0)
    x.forward(rng.random((2, 16)))
    copies = [copy.deepcopy(x), copy.copy(x)] + [pickle.loads(pickle.dumps(x, protocol=p)) for p in (0, 1, 2, 5)]
    for c in copies:
        assert (c.steps, c.pulses, c.reads, c.energy_j) == (x.steps, x.pulses, x.reads, x.energy_j)
        assert (c.rows, c.cols, c.v_read_v, c.g_span_s, c.adc_full_scale_a) == \
            (x.rows, x.cols, x.v_read_v, x.g_span_s, x.adc_full_scale_a)
        np.testing.assert_array_equal(c.conductances, x.conductances)
    copies[0].relax(2)  # a copy is its own: the original's devices stay
    assert copies[0].steps == x.steps + 2
    copies[0] = copy.deepcopy(x)
    x.relax(2)
    for c in copies:
        c.relax(2)
    ops = np.random.default_rng(6)
    for _ in range(4):
        active, cols = (ops.random(16) < 0.5).astype(int).tolist(), ops.integers(-1, 2, 4).tolist()
        row_v, plus, minus = ops.uniform(-3, 3, 16), ops.uniform(-3, 3, 4), ops.uniform(-3, 3, 4)
        inputs = ops.random((3, 16))
        e_write, e_pulse = x.write_outer(active, cols, 8.0), x.pulse(row_v, plus, minus)
        y = x.forward(inputs)
        for c in copies:
            assert c.write_outer(active, cols, 8.0) == e_write
            assert c.pulse(row_v, plus, minus) == e_pulse
            np.testing.assert_array_equal(c.forward(inputs), y)
            np.testing.assert_array_equal(c.conductances, x.conductances)
    for c in copies:
        assert (c.steps, c.pulses, c.reads, c.energy_j) == (x.steps, x.pulses, x.reads, x.energy_j)


def test_a_pickle_keeps_the_cell_selector_and_the_params():
    import pickle

    x = make(selector="1t1r", dac_bits=6, adc_bits=0, v_read_v=0.3, noise=False, initial_state=0.4, seed=9)
    c = pickle.loads(pickle.dumps(x))
    active = [0] * 16
    active[3] = 1
    assert c.write_outer(active, [1, 0, 0, -1], 8.0) == x.write_outer(active, [1, 0, 0, -1], 8.0)
    assert c.pulses == x.pulses == 1  # one model step: 1T1R
    inputs = np.linspace(0, 1, 16)
    np.testing.assert_array_equal(c.forward(inputs), x.forward(inputs))  # 6-bit DAC, ideal ADC
    assert c.__getstate__()[1] == x.__getstate__()[1] == dict(
        rows=16, cols=4, dac_bits=6, adc_bits=0, v_read_v=0.3, adc_full_scale_a=0.0, wire_ohm=0.0, gain_sigma=0.02,
        offset_sigma_s=1e-7, dt_m_s=0.05, initial_state=0.4, noise=False, seed=9, selector="1t1r")


def test_a_tampered_crossbar_pickle_raises_value_error():
    from conftest import Tampered, unpickle_state

    x = make()
    x.write_outer([1] * 16, [1, -1, 0, 1], 8.0)
    state = x.__getstate__()
    np.testing.assert_array_equal(unpickle_state(x, state).conductances, x.conductances)

    def changed(index, **items):
        return state[:index] + ({**state[index], **items},) + state[index + 1:]

    devices = state[3]
    rng, gain, noise = devices["rng"].copy(), devices["gain"].copy(), devices["noise"].copy()
    rng[5], gain[2], noise[1] = 0, -1, 0
    cases = [
        (changed(3, rng=rng), r"rng\[5\] is 0; expected 1 to 4294967295"),
        (changed(3, gain=gain), r"gain\[2\] is -1; expected 0 to 2147483647"),
        (changed(3, noise=noise), r"noise\[1\] is 0; expected 1, the array's noise flag"),
        (changed(3, state=devices["state"][:-1]), "devices state: expected a 1-D int32 array of 128 values"),
        (changed(3, fluct=devices["fluct"].astype(np.int64)), "devices fluct: expected a 1-D int32 array"),
        (changed(1, dac_bits=17), r"dac_bits must be in \[1, 16\]"),
        (changed(1, rows=8), "devices state: expected a 1-D int32 array of 64 values"),
        (changed(1, selector="2t2r"), "selector must be"),
        (changed(1, v_read_v="0.2"), "\"v_read_v\" is '0.2'"),
        (changed(5, reads=-1), "reads is -1; expected >= 0"),
        (changed(5, write_energy_j=float("nan")), "write_energy_j is nan"),
        (changed(6, pulses=-2), "expected a finite energy >= 0 and counts >= 0"),
        (state[:4] + (-1,) + state[5:], "steps is -1; expected >= 0"),
        (state[:4] + (2 ** 70,) + state[5:], "Crossbar pickle: an item has the wrong type"),
        (changed(1, rows=2 ** 40), "Crossbar pickle: \"rows\" is 1099511627776"),
        (state[:2] + ("table",) + state[3:], "expected an ionrail.Table"),
        ({k: v for k, v in enumerate(state)}, "a tuple of 7 items"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            unpickle_state(x, bad)
    # The table inside is checked as a pickled Table is.
    table_state = state[2].__getstate__()
    drift = table_state[2].copy()
    drift[0] += 1
    with pytest.raises(ValueError, match="Table pickle: checksum"):
        unpickle_state(x, state[:2] + (Tampered(state[2], table_state[:2] + (drift,) + table_state[3:]),) + state[3:])


def test_the_tables_metadata_sets_the_model_step_and_the_initial_state():
    """Guards the Python crossbar against ignoring the table's own metadata,
    which `ionrail crossbar` uses (apps/src/crossbar_run.cpp): the initial
    state defaults to the table's s_eq (it was 0.25 whatever the table), the
    model step is the table's dt_m_s, and another dt_m_s is refused (1.0 on
    a table calibrated at 0.05 s was taken and gave 20 times the energy).
    A table without metadata keeps 0.05 s and 0.25 and takes any step; a
    pickle keeps the params it was built with."""
    import pickle

    tdir = SOURCE_DIR / "tables" / "measured_pulses"
    t = ionrail.Table.load(tdir)
    s_eq, dt = ionrail.table_metadata(tdir, "s_eq"), ionrail.table_metadata(tdir, "dt_m_s")
    assert (t.metadata["s_eq"], t.metadata["dt_m_s"]) == (s_eq, dt) and s_eq != 0.25 and dt == 0.05
    x = ionrail.Crossbar(t, rows=4, cols=2, noise=False)
    at_s_eq = ionrail.Crossbar(t, rows=4, cols=2, noise=False, initial_state=s_eq, dt_m_s=dt)  # the table's: taken
    np.testing.assert_array_equal(x.conductances, at_s_eq.conductances)
    assert (x.initial_state, x.dt_m_s) == (s_eq, dt)
    assert x.write_outer([1, 0, 0, 0], [1, 0], 8.0) == at_s_eq.write_outer([1, 0, 0, 0], [1, 0], 8.0)
    for bad in (1.0, 0.1, float("nan")):
        with pytest.raises(ValueError, match=r"dt_m_s = .*: the table records its model step, dt_m_s = 0.05 s .*"
                                             r"`ionrail crossbar` always steps at it .*pass 0.05"):
            ionrail.Crossbar(t, rows=4, cols=2, dt_m_s=bad)
    assert ionrail.Crossbar(t, rows=4, cols=2, initial_state=0.4).initial_state == 0.4  # given: as the CLI's key
    assert pickle.loads(pickle.dumps(x)).__getstate__()[1]["initial_state"] == s_eq
    g = t.grid
    bare = ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift, t.noise, t.fluct, t.g_siemens,
                                     t.fluct_rho)
    y = ionrail.Crossbar(bare, rows=4, cols=2, noise=False)
    assert (y.initial_state, y.dt_m_s) == (0.25, 0.05)
    z = ionrail.Crossbar(bare, rows=4, cols=2, noise=False, dt_m_s=1.0)  # no recorded step to disagree with
    z2 = pickle.loads(pickle.dumps(z))
    assert (z.dt_m_s, z2.dt_m_s, z2.initial_state) == (1.0, 1.0, 0.25)
