"""An MLP on MNIST (data/mnist10k) with both layers analog
(ionrail.torch.AnalogLinear on tables/polymer_thin: DAC/ADC, device noise and
variation, updates as V/2 device pulses), next to the same MLP in float
PyTorch (SGD, lr 0.1). Prints test accuracy per epoch and writes
train_mnist.png.

Split: the fixed shuffle of data/mnist10k/README.md,
``numpy.random.default_rng(1).permutation(10000)``; its first 8,000 indices
are the training set, its last 2,000 the test set. ``--train N`` trains on
the first N of the 8,000 (default all); the test set is always the 2,000.

Inputs: 2x2 average pooling to 14x14 = 196 pixels by default, scaled to
[0, 1]. ``--pool 1`` keeps the 784 pixels: three times the time per digit
and, after one epoch of 2,000 digits, 0.43 instead of 0.69 test accuracy
(Manhattan; earlier table and defaults). The MLP is 196-H-10 (H = ``--hidden``, 64), sigmoid hidden
units centred and scaled once by a digital periphery, as in train_mlp.py;
the rules, pulse amplitudes, thresholds and pulse_train learning rates
(1.0 for both layers, x0.5 per epoch) are those of train_mlp.py. With the defaults (8,000 digits, 3
epochs) a run takes about 30 s (Manhattan) or 50 s (pulse_train) on two
cores.

    PYTHONPATH=build/python python3 python/examples/train_mnist.py [--rule manhattan|pulse_train]
        [--epochs N] [--train N] [--pool 1|2|4] [--seed S]
"""
import argparse
import pathlib

import numpy as np
import torch

import ionrail
from mlp_side_by_side import add_options, train_side_by_side

ROOT = pathlib.Path(__file__).resolve().parents[2]
p = argparse.ArgumentParser()
add_options(p, hidden=64, out="train_mnist.png")
p.add_argument("--train", type=int, default=8000, help="training digits per epoch (of 8,000)")
p.add_argument("--pool", type=int, default=2, choices=[1, 2, 4], help="average pooling (1: 784 inputs)")
a = p.parse_args()

images, labels = ionrail.load_mnist(ROOT / "data" / "mnist10k", dtype=np.float64)
n = len(labels)
images = images.reshape(n, 28 // a.pool, a.pool, 28 // a.pool, a.pool).mean(axis=(2, 4)).reshape(n, -1)
perm = np.random.default_rng(1).permutation(n)
train, test = perm[:8000][:a.train], perm[8000:]
x, y = torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))
train_side_by_side(a, ROOT / "tables" / "polymer_thin", x[train], y[train], x[test], y[test],
                   f"MNIST, {len(train)} training digits, {x.shape[1]}-{a.hidden}-10")
