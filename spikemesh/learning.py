"""On-chip learning (issue 29): Loihi's learning engine as Lava 0.10 computes it, bit for bit --
the pre- and post-synaptic traces (:class:`Traces`), the sum-of-products rule language
(:func:`parse_rule`, :class:`LearningRule`, :class:`STDP`) and the epoch-end update of weights
and tags (:class:`Plasticity`). docs/learning.md has the semantics and what is verified.

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
``+2`` / ``+3`` for y). The weight and tag updates are :class:`Plasticity`'s. Not built yet:
plastic projections in a mapped network (``Network.connect(learning=...)``), compiled kernels,
the learning engine's cycles and energy in the simulator's counters.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np

from ._validate import check_choice, check_int, check_number, int_array
from .exceptions import ParameterError, QuantizationWarning, ShapeError

__all__ = [
    "STDP",
    "TRACE_MAX",
    "LearningRule",
    "Plasticity",
    "Traces",
    "parse_rule",
    "rule_from_dict",
]

TRACE_BITS = 7  # Lava's W_TRACE: traces hold 0..127
TRACE_MAX = 2**TRACE_BITS - 1
IMPULSE_FRACTION_BITS = 8  # W_TRACE_FRACTIONAL_PART


class _Generator:
    """One of Lava's ``TraceRandom`` generators: a decay number in [0, 1) and an impulse number
    in 0..127, redrawn together by :meth:`advance`."""

    BLOCK = 4096  # numbers drawn at a time: the same stream as one draw per call (NumPy's
    # Generator.random and .integers consume PCG64 the same way for size 1 and size n)

    def __init__(self, seed_decay: int, seed_impulse: int) -> None:
        self._decay = np.random.default_rng(seed=seed_decay)
        self._impulse = np.random.default_rng(seed=seed_impulse)
        self._k = self.BLOCK
        self.advance()

    def advance(self) -> None:
        if self._k == self.BLOCK:
            self._decays = self._decay.random(self.BLOCK).tolist()
            self._impulses = self._impulse.integers(0, 2**TRACE_BITS, size=self.BLOCK,
                                                    dtype=int).tolist()  # fmt: skip
            self._k = 0
        self.decay = self._decays[self._k]
        self.impulse = self._impulses[self._k]
        self._k += 1


def _split(owner: str, impulses) -> tuple[np.ndarray, np.ndarray]:
    imp = np.array([check_number(owner, f"impulse[{k}]", v, 0, TRACE_MAX)
                    for k, v in enumerate(impulses)], np.float64)  # fmt: skip
    whole = np.floor(imp)
    frac = np.round((imp - whole) * 2**IMPULSE_FRACTION_BITS)
    return whole.astype(np.int64), frac.astype(np.int64)


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
                 rng_seed: int = 0, kernels=None) -> None:  # fmt: skip
        o = "Traces"
        # ``kernels``: a namespace with trace_step / trace_replay (the compiled backend's);
        # default this module's NumPy twins
        self._kern = kernels if kernels is not None else _TWINS
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
        # per trace exp(-1 / tau), each a scalar np.exp as Lava computes it (0: not kept)
        self._xfac = np.array([float(np.exp(-1 / t)) if t > 0 else 0.0 for t in self._xtau])
        self._yfac = np.array([float(np.exp(-1 / t)) if t > 0 else 0.0 for t in self._ytau])
        self._xkept = (self._xtau > 0).astype(np.uint8)
        self._ykept = (self._ytau > 0).astype(np.uint8)
        self._xr = _Generator(seed, seed + 1)
        self._yr = _Generator(seed + 2, seed + 3)
        self.x = np.zeros((2, self.n_pre), np.int64)
        self.y = np.zeros((3, self.n_post), np.int64)
        self.tx = np.zeros(self.n_pre, np.int64)
        self.ty = np.zeros(self.n_post, np.int64)
        self.time_step = 0

    def step(self, pre, post) -> bool:
        """Advance one step with this step's pre and post spikes; True at an epoch's end."""
        s = np.asarray(pre, bool)
        b = np.asarray(post, bool)
        if s.shape != (self.n_pre,) or b.shape != (self.n_post,):
            raise ParameterError(f"Traces.step: spikes must have shapes ({self.n_pre},) and "
                                 f"({self.n_post},) (got {s.shape}, {b.shape})")  # fmt: skip
        k = self._kern
        self.time_step += 1
        within = self.time_step % self.t_epoch or self.t_epoch
        # a second spike in the epoch adds its impulse at once (x: against 0, y: a draw)
        k.trace_step(self.x, self.tx, s.view(np.uint8), within, self._xi, self._xf, 0)
        self._xr.advance()
        self._yr.advance()
        k.trace_step(self.y, self.ty, b.view(np.uint8), within, self._yi, self._yf,
                     self._yr.impulse)  # fmt: skip
        self._xr.advance()
        self._yr.advance()
        if self.time_step % self.t_epoch:
            return False
        self.x_history = self._replay(self.x, self.tx, self._xfac, self._xkept, self._xr,
                                      self._xi, self._xf)  # fmt: skip
        self.y_history = self._replay(self.y, self.ty, self._yfac, self._ykept, self._yr,
                                      self._yi, self._yf)  # fmt: skip
        self.x, self.y = self.x_history[-1].copy(), self.y_history[-1].copy()
        self.epoch_tx, self.epoch_ty = self.tx.copy(), self.ty.copy()
        self.tx[:] = 0
        self.ty[:] = 0
        return True

    def _replay(self, tr, times, factors, kept, gen, whole, frac):
        hist = np.empty((self.t_epoch + 1, *tr.shape), np.int64)
        self._kern.trace_replay(tr, times, factors, kept, float(gen.decay), int(gen.impulse),
                                whole, frac, hist)  # fmt: skip
        return hist


def trace_step(tr, times, spikes, within, whole, frac, random) -> None:
    """One step of a set of traces ``tr`` (K, n) int64 with spike times ``times`` (n,) int64:
    a neuron spiking (``spikes`` (n,) uint8) that already spiked in the epoch adds its impulse
    at once, ``tr[k] = clip(tr[k] + whole[k] + (random < frac[k]), 0, 127)``; every spiking
    neuron's time becomes ``within`` (its step in the epoch, 1..t_epoch). In place. The twin
    of the compiled ``kernels.trace_step``."""
    s = spikes.view(bool)
    again = (times > 0) & s
    if again.any():
        tr[:, again] = np.clip(tr[:, again] + whole[:, None] + (random < frac[:, None]), 0,
                               TRACE_MAX)  # fmt: skip
    times[s] = within


def trace_replay(tr, times, factors, kept, decay_random, impulse_random, whole, frac,
                 history) -> None:  # fmt: skip
    """An epoch replayed step by step (Lava 0.10's history): ``history[0] = tr``; at step t
    every kept trace k decays, ``v = factors[k] * prev`` (float64, ``factors[k] = exp(-1 /
    tau_k)``), to ``floor(v) + (decay_random < v - floor(v))``, a trace not kept (tau = 0)
    restarts at 0, then the neurons whose time is t add their impulse, ``clip(new + whole[k] +
    (impulse_random < frac[k]), 0, 127)``; ``history[t]`` is the result (``history``
    (t_epoch + 1, K, n) int64, written in place). The twin of the compiled
    ``kernels.trace_replay``."""
    history[0] = tr
    on = kept.view(bool)
    for t in range(1, history.shape[0]):
        prev = history[t - 1]
        new = np.zeros_like(prev)
        v = factors[on, None] * prev[on]
        fl = np.floor(v)
        new[on] = fl.astype(np.int64) + (decay_random < v - fl)
        ids = np.flatnonzero(times == t)
        if ids.size:
            new[:, ids] = np.clip(new[:, ids] + whole[:, None] + (impulse_random < frac[:, None]),
                                  0, TRACE_MAX)  # fmt: skip
        history[t] = new


# ---------------------------------------------------------------------------------------------
# The rule language: Loihi's sum of products, parsed as Lava 0.10 parses it


ACC_BITS = 15  # W_ACCUMULATOR_U: the synaptic-change accumulator holds 16 signed bits
SCALE_MANT_BITS = 4  # W_S_MANT
SYN_BITS = 8  # W_WEIGHTS_U = W_TAG_1_U = W_TAG_2_U: a synaptic variable's magnitude bits
SYN_SHIFT = ACC_BITS - SYN_BITS  # a variable enters the accumulator shifted left 7
FACTOR_BITS = {"x0": 1, "y0": 1, "x1": 7, "x2": 7, "y1": 7, "y2": 7, "y3": 7,
               "w": 9, "d": 9, "t": 9}  # fmt: skip
TARGETS = {"dw": "weights", "dd": "tag_2", "dt": "tag_1"}
_TOKEN = re.compile(
    r"(?P<op>[+\-*])|(?P<lit>\d+\*2\^[+\-]?\d+|2\^[+\-]?\d+|\d+)|(?P<dep>x0|y0|u\d)"
    r"|(?P<var>x[12]|y[123]|w|d|t)|(?P<sgn>sgn\()|(?P<open>\()"
)


@dataclass(frozen=True)
class Factor:
    """One factor of a product: ``var + const`` (``sgn=True``: ``sgn(var + const)``)."""

    var: str
    const: int = 0
    sgn: bool = False


@dataclass(frozen=True)
class Product:
    """``mantissa * 2**exponent * dependency * factor * ...``; ``dependency`` x0, y0 or u."""

    dependency: str
    mantissa: int
    exponent: int
    factors: tuple[Factor, ...]
    text: str


def _literal(tok: str) -> tuple[int, int]:
    if "^" not in tok:
        return int(tok), 0
    m, e = tok.split("^")
    return (int(m[:-2]) if m.endswith("*2") else 1), int(e)


def _closing(s: str, i: int, owner: str, text: str) -> int:
    depth = 1
    for j in range(i, len(s)):
        depth += {"(": 1, ")": -1}.get(s[j], 0)
        if depth == 0:
            return j
    raise ParameterError(f"{owner}: {text!r}: a bracket is not closed")


def _bracket(inner: str, owner: str, term: str) -> tuple[str | None, int, int, int]:
    """``(var + C)`` / ``(C + var)`` / ``(C)``, Lava's forms: (var or None, const, sign of the
    factor, literal scale (mantissa, exponent) folded into the product)."""
    m = re.fullmatch(r"([+\-]?)(x0|y0|x[12]|y[123]|w|d|t)(?:([+\-])(\d+))?", inner)
    if m is not None:
        if m.group(1) == "-" and m.group(3) is None:
            raise ParameterError(f"{owner}: term {term!r}: write '-{m.group(2)}' outside the "
                                 "brackets (Lava drops the sign of a lone bracketed variable)")  # fmt: skip
        sign = -1 if m.group(1) == "-" else 1
        const = int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1)
        return m.group(2), sign * const, sign, 0
    m = re.fullmatch(r"([+\-]?)(\d+)([+\-])(x0|y0|x[12]|y[123]|w|d|t)", inner)
    if m is not None:
        sign = -1 if m.group(3) == "-" else 1
        const = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        return m.group(4), sign * const, sign, 0
    m = re.fullmatch(r"([+\-]?)(\d+\*2\^[+\-]?\d+|2\^[+\-]?\d+|\d+)", inner)
    if m is not None:
        mant, exp = _literal(m.group(2))
        return None, mant * (-1 if m.group(1) == "-" else 1), 1, exp
    raise ParameterError(f"{owner}: term {term!r}: '({inner})' is not one of Loihi's factor "
                         "forms (var + C), (C + var) or (C)")  # fmt: skip


def parse_rule(target: str, text: str, owner: str = "LearningRule") -> tuple[Product, ...]:
    """Parse one rule (``dw``, ``dd`` or ``dt``) of Loihi's sum-of-products language as Lava
    0.10's ``SymbolicEquation`` / ``ProductSeries`` do. Each product: literals (``3``, ``2^-2``,
    ``3*2^-2``; all multiplied into one scale ``mantissa * 2**exponent``), one dependency (the
    first of ``x0``, ``y0``, ``uk``; later ones are factors), factors ``x1 x2 y1 y2 y3 w d t``,
    ``(var + C)`` and ``sgn(w|d|t + C)``. A term the chip cannot express is refused by name."""
    check_choice(owner, "target", target, tuple(TARGETS))
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(f"{owner}.{target}: must be a non-empty rule string (got {text!r})")
    s = text.replace(" ", "")
    terms: list[list] = [[]]
    i = 0
    while i < len(s):
        m = _TOKEN.match(s, i)
        if m is None:
            raise ParameterError(f"{owner}.{target}: {text!r}: cannot read {s[i:]!r} (allowed: "
                                 "x0 y0 uk x1 x2 y1 y2 y3 w d t, literals 3, 2^-2, 3*2^-2, "
                                 "(var + C), sgn(w + C), + - *)")  # fmt: skip
        kind, tok = m.lastgroup, m.group()
        i = m.end()
        if kind in ("sgn", "open"):
            j = _closing(s, i, f"{owner}.{target}", text)
            terms[-1].append((kind, s[i:j]))
            i = j + 1
        elif kind == "op" and tok in "+-":
            if terms[-1]:
                terms.append([])
            terms[-1].append(("sign", tok))
        elif kind != "op":
            terms[-1].append((kind, tok))
    return tuple(_product(t, owner, target) for t in terms)


def _product(symbols: list, owner: str, target: str) -> Product:
    parts = [tok if k not in ("sgn", "open") else ("sgn(" if k == "sgn" else "(") + tok + ")"
             for k, tok in symbols]  # fmt: skip
    sign = parts.pop(0) if symbols and symbols[0][0] == "sign" else ""
    term = sign + " * ".join(parts)
    o = f"{owner}.{target}"
    mant, exp, dep, factors = 1, 0, None, []
    for kind, tok in symbols:
        if kind == "sign":
            mant *= -1 if tok == "-" else 1
        elif kind == "lit":
            a, b = _literal(tok)
            mant, exp = mant * a, exp + b
        elif kind == "dep":
            d = "u" if tok[0] == "u" else tok
            if dep is None:
                dep = d if d != "u" else tok
            elif d == "u":
                raise ParameterError(f"{o}: term {term!r}: {tok} can only be a product's "
                                     "dependency, not a factor")  # fmt: skip
            else:
                factors.append(Factor(tok))
        elif kind == "var":
            factors.append(Factor(tok))
        elif kind == "sgn":
            var, const, sign, _ = _bracket(tok, o, term)
            if var not in ("w", "d", "t") or sign < 0:
                raise ParameterError(f"{o}: term {term!r}: sgn(...) takes w, d or t plus a "
                                     f"constant (got sgn({tok}))")  # fmt: skip
            factors.append(Factor(var, const, True))
        else:  # a bracket
            var, const, sign, e = _bracket(tok, o, term)
            if var is None:
                mant, exp = mant * const, exp + e
            else:
                mant *= sign
                factors.append(Factor(var, const))
    if dep is None:
        raise ParameterError(f"{o}: term {term!r} has no dependency: every product needs one of "
                             "x0 (pre spiked), y0 (post spiked) or uk (every 2**k epochs)")  # fmt: skip
    while abs(mant) > 7 and mant % 2 == 0 and exp < 8:
        mant, exp = mant // 2, exp + 1
    if not -8 <= mant < 8:
        raise ParameterError(f"{o}: term {term!r}: its scale {mant} * 2^{exp} needs a mantissa "
                             "in -8..7 times a power of two (Loihi's 4-bit scale mantissa)")  # fmt: skip
    if not -7 <= exp < 9:
        raise ParameterError(f"{o}: term {term!r}: its scale exponent {exp} is outside -7..8 "
                             "(Loihi's scale exponent)")  # fmt: skip
    return Product(dep, mant, exp, tuple(factors), term)


def _float_to_literal(x: float, name: str) -> str:
    """Lava's ``float_to_literal``: ``(sign * max(int|x|, 1)) * 2 ^ round(log2(rest))``."""
    if x == 0:
        return "0"
    sign = int(np.sign(x))
    x = abs(x)
    mant = max(int(x), 1)
    rest = x / mant
    if rest == 1:
        return f"({sign * mant})"
    exp = int(np.round(np.log2(rest)))
    if sign * mant * 2.0**exp != sign * x:
        warnings.warn(f"spikemesh: STDP.{name}={sign * x:g} is written {sign * mant} * 2^{exp} = "
                      f"{sign * mant * 2.0**exp:g} (a whole mantissa times a power of two, as "
                      "Lava's STDPLoihi writes it)", QuantizationWarning, stacklevel=4)  # fmt: skip
    return f"({sign * mant}) * 2 ^ {exp}"


