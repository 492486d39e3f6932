"""ionrail: polymer-memristor physics from KMC to circuits, from Python.

A thin layer over the C++ libraries (the extension module ``ionrail._ionrail``):

* :class:`Table` -- response tables: load a directory (hex, csv, header) with
  the table.json numbers the commands use (``metadata``), inspect grid and
  values, build from NumPy arrays, save every format.
* :class:`DeviceBatch` -- N compact-model devices with seeded variation and
  noise; ``step(v)``, ``read(v)``, ``state``/``conductance`` as NumPy arrays,
  bit-identical to the C++ batch API.
* :class:`Crossbar` -- the circuits crossbar (differential pairs, DAC/ADC,
  IR drop, V/2 pulse programming, energy counters).
* :func:`run` -- a KMC experiment (TOML path or dict) as ``ionrail run`` runs it.
* :func:`load_mnist` -- MNIST-format IDX images and labels (data/mnist10k),
  checked against SHA256SUMS, read by the C++ loader; :func:`split_mnist`
  the C++ seeded split (not numpy's permutation).
* ``ionrail.torch`` -- an analog linear layer for PyTorch (when torch is installed).

Bad input raises ValueError (FileNotFoundError for a missing file) with the
message the ``ionrail`` command line prints; Ctrl-C during a run raises
KeyboardInterrupt after the run saved its checkpoint. See docs/python.md.
"""
from ._ionrail import (Crossbar, DeviceBatch, Table, __version__, load_digits, split_digits, split_mnist,
                       table_metadata)
from .kmc import calibrate, run
from .mnist import load_mnist

__all__ = ["Crossbar", "DeviceBatch", "calibrate", "Table", "__version__", "load_digits", "load_mnist", "run",
           "split_digits", "split_mnist", "table_metadata"]
