"""Network description: populations, inputs, projections and probes. Knows nothing of chips.

A :class:`Network` is a pure description. :func:`spikemesh.map_network` turns it into a
:class:`~spikemesh.mapping.Mapping` for one chip profile, and a
:class:`~spikemesh.Simulator` runs the mapping.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import neurons as _neurons
from ._validate import (
    check_bool,
    check_int,
    check_mapping,
    check_memory,
    check_name,
    int_array,
    npy_sizes,
)
from .exceptions import (
    ParameterError,
    QuantizationWarning,
    ShapeError,
    SilentPopulationWarning,
    SpikemeshError,
)
from .fixedpoint import LOIHI_WEIGHT_EXP, quantize_weights, weight_range
from .learning import SYN_LIMITS, LearningRule, rule_from_dict
from .neurons import NeuronSpec

__all__ = [
    "Connector",
    "InputSource",
    "Network",
    "Population",
    "Probe",
    "Projection",
    "conv2d",
    "one_to_one",
    "pool2d",
]

MAX_DELAY = 255
MAX_NEURONS = 2**31 - 1  # per population or input: indices are 32-bit


@dataclass(eq=False)
class InputSource:
    """External spike source: payloads per step come from ``Simulator.run(inputs=...)``.

    ``payload_bits`` = 1 gives binary spikes (0/1); ``b`` bits allow payloads 0..2**b - 1, or
    ``-2**(b-1) .. 2**(b-1) - 1`` when ``signed`` (graded spikes of Loihi 2's sigma-delta
    encoders carry signed payloads).
    """

    name: str
    n: int
    payload_bits: int = 1
    signed: bool = False

    @property
    def payload_range(self) -> tuple[int, int]:
        if self.signed:
            return -(2 ** (self.payload_bits - 1)), 2 ** (self.payload_bits - 1) - 1
        return 0, 2**self.payload_bits - 1


@dataclass(eq=False)
class Population:
    """``n`` neurons of one model, with optional initial state (``{"v": ..., "u": ...}``)."""

    name: str
    n: int
    neuron: NeuronSpec
    initial: dict = field(default_factory=dict)

    @property
    def neuron_id_base(self) -> int:
        """Global id of neuron 0: neuron i is ``neuron_id_base + i``. Derived from the
        population's name alone (a 31-bit BLAKE2b hash in the high half of a 63-bit id), so it
        is the same in every mapping, on every chip and backend, and does not move when other
        populations are added. It keys the counter-based PRNG of stochastic neurons: two
        populations never share random numbers."""
        h = int.from_bytes(hashlib.blake2b(self.name.encode(), digest_size=4).digest(), "little")
        return (h & 0x7FFFFFFF) << 32


@dataclass(eq=False)
class Projection:
    """Synapses from ``pre`` to ``post`` in COO form (sorted by pre, then post).

    ``weight`` holds the integer mantissas as given (quantization happens at mapping, where the
    chip's formats are known); ``delay`` is per synapse, in steps (>= 1).
    """

    pre: InputSource | Population
    post: Population
    pre_idx: np.ndarray
    post_idx: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    weight_exp: int = 0
    weight_bits: int = 8
    name: str = ""
    port: int = 0  # which of the post model's input_ports (accumulators) the synapses feed
    learning: LearningRule | None = None  # plastic: the rule the chip's learning engine applies
    sign_mode: str | None = None  # plastic: the synapse group's sign mode (static: inferred)

    @property
    def n_synapses(self) -> int:
        return int(self.pre_idx.size)

    def dense(self) -> np.ndarray:
        """Dense ``(pre.n, post.n)`` weight matrix (0 where there is no synapse)."""
        w = np.zeros((self.pre.n, self.post.n), dtype=np.int64)
        w[self.pre_idx, self.post_idx] = self.weight
        return w


@dataclass(eq=False)
class Probe:
    target: Population
    var: str


class Connector:
    """A structured connectivity helper (one-to-one, convolution, pooling).

    Subclasses implement :meth:`build` returning COO ``(pre_idx, post_idx, weight)`` arrays and
    state the sizes they need.
    """

    n_pre: int
    n_post: int

    def build(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError


class one_to_one(Connector):
    """Neuron i of pre to neuron i of post with ``weight`` (scalar or per-neuron array)."""

    def __init__(self, n: int, weight=1) -> None:
        self.n_pre = self.n_post = check_int("one_to_one", "n", n, 1)
        self.weight = weight

    def build(self):
        idx = np.arange(self.n_pre, dtype=np.int64)
        w = np.broadcast_to(int_array("one_to_one", "weight", self.weight), (self.n_pre,))
        keep = w != 0
        return idx[keep], idx[keep], np.array(w[keep], dtype=np.int64)


def _port_index(owner: str, spec: NeuronSpec, port) -> int:
    """Index of input ``port`` of ``spec`` (None: the first)."""
    ports = spec.input_ports
    if port is None:
        return 0
    if not ports:
        raise ParameterError(
            f"{owner}.port: {spec.model} has one input; give no port (got {port!r})"
        )
    if not isinstance(port, str) or port not in ports:
        raise ParameterError(
            f"{owner}.port: {spec.model} has inputs {', '.join(map(repr, ports))} (got {port!r})"
        )
    return ports.index(port)


def _warn_if_quantized_away(owner: str, w: np.ndarray, weight_bits: int, weight_exp: int) -> None:
    """QuantizationWarning when every non-zero weight becomes 0 at ``weight_bits`` (Loihi's low
    bits dropped) and a negative ``weight_exp`` (floor shift per synapse)."""
    if not np.any(w) or (weight_bits == 8 and weight_exp >= 0):
        return
    q = quantize_weights(w, weight_bits, clip=True, owner=owner).astype(np.int64)
    if weight_exp < 0:
        q = q >> -weight_exp
    if not np.any(q):
        warnings.warn(
            f"{owner}: every weight quantizes to 0 at weight_bits={weight_bits}, "
            f"weight_exp={weight_exp} (largest |weight| {int(np.abs(w).max())}); the projection "
            "does nothing: scale the weights up or use more bits",
            QuantizationWarning,
            stacklevel=3,
        )


def _conv_out(size: int, k: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - k) // stride + 1


class conv2d(Connector):
    """2-D convolution as a synapse list: ``in_shape`` (C, H, W), integer ``kernel``
    (C_out, C, kh, kw), ``stride`` and zero ``padding``. Neurons are indexed channel-major
    (``c * H * W + y * W + x``), like a flattened NCHW tensor. ``out_shape`` gives the post size.
    """

    def __init__(self, in_shape, kernel, stride: int = 1, padding: int = 0) -> None:
        owner = "conv2d"
        if len(in_shape) != 3:
            raise ShapeError(
                f"{owner}.in_shape: must be (channels, height, width) (got {in_shape})"
            )
        self.in_shape = tuple(check_int(owner, "in_shape", s, 1) for s in in_shape)
        self.kernel = int_array(owner, "kernel", kernel, ndim=4)
        if self.kernel.shape[1] != self.in_shape[0]:
            raise ShapeError(
                f"{owner}.kernel: has {self.kernel.shape[1]} input channels but in_shape has "
                f"{self.in_shape[0]}"
            )
        self.stride = check_int(owner, "stride", stride, 1)
        self.padding = check_int(owner, "padding", padding, 0)
        c, h, w = self.in_shape
        kh, kw = self.kernel.shape[2:]
        oh, ow = (
            _conv_out(h, kh, self.stride, self.padding),
            _conv_out(w, kw, self.stride, self.padding),
        )
        if oh < 1 or ow < 1:
            raise ShapeError(
                f"{owner}: kernel {kh}x{kw} does not fit input {h}x{w} with this padding"
            )
        self.out_shape = (self.kernel.shape[0], oh, ow)
        self.n_pre = c * h * w
        self.n_post = int(np.prod(self.out_shape))

    def build(self):
        c, h, w = self.in_shape
        co, _, kh, kw = self.kernel.shape
        _, oh, ow = self.out_shape
        oc, oy, ox, ic, ky, kx = np.meshgrid(
            np.arange(co), np.arange(oh), np.arange(ow), np.arange(c), np.arange(kh), np.arange(kw),
            indexing="ij",
        )  # fmt: skip
        iy = oy * self.stride - self.padding + ky
        ix = ox * self.stride - self.padding + kx
        wv = self.kernel[oc, ic, ky, kx]
        ok = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w) & (wv != 0)
        pre = (ic * h * w + iy * w + ix)[ok]
        post = (oc * oh * ow + oy * ow + ox)[ok]
        return pre.astype(np.int64), post.astype(np.int64), wv[ok].astype(np.int64)


class pool2d(Connector):
    """Sum pooling: each output adds ``weight`` x every input in its ``size`` x ``size`` window,
    per channel (``in_shape`` = (C, H, W), stride defaults to ``size``)."""

    def __init__(self, in_shape, size: int, stride: int | None = None, weight: int = 1) -> None:
        owner = "pool2d"
        if len(in_shape) != 3:
            raise ShapeError(
                f"{owner}.in_shape: must be (channels, height, width) (got {in_shape})"
            )
        self.in_shape = tuple(check_int(owner, "in_shape", s, 1) for s in in_shape)
        self.size = check_int(owner, "size", size, 1)
        self.stride = self.size if stride is None else check_int(owner, "stride", stride, 1)
        self.weight = check_int(owner, "weight", weight)
        c, h, w = self.in_shape
        oh, ow = _conv_out(h, self.size, self.stride, 0), _conv_out(w, self.size, self.stride, 0)
        if oh < 1 or ow < 1:
            raise ShapeError(f"{owner}: window {self.size} does not fit input {h}x{w}")
        self.out_shape = (c, oh, ow)
        self.n_pre = c * h * w
        self.n_post = c * oh * ow

    def build(self):
        c, h, w = self.in_shape
        _, oh, ow = self.out_shape
        ch, oy, ox, ky, kx = np.meshgrid(
            np.arange(c), np.arange(oh), np.arange(ow), np.arange(self.size), np.arange(self.size),
            indexing="ij",
        )  # fmt: skip
        pre = ch * h * w + (oy * self.stride + ky) * w + (ox * self.stride + kx)
        post = ch * oh * ow + oy * ow + ox
        wv = np.full(pre.size, self.weight, dtype=np.int64)
        return pre.ravel().astype(np.int64), post.ravel().astype(np.int64), wv


def _same(a, b) -> bool:
    """Fingerprint records equal: read-only synapse arrays by identity (changing a projection
    makes a new array), copies of initial state by value, the rest by ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if a is b:
            return True
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if not (a.flags.writeable or b.flags.writeable):
            return False
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class Network:
    """A spiking network: inputs, populations, projections (connections) and probes.

    Parameters
    ----------
    name : str
        Used in reports and error messages.

    Examples
    --------
    >>> net = Network("demo")
    >>> x = net.input(4, name="x")
    >>> h = net.population(3, CubaLIF(du=410, dv=205, vth=100), name="h")
    >>> _ = net.connect(x, h, weights=np.ones((4, 3), int))
    """

    def __init__(self, name: str = "network") -> None:
        self.name = str(name)
        self.inputs: dict[str, InputSource] = {}
        self.populations: dict[str, Population] = {}
        self.projections: list[Projection] = []
        self.probes: list[Probe] = []
        self.weight_probes: list[Projection] = []  # plastic projections whose weights are recorded

    # -- what it is, for the mappings made of it ---------------------------------------
    def fingerprint(self) -> dict:
        """``{part: record}`` of everything a mapping is built from: each input (size, payload
        bits), population (size, neuron spec, a copy of its initial state), projection (its
        endpoints, format and synapse arrays, which are read-only: a changed projection is a
        new array) and the probes. :class:`~spikemesh.Simulator` compares it with the one
        taken when the network was mapped (:meth:`changes_since`), naming what differs."""
        out = {}
        for name, src in self.inputs.items():
            out[f"input {name!r}"] = (src.n, src.payload_bits, src.signed)
        for name, pop in self.populations.items():
            init = tuple(
                sorted((k, np.array(v, copy=True)) for k, v in (pop.initial or {}).items())
            )
            out[f"population {name!r}"] = (pop.n, pop.neuron, init)
        for k, pr in enumerate(self.projections):
            out[f"projection {pr.name or k!r}"] = (
                pr.pre.name, pr.post.name, pr.weight_exp, pr.weight_bits, pr.pre_idx,
                pr.post_idx, pr.weight, pr.delay, pr.port)  # fmt: skip
            if pr.learning is not None:
                out[f"projection {pr.name or k!r}"] += (repr(pr.learning.to_dict()), pr.sign_mode)
        out["probes"] = tuple((pb.target.name, pb.var) for pb in self.probes)
        out["weight probes"] = tuple(p.name for p in self.weight_probes)
        return out

    def changes_since(self, before: dict) -> list[str]:
        """The parts of :meth:`fingerprint` that differ from ``before``: added, removed or
        changed, by name."""
        now = self.fingerprint()
        out = [f"{k} added" for k in now if k not in before]
        out += [f"{k} removed" for k in before if k not in now]
        out += [f"{k} changed" for k in now if k in before and not _same(now[k], before[k])]
        return out

    # -- building ----------------------------------------------------------------------
    def _check_name(self, name: str) -> str:
        if not isinstance(name, str) or not name:
            raise ParameterError(
                f"Network {self.name!r}: names must be non-empty strings (got {name!r})"
            )
        if name in self.inputs or name in self.populations:
            raise ParameterError(f"Network {self.name!r}: the name {name!r} is already used")
        return name

    def _auto_name(self, prefix: str) -> str:
        k = len(self.inputs) + len(self.populations)
        while f"{prefix}{k}" in self.inputs or f"{prefix}{k}" in self.populations:
            k += 1
        return f"{prefix}{k}"

    def input(self, n: int, name: str | None = None, payload_bits: int = 1,
              signed: bool = False) -> InputSource:  # fmt: skip
        """Add an external source of ``n`` spike trains (payloads of ``payload_bits`` bits,
        two's complement when ``signed``: 2..24 bits)."""
        name = self._check_name(name if name is not None else self._auto_name("input"))
        src = InputSource(
            name,
            check_int(f"input {name!r}", "n", n, 1, MAX_NEURONS),
            check_int(f"input {name!r}", "payload_bits", payload_bits, 1 + int(bool(signed)), 24),
            check_bool(f"input {name!r}", "signed", signed),
        )
        self.inputs[name] = src
        return src

    def population(
        self, n: int, neuron: NeuronSpec, name: str | None = None, initial: dict | None = None
    ) -> Population:
        """Add ``n`` neurons of model ``neuron`` (``CubaLIF``, ``IF``, ``TrueNorthNeuron``)."""
        name = self._check_name(name if name is not None else self._auto_name("pop"))
        owner = f"population {name!r}"
        n = check_int(owner, "n", n, 1, MAX_NEURONS)
        if not isinstance(neuron, NeuronSpec):
            raise ParameterError(
                f"{owner}.neuron: must be a neuron spec such as CubaLIF(...) (got {type(neuron).__name__})"
            )
        neuron.check_size(n)  # per-neuron arrays must match n
        initial = check_mapping(owner, "initial", initial)
        checked = {}
        for var, val in initial.items():
            if var not in neuron.state_vars:
                raise ParameterError(
                    f"{owner}.initial: {type(neuron).__name__} has state "
                    f"{', '.join(neuron.state_vars)} (got {var!r})"
                )
            lo, hi = neuron.state_range(var)
            arr = int_array(owner, f"initial[{var!r}]", val, lo, hi)
            if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
                raise ShapeError(
                    f"{owner}.initial[{var!r}]: must be a number or {n} values, one per neuron "
                    f"(got shape {arr.shape})"
                )
            checked[var] = arr if arr.ndim else int(arr)
        initial = checked
        never = neuron.never_fires()
        if never:
            warnings.warn(f"{owner}: {never}", SilentPopulationWarning, stacklevel=2)
        pop = Population(name, n, neuron, initial)
        self.populations[name] = pop
        return pop

    def connect(
        self,
        pre: InputSource | Population,
        post: Population,
        weights,
        *,
        delay=1,
        weight_exp: int = 0,
        weight_bits: int = 8,
        name: str | None = None,
        port: str | None = None,
        learning: LearningRule | None = None,
        sign_mode: str | None = None,
    ) -> Projection:
        """Connect ``pre`` to ``post``.

        Parameters
        ----------
        weights : int array (pre.n, post.n), scipy.sparse matrix, or Connector
            Integer weight mantissas; 0 = no synapse. Sparse matrices keep their stored
            entries (explicit zeros included) and sum duplicates.
        delay : int or int array
            Synaptic delay in steps (>= 0): a scalar, an array shaped like dense ``weights``,
            or one value per stored synapse of a sparse matrix / connector. 0 means "in the
            step it is sent" (a feed-forward edge of NIR's semantics): every hop on a chip
            costs a step, so the mapper lags the post population by one step and reports it
            in ``Mapping.latency``.
        weight_exp : int
            Loihi weight exponent, -8..7 (shifts every weight of this projection).
        weight_bits : int
            Weight precision 1..8 (Loihi drops low bits; see ``quantize_weights``).
        port : str, optional
            Which input of a multi-input neuron the synapses feed (``post.neuron.input_ports``:
            ``"real"`` or ``"imag"`` of :class:`~spikemesh.neurons.ResonateFire`); default
            the first. Models with one input take none.
        learning : LearningRule or STDP, optional
            Makes the projection plastic: the chip's learning engine applies the rule at every
            epoch's end (:mod:`spikemesh.learning`; Loihi-class chips only). Every pair of a
            dense ``weights`` array is a synapse (a 0 can grow); a sparse matrix or connector
            keeps its stored synapses. Weights are 8-bit (``weight_bits=8``).
        sign_mode : {"mixed", "excitatory", "inhibitory"}, optional
            A plastic projection's synapse sign mode (default ``"mixed"``: weights -256..255);
            learning saturates the weights at its bounds. Static projections infer it.
        """
        owner = f"connect({getattr(pre, 'name', pre)!r} -> {getattr(post, 'name', post)!r})"
        if not (isinstance(pre, (InputSource, Population)) and self._owns(pre)):
            raise ParameterError(
                f"{owner}: pre must be an input or population of network {self.name!r}"
            )
        if not (isinstance(post, Population) and self._owns(post)):
            raise ParameterError(f"{owner}: post must be a population of network {self.name!r}")
        name = check_name(owner, "name", name)
        weight_exp = check_int(owner, "weight_exp", weight_exp, *LOIHI_WEIGHT_EXP)
        weight_bits = check_int(owner, "weight_bits", weight_bits, 1, 8)
        port_index = _port_index(owner, post.neuron, port)
        if not isinstance(delay, (numbers.Integral, np.integer)):
            delay = int_array(owner, "delay", delay, 0, MAX_DELAY)
        per_syn = np.ndim(delay) == 1
        if learning is not None:
            sign_mode = self._check_plastic(owner, learning, sign_mode, weight_bits, name or
                                            f"{pre.name}->{post.name}")  # fmt: skip
        elif sign_mode is not None:
            raise ParameterError(f"{owner}.sign_mode: only a plastic projection (learning=...) "
                                 f"takes a sign mode; static ones infer it (got {sign_mode!r})")  # fmt: skip
        if learning is not None and isinstance(weights, np.ndarray | list | tuple):
            w = int_array(owner, "weights", weights, ndim=2)
            if w.shape != (pre.n, post.n):
                raise ShapeError(f"{owner}.weights: must have shape ({pre.n}, {post.n}) "
                                 f"(got {w.shape})")  # fmt: skip
            pre_idx, post_idx = (a.ravel().astype(np.int64) for a in
                                 np.indices(w.shape))  # fmt: skip
            w, dense_shape = w.ravel().astype(np.int64), w.shape  # every pair is a synapse
        else:
            pre_idx, post_idx, w, dense_shape = self._coo(owner, weights, pre.n, post.n, per_syn)
        if learning is not None:
            lo, hi = weight_range(sign_mode)
            if w.size and (w.min() < lo or w.max() > hi):
                worst = int(w.min()) if w.min() < lo else int(w.max())
                raise ParameterError(f"{owner}.weights: {'an' if sign_mode[0] in 'aeiou' else 'a'} "
                                     f"{sign_mode} plastic synapse group holds "
                                     f"weights {lo}..{hi} (got {worst}); pass sign_mode= or "
                                     "rescale")  # fmt: skip
        if np.ndim(delay) == 0:
            d = np.full(pre_idx.size, check_int(owner, "delay", delay, 0, MAX_DELAY), np.int64)
        else:
            darr = int_array(owner, "delay", delay, 0, MAX_DELAY)
            if dense_shape is not None and darr.shape == dense_shape:
                d = darr[pre_idx, post_idx].astype(np.int64)
            elif darr.shape == (pre_idx.size,):
                d = darr.astype(np.int64)
            else:
                want = f"{dense_shape} or " if dense_shape is not None else ""
                raise ShapeError(
                    f"{owner}.delay: must be a scalar, or have shape {want}({pre_idx.size},) "
                    f"(one per synapse) (got {darr.shape})"
                )
        _warn_if_quantized_away(owner, w, weight_bits, weight_exp)
        order = np.lexsort((post_idx, pre_idx))
        proj = Projection(
            pre, post, pre_idx[order], post_idx[order], w[order], d[order],
            weight_exp, weight_bits, name or f"{pre.name}->{post.name}", port_index,
            learning, sign_mode,
        )  # fmt: skip
        for arr in (proj.pre_idx, proj.post_idx, proj.weight, proj.delay):
            arr.setflags(write=False)
        self.projections.append(proj)
        return proj

    def _check_plastic(self, owner, learning, sign_mode, weight_bits, name) -> str:
        if not isinstance(learning, LearningRule):
            raise ParameterError(f"{owner}.learning: must be a LearningRule or STDP from "
                                 f"spikemesh.learning (got {type(learning).__name__})")  # fmt: skip
        if weight_bits != 8:
            raise ParameterError(f"{owner}.weight_bits: a plastic projection learns 8-bit weights "
                                 f"(Loihi's learning engine, Lava's LearningDense) (got "
                                 f"{weight_bits})")  # fmt: skip
        mode = "mixed" if sign_mode is None else sign_mode
        if mode not in SYN_LIMITS:
            raise ParameterError(f"{owner}.sign_mode: must be one of {', '.join(SYN_LIMITS)} "
                                 f"(got {sign_mode!r})")  # fmt: skip
        if any(p.name == name for p in self.projections):
            raise ParameterError(f"{owner}.name: a plastic projection's name keys its weights "
                                 f"(res.weights[{name!r}]); another projection is called "
                                 f"{name!r}: pass name=")  # fmt: skip
        return mode

    @staticmethod
    def _coo(owner: str, weights, n_pre: int, n_post: int, per_synapse_delays: bool = False):
        if isinstance(weights, Connector):
            if (weights.n_pre, weights.n_post) != (n_pre, n_post):
                raise ShapeError(
                    f"{owner}: {type(weights).__name__} connects {weights.n_pre} -> "
                    f"{weights.n_post} neurons but pre has {n_pre} and post has {n_post}"
                )
            pre, post, w = weights.build()
            return pre, post, w, None
        if hasattr(weights, "tocoo") and not isinstance(weights, np.ndarray):  # scipy.sparse
            if weights.shape != (n_pre, n_post):
                raise ShapeError(
                    f"{owner}.weights: must have shape ({n_pre}, {n_post}) (got {weights.shape})"
                )
            coo = weights.tocoo()
            rows, cols = coo.row.astype(np.int64), coo.col.astype(np.int64)
            w = int_array(owner, "weights", coo.data).astype(np.int64)
            keys = np.sort(rows * n_post + cols)
            if keys.size and np.any(keys[1:] == keys[:-1]):
                if not per_synapse_delays:  # duplicates add up, as in scipy
                    coo = coo.copy()
                    coo.sum_duplicates()
                    return (coo.row.astype(np.int64), coo.col.astype(np.int64),
                            int_array(owner, "weights", coo.data).astype(np.int64), (n_pre, n_post))  # fmt: skip
                raise ShapeError(
                    f"{owner}.weights: a sparse matrix with duplicate entries cannot take one "
                    "delay per stored entry; sum the duplicates first"
                )
            return rows, cols, w, (n_pre, n_post)
        w = int_array(owner, "weights", weights, ndim=2)
        if w.shape != (n_pre, n_post):
            raise ShapeError(
                f"{owner}.weights: must have shape ({n_pre}, {n_post}) (got {w.shape})"
            )
        pre, post = np.nonzero(w)
        return pre.astype(np.int64), post.astype(np.int64), w[pre, post].astype(np.int64), w.shape

    def probe(self, target: Population | Projection, var: str) -> Probe:
        """Record state variable ``var`` of ``target`` every step (spikes are always recorded),
        or the weights of a plastic projection after every epoch (``var="weights"``:
        ``res.weight_history``)."""
        if isinstance(target, Projection):
            if not any(p is target for p in self.projections):
                raise ParameterError(f"Network {self.name!r}.probe: projection {target.name!r} "
                                     "is not one of its projections")  # fmt: skip
            if target.learning is None or var != "weights":
                raise ParameterError(f"probe({target.name!r}, {var!r}): a projection's probe "
                                     "records 'weights', of a plastic projection (connect(..., "
                                     "learning=...))")  # fmt: skip
            if not any(p is target for p in self.weight_probes):
                self.weight_probes.append(target)
            return Probe(target, var)
        if not (isinstance(target, Population) and self._owns(target)):
            raise ParameterError(
                f"Network {self.name!r}.probe: target must be one of its populations"
            )
        if var not in target.neuron.state_vars:
            raise ParameterError(
                f"probe({target.name!r}, {var!r}): {type(target.neuron).__name__} has state "
                f"{', '.join(target.neuron.state_vars)}"
            )
        p = Probe(target, var)
        if not any(q.target is target and q.var == var for q in self.probes):
            self.probes.append(p)
        return p

    def _owns(self, obj) -> bool:
        return self.inputs.get(obj.name) is obj or self.populations.get(obj.name) is obj

    # -- summaries ---------------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        return sum(p.n for p in self.populations.values())

    @property
    def n_synapses(self) -> int:
        return sum(p.n_synapses for p in self.projections)

    def __repr__(self) -> str:
        return (
            f"Network({self.name!r}: {len(self.inputs)} inputs, {len(self.populations)} "
            f"populations, {self.n_neurons} neurons, {self.n_synapses} synapses)"
        )

    # -- persistence -------------------------------------------------------------------
    def save(self, path) -> None:
        """Save to a single ``.npz`` file (no pickles)."""
        arrays: dict[str, np.ndarray] = {}
        meta = {"format": "spikemesh-network", "version": 1, "name": self.name,
                "inputs": [], "populations": [], "projections": [], "probes": []}  # fmt: skip
        for s in self.inputs.values():
            meta["inputs"].append({"name": s.name, "n": s.n, "payload_bits": s.payload_bits,
                                   "signed": s.signed})  # fmt: skip
        for k, p in enumerate(self.populations.values()):
            params = {}
            for f in p.neuron.__dataclass_fields__:
                val = getattr(p.neuron, f)
                if isinstance(val, np.ndarray):
                    arrays[f"pop{k}_param_{f}"] = val
                    params[f] = {"array": f"pop{k}_param_{f}"}
                else:
                    params[f] = list(val) if isinstance(val, tuple) else val
            init = {}
            for var, val in p.initial.items():
                arrays[f"pop{k}_init_{var}"] = np.asarray(val)
                init[var] = f"pop{k}_init_{var}"
            meta["populations"].append({"name": p.name, "n": p.n, "model": type(p.neuron).__name__,
                                        "params": params, "initial": init})  # fmt: skip
        for k, pr in enumerate(self.projections):
            for f in ("pre_idx", "post_idx", "weight", "delay"):
                arrays[f"proj{k}_{f}"] = getattr(pr, f)
            meta["projections"].append({"pre": pr.pre.name, "post": pr.post.name, "name": pr.name,
                                        "weight_exp": pr.weight_exp, "weight_bits": pr.weight_bits,
                                        "port": pr.port})  # fmt: skip
            if pr.learning is not None:
                meta["projections"][-1].update(learning=pr.learning.to_dict(),
                                               sign_mode=pr.sign_mode)  # fmt: skip
        for pb in self.probes:
            meta["probes"].append({"target": pb.target.name, "var": pb.var})
        meta["weight_probes"] = [self.projections.index(p) for p in self.weight_probes]
        arrays["__meta__"] = np.array(json.dumps(meta))
        with open(Path(path), "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path) -> Network:
        """Load a network written by :meth:`save`; a malformed file raises SpikemeshError."""
        path = Path(path)

        def bad(reason):
            return SpikemeshError(
                f"Network.load: {path} is not a spikemesh network file (an .npz written by "
                f"Network.save): {reason}"
            )

        if path.is_dir():
            raise bad("it is a directory")
        if not path.exists():
            raise bad("no such file")
        declared = npy_sizes(path)  # sizes from the headers, before anything is loaded
        if declared is not None:
            check_memory("Network.load", declared, f"the arrays {path.name} declares")
        try:
            archive = np.load(path, allow_pickle=False)
        except OSError as exc:
            raise bad(f"cannot read it ({exc.strerror or 'not a NumPy file'})") from None
        except Exception:  # NumPy's own advice (allow_pickle=...) is not ours to give
            raise bad("not a NumPy .npz archive") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise bad("it holds a single array")
        try:  # read every member now: a damaged archive fails here, in one place
            data = {k: archive[k] for k in archive.files}
        except ValueError:  # an object array: pickled data, which is never loaded
            raise bad("it holds pickled (object) arrays, which spikemesh never loads") from None
        except Exception as exc:  # zlib, zipfile, EOF, ... on a damaged archive
            raise bad(f"the archive is damaged ({type(exc).__name__})") from None
        finally:
            archive.close()
        try:
            meta = json.loads(str(data["__meta__"]))
        except KeyError:
            raise bad("it has no spikemesh metadata") from None
        except ValueError:
            raise bad("its metadata is not JSON text") from None
        if not isinstance(meta, dict) or meta.get("format") != "spikemesh-network":
            raise bad("its metadata names another format")
        try:
            net = cls(meta["name"])
            for s in meta["inputs"]:
                net.input(
                    s["n"],
                    name=s["name"],
                    payload_bits=s["payload_bits"],
                    signed=s.get("signed", False),
                )
            for p in meta["populations"]:
                model = getattr(_neurons, p["model"], None)
                if not (isinstance(model, type) and issubclass(model, NeuronSpec)):
                    raise SpikemeshError(f"unknown neuron model {p['model']!r}")
                params = {
                    k: (
                        data[v["array"]]
                        if isinstance(v, dict)
                        else (tuple(v) if isinstance(v, list) else v)
                    )
                    for k, v in p["params"].items()
                }
                init = {var: data[key] for var, key in p["initial"].items()}
                net.population(p["n"], model(**params), name=p["name"], initial=init)
            for k, pr in enumerate(meta["projections"]):
                pre = net.inputs.get(pr["pre"]) or net.populations[pr["pre"]]
                post = net.populations[pr["post"]]
                n_syn = data[f"proj{k}_weight"].size
                rows, cols = data[f"proj{k}_pre_idx"], data[f"proj{k}_post_idx"]
                net._append_coo(pre, post, rows, cols, data[f"proj{k}_weight"],
                                data[f"proj{k}_delay"], pr, n_syn)  # fmt: skip
            for pb in meta["probes"]:
                net.probe(net.populations[pb["target"]], pb["var"])
            for k in meta.get("weight_probes", []):
                net.probe(net.projections[k], "weights")
        except SpikemeshError as exc:
            raise SpikemeshError(f"Network.load: {path}: {exc}") from exc
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
            detail = f"missing entry {exc}" if isinstance(exc, KeyError) else type(exc).__name__
            raise SpikemeshError(f"Network.load: {path} is malformed ({detail})") from None
        return net

    def _append_coo(self, pre, post, rows, cols, w, d, pr, n_syn) -> None:
        owner = f"Network.load projection {pr['name']!r}"
        rows = int_array(owner, "pre_idx", rows, 0, pre.n - 1, shape=(n_syn,))
        cols = int_array(owner, "post_idx", cols, 0, post.n - 1, shape=(n_syn,))
        d = int_array(owner, "delay", d, 0, MAX_DELAY, shape=(n_syn,))
        w = int_array(owner, "weight", w, shape=(n_syn,))
        ports = post.neuron.input_ports
        port = pr.get("port", 0)
        if (
            isinstance(port, bool)
            or not isinstance(port, int)
            or not 0 <= port < max(len(ports), 1)
        ):
            raise ParameterError(f"{owner}.port: must be an input of {post.neuron.model} "
                                 f"(0..{max(len(ports), 1) - 1}) (got {port!r})")  # fmt: skip
        learning, mode = None, None
        if pr.get("learning") is not None:
            learning = rule_from_dict(pr["learning"], f"{owner}.learning")
            mode = self._check_plastic(owner, learning, pr.get("sign_mode"),
                                       int(pr["weight_bits"]), pr["name"])  # fmt: skip
            lo, hi = weight_range(mode)
            if w.size and (w.min() < lo or w.max() > hi):
                raise ParameterError(f"{owner}.weight: {'an' if mode[0] in 'aeiou' else 'a'} {mode} "
                                     "plastic synapse group holds "
                                     f"{lo}..{hi} (got {int(w.min())}..{int(w.max())})")  # fmt: skip
        proj = Projection(
            pre,
            post,
            rows,
            cols,
            w,
            d,
            int(pr["weight_exp"]),
            int(pr["weight_bits"]),
            pr["name"],
            port,
            learning,
            mode,
        )
        for arr in (proj.pre_idx, proj.post_idx, proj.weight, proj.delay):
            arr.setflags(write=False)  # as connect() leaves them: a mapping relies on it
        self.projections.append(proj)
