"""PyTorch layer whose weights are device pairs of an ionrail crossbar.

``AnalogLinear(in_features, out_features, table)``: the forward pass goes
through :class:`ionrail.Crossbar` (DAC, devices with noise and variation,
IR drop, ADC), the backward pass is float (the gradient of ``x @ W`` with W
the crossbar's present effective weights), and learning happens only as
device programming pulses: call :meth:`AnalogLinear.apply_pulses` after
``loss.backward()``. Every backward() call since the last apply_pulses adds
its (input, gradient) rows (gradient accumulation, a layer used twice in one
graph), up to ``max_recorded_values`` float64 values (RuntimeError past it). Rules (the same V/2 writes as the C++ crossbar learner,
circuits::write_outer):

* ``"manhattan"``: per sample, the rows whose input is at least
  ``active_input`` and the columns whose |gradient| is above
  ``error_threshold`` (for softmax cross-entropy |t - p|, as the C++ rule)
  move one pulse against the gradient's sign.
* ``"pulse_train"`` (stochastic pulse trains, Gokmen & Vlasov 2016, with
  their update management): per sample, columns with |g_j| <= error_threshold
  are dropped; with ``normalize=True`` the rest are divided by the sample's
  max |g| (so the layer's gradient scale does not matter, only the threshold
  sees raw gradients). The sample then gets ``pulse_train_length`` = L slots;
  in each, row i is driven with probability p_i = c_x x_i and column j with
  q_j = c_g |g_j|, where c_x c_g = learning_rate / L and c_x max(x) =
  c_g max|g| (rows and columns equally likely at their largest), both clipped
  at 1; cells where a driven row meets a driven column move one pulse
  against the sign of g_j. The expected number of pulses on cell (i, j) is
  thus ``learning_rate * x_i * |g_j|`` (below it where a probability clips;
  at most L), i.e. ``learning_rate`` is the SGD learning rate in units of
  one device pulse. One pulse on tables/polymer_thin is about 4.5 % of the
  conductance span (0.7 in output units at out_scale 15), so rates well
  below 1 and a decay over epochs (set ``layer.learning_rate`` between
  epochs; python/examples/train_mlp.py) average out the coarse steps.

The error signal is each sample's own row of the gradient: use a loss
summed over the batch (``reduction="sum"``). A batch-mean loss (the default
of ``cross_entropy``) divides every row by the batch size, so that at 32
samples nothing passes the default threshold and no device is programmed;
``apply_pulses`` then warns (``UserWarning``, once per layer), see
docs/python.md.

The crossbar takes the table's metadata as ``ionrail crossbar`` does: its
model step ``dt_m_s`` (another value raises ValueError) and, unless
``initial_state`` is given, its rest state ``s_eq``; for a table without
them, 0.05 s and 0.25.

Weights in the forward pass are in units of the conductance span:
w = (G+ - G-) / g_span, so y = out_scale * I / (v_read * g_span).

Inputs are floating-point tensors of shape (..., in_features), as for
torch.nn.Linear (float16 and bfloat16 are computed in float32 and returned
in their own dtype). The layer's state (every device of its crossbar, the
pulse-train generator, the learning rate) is in ``state_dict()`` as extra
state and is copied exactly by ``copy.deepcopy``, ``load_state_dict`` and
pickling: ``torch.save(layer)`` or ``torch.save(layer.state_dict())``, read
back with ``torch.load(f, weights_only=False)`` by the same ionrail version
(the state holds a Crossbar, not only tensors), see docs/python.md.
"""
import copy
import math
import numbers
import warnings

import numpy as np
import torch

from . import _ionrail


# pulse_train_length: each slot is a write; past this a sample's train is
# more writes than any schedule needs, and its random draws (L x rows) a
# memory hazard.
_MAX_PULSE_TRAIN_LENGTH = 1_000_000
_EXTRA_STATE_FORMAT = 1


def _finite_in(name, value, inside, interval):
    """VALUE as a float, finite and inside; TypeError (not a number, a bool) or ValueError naming NAME otherwise."""
    try:
        if isinstance(value, bool):
            raise TypeError
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} = {value!r}: expected a finite number in {interval}") from None
    # NaN passes no comparison: each number must be finite and inside.
    if not (math.isfinite(x) and inside(x)):
        raise ValueError(f"{name} = {value}: expected a finite number in {interval}")
    return x


