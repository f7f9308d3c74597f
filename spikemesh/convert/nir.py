"""NIR graphs (Neuromorphic Intermediate Representation, PyPI ``nir`` 1.0) in and out.

**Semantics reproduced** (per step ``t`` at the graph's ``dt``; forward Euler):

- an edge passes its source's value *within* the step; an edge that closes a cycle (a back
  edge of a depth-first walk from the Input nodes) passes the previous step's value; several
  in-edges are summed; ``Delay`` holds values ``delay / dt`` steps (a whole number);
- ``Affine`` ``W x + b``, ``Linear`` ``W x``, ``Scale`` ``s * x`` (weights shaped (out, in)),
  ``Conv1d``/``Conv2d`` (PyTorch's cross-correlation: stride, padding incl. "same"/"valid",
  dilation, groups, bias), ``SumPool2d``/``AvgPool2d`` (zero padding), ``Flatten``, ``Identity``:
  values in C order, shapes without a batch dimension;
- ``IF`` ``v += r I``; ``LIF`` ``v += dt/tau (v_leak - v + r I)``; ``CubaLIF``
  ``I += dt/tau_syn (w_in x - I)`` then ``v += dt/tau_mem (v_leak - v + r I)`` with the new
  ``I``; a neuron spikes when ``v > v_threshold`` and is reset to ``v_reset`` (0) in that step.
  ``Threshold`` spikes when its input ``x > threshold`` (no state). ``I``, ``LI`` and ``CubaLI``
  are IF, LIF and CubaLIF without a threshold: their output is ``v``, a real value.

**On the chip** each spiking node becomes a population named after the node (nested graphs
joined with ``.``), each Input node an input; ``I``/``LI``/``CubaLI`` become populations that
never fire, their ``v`` probed (read-outs: a chip cannot send a real value on, so an edge out of
one is refused). A chain of linear nodes between two of these becomes one projection (its
matrices multiplied) of delay 0 ("same step") or 1 (a back edge) plus any Delay steps; the
mapper lags every population one step per same-step hop and reports it in
``Mapping.latency``: the population's spike train is the NIR node's, shifted by that lag
(:meth:`NirImport.outputs` undoes the shift). Constant drive (an ``Affine``/``Conv`` bias, a LIF's
``v_leak``) comes from one always-on neuron through a same-step projection, so it starts at the
population's lag exactly as NIR's step 0 (a bias register would run while the input is late).
Scaling per population, ``sigma`` a power of two::

    dv = 4096 dt/tau_mem   du + 1 = 4096 dt/tau_syn   (LIF, IF, LI, I, Threshold: du = 4095,
                                                        u holds only this step's input)
    weight (accumulator units) = sigma * (dt/tau_mem) * r * (dt/tau_syn) * w_in * W
    vth << 6 = sigma * v_threshold        (Threshold / IF cores: vth = floor(sigma * theta) + 1)

exact when every value is a dyadic rational that fits the registers (weights ``k/2**m``,
``dt/tau = 0.125`` -> dv = 512); otherwise rounded, the largest relative error per node in
:attr:`NirImport.errors`. Loihi truncates ``|v| * (4096 - dv) / 4096`` toward zero each step:
a leaky node follows NIR's floats to within one unit of ``1/sigma`` per step. A membrane that
forgets each step (``Threshold``, ``dt = tau``) needs ``dv = 4096``, which Loihi 1's 12-bit
register cannot hold: there ``sigma`` is bounded so ``|v| < 4096`` (then ``dv = 4095`` leaves 0),
exact while the weights still fit; on chips with programmable graded cores (Loihi 2-like:
IF cores with ``reset="step"``) it is exact by construction. What is not built raises with the
node's name; nothing in a file is executed (``nir.read``: HDF5 datasets, no pickle).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import chips as _chips
from ..exceptions import (
    FidelityError,
    FidelityWarning,
    ParameterError,
    QuantizationWarning,
    ShapeError,
    SilentPopulationWarning,
    SpikemeshError,
)
from ..network import Network
from ..neurons import (
    IF,
    LOIHI_BIAS_EXP,
    LOIHI_BIAS_MANT,
    LOIHI_DECAY_MAX,
    LOIHI_DECAY_ONE,
    LOIHI_VTH_MAX,
    LOIHI_VTH_SHIFT,
    CubaLIF,
    CubaLIFSubtract,
)
from .nir_nodes import NODES, arr, conv_matrix, kind_of, pair, role_of

__all__ = ["RESETS", "NirImport", "from_nir", "to_nir"]

RESETS = {
    "nir": "v = v_reset (0) in the step it spikes, as NIR says (snnTorch Leaky "
    "reset_mechanism='zero', Norse, Sinabs' MembraneReset)",
    "zero": "the same as 'nir'",
    "subtract": "snnTorch's reset by subtraction (its default): the threshold is taken off "
    "after the next step's decay and input",
    "zero_hold": "snnTorch RLeaky/Synaptic reset_mechanism='zero': v = 0 at the spike and "
    "held at 0 for the next step (that step's input is dropped)",
    "multi_subtract": "Sinabs IAF's defaults (MultiSpike, MembraneSubtract): floor(v / thr) "
    "spikes in one graded message (at most 2**spike_bits - 1) when v >= thr, v -= spikes * thr; "
    "IF nodes on chips with graded IF cores (loihi2)",
}
"""The reset mechanisms :func:`from_nir` builds (``reset=``). NIR 1.0 files say only
``v_reset``; exporters write ``v_reset = 0`` whatever their framework ran."""

V_TOP = 2**21  # sigma * v_threshold stays below this: headroom in the 24-bit membrane
Q_TOP = 2**21 - 1  # one step's input inside the 22-bit dendritic accumulator
U_TOP = 2**22  # the current (input / (dt/tau_syn) at most) inside the 24-bit u register
FORGET_TOP = (
    LOIHI_DECAY_MAX  # |v| below this: dv = 4095 truncates it to 0 (a membrane that forgets)
)
I_TOP = 2**13  # an integrator read-out holds 1024 steps of full drive before it clips


@dataclass(frozen=True, eq=False)
class NeuronNode:
    """A NIR neuron node as the import reads it, in one pass (NIR units): its type, size and
    shape, threshold ``theta`` (None: a read-out), the chip's decays ``dv``/``du`` and their
    rounding (``decay_err``, ``decay_notes``), ``r``, the input ``gain`` per neuron, the
    fractions ``a_s`` = dt/tau_syn and ``a_m`` = dt/tau_mem, the constant drive into u
    (``leak_u``) and into v (``leak_v``), whether the membrane forgets every step, whether it
    is a read-out, and the reset built (:data:`RESETS`)."""

    kind: str
    n: int
    shape: tuple
    theta: np.ndarray | None
    dv: int
    du: int
    decay_err: float
    decay_notes: tuple
    r: np.ndarray
    gain: np.ndarray
    a_s: float
    a_m: float
    leak_u: np.ndarray
    leak_v: np.ndarray
    forget: bool
    readout: bool
    reset: str = "nir"


@dataclass(frozen=True, eq=False)
class BuiltNode:
    """What :func:`_build` made of a :class:`NeuronNode`: its population, scale ``sigma``
    (chip units per NIR unit of v), weight ``shift``, the relative errors so far and the
    constant drive per step in chip units."""

    pop: object
    sigma: float
    shift: int
    errs: tuple
    const_q: np.ndarray


@dataclass
class NirImport:
    """What :func:`from_nir` did. Per neuron node (NIR name): its population (``populations``),
    scale ``sigma`` (chip units per NIR unit of ``v``), the largest relative rounding error of
    its parameters (``errors``, 0.0 = exact) and its shape; ``inputs`` Input node -> shape;
    ``readouts`` the non-spiking nodes (their ``v`` is probed); ``bias`` the always-on neuron's
    population (None when no node needs constant drive)."""

    populations: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    sigma: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    shapes: dict = field(default_factory=dict)
    readouts: tuple = ()
    bias: str | None = None
    dt: float = 1.0
    host: dict = field(default_factory=dict)  # Output node -> linear read-out computed on the host
    dt_source: str = "given"  # or "metadata", "default", "r = tau/dt (snnTorch's export)"
    tolerance: float = 0.005
    fidelity: list = field(default_factory=list)  # what was not built as the file says
    resets: dict = field(default_factory=dict)  # spiking node -> reset mechanism built
    input_step: dict = field(default_factory=dict)  # graded Input node -> x per payload unit
    layers: list = field(default_factory=list)  # NIR's synapse layers (NeuroBench's counts)
    input_bits: int = 0  # graded inputs' message width (0: binary spikes)

    def outputs(self, result, mapping) -> dict:
        """Per neuron node its output on NIR's time axis: spikes (0/1) of a spiking node,
        ``v`` in NIR units of a read-out, each shifted back by ``mapping.latency`` and cut to
        the steps every node covers; arrays shaped ``(steps, *node shape)``."""
        lag = {node: mapping.latency.get(pop, 0) for node, pop in self.populations.items()}
        steps = result.steps - max(lag.values(), default=0)
        out = {}
        for node, pop in self.populations.items():
            if node in self.readouts:
                x = result.probes[pop]["v"] / self.sigma[node]
            else:
                x = result.spikes[pop]
            out[node] = np.asarray(x[lag[node] : lag[node] + steps]).reshape(
                steps, *self.shapes[node]
            )
        for node, (routes, bias, shape) in self.host.items():  # Affine -> Output, on the host
            y = np.broadcast_to(bias, (steps, bias.size)).copy()
            for (src, delay), m in routes.items():
                x = out[src].reshape(steps, -1).astype(np.float64)
                if delay < steps:
                    y[delay:] += (m @ x[: steps - delay].T).T
            out[node] = y.reshape(steps, *shape)
        return out

    def encode(self, inputs: dict) -> tuple[dict, dict]:
        """Real-valued inputs for a graph imported with ``input_bits``: ``(payloads, errors)``
        -- per Input node the integer messages ``round(x / step)`` (``x`` shaped (steps,
        *shape), in ``[0, input_max]``) and the largest quantization error relative to
        ``input_max``. Values outside the range are refused (naming the node, the value and
        the range): a graded message is unsigned here."""
        from .._validate import check_mapping, float_array

        inputs = check_mapping("NirImport.encode", "inputs", inputs)
        out, errs = {}, {}
        for name, x in inputs.items():
            if name not in self.input_step:
                raise ParameterError(
                    f"NirImport.encode: {name!r} is not a graded Input node of this import "
                    f"(graded: {', '.join(self.input_step) or 'none; from_nir(..., input_bits=)'})"
                )
            x = float_array("NirImport.encode", f"inputs[{name!r}]", x)
            shape = tuple(self.inputs[name])
            n = int(np.prod(shape))
            if x.ndim < 1 or (x.shape[1:] != shape and x.shape[1:] != (n,)):
                raise ShapeError(
                    f"NirImport.encode.inputs[{name!r}]: must be shaped (steps, *{shape}) or "
                    f"(steps, {n}) (got {x.shape})"
                )
            step = self.input_step[name]
            top = self.input_max(name)
            bad = (x < 0) | (x > top * (1 + 1e-12))
            if np.any(bad):
                v = float(x[bad].ravel()[0])
                raise ParameterError(
                    f"NirImport.encode.inputs[{name!r}]: {v:g} is outside [0, {top:g}] "
                    "(from_nir's input_max); scale the input or import with a larger input_max"
                )
            q = np.rint(x / step)
            out[name] = q.astype(np.int32)
            errs[name] = float(np.abs(q * step - x).max(initial=0)) / top
        return out, errs

    def input_max(self, name) -> float:
        """The largest value Input node ``name`` carries (graded inputs)."""
        return self.input_step[name] * (2**self.input_bits - 1)

    def neurobench(self, result, mapping) -> dict:
        """NeuroBench 2.3's workload metrics of the run of this import, one sample, on NIR's
        own time axis and graph: the spiking nodes' spikes and membranes (lag steps, the bias
        line, gates, splitters and relays left out), each Affine / Linear / Conv node of the
        graph a layer with its own weights (zero weights are not operations; Dense counts
        every weight, ``Conv`` its in-bounds taps), its input on the step it arrives.
        See :func:`spikemesh.counts.neurobench_metrics`."""
        from ..counts import neurobench_metrics

        out = self.outputs(result, mapping)
        steps = len(next(iter(out.values()))) if out else 0
        spiking = [n for n in self.populations if n not in self.readouts]
        acts = {n: out[n].reshape(steps, -1) for n in spiking}
        mems = {}
        for n in spiking:
            lag = mapping.latency.get(self.populations[n], 0)
            v = result.probes.get(self.populations[n], {}).get("v")
            if v is None:
                raise ParameterError(
                    f"NirImport.neurobench: node {n!r} has no 'v' probe (from_nir probes "
                    "every spiking node; was it removed?)"
                )
            mems[n] = np.asarray(v[lag : lag + steps])
        src = dict(acts)
        for name in self.inputs:
            x = result.inputs.get(name)
            src[name] = (np.zeros((steps, int(np.prod(self.inputs[name])))) if x is None
                         else np.asarray(x[:steps], np.float64) * self.input_step.get(name, 1.0))  # fmt: skip
        layers = []
        for _, routes, fanout, dense in self.layers:
            n_in = len(fanout)
            x = np.zeros((steps, n_in))
            for (s_name, delay), m in routes.items():
                xs = np.asarray(src[s_name], np.float64).reshape(steps, -1)
                if delay < steps:
                    x[delay:] += (m @ xs[: steps - delay].T).T
            layers.append((x, fanout, dense))
        return neurobench_metrics(acts, mems, dict(self.resets), layers)

    def to_nir_data(self, result, mapping, path=None):
        """The recording as ``nir.NIRGraphData`` (written with ``nir.write_data`` when ``path``
        is given): per neuron node a ``TimeGriddedData`` of shape (1, steps, n) at ``dt`` --
        ``"spikes"`` of spiking nodes, ``"v"`` of read-outs -- on NIR's time axis
        (:meth:`outputs`). Keys are the flattened node names (``rnn.lif``): nir 1.0.8's
        ``write_data`` recurses without end on nested graph data."""
        import nir

        nodes = {}
        for node, x in self.outputs(result, mapping).items():
            key = "v" if node in self.readouts else "spikes"
            data = nir.TimeGriddedData(np.asarray(x, np.float64).reshape(1, len(x), -1), self.dt)
            nodes[node] = nir.NIRNodeData({key: data})
        graph_data = nir.NIRGraphData(nodes)
        if path is not None:
            nir.write_data(path, graph_data)
        return graph_data


def _load(src):
    try:
        import nir
    except ImportError:
        raise SpikemeshError(
            "from_nir needs the nir package: pip install 'spikemesh[nir]'"
        ) from None
    if isinstance(src, nir.NIRGraph):
        return src
    if isinstance(src, nir.NIRNode):
        raise ParameterError(
            f"from_nir: got a single {type(src).__name__} node; wrap it in a nir.NIRGraph"
        )
    path = Path(src)
    if path.is_dir() or not path.exists():
        raise ParameterError(f"from_nir: {path} is not a NIR file (HDF5)")
    _check_file_sizes(path)
    try:
        # our own shape inference checks the graph (with the node's name in the message);
        # nir's type checker refuses valid older files and grouped convolutions
        return nir.read(path, type_check=False)
    except Exception as err:  # h5py / nir raise many kinds; name the file and the problem
        raise SpikemeshError(
            f"from_nir: cannot read {path} as a NIR graph ({type(err).__name__}: {err})"
        ) from None


def _check_file_sizes(path) -> None:
    """The datasets an HDF5 file declares, summed before nir.read loads them (a file of a few
    KB can declare compressed arrays of many GiB)."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - nir depends on h5py
        return
    from .._validate import check_memory

    total = 0

    def visit(_, obj):
        nonlocal total
        if isinstance(obj, h5py.Dataset):
            total += int(np.prod(obj.shape, dtype=object)) * obj.dtype.itemsize

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except Exception as err:  # not HDF5, truncated, ...: nir.read says it in one line below
        del err
        return
    check_memory(f"from_nir: {path}", float(total), "the arrays this file declares")


