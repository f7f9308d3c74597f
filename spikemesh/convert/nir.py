"""Import NIR graphs (Neuromorphic Intermediate Representation, PyPI ``nir`` 1.0) as networks.

**Semantics reproduced** (per step ``t`` at the graph's ``dt``; forward Euler):

- an edge passes its source's value *within* the step; an edge that closes a cycle (a back
  edge of a depth-first walk from the Input nodes) passes the previous step's value; several
  in-edges are summed; ``Delay`` adds its steps;
- ``Affine`` ``W x + b``, ``Linear`` ``W x``, ``Scale`` ``s * x`` (weights shaped
  (out, in)); ``Flatten`` and ``Identity`` pass values on;
- ``IF``: ``v += r I``; ``LIF``: ``v += dt/tau (v_leak - v + r I)``; ``CubaLIF``:
  ``I += dt/tau_syn (w_in x - I)`` then ``v += dt/tau_mem (v_leak - v + r I)`` with the new
  ``I``; a neuron spikes when ``v > v_threshold`` and is reset to ``v_reset`` in that step.

**On the chip** (Loihi-like CUBA compartments) each neuron node becomes a population named after
the node (nested graphs joined with ``.``), each Input node an input. A chain of linear nodes
between two neuron/Input nodes becomes one projection (its matrices multiplied) of delay 0
("same step") or 1 (a back edge) plus any Delay steps; the mapper lags every population one
step per same-step hop and reports it in ``Mapping.latency``: the population's spike train is
the NIR node's, shifted by that lag. Scaling (per population, a power of two ``sigma``)::

    dv = 4096 dt/tau_mem        du + 1 = 4096 dt/tau_syn  (LIF and IF: du = 4095, no current)
    weight  = sigma * (dt/tau_mem) * r * (dt/tau_syn) * w_in * W   (LIF: sigma dt/tau r W; IF: sigma r W)
    bias    = sigma * (dt/tau_mem) * v_leak  (+ the Affine bias, into v, for LIF and IF)
    vth << 6 = sigma * v_threshold

exact when every value is a dyadic rational that fits the registers (e.g. weights ``k/2**m``,
``dt/tau = 0.125``); otherwise rounded, with the largest relative error per node in
:attr:`NirImport.errors`. Loihi's decay truncates ``|v| * (4096 - dv) / 4096`` toward zero each
step: a leaky node matches NIR's floats to within one unit of ``1/sigma`` per step (IF and
current-free LIF have no decay to truncate). What is not built raises with the node's name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import chips as _chips
from ..exceptions import ParameterError, SpikemeshError
from ..network import Network
from ..neurons import CubaLIF

__all__ = ["NirImport", "from_nir"]

NEURONS = ("LIF", "CubaLIF", "IF")
LINEAR = ("Affine", "Linear", "Scale")
PASS = ("Identity", "Flatten", "Output")
NOT_BUILT = ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Threshold", "LI", "I", "CubaLI")
V_TOP = 2**21  # sigma * v_threshold stays below this: headroom in the 24-bit membrane


@dataclass
class NirImport:
    """What :func:`from_nir` did: per neuron node its population, ``sigma``, the largest
    relative rounding error of its parameters (``errors``, 0.0 = exact) and the node's
    parameters as the chip stores them."""

    populations: dict = field(default_factory=dict)  # node -> population name
    inputs: dict = field(default_factory=dict)  # Input node -> (input name, shape)
    sigma: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    dt: float = 1.0


def _load(src):
    try:
        import nir
    except ImportError:
        raise SpikemeshError(
            "from_nir needs the nir package: pip install 'spikemesh[nir]'"
        ) from None
    if isinstance(src, nir.NIRGraph):
        return src
    path = Path(src)
    if path.is_dir() or not path.exists():
        raise ParameterError(f"from_nir: {path} is not a NIR file (HDF5)")
    try:
        return nir.read(path)
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


def _arr(x, shape=None) -> np.ndarray:
    a = np.asarray(x, np.float64)
    return a if shape is None else np.broadcast_to(a, shape).astype(np.float64)


def _back_edges(nodes, edges) -> set:
    """Edges that close a cycle: back edges of a depth-first walk from the Input nodes."""
    out: dict = {n: [] for n in nodes}
    for s, d in edges:
        out[s].append(d)
    state, back = {}, set()
    for root in [n for n in nodes if _kind(nodes[n]) == "Input"] + list(nodes):
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


def _pow2_scale(values, top: float) -> float:
    """The largest power of two ``sigma`` with ``sigma * max|values| <= top``."""
    m = max((float(np.abs(v).max()) for v in values if np.size(v)), default=0.0)
    return 2.0 ** math.floor(math.log2(top / m)) if m > 0 else 1.0


def _rel_err(exact, got) -> float:
    exact, got = np.asarray(exact, np.float64), np.asarray(got, np.float64)
    scale = max(float(np.abs(exact).max(initial=0)), 1e-300)
    return float(np.abs(exact - got).max(initial=0)) / scale


def from_nir(src, chip=None, dt: float | None = None) -> Network:
    """A :class:`Network` of the NIR graph ``src`` (a ``nir.NIRGraph`` or an HDF5 path);
    ``dt`` the graph's step (default: its metadata's ``dt``, else 1). ``chip``, when given, must
    run CubaLIF (Loihi-like cores: the only target of this version). The returned
    network carries ``net.nir``, a :class:`NirImport` (populations, scales, rounding errors)."""
    if chip is not None and not _chips.get(chip).supports("CubaLIF"):
        c = _chips.get(chip)
        raise SpikemeshError(
            f"from_nir: this version builds CubaLIF populations; {c.name} runs "
            f"{', '.join(c.core.neuron_models)}"
        )
    graph = _load(src)
    if dt is None:
        meta = getattr(graph, "metadata", None)
        dt = float(meta.get("dt", 1.0)) if isinstance(meta, dict) else 1.0
    if not dt > 0:
        raise ParameterError(f"from_nir.dt: must be > 0 (got {dt!r})")
    nodes, edges = _flatten(graph)
    for name, node in nodes.items():
        kind = _kind(node)
        if kind in NOT_BUILT:
            raise SpikemeshError(f"from_nir: node {name!r} is a {kind}: not supported yet")
        if kind not in NEURONS + LINEAR + PASS + ("Input", "Delay"):
            raise SpikemeshError(f"from_nir: node {name!r} has unknown type {kind}")
    for s, d in edges:
        for end in (s, d):
            if end not in nodes:
                raise SpikemeshError(f"from_nir: edge ({s!r}, {d!r}) names no node {end!r}")
    back = _back_edges(nodes, edges)
    into: dict = {n: [] for n in nodes}
    for s, d in edges:
        into[d].append(s)
    imp = NirImport(dt=dt)
    net = Network(getattr(graph, "name", None) or "nir")
    sources = {}
    for name, node in nodes.items():
        if _kind(node) == "Input":
            shape = tuple(int(v) for v in np.ravel(node.input_type["input"]))
            sources[name] = net.input(int(np.prod(shape)), name=name)
            imp.inputs[name] = (name, shape)
    specs = {
        name: _neuron(name, nodes[name], dt) for name in nodes if _kind(nodes[name]) in NEURONS
    }
    paths = {name: _paths(name, nodes, into, back) for name in specs}
    # per population: sigma from its threshold, then the chip parameters
    for name, sp in specs.items():
        n = sp["n"]
        # sigma: threshold below 2**21, the step's input inside the 22-bit accumulator, the
        # current (which sums 1/a_s steps of input at most) inside the 24-bit u register
        drive = sum((np.abs(m).sum(axis=1) for _, m, _, _ in paths[name]), np.zeros(n))
        q = sp["gain"] * drive
        sigma = min(_pow2_scale([sp["theta"]], V_TOP), _pow2_scale([q], 2.0**21 - 1),
                    _pow2_scale([q / sp["a_s"]], 2.0**22))  # fmt: skip
        vth = np.rint(sigma * sp["theta"] / 64)
        if sp["kind"] == "CubaLIF" and any(np.any(b) for _, _, b, _ in paths[name]):
            raise SpikemeshError(
                f"from_nir: node {name!r}: an Affine bias into a CubaLIF's current has no Loihi "
                "register (its bias acts on v): not built"
            )
        bias_f = sigma * (
            sp["bias"] + sp["affine_gain"] * sum((b for _, _, b, _ in paths[name]), np.zeros(n))
        )
        mant, bexp = _bias_parts(bias_f)
        spec = CubaLIF(du=sp["du"], dv=sp["dv"], vth=int(vth.max()), bias_mant=mant, bias_exp=bexp)
        errs = [_rel_err(sigma * sp["theta"], vth * 64), _rel_err(bias_f, mant * 2.0**bexp),
                sp["decay_err"]]  # fmt: skip
        if np.any(vth != vth.max()):
            raise SpikemeshError(
                f"from_nir: node {name!r}: v_threshold differs between neurons (not built)"
            )
        pop = net.population(n, spec, name=name)
        imp.populations[name] = name
        imp.sigma[name] = sigma
        sp["pop"], sp["sigma"], sp["errs"] = pop, sigma, errs
    for name, sp in specs.items():
        for src_name, m, _, delay in paths[name]:
            pre = sources.get(src_name) or specs[src_name]["pop"]
            w = sp["sigma"] * sp["gain"] * m.T  # (pre, post)
            mant, wexp, err = _weights(w)
            sp["errs"].append(err)
            net.connect(pre, sp["pop"], weights=mant, weight_exp=wexp, delay=delay,
                        name=f"{src_name}->{name}")  # fmt: skip
        imp.errors[name] = max(sp["errs"])
    net.nir = imp
    return net


def _neuron(name, node, dt):
    """Per-neuron arrays and chip decays of a neuron node."""
    kind = _kind(node)
    theta = _arr(node.v_threshold)
    n = theta.size
    shape = theta.shape
    reset = (
        _arr(node.v_reset, shape) if getattr(node, "v_reset", None) is not None else np.zeros(shape)
    )
    if np.any(reset != 0):
        raise SpikemeshError(
            f"from_nir: node {name!r}: v_reset != 0; Loihi resets v to 0 (not built)"
        )
    r = _arr(node.r, shape).ravel()
    if kind == "IF":
        a_m, a_s, leak, w_in = 1.0, 1.0, np.zeros(n), np.ones(n)
        dv, du = 0.0, 4095.0
    elif kind == "LIF":
        a_m = dt / _arr(node.tau, shape).ravel()
        a_s, leak, w_in = 1.0, _arr(node.v_leak, shape).ravel(), np.ones(n)
        dv, du = 4096 * a_m, 4095.0
    else:
        a_m = dt / _arr(node.tau_mem, shape).ravel()
        a_s = dt / _arr(node.tau_syn, shape).ravel()
        leak, w_in = _arr(node.v_leak, shape).ravel(), _arr(node.w_in, shape).ravel()
        dv, du = 4096 * a_m, 4096 * a_s - 1
    dv, du = np.broadcast_to(dv, (n,)), np.broadcast_to(du, (n,))
    if np.ptp(dv) or np.ptp(du):
        raise SpikemeshError(
            f"from_nir: node {name!r}: time constants differ between neurons (not built)"
        )
    dvi, dui = int(np.clip(np.rint(dv[0]), 0, 4095)), int(np.clip(np.rint(du[0]), 0, 4095))
    decay_err = max(abs(dvi - dv[0]) / 4096, abs(dui - du[0]) / 4096)
    gain = np.broadcast_to(a_m * r * a_s * w_in, (n,))
    return {"n": n, "theta": theta.ravel(), "dv": dvi, "du": dui, "decay_err": decay_err,
            "gain": gain, "bias": np.broadcast_to(a_m * leak, (n,)),
            "affine_gain": np.broadcast_to(a_m * r if kind != "CubaLIF" else 0 * r, (n,)),
            "a_s": float(np.min(a_s)),
            "kind": kind}  # fmt: skip


def _paths(name, nodes, into, back):
    """Every route into neuron node ``name`` back to a source (Input or neuron node):
    (source, matrix (n_post, n_src), bias (n_post), delay)."""
    out = []

    def walk(node, mat, bias, delay, trail=()):
        for s in into[node]:
            d = delay + (1 if (s, node) in back else 0)
            kind = _kind(nodes[s])
            if kind in NEURONS or kind == "Input":
                out.append((s, mat, bias, d))
                continue
            if s in trail:
                raise SpikemeshError(
                    f"from_nir: node {s!r} is on a cycle that passes no neuron node: not supported"
                )
            here = (*trail, s)
            nd = nodes[s]
            if kind == "Affine" or kind == "Linear":
                w = _arr(nd.weight)
                b = _arr(nd.bias) if kind == "Affine" else np.zeros(w.shape[0])
                walk(s, mat @ w, bias + mat @ b, d, here)
            elif kind == "Scale":
                walk(s, mat * _arr(nd.scale).ravel()[None, :], bias, d, here)
            elif kind == "Delay":
                dl = np.unique(_arr(nd.delay))
                if dl.size != 1 or dl[0] != int(dl[0]):
                    raise SpikemeshError(
                        f"from_nir: node {s!r}: Delay must be one whole number of steps"
                    )
                walk(s, mat, bias, d + int(dl[0]), here)
            else:  # Identity, Flatten, nested Input/Output
                walk(s, mat, bias, d, here)

    n = nodes[name].v_threshold.size
    walk(name, np.eye(n), np.zeros(n), 0)
    return out


def _bias_parts(b: np.ndarray):
    """(mantissa, exponent) per neuron with mantissa * 2**exponent nearest b (13-bit, 0..7)."""
    e = np.zeros(b.shape, np.int64)
    big = np.abs(b) > 4095
    e[big] = np.clip(np.ceil(np.log2(np.abs(b[big]) / 4095)), 0, 7)
    m = np.clip(np.rint(b / 2.0**e), -4096, 4095).astype(np.int64)
    return m, e


def _weights(w: np.ndarray):
    """Integer mantissas, weight exponent and the relative rounding error of ``w`` (already
    in units of ``<< 6``-shifted accumulator steps)."""
    w = w / 64.0  # the accumulator adds mantissa << (6 + weight_exp)
    top = float(np.abs(w).max(initial=0))
    mixed = (w > 0).any() and (w < 0).any()
    lim = 254 if mixed else 255
    exp = int(np.clip(math.ceil(math.log2(top / lim)) if top > 0 else 0, -8, 7))
    # the mixed-sign format drops the lowest bit: round to even mantissas
    m = 2 * np.rint(w / 2.0 ** (exp + 1)) if mixed else np.rint(w / 2.0**exp)
    m = np.clip(m, -256, 255).astype(np.int64)
    return m, exp, _rel_err(w, m * 2.0**exp)
