"""Plain-Python Loihi CUBA LIF written straight from docs/hardware.md §1, independent of spikemesh.

Scalar Python integers, one compartment at a time, no NumPy arithmetic: the golden model the
kernels are checked against.
"""

from __future__ import annotations


def wrap(x: int, bits: int) -> int:
    return ((x + 2 ** (bits - 1)) % 2**bits) - 2 ** (bits - 1)


def sgn(x: int) -> int:
    return (x > 0) - (x < 0)


def decay(x: int, factor: int) -> int:
    return sgn(x) * ((abs(x) * factor) // 4096)


def quantize(w: int, mode: str, bits: int) -> int:
    """Loihi weight format: single sign keeps the magnitude, mixed drops the lowest bit (floor);
    fewer bits drop (8 - bits) more (floor; inhibitory floors the magnitude)."""
    if mode == "mixed":
        drop = 1 + 8 - bits
        return (w // 2**drop) * 2**drop
    drop = 8 - bits
    mag = (abs(w) // 2**drop) * 2**drop
    return mag if w >= 0 else -mag


def loihi_layer(
    W,  # list of lists [pre][post] of ints, 0 = no synapse
    spikes_in,  # list over steps of lists of 0/1 per pre neuron
    du,
    dv,
    vth,
    bias=0,  # bias_mant << bias_exp, or list per post neuron
    refract_delay=1,
    weight_exp=0,
    weight_bits=8,
    u0=0,
    v0=0,
    vmin=-(2**23 - 1),
    vmax=2**23 - 1,
    delays=1,  # int, or list of lists [pre][post]
    recurrent=None,  # optional W_rec [post][post] (delay 1), spikes of the layer itself
):
    """Run a layer of compartments driven by input spikes. Returns traces of u, v, s.

    A spike of input k in step t is integrated in step t + delays[k][i].
    """
    n_pre = len(W)
    n = len(W[0])
    flat = [w for row in W for w in row]
    mode = "excitatory" if min(flat) >= 0 else ("inhibitory" if max(flat) <= 0 else "mixed")
    Wq = [[quantize(W[k][i], mode, weight_bits) for i in range(n)] for k in range(n_pre)]
    biases = bias if isinstance(bias, list) else [bias] * n
    u = [u0] * n if not isinstance(u0, list) else list(u0)
    v = [v0] * n if not isinstance(v0, list) else list(v0)
    ref = [0] * n
    steps = len(spikes_in)
    D = [[delays] * n for _ in range(n_pre)] if isinstance(delays, int) else delays
    # q_at[t][i]: input arriving at compartment i in step t
    q_at = [[0] * n for _ in range(steps + 300)]

    def eff(wq, e):
        return (wq * 2**e if e >= 0 else wq // 2 ** (-e)) * 64

    for t in range(steps):
        for k in range(n_pre):
            if spikes_in[t][k]:
                for i in range(n):
                    if W[k][i] != 0:
                        q_at[t + D[k][i]][i] += eff(Wq[k][i], weight_exp) * spikes_in[t][k]
    if recurrent is not None:
        fr = [w for row in recurrent for w in row]
        rmode = "excitatory" if min(fr) >= 0 else ("inhibitory" if max(fr) <= 0 else "mixed")
        Rq = [[quantize(recurrent[j][i], rmode, 8) for i in range(n)] for j in range(n)]
    U, V, S = [], [], []
    for t in range(steps):
        s_out = [0] * n
        for i in range(n):
            q = wrap(q_at[t][i], 22)
            u[i] = wrap(decay(u[i], 4096 - (du + 1)) + q, 24)
            u2 = wrap(u[i] + biases[i], 24)
            vi = decay(v[i], 4096 - dv) + u2
            vi = min(max(vi, vmin), vmax)
            if ref[i] > 0:
                vi = 0
            if vi > vth * 64:
                s_out[i] = 1
                vi = 0
                ref[i] = refract_delay
            ref[i] = max(ref[i] - 1, 0)
            v[i] = vi
        U.append(list(u))
        V.append(list(v))
        S.append(s_out)
        if recurrent is not None:
            for j in range(n):
                if s_out[j]:
                    for i in range(n):
                        if recurrent[j][i] != 0:
                            q_at[t + 1][i] += eff(Rq[j][i], 0)
    return U, V, S


def truenorth_chain(Ws, specs, X, delays=None):
    """Plain-loop TrueNorth neurons (deterministic modes, docs/hardware.md §2) in a feed-forward
    chain: X -> layer 0 -> layer 1 ... ``Ws[k]`` is the integer weight matrix into layer k,
    used directly (the unmapped reference: no axon types, no splitters). ``specs[k]`` is a
    dict of alpha, leak, leak_reversal, beta, negative_mode, reset_mode, reset_value.
    A spike in step t is integrated in step t + delays[k] (default 1). Returns spikes per layer.
    """
    steps = len(X)
    delays = delays or [1] * len(Ws)
    outs = []
    src = [list(r) for r in X]
    for W, sp, d in zip(Ws, specs, delays, strict=True):
        n_pre, n = len(W), len(W[0])
        V = [0] * n
        S = []
        for t in range(steps):
            s_out = [0] * n
            for j in range(n):
                inp = 0
                if t - d >= 0:
                    inp = sum(W[k][j] for k in range(n_pre) if src[t - d][k])
                v = V[j] + inp
                omega = sgn(v) if sp.get("leak_reversal") else 1
                v += omega * sp.get("leak", 0)
                v = min(max(v, -(2**19)), 2**19 - 1)
                alpha, beta = sp["alpha"], sp.get("beta", 0)
                mode, R = sp.get("reset_mode", 0), sp.get("reset_value", 0)
                if v >= alpha:
                    s_out[j] = 1
                    v = R if mode == 0 else (v - alpha if mode == 1 else v)
                elif v < -beta:
                    if sp.get("negative_mode", "saturate") == "saturate":
                        v = -beta
                    else:
                        v = -R if mode == 0 else (v + beta if mode == 1 else v)
                V[j] = v
            S.append(s_out)
        outs.append(S)
        src = S
    return outs