def _flatten(graph, prefix=""):
    """(nodes name -> node, edges [(src, dst)]) with nested graphs inlined; a nested graph's
    Input and Output nodes become pass-through nodes."""
    import nir

    nodes, edges = {}, []
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten(node, full + ".")
            for k, v in sub_nodes.items():
                kind = type(v).__name__
                nodes[k] = ("Identity", v) if kind in ("Input", "Output") else v
            edges += sub_edges
        else:
            nodes[full] = node
    graphs = {prefix + n: g for n, g in graph.nodes.items() if isinstance(g, nir.NIRGraph)}

    def ends(name, kind):
        if name in graphs:
            sub = graphs[name]
            io = sub.inputs if kind == "Input" else sub.outputs
            if len(io) != 1:
                raise SpikemeshError(
                    f"from_nir: nested graph {name!r} has {len(io)} {kind} nodes; an edge to "
                    "or from it must name one of them"
                )
            return f"{name}.{next(iter(io))}"
        return name

    for src, dst in graph.edges:
        s, d = prefix + src, prefix + dst
        edges.append((ends(s, "Output"), ends(d, "Input")))
    return nodes, edges


_kind = kind_of
_arr = arr
_pair = pair
_conv = conv_matrix


def _is_neuron(node) -> bool:
    return role_of(node) in ("spiking", "readout")