class LearningRule:
    """A Loihi learning rule in Lava's ``Loihi2FLearningRule`` terms: ``dw``, ``dd``, ``dt``
    rule strings (at least one), the trace impulses and decay constants ``x1_impulse``,
    ``x1_tau``, ..., ``y3_tau``, the epoch ``t_epoch`` (steps) and ``rng_seed`` (the trace and
    rounding draws; None: the simulator's seed). Parsed once (:func:`parse_rule`)."""

    def __init__(self, dw: str | None = None, dd: str | None = None, dt: str | None = None, *,
                 x1_impulse=0.0, x1_tau=0.0, x2_impulse=0.0, x2_tau=0.0,
                 y1_impulse=0.0, y1_tau=0.0, y2_impulse=0.0, y2_tau=0.0,
                 y3_impulse=0.0, y3_tau=0.0, t_epoch: int = 1,
                 rng_seed: int | None = None) -> None:  # fmt: skip
        o = type(self).__name__
        self._args = {"dw": dw, "dd": dd, "dt": dt, "x1_impulse": x1_impulse, "x1_tau": x1_tau,
                      "x2_impulse": x2_impulse, "x2_tau": x2_tau, "y1_impulse": y1_impulse,
                      "y1_tau": y1_tau, "y2_impulse": y2_impulse, "y2_tau": y2_tau,
                      "y3_impulse": y3_impulse, "y3_tau": y3_tau, "t_epoch": t_epoch,
                      "rng_seed": rng_seed}  # fmt: skip
        given = {k: v for k, v in (("dw", dw), ("dd", dd), ("dt", dt)) if v is not None}
        if not given:
            raise ParameterError(f"{o}: give at least one of dw, dd, dt (rule strings)")
        self.rules = {k: parse_rule(k, v, o) for k, v in given.items()}
        self.strings = given
        uk = {p.dependency for ps in self.rules.values() for p in ps if p.dependency[0] == "u"}
        if len(uk) > 1:
            raise ParameterError(f"{o}: the rules use {sorted(uk)}; one decimation uk per rule "
                                 "set (Lava and Loihi share one)")  # fmt: skip
        self.decimate = int(next(iter(uk))[1:]) if uk else None
        for k, v in (("x1_impulse", x1_impulse), ("x2_impulse", x2_impulse),
                     ("y1_impulse", y1_impulse), ("y2_impulse", y2_impulse),
                     ("y3_impulse", y3_impulse)):  # fmt: skip
            check_number(o, k, v, 0, TRACE_MAX)
        for k, v in (("x1_tau", x1_tau), ("x2_tau", x2_tau), ("y1_tau", y1_tau),
                     ("y2_tau", y2_tau), ("y3_tau", y3_tau)):  # fmt: skip
            check_number(o, k, v, 0)
        self.x_impulses = (x1_impulse, x2_impulse)
        self.x_taus = (x1_tau, x2_tau)
        self.y_impulses = (y1_impulse, y2_impulse, y3_impulse)
        self.y_taus = (y1_tau, y2_tau, y3_tau)
        self.t_epoch = check_int(o, "t_epoch", t_epoch, 1, 2**6 - 1)
        self.rng_seed = None if rng_seed is None else check_int(o, "rng_seed", rng_seed, 0,
                                                                 2**63 - 4)  # fmt: skip
        Traces(
            1,
            1,
            x_impulses=self.x_impulses,
            x_taus=self.x_taus,
            y_impulses=self.y_impulses,
            y_taus=self.y_taus,
            t_epoch=self.t_epoch,
        )  # checks

    def __repr__(self) -> str:
        rules = ", ".join(f"{k}={v!r}" for k, v in self.strings.items())
        return f"{type(self).__name__}({rules}, t_epoch={self.t_epoch})"

    def to_dict(self) -> dict:
        """``{"kind": class name, "args": constructor arguments}`` (JSON-ready);
        :func:`rule_from_dict` makes the rule again."""

        def plain(v):
            return v.item() if isinstance(v, np.generic) else v

        return {"kind": type(self).__name__, "args": {k: plain(v) for k, v in self._args.items()}}

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self))


