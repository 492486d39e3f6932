"""ionrail.calibrate against `ionrail calibrate`: the same small calibration
gives the same table, bit for bit."""
import pytest

import ionrail
from conftest import SOURCE_DIR, cli, cli_message, interrupted_child

TINY = {
    "material": str(SOURCE_DIR / "materials" / "polymer_thin.toml"),
    "sim": {"seed": 7},
    "calibration": {"device_rails": 10, "devices": 4, "runs": 2, "duration_s": 20.0, "dt_m_s": 0.05,
                    "v_max_v": 10.0, "state_bits": 4, "v_step_v": 1.0},
}


def test_calibrate_equals_the_cli(tmp_path):
    cfg = tmp_path / "cal.toml"
    cfg.write_text(ionrail.kmc.to_toml(TINY))
    r = cli("calibrate", cfg, "--out", tmp_path / "cli", "--quiet")
    assert r.returncode == 0, r.stderr
    t = ionrail.calibrate(TINY, tmp_path / "py")
    assert t == ionrail.Table.load(tmp_path / "cli")
    assert t.grid["n_s"] == 17 and (t.noise > 0).any()


def test_calibrate_refuses_bad_input_with_the_cli_message(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[calibration]\nruns = 0\n")
    with pytest.raises(ValueError) as e:
        ionrail.calibrate(cfg, tmp_path / "py")
    assert str(e.value) == cli_message("calibrate", cfg, "--out", tmp_path / "cli", "--quiet")


def test_calibrate_from_measured_pulse_trains(tmp_path):
    # A [measured_table] file (docs/measurements.md): the same table as the CLI's and the shipped one.
    t = ionrail.calibrate(SOURCE_DIR / "experiments" / "measured" / "pulses.toml", tmp_path / "py")
    assert t == ionrail.Table.load(SOURCE_DIR / "tables" / "measured_pulses")
    assert ionrail.table_metadata(tmp_path / "py", "dt_m_s") == 0.05
    assert (tmp_path / "py" / "report.md").exists()


LONG = dict(TINY, calibration=dict(TINY["calibration"], device_rails=200, devices=8, runs=4, duration_s=100.0))

CHILD = """
import sys, ionrail
print("start", flush=True)
try:
    ionrail.calibrate(sys.argv[1], sys.argv[2])
    print("finished")
except KeyboardInterrupt as e:
    print("KeyboardInterrupt:", e, flush=True)
"""


def test_ctrl_c_keeps_the_finished_runs_and_resume_gives_the_same_table(tmp_path):
    cfg = tmp_path / "long.toml"
    cfg.write_text(ionrail.kmc.to_toml(LONG))
    out = tmp_path / "out"
    stdout = interrupted_child(CHILD, [cfg, out], 1.5)
    assert stdout.startswith("KeyboardInterrupt: interrupted by SIGINT"), stdout
    assert not out.exists()  # no partial table
    checkpoint = tmp_path / "out.checkpoint"
    assert checkpoint.is_dir() and any(checkpoint.iterdir()), list(tmp_path.iterdir())
    resumed = ionrail.calibrate(cfg, out, resume=True)
    assert not checkpoint.exists()
    assert resumed == ionrail.calibrate(cfg, tmp_path / "straight")