_FIELDS = (
    "weight",
    "bias",
    "scale",
    "delay",
    "tau",
    "tau_mem",
    "tau_syn",
    "r",
    "v_leak",
    "v_threshold",
    "v_reset",
    "w_in",
    "threshold",
)


def _check_values(nodes) -> None:
    """Every numeric field of every node finite, every weight without a zero-size dimension:
    one error naming node and field (nothing is computed from a NaN or an empty kernel)."""
    for name, node in nodes.items():
        if isinstance(node, tuple):
            continue
        for f in _FIELDS:
            x = getattr(node, f, None)
            if x is None or isinstance(x, str):
                continue
            a = _arr(x)
            if not np.all(np.isfinite(a)):
                raise SpikemeshError(
                    f"from_nir: node {name!r}.{f}: holds NaN or infinity (shape {a.shape})"
                )
            if f == "weight" and (a.size == 0 or 0 in a.shape):
                raise SpikemeshError(
                    f"from_nir: node {name!r}.weight: has a zero-size dimension (shape {a.shape}); "
                    "a layer without weights is not a layer"
                )


def _check_sizes(shapes) -> None:
    """Sizes declared in the file checked before anything is allocated for them."""
    from .._validate import check_memory

    for name, shape in shapes.items():
        if shape is None:
            continue
        n = int(np.prod(np.asarray(shape, dtype=object)))  # exact, no int64 wrap
        if n < 1 or any(int(d) < 1 for d in shape):
            raise SpikemeshError(f"from_nir: node {name!r} has shape {tuple(shape)}: every "
                                 "dimension must be >= 1")  # fmt: skip
        if n > 2**31 - 1:
            raise SpikemeshError(f"from_nir: node {name!r} has {n:,} values (shape "
                                 f"{tuple(shape)}); at most 2**31 - 1 per node")  # fmt: skip
        check_memory(f"from_nir: node {name!r}", 32.0 * 8 * n,
                     f"{n:,} values (shape {tuple(shape)}) and their state")  # fmt: skip


def _back_edges(nodes, edges) -> set:
    """Edges that close a cycle: back edges of a depth-first walk from the Input nodes, taken
    in name order (so the answer does not depend on the order a file stores its nodes in)."""
    out: dict = {n: [] for n in nodes}
    for s, d in sorted(set(edges)):
        out[s].append(d)
    state, back = {}, set()
    order = sorted(nodes)
    for root in [n for n in order if _kind(nodes[n]) == "Input"] + order:
        if root in state:
            continue
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(out[nxt])))
    return back


# ------------------------------------------------------------------ shapes and linear maps
def _neuron_params(node) -> dict:
    kind = _kind(node)
    names = {
        "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
        "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
        "IF": ("r", "v_threshold", "v_reset"),
        "Threshold": ("threshold",),
        "LI": ("tau", "r", "v_leak"),
        "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
        "I": ("r",),
    }[kind]
    return {k: _arr(getattr(node, k)) for k in names if getattr(node, k, None) is not None}


def _declared_input(node) -> tuple:
    return tuple(int(v) for v in np.ravel(node.input_type["input"]))


def _input_leading_dims(nodes, edges) -> dict:
    """Input nodes whose declared type carries leading dimensions their Affine / Linear
    consumers do not take (Sinabs 3.1 writes its sample's time steps there: (T, n) for n
    features): {input: (shape the consumers take, declared shape)}."""
    out = {}
    for name, node in nodes.items():
        if _kind(node) != "Input":
            continue
        shape = _declared_input(node)
        users = [nodes[d] for s, d in edges if s == name]
        if len(shape) < 2 or not users:
            continue
        widths = {int(_arr(u.weight).shape[1]) for u in users
                  if _kind(u) in ("Affine", "Linear") and _arr(u.weight).ndim == 2}  # fmt: skip
        if (len(widths) == 1 and all(_kind(u) in ("Affine", "Linear") for u in users)
                and widths == {shape[-1]} and int(np.prod(shape)) != shape[-1]):  # fmt: skip
            out[name] = ((shape[-1],), shape)
    return out


def _out_shape(name, node, ins, override=None):
    """The node's output shape from its (forward) input shapes."""
    kind = _kind(node)
    if kind == "Input":
        if override and name in override:
            return override[name][0]
        return _declared_input(node)
    sizes = {int(np.prod(s)) for _, s in ins}
    if len(sizes) > 1:
        detail = ", ".join(f"{s!r} gives {int(np.prod(sh))}" for s, sh in ins)
        raise SpikemeshError(f"from_nir: node {name!r} sums in-edges of different sizes ({detail})")
    shape = ins[0][1] if ins else None
    size = sizes.pop() if ins else None
    if _is_neuron(node):
        sizes_p = {int(a.size) for a in _neuron_params(node).values()}
        if shape is None:
            p = max(_neuron_params(node).values(), key=lambda a: a.size)
            return tuple(p.shape) or (1,)
        if not sizes_p <= {1, size}:
            raise SpikemeshError(
                f"from_nir: node {name!r} ({kind}) has parameters of size "
                f"{sorted(sizes_p)} but receives {size} values per step"
            )
        return shape
    return NODES[kind].shape(name, node, shape)


def _op(name, node, in_shape, dt):
    """(matrix (out, in), bias (out,) or None, delay steps) of a linear or pass node."""
    return NODES[_kind(node)].op(name, node, in_shape, dt)


