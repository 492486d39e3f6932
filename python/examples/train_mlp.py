"""A small MLP (64-32-10) on the 8x8 digits with both layers analog
(ionrail.torch.AnalogLinear on tables/polymer_thin: DAC/ADC, device noise and
variation, updates as V/2 device pulses), next to the same MLP in float
PyTorch (SGD, lr 0.1). Prints test accuracy per epoch and writes
train_mlp.png.

Rules: ``--rule manhattan`` (one 5.5 V pulse per sample on the rows with
input >= 0.5 and the columns whose |gradient| passes the layer's threshold,
0.02 hidden and 0.2 output) or ``--rule pulse_train`` (stochastic pulse
trains of 6.0 V, 4 slots, gradients normalised per sample; learning_rate 1.0
for both layers, in expected pulses, halved after every epoch). The pulse
amplitude matters most: at 8 V each pulse moves a device so far that the
test accuracy jumps between 0.3 and 0.6 from epoch to epoch
(docs/python.md).

    PYTHONPATH=build/python python3 python/examples/train_mlp.py [--rule manhattan|pulse_train] [--epochs N] [--seed S]
"""
import argparse
import pathlib

import torch

import ionrail
from mlp_side_by_side import add_options, train_side_by_side

ROOT = pathlib.Path(__file__).resolve().parents[2]
p = argparse.ArgumentParser()
add_options(p, hidden=32, out="train_mlp.png")
a = p.parse_args()

x, y = ionrail.load_digits(ROOT / "data" / "digits.csv.gz")
train, test = ionrail.split_digits(y, 450, 1)
x = torch.from_numpy(x / 16.0)
y = torch.from_numpy(y)
train_side_by_side(a, ROOT / "tables" / "polymer_thin", x[train], y[train], x[test], y[test],
                   f"8x8 digits, {len(train)} training digits, 64-{a.hidden}-10")
