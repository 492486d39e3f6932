"""A small MLP (64-32-10) on the 8x8 digits with both layers analog
(ionrail.torch.AnalogLinear on tables/polymer_thin: DAC/ADC, device noise and
variation, updates as V/2 device pulses), next to the same MLP in float
PyTorch (SGD, lr 0.1). Prints test accuracy per epoch and writes
train_mlp.png.

Rules: ``--rule manhattan`` (one pulse per sample on the rows with input
>= 0.5 and the columns whose |gradient| passes the layer's threshold) or
``--rule pulse_train`` (stochastic pulse trains, 4 slots, gradients
normalised per sample; learning_rate 0.2 for the hidden and 0.5 for the
output layer, in expected pulses, multiplied by 0.3 after every epoch).
Without the decay, or with the rates of 1 and more that the rule used
before, the coarse pulses (about 4.5 % of the conductance span each) keep
the test accuracy jumping between 0.4 and 0.7.

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
