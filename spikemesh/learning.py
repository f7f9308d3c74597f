"""On-chip learning (issue 29), first piece: the pre- and post-synaptic traces of Loihi's
learning engine as Lava 0.10 computes them, bit for bit.

Lava's fixed-point learning model (``PyLearningDenseModelBitApproximate``, tagged
``bit_approximate_loihi``: Lava's own approximation of Loihi, not Loihi itself) keeps per
pre-synaptic neuron the traces ``x1, x2`` and per post-synaptic neuron ``y1, y2, y3``, 7-bit
(0..127), and the within-epoch spike times ``tx, ty``. What it does, and :class:`Traces` does:

- **every step**: a neuron that spikes a second time within an epoch adds its impulse at once
  (pre: with the random number 0; post: with the y generator's impulse number), and its spike
  time (1..``t_epoch``) is recorded; then both trace generators advance twice (once after the
  pre side, once after the post side);
- **at the end of an epoch** (``step % t_epoch == 0``): the epoch is replayed step by step:
  every trace with ``tau != 0`` decays to ``floor(exp(-1/tau) x)`` plus 1 where the
  generator's decay number is below the fractional part; at the step a neuron spiked its
  impulse is added (``impulse = integer + fraction / 256``; the fraction rounds
  stochastically against the generator's impulse number in 0..127 -- so a fraction of 1/2 or
  more always rounds up, Lava's quirk), clipped to 0..127; the spike times reset. A trace with
  ``tau = 0`` is replayed from zeros: it holds only what its neuron added in the epoch's last
  step.

The random numbers are Lava's: one ``numpy.random.default_rng(seed)`` stream per generator,
one draw per advance, shared by every neuron (``rng_seed`` for x decay, ``+1`` x impulse,
``+2`` / ``+3`` for y). The weight, tag and delay updates (Lava's sum-of-products rules) are
not built yet: ``tests/data/lava_learning.npz`` holds their Lava traces for when they are.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_int, check_number
from .exceptions import ParameterError

__all__ = ["TRACE_MAX", "Traces"]

TRACE_BITS = 7  # Lava's W_TRACE: traces hold 0..127
TRACE_MAX = 2**TRACE_BITS - 1
IMPULSE_FRACTION_BITS = 8  # W_TRACE_FRACTIONAL_PART


class _Generator:
    """One of Lava's ``TraceRandom`` generators: a decay number in [0, 1) and an impulse number
    in 0..127, redrawn together by :meth:`advance`."""

    def __init__(self, seed_decay: int, seed_impulse: int) -> None:
        self._decay = np.random.default_rng(seed=seed_decay)
        self._impulse = np.random.default_rng(seed=seed_impulse)
        self.advance()

    def advance(self) -> None:
        self.decay = float(self._decay.random(1)[0])
        self.impulse = int(self._impulse.integers(0, 2**TRACE_BITS, size=1, dtype=int)[0])


def _split(owner: str, impulses) -> tuple[np.ndarray, np.ndarray]:
    imp = np.array([check_number(owner, f"impulse[{k}]", v, 0, TRACE_MAX)
                    for k, v in enumerate(impulses)], np.float64)  # fmt: skip
    whole = np.floor(imp)
    frac = np.round((imp - whole) * 2**IMPULSE_FRACTION_BITS)
    return whole.astype(np.int64), frac.astype(np.int64)


def _round(values, random, fraction):
    return values + (random < fraction).astype(np.int64)


class Traces:
    """The x (pre, ``n_pre`` neurons) and y (post, ``n_post``) traces of one plastic
    projection, stepped as Lava 0.10's fixed-point model steps them (module docstring).

    ``x_impulses`` / ``x_taus``: 2 values (x1, x2); ``y_*``: 3 (y1, y2, y3); a trace with
    ``tau = 0`` is not kept (Lava replays an epoch from zeros for it: it holds only the impulse
    of its neuron's spike in the epoch's last step). ``step(pre, post)`` takes the step's spikes (boolean per neuron) and returns True
    when the step ended an epoch. ``x`` (2, n_pre) and ``y`` (3, n_post) hold the traces,
    ``tx`` / ``ty`` the within-epoch spike times (0 = none)."""

    def __init__(self, n_pre: int, n_post: int, *, x_impulses=(0, 0), x_taus=(0, 0),
                 y_impulses=(0, 0, 0), y_taus=(0, 0, 0), t_epoch: int = 1,
                 rng_seed: int = 0) -> None:  # fmt: skip
        o = "Traces"
        self.n_pre = check_int(o, "n_pre", n_pre, 1)
        self.n_post = check_int(o, "n_post", n_post, 1)
        self.t_epoch = check_int(o, "t_epoch", t_epoch, 1, 2**6 - 1)  # Lava: 6-bit epoch time
        seed = check_int(o, "rng_seed", rng_seed, 0, 2**63 - 4)
        if len(tuple(x_impulses)) != 2 or len(tuple(x_taus)) != 2:
            raise ParameterError(f"{o}: x_impulses and x_taus take 2 values (x1, x2)")
        if len(tuple(y_impulses)) != 3 or len(tuple(y_taus)) != 3:
            raise ParameterError(f"{o}: y_impulses and y_taus take 3 values (y1, y2, y3)")
        self._xi, self._xf = _split(f"{o}.x_impulses", x_impulses)
        self._yi, self._yf = _split(f"{o}.y_impulses", y_impulses)
        self._xtau = np.array([check_number(o, "x_taus", t, 0) for t in x_taus])
        self._ytau = np.array([check_number(o, "y_taus", t, 0) for t in y_taus])
        self._xr = _Generator(seed, seed + 1)
        self._yr = _Generator(seed + 2, seed + 3)
        self.x = np.zeros((2, self.n_pre), np.int64)
        self.y = np.zeros((3, self.n_post), np.int64)
        self.tx = np.zeros(self.n_pre, np.int64)
        self.ty = np.zeros(self.n_post, np.int64)
        self.time_step = 0

    def _impulse(self, tr, random, whole, frac):
        return np.clip(_round(tr + whole, random, frac), 0, TRACE_MAX)

    def step(self, pre, post) -> bool:
        """Advance one step with this step's pre and post spikes; True at an epoch's end."""
        s = np.asarray(pre, bool)
        b = np.asarray(post, bool)
        if s.shape != (self.n_pre,) or b.shape != (self.n_post,):
            raise ParameterError(f"Traces.step: spikes must have shapes ({self.n_pre},) and "
                                 f"({self.n_post},) (got {s.shape}, {b.shape})")  # fmt: skip
        self.time_step += 1
        within = self.time_step % self.t_epoch or self.t_epoch
        again = (self.tx > 0) & s  # a second spike in the epoch: its impulse at once
        for k in range(2):
            self.x[k, again] = self._impulse(self.x[k, again], 0, self._xi[k], self._xf[k])
        self.tx[s] = within
        self._xr.advance()
        self._yr.advance()
        again = (self.ty > 0) & b
        self.y[:, again] = self._impulse(self.y[:, again], self._yr.impulse,
                                         self._yi[:, None], self._yf[:, None])  # fmt: skip
        self.ty[b] = within
        self._xr.advance()
        self._yr.advance()
        if self.time_step % self.t_epoch:
            return False
        self.x = self._replay(self.x, self.tx, self._xtau, self._xr, self._xi, self._xf)
        self.y = self._replay(self.y, self.ty, self._ytau, self._yr, self._yi, self._yf)
        self.tx[:] = 0
        self.ty[:] = 0
        return True

    def _replay(self, tr, times, taus, gen, whole, frac):
        """The epoch step by step: decay (stochastic rounding), then the impulses of the
        neurons whose spike time is that step."""
        for t in range(1, self.t_epoch + 1):
            new = np.zeros_like(tr)  # Lava's history starts from zeros: a trace with tau = 0
            for k in np.flatnonzero(taus):  # keeps only the impulse of the step
                v = np.exp(-1 / taus[k]) * tr[k]
                new[k] = _round(np.floor(v).astype(np.int64), gen.decay, v % 1)
            ids = np.flatnonzero(times == t)
            new[:, ids] = self._impulse(new[:, ids], gen.impulse, whole[:, None], frac[:, None])
            tr = new
        return tr
