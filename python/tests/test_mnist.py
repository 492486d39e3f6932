"""ionrail.load_mnist on data/mnist10k: shapes, the README's class counts,
and refusals of a corrupted, a missing and a mislabelled file; the C++ split."""
import gzip
import hashlib
import shutil

import numpy as np
import pytest

import ionrail
from conftest import SOURCE_DIR

MNIST = SOURCE_DIR / "data" / "mnist10k"


def test_shapes_and_class_counts():
    x, y = ionrail.load_mnist(MNIST)
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8 and y.shape == (10000,)
    assert x.min() == 0 and x.max() == 255
    # data/mnist10k/README.md
    assert np.bincount(y).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    xf, yf = ionrail.load_mnist(MNIST, dtype=np.float32)
    assert xf.dtype == np.float32 and xf.max() == 1.0
    np.testing.assert_array_equal(np.rint(xf * 255).astype(np.uint8), x)
    np.testing.assert_array_equal(yf, y)
    # An integer type other than uint8 would wrap 255 (int8: -1): refused.
    for dtype in (np.int8, int, np.int32):
        with pytest.raises(ValueError, match="expected np.uint8"):
            ionrail.load_mnist(MNIST, dtype=dtype)


def copy(tmp_path):
    d = tmp_path / "mnist"
    shutil.copytree(MNIST, d)
    for f in d.iterdir():
        f.chmod(0o644)
    return d


def test_corrupted_file_raises(tmp_path):
    d = copy(tmp_path)
    raw = bytearray((d / "images-idx3-ubyte.gz").read_bytes())
    raw[1000] ^= 0xFF
    (d / "images-idx3-ubyte.gz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="images-idx3-ubyte.gz: SHA256"):
        ionrail.load_mnist(d)


def test_missing_file_raises(tmp_path):
    d = copy(tmp_path)
    (d / "labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="labels-idx1-ubyte.gz"):
        ionrail.load_mnist(d)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ionrail.load_mnist(tmp_path / "nowhere")


def test_bad_magic_and_size_raise_even_with_matching_checksums(tmp_path):
    d = copy(tmp_path)
    labels = gzip.decompress((d / "labels-idx1-ubyte.gz").read_bytes())

    def write(data):
        raw = gzip.compress(data)
        (d / "labels-idx1-ubyte.gz").write_bytes(raw)
        sums = (d / "SHA256SUMS").read_text().splitlines()
        sums = [f"{hashlib.sha256(raw).hexdigest()}  labels-idx1-ubyte.gz" if "labels" in s else s for s in sums]
        (d / "SHA256SUMS").write_text("\n".join(sums) + "\n")

    write(b"\x00\x00\x08\x03" + labels[4:])
    with pytest.raises(ValueError, match="labels-idx1-ubyte.gz: IDX magic number 0x00000803, expected 0x00000801"):
        ionrail.load_mnist(d)
    write(labels[:-1])
    with pytest.raises(ValueError, match="labels-idx1-ubyte.gz: header says 10000 = 10000 bytes, the file has 9999"):
        ionrail.load_mnist(d)


def test_cpp_split_is_a_seeded_shuffle_of_fixed_sizes():
    # circuits::split_mnist: not numpy's permutation, the same sizes.
    train, test = ionrail.split_mnist(10000, 2000, 1)
    assert len(train) == 8000 and len(test) == 2000
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(10000))
    again, _ = ionrail.split_mnist(10000, 2000, 1)
    np.testing.assert_array_equal(again, train)
    with pytest.raises(ValueError, match="split_mnist: test_count 0"):
        ionrail.split_mnist(10000, 0, 1)
