"""Workloads counted from layer shapes and firing rates (no weights): spike-driven
self-attention (Spikformer) and spiking selective state-space (SpikMamba) blocks, priced by
:func:`spikemesh.energy.estimate` under all four models (docs/transformers.md); each block can
also build a network that runs it (:meth:`Block.build`), so its rates are measured, not
assumed::

    ops = sm.workload.spiking_attention(tokens=196, dim=512, heads=8)
    counts = sm.workload.counts(ops, steps=4, chip="loihi")
    report = sm.energy.estimate("loihi", counts, steps=4)
    sm.workload.conventional_synops(ops, steps=4)     # the papers' E_AC x SOPs + E_MAC x MACs

**What a block is made of** (:class:`Op`, one sample of ``tokens`` tokens, per timestep):

``static``
    A weight layer on spikes (linear, 1x1 or depthwise convolution as a matrix per token):
    ``tokens x fan_in x n_out`` synapses, an event for each one whose input spiked (rate
    ``rate_in``); its ``n_out x tokens`` LIF neurons are updated every step and fire at
    ``rate_out``.
``product``
    A product of two *dynamic* spike matrices, A (n x k, rate a) and B (k x m, rate b), per
    head -- Spikformer's ``Q K^T`` and ``(Q K^T) V``. A crossbar chip stores weights, not
    operands, so spikemesh prices the realisation such a chip would need (an assumption, stated
    here and in the docs): one product compartment per term (i, c, j), ``n k m`` of them,
    updated every step like any compartment, active when both inputs spiked (``n k m a b``);
    A's spikes fan out to the ``m`` compartments of their row, B's to the ``n`` of their
    column: ``n k m (a + b)`` synaptic events. The conventional estimate counts ``n k m a``
    accumulates (B treated as weights).
``scan``
    A selective state-space recurrence (Mamba's scan) with input-dependent decay and input:
    ``tokens x channels x states`` real-valued states, each updated with 3 multiply-accumulates
    (``exp(dA) h``, ``dB x``, ``C h``) from graded (8-bit) operands every step. No Loihi
    register holds an input-dependent decay: a programmable core (Loihi 2-like) runs each state
    as a neuron receiving 3 graded messages per step; the conventional estimate prices the
    3 MACs at E_MAC (they are ``encoding_macs`` in the counts).

**Chip time** (for static power): the block's neurons and product compartments spread over
``ceil(units / core.neurons)`` cores with the work shared evenly, a step takes
``(updates x neuron_update_ns + events x synaptic_op_ns) / cores`` plus the profile's largest
barrier, and every chip holding a core is powered (``chips``). Routing between cores is not
counted (``hops`` = 0): a lower bound on the chip model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import chips as _chips
from . import energy as _energy
from ._validate import check_choice, check_int, check_number
from .energy import SYNOPS_PRESETS
from .exceptions import ParameterError
from .network import Connector, Network
from .neurons import IF, CubaLIF, ProdNeuron

__all__ = ["Block", "BuiltBlock", "Op", "conventional_synops", "counts", "spiking_attention",
           "spiking_ssm"]  # fmt: skip

KINDS = ("static", "product", "scan", "scan_products")
GRADED_BITS = 8  # operands of a scan (real values as 8-bit graded messages)


@dataclass(frozen=True)
class Op:
    """One operation of a block (module docstring). ``static``: ``fan_in``, ``n_out``,
    ``tokens``, ``rate_in``, ``rate_out``; ``product``: A (``n`` x ``k``) times B (``k`` x
    ``m``) in ``copies`` heads, rates ``rate_in`` (A) and ``rate_b`` (B), its outputs' LIF
    neurons fire at ``rate_out``; ``scan``: ``tokens`` x ``n`` channels x ``k`` states, each
    one fused programmable neuron fed 3 graded messages per step; ``scan_products``: the same
    states realised as product compartments (the runnable block's realisation: four
    compartments a state, messages only where operands are non-zero), its operand rates
    ``rate_in`` (x, per channel), ``rate_b`` (B and C, per state index), ``rate_dt`` (dt, per
    channel) and ``rate_h`` (non-zero states)."""

    name: str
    kind: str
    n: int = 0
    k: int = 0
    m: int = 0
    copies: int = 1
    rate_in: float = 0.0
    rate_b: float = 0.0
    rate_out: float = 0.0
    in_bits: int = 1
    rate_dt: float = 0.0
    rate_h: float = 0.0

    def __post_init__(self):
        o = f"Op {self.name!r}"
        check_choice(o, "kind", self.kind, KINDS)
        for f in ("n", "k", "m", "copies", "in_bits"):
            check_int(o, f, getattr(self, f), 0 if f == "m" else 1)
        for f in ("rate_in", "rate_b", "rate_out", "rate_dt", "rate_h"):
            check_number(o, f, getattr(self, f), 0.0, 1.0)

    # per step, for one sample
    @property
    def dense(self) -> float:
        """Multiply-accumulates of the same op in an ANN (one pass)."""
        if self.kind in ("scan", "scan_products"):
            return 3.0 * self.n * self.k * self.copies
        return float(self.n) * self.k * self.m * self.copies

    @property
    def neurons(self) -> float:
        """Output neurons (LIF) updated every step."""
        if self.kind == "scan":
            return float(self.n * self.k * self.copies)  # the states
        if self.kind == "scan_products":
            return float(self.n * self.copies)  # the read-out LIF per channel
        return float(self.n * self.m * self.copies)

    @property
    def units(self) -> float:
        """Compartments the op occupies on the chip: its neurons, plus product terms."""
        extra = self.n * self.k * self.m * self.copies if self.kind == "product" else 0
        if self.kind == "scan_products":
            extra = 4 * self.n * self.k * self.copies  # decay, drive, state, read-out
        return self.neurons + extra


def _static(name, tokens, fan_in, n_out, rate_in, rate_out, in_bits=1) -> Op:
    return Op(name, "static", n=tokens, k=fan_in, m=n_out, rate_in=rate_in, rate_out=rate_out,
              in_bits=in_bits)  # fmt: skip


def spiking_attention(tokens: int, dim: int, heads: int, mlp_ratio: int = 4,
                      rates: dict | None = None) -> list[Op]:  # fmt: skip
    """A Spikformer encoder block (Zhou et al., ICLR 2023; V2, 2024): spiking self-attention
    (``Q, K, V`` = LIF(linear(X)), ``LIF(Q K^T V * s)``, a linear projection) and a two-layer
    spiking MLP (``dim -> mlp_ratio x dim -> dim``). ``rates`` per op name (``x``, ``q``,
    ``k``, ``v``, ``attn``, ``proj``, ``mlp1``, ``mlp2``) override the defaults (0.15 in,
    0.1-0.2 elsewhere: assumed, not measured -- pass the rates your model fires at)."""
    o = "spiking_attention"
    tokens, dim = check_int(o, "tokens", tokens, 1), check_int(o, "dim", dim, 1)
    heads, mlp_ratio = check_int(o, "heads", heads, 1), check_int(o, "mlp_ratio", mlp_ratio, 1)
    if dim % heads:
        raise ParameterError(f"{o}.heads: must divide dim={dim} (got {heads})")
    r = {"x": 0.15, "q": 0.10, "k": 0.10, "v": 0.15, "qk": None, "attn": 0.20, "proj": 0.15,
         "mlp1": 0.10, "mlp2": 0.15}  # fmt: skip
    r.update(_rates(o, rates, r))
    d = dim // heads
    if r["qk"] is None:  # a score is non-zero when some of its d products fire (independence)
        r["qk"] = min(1.0, d * r["q"] * r["k"])
    ops = [
        _static("q", tokens, dim, dim, r["x"], r["q"]),
        _static("k", tokens, dim, dim, r["x"], r["k"]),
        _static("v", tokens, dim, dim, r["x"], r["v"]),
        Op("qk", "product", n=tokens, k=d, m=tokens, copies=heads, rate_in=r["q"], rate_b=r["k"],
           rate_out=r["qk"]),
        Op("attn", "product", n=tokens, k=tokens, m=d, copies=heads, rate_in=r["qk"],
           rate_b=r["v"], rate_out=r["attn"], in_bits=max(1, math.ceil(math.log2(d + 1)))),
        _static("proj", tokens, dim, dim, r["attn"], r["proj"]),
        _static("mlp1", tokens, dim, mlp_ratio * dim, r["proj"], r["mlp1"]),
        _static("mlp2", tokens, mlp_ratio * dim, dim, r["mlp1"], r["mlp2"]),
    ]  # fmt: skip
    return Block(ops, "attention", dict(tokens=tokens, dim=dim, heads=heads,
                                        mlp_ratio=mlp_ratio))  # fmt: skip


def spiking_ssm(tokens: int, dim: int, expand: int = 2, d_state: int = 16,
                dt_rank: int | None = None, d_conv: int = 4, rates: dict | None = None,
                scan: str = "fused") -> list[Op]:  # fmt: skip
    """A spiking selective state-space block (Mamba, Gu & Dao 2023; spiking as in SpikMamba,
    2024): ``in_proj`` (dim -> 2 x inner, x and the gate z), a depthwise ``conv1d`` of width
    ``d_conv``, ``x_proj`` (inner -> dt_rank + 2 x d_state: the input-dependent dt, B, C),
    ``dt_proj`` (dt_rank -> inner), the selective scan (inner x d_state states per token),
    ``out_proj`` (inner -> dim); spiking activations between them at ``rates`` (defaults
    0.15 in, 0.1-0.2 elsewhere: assumed, not measured). ``scan="fused"`` prices each state
    as one programmable neuron with 3 dense graded messages a step; ``"products"`` as the
    runnable block builds it (:meth:`Block.build`: four compartments a state, event-driven;
    ``rates["scan_state"]`` is its non-zero states' rate)."""
    o = "spiking_ssm"
    check_choice(o, "scan", scan, ("fused", "products"))
    tokens, dim = check_int(o, "tokens", tokens, 1), check_int(o, "dim", dim, 1)
    inner = check_int(o, "expand", expand, 1) * dim
    d_state, d_conv = check_int(o, "d_state", d_state, 1), check_int(o, "d_conv", d_conv, 1)
    dt_rank = math.ceil(dim / 16) if dt_rank is None else check_int(o, "dt_rank", dt_rank, 1)
    r = {"x": 0.15, "in_proj": 0.15, "conv": 0.15, "x_proj": 0.10, "dt_proj": 0.20,
         "scan": 0.20, "scan_state": 0.20, "out_proj": 0.15}  # fmt: skip
    r.update(_rates(o, rates, r))
    ops = [
        _static("in_proj", tokens, dim, 2 * inner, r["x"], r["in_proj"]),
        Op("conv", "static", n=tokens * inner, k=d_conv, m=1, rate_in=r["in_proj"],
           rate_out=r["conv"]),
        _static("x_proj", tokens, inner, dt_rank + 2 * d_state, r["conv"], r["x_proj"]),
        _static("dt_proj", tokens, dt_rank, inner, r["x_proj"], r["dt_proj"]),
        Op("scan", "scan", n=inner, k=d_state, copies=tokens, rate_out=r["scan"],
           in_bits=GRADED_BITS) if scan == "fused" else
        Op("scan", "scan_products", n=inner, k=d_state, copies=tokens, rate_in=r["conv"],
           rate_b=r["x_proj"], rate_dt=r["dt_proj"], rate_h=r["scan_state"],
           rate_out=r["scan"], in_bits=GRADED_BITS),
        _static("out_proj", tokens, inner, dim, r["scan"], r["out_proj"]),
    ]  # fmt: skip
    return Block(ops, "ssm", dict(tokens=tokens, dim=dim, expand=expand, d_state=d_state,
                                  dt_rank=dt_rank, d_conv=d_conv, scan=scan))  # fmt: skip


def _rates(owner, rates, defaults) -> dict:
    if rates is None:
        return {}
    if not isinstance(rates, dict):
        raise ParameterError(f"{owner}.rates: must be a dict of op name -> rate")
    bad = sorted(set(rates) - set(defaults))
    if bad:
        raise ParameterError(f"{owner}.rates: unknown ops {bad}; known: {', '.join(defaults)}")
    return {k: check_number(owner, f"rates[{k!r}]", v, 0.0, 1.0) for k, v in rates.items()}


# ---------------------------------------------------------------- blocks that run
class Block(list):
    """A block's :class:`Op` list (what :func:`counts` prices) that can also build a runnable
    network of itself (:meth:`build`). ``kind`` ("attention", "ssm") and ``params`` (the
    shape arguments it was made with)."""

    def __init__(self, ops, kind: str, params: dict) -> None:
        super().__init__(ops)
        self.kind = kind
        self.params = dict(params)

    def build(self, steps: int = 4, seed: int = 0, input_rate: float = 0.15) -> BuiltBlock:
        """A network that runs this block (docs/transformers.md, "Blocks that run"): seeded
        weights and ``steps`` timesteps of seeded Bernoulli input spikes at ``input_rate``.
        Every product of two dynamic spike matrices is a layer of
        :class:`~spikemesh.neurons.ProdNeuron` compartments (one per term), the scan's states
        programmable neurons: it maps onto graded-spike chips (loihi2)."""
        steps = check_int(f"{self.kind} block.build", "steps", steps, 1, 1000)
        seed = check_int(f"{self.kind} block.build", "seed", seed, 0, 2**63 - 1)
        rate = check_number(f"{self.kind} block.build", "input_rate", input_rate, 0.0, 1.0)
        builder = _BUILDERS.get(self.kind)
        if builder is None:
            raise ParameterError(f"Block.build: no runnable form of a {self.kind!r} block")
        return builder(self, steps, np.random.default_rng(seed), rate)


@dataclass
class BuiltBlock:
    """A runnable block: ``network``, ``inputs`` (name -> (run_steps, n) payloads: ``steps``
    timesteps of input, then zeros while the pipeline drains), ``run_steps``, ``ops`` (op name
    -> the population of that op's output neurons), ``units`` (op name -> the population of
    its own compartments: products, states) and ``depth`` (op name -> the run step its output
    neurons first see this block's input: the pipeline's delay). :meth:`rates` measures each
    op's firing rate in its own ``steps``-step window; :meth:`priced` prices the block from
    shapes at those rates."""

    block: Block
    network: object
    inputs: dict
    steps: int
    run_steps: int
    ops: dict
    units: dict
    depth: dict

    def rates(self, result) -> dict:
        """Firing rates per op name: non-zero outputs over the run per neuron and per timestep
        of input (each neuron sees ``steps`` timesteps of the block's input as they pass its
        place in the pipeline), as :func:`spiking_attention` / :func:`spiking_ssm` take
        ``rates``; ``"x"`` is the input's."""
        spikes = getattr(result, "spikes", None)
        missing = [p for p in self.ops.values() if spikes is None or p not in spikes]
        if missing:
            raise ParameterError(
                f"BuiltBlock.rates: needs the SimulationResult of a run of this block's network "
                f"{self.network.name!r} (it has no population {missing[0]!r}; got "
                f"{type(result).__name__})"
            )
        out = {}
        for name, pop in self.ops.items():
            sp = result.spikes[pop]
            out[name] = float(np.count_nonzero(sp)) / max(sp.shape[1] * self.steps, 1)
        x = next(iter(self.inputs.values()))
        out["x"] = float(np.count_nonzero(x)) / max(x.shape[1] * self.steps, 1)
        return out

    def priced(self, result, chip="loihi2") -> dict:
        """The block priced from its shapes at the run's measured rates (:meth:`rates`): the
        events, spikes and active updates of ``steps`` timesteps at those rates (each op is
        busy ``steps`` steps of the run), every neuron updated every one of the run's
        ``run_steps`` steps (as the chip does), chip time over ``run_steps``. Returns
        ``{"ops", "rates", "counts", "estimate", "conventional"}``."""
        rates = self.rates(result)
        if self.block.kind == "attention":
            ops = spiking_attention(**self.block.params, rates=rates)
        else:  # the realisation the run built (the fused ideal: spiking_ssm(scan="fused"))
            ops = spiking_ssm(**{**self.block.params, "scan": "products"}, rates=rates)
        busy = counts(ops, self.steps, chip=chip)
        whole = counts(ops, self.run_steps, chip=chip)
        c = dict(busy)
        for key in ("neuron_updates", "state_bits_read", "dense_synapses", "elapsed_s"):
            c[key] = whole[key]
        return {"ops": ops, "rates": rates, "counts": c,
                "estimate": _energy.estimate(chip, c, self.run_steps),
                "conventional": conventional_synops(ops, self.steps)}  # fmt: skip


class _Synapses(Connector):
    """A COO synapse list as a ``Network.connect`` connector."""

    def __init__(self, n_pre, n_post, pre, post, w):
        self.n_pre, self.n_post = int(n_pre), int(n_post)
        self.pre, self.post = np.asarray(pre, np.int64), np.asarray(post, np.int64)
        self.w = np.broadcast_to(np.asarray(w, np.int64), self.pre.shape).copy()

    def build(self):
        return self.pre, self.post, self.w


TH_GAIN = 6.0  # threshold / mean drive of a built block's LIF layers (mean |weight| ~ 6)


def _per_token(tokens: int, w: np.ndarray) -> np.ndarray:
    """The block-diagonal weights of a per-token linear layer (``kron(I_tokens, w)``)."""
    return np.kron(np.eye(tokens, dtype=np.int64), w)


def _lif(vth: int):
    # no current memory (du = 4095), Spikformer's LIF tau = 2 (dv = 2048)
    return CubaLIF(du=4095, dv=2048, vth=vth)


def _build_attention(block: Block, steps: int, rng, rate: float) -> BuiltBlock:
    """Spikformer's encoder block as a network (module docstring of the product op)."""
    p = block.params
    N, D, H, R = p["tokens"], p["dim"], p["heads"], p["mlp_ratio"]
    d = D // H
    net = Network(f"spiking_attention_{N}x{D}x{H}")
    x = net.input(N * D, "x")

    def linear(name, pre, n_in, n_out, vth, delay=1):  # dense: no zero weight
        w = rng.integers(1, 12, size=(n_in, n_out)) * np.where(
            rng.random((n_in, n_out)) < 0.3, -1, 1
        )
        pop = net.population(N * n_out, _lif(vth), name)
        net.connect(pre, pop, _per_token(N, w), delay=delay)
        return pop

    # thresholds scale with the expected drive (fan-in x rate x mean weight), so the layers fire
    # at roughly Spikformer-like rates (0.1-0.3) at every size; the run measures what they do
    def vth(fan_in, expected):
        return max(1, math.ceil(TH_GAIN * fan_in * expected))

    q, k, v = (linear(nm, x, D, D, vth(D, rate)) for nm in ("q", "k", "v"))
    # Q K^T: compartment (h, i, c, j) = Q[i, h d + c] x K[j, h d + c]
    hh, ii, cc, jj = (a.ravel() for a in np.meshgrid(np.arange(H), np.arange(N), np.arange(d),
                                                     np.arange(N), indexing="ij"))  # fmt: skip
    qk_p = net.population(H * N * d * N, ProdNeuron(vth=0), "qk_products")
    terms = np.arange(hh.size)
    chan = hh * d + cc
    net.connect(q, qk_p, _Synapses(N * D, qk_p.n, ii * D + chan, terms, 1), port="a_in1")
    net.connect(k, qk_p, _Synapses(N * D, qk_p.n, jj * D + chan, terms, 1), port="a_in2")
    score_bits = max(1, math.ceil(math.log2(d + 1)))
    qk = net.population(H * N * N, IF(vth=1, reset="step", spike_bits=score_bits), "qk")
    net.connect(qk_p, qk, _Synapses(qk_p.n, qk.n, terms, (hh * N + ii) * N + jj, 1))
    # (Q K^T) V: compartment (h, i, j, c) = S[h, i, j] x V[j, h d + c]; V waits 2 steps
    hh, ii, jj, cc = (a.ravel() for a in np.meshgrid(np.arange(H), np.arange(N), np.arange(N),
                                                     np.arange(d), indexing="ij"))  # fmt: skip
    at_p = net.population(H * N * N * d, ProdNeuron(vth=0), "attn_products")
    terms = np.arange(hh.size)
    net.connect(qk, at_p, _Synapses(qk.n, at_p.n, (hh * N + ii) * N + jj, terms, 1),
                port="a_in1")  # fmt: skip
    net.connect(v, at_p, _Synapses(v.n, at_p.n, jj * D + hh * d + cc, terms, 1), port="a_in2",
                delay=3)  # fmt: skip
    attn = net.population(N * D, _lif(max(1, math.ceil(2 * N * d * 0.1**3))), "attn")
    net.connect(at_p, attn, _Synapses(at_p.n, attn.n, terms, ii * D + hh * d + cc, 1))
    proj = linear("proj", attn, D, D, vth(D, 0.1))
    mlp1 = linear("mlp1", proj, D, R * D, vth(D, 0.1))
    linear("mlp2", mlp1, R * D, D, vth(R * D, 0.1))
    depth = 8  # x -> q -> qk_products -> qk -> attn_products -> attn -> proj -> mlp1 -> mlp2
    run_steps = steps + depth
    X = np.zeros((run_steps, N * D), np.int64)
    X[:steps] = rng.random((steps, N * D)) < rate
    ops = {"q": "q", "k": "k", "v": "v", "qk": "qk", "attn": "attn", "proj": "proj",
           "mlp1": "mlp1", "mlp2": "mlp2"}  # fmt: skip
    units = {"qk": "qk_products", "attn": "attn_products"}
    depth = {"q": 1, "k": 1, "v": 1, "qk": 3, "attn": 5, "proj": 6, "mlp1": 7, "mlp2": 8}
    return BuiltBlock(block, net, {"x": X}, steps, run_steps, ops, units, depth)


def _build_ssm(block: Block, steps: int, rng, rate: float) -> BuiltBlock:
    """A spiking selective-SSM block as a network. The scan runs as a wavefront: token l's
    input enters 2 l steps late, so token l's state reads token l - 1's state of the same
    timestep through a one-step synapse. Per state (l, e, s), four compartments: the decay
    product ``h[l-1] x A(l, e)`` (ProdNeuron; ``A = D[l, e] w[e, s] / 4096`` with ``D`` a graded
    neuron lowered by dt_proj's spike: the input-dependent decay), the drive product ``B[l, s]
    x[l, e]`` (ProdNeuron), the state ``h = decay + drive`` (a stateless bipolar graded IF:
    the sum) and the read-out product ``C[l, s] h`` (ProdNeuron), summed over s into the
    scan's output LIF ``y[l, e]``."""
    p = block.params
    L, D, E = p["tokens"], p["dim"], p["expand"] * p["dim"]
    S, K = p["d_state"], p["d_conv"]
    R = math.ceil(D / 16) if p["dt_rank"] is None else p["dt_rank"]
    net = Network(f"spiking_ssm_{L}x{D}x{E}x{S}")
    x = net.input(L * D, "x")

    def weights(n_in, n_out):
        return rng.integers(1, 12, size=(n_in, n_out)) * np.where(
            rng.random((n_in, n_out)) < 0.3, -1, 1)  # fmt: skip

    def vth(fan_in, expected):
        return max(1, math.ceil(TH_GAIN * fan_in * expected))

    def per_token(name, pre, n_pre_tok, n_out, cols, th, delay=1):
        """LIF layer: token l's n_out outputs from columns ``cols`` of pre's token l."""
        w = weights(len(cols), n_out)
        pop = net.population(L * n_out, _lif(th), name)
        ll, a, b = (v.ravel() for v in np.meshgrid(np.arange(L), np.arange(len(cols)),
                                                   np.arange(n_out), indexing="ij"))  # fmt: skip
        net.connect(pre, pop, _Synapses(pre.n, pop.n, ll * n_pre_tok + np.asarray(cols)[a],
                                        ll * n_out + b, w[a, b]), delay=delay)  # fmt: skip
        return pop

    in_proj = per_token("in_proj", x, D, 2 * E, range(D), vth(D, rate))
    # causal depthwise conv over tokens: tap k reads token l - k, 2 k steps earlier (the skew)
    wc = weights(E, K)
    conv = net.population(L * E, _lif(vth(K, rate)), "conv")
    for kk in range(K):
        ll, e = (v.ravel() for v in np.meshgrid(np.arange(kk, L), np.arange(E), indexing="ij"))
        net.connect(in_proj, conv, _Synapses(in_proj.n, conv.n, (ll - kk) * 2 * E + e,
                                             ll * E + e, wc[e, kk]), delay=1 + 2 * kk)  # fmt: skip
    x_proj = per_token("x_proj", conv, E, R + 2 * S, range(E), vth(E, rate))
    dt_proj = per_token("dt_proj", x_proj, R + 2 * S, E, range(R), vth(R, rate))
    ll, e, ss = (v.ravel() for v in np.meshgrid(np.arange(L), np.arange(E), np.arange(S),
                                                indexing="ij"))  # fmt: skip
    st = np.arange(ll.size)  # state index (l, e, s)
    n_st = st.size
    prev = ll > 0  # states with a previous token
    # h[l] = h[l-1] - (h[l-1] x dt[l, e] x |A[e, s]|) >> 8 + B[l, s] x[l, e] w: Mamba's
    # exp(dt A) to first order, the decay input-dependent (only where dt_proj fired)
    p_dec = net.population(n_st, ProdNeuron(vth=0, exp=8), "scan_decay")
    p_drv = net.population(n_st, ProdNeuron(vth=0, exp=0), "scan_drive")
    h = net.population(n_st, IF(vth=1, reset="step", bipolar=True, spike_bits=15), "scan_state")
    p_out = net.population(n_st, ProdNeuron(vth=0, exp=0), "scan_read")
    wa = rng.integers(16, 65, size=(E, S))  # |A| dt: 1/16 .. 1/4 of the state per dt spike
    net.connect(h, p_dec, _Synapses(n_st, n_st, st[prev] - E * S, st[prev], 1), port="a_in1")
    net.connect(dt_proj, p_dec, _Synapses(dt_proj.n, n_st, ll * E + e, st, wa[e, ss]),
                port="a_in2", delay=2)  # fmt: skip
    wb = rng.integers(1, 9, size=S)
    cols = L * (R + 2 * S)
    net.connect(x_proj, p_drv, _Synapses(cols, n_st, ll * (R + 2 * S) + R + ss, st, wb[ss]),
                port="a_in1", delay=3)  # fmt: skip
    net.connect(conv, p_drv, _Synapses(conv.n, n_st, ll * E + e, st, 32), port="a_in2", delay=4)
    net.connect(h, h, _Synapses(n_st, n_st, st[prev] - E * S, st[prev], 1), delay=2)  # the chain
    net.connect(p_dec, h, _Synapses(n_st, n_st, st, st, -1))
    net.connect(p_drv, h, _Synapses(n_st, n_st, st, st, 1))
    net.connect(h, p_out, _Synapses(n_st, n_st, st, st, 1), port="a_in1")
    net.connect(x_proj, p_out, _Synapses(cols, n_st, ll * (R + 2 * S) + R + S + ss, st, 1),
                port="a_in2", delay=5)  # fmt: skip
    y = net.population(L * E, _lif(SCAN_VTH), "scan")
    net.connect(p_out, y, _Synapses(n_st, y.n, st, ll * E + e, 1))
    per_token("out_proj", y, E, D, range(E), vth(E, rate))
    run_steps = steps + 2 * (L - 1) + 11
    X = np.zeros((run_steps, L * D), np.int64)
    for tok in range(L):  # token l's input enters 2 l steps late
        X[2 * tok : 2 * tok + steps, tok * D : (tok + 1) * D] = rng.random((steps, D)) < rate
    ops = {"in_proj": "in_proj", "conv": "conv", "x_proj": "x_proj", "dt_proj": "dt_proj",
           "scan": "scan", "scan_state": "scan_state", "out_proj": "out_proj"}  # fmt: skip
    units = {"scan": ("scan_decay", "scan_drive", "scan_state", "scan_read")}
    depth = {"in_proj": 1, "conv": 2, "x_proj": 3, "dt_proj": 4, "scan": 9, "out_proj": 10}
    return BuiltBlock(block, net, {"x": X}, steps, run_steps, ops, units, depth)


SCAN_VTH = 96  # the scan's output LIF: fires when its read-out products sum past 96


_BUILDERS = {"attention": _build_attention, "ssm": _build_ssm}


def counts(ops, steps: int, chip="loihi", weight_bits: int = 8) -> dict:
    """Totals over ``steps`` timesteps of one sample, as :func:`spikemesh.energy.estimate`
    takes them (module docstring: what each op contributes, chip time and chips)."""
    steps = check_int("workload.counts", "steps", steps, 1)
    weight_bits = check_int("workload.counts", "weight_bits", weight_bits, 1, 16)
    chip = _chips.get(chip)
    ev = active = updates = spikes = macs = wbits = ebits = dense = neurons = units = 0.0
    graded = 0.0  # the fused scan's graded messages (3 a state and step)
    state_bits = 48.0  # u + v of a CUBA compartment (CubaLIF.state_bits)
    for op in ops:
        if not isinstance(op, Op):
            raise ParameterError(f"workload.counts: ops must be Op (got {type(op).__name__})")
        if op.in_bits > chip.core.payload_bits:
            raise ParameterError(
                f"workload.counts: op {op.name!r} sends {op.in_bits}-bit graded values; "
                f"{chip.name} carries {chip.core.payload_bits}-bit spikes (a graded-spike chip "
                "such as loihi2 runs it)"
            )
        c = op.copies
        if op.kind == "static":
            e = op.n * op.k * op.m * c * op.rate_in
            ev, wbits, ebits = ev + e, wbits + e * weight_bits, ebits + e * weight_bits * op.in_bits
        elif op.kind == "product":
            terms = op.n * op.k * op.m * c
            e = terms * (op.rate_in + op.rate_b)
            ev, ebits = ev + e, ebits + e * op.in_bits  # the other operand is a 1-bit "weight"
            updates += terms
            fired = terms * op.rate_in * op.rate_b  # non-zero products (independent operands)
            active += fired
            # each non-zero product is a message into its output neuron's sum over k
            ev, ebits, spikes = ev + fired, ebits + fired * op.in_bits, spikes + fired
        elif op.kind == "scan_products":  # the runnable realisation, event-driven
            n_s, chan = op.n * op.k * c, op.n * c
            prev = (c - 1) / c  # the first token has no previous state
            rx, rbc, rdt, rh = op.rate_in, op.rate_b, op.rate_dt, op.rate_h
            fired = (n_s * rh * rdt * prev, n_s * rx * rbc, n_s * rh, n_s * rh * rbc)
            # decay <- h[l-1], dt (x k states); drive <- B (x n channels), x (x k); state <-
            # h[l-1], decay, drive; read-out <- h, C (x n); y <- read-outs
            e = (n_s * rh * prev + chan * rdt * op.k + op.k * c * rbc * op.n + chan * rx * op.k
                 + n_s * rh * prev + fired[0] + fired[1] + n_s * rh + op.k * c * rbc * op.n
                 + fired[3])  # fmt: skip
            ev, ebits = ev + e, ebits + e * GRADED_BITS
            wbits += e * weight_bits
            updates += 4 * n_s
            active += sum(fired)
            spikes += sum(fired)
        else:  # scan: 3 graded messages and 3 MACs per state
            s = op.n * op.k * c
            ev += 3 * s
            macs += 3 * s
            graded += 3 * s
            ebits += 3 * s * GRADED_BITS * GRADED_BITS
            wbits += 3 * s * GRADED_BITS
            active += s
        updates += op.neurons
        active += op.neurons * op.rate_out if op.kind != "scan" else 0
        spikes += op.neurons * op.rate_out
        dense += op.dense
        neurons += op.neurons
        units += op.units
    cores = max(1, math.ceil(units / chip.core.neurons))
    n_chips = math.ceil(cores / chip.mesh.cores_per_chip)
    t = chip.timing
    step_ns = ((active * t.get("neuron_update_active_ns", 0.0)
                + (updates - active) * t.get("neuron_update_inactive_ns", 0.0)
                + ev * t.get("synaptic_op_ns", 0.0)) / cores
               + max(t.get("barrier_ns", (0.0,))))  # fmt: skip
    step_s = max(step_ns * 1e-9, chip.tick_s)
    return {
        "synaptic_events": steps * ev, "dense_synapses": steps * dense,
        "neuron_updates": steps * updates, "active_updates": steps * active,
        "spikes": steps * spikes, "messages": steps * (spikes + graded),  # spikes, and the scan's graded messages
        "encoding_macs": steps * macs, "weight_bits_read": steps * wbits,
        "weighted_event_bits": steps * ebits, "spike_bits": steps * spikes,
        "state_bits_read": steps * updates * state_bits,
        "state_bits_written": steps * active * state_bits,
        "neurons": units, "neurons_and_inputs": neurons, "weight_bits": float(weight_bits),
        "elapsed_s": steps * step_s, "chips": n_chips,
    }  # fmt: skip


def conventional_synops(ops, steps: int, preset: str = "fp32") -> float:
    """The estimate papers report (Spikformer, SpikMamba): ``E_AC x SOPs + E_MAC x MACs``, SOPs
    = dense operations x the input firing rate x timesteps (a product's second operand
    treated as weights), MACs = the scan's multiplications; joules for one sample."""
    steps = check_int("conventional_synops", "steps", steps, 1)
    p = SYNOPS_PRESETS[check_choice("conventional_synops", "preset", preset, tuple(SYNOPS_PRESETS))]
    sops = sum(op.n * op.k * op.m * op.copies * op.rate_in for op in ops
               if op.kind not in ("scan", "scan_products"))  # fmt: skip
    macs = sum(op.dense for op in ops if op.kind in ("scan", "scan_products"))
    return steps * (sops * p["ac"] + macs * p["mac"]) * 1e-12
