"""DeviceBatch against the C++ batch API: the expected values come from the
C++ helper ionrail_py_batch_reference (python/src/batch_reference.cpp), which
steps a model::device_batch without any Python."""
import subprocess

import numpy as np
import pytest

import ionrail
from conftest import BIN_DIR, TABLE_DIR

VOLTS = [3.0, -2.0, 0.5, 8.0, 0.0, -6.25, 1.0]


def reference(n, seed, gain_sigma, offset_sigma_s, initial, noise, steps, volts):
    out = subprocess.run([str(BIN_DIR / "ionrail_py_batch_reference"), str(TABLE_DIR), str(n), str(seed),
                          repr(gain_sigma), repr(offset_sigma_s), repr(initial), "1" if noise else "0", str(steps),
                          *map(repr, volts)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == steps + 1
    per_step = [np.array(line.split(), dtype=np.int64).reshape(n, 3) for line in out[:steps]]
    current = np.array(out[steps].split(), dtype=np.int64)
    return per_step, current


@pytest.mark.parametrize("n,seed,gain_sigma,offset_sigma_s,initial,noise", [
    (3000, 7, 0.05, 2e-7, 0.25, True),   # spans three blocks of 1024
    (1025, 123456789, 0.0, 0.0, 0.6, False),
    (17, 1, 0.2, 1e-6, 0.0, True),
])
def test_step_is_bit_identical_to_the_cpp_batch(n, seed, gain_sigma, offset_sigma_s, initial, noise):
    t = ionrail.Table.load(TABLE_DIR)
    steps = 12
    expected, current = reference(n, seed, gain_sigma, offset_sigma_s, initial, noise, steps, VOLTS)
    d = ionrail.DeviceBatch(t, n, seed, gain_sigma=gain_sigma, offset_sigma_s=offset_sigma_s, initial_state=initial,
                            noise=noise)
    assert len(d) == n
    moved = 0
    for k in range(steps):
        d.step(VOLTS[min(k, len(VOLTS) - 1)])
        np.testing.assert_array_equal(d.state_raw, expected[k][:, 0])
        np.testing.assert_array_equal(d.fluct_raw, expected[k][:, 1])
        np.testing.assert_array_equal(d.rng, expected[k][:, 2].astype(np.uint32))
        moved += int((expected[k][:, 0] != (expected[k - 1][:, 0] if k else expected[0][:, 0])).sum())
    assert moved > 0  # the comparison saw the devices move
    np.testing.assert_array_equal(d.read_raw(VOLTS[-1]), current)


def test_per_device_voltages_and_raw_steps_agree():
    t = ionrail.Table.load(TABLE_DIR)
    a = ionrail.DeviceBatch(t, 2000, 3, gain_sigma=0.03)
    b = ionrail.DeviceBatch(t, 2000, 3, gain_sigma=0.03)
    v = np.linspace(-8, 8, 2000)
    a.step(v, steps=5)
    raw = np.round(v * 2048).astype(np.int16)
    b.step_raw(raw, steps=5)
    np.testing.assert_array_equal(a.state_raw, b.state_raw)
    assert len(np.unique(a.state_raw)) > 100


def test_views_share_memory_and_follow_steps():
    t = ionrail.Table.load(TABLE_DIR)
    d = ionrail.DeviceBatch(t, 100, 5, initial_state=0.25)
    view = d.state_raw
    assert view.dtype == np.int32 and np.shares_memory(view, d.state_raw)
    before = view.copy()
    d.step(5.0, steps=20)
    assert (view != before).any()
    np.testing.assert_array_equal(view, d.state_raw)
    np.testing.assert_allclose(d.state, view * 2.0**-30)
    del d  # the view keeps the batch alive
    assert view.sum() != 0


def test_conductance_is_the_read_current_at_one_volt():
    t = ionrail.Table.load(TABLE_DIR)
    d = ionrail.DeviceBatch(t, 500, 9, gain_sigma=0.05, offset_sigma_s=1e-7, initial_state=0.4)
    d.step(-3.0, steps=3)
    np.testing.assert_array_equal(d.conductance, d.read(1.0))
    np.testing.assert_array_equal(d.read(0.5), d.read_raw(0.5) * 2.0**-31 * 1e-6)
    assert (d.conductance > 0).all()


def test_bad_arguments_raise_value_error():
    t = ionrail.Table.load(TABLE_DIR)
    d = ionrail.DeviceBatch(t, 10, 1)
    with pytest.raises(ValueError, match="v has 3 values; expected 1 or 10"):
        d.step(np.zeros(3))
    with pytest.raises(ValueError, match="initial_state"):
        ionrail.DeviceBatch(t, 10, 1, initial_state=1.5)
    with pytest.raises(ValueError, match="negative"):
        d.step(1.0, steps=-1)
    with pytest.raises(ValueError, match="finite"):
        d.step(float("nan"))
    with pytest.raises(ValueError, match="finite"):
        d.read(np.full(10, np.inf))
    # Past the model's +-16 V (saturated silently once), raw words that are
    # not int16 (an int32 100000 wrapped to -15.2 V), labels outside 0-9 (a
    # segfault once).
    with pytest.raises(ValueError, match="the model's range"):
        d.step(100.0)
    with pytest.raises(ValueError, match="the model's range"):
        d.step(np.full(10, -20.0))
    with pytest.raises(ValueError, match="1-D"):
        d.step(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="int16"):
        d.step_raw(np.full(10, 100000, np.int32))
    with pytest.raises(FileNotFoundError):
        ionrail.load_digits("/nonexistent/digits.csv.gz")
    # read_raw takes volts (float) or q_volt raw words (int16): another
    # integer array was read as volts, 2048 times the raw words' value.
    for v in (np.full(10, 2), np.full(10, 2, np.int32), np.full(10, 2, np.uint16), np.int64(2), np.ones(10, bool)):
        with pytest.raises(ValueError, match=r"expected volts as a float array .* or q_volt raw words as an int16 array"):
            d.read_raw(v)
    with pytest.raises(ValueError, match="int16, q_volt raw words: expected a 1-D array of 10 values"):
        d.read_raw(np.full(1, 2, np.int16))  # one raw word is not broadcast (it was read as 2 V)
    np.testing.assert_array_equal(d.read_raw(np.full(10, 2 * 2048, np.int16)), d.read_raw(2.0))
    np.testing.assert_array_equal(d.read_raw(np.full(10, 2.0)), d.read_raw(2))
    with pytest.raises(ValueError, match="outside 0-9"):
        ionrail.split_digits(np.array(list(range(10)) * 5 + [10]), 10, 1)


def test_two_threads_stepping_one_batch_give_the_sequential_state():
    import threading
    t = ionrail.Table.load(TABLE_DIR)
    n = 100000
    v = np.random.default_rng(0).uniform(-6, 6, n)
    one = ionrail.DeviceBatch(t, n, 1, initial_state=0.3)
    two = ionrail.DeviceBatch(t, n, 1, initial_state=0.3)
    for _ in range(20):
        one.step(v)
    threads = [threading.Thread(target=lambda: [two.step(v) for _ in range(10)]) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    np.testing.assert_array_equal(one.state_raw, two.state_raw)
    np.testing.assert_array_equal(one.rng, two.rng)


def test_a_copy_or_a_pickle_of_a_batch_continues_bit_identically():
    import copy
    import pickle

    t = ionrail.Table.load(TABLE_DIR)
    d = ionrail.DeviceBatch(t, 300, 4, gain_sigma=0.05, offset_sigma_s=2e-7, initial_state=0.3, noise=True)
    d.step(np.linspace(-4.0, 6.0, 300), steps=3)
    copies = [copy.copy(d), copy.deepcopy(d)] + [pickle.loads(pickle.dumps(d, protocol=p)) for p in (0, 1, 2, 5)]
    copies[0].step(5.0)  # a copy is its own: the original stays
    assert not np.array_equal(copies[0].state_raw, d.state_raw)
    copies[0] = copy.deepcopy(d)
    for v in VOLTS:
        d.step(v)
        for c in copies:
            c.step(v)
            for name in ("state_raw", "fluct_raw", "gain_raw", "g_offset_raw", "rng"):
                np.testing.assert_array_equal(getattr(c, name), getattr(d, name))
            np.testing.assert_array_equal(c.read(0.2), d.read(0.2))


def test_a_tampered_batch_pickle_raises_value_error():
    from conftest import unpickle_state

    t = ionrail.Table.load(TABLE_DIR)
    d = ionrail.DeviceBatch(t, 10, 1)
    d.step(3.0)
    state = d.__getstate__()
    np.testing.assert_array_equal(unpickle_state(d, state).state_raw, d.state_raw)
    devices = state[2]

    def with_devices(**items):
        return state[:2] + ({**devices, **items},)

    rng, state_raw, noise = devices["rng"].copy(), devices["state"].copy(), devices["noise"].copy()
    rng[3], state_raw[1], noise[2] = 0, -5, 2
    cases = [
        (with_devices(rng=rng), r"DeviceBatch pickle: rng\[3\] is 0; expected 1 to 4294967295"),
        (with_devices(state=state_raw), r"state\[1\] is -5; expected 0 to"),
        (with_devices(noise=noise), r"noise\[2\] is 2; expected 0 to 1"),
        (with_devices(gain=devices["gain"][:-1]), "devices gain: expected a 1-D int32 array of 10 values"),
        (with_devices(state=devices["state"].astype(np.int64)), "devices fluct|devices state: expected a 1-D int32"),
        (with_devices(state=5), "not the dict of device arrays"),
        (state[:2] + ([1, 2],), "not the dict of device arrays"),
        (state[:1] + ("table",) + state[2:], "expected an ionrail.Table"),
        (state + (1,), "a tuple of 3 items"),
        ((2,) + state[1:], "format 1 first"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            unpickle_state(d, bad)