# ------------------------------------------------------------------ the import
def from_nir(src, chip=None, dt: float | None = None, *, reset="nir", strict: bool = False,
             tolerance: float = 0.005, input_bits: int | None = None,
             input_max: float = 1.0, spike_bits: int = 4,
             split_signs="auto") -> Network:  # fmt: skip
    """A :class:`Network` of the NIR graph ``src`` (a ``nir.NIRGraph`` or an HDF5 path).

    ``dt`` is the graph's step in the units of its time constants (default: the graph's
    ``metadata["dt"]``, else inferred from snnTorch's ``r = tau/dt``, else 1; snnTorch's
    exporter assumes 1e-4; Norse 1.1 writes ``tau = dt_norse / tau_mem_inv``, reproduced at
    ``dt = dt_norse**2``, 1e-6 for its default: a ``dt/tau`` above 1 is refused with that hint).

    ``reset`` (a name of :data:`RESETS`, or a dict node -> name): what the spiking nodes do
    after a spike, which NIR files cannot say. ``"subtract"`` builds
    :class:`~spikemesh.neurons.CubaLIFSubtract` (chips listing it: loihi2), refused elsewhere
    with the reason; ``"zero_hold"`` a CubaLIF with ``refract_delay = 2`` (every Loihi chip);
    ``"multi_subtract"`` (Sinabs' IAF defaults) graded IF cores sending up to
    ``2**spike_bits - 1`` spikes per message (chips with graded IF cores: loihi2).

    Every parameter rounded by more than ``tolerance`` (relative), every weight or threshold
    rounded to 0 or clipped, gives one :class:`~spikemesh.exceptions.FidelityWarning` naming
    node, parameter, value and what was built (also in ``net.nir.fidelity``); ``strict=True``
    raises :class:`~spikemesh.exceptions.FidelityError` instead.

    ``split_signs`` (True, False or ``"auto"``): build a projection whose weights have both signs
    as an excitatory and an inhibitory one, each keeping all 8 mantissa bits (Loihi's
    mixed-sign format drops one), at the cost of two input axons per source neuron; ``"auto"``
    splits where a node's inputs number at most half a core's input axons (the digits MLP:
    yes; a 2x34x34 conv stack: no, it would need twice the cores).

    ``input_bits``: real-valued ("direct") input, each Input node a source of graded
    messages of ``input_bits`` bits carrying ``x`` in ``[0, input_max]`` in steps of
    ``input_max / (2**input_bits - 1)`` (chips whose messages carry that many bits; refused on
    binary-spike chips with the encodings offered). :meth:`NirImport.encode` quantizes. ``chip`` (a profile or name) picks the cores: its neuron models
    must include CubaLIF; on chips with graded-spike IF cores (Loihi 2-like) Threshold nodes
    and membranes that forget each step use IF cores, exact by construction. The returned
    network carries ``net.nir``, a :class:`NirImport` (populations, scales, rounding errors,
    :meth:`~NirImport.outputs`).
    """
    c = _chips.get(chip) if chip is not None else None
    if c is not None and not c.supports("CubaLIF"):
        raise SpikemeshError(
            f"from_nir: NIR neurons become Loihi CUBA compartments (CubaLIF); {c.name} runs "
            f"{', '.join(c.core.neuron_models)}, whose neurons weigh their inputs by 4 axon "
            "types (not a weight per synapse) and have no synaptic current: a NIR graph's "
            "float weights and CubaLIF dynamics do not map onto it (its ANN conversion does: "
            "sm.convert.to_snn)"
        )
    graded = c is not None and c.supports("IF") and c.core.payload_bits > 1
    from .._validate import check_bool

    strict = check_bool("from_nir", "strict", strict)
    try:
        tolerance = float(tolerance)
    except (TypeError, ValueError):
        raise ParameterError(
            f"from_nir.tolerance: must be a number in [0, 1) (got {tolerance!r})"
        ) from None
    if not (0 <= tolerance < 1):
        raise ParameterError(f"from_nir.tolerance: must be a number in [0, 1) (got {tolerance!r})")
    in_bits = _input_bits(input_bits, input_max, c)
    from .._validate import check_int

    spike_bits = check_int("from_nir", "spike_bits", spike_bits, 1, 23)
    graph = _load(src)
    nodes, edges = _flatten(graph)
    given_dt, dt_source = dt is not None, "given"
    if dt is None:
        meta = getattr(graph, "metadata", None)
        if isinstance(meta, dict) and "dt" in meta:
            dt, given_dt, dt_source = float(np.asarray(meta["dt"]).ravel()[0]), True, "metadata"
        else:
            dt, dt_source = 1.0, "default"
            inferred = _snntorch_dt(nodes)
            if inferred is not None:  # dt = 1 would be unstable; the file says which dt it meant
                dt, given_dt, dt_source = inferred, True, "r = tau/dt (snnTorch's export)"
    try:
        dt = float(dt)
    except (TypeError, ValueError):
        raise ParameterError(f"from_nir.dt: must be a number > 0 (got {dt!r})") from None
    if not (math.isfinite(dt) and dt > 0):
        raise ParameterError(f"from_nir.dt: must be a finite number > 0 (got {dt!r})")
    for name, node in nodes.items():
        kind = _kind(node)
        if kind not in NODES:
            raise SpikemeshError(
                f"from_nir: node {name!r} has unsupported type {kind} (supported: "
                f"{', '.join(NODES)}; spikemesh.convert.nir_nodes.register adds one)"
            )
    for s, d in edges:
        for end in (s, d):
            if end not in nodes:
                raise SpikemeshError(f"from_nir: edge ({s!r}, {d!r}) names no node {end!r}")
        if _kind(nodes[d]) == "Input":
            raise SpikemeshError(f"from_nir: edge ({s!r}, {d!r}) enters Input node {d!r}")
        if role_of(nodes[s]) == "readout" and _kind(nodes[d]) != "Output":
            raise SpikemeshError(
                f"from_nir: node {s!r} ({_kind(nodes[s])}) drives {d!r}: its output is a real "
                "value (the membrane), which these chips cannot send on as spikes; only a "
                "read-out (an edge to an Output node) is built"
            )
    _check_values(nodes)
    back = _back_edges(nodes, edges)
    leading = _input_leading_dims(nodes, edges)
    shapes = _infer_shapes(nodes, edges, back, leading)
    _check_sizes(shapes)
    into: dict = {n: [] for n in nodes}
    for s, d in edges:
        into[d].append(s)
    imp = NirImport(dt=dt, dt_source=dt_source, tolerance=tolerance, input_bits=in_bits or 0)
    notes: list = []  # (node, what was not built as the file says)
    readings = []  # (node, how an ambiguous file was read): warned, not refused by strict=
    for name, (took, declared) in leading.items():
        readings.append((name, f"Input type {declared} but its Affine/Linear nodes take "
                      f"{took[0]} values: read as {took} per step, the leading dimensions as "
                      "the exporter's sample shape (Sinabs writes its time steps there)"))  # fmt: skip
    name_ = getattr(graph, "name", None)
    net = Network(name_ if isinstance(name_, str) and name_ else "nir")
    sources = {}
    for name, node in nodes.items():
        if _kind(node) == "Input":
            n_in = int(np.prod(shapes[name]))
            if in_bits:
                sources[name] = net.input(n_in, name=name, payload_bits=in_bits)
                imp.input_step[name] = float(input_max) / (2**in_bits - 1)
            else:
                sources[name] = net.input(n_in, name=name)
            imp.inputs[name] = shapes[name]
    specs = {name: _neuron(name, node, dt, int(np.prod(shapes[name])), given_dt, shapes[name])
             for name, node in nodes.items() if _is_neuron(node)}  # fmt: skip
    resets = _resets(reset, specs, c)
    specs = {name: replace(sp_, reset=resets.get(name, "nir")) for name, sp_ in specs.items()}
    for name, sp_ in specs.items():
        if sp_.kind in ("IF", "I"):
            r = sp_.r
            if dt_source == "default" and np.max(r) >= 10:  # r = 1/dt of a graph without dt
                notes.append((name, f"{sp_.kind} r = {_show(r)} read at dt = 1 (the graph "
                              "carries no dt): NIR's dv/dt = R I adds r I per step; pass dt= "
                              "if the graph was written for another step"))  # fmt: skip
            elif dt != 1 and np.all(r == 1):
                notes.append((name, f"{sp_.kind} r = 1 at dt = {dt:g} adds dt r = {dt:g} of "
                              "its input per step (NIR's dv/dt = R I); Norse 1.1 exports its "
                              "IAFCell (v += I per step) with r = 1, NIR's ODE needs r = 1/dt"))  # fmt: skip
        notes += [(name, t) for rel, t in sp_.decay_notes if rel > tolerance]
    paths = {name: _paths(name, nodes, into, back, shapes, dt) for name in specs}
    for name, node in nodes.items():  # Output nodes behind linear nodes: read out on the host
        if _kind(node) == "Output" and any(
            role_of(nodes[s]) in ("linear", "pass") for s in into[name]
        ):
            p = _paths(name, nodes, into, back, shapes, dt)
            routes = {k: m for k, m in p["routes"].items() if k[0] in specs}
            imp.host[name] = (routes, p["bias"], shapes[name])
    const_pop = None
    if split_signs not in (True, False, "auto"):
        raise ParameterError(
            f"from_nir.split_signs: must be True, False or 'auto' (got {split_signs!r})"
        )
    axons = c.core.input_axons if c is not None else 4096
    split = {}
    for name in specs:
        lines = sum(int(np.prod(shapes[src])) for src, _ in paths[name]["routes"])
        split[name] = split_signs if split_signs != "auto" else lines <= axons // 2
    caps = {name: 2**spike_bits - 1 for name, sp_ in specs.items()
            if sp_.reset == "multi_subtract"}  # fmt: skip
    built = {name: _build(net, name, sp_, paths[name], graded, notes, tolerance, caps, spike_bits)
             for name, sp_ in specs.items()}  # fmt: skip
    for name, sp_ in specs.items():
        imp.populations[name] = name
        imp.sigma[name] = built[name].sigma
        imp.shapes[name] = sp_.shape
    for name, sp_ in specs.items():
        b_ = built[name]
        errs_all = list(b_.errs)
        for (src_name, delay), m in paths[name]["routes"].items():
            pre = sources.get(src_name) or built[src_name].pop
            w = (m.multiply(b_.sigma * sp_.gain[:, None])).T.tocsr()  # (pre, post)
            if src_name in imp.input_step:  # graded input: one payload unit = one step of x
                w = (w * imp.input_step[src_name]).tocsr()
            # Loihi's mixed-sign synapse format drops the lowest mantissa bit (docs/hardware.md
            # §1); an excitatory and an inhibitory projection keep all 8 bits of each
            parts = _sign_split(w) if split[name] else [("", w)]
            top = float(np.abs(w.data).max(initial=0))
            errs = []
            for suffix, part in parts:
                mant, wexp, err = _weights(part, b_.shift)
                ptop = float(np.abs(part.data).max(initial=0))
                errs.append(err * ptop / top if top else 0.0)
                pname = f"{src_name}->{name}{suffix}"
                _weight_notes(notes, name, pname, part, mant, wexp, b_.shift,
                              errs[-1], tolerance)  # fmt: skip
                if part.nnz and not mant.nnz:
                    warnings.warn(
                        f"from_nir: every weight of {pname!r} rounds to 0: they are below one "
                        f"accumulator step at the node's scale (sigma = {b_.sigma:g}, set by "
                        "its threshold); the projection does nothing",
                        QuantizationWarning,
                        stacklevel=2,
                    )
                net.connect(pre, b_.pop, weights=mant, weight_exp=wexp, delay=delay,
                            name=pname)  # fmt: skip
            errs_all.append(max(errs, default=0.0))
        drive = b_.const_q
        if np.any(drive):
            if const_pop is None:
                bname = "nir.bias"
                while bname in nodes:
                    bname += "_"
                # fires every step; the model of the populations it drives, so it can share
                # their core (a core runs one neuron model)
                always = (CubaLIFSubtract if all(isinstance(q.pop.neuron, CubaLIFSubtract)
                                                 for q in built.values()) else CubaLIF)  # fmt: skip
                const_pop = net.population(1, always(du=LOIHI_DECAY_MAX, dv=0, vth=0, bias_mant=1),
                                           name=bname)  # fmt: skip
                imp.bias = bname
            bw = _as_sparse(drive[None, :])
            top = float(np.abs(drive).max())
            for suffix, part in _sign_split(bw):
                mant, wexp, err = _weights(part, b_.shift)
                err *= float(np.abs(part.data).max(initial=0)) / top
                errs_all.append(err)
                _weight_notes(notes, name, f"bias->{name}{suffix}", part, mant, wexp,
                              b_.shift, err, tolerance,
                              what="constant drive (Affine bias / v_leak)")  # fmt: skip
                net.connect(const_pop, b_.pop, weights=mant, weight_exp=wexp, delay=0,
                            name=f"bias->{name}{suffix}")  # fmt: skip
        imp.errors[name] = float(max(errs_all))
        if sp_.readout:
            net.probe(b_.pop, "v")
    imp.readouts = tuple(n for n, s in specs.items() if s.readout)
    imp.resets = {n: s.reset for n, s in specs.items() if not s.readout}
    imp.layers = _synapse_layers(nodes, into, back, shapes, dt, specs)
    imp.fidelity = [f"node {node!r}: {text}" for node, text in readings + notes]
    for node, text in readings:
        warnings.warn(f"from_nir: node {node!r}: {text}", FidelityWarning, stacklevel=2)
    if notes:
        msg = (f"from_nir: {len(notes)} value(s) not built as the file says (tolerance "
               f"{tolerance:.2%}; net.nir.fidelity lists them):\n  - "
               + "\n  - ".join(f"node {node!r}: {text}" for node, text in notes))  # fmt: skip
        if strict:
            raise FidelityError(
                msg + "\n(strict=True: refused; tolerance= or strict=False builds it)"
            )
        warnings.warn(msg, FidelityWarning, stacklevel=2)
    for name in specs:  # the membrane of every node: NeuroBench's MembraneUpdates reads it
        if not specs[name].readout:
            net.probe(built[name].pop, "v")
    net.nir = imp
    return net


