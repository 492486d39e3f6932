"""KMC experiments: ``ionrail.run`` runs an experiment file as ``ionrail run`` does."""
import math
import os
import sys
import tempfile

from . import _ionrail


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError(f"{v} cannot be written to TOML")
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise ValueError(f"value {v!r} of type {type(v).__name__} cannot be written to TOML")


def to_toml(config, _prefix=""):
    """TOML text of a nested dict (tables, arrays of tables, scalars, strings, arrays)."""
    lines, tables, arrays = [], [], []
    for k, v in config.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, (list, tuple)) and v and all(isinstance(x, dict) for x in v):
            arrays.append((k, v))
        else:
            lines.append(f"{k} = {_toml_value(v)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in tables:
        name = f"{_prefix}.{k}" if _prefix else k
        out += f"\n[{name}]\n" + to_toml(v, name)
    for k, items in arrays:
        name = f"{_prefix}.{k}" if _prefix else k
        for item in items:
            out += f"\n[[{name}]]\n" + to_toml(item, name)
    return out


def _progress(progress):
    if progress is None:
        return sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    return bool(progress)


def _config_path(config, tmp, name):
    """The TOML path of ``config``: itself, or a dict written as TMP/NAME (a
    relative ``material`` taken from the current directory)."""
    if not isinstance(config, dict):
        return os.fspath(config)
    config = dict(config)
    if isinstance(config.get("material"), str):
        config["material"] = os.path.abspath(config["material"])
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_toml(config))
    return path


def run(config, out_dir=None, overrides=(), force=False, max_work=1e14, progress=None):
    """Run a KMC experiment.

    ``config`` is a TOML file path or a dict with the same tables
    (``[device]``, ``[protocol]``, ``[sim]``, ... as in experiments/*.toml).
    The run's files (trace.csv, summary, ...) go to ``out_dir`` (a temporary
    directory, removed afterwards, when None). Returns a dict: ``out_dir``,
    ``series_key`` and ``variants``, each with ``trace`` (dict of NumPy arrays:
    t_s, v, f_left, f_right, state, g_s, i_a, i_ion_a, energy_j), ``info``
    (solver summary) and scalars. The GIL is released while it runs; Ctrl-C
    saves a checkpoint in OUT_DIR.checkpoint/ and raises KeyboardInterrupt.
    ``progress``: the CLI's progress lines on stderr (default: when stderr is a terminal).
    """
    with tempfile.TemporaryDirectory(prefix="ionrail-run-") as tmp:
        path = _config_path(config, tmp, "experiment.toml")
        target = os.fspath(out_dir) if out_dir is not None else os.path.join(tmp, "out")
        result = _ionrail.run_experiment(path, target, list(overrides), force, max_work, _progress(progress))
        if out_dir is None:
            result["out_dir"] = None
        return result


def calibrate(config, out_dir, overrides=(), force=False, resume=False, max_work=1e14, progress=None):
    """Calibrate a response table as ``ionrail calibrate CONFIG --out OUT_DIR`` does.

    ``config`` is a TOML path or a dict (``material``, ``[calibration]``,
    ``[sim]``, as in experiments/calibrate_*.toml; a relative ``material`` in a
    dict is taken from the current directory). Writes the table directory
    OUT_DIR and returns the :class:`ionrail.Table`. The GIL is released; Ctrl-C
    saves the finished runs in OUT_DIR.checkpoint/ and raises KeyboardInterrupt
    (``resume=True`` continues). ``progress`` as in :func:`run`.
    """
    with tempfile.TemporaryDirectory(prefix="ionrail-calibrate-") as tmp:
        path = _config_path(config, tmp, "calibrate.toml")
        return _ionrail.calibrate(path, os.fspath(out_dir), list(overrides), force, resume, max_work,
                                  _progress(progress))
