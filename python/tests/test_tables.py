import json
import shutil

import numpy as np
import pytest

import ionrail
from conftest import TABLE_DIR, cli_message


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