class STDP(LearningRule):
    """Pair STDP with Lava's ``STDPLoihi`` names and meanings: ``dw = learning_rate * A_minus
    * x0 * y1 + learning_rate * A_plus * y0 * x1`` (each number written as Lava's
    ``float_to_literal`` writes it: a whole mantissa times a rounded power of two), x1 decays
    with ``tau_plus``, y1 with ``tau_minus``, both impulses 16 unless given."""

    def __init__(self, learning_rate: float, A_plus: float, A_minus: float, tau_plus: float,
                 tau_minus: float, *, t_epoch: int = 1, rng_seed: int | None = None,
                 x1_impulse=16, y1_impulse=16) -> None:  # fmt: skip
        for k, v in (("learning_rate", learning_rate), ("A_plus", A_plus), ("A_minus", A_minus)):
            check_number("STDP", k, v)
        lr, ap, am = (_float_to_literal(v, k) for k, v in (("learning_rate", learning_rate),
                                                          ("A_plus", A_plus), ("A_minus", A_minus)))  # fmt: skip
        super().__init__(f"{lr} * {am} * x0 * y1 + {lr} * {ap} * y0 * x1",
                         x1_impulse=x1_impulse, x1_tau=check_number("STDP", "tau_plus", tau_plus, 0),
                         y1_impulse=y1_impulse, y1_tau=check_number("STDP", "tau_minus", tau_minus, 0),
                         t_epoch=t_epoch, rng_seed=rng_seed)  # fmt: skip
        self.learning_rate, self.A_plus, self.A_minus = learning_rate, A_plus, A_minus
        self.tau_plus, self.tau_minus = tau_plus, tau_minus
        self._args = {
            "learning_rate": learning_rate,
            "A_plus": A_plus,
            "A_minus": A_minus,
            "tau_plus": tau_plus,
            "tau_minus": tau_minus,
            "t_epoch": t_epoch,
            "rng_seed": rng_seed,
            "x1_impulse": x1_impulse,
            "y1_impulse": y1_impulse,
        }


