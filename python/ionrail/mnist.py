"""MNIST in the IDX format (data/mnist10k): numpy and gzip only.

``load_mnist(directory)`` reads ``images-idx3-ubyte.gz`` and
``labels-idx1-ubyte.gz``, checks both against the directory's ``SHA256SUMS``,
their IDX magic numbers (0x00000803 and 0x00000801), the sizes in the headers
against the data, and that the two counts agree. A missing file raises
FileNotFoundError, anything else wrong ValueError; both name the file.
"""
import gzip
import hashlib
import pathlib

import numpy as np

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


def _read(directory, name, sums, magic, dims):
    path = directory / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    raw = path.read_bytes()
    if name not in sums:
        raise ValueError(f"{path}: not listed in {directory / 'SHA256SUMS'}")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sums[name]:
        raise ValueError(f"{path}: SHA256 {digest} differs from SHA256SUMS ({sums[name]})")
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: not a gzip file ({e})") from None
    head = 4 + 4 * dims
    if len(data) < head:
        raise ValueError(f"{path}: {len(data)} bytes, shorter than the IDX header ({head} bytes)")
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        raise ValueError(f"{path}: IDX magic number 0x{got:08x}, expected 0x{magic:08x}")
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(dims))
    size = int(np.prod(shape))
    if len(data) - head != size:
        raise ValueError(f"{path}: header says {' x '.join(map(str, shape))} = {size} bytes, the file has "
                         f"{len(data) - head}")
    return np.frombuffer(data, dtype=np.uint8, offset=head).reshape(shape).copy()


def load_mnist(directory, dtype=np.uint8):
    """Images and labels of an IDX data set such as data/mnist10k.

    Returns ``(images, labels)``: images (N, 28, 28), uint8 0-255 (or, with
    ``dtype=float``/``np.float32``..., scaled to [0, 1]); labels (N,) uint8 0-9.
    """
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such directory")
    sums = _checksums(directory)
    images = _read(directory, IMAGES, sums, 0x00000803, 3)
    labels = _read(directory, LABELS, sums, 0x00000801, 1)
    if len(images) != len(labels):
        raise ValueError(f"{directory / IMAGES}: {len(images)} images but {directory / LABELS} has "
                         f"{len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{directory / LABELS}: label {labels.max()} outside 0-9")
    if np.dtype(dtype) != np.uint8:
        images = images.astype(dtype) / 255.0
    return images, labels