def _show(a) -> str:
    a = np.unique(np.asarray(a, np.float64))
    return f"{a[0]:g}" if a.size == 1 else f"{a.min():g}..{a.max():g}"


def _input_bits(bits, vmax, chip):
    """The graded input width asked for (None: binary spikes), checked against the chip."""
    if bits is None:
        return None
    from .._validate import check_int, check_number

    bits = check_int("from_nir", "input_bits", bits, 1, 24)
    vmax = check_number("from_nir", "input_max", vmax)
    if not vmax > 0:
        raise ParameterError(f"from_nir.input_max: must be > 0 (got {vmax!r})")
    if chip is not None and chip.core.payload_bits < bits:
        raise SpikemeshError(
            f"from_nir(input_bits={bits}): {chip.name} carries {chip.core.payload_bits}-bit "
            "spike messages, so real-valued ('direct') input cannot enter it as graded messages; "
            "encode it as spikes first: sm.encode.rate / sm.encode.latency / sm.encode.delta "
            "(CLI: --encode rate|latency|delta), or use a chip with graded messages (loihi2)"
        )
    return bits


def _resets(reset, specs, chip) -> dict:
    """node -> reset mechanism (a key of RESETS), checked against the nodes and the chip."""
    spiking = [n for n, s in specs.items() if not s.readout]
    if isinstance(reset, str):
        if reset not in RESETS:
            raise ParameterError(
                f"from_nir.reset: must be one of {', '.join(RESETS)} or a dict node -> one of "
                f"them (got {reset!r})"
            )
        asked = {n: reset for n in spiking}
        explicit = False
    elif isinstance(reset, dict):
        asked, explicit = dict(reset), True
        for n in asked:
            if n not in specs:
                raise ParameterError(
                    f"from_nir.reset: {n!r} is not a neuron node of this graph; its spiking "
                    f"nodes are: {', '.join(spiking) or '(none)'}"
                )
    else:
        raise ParameterError(
            f"from_nir.reset: must be one of {', '.join(RESETS)} or a dict node -> one of them "
            f"(got {type(reset).__name__})"
        )
    out = {}
    for n, mode in asked.items():
        if not isinstance(mode, str) or mode not in RESETS:
            raise ParameterError(
                f"from_nir.reset[{n!r}]: must be one of {', '.join(RESETS)} (got {mode!r})"
            )
        mode = "nir" if mode == "zero" else mode
        kind = specs[n].kind
        if mode != "nir" and (specs[n].readout or kind == "Threshold"):
            if explicit:
                raise ParameterError(
                    f"from_nir.reset[{n!r}]: {kind} has no reset (a read-out or a stateless "
                    "threshold); only spiking IF/LIF/CubaLIF nodes take reset="
                )
            continue
        if mode != "nir" and specs[n].forget:
            raise SpikemeshError(
                f"from_nir: node {n!r}: reset={mode!r} on a membrane that forgets every step "
                "(dt = tau) is not built"
            )
        if mode == "subtract" and chip is not None and not chip.supports("CubaLIFSubtract"):
            raise SpikemeshError(
                f"from_nir(reset='subtract'): snnTorch's reset by subtraction takes the "
                f"threshold off after the next step's decay and input; {chip.name}'s CUBA "
                f"compartments reset v to 0 at the spike and cannot do that (it runs "
                f"{', '.join(chip.core.neuron_models)}). Chips with programmable neurons can "
                "(loihi2: CubaLIFSubtract); on this chip train with reset_mechanism='zero'"
            )
        if mode == "multi_subtract":
            if kind != "IF":
                raise SpikemeshError(
                    f"from_nir: node {n!r} ({kind}): reset='multi_subtract' (Sinabs' IAF) is built "
                    "for IF nodes only (graded IF cores have no exponential leak)"
                )
            if chip is not None and not (chip.supports("IF") and chip.core.payload_bits > 1):
                raise SpikemeshError(
                    f"from_nir(reset='multi_subtract'): Sinabs' multi-spikes leave a neuron as one "
                    f"graded message; {chip.name} carries {chip.core.payload_bits}-bit messages "
                    f"and runs {', '.join(chip.core.neuron_models)} (chips with graded IF cores "
                    "can: loihi2)"
                )
        out[n] = mode
    return out


def _weight_notes(notes, node, proj, w, mant, wexp, shift, err, tol, what="weights"):
    """Fidelity notes of one projection: rounding beyond the tolerance, weights zeroed or
    clipped."""
    data = w.tocsr().data
    nz = int(np.count_nonzero(data))
    if not nz:
        return
    if not mant.nnz:
        notes.append((node, f"projection {proj!r} {what}: all {nz} round to 0 (below one "
                      "accumulator step at the node's scale): the projection does nothing"))  # fmt: skip
        return
    exact = data[data != 0] / 2.0**shift
    lim = 2.0 ** (wexp + 8)
    clipped = int(np.count_nonzero(np.abs(exact) > lim))
    zeroed = nz - int(mant.nnz)
    if err > tol or clipped:
        notes.append((node, f"projection {proj!r} {what}: {nz:,} values as 8-bit mantissas "
                      f"x 2**{wexp}: largest error {err:.2%} of the largest value"
                      + (f"; {zeroed:,} round to 0" if zeroed else "")
                      + (f"; {clipped:,} clipped to the register" if clipped else "")))  # fmt: skip


def _as_sparse(a):
    import scipy.sparse as sp

    return sp.csr_matrix(a)


def _snntorch_dt(nodes) -> float | None:
    """The dt a graph was written for when it carries none and dt = 1 would be unstable (some
    tau < 1): snnTorch's exporter writes ``r = tau / dt`` (and ``w_in = tau_syn / dt``), so when
    every LIF/CubaLIF node gives the same ``tau / r``, that is its dt. None otherwise."""
    taus, ratios, any_scaled = [], [], False
    for node in nodes.values():
        kind = _kind(node)
        if not _is_neuron(node):
            continue
        p = _neuron_params(node)
        for key in ("tau", "tau_mem", "tau_syn"):
            if key in p:
                taus.append(float(p[key].min()))
        if kind in ("LIF", "CubaLIF") and "r" in p:
            any_scaled |= bool(np.any(p["r"] != 1))
            tau = p["tau"] if kind == "LIF" else p["tau_mem"]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios.append(np.ravel(tau / p["r"]))
            if kind == "CubaLIF" and "w_in" in p:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratios.append(np.ravel(p["tau_syn"] / p["w_in"]))
    if not taus or min(taus) >= 1 or not ratios or not any_scaled:
        return None  # r = 1 everywhere (Norse writes that) says nothing about dt
    r = np.concatenate(ratios)
    if not np.all(np.isfinite(r)) or r.min() <= 0:
        return None
    dt = float(np.median(r))
    if np.all(np.abs(r - dt) <= 1e-5 * dt) and dt <= min(taus):
        return dt
    return None