def rule_from_dict(d, owner: str = "rule_from_dict") -> LearningRule:
    """The rule :meth:`LearningRule.to_dict` describes (a ParameterError names what is wrong)."""
    kinds = {"STDP": STDP, "LearningRule": LearningRule}
    if not isinstance(d, dict) or d.get("kind") not in kinds or not isinstance(d.get("args"), dict):
        raise ParameterError(f"{owner}: a learning rule is {{'kind': 'STDP' or 'LearningRule', "
                             f"'args': {{...}}}} (got {d!r:.120})")  # fmt: skip
    try:
        with warnings.catch_warnings():  # warned when it was made
            warnings.simplefilter("ignore", QuantizationWarning)
            return kinds[d["kind"]](**d["args"])
    except TypeError as exc:
        raise ParameterError(f"{owner}: {d['kind']} arguments {sorted(d['args'])}: {exc}") from None


def _wrap32(v: np.ndarray) -> np.ndarray:
    return ((v + 2**31) & (2**32 - 1)) - 2**31


def apply_products(products, acc, values: dict, u: int) -> np.ndarray:
    """One rule's sum of products onto the accumulator ``acc`` (int64 per synapse, the
    variable << 7), as Lava's ``LearningRuleApplierBitApprox``: per product the dependency
    times its factors (each clipped to its width), in int32 arithmetic (Lava's: it wraps), times
    the scale mantissa, shifted right by the widths above 15 bits and left by exponent + 7,
    clipped to the accumulator, added and clipped again. ``values`` holds per-synapse arrays:
    ``x0``, ``y0`` and ``{trace}_{dependency}`` (the trace at the dependency's time), ``w``,
    ``d``, ``t``. The products are compiled (:func:`compile_products`) and run by
    :func:`apply_program`, the arithmetic the compiled kernel mirrors."""
    acc = np.array(acc, np.int64)
    n = acc.shape[0]
    vals = np.zeros((len(VALUE_NAMES), n), np.int64)
    for name, v in values.items():
        if name in VALUE_INDEX:
            vals[VALUE_INDEX[name]] = v
    apply_program(compile_products(products), vals, acc, u)  # one arithmetic, in one place
    return acc


