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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import chips as _chips
from ..exceptions import (
    ParameterError,
    QuantizationWarning,
    SilentPopulationWarning,
    SpikemeshError,
)
from ..network import Network
from ..neurons import IF, CubaLIF

__all__ = ["NirImport", "from_nir", "to_nir"]

SPIKING = ("LIF", "CubaLIF", "IF", "Threshold")
READOUT = ("LI", "CubaLI", "I")
NEURONS = SPIKING + READOUT
LINEAR = ("Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d")
PASS = ("Identity", "Flatten", "Output", "Delay")
V_TOP = 2**21  # sigma * v_threshold stays below this: headroom in the 24-bit membrane
Q_TOP = 2**21 - 1  # one step's input inside the 22-bit dendritic accumulator
U_TOP = 2**22  # the current (input / (dt/tau_syn) at most) inside the 24-bit u register
FORGET_TOP = 4095  # |v| below this: dv = 4095 truncates it to 0 (a membrane that forgets)
I_TOP = 2**13  # an integrator read-out holds 1024 steps of full drive before it clips


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
    try:
        # our own shape inference checks the graph (with the node's name in the message);
        # nir's type checker refuses valid older files and grouped convolutions
        return nir.read(path, type_check=False)
    except Exception as err:  # h5py / nir raise many kinds; name the file and the problem
        raise SpikemeshError(
            f"from_nir: cannot read {path} as a NIR graph ({type(err).__name__}: {err})"
        ) from None


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


def _kind(node) -> str:
    return node[0] if isinstance(node, tuple) else type(node).__name__


def _arr(x) -> np.ndarray:
    try:
        a = np.asarray(x, np.float64)
    except (TypeError, ValueError):
        raise SpikemeshError(f"from_nir: a parameter is not numeric (got {x!r})") from None
    return a


def _pair(name, field_, v, nd):
    a = np.atleast_1d(np.asarray(v, np.int64)).ravel()
    if a.size == 1:
        return (int(a[0]),) * nd
    if a.size != nd:
        raise SpikemeshError(f"from_nir: node {name!r}.{field_}: needs {nd} values (got {v!r})")
    return tuple(int(x) for x in a)


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


def _out_shape(name, node, ins):
    """The node's output shape from its (forward) input shapes."""
    kind = _kind(node)
    if kind == "Input":
        return tuple(int(v) for v in np.ravel(node.input_type["input"]))
    sizes = {int(np.prod(s)) for _, s in ins}
    if len(sizes) > 1:
        detail = ", ".join(f"{s!r} gives {int(np.prod(sh))}" for s, sh in ins)
        raise SpikemeshError(f"from_nir: node {name!r} sums in-edges of different sizes ({detail})")
    shape = ins[0][1] if ins else None
    size = sizes.pop() if ins else None
    if kind in NEURONS:
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
    if kind in ("Affine", "Linear"):
        w = _arr(node.weight)
        if w.ndim != 2:
            raise SpikemeshError(f"from_nir: node {name!r}.weight: must be 2-D (got {w.shape})")
        if size is not None and size != w.shape[1]:
            raise SpikemeshError(
                f"from_nir: node {name!r} ({kind}) takes {w.shape[1]} inputs but receives {size}"
            )
        return (w.shape[0],)
    if kind == "Scale":
        s = _arr(node.scale)
        if shape is None:
            return tuple(s.shape) or (1,)
        if s.size not in (1, size):
            raise SpikemeshError(
                f"from_nir: node {name!r} (Scale) has {s.size} scales but receives {size} values"
            )
        return shape
    if kind in ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d"):
        return _conv(name, node, shape)[1]
    if kind == "Flatten":
        if shape is None:
            return None
        nd = len(shape)
        lo = node.start_dim + nd if node.start_dim < 0 else node.start_dim
        hi = node.end_dim + nd if node.end_dim < 0 else node.end_dim
        if lo >= nd or hi < lo:
            return shape
        return (*shape[:lo], int(np.prod(shape[lo : hi + 1])), *shape[hi + 1 :])
    return shape  # Identity, Output, Delay


