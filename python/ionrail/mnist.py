"""MNIST in the IDX format (data/mnist10k).

``load_mnist(directory)`` checks ``images-idx3-ubyte.gz`` and
``labels-idx1-ubyte.gz`` against the directory's ``SHA256SUMS`` (here, with
hashlib), then reads them with the C++ loader (circuits/mnist.hpp), which
checks the gzip streams, the IDX magic numbers (0x00000803 and 0x00000801),
the sizes in the headers against the data, the labels, and that the two
counts agree. A missing file raises FileNotFoundError, anything else wrong
ValueError; both name the file.
"""
import hashlib
import pathlib

import numpy as np

from ._ionrail import _load_mnist_idx

IMAGES = "images-idx3-ubyte.gz"
LABELS = "labels-idx1-ubyte.gz"


def _checksums(directory):
    path = directory / "SHA256SUMS"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    sums = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise ValueError(f"{path}:{n}: expected '<sha256>  <file>', got {line!r}")
        sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def _checked(directory, name, sums):
    """The file's path once its SHA256 matches SHA256SUMS."""
    path = directory / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if name not in sums:
        raise ValueError(f"{path}: not listed in {directory / 'SHA256SUMS'}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sums[name]:
        raise ValueError(f"{path}: SHA256 {digest} differs from SHA256SUMS ({sums[name]})")
    return path


def load_mnist(directory, dtype=np.uint8):
    """Images and labels of an IDX data set such as data/mnist10k.

    Returns ``(images, labels)``: images (N, 28, 28), uint8 0-255 (or, with
    ``dtype=float``/``np.float32``..., scaled to [0, 1]); labels (N,) uint8 0-9.
    """
    # Integer types other than uint8 would wrap 255 (int8: -1) or keep 0-255
    # where [0, 1] is documented: refused, not converted.
    if np.dtype(dtype) != np.uint8 and not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype {np.dtype(dtype)}: expected np.uint8 (0-255) or a floating type (scaled to [0, 1])")
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such directory")
    sums = _checksums(directory)
    # The IDX parsing and its checks are the C++ loader's (circuits/mnist.hpp).
    images, labels = _load_mnist_idx(_checked(directory, IMAGES, sums), _checked(directory, LABELS, sums))
    if np.dtype(dtype) != np.uint8:
        images = images.astype(dtype) / 255.0
    return images, labels