VALUE_NAMES = ("x0", "y0", "w", "d", "t",
               *(f"{tr}_{dep}" for tr in ("x1", "x2", "y1", "y2", "y3")
                 for dep in ("x0", "y0", "u")))  # fmt: skip
"""Rows of the per-synapse value matrix :func:`apply_program` reads: the spike bits, the
synaptic variables, and every trace at each dependency's time."""
VALUE_INDEX = {name: k for k, name in enumerate(VALUE_NAMES)}


def compile_products(products) -> np.ndarray:
    """A rule's products as the flat int64 program :func:`apply_program` runs: the number of
    products, then per product ``dependency row (-1: uk), mantissa, exponent, factors, right
    shift`` and per factor ``value row, constant, sgn, width``."""
    out = [len(products)]
    for p in products:
        dep = "u" if p.dependency[0] == "u" else p.dependency
        width = sum(FACTOR_BITS[f.var] for f in p.factors)
        out += [-1 if dep == "u" else VALUE_INDEX[dep], p.mantissa, p.exponent, len(p.factors),
                max(0, width + SCALE_MANT_BITS - ACC_BITS)]  # fmt: skip
        for f in p.factors:
            row = f.var if f.var in ("x0", "y0", "w", "d", "t") else f"{f.var}_{dep}"
            out += [VALUE_INDEX[row], f.const, int(f.sgn), FACTOR_BITS[f.var]]
    return np.array(out, np.int64)