def _infer_shapes(nodes, edges, back, override=None) -> dict:
    fwd: dict = {n: [] for n in nodes}
    succ: dict = {n: [] for n in nodes}
    for s, d in edges:
        if (s, d) not in back:
            fwd[d].append(s)
            succ[s].append(d)
    indeg = {n: len(v) for n, v in fwd.items()}
    ready = [n for n in nodes if indeg[n] == 0]
    shapes: dict = {}
    while ready:
        n = ready.pop(0)
        shapes[n] = _out_shape(
            n, nodes[n], [(s, shapes[s]) for s in fwd[n] if shapes[s] is not None], override
        )
        for d in succ[n]:
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    for n in nodes:
        if role_of(nodes[n]) in ("spiking", "readout", "input") and shapes.get(n) is None:
            raise SpikemeshError(f"from_nir: cannot tell the size of node {n!r}")
    return shapes


def _neuron(name, node, dt, n, given_dt, shape) -> NeuronNode:
    """Per-neuron arrays (NIR units) and the chip's decays of a neuron node."""
    kind = _kind(node)
    p = {k: np.broadcast_to(v.ravel() if v.size > 1 else v.reshape(()), (n,)).astype(np.float64)
         for k, v in _neuron_params(node).items()}  # fmt: skip
    one, zero = np.ones(n), np.zeros(n)
    if np.any(p.get("v_reset", zero) != 0):
        raise SpikemeshError(
            f"from_nir: node {name!r}: v_reset = {p['v_reset'][p['v_reset'] != 0][0]:g} != 0; "
            "Loihi-like compartments reset v to 0 (not built)"
        )
    theta = p.get("v_threshold", p.get("threshold"))
    a_m = {"LIF": dt / p.get("tau", one), "LI": dt / p.get("tau", one),
           "CubaLIF": dt / p.get("tau_mem", one), "CubaLI": dt / p.get("tau_mem", one)}.get(kind)  # fmt: skip
    a_s = dt / p["tau_syn"] if kind in ("CubaLIF", "CubaLI") else one
    for label, a in (("dt/tau_mem", a_m), ("dt/tau_syn", a_s)):
        if a is not None and (
            np.any(a > 1 + 1e-12) or np.any(a <= 0) or not np.all(np.isfinite(a))
        ):
            bad = a[(a > 1) | (a <= 0) | ~np.isfinite(a)][0]
            hint = ((" The graph carries no dt:" if not given_dt else " Is dt right?") +
                    " pass from_nir(..., dt=) (CLI "
                    "--dt): snnTorch's exporter assumes dt=1e-4; Norse 1.1 writes tau = "
                    "dt_norse/tau_mem_inv, which dt = dt_norse**2 reproduces (1e-6 for Norse's "
                    "default dt = 1e-3).")  # fmt: skip
            raise ParameterError(
                f"from_nir: node {name!r} ({kind}): {label} = {bad:g} at dt={dt:g}; forward Euler "
                f"needs 0 < dt/tau <= 1.{hint}"
            )
    r, w_in, leak = p.get("r", one), p.get("w_in", one), p.get("v_leak", zero)
    if kind in ("IF", "I"):  # NIR: dv/dt = R I -> v += dt R I (forward Euler, like LIF's rule)
        a_m_eff, gain, forget = None, dt * r, False
    elif kind == "Threshold":
        a_m_eff, gain, forget = None, one, True
    else:
        a_m_eff = a_m
        gain = a_m * r * a_s * w_in
        forget = bool(np.all(a_m == 1.0))
    if (a_m_eff is not None and np.ptp(a_m_eff)) or np.ptp(a_s):
        raise SpikemeshError(
            f"from_nir: node {name!r}: time constants differ between neurons; a population "
            "shares one decay register (not built)"
        )
    if theta is not None and np.any(theta < 0):
        raise SpikemeshError(
            f"from_nir: node {name!r}: threshold {theta.min():g} < 0 fires without input; "
            "Loihi-like thresholds are >= 0 (not built)"
        )
    am = float(a_m_eff[0]) if a_m_eff is not None else 0.0
    one = LOIHI_DECAY_ONE
    dv_f = float(one) * am
    du_f = float(one) * float(a_s[0]) - 1
    dvi = int(np.clip(np.rint(dv_f), 0, LOIHI_DECAY_MAX))
    dui = int(np.clip(np.rint(du_f), 0, LOIHI_DECAY_MAX))
    decay_err = 0.0 if forget else max(abs(dvi - dv_f), abs(dui - du_f)) / one
    decay_notes = []
    if not forget:
        for label, exact, built, reg in (("dt/tau_mem", dv_f / one, dvi / one, f"dv = {dvi}"),
                                         ("dt/tau_syn", (du_f + 1) / one, (dui + 1) / one,
                                          f"du = {dui}")):  # fmt: skip
            if kind in ("IF", "I", "Threshold") or (label == "dt/tau_syn" and
                                                   kind not in ("CubaLIF", "CubaLI")):  # fmt: skip
                continue
            rel = abs(built - exact) / exact if exact > 0 else 0.0
            if rel > 0:
                decay_notes.append((rel, f"{label} = {exact:.6g}: built as {reg} "
                                    f"({built:.6g}, {rel:.2%} off)"))  # fmt: skip
    # constant drive per step into u (LIF/LI: v_leak through u; CubaLIF/CubaLI: the v register)
    in_u = kind in ("LIF", "LI")
    in_v = kind in ("CubaLIF", "CubaLI")
    return NeuronNode(kind, n, tuple(shape), theta, dvi, dui, decay_err, tuple(decay_notes), r,
                      np.ascontiguousarray(gain), float(a_s[0]), am,
                      a_m * leak if in_u else zero, a_m * leak if in_v else zero, forget,
                      role_of(kind) == "readout")  # fmt: skip


def _paths(name, nodes, into, back, shapes, dt, n=None):
    """Every route into neuron node ``name`` back to a source (Input or spiking node), summed
    per (source, delay): {"routes": {(source, delay): matrix (n_post, n_src)}, "bias": (n,)},
    the bias being the linear nodes' constant terms as seen at the neuron's input."""
    import scipy.sparse as sp

    routes: dict = {}
    n = int(np.prod(shapes[name])) if n is None else n
    bias = np.zeros(n)

    def walk(node, mat, delay, trail=()):
        nonlocal bias
        for s in into[node]:
            d = delay + (1 if (s, node) in back else 0)
            kind = _kind(nodes[s])
            if role_of(kind) in ("spiking", "readout", "input"):
                if mat.shape[1] != int(np.prod(shapes[s])):
                    raise SpikemeshError(
                        f"from_nir: {s!r} sends {int(np.prod(shapes[s]))} values but the path to "
                        f"{name!r} takes {mat.shape[1]}"
                    )
                key = (s, d)
                routes[key] = routes[key] + mat if key in routes else mat
                continue
            if s in trail:
                raise SpikemeshError(
                    f"from_nir: node {s!r} is on a cycle that passes no neuron node: not supported"
                )
            in_shape = _in_shape_of(s, into, back, shapes)
            m, b, steps = _op(s, nodes[s], in_shape, dt)
            if b is not None:
                bias = bias + mat @ b
            walk(s, (mat @ m).tocsr(), d + steps, (*trail, s))

    walk(name, sp.identity(n, format="csr"), 0)
    return {"routes": routes, "bias": bias}


def _synapse_layers(nodes, into, back, shapes, dt, specs) -> list:
    """NeuroBench's layers of the graph: each node whose rule has a ``layer`` (Affine, Linear,
    Conv) as ``(name, routes {(source, delay): matrix (n_in, n_source)}, fanout per input,
    dense)``, its input traced back through the pass and pooling nodes to Input and spiking
    nodes."""
    out = []
    for name, node in nodes.items():
        rule = NODES[_kind(node)]
        if rule.layer is None:
            continue
        in_shape = _in_shape_of(name, into, back, shapes)
        n_in = int(np.prod(in_shape))
        p = _paths(name, nodes, into, back, shapes, dt, n=n_in)
        routes = {
            k: m for k, m in p["routes"].items() if k[0] in specs or _kind(nodes[k[0]]) == "Input"
        }
        fanout, dense = rule.layer(name, node, in_shape)
        out.append((name, routes, np.asarray(fanout, np.int64), int(dense)))
    return out


def _in_shape_of(node, into, back, shapes):
    fwd = [s for s in into[node] if (s, node) not in back and shapes.get(s) is not None]
    srcs = fwd or [s for s in into[node] if shapes.get(s) is not None]
    if not srcs:
        raise SpikemeshError(f"from_nir: node {node!r} has no input")
    return shapes[srcs[0]]


