import copy
import json
import pickle
import shutil

import numpy as np
import pytest

import ionrail
from conftest import TABLE_DIR, cli, cli_message, unpickle_state


def test_version():
    assert ionrail.__version__ == "0.1.0"


def test_every_format_loads_the_same_table():
    hexed = ionrail.Table.load(TABLE_DIR)
    for fmt in ("csv", "header", "h", "hex"):
        assert ionrail.Table.load(str(TABLE_DIR), fmt) == hexed
    meta = json.loads((TABLE_DIR / "table.json").read_text())
    assert hexed.checksum in json.dumps(meta)
    g = hexed.grid
    assert g["n_s"] == len(hexed.s_points) and g["n_v"] == len(hexed.v_points)
    assert hexed.drift.shape == (g["n_s"], g["n_v"]) == hexed.noise.shape == hexed.fluct.shape
    assert hexed.s_points[0] == 0.0 and hexed.s_points[-1] == 1.0
    assert hexed.v_points[0] == -hexed.v_points[-1]
    assert (hexed.noise >= 0).all() and (hexed.g_siemens >= 0).all()


def test_metadata():
    meta = json.loads((TABLE_DIR / "table.json").read_text())
    assert ionrail.table_metadata(str(TABLE_DIR), "dt_m_s") == meta["calibration"]["dt_m_s"]
    with pytest.raises(ValueError, match="no_such_key"):
        ionrail.table_metadata(str(TABLE_DIR), "no_such_key")


def test_round_trip_save_load_and_from_arrays(tmp_path):
    t = ionrail.Table.load(TABLE_DIR)
    t.save(str(tmp_path / "copy"))
    for fmt in ("hex", "csv", "header"):
        assert ionrail.Table.load(str(tmp_path / "copy"), fmt) == t
    g = t.grid
    built = ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift, t.noise, t.fluct, t.g_siemens,
                                      t.fluct_rho)
    assert built == t
    assert built.checksum == t.checksum
    # a different table is not equal
    other = ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift * 0.5, t.noise, t.fluct,
                                      t.g_siemens, t.fluct_rho)
    assert not (other == t)
    np.testing.assert_allclose(other.drift, t.drift * 0.5, atol=2**-30)


def test_from_arrays_refuses_bad_values():
    t = ionrail.Table.load(TABLE_DIR)
    g = t.grid
    bad = t.noise.copy()
    bad[1, 2] = -1.0
    with pytest.raises(ValueError, match="noise"):
        ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift, bad, t.fluct, t.g_siemens)
    with pytest.raises(ValueError, match="g_siemens has 3 values"):
        ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift, t.noise, t.fluct, [1e-6] * 3)
    # Past the fixed-point formats: refused, not saturated (Q1.30: |x| < 2;
    # Q11.20 µS: G < 2048 µS).
    big = t.drift.copy()
    big[0, 0] = 5.0
    with pytest.raises(ValueError, match=r"drift\[0\] = 5: expected a finite number in \[-2, 2\]"):
        ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], big, t.noise, t.fluct, t.g_siemens)
    g_big = t.g_siemens.copy()
    g_big[-1] = 0.01
    with pytest.raises(ValueError, match="g_siemens"):
        ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift, t.noise, t.fluct, g_big)


def test_a_failed_save_raises_the_os_error(tmp_path):
    t = ionrail.Table.load(TABLE_DIR)
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(OSError):
        t.save(str(tmp_path / "file" / "table"))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not __import__("os").access(locked, __import__("os").W_OK):  # root writes anyway
            with pytest.raises(PermissionError, match="cannot create"):
                t.save(str(locked))
    finally:
        locked.chmod(0o700)