def apply_program(prog, vals, acc, u) -> None:
    """:func:`apply_products` on a compiled program (:func:`compile_products`): ``vals``
    ``(len(VALUE_NAMES), n)`` int64, ``acc`` (n,) int64 updated in place, ``u`` the epoch's uk
    (0 or 1). The twin of the compiled ``kernels.apply_program``."""
    lo, hi = -(2**ACC_BITS) - 1, 2**ACC_BITS - 1
    out = acc.copy()
    k = 1
    for _ in range(int(prog[0])):
        dep, mant, ex, nf, rsh = (int(v) for v in prog[k : k + 5])
        k += 5
        r = np.full(out.shape, u, np.int64) if dep < 0 else vals[dep].copy()
        for _ in range(nf):
            row, const, sg, bits = (int(v) for v in prog[k : k + 4])
            k += 4
            v = vals[row] + const
            if sg:
                v = np.sign(v)
            r = _wrap32(r * np.clip(v, -(2**bits), 2**bits - 1))
        r = _wrap32(r * mant) >> rsh
        r = _wrap32(r << (ex + SYN_SHIFT))
        out = np.clip(out + np.clip(r, lo, hi), lo, hi)
    acc[:] = out


SYN_LIMITS = {"mixed": (-256, 255), "excitatory": (0, 255), "inhibitory": (-255, 0)}


