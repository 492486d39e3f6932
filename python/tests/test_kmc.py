"""ionrail.run against the `ionrail run` command line: the same experiment
file and seed give the same trace.csv, byte for byte, and the arrays returned
are the trace the CLI writes."""
import os
import subprocess
import sys

import numpy as np
import pytest

import ionrail
from conftest import cli, cli_message, interrupted_child

SMALL = {
    "device": {"thickness_nm": 20, "sites": 20, "rails": 50, "zones": 4},
    "species": [{"name": "ion", "activation_energy_ev": 0, "attempt_frequency_hz": 1, "fill": 0.3}],
    "field": {"ion_density_m3": 0},
    "sim": {"seed": 5},
    "protocol": {"kind": "relax", "voltage_v": 0.5, "pulse_s": 2, "relax_s": 3, "sample_every_s": 0.5},
    "output": {"plots": False},
}


def write_config(path, config=SMALL):
    path.write_text(ionrail.kmc.to_toml(config))
    return path


def load_trace(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return {name: data[:, i] for i, name in enumerate(header)}


def test_run_equals_the_cli_trace(tmp_path):
    cfg = write_config(tmp_path / "run.toml")
    r = cli("run", cfg, "--out", tmp_path / "cli", "--quiet")
    assert r.returncode == 0, r.stderr
    res = ionrail.run(str(cfg), out_dir=tmp_path / "py")
    cli_trace = (tmp_path / "cli" / "trace.csv").read_bytes()
    assert (tmp_path / "py" / "trace.csv").read_bytes() == cli_trace
    (v,) = res["variants"]
    csv = load_trace(tmp_path / "cli" / "trace.csv")
    tr = v["trace"]
    assert len(tr["t_s"]) == len(csv["t_s"]) > 5
    for name, col in csv.items():
        if name in tr:
            np.testing.assert_allclose(tr[name], col, rtol=1e-6, atol=1e-30, err_msg=name)
    assert len(set(tr["state"])) > 1
    assert v["info"]["seed"] == 5


def test_dict_config_and_overrides(tmp_path):
    from_dict = ionrail.run(SMALL)
    cfg = write_config(tmp_path / "run.toml")
    from_file = ionrail.run(cfg)
    np.testing.assert_array_equal(from_dict["variants"][0]["trace"]["state"], from_file["variants"][0]["trace"]["state"])
    other = ionrail.run(cfg, overrides=["sim.seed=6"])
    assert other["variants"][0]["info"]["seed"] == 6


def test_bad_key_raises_value_error_with_the_cli_message(tmp_path):
    cfg = dict(SMALL, protocol=dict(SMALL["protocol"], voltage_v="high"))
    path = write_config(tmp_path / "bad.toml", cfg)
    with pytest.raises(ValueError) as e:
        ionrail.run(path, out_dir=tmp_path / "py")
    assert str(e.value) == cli_message("run", path, "--out", tmp_path / "cli", "--quiet")
    assert "voltage_v" in str(e.value)


def test_missing_file_raises_with_the_cli_message(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises((FileNotFoundError, ValueError)) as e:
        ionrail.run(path, out_dir=tmp_path / "py")
    assert str(e.value) == cli_message("run", path, "--out", tmp_path / "cli", "--quiet")


LONG = dict(SMALL, device=dict(SMALL["device"], rails=1200),
            species=[dict(SMALL["species"][0], attempt_frequency_hz=3000)],
            field={"ion_density_m3": 1e24}, sim={"threads": 1, "seed": 3},
            protocol=dict(SMALL["protocol"], sample_every_s=0.05, relax_s=300))

CHILD = """
import sys, ionrail
print("start", flush=True)
try:
    ionrail.run(sys.argv[1], out_dir=sys.argv[2])
    print("finished")
except KeyboardInterrupt as e:
    print("KeyboardInterrupt:", e, flush=True)
# Python's own SIGINT handler is back after the run
import os, signal, time
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
    print("no KeyboardInterrupt")
except KeyboardInterrupt:
    print("handler restored")
"""


def test_ctrl_c_raises_keyboard_interrupt_and_keeps_the_checkpoint(tmp_path):
    cfg = write_config(tmp_path / "long.toml", LONG)
    out = tmp_path / "out"
    stdout = interrupted_child(CHILD, [cfg, out], 1.0)
    assert stdout.startswith("KeyboardInterrupt: interrupted by SIGINT"), stdout
    assert stdout.splitlines()[-1] == "handler restored", stdout
    checkpoints = [x for x in tmp_path.iterdir() if x.name.startswith("out.checkpoint")]
    assert checkpoints and any(checkpoints[0].iterdir()), list(tmp_path.iterdir())


PROGRESS_CHILD = """
import sys, ionrail
ionrail.run(sys.argv[1], progress=None if sys.argv[2] == "default" else sys.argv[2] == "on")
"""


def run_with_stderr_on_a_terminal(cfg, progress):
    """The child's stderr on a pseudo-terminal; returns what it wrote there."""
    import pty
    main, child = pty.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-c", PROGRESS_CHILD, str(cfg), progress], stderr=child,
                             stdout=subprocess.DEVNULL, env=os.environ)
        os.close(child)
        out = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        assert p.wait(timeout=60) == 0
    finally:
        os.close(main)
    return out.decode(errors="replace")


def test_progress_bar_on_a_terminal_only(tmp_path):
    cfg = write_config(tmp_path / "run.toml")
    shown = run_with_stderr_on_a_terminal(cfg, "default")
    assert "% ETA" in shown and "ionrail: done in" in shown, shown
    assert "ETA" not in run_with_stderr_on_a_terminal(cfg, "off")
    piped = subprocess.run([sys.executable, "-c", PROGRESS_CHILD, str(cfg), "default"], capture_output=True,
                           text=True, env=os.environ)
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