def _pulse_train_length(value):
    """A whole number of slots in [1, _MAX_PULSE_TRAIN_LENGTH] (1.5 and NaN were taken, and 1.5 failed in apply_pulses)."""
    interval = f"[1, {_MAX_PULSE_TRAIN_LENGTH}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"pulse_train_length = {value!r}: expected a whole number in {interval}")
    if isinstance(value, numbers.Integral):
        whole = int(value)
    elif math.isfinite(value) and float(value).is_integer():
        whole = int(value)
    else:
        raise ValueError(f"pulse_train_length = {value}: expected a whole number in {interval}")
    if not 1 <= whole <= _MAX_PULSE_TRAIN_LENGTH:
        raise ValueError(f"pulse_train_length = {value}: expected a whole number in {interval}")
    return whole


class _CrossbarFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, layer):
        rows = x.detach().cpu().double().numpy()
        y = layer.xbar.forward(rows) * layer._current_to_output
        ctx.layer = layer
        # The input goes with this call's graph, not onto the layer: another
        # forward before backward() (an evaluation under no_grad) once
        # replaced it, and its rows were paired with this call's gradient.
        ctx.rows = rows
        return torch.from_numpy(y).to(device=x.device, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        layer = ctx.layer
        # Added to the rows recorded since the last apply_pulses: several
        # backward() calls (gradient accumulation) and a layer used twice in
        # one graph each add theirs (only the last call's were kept).
        layer._record(ctx.rows, grad_out.detach().cpu().double().numpy())
        w = torch.from_numpy(layer.effective_weight()).to(device=grad_out.device, dtype=grad_out.dtype)
        return grad_out @ w.T, None


class AnalogLinear(torch.nn.Module):
    # The most float64 values (input and gradient rows together) recorded
    # between two apply_pulses calls, 2**27 = 1 GiB: a backward() past it
    # raises RuntimeError (a loop that never applies them grew without bound).
    max_recorded_values = 1 << 27

    def __init__(self, in_features, out_features, table, bias=True, rule="manhattan", v_write=8.0,
                 pulse_train_length=4, learning_rate=1.0, normalize=False, active_input=0.5, error_threshold=0.3,
                 out_scale=15.0, seed=1, dac_bits=8,
                 adc_bits=8, v_read_v=0.2, wire_ohm=0.0, noise=True, gain_sigma=0.0, offset_sigma_s=0.0,
                 initial_state=None, dt_m_s=None):
        super().__init__()
        if rule not in ("manhattan", "pulse_train"):
            raise ValueError(f"rule {rule!r}: expected 'manhattan' or 'pulse_train'")
        self.in_features, self.out_features, self.bias = in_features, out_features, bias
        for name, value, inside, interval in (("v_write", v_write, lambda x: 0 < x <= 16, "(0, 16]"),
                                              ("active_input", active_input, lambda x: 0 <= x <= 1, "[0, 1]"),
                                              ("error_threshold", error_threshold, lambda x: x >= 0, "[0, inf)"),
                                              ("out_scale", out_scale, lambda x: x > 0, "(0, inf)")):
            _finite_in(name, value, inside, interval)
        self.learning_rate = learning_rate  # checked (a property, as it may change between epochs)
        self.pulse_train_length = pulse_train_length  # checked: a whole number
        self.rule, self.v_write = rule, v_write
        self.normalize = normalize
        self.active_input, self.error_threshold = active_input, error_threshold
        rows = in_features + (1 if bias else 0)
        self.xbar = _ionrail.Crossbar(table, rows, out_features, dac_bits=dac_bits, adc_bits=adc_bits,
                                      v_read_v=v_read_v, wire_ohm=wire_ohm, gain_sigma=gain_sigma,
                                      offset_sigma_s=offset_sigma_s, noise=noise, dt_m_s=dt_m_s,
                                      initial_state=initial_state, seed=seed)
        self.v_read_v = v_read_v
        self.out_scale = out_scale
        self._current_to_output = out_scale / (v_read_v * self.xbar.g_span_s)
        self._rng = np.random.default_rng(seed)
        self._recorded = []  # (input rows, gradient rows) of each backward call since the last apply_pulses
        self._warned_threshold = False  # the below-threshold warning was given (once per layer)

    @property
    def learning_rate(self):
        """Expected pulses per unit x_i |g_j| (pulse trains); a finite number > 0, may change between epochs."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = _finite_in("learning_rate", value, lambda x: x > 0, "(0, inf)")

    @property
    def pulse_train_length(self):
        """Slots per sample's pulse train: a whole number in [1, 1000000]."""
        return self._pulse_train_length

    @pulse_train_length.setter
    def pulse_train_length(self, value):
        self._pulse_train_length = _pulse_train_length(value)

    def _rows(self, x):
        x = x.clamp(0.0, 1.0)
        if self.bias:
            x = torch.cat([x, torch.ones(*x.shape[:-1], 1, dtype=x.dtype, device=x.device)], dim=-1)
        return x

    def forward(self, x):
        """x: a floating-point tensor (..., in_features) with values in [0, 1] (clamped); returns (..., out_features)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (..., in_features); got {type(x).__name__}")
        if not x.is_floating_point():
            # An integer tensor's outputs were truncated to integers.
            raise TypeError(f"x has dtype {x.dtype}: expected a floating-point tensor (inputs in [0, 1])")
        if x.dim() == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"x has shape {tuple(x.shape)}: expected (..., in_features) with in_features = "
                             f"{self.in_features}")
        if torch.isnan(x).any():
            raise ValueError("x holds NaN: expected inputs in [0, 1]")
        out_dtype, lead = x.dtype, x.shape[:-1]
        if x.dtype in (torch.float16, torch.bfloat16):
            x = x.float()  # CPU kernels (clamp, matmul) lack half precision; the crossbar reads in float64
        if x.dim() > 2:
            x = x.reshape(-1, self.in_features)  # as torch.nn.Linear: every leading dimension a batch
        rows = self._rows(x)
        if torch.is_grad_enabled() and not rows.requires_grad:
            # The weights are devices, not Parameters: the graph must still
            # reach backward() so that the gradient is recorded for apply_pulses.
            rows = rows.detach().requires_grad_()
        y = _CrossbarFunction.apply(rows, self)
        return y.reshape(*lead, self.out_features).to(out_dtype)

    def get_extra_state(self):
        """The layer's state beyond its constructor's arguments: a copy of the crossbar (every device exactly),
        the pulse-train generator's state and the learning rate (load_state_dict restores them)."""
        return {"format": _EXTRA_STATE_FORMAT, "crossbar": copy.deepcopy(self.xbar),
                "rng": copy.deepcopy(self._rng.bit_generator.state), "learning_rate": self.learning_rate}

    def set_extra_state(self, state):
        if not (isinstance(state, dict) and state.get("format") == _EXTRA_STATE_FORMAT and
                isinstance(state.get("crossbar"), _ionrail.Crossbar) and isinstance(state.get("rng"), dict)):
            raise ValueError("AnalogLinear state: expected the dict of get_extra_state() (format "
                             f"{_EXTRA_STATE_FORMAT}, crossbar, rng, learning_rate)")
        xbar = state["crossbar"]
        rows = self.in_features + (1 if self.bias else 0)
        if (xbar.rows, xbar.cols) != (rows, self.out_features):
            raise ValueError(f"AnalogLinear state: a crossbar of {xbar.rows} x {xbar.cols}; this layer needs "
                             f"{rows} x {self.out_features} (in_features + bias row, out_features)")
        learning_rate = _finite_in("learning_rate", state["learning_rate"], lambda x: x > 0, "(0, inf)")
        rng = np.random.default_rng()
        rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.xbar = copy.deepcopy(xbar)
        self.v_read_v = self.xbar.v_read_v
        self._current_to_output = self.out_scale / (self.v_read_v * self.xbar.g_span_s)
        self._rng, self.learning_rate = rng, learning_rate
        self._recorded = []  # a gradient recorded before belongs to other devices

    def effective_weight(self):
        """(rows, out) weights in output units: out_scale * (G+ - G-) / g_span (bias row last)."""
        return self.xbar.weights / self.xbar.g_span_s * self.out_scale

    def apply_pulses(self):
        """Program the devices, sample by sample, from every (input, gradient) row that backward() recorded since
        the last call (several backward() calls accumulate, as .grad does; a layer used twice in one graph records
        both uses); then forget them. Returns the energy (J).

        Each sample's gradient row is compared with error_threshold as it is: a loss averaged over the batch
        divides it by the batch size. A non-zero gradient of several rows, none above the threshold, of which
        one would pass it multiplied by the number of rows, programs nothing and warns (UserWarning, once
        per layer): use reduction="sum", or a lower error_threshold."""
        if not self._recorded:
            raise RuntimeError("apply_pulses needs a forward and a backward pass first")
        xs = np.concatenate([x for x, _ in self._recorded])
        gs = np.concatenate([g for _, g in self._recorded])
        self._recorded = []
        self._check_threshold(gs)
        energy = 0.0
        for x, g in zip(xs, gs):
            gmax = np.abs(g).max()
            if gmax == 0:
                continue
            direction = -np.sign(g).astype(int)
            if self.rule == "manhattan":
                active = (x >= self.active_input).astype(int)
                cols = np.where(np.abs(g) > self.error_threshold, direction, 0)
                if active.any() and cols.any():
                    energy += self.xbar.write_outer(active.tolist(), cols.tolist(), self.v_write)
            else:
                energy += self._pulse_train(x, g, direction)
        return energy

    def _record(self, rows, grad):
        """Add one backward call's input ROWS (n, rows) and gradient GRAD (n, out) to those apply_pulses will
        program; RuntimeError, recording nothing, past max_recorded_values."""
        xs, gs = rows.reshape(-1, rows.shape[-1]), grad.reshape(-1, grad.shape[-1])
        if len(xs) != len(gs):
            raise RuntimeError(f"AnalogLinear: {len(xs)} input rows but {len(gs)} gradient rows")
        held = sum(x.size + g.size for x, g in self._recorded)
        if held + xs.size + gs.size > self.max_recorded_values:
            raise RuntimeError(
                f"AnalogLinear({self.in_features}, {self.out_features}): {self.recorded_samples} samples recorded "
                f"since the last apply_pulses() and {len(xs)} more would hold {held + xs.size + gs.size} values, "
                f"past max_recorded_values = {self.max_recorded_values} (float64, {self.max_recorded_values * 8 / 2**20:.0f} "
                "MiB): call apply_pulses() (or discard_gradients()) after fewer backward() calls, or raise "
                "layer.max_recorded_values")
        self._recorded.append((xs, gs))

    @property
    def recorded_samples(self):
        """Sample rows recorded by backward() since the last apply_pulses (every call and every use of the layer)."""
        return sum(len(x) for x, _ in self._recorded)

    def discard_gradients(self):
        """Forget the rows recorded since the last apply_pulses without programming anything (for a backward()
        that was not meant to train this layer)."""
        self._recorded = []

    def __setstate__(self, state):
        # A layer pickled before the rows were accumulated held the last
        # backward call's as _last_input and _last_grad.
        state = dict(state)
        last_input, last_grad = state.pop("_last_input", None), state.pop("_last_grad", None)
        super().__setstate__(state)
        if "_recorded" not in self.__dict__:
            self._recorded = []
            if last_input is not None and last_grad is not None:
                self._record(last_input, last_grad)

    def _check_threshold(self, gs):
        """Warn (once per layer) when the recorded gradient GS (samples x out) is not zero but no entry is above
        error_threshold, so that nothing is programmed, and a loss averaged over its samples would explain it:
        several samples, and one of them above the threshold if its row were multiplied by their number."""
        gmax = float(np.abs(gs).max()) if gs.size else 0.0
        # One sample (its gradient is its error), or rows that stay below the threshold even multiplied by
        # their number (a trained layer's learned samples, under any reduction): nothing to warn about.
        if getattr(self, "_warned_threshold", False) or gmax == 0 or gmax > self.error_threshold or \
                len(gs) < 2 or not gmax * len(gs) > self.error_threshold:
            return
        self._warned_threshold = True
        warnings.warn(
            f"AnalogLinear({self.in_features}, {self.out_features}): apply_pulses programmed no device: no entry of "
            f"the recorded gradient ({len(gs)} sample rows, largest |g| = {gmax:.3g}) is above error_threshold = "
            f"{self.error_threshold:g}. The error signal is the per-sample gradient (a row of dloss/doutput); a loss "
            "averaged over the batch (reduction='mean', the default of cross_entropy and mse_loss) divides it by "
            "the batch size. Use reduction='sum' (then each row is that sample's own error), or a lower "
            "error_threshold. (Warned once per layer; docs/python.md, ionrail.torch.)", UserWarning, stacklevel=3)

    def pulse_train_probabilities(self, x, g):
        """Row and column probabilities of one sample's pulse train (see the module docstring)."""
        x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
        g = np.where(np.abs(g) > self.error_threshold, np.abs(g), 0.0)
        gmax, xmax = g.max(), x.max()
        if gmax == 0 or xmax == 0:
            return np.zeros_like(x), np.zeros_like(g)
        if self.normalize:
            g, gmax = g / gmax, 1.0
        # Update management: c_x * c_g = learning_rate / length, and the largest
        # row and column probabilities are equal (c_x * xmax = c_g * gmax).
        c = self.learning_rate / self.pulse_train_length
        c_x, c_g = np.sqrt(c * gmax / xmax), np.sqrt(c * xmax / gmax)
        return np.minimum(c_x * x, 1.0), np.minimum(c_g * g, 1.0)

    def _pulse_train(self, x, g, direction):
        p_row, p_col = self.pulse_train_probabilities(x, g)
        if not p_col.any():
            return 0.0
        energy = 0.0
        rows = self._rng.random((self.pulse_train_length, x.size)) < p_row
        cols = self._rng.random((self.pulse_train_length, g.size)) < p_col
        for r, c in zip(rows, cols):
            if r.any() and c.any():
                dirs = np.where(c, direction, 0)
                energy += self.xbar.write_outer(r.astype(int).tolist(), dirs.tolist(), self.v_write)
        return energy

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias}, rule={self.rule}"