def _program_rows(prog) -> list[int]:
    """The value rows a compiled program reads."""
    rows, k = [], 1
    for _ in range(int(prog[0])):
        dep, nf = int(prog[k]), int(prog[k + 3])
        if dep >= 0:
            rows.append(dep)
        rows += [int(prog[k + 5 + 4 * f]) for f in range(nf)]
        k += 5 + 4 * nf
    return rows


class _Twins:
    trace_step = staticmethod(trace_step)
    trace_replay = staticmethod(trace_replay)
    apply_program = staticmethod(apply_program)


_TWINS = _Twins()


class Plasticity:
    """The learning engine of one plastic projection: its :class:`Traces` and, per synapse
    (``pre[j] -> post[j]``), the weight and the tags ``tag_1`` (t) and ``tag_2`` (d), updated at
    every epoch's end as Lava 0.10's ``LearningConnectionModelBitApproximate`` does: all rules
    read the values before the epoch's update; each variable is shifted into the 16-bit
    accumulator (<< 7), its rule added (:func:`apply_products`), saturated by sign (weights
    by ``sign_mode``, tag_2 >= 0), rounded stochastically to 8 bits against one draw per epoch
    (Lava's ``ConnVarRandom``: its own numpy stream, seed 2 whatever the rule's seed), shifted
    back and clipped (weights to the sign mode's range, tag_2 to 0..255, tag_1 to -257..255).
    ``weights`` are the stored integers (Loihi's mixed format drops the lowest bit of the
    initial weights: the caller passes them as stored)."""

    def __init__(self, rule: LearningRule, pre, post, n_pre: int, n_post: int, weights, *,
                 sign_mode: str = "mixed", rng_seed: int = 0, tag_1=None, tag_2=None,
                 kernels=None) -> None:  # fmt: skip
        o = "Plasticity"
        if not isinstance(rule, LearningRule):
            raise ParameterError(
                f"{o}.rule: must be a LearningRule or STDP (got {type(rule).__name__})"
            )
        self.rule = rule
        n_pre = check_int(o, "n_pre", n_pre, 1)
        n_post = check_int(o, "n_post", n_post, 1)
        self.pre = int_array(o, "pre", pre, 0, n_pre - 1, ndim=1).astype(np.int64)
        self.post = int_array(o, "post", post, 0, n_post - 1, ndim=1).astype(np.int64)
        if self.pre.shape != self.post.shape:
            raise ShapeError(f"{o}: pre and post name one neuron per synapse and must have the "
                             f"same length (got {self.pre.size} and {self.post.size})")  # fmt: skip
        self.sign_mode = check_choice(o, "sign_mode", sign_mode, tuple(SYN_LIMITS))
        seed = rule.rng_seed if rule.rng_seed is not None else rng_seed
        self.traces = Traces(n_pre, n_post, x_impulses=rule.x_impulses, x_taus=rule.x_taus,
                             y_impulses=rule.y_impulses, y_taus=rule.y_taus,
                             t_epoch=rule.t_epoch, rng_seed=seed, kernels=kernels)  # fmt: skip
        n = self.pre.size
        limits = {"weights": SYN_LIMITS[self.sign_mode], "tag_1": (-257, 255), "tag_2": (0, 255)}
        self.limits = limits
        self.vars = {}
        for name, v in (("weights", weights), ("tag_1", tag_1), ("tag_2", tag_2)):
            if v is None:
                self.vars[name] = np.zeros(n, np.int64)
                continue
            arr = int_array(o, name, v, *limits[name], ndim=1).astype(np.int64)
            if arr.shape != (n,):
                raise ShapeError(f"{o}.{name}: one value per synapse, ({n},) (got {arr.shape})")
            self.vars[name] = arr
        self._kern = kernels if kernels is not None else _TWINS
        self._programs = {t: compile_products(ps) for t, ps in rule.rules.items()}
        self._rows = sorted({int(r) for prog in self._programs.values()
                             for r in _program_rows(prog)})  # fmt: skip
        self._round = np.random.default_rng(seed=2)  # Lava's ConnVarRandom(seed 2)
        self._random = float(self._round.random(1)[0])
        self.updates = 0  # synaptic updates: one per synapse per epoch (all its variables)
        self.epochs = 0

    def step(self, pre_spikes, post_spikes) -> bool:
        """One step's spikes; at an epoch's end the rules are applied (True returned)."""
        tr = self.traces
        if not tr.step(pre_spikes, post_spikes):
            return False
        self._random = float(self._round.random(1)[0])
        self.epochs += 1
        pre, post = self.pre, self.post
        tx, ty = tr.epoch_tx, tr.epoch_ty
        xh, yh = tr.x_history, tr.y_history
        txs, tys = tx[pre], ty[post]
        vals = np.zeros((len(VALUE_NAMES), pre.size), np.int64)
        for row in self._rows:  # only what the rules read
            name = VALUE_NAMES[row]
            if name == "x0":
                vals[row] = txs > 0
            elif name == "y0":
                vals[row] = tys > 0
            elif name in ("w", "d", "t"):
                vals[row] = self.vars[{"w": "weights", "d": "tag_2", "t": "tag_1"}[name]]
            else:
                trace, dep = name.split("_")
                k = int(trace[1]) - 1
                if trace[0] == "x":
                    at = txs if dep == "x0" else (tys if dep == "y0" else -1)
                    vals[row] = xh[at, k, pre]
                else:
                    at = txs if dep == "x0" else (tys if dep == "y0" else -1)
                    vals[row] = yh[at, k, post]
        d = self.rule.decimate
        u = 0 if d is None else int((tr.time_step // tr.t_epoch) % 2**d == 0)
        new = {}
        for target, prog in self._programs.items():
            name = TARGETS[target]
            acc = np.ascontiguousarray(self.vars[name] << SYN_SHIFT, np.int64)
            self._kern.apply_program(prog, vals, acc, u)
            if name == "weights":
                lo, hi = SYN_LIMITS[self.sign_mode]
                acc = np.clip(acc, lo << SYN_SHIFT if lo < 0 else 0, None if hi > 0 else 0)
            elif name == "tag_2":
                acc = np.maximum(acc, 0)
            one = 1 << SYN_SHIFT
            q = (acc >> SYN_SHIFT) + (self._random < (acc & (one - 1)) / one)
            new[name] = np.clip(q, *self.limits[name]).astype(np.int64)
        self.updates += pre.size
        self.vars.update(new)
        return True
