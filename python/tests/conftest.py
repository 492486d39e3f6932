"""Shared fixtures: where the sources and the C++ binaries are (set by ctest;
otherwise taken from the layout build-*/bin next to this checkout)."""
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("IONRAIL_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


def _bin_dir():
    if "IONRAIL_BIN_DIR" in os.environ:
        return pathlib.Path(os.environ["IONRAIL_BIN_DIR"])
    import ionrail._ionrail as m  # build-*/python/ionrail/_ionrail*.so -> build-*/bin

    return pathlib.Path(m.__file__).resolve().parents[2] / "bin"


BIN_DIR = _bin_dir()
TABLE_DIR = SOURCE_DIR / "tables" / "polymer"


@pytest.fixture
def table_dir():
    return TABLE_DIR


def cli(*args, check=False):
    """Runs the `ionrail` command line; returns CompletedProcess (text)."""
    return subprocess.run([str(BIN_DIR / "ionrail"), *map(str, args)], capture_output=True, text=True, check=check,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


def cli_message(*args):
    """The one-line error the CLI prints for bad input (exit code 2), without "ionrail: "."""
    r = cli(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("ionrail: "), line
    return line[len("ionrail: "):]


def interrupted_child(code, args, after_s):
    """Runs `python -c CODE ARGS` (which prints "start" first), sends it SIGINT
    AFTER_S seconds after that line, and returns its stdout once it exits 0."""
    import signal
    import sys
    import time

    p = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert p.stdout.readline().strip() == "start"
    time.sleep(after_s)
    p.send_signal(signal.SIGINT)
    stdout, _ = p.communicate(timeout=120)
    assert p.returncode == 0, stdout
    return stdout


class Tampered:
    """Pickles as OBJ with STATE instead of its own (a tampered file): on
    unpickling, OBJ's class gets STATE in __setstate__, as from a file. It
    may stand inside another tampered state."""

    def __init__(self, obj, state):
        self.cls, self.state = type(obj), state

    def __reduce__(self):
        import copyreg

        return copyreg.__newobj__, (self.cls,), self.state


def unpickle_state(obj, state):
    """pickle.loads of a pickle of OBJ whose state is STATE instead of its own."""
    import pickle

    # Protocol 1: copyreg.__newobj__ is then a plain call (protocol 2's
    # NEWOBJ insists on the pickled object's own class).
    return pickle.loads(pickle.dumps(Tampered(obj, state), protocol=1))