def _build(net, name, sp_: NeuronNode, paths, graded, notes, tol, caps, spike_bits) -> BuiltNode:
    """Choose ``sigma`` and the neuron spec; add the population. ``caps``: the largest
    payload each source sends in a step (1, or 2**spike_bits - 1 for multi-spike nodes)."""
    n, kind = sp_.n, sp_.kind
    drive = sum((np.asarray(abs(m).sum(axis=1)).ravel() * caps.get(src, 1)
                 for (src, _), m in paths["routes"].items()), np.zeros(n))  # fmt: skip
    const_in = sp_.gain * paths["bias"] + sp_.leak_u  # per step, NIR units, into u
    q = sp_.gain * drive + np.abs(const_in)
    # a membrane that forgets each step, no current: an IF core with reset="step" is exact
    multi = sp_.reset == "multi_subtract"
    use_if = (sp_.forget and graded and kind in ("Threshold", "LIF")) or multi
    bounds = [
        Q_TOP / max(q.max(initial=0), 1e-300),
        U_TOP * sp_.a_s / max(q.max(initial=0), 1e-300),
    ]
    if sp_.theta is not None:
        bounds.append(V_TOP / max(float(sp_.theta.max()), 1e-300))
    if sp_.forget and not use_if:
        bounds.append(FORGET_TOP / max((q + np.abs(sp_.leak_v)).max(initial=0), 1e-300))
    if kind == "I":
        bounds.append(I_TOP / max(q.max(initial=0), 1e-300))
    if sp_.readout and kind != "I":
        bounds.append(U_TOP * sp_.a_s * sp_.a_m / max(q.max(initial=0), 1e-300))
    # the largest synapse (and the bias line) inside a weight register: 8-bit mantissa << 7
    wmax = max([float((abs(m).max(axis=1).toarray().ravel() * sp_.gain).max(initial=0))
                for m in paths["routes"].values()] + [float(np.abs(const_in).max(initial=0))])  # fmt: skip
    bounds.append(254 * 2.0 ** (7 + (0 if use_if else 6)) / max(wmax, 1e-300))
    top = min(bounds)
    sigma = 2.0 ** math.floor(math.log2(top)) if math.isfinite(top) and top > 0 else 1.0
    sigma = min(sigma, 2.0**40)  # no drive, no threshold: any scale will do
    errs = [sp_.decay_err]
    if use_if:
        x = sigma * sp_.theta
        # integer v > x <=> v >= floor(x) + 1; Sinabs' v >= x <=> v >= ceil(x)
        vth = np.maximum(np.ceil(x), 1) if multi else np.floor(x) + 1
        if np.ptp(vth):
            raise SpikemeshError(
                f"from_nir: node {name!r}: thresholds differ between neurons (not built)"
            )
        if multi:
            terr = _rel_err(x, vth)
            errs.append(terr)
            if terr > tol:
                notes.append((name, f"v_threshold = {float(sp_.theta.ravel()[0]):g}: built as "
                              f"vth = {int(vth[0])} at sigma = {sigma:g}, {terr:.2%} off"))  # fmt: skip
            spec = IF(vth=int(vth[0]), reset="subtract", v_bits=24,
                      spike_bits=spike_bits)  # fmt: skip
        else:
            spec = IF(vth=int(vth[0]), reset="step", v_bits=24)
        shift = 0
    else:
        shift = 6
        bias_f = sigma * sp_.leak_v
        mant, bexp = _bias_parts(bias_f)
        berr = _rel_err(bias_f, mant * 2.0**bexp)
        errs.append(berr)
        if np.any(bias_f) and (
            berr > tol or np.any(np.abs(bias_f) > LOIHI_BIAS_MANT[1] * 2 ** LOIHI_BIAS_EXP[1])
        ):
            notes.append((name, f"v_leak (CubaLIF bias register) {_show(sp_.leak_v)}: built "
                          f"as 13-bit mantissas x 2**{_show(bexp)}, {berr:.2%} off"))  # fmt: skip
        if sp_.theta is None:  # read-out: never fires (v clips at the threshold)
            vth, vmax = LOIHI_VTH_MAX, LOIHI_VTH_MAX << LOIHI_VTH_SHIFT
        else:
            vth_f = sigma * sp_.theta / 2**LOIHI_VTH_SHIFT
            vth_a = np.rint(vth_f)
            if np.ptp(vth_a):
                raise SpikemeshError(
                    f"from_nir: node {name!r}: v_threshold differs between neurons; a population "
                    "shares one threshold register (not built)"
                )
            terr = _rel_err(vth_f, vth_a)
            errs.append(terr)
            theta0 = float(sp_.theta.ravel()[0])
            if vth_a[0] == 0 and theta0 > 0:
                notes.append((name, f"v_threshold = {theta0:g} rounds to 0 at the node's scale "
                              f"(sigma = {sigma:g}, set by its inputs): it fires on any "
                              "positive membrane"))  # fmt: skip
            elif terr > tol:
                notes.append((name, f"v_threshold = {theta0:g}: built as vth = {int(vth_a[0])} "
                              f"(<< {LOIHI_VTH_SHIFT} = {int(vth_a[0]) << LOIHI_VTH_SHIFT} at sigma = {sigma:g}: "
                              f"{int(vth_a[0]) * 2**LOIHI_VTH_SHIFT / sigma:g}, {terr:.2%} off)"))  # fmt: skip
            vth, vmax = int(vth_a[0]), None
        dv = LOIHI_DECAY_MAX if sp_.forget else sp_.dv
        kw = dict(du=sp_.du, dv=dv, vth=vth, bias_mant=mant, bias_exp=bexp, vmax=vmax)
        if sp_.reset == "subtract":
            spec = CubaLIFSubtract(**kw)
        elif sp_.reset == "zero_hold":
            spec = CubaLIF(**kw, refract_delay=2)
        else:
            spec = CubaLIF(**kw)
    with warnings.catch_warnings():  # a read-out never fires on purpose
        warnings.simplefilter("ignore", SilentPopulationWarning)
        pop = net.population(n, spec, name=name)
    return BuiltNode(pop, sigma, shift, tuple(errs), sigma * const_in)


def _rel_err(exact, got) -> float:
    exact, got = np.asarray(exact, np.float64), np.asarray(got, np.float64)
    scale = max(float(np.abs(exact).max(initial=0)), 1e-300)
    return float(np.abs(exact - got).max(initial=0)) / scale


def _bias_parts(b: np.ndarray):
    """(mantissa, exponent) per neuron with mantissa * 2**exponent nearest b (13-bit, 0..7)."""
    e = np.zeros(b.shape, np.int64)
    lo, hi = LOIHI_BIAS_MANT
    big = np.abs(b) > hi
    e[big] = np.clip(np.ceil(np.log2(np.abs(b[big]) / hi)), 0, 7)
    m = np.clip(np.rint(b / 2.0**e), lo, hi).astype(np.int64)
    return m, e


def _sign_split(w):
    """[(name suffix, sparse part)]: the whole matrix when its weights share a sign, else its
    excitatory ("") and inhibitory ("(-)") parts."""
    w = w.tocsr()
    d = w.data
    if not ((d > 0).any() and (d < 0).any()):
        return [("", w)]
    pos, neg = w.copy(), w.copy()
    pos.data = np.where(d > 0, d, 0.0)
    neg.data = np.where(d < 0, d, 0.0)
    pos.eliminate_zeros()
    neg.eliminate_zeros()
    return [("", pos), ("(-)", neg)]


def _weights(w, shift: int):
    """Integer mantissas (a sparse matrix), the weight exponent and the relative rounding error
    of ``w`` (sparse, in accumulator units; the chip adds ``mantissa << exp << shift``)."""
    w = w.tocsr().astype(np.float64) / 2.0**shift
    data = w.data
    top = float(np.abs(data).max(initial=0))
    mixed = bool((data > 0).any() and (data < 0).any())
    lim = 254 if mixed else 255
    # a negative exponent floors every mantissa before the << shift (docs/hardware.md §1: Wq >>
    # -weight_exp per synapse): it never adds precision, so the exponent stays >= 0
    exp = int(np.clip(math.ceil(math.log2(top / lim)) if top > 0 else 0, 0, 7))
    # the mixed-sign format drops the lowest bit: round to even mantissas
    m = 2 * np.rint(data / 2.0 ** (exp + 1)) if mixed else np.rint(data / 2.0**exp)
    m = np.clip(m, -256, 255)
    out = w.copy()
    out.data = m.astype(np.int64)
    out.eliminate_zeros()
    return out, exp, _rel_err(data, m * 2.0**exp)


