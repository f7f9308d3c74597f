"""NIR node rules: what each NIR node type is to the import, registered per type.

:func:`spikemesh.convert.from_nir` dispatches over :data:`NODES` (node type name -> a frozen
:class:`NodeRule`) and names no linear or pass node type itself. A rule gives the node's
``role`` and, for linear and pass nodes, its output ``shape``, its ``op`` (the node as a matrix
on its flattened input, a bias and a delay in steps) and, for the layers NeuroBench counts, its
``layer`` (fan-out per input and dense synapse count). Neuron nodes (roles ``"spiking"``,
``"readout"``) are registered by role; their parameters are read by :mod:`.nir`.

A new node type is one :func:`register` call (docs/extending.md), e.g.::

    register("Gain", NodeRule("linear", shape=same_shape,
                              op=lambda name, node, in_shape, dt: (
                                  scipy.sparse.identity(size(in_shape)) * node.gain, None, 0)))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError, SpikemeshError

__all__ = ["NODES", "ROLES", "NodeRule", "kind_of", "kinds", "register", "role_of"]

ROLES = ("input", "spiking", "readout", "linear", "pass")
"""``input``: an external input; ``spiking``: a neuron node whose spikes travel; ``readout``:
a neuron node read on the host (its membrane); ``linear``: a weighted node folded into the
synapses of the neurons behind it; ``pass``: a node that only reshapes, delays or names."""


@dataclass(frozen=True)
class NodeRule:
    """What one NIR node type is to the import (module docstring).

    ``shape(name, node, in_shape) -> output shape`` (``in_shape`` None while unknown);
    ``op(name, node, in_shape, dt) -> (sparse matrix (out, in), bias (out,) or None, delay
    steps)``; ``layer(name, node, in_shape) -> (fan-out per input, dense synapses)`` for the
    nodes NeuroBench counts as synaptic layers."""

    role: str
    shape: Callable | None = None
    op: Callable | None = None
    layer: Callable | None = None


NODES: dict[str, NodeRule] = {}


def register(kind: str, rule: NodeRule) -> None:
    """Make ``rule`` the rule of NIR node type ``kind`` (its class name)."""
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ParameterError(f"nir_nodes.register.kind: must be a class name (got {kind!r})")
    if not isinstance(rule, NodeRule) or rule.role not in ROLES:
        raise ParameterError(
            f"nir_nodes.register({kind!r}): need a NodeRule with role in {', '.join(ROLES)}"
        )
    if rule.role in ("linear", "pass") and (rule.shape is None or rule.op is None):
        raise ParameterError(f"nir_nodes.register({kind!r}): a {rule.role} node needs shape and op")
    if kind in NODES and NODES[kind] is not rule:
        raise ParameterError(f"nir_nodes.register: node type {kind!r} already has a rule "
                             "(NODES.pop it first to replace it)")  # fmt: skip
    NODES[kind] = rule


def kind_of(node) -> str:
    """The node's type name (a flattened sub-graph's Input/Output are ("Identity", node))."""
    return node[0] if isinstance(node, tuple) else type(node).__name__


def role_of(node) -> str | None:
    """The role of ``node`` (a node or a type name), or None for an unregistered type."""
    rule = NODES.get(node if isinstance(node, str) else kind_of(node))
    return None if rule is None else rule.role


def kinds(*roles: str) -> tuple[str, ...]:
    """The registered node types of these roles."""
    return tuple(k for k, r in NODES.items() if r.role in roles)


def size(shape) -> int:
    return int(np.prod(shape))


def arr(x) -> np.ndarray:
    try:
        a = np.asarray(x, np.float64)
    except (TypeError, ValueError):
        raise SpikemeshError(f"from_nir: a parameter is not numeric (got {x!r})") from None
    return a


def pair(name, field_, v, nd):
    a = np.atleast_1d(np.asarray(v, np.int64)).ravel()
    if a.size == 1:
        return (int(a[0]),) * nd
    if a.size != nd:
        raise SpikemeshError(f"from_nir: node {name!r}.{field_}: needs {nd} values (got {v!r})")
    return tuple(int(x) for x in a)


def conv_matrix(name, node, in_shape):
    """(sparse matrix (out, in) or None when in_shape is None, output shape, bias per output
    or None) of a convolution or pooling node on ``in_shape`` (C, *spatial)."""
    import scipy.sparse as sp

    kind = kind_of(node)
    nd = 1 if kind == "Conv1d" else 2
    if kind.endswith("Pool2d"):
        k = pair(name, "kernel_size", node.kernel_size, 2)
        stride = pair(name, "stride", node.stride, 2)
        pad = pair(name, "padding", node.padding, 2)
        dil, groups = (1, 1), None
        w = None
    else:
        w = arr(node.weight)
        if w.ndim != nd + 2:
            raise SpikemeshError(
                f"from_nir: node {name!r}.weight: a {kind} weight is (C_out, C_in/groups, "
                f"{'k' if nd == 1 else 'kh, kw'}) (got shape {w.shape})"
            )
        k = tuple(w.shape[2:])
        stride = pair(name, "stride", node.stride, nd)
        dil = pair(name, "dilation", node.dilation, nd)
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
        lo = hi = pair(name, "padding", pad, nd)
    out_sp = tuple((s + a + b - d * (kk - 1) - 1) // st + 1
                   for s, a, b, d, kk, st in zip(spatial, lo, hi, dil, k, stride, strict=True))  # fmt: skip
    if min(out_sp) < 1:
        raise SpikemeshError(
            f"from_nir: node {name!r} ({kind}): kernel {k} does not fit input {spatial}"
        )
    co, cig = w.shape[0], w.shape[1]
    from .._validate import check_memory

    terms = co * int(np.prod(out_sp, dtype=object)) * cig * int(np.prod(k, dtype=object))
    check_memory(f"from_nir: node {name!r}", 8.0 * (4 + 2 * nd) * terms,
                 f"unrolling the {kind} into {terms:,} synapses")  # fmt: skip
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
    if b is not None and np.any(arr(b)):
        bias = np.repeat(arr(b).ravel(), int(np.prod(out_sp)))
    return m, (co, *out_sp), bias


# ---------------------------------------------------------------- the built-in rules
def same_shape(name, node, in_shape):
    return in_shape


def identity_op(name, node, in_shape, dt):
    import scipy.sparse as sp

    return sp.identity(size(in_shape), format="csr"), None, 0


def _affine_shape(name, node, in_shape):
    w = arr(node.weight)
    if w.ndim != 2:
        raise SpikemeshError(f"from_nir: node {name!r}.weight: must be 2-D (got {w.shape})")
    if in_shape is not None and size(in_shape) != w.shape[1]:
        raise SpikemeshError(
            f"from_nir: node {name!r} ({kind_of(node)}) takes {w.shape[1]} inputs but receives "
            f"{size(in_shape)}"
        )
    return (w.shape[0],)


def _affine_op(name, node, in_shape, dt):
    import scipy.sparse as sp

    w = arr(node.weight)
    b = arr(node.bias).ravel() if getattr(node, "bias", None) is not None else None
    if b is not None and b.size not in (1, w.shape[0]):
        raise SpikemeshError(
            f"from_nir: node {name!r}.bias: {b.size} values for {w.shape[0]} outputs"
        )
    bias = np.broadcast_to(b, (w.shape[0],)) if b is not None and np.any(b) else None
    return sp.csr_matrix(w), bias, 0


def _affine_layer(name, node, in_shape):
    w = arr(node.weight)
    return np.count_nonzero(w, axis=0), w.size


def _scale_shape(name, node, in_shape):
    s = arr(node.scale)
    if in_shape is None:
        return tuple(s.shape) or (1,)
    if s.size not in (1, size(in_shape)):
        raise SpikemeshError(
            f"from_nir: node {name!r} (Scale) has {s.size} scales but receives {size(in_shape)} "
            "values"
        )
    return in_shape


def _scale_op(name, node, in_shape, dt):
    import scipy.sparse as sp

    return sp.diags(np.broadcast_to(arr(node.scale).ravel(), (size(in_shape),))).tocsr(), None, 0


def _conv_shape(name, node, in_shape):
    return conv_matrix(name, node, in_shape)[1]


def _conv_op(name, node, in_shape, dt):
    m, _, bias = conv_matrix(name, node, in_shape)
    return m, bias, 0


def _conv_layer(name, node, in_shape):
    import copy

    m, _, _ = conv_matrix(name, node, in_shape)
    ones = copy.copy(node)
    ones.weight = np.ones_like(arr(node.weight))
    return np.diff(m.tocsc().indptr), int(conv_matrix(name, ones, in_shape)[0].nnz)


def _flatten_shape(name, node, in_shape):
    if in_shape is None:
        return None
    nd = len(in_shape)
    lo = node.start_dim + nd if node.start_dim < 0 else node.start_dim
    hi = node.end_dim + nd if node.end_dim < 0 else node.end_dim
    if lo >= nd or hi < lo:
        return in_shape
    return (*in_shape[:lo], int(np.prod(in_shape[lo : hi + 1])), *in_shape[hi + 1 :])


def _delay_op(name, node, in_shape, dt):
    import scipy.sparse as sp

    steps = np.unique(arr(node.delay) / dt)
    if steps.size != 1 or abs(steps[0] - round(steps[0])) > 1e-9 * max(1, steps[0]) or steps[0] < 0:
        raise SpikemeshError(
            f"from_nir: node {name!r}: Delay must be one whole number of steps of dt={dt} "
            f"for all elements (got delay/dt = {np.unique(arr(node.delay) / dt)[:4]})"
        )
    return sp.identity(size(in_shape), format="csr"), None, round(float(steps[0]))


for _kind in ("LIF", "CubaLIF", "IF", "Threshold"):
    register(_kind, NodeRule("spiking"))
for _kind in ("LI", "CubaLI", "I"):
    register(_kind, NodeRule("readout"))
register("Input", NodeRule("input"))
register("Affine", NodeRule("linear", _affine_shape, _affine_op, _affine_layer))
register("Linear", NodeRule("linear", _affine_shape, _affine_op, _affine_layer))
register("Scale", NodeRule("linear", _scale_shape, _scale_op))
register("Conv1d", NodeRule("linear", _conv_shape, _conv_op, _conv_layer))
register("Conv2d", NodeRule("linear", _conv_shape, _conv_op, _conv_layer))
register("SumPool2d", NodeRule("linear", _conv_shape, _conv_op))
register("AvgPool2d", NodeRule("linear", _conv_shape, _conv_op))
for _kind in ("Identity", "Output"):
    register(_kind, NodeRule("pass", same_shape, identity_op))
register("Flatten", NodeRule("pass", _flatten_shape, identity_op))
register("Delay", NodeRule("pass", same_shape, _delay_op))
del _kind