def test_missing_table_raises_file_not_found_with_the_cli_message(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as e:
        ionrail.Table.load(str(missing))
    assert str(e.value) == cli_message("export", "spice", missing, "--out", tmp_path / "o", "--quiet")


def test_corrupt_table_raises_value_error_with_the_cli_message(tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(TABLE_DIR, bad)
    lines = (bad / "table.hex").read_text().splitlines()
    lines[5] = "zz"
    (bad / "table.hex").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError) as e:
        ionrail.Table.load(str(bad))
    msg = str(e.value)
    assert "table.hex" in msg
    assert msg == cli_message("export", "spice", bad, "--out", tmp_path / "o", "--quiet")
    with pytest.raises(ValueError, match="xml"):
        ionrail.Table.load(str(TABLE_DIR), "xml")


PROTOCOL = """[protocol]
kind = "relax"
voltage_v = 5.0
pulse_s = 1.0
relax_s = 1.0
"""


def test_a_loaded_table_keeps_its_metadata_and_saves_it_for_the_commands(tmp_path):
    # The saved copy once lost dt_m_s and the rest: `ionrail replay` and
    # `ionrail export` refused it ("missing key dt_m_s").
    t = ionrail.Table.load(TABLE_DIR)
    calibration = json.loads((TABLE_DIR / "table.json").read_text())["calibration"]
    keys = ["dt_m_s", "s_eq", "device_rails", "initial_variance", "initial_slow_variance"]
    assert dict(t.metadata) == {k: calibration[k] for k in keys}
    assert list(t.metadata) == keys and isinstance(t.metadata["device_rails"], int)
    with pytest.raises(TypeError):
        t.metadata["s_eq"] = 0.5  # a read-only mapping: assign a dict to change it
    t.save(tmp_path / "copy")
    for k in keys:
        assert ionrail.table_metadata(tmp_path / "copy", k) == calibration[k]
    assert dict(ionrail.Table.load(tmp_path / "copy", "csv").metadata) == dict(t.metadata)
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(PROTOCOL)
    for table, out in ((TABLE_DIR, "original"), (tmp_path / "copy", "copy")):
        r = cli("replay", table, "--protocol", protocol, "--out", tmp_path / ("replay_" + out), "--quiet")
        assert r.returncode == 0, r.stderr
        r = cli("export", "spice", table, "--out", tmp_path / ("spice_" + out), "--quiet")
        assert r.returncode == 0, r.stderr
    assert ((tmp_path / "replay_copy" / "replay.csv").read_bytes() ==
            (tmp_path / "replay_original" / "replay.csv").read_bytes())
    assert ((tmp_path / "spice_copy" / "ionrail.lib").read_text().replace(str(tmp_path / "copy"), "T") ==
            (tmp_path / "spice_original" / "ionrail.lib").read_text().replace(str(TABLE_DIR), "T"))


def test_from_arrays_takes_checked_metadata(tmp_path):
    t = ionrail.Table.load(TABLE_DIR)
    g = t.grid
    args = (g["s_log2_step"], g["v_log2_step"], t.drift, t.noise, t.fluct, t.g_siemens, t.fluct_rho)
    bare = ionrail.Table.from_arrays(*args)
    assert dict(bare.metadata) == {}
    bare.save(tmp_path / "bare")
    # without metadata the commands refuse it, naming the key
    assert cli_message("export", "spice", tmp_path / "bare", "--out", tmp_path / "o", "--quiet").endswith(
        'table.json: missing key "dt_m_s"')
    meta = {"s_eq": 0.25, "dt_m_s": 0.05, "device_rails": 100, "initial_variance": 1e-5, "initial_slow_variance": 1e-5}
    built = ionrail.Table.from_arrays(*args, metadata=meta)
    assert built == t and dict(built.metadata) == meta and list(built.metadata)[0] == "dt_m_s"
    built.save(tmp_path / "built")
    assert cli("export", "spice", tmp_path / "built", "--out", tmp_path / "spice", "--quiet").returncode == 0
    assert ionrail.table_metadata(tmp_path / "built", "dt_m_s") == 0.05
    assert '"dt_m_s": 0.05,' in (tmp_path / "built" / "table.json").read_text()
    with pytest.raises(ValueError, match=r"dt_m_s = 0: expected a model step in \[1e-9, 1000\] s"):
        ionrail.Table.from_arrays(*args, metadata={"dt_m_s": 0.0})
    with pytest.raises(ValueError, match=r"device_rails = 1.5: expected a whole number"):
        ionrail.Table.from_arrays(*args, metadata={"device_rails": 1.5})
    with pytest.raises(ValueError, match=r"s_eq = nan"):
        ionrail.Table.from_arrays(*args, metadata={"s_eq": float("nan")})
    with pytest.raises(ValueError, match="'dt' is not a table metadata key"):
        ionrail.Table.from_arrays(*args, metadata={"dt": 0.05})
    with pytest.raises(TypeError, match=r"metadata\['s_eq'\] must be a number"):
        ionrail.Table.from_arrays(*args, metadata={"s_eq": "0.25"})
    with pytest.raises(TypeError, match="metadata must be a dict"):
        ionrail.Table.from_arrays(*args, metadata=[("s_eq", 0.25)])
    built.metadata = {"s_eq": 0.5}
    assert dict(built.metadata) == {"s_eq": 0.5}
    with pytest.raises(ValueError, match="initial_variance = 0.3"):
        built.metadata = {"initial_variance": 0.3}
    assert dict(built.metadata) == {"s_eq": 0.5}  # unchanged by the refused assignment


def test_save_refuses_to_replace_a_saved_table_unless_overwrite(tmp_path):
    t = ionrail.Table.load(TABLE_DIR)
    g = t.grid
    half = ionrail.Table.from_arrays(g["s_log2_step"], g["v_log2_step"], t.drift * 0.5, t.noise, t.fluct,
                                     t.g_siemens, t.fluct_rho)
    t.save(tmp_path / "cal")
    before = (tmp_path / "cal" / "table.json").read_text()
    with pytest.raises(FileExistsError, match="table.json: a table is already saved there; pass overwrite=True"):
        half.save(tmp_path / "cal")
    assert (tmp_path / "cal" / "table.json").read_text() == before
    assert ionrail.Table.load(tmp_path / "cal") == t
    half.save(tmp_path / "cal", overwrite=True)
    assert ionrail.Table.load(tmp_path / "cal") == half
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("a directory without a table")
    t.save(tmp_path / "other")  # no table.json there: nothing to replace
    assert ionrail.Table.load(tmp_path / "other") == t


def test_comparing_a_table_with_another_type_is_false():
    t = ionrail.Table.load(TABLE_DIR)
    assert not (t == 5) and not (t == None) and t != "table"  # noqa: E711 (these raised TypeError)
    assert t == ionrail.Table.load(TABLE_DIR) and not (t != ionrail.Table.load(TABLE_DIR))


def test_load_records_the_metadata_present_and_refuses_it_out_of_range(tmp_path):
    meta = json.loads((TABLE_DIR / "table.json").read_text())
    shutil.copytree(TABLE_DIR, tmp_path / "some")
    meta["calibration"] = {"dt_m_s": 0.05, "s_eq": 0.25}
    (tmp_path / "some" / "table.json").write_text(json.dumps(meta))
    assert dict(ionrail.Table.load(tmp_path / "some").metadata) == {"dt_m_s": 0.05, "s_eq": 0.25}
    meta["calibration"]["s_eq"] = 2.0
    (tmp_path / "some" / "table.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"table.json: s_eq = 2: expected a state in \[0, 1\]"):
        ionrail.Table.load(tmp_path / "some")


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_table_pickles_exactly_with_its_metadata(protocol):
    loaded = ionrail.Table.load(TABLE_DIR)
    built = ionrail.Table.from_arrays(2, loaded.grid["v_log2_step"], loaded.drift[::16], loaded.noise[::16], loaded.fluct[::16],
                                      loaded.g_siemens[::16], fluct_rho=0.3, metadata={"s_eq": 0.4, "device_rails": 7})
    for t in (loaded, built):
        u = pickle.loads(pickle.dumps(t, protocol=protocol))
        assert u == t and u.checksum == t.checksum and u.fluct_rho == t.fluct_rho
        assert dict(u.metadata) == dict(t.metadata) and u.grid == t.grid
        for name in ("drift", "noise", "fluct", "g_siemens"):
            np.testing.assert_array_equal(getattr(u, name), getattr(t, name))
    assert dict(pickle.loads(pickle.dumps(built)).metadata) == {"s_eq": 0.4, "device_rails": 7}
    assert copy.deepcopy(built) == built and dict(copy.deepcopy(built).metadata) == dict(built.metadata)


def test_a_tampered_table_pickle_raises_value_error():
    t = ionrail.Table.load(TABLE_DIR)
    state = t.__getstate__()
    assert unpickle_state(t, state) == t  # the helper itself rebuilds the table

    def changed(index, value):
        return state[:index] + (value,) + state[index + 1:]

    drift = state[2].copy()
    drift[7] += 1
    noise = state[3].copy()
    noise[3] = -1
    cases = [
        (changed(2, drift), "checksum .* is not the recorded .*corrupt or edited"),
        (changed(3, noise), "negative standard deviation"),
        (changed(7, state[7] + 1), "checksum"),  # fluct_kick is in the checksum too
        (changed(6, -5), "fluct_rho and fluct_kick must lie in"),
        (changed(2, drift.astype(np.float64)), "drift: expected a 1-D int32 array of"),
        (changed(5, state[5][:-1]), "g: expected a 1-D int32 array of 65 values"),
        (changed(1, (65, 41, 6)), r"grid: expected \(n_s, n_v, s_log2_step, v_log2_step\)"),
        (changed(1, (66, 41, 6, 10)), "grid: s grid needs n_s = 2"),
        (changed(8, 17), "wrong type"),
        (changed(9, {"s_eq": 3.0}), r"Table pickle: metadata: s_eq = 3: expected a state in \[0, 1\]"),
        (changed(9, {"colour": 1.0}), "'colour' is not a table metadata key"),
        (changed(9, ["s_eq"]), "metadata must be a dict"),
        (changed(0, 2), "format 1 first"),
        (state[:-1], "a tuple of 10 items"),
        ("table", "a tuple of 10 items"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            unpickle_state(t, bad)