# ------------------------------------------------------------------ export
def to_nir(net: Network, path=None, dt: float | None = None):
    """The NIR graph of ``net`` (written to ``path`` as HDF5 when given; returned either way).

    CubaLIF populations become ``CubaLIF`` (``LIF`` when ``du = 4095``, ``IF`` when also
    ``dv = 0``; read-outs from :func:`from_nir` become ``CubaLI``/``LI``/``I``), ``IF`` cores with
    ``reset="step"`` ``Threshold`` and with ``reset="zero"`` ``IF``; each projection a ``Linear``
    node per delay value (``Delay`` nodes for the steps NIR does not already give: a same-step
    edge passes values within a step, an edge closing a cycle one step later). Values are in
    the units :func:`from_nir` scaled by (``net.nir.sigma``; 1 = chip units for other networks),
    so ``from_nir(to_nir(net))`` builds the same registers. An always-on bias neuron made by
    :func:`from_nir` is exported as the ``Affine`` bias it came from. What NIR cannot say
    (refractory holds, non-zero initial state, saturating multi-bit IF, TrueNorth neurons)
    raises, naming the population and field.
    """
    import nir

    imp = getattr(net, "nir", None)
    dt = float(dt if dt is not None else (imp.dt if imp is not None else 1.0))
    sigma = dict(imp.sigma) if imp is not None else {}
    bias_pop = imp.bias if imp is not None else None
    readouts = set(imp.readouts) if imp is not None else set()
    nodes: dict = {}
    for name, src in net.inputs.items():
        shape = imp.inputs.get(name, (src.n,)) if imp is not None else (src.n,)
        nodes[name] = nir.Input(input_type=np.array(shape))
    units = {}
    for name, pop in net.populations.items():
        if name == bias_pop:
            continue
        s = sigma.get(name, 1.0)
        nodes[name], units[name] = _export_neuron(name, pop, s, dt, name in readouts)
    # constant drive of an imported network: folded into an Affine bias below
    const = {}
    if bias_pop is not None:
        for p in net.projections:
            if p.pre.name == bias_pop:  # (an excitatory and an inhibitory part: summed)
                v = const.setdefault(p.post.name, np.zeros(p.post.n))
                np.add.at(v, p.post_idx, _synapse_values(p, np.ones(p.weight.size, bool)))
    # projections: one Linear per (projection, delay value)
    routes = []  # (linear node, pre, post, delay)
    for p in net.projections:
        if p.pre.name == bias_pop:
            continue
        for d in np.unique(p.delay):
            sel = p.delay == d
            w = np.zeros((p.post.n, p.pre.n))
            np.add.at(w, (p.post_idx[sel], p.pre_idx[sel]), _synapse_values(p, sel))
            lin = _unique(nodes, f"{p.name}" if np.unique(p.delay).size == 1 else f"{p.name}@{d}")
            nodes[lin] = nir.Linear(weight=w / units[p.post.name][:, None])
            routes.append((lin, p.pre.name, p.post.name, int(d)))
    for post, v in const.items():  # the first same-step route into post carries the bias
        for lin, _, p2, d in routes:
            if p2 == post and d == 0:
                nodes[lin] = nir.Affine(weight=nodes[lin].weight, bias=v / units[post])
                break
        else:
            raise SpikemeshError(
                f"to_nir: population {post!r} gets constant drive but no same-step projection "
                "to carry it as an Affine bias"
            )
    # which edges close a cycle, found as from_nir will find them (the same walk, same names)
    back = _back_edges(
        nodes, [e for lin, pre, post, _ in routes for e in ((pre, lin), (lin, post))]
    )
    edges = []
    for lin, pre, post, d in routes:
        steps = d - (1 if (lin, post) in back else 0)
        if steps < 0:
            raise SpikemeshError(
                f"to_nir: projection {lin!r} closes a cycle with delay 0; NIR gives such an "
                "edge one step"
            )
        edges.append((pre, lin))
        if steps:
            dn = _unique(nodes, f"{lin}.delay")
            nodes[dn] = nir.Delay(delay=np.full(net.populations[post].n, steps * dt))
            edges += [(lin, dn), (dn, post)]
        else:
            edges.append((lin, post))
    # Output nodes: populations that drive no other population (self-loops aside)
    pops = [n for n in net.populations if n != bias_pop]
    sinks = [n for n in pops
             if not any(p.pre.name == n and p.post.name != n for p in net.projections)] or pops[-1:]  # fmt: skip
    for n in sinks:
        out = _unique(nodes, "output" if len(sinks) == 1 else f"output.{n}")
        nodes[out] = nir.Output(output_type=np.array(nodes[n].output_type["output"]))
        edges.append((n, out))
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt}, type_check=False)
    if path is not None:
        nir.write(path, graph)
    return graph


def _unique(nodes, name):
    while name in nodes:
        name += "_"
    return name


def _synapse_values(p, sel):
    """Accumulator units of the projection's selected synapses (weight_exp and the post
    model's input shift applied as the chip applies them)."""
    w = p.weight[sel].astype(np.int64)
    e = int(p.weight_exp)
    shift = p.post.neuron.input_shift
    v = (w << e) if e >= 0 else (w >> -e)
    return (v << shift).astype(np.float64)


def _export_neuron(name, pop, sigma, dt, readout):
    """(NIR node, the factor from a NIR input to accumulator units) of one population."""
    import nir

    spec, n = pop.neuron, pop.n
    owner = f"to_nir: population {name!r}"
    if any(np.any(np.asarray(v) != 0) for v in (pop.initial or {}).values()):
        raise SpikemeshError(f"{owner}: a non-zero initial state has no NIR equivalent")
    full = np.ones(n)
    if isinstance(spec, IF):
        if spec.spike_bits != 1 or spec.bipolar or spec.leak or np.any(spec.bias):
            raise SpikemeshError(
                f"{owner}: only binary IF cores without leak or bias export (spike_bits="
                f"{spec.spike_bits}, bipolar={spec.bipolar}, leak={spec.leak})"
            )
        if spec.floor is not None:
            raise SpikemeshError(f"{owner}: an IF membrane floor ({spec.floor}) has no NIR "
                                 "equivalent (NIR's IF is unbounded)")  # fmt: skip
        theta = (spec.vth - 1) / sigma * full  # integer v >= vth  <=>  v > vth - 1
        if spec.reset == "step":
            return nir.Threshold(threshold=theta), sigma * full
        if spec.reset == "zero":
            return nir.IF(r=full / dt, v_threshold=theta, v_reset=0 * full), sigma * full
        raise SpikemeshError(f"{owner}: IF reset {spec.reset!r} has no NIR equivalent")
    if isinstance(spec, CubaLIFSubtract):
        raise SpikemeshError(
            f"{owner}: CubaLIFSubtract (reset by subtraction) has no NIR equivalent: NIR 1.0 "
            "neurons reset to v_reset"
        )
    if not isinstance(spec, CubaLIF):
        raise SpikemeshError(f"{owner}: {spec.model} neurons have no NIR equivalent")
    if spec.refract_delay != 1:
        raise SpikemeshError(
            f"{owner}: refract_delay={spec.refract_delay} (a refractory hold) has no NIR equivalent"
        )
    a_m, a_s = spec.dv / LOIHI_DECAY_ONE, (spec.du + 1) / LOIHI_DECAY_ONE
    bias = spec.bias(n).astype(np.float64) / sigma
    theta = spec.vth * 2**LOIHI_VTH_SHIFT / sigma * full
    if a_m == 0:
        if np.any(bias):
            raise SpikemeshError(
                f"{owner}: dv=0 with a bias (an integrator with drive) has no NIR equivalent"
            )
        if a_s != 1:
            raise SpikemeshError(
                f"{owner}: dv=0 with du={spec.du} (a current into a perfect integrator) has no NIR equivalent"
            )
        r = full / dt  # NIR's dv/dt = R I: one step adds dt R I
        node = nir.I(r=r) if readout else nir.IF(r=r, v_threshold=theta, v_reset=0 * full)
        return node, sigma * full
    tau_m = dt / a_m * full
    leak = bias / a_m
    if a_s == 1:
        node = (nir.LI(tau=tau_m, r=full / a_m, v_leak=leak) if readout else
                nir.LIF(tau=tau_m, r=full / a_m, v_leak=leak, v_threshold=theta, v_reset=0 * full))  # fmt: skip
        return node, sigma * full
    tau_s = dt / a_s * full
    if readout:
        node = nir.CubaLI(tau_syn=tau_s, tau_mem=tau_m, r=full / a_m, v_leak=leak, w_in=full / a_s)
    else:
        node = nir.CubaLIF(tau_syn=tau_s, tau_mem=tau_m, r=full / a_m, v_leak=leak,
                           v_threshold=theta, v_reset=0 * full, w_in=full / a_s)  # fmt: skip
    return node, sigma * full