def _conv(name, node, in_shape):
    """(sparse matrix (out, in) or None when in_shape is None, output shape, bias per output
    or None) of a convolution or pooling node on ``in_shape`` (C, *spatial)."""
    import scipy.sparse as sp

    kind = _kind(node)
    nd = 1 if kind == "Conv1d" else 2
    if kind.endswith("Pool2d"):
        k = _pair(name, "kernel_size", node.kernel_size, 2)
        stride = _pair(name, "stride", node.stride, 2)
        pad = _pair(name, "padding", node.padding, 2)
        dil, groups = (1, 1), None
        w = None
    else:
        w = _arr(node.weight)
        if w.ndim != nd + 2:
            raise SpikemeshError(
                f"from_nir: node {name!r}.weight: a {kind} weight is (C_out, C_in/groups, "
                f"{'k' if nd == 1 else 'kh, kw'}) (got shape {w.shape})"
            )
        k = tuple(w.shape[2:])
        stride = _pair(name, "stride", node.stride, nd)
        dil = _pair(name, "dilation", node.dilation, nd)
        groups = int(node.groups)
        pad = node.padding
    declared = getattr(node, "input_shape", None)
    while in_shape is not None and len(in_shape) > nd + 1 and in_shape[0] == 1:
        in_shape = tuple(in_shape[1:])  # a batch dimension of 1 some exporters keep
    if in_shape is None or len(in_shape) != nd + 1:
        if declared is None and in_shape is None:
            return None, None, None
        c_in = (w.shape[1] * groups) if w is not None else None
        spatial = (
            tuple(np.atleast_1d(np.asarray(declared, np.int64)).tolist())
            if declared is not None
            else None
        )
        if spatial is None or c_in is None:
            raise SpikemeshError(
                f"from_nir: node {name!r} ({kind}) needs its input as (channels, "
                f"{'length' if nd == 1 else 'height, width'}); it receives shape {in_shape}"
            )
        shape = (c_in, *spatial)
        if in_shape is not None and int(np.prod(in_shape)) != int(np.prod(shape)):
            raise SpikemeshError(
                f"from_nir: node {name!r} ({kind}) expects input {shape} but receives {in_shape}"
            )
        in_shape = shape
    c, spatial = in_shape[0], tuple(in_shape[1:])
    if w is None:  # pooling: one kernel of ones per channel
        w = np.ones((c, 1, *k)) / (np.prod(k) if kind == "AvgPool2d" else 1.0)
        groups = c
    if c % groups or w.shape[0] % groups or w.shape[1] * groups != c:
        raise SpikemeshError(
            f"from_nir: node {name!r} ({kind}): weight {w.shape} with groups={groups} does not "
            f"take {c} input channels"
        )
    if isinstance(pad, str):
        if pad == "valid":
            lo = hi = (0,) * nd
        elif pad == "same":
            tot = [d * (kk - 1) for d, kk in zip(dil, k, strict=True)]
            lo = tuple(t // 2 for t in tot)
            hi = tuple(t - t // 2 for t in tot)
        else:
            raise SpikemeshError(
                f"from_nir: node {name!r}.padding: {pad!r} is not 'same' or 'valid'"
            )
    else:
        lo = hi = _pair(name, "padding", pad, nd)
    out_sp = tuple((s + a + b - d * (kk - 1) - 1) // st + 1
                   for s, a, b, d, kk, st in zip(spatial, lo, hi, dil, k, stride, strict=True))  # fmt: skip
    if min(out_sp) < 1:
        raise SpikemeshError(
            f"from_nir: node {name!r} ({kind}): kernel {k} does not fit input {spatial}"
        )
    co, cig = w.shape[0], w.shape[1]
    grids = np.meshgrid(np.arange(co), *[np.arange(o) for o in out_sp], np.arange(cig),
                        *[np.arange(kk) for kk in k], indexing="ij")  # fmt: skip
    oc, opos, ic, kpos = grids[0], grids[1 : 1 + nd], grids[1 + nd], grids[2 + nd :]
    ipos = [
        o * st - a + kk * d for o, st, a, kk, d in zip(opos, stride, lo, kpos, dil, strict=True)
    ]
    ok = np.ones(oc.shape, bool)
    for p, s in zip(ipos, spatial, strict=True):
        ok &= (p >= 0) & (p < s)
    cin = (oc // (co // groups)) * cig + ic
    vals = w[(oc, ic, *kpos)]
    ok &= vals != 0
    row = np.ravel_multi_index((oc[ok], *[o[ok] for o in opos]), (co, *out_sp))
    col = np.ravel_multi_index((cin[ok], *[p[ok] for p in ipos]), (c, *spatial))
    n_out, n_in = co * int(np.prod(out_sp)), c * int(np.prod(spatial))
    m = sp.csr_matrix((vals[ok], (row, col)), shape=(n_out, n_in))
    bias = None
    b = getattr(node, "bias", None)
    if b is not None and np.any(_arr(b)):
        bias = np.repeat(_arr(b).ravel(), int(np.prod(out_sp)))
    return m, (co, *out_sp), bias


def _op(name, node, in_shape, dt):
    """(matrix (out, in), bias (out,) or None, delay steps) of a linear or pass node."""
    import scipy.sparse as sp

    kind = _kind(node)
    n_in = int(np.prod(in_shape))
    if kind in ("Affine", "Linear"):
        w = _arr(node.weight)
        b = _arr(node.bias).ravel() if kind == "Affine" else None
        if b is not None and b.size not in (1, w.shape[0]):
            raise SpikemeshError(
                f"from_nir: node {name!r}.bias: {b.size} values for {w.shape[0]} outputs"
            )
        return (
            sp.csr_matrix(w),
            (np.broadcast_to(b, (w.shape[0],)) if b is not None and np.any(b) else None),
            0,
        )
    if kind == "Scale":
        return sp.diags(np.broadcast_to(_arr(node.scale).ravel(), (n_in,))).tocsr(), None, 0
    if kind in ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d"):
        m, _, bias = _conv(name, node, in_shape)
        return m, bias, 0
    if kind == "Delay":
        steps = np.unique(_arr(node.delay) / dt)
        if (
            steps.size != 1
            or abs(steps[0] - round(steps[0])) > 1e-9 * max(1, steps[0])
            or steps[0] < 0
        ):
            raise SpikemeshError(
                f"from_nir: node {name!r}: Delay must be one whole number of steps of dt={dt} "
                f"for all elements (got delay/dt = {np.unique(_arr(node.delay) / dt)[:4]})"
            )
        return sp.identity(n_in, format="csr"), None, round(float(steps[0]))
    return sp.identity(n_in, format="csr"), None, 0  # Identity, Flatten, Output


# ------------------------------------------------------------------ the import
def from_nir(src, chip=None, dt: float | None = None) -> Network:
    """A :class:`Network` of the NIR graph ``src`` (a ``nir.NIRGraph`` or an HDF5 path).

    ``dt`` is the graph's step in the units of its time constants (default: the graph's
    ``metadata["dt"]``, else 1; snnTorch's exporter assumes 1e-4, Norse 1e-3: a ``dt/tau`` above 1
    is refused with that hint). ``chip`` (a profile or name) picks the cores: its neuron models
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
        if kind not in NEURONS + LINEAR + PASS + ("Input",):
            raise SpikemeshError(f"from_nir: node {name!r} has unsupported type {kind}")
    for s, d in edges:
        for end in (s, d):
            if end not in nodes:
                raise SpikemeshError(f"from_nir: edge ({s!r}, {d!r}) names no node {end!r}")
        if _kind(nodes[d]) == "Input":
            raise SpikemeshError(f"from_nir: edge ({s!r}, {d!r}) enters Input node {d!r}")
        if _kind(nodes[s]) in READOUT and _kind(nodes[d]) != "Output":
            raise SpikemeshError(
                f"from_nir: node {s!r} ({_kind(nodes[s])}) drives {d!r}: its output is a real "
                "value (the membrane), which these chips cannot send on as spikes; only a "
                "read-out (an edge to an Output node) is built"
            )
    back = _back_edges(nodes, edges)
    shapes = _infer_shapes(nodes, edges, back)
    into: dict = {n: [] for n in nodes}
    for s, d in edges:
        into[d].append(s)
    imp = NirImport(dt=dt, dt_source=dt_source)
    net = Network(getattr(graph, "name", None) or "nir")
    sources = {}
    for name, node in nodes.items():
        if _kind(node) == "Input":
            sources[name] = net.input(int(np.prod(shapes[name])), name=name)
            imp.inputs[name] = shapes[name]
    specs = {}
    for name, node in nodes.items():
        if _kind(node) in NEURONS:
            specs[name] = _neuron(name, node, dt, int(np.prod(shapes[name])), given_dt)
            specs[name]["shape"] = shapes[name]
    paths = {name: _paths(name, nodes, into, back, shapes, dt) for name in specs}
    for name, node in nodes.items():  # Output nodes behind linear nodes: read out on the host
        if _kind(node) == "Output" and any(_kind(nodes[s]) in LINEAR + PASS for s in into[name]):
            p = _paths(name, nodes, into, back, shapes, dt)
            routes = {k: m for k, m in p["routes"].items() if k[0] in specs}
            imp.host[name] = (routes, p["bias"], shapes[name])
    const_pop = None
    for name, sp_ in specs.items():
        _build(net, name, sp_, paths[name], graded)
        imp.populations[name] = name
        imp.sigma[name] = sp_["sigma"]
        imp.shapes[name] = sp_["shape"]
    for name, sp_ in specs.items():
        for (src_name, delay), m in paths[name]["routes"].items():
            pre = sources.get(src_name) or specs[src_name]["pop"]
            w = (m.multiply(sp_["sigma"] * sp_["gain"][:, None])).T.tocsr()  # (pre, post)
            mant, wexp, err = _weights(w, sp_["shift"])
            sp_["errs"].append(err)
            if w.nnz and not mant.nnz:
                warnings.warn(
                    f"from_nir: every weight from {src_name!r} into {name!r} rounds to 0: they are "
                    f"below one accumulator step at the node's scale (sigma = {sp_['sigma']:g}, "
                    "set by its threshold); the projection does nothing",
                    QuantizationWarning,
                    stacklevel=2,
                )
            net.connect(pre, sp_["pop"], weights=mant, weight_exp=wexp, delay=delay,
                        name=f"{src_name}->{name}")  # fmt: skip
        drive = sp_["const_q"]
        if np.any(drive):
            if const_pop is None:
                bname = "nir.bias"
                while bname in nodes:
                    bname += "_"
                const_pop = net.population(1, CubaLIF(du=4095, dv=0, vth=0, bias_mant=1),
                                           name=bname)  # fmt: skip
                imp.bias = bname
            mant, wexp, err = _weights(_as_sparse(drive[None, :]), sp_["shift"])
            sp_["errs"].append(err)
            net.connect(const_pop, sp_["pop"], weights=mant, weight_exp=wexp, delay=0,
                        name=f"bias->{name}")  # fmt: skip
        imp.errors[name] = float(max(sp_["errs"]))
        if sp_["readout"]:
            net.probe(sp_["pop"], "v")
    imp.readouts = tuple(n for n, s in specs.items() if s["readout"])
    net.nir = imp
    return net


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
        if kind not in NEURONS:
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


def _infer_shapes(nodes, edges, back) -> dict:
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
            n, nodes[n], [(s, shapes[s]) for s in fwd[n] if shapes[s] is not None]
        )
        for d in succ[n]:
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    for n in nodes:
        if _kind(nodes[n]) in (*NEURONS, "Input") and shapes.get(n) is None:
            raise SpikemeshError(f"from_nir: cannot tell the size of node {n!r}")
    return shapes


def _neuron(name, node, dt, n, given_dt):
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
            hint = ("" if given_dt else " The graph carries no dt: pass from_nir(..., dt=) with "
                    "the step it was trained at (snnTorch's exporter assumes dt=1e-4, Norse 1e-3).")  # fmt: skip
            raise ParameterError(
                f"from_nir: node {name!r} ({kind}): {label} = {bad:g} at dt={dt:g}; forward Euler "
                f"needs 0 < dt/tau <= 1.{hint}"
            )
    r, w_in, leak = p.get("r", one), p.get("w_in", one), p.get("v_leak", zero)
    if kind in ("IF", "I"):
        a_m_eff, gain, forget = None, r, False
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
    dv_f = 4096.0 * am
    du_f = 4096.0 * float(a_s[0]) - 1
    dvi, dui = int(np.clip(np.rint(dv_f), 0, 4095)), int(np.clip(np.rint(du_f), 0, 4095))
    decay_err = 0.0 if forget else max(abs(dvi - dv_f), abs(dui - du_f)) / 4096
    # constant drive per step into u (LIF/LI: v_leak through u; CubaLIF/CubaLI: the v register)
    in_u = kind in ("LIF", "LI")
    return {"kind": kind, "n": n, "theta": theta, "dv": dvi, "du": dui, "decay_err": decay_err,
            "gain": np.ascontiguousarray(gain), "a_s": float(a_s[0]), "a_m": am,
            "leak_u": a_m * leak if in_u else zero, "leak_v": a_m * leak if kind in ("CubaLIF", "CubaLI") else zero,
            "forget": forget, "readout": kind in READOUT}  # fmt: skip


def _paths(name, nodes, into, back, shapes, dt):
    """Every route into neuron node ``name`` back to a source (Input or spiking node), summed
    per (source, delay): {"routes": {(source, delay): matrix (n_post, n_src)}, "bias": (n,)},
    the bias being the linear nodes' constant terms as seen at the neuron's input."""
    import scipy.sparse as sp

    routes: dict = {}
    n = int(np.prod(shapes[name]))
    bias = np.zeros(n)

    def walk(node, mat, delay, trail=()):
        nonlocal bias
        for s in into[node]:
            d = delay + (1 if (s, node) in back else 0)
            kind = _kind(nodes[s])
            if kind in NEURONS or kind == "Input":
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


def _in_shape_of(node, into, back, shapes):
    fwd = [s for s in into[node] if (s, node) not in back and shapes.get(s) is not None]
    srcs = fwd or [s for s in into[node] if shapes.get(s) is not None]
    if not srcs:
        raise SpikemeshError(f"from_nir: node {node!r} has no input")
    return shapes[srcs[0]]


def _build(net, name, sp_, paths, graded):
    """Choose ``sigma`` and the neuron spec; add the population."""
    n, kind = sp_["n"], sp_["kind"]
    drive = sum((np.asarray(abs(m).sum(axis=1)).ravel() for m in paths["routes"].values()),
                np.zeros(n))  # fmt: skip
    const_in = sp_["gain"] * paths["bias"] + sp_["leak_u"]  # per step, NIR units, into u
    q = sp_["gain"] * drive + np.abs(const_in)
    # a membrane that forgets each step, no current: an IF core with reset="step" is exact
    use_if = sp_["forget"] and graded and kind in ("Threshold", "LIF")
    bounds = [
        Q_TOP / max(q.max(initial=0), 1e-300),
        U_TOP * sp_["a_s"] / max(q.max(initial=0), 1e-300),
    ]
    if sp_["theta"] is not None:
        bounds.append(V_TOP / max(float(sp_["theta"].max()), 1e-300))
    if sp_["forget"] and not use_if:
        bounds.append(FORGET_TOP / max((q + np.abs(sp_["leak_v"])).max(initial=0), 1e-300))
    if kind == "I":
        bounds.append(I_TOP / max(q.max(initial=0), 1e-300))
    if sp_["readout"] and kind != "I":
        bounds.append(U_TOP * sp_["a_s"] * sp_["a_m"] / max(q.max(initial=0), 1e-300))
    # the largest synapse (and the bias line) inside a weight register: 8-bit mantissa << 7
    wmax = max([float((abs(m).max(axis=1).toarray().ravel() * sp_["gain"]).max(initial=0))
                for m in paths["routes"].values()] + [float(np.abs(const_in).max(initial=0))])  # fmt: skip
    bounds.append(254 * 2.0 ** (7 + (0 if use_if else 6)) / max(wmax, 1e-300))
    top = min(bounds)
    sigma = 2.0 ** math.floor(math.log2(top)) if math.isfinite(top) and top > 0 else 1.0
    sigma = min(sigma, 2.0**40)  # no drive, no threshold: any scale will do
    errs = [sp_["decay_err"]]
    if use_if:
        x = sigma * sp_["theta"]
        vth = np.floor(x) + 1  # integer input v > x  <=>  v >= floor(x) + 1
        if np.ptp(vth):
            raise SpikemeshError(
                f"from_nir: node {name!r}: thresholds differ between neurons (not built)"
            )
        spec = IF(vth=int(vth[0]), reset="step", v_bits=24)
        shift = 0
    else:
        shift = 6
        bias_f = sigma * sp_["leak_v"]
        mant, bexp = _bias_parts(bias_f)
        errs.append(_rel_err(bias_f, mant * 2.0**bexp))
        if sp_["theta"] is None:  # read-out: never fires (v clips at the threshold)
            vth, vmax = 131071, 131071 * 64
        else:
            vth_f = sigma * sp_["theta"] / 64
            vth_a = np.rint(vth_f)
            if np.ptp(vth_a):
                raise SpikemeshError(
                    f"from_nir: node {name!r}: v_threshold differs between neurons; a population "
                    "shares one threshold register (not built)"
                )
            errs.append(_rel_err(vth_f, vth_a))
            vth, vmax = int(vth_a[0]), None
        dv = 4095 if sp_["forget"] else sp_["dv"]
        spec = CubaLIF(du=sp_["du"], dv=dv, vth=vth, bias_mant=mant, bias_exp=bexp, vmax=vmax)
    with warnings.catch_warnings():  # a read-out never fires on purpose
        warnings.simplefilter("ignore", SilentPopulationWarning)
        sp_["pop"] = net.population(n, spec, name=name)
    sp_["sigma"], sp_["shift"], sp_["errs"] = sigma, shift, errs
    sp_["const_q"] = sigma * const_in


def _rel_err(exact, got) -> float:
    exact, got = np.asarray(exact, np.float64), np.asarray(got, np.float64)
    scale = max(float(np.abs(exact).max(initial=0)), 1e-300)
    return float(np.abs(exact - got).max(initial=0)) / scale


def _bias_parts(b: np.ndarray):
    """(mantissa, exponent) per neuron with mantissa * 2**exponent nearest b (13-bit, 0..7)."""
    e = np.zeros(b.shape, np.int64)
    big = np.abs(b) > 4095
    e[big] = np.clip(np.ceil(np.log2(np.abs(b[big]) / 4095)), 0, 7)
    m = np.clip(np.rint(b / 2.0**e), -4096, 4095).astype(np.int64)
    return m, e


def _weights(w, shift: int):
    """Integer mantissas (a sparse matrix), the weight exponent and the relative rounding error
    of ``w`` (sparse, in accumulator units; the chip adds ``mantissa << exp << shift``)."""
    w = w.tocsr().astype(np.float64) / 2.0**shift
    data = w.data
    top = float(np.abs(data).max(initial=0))
    mixed = bool((data > 0).any() and (data < 0).any())
    lim = 254 if mixed else 255
    # a negative exponent floors every mantissa before the << shift (REFERENCE.md §1: Wq >>
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
            if p.pre.name == bias_pop:
                v = np.zeros(p.post.n)
                np.add.at(v, p.post_idx, _synapse_values(p, np.ones(p.weight.size, bool)))
                const[p.post.name] = v
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
        theta = (spec.vth - 1) / sigma * full  # integer v >= vth  <=>  v > vth - 1
        if spec.reset == "step":
            return nir.Threshold(threshold=theta), sigma * full
        if spec.reset == "zero":
            return nir.IF(r=full, v_threshold=theta, v_reset=0 * full), sigma * full
        raise SpikemeshError(f"{owner}: IF reset {spec.reset!r} has no NIR equivalent")
    if not isinstance(spec, CubaLIF):
        raise SpikemeshError(f"{owner}: {spec.model} neurons have no NIR equivalent")
    if spec.refract_delay != 1:
        raise SpikemeshError(
            f"{owner}: refract_delay={spec.refract_delay} (a refractory hold) has no NIR equivalent"
        )
    a_m, a_s = spec.dv / 4096, (spec.du + 1) / 4096
    bias = spec.bias(n).astype(np.float64) / sigma
    theta = spec.vth * 64 / sigma * full
    if a_m == 0:
        if np.any(bias):
            raise SpikemeshError(
                f"{owner}: dv=0 with a bias (an integrator with drive) has no NIR equivalent"
            )
        if a_s != 1:
            raise SpikemeshError(
                f"{owner}: dv=0 with du={spec.du} (a current into a perfect integrator) has no NIR equivalent"
            )
        node = nir.I(r=full) if readout else nir.IF(r=full, v_threshold=theta, v_reset=0 * full)
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
