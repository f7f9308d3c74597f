"""Spiking attention blocks that run (sm.workload's build): the network's measured counts and
chip energy beside the block priced from its shapes at the run's own measured rates."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh.exceptions import MappingError, ParameterError


@pytest.fixture(scope="module")
def attention_run():
    blk = sm.workload.spiking_attention(tokens=16, dim=32, heads=2)
    built = blk.build(steps=4, seed=0)
    m = sm.map_network(built.network, "loihi2")
    res = sm.Simulator(m, seed=0).run(built.run_steps, built.inputs)
    return blk, built, m, res


def test_the_block_is_still_the_op_list_it_was(attention_run):
    blk, *_ = attention_run
    assert isinstance(blk, list) and [op.name for op in blk] == [
        "q", "k", "v", "qk", "attn", "proj", "mlp1", "mlp2"]  # fmt: skip
    assert blk.kind == "attention" and blk.params["heads"] == 2


def test_products_are_product_compartments_one_per_term(attention_run):
    _, built, _, res = attention_run
    pops = built.network.populations
    assert pops["qk_products"].n == 2 * 16 * 16 * 16 and pops["attn_products"].n == 2 * 16 * 16 * 16
    assert pops["qk_products"].neuron.model == "ProdNeuron"
    # a score is the number of channels where Q[i] and K[j] both fired: check against the run
    q, k = res.spikes["q"], res.spikes["k"]
    qk = res.spikes["qk"]
    H, N, d = 2, 16, 16
    for t in range(1, 5):  # Q, K at step t -> products at t + 1 -> scores at t + 2
        Q = q[t].reshape(N, H, d).transpose(1, 0, 2)
        K = k[t].reshape(N, H, d).transpose(1, 0, 2)
        want = np.einsum("hic,hjc->hij", Q, K).ravel()
        assert_array_equal(qk[t + 2], want)
    assert qk.max() > 1  # graded scores


def test_measured_and_priced_agree(attention_run):
    _, built, _, res = attention_run
    pr = built.priced(res)
    c = res.counts()
    assert pr["counts"]["neuron_updates"] == c["neuron_updates"]
    assert pr["counts"]["synaptic_events"] == pytest.approx(c["synaptic_events"], rel=0.01)
    # products of correlated operands fire more often than n k m a b (docs/transformers.md)
    assert c["spikes"] * 0.85 < pr["counts"]["spikes"] < c["spikes"]
    meas = res.energy().components("chip")
    price = pr["estimate"].components("chip")
    dyn = ("synaptic", "neuron_update", "spike")
    assert price["synaptic"] == pytest.approx(meas["synaptic"], rel=0.01)
    assert sum(price[k] for k in dyn) == pytest.approx(sum(meas[k] for k in dyn), rel=0.05)
    rates = pr["rates"]
    assert 0.05 < rates["q"] < 0.5 and 0.05 < rates["qk"] < 0.9  # the build fires


def test_same_seed_same_block_other_seed_other_block():
    blk = sm.workload.spiking_attention(tokens=4, dim=8, heads=2, mlp_ratio=2)
    a, b, c = (blk.build(steps=2, seed=s) for s in (1, 1, 2))
    assert_array_equal(a.inputs["x"], b.inputs["x"])
    assert not np.array_equal(a.inputs["x"], c.inputs["x"])
    ra, rb = (sm.Simulator(sm.map_network(x.network, "loihi2")).run(x.run_steps, x.inputs)
              for x in (a, b))  # fmt: skip
    for name in a.network.populations:
        assert_array_equal(ra.spikes[name], rb.spikes[name])


def test_blocks_need_a_programmable_chip_and_good_arguments():
    built = sm.workload.spiking_attention(tokens=4, dim=8, heads=2).build(steps=2)
    with pytest.raises(MappingError, match="programmable-neuron program"):
        sm.map_network(built.network, "loihi")
    blk = sm.workload.spiking_attention(tokens=4, dim=8, heads=2)
    with pytest.raises(ParameterError, match=r"build\.steps"):
        blk.build(steps=0)
    with pytest.raises(ParameterError, match=r"build\.input_rate"):
        blk.build(input_rate=1.5)


@pytest.fixture(scope="module")
def ssm_run():
    blk = sm.workload.spiking_ssm(tokens=8, dim=8, d_state=4)
    built = blk.build(steps=4, seed=1)
    net = built.network
    for pop in ("scan_state", "scan_decay", "scan_drive"):
        net.probe(net.populations[pop], "v")
    m = sm.map_network(net, "loihi2")
    res = sm.Simulator(m, seed=0).run(built.run_steps, built.inputs)
    return blk, built, res


def test_ssm_scan_is_the_wavefront_recurrence(ssm_run):
    """Each state is its previous token's state two steps earlier, minus the decay product,
    plus the drive product (both of the step before): h[l](t) = h[l-1](t-2) - dec[l](t-1) +
    drv[l](t-1), read off the run's own compartments."""
    _, _built, res = ssm_run
    h = res.spikes["scan_state"].astype(np.int64)
    dec = res.spikes["scan_decay"].astype(np.int64)
    drv = res.spikes["scan_drive"].astype(np.int64)
    E, S = 16, 4
    per_tok = E * S
    T = h.shape[0]
    prev = np.zeros_like(h)
    prev[2:, per_tok:] = h[:-2, :-per_tok]  # token l - 1's state, two steps earlier
    want = np.zeros_like(h)
    want[1:] = prev[1:] - dec[:-1] + drv[:-1]
    want = np.clip(want, -(2**15 - 1), 2**15 - 1)
    assert_array_equal(h[1:T], want[1:T])
    assert np.count_nonzero(h) > 50 and np.count_nonzero(dec) > 5  # the scan did something


def test_ssm_measured_and_priced_agree(ssm_run):
    blk, built, res = ssm_run
    pr = built.priced(res)
    c = res.counts()
    assert pr["counts"]["neuron_updates"] == c["neuron_updates"]
    assert pr["counts"]["synaptic_events"] == pytest.approx(c["synaptic_events"], rel=0.03)
    meas = res.energy().components("chip")
    price = pr["estimate"].components("chip")
    dyn = ("synaptic", "neuron_update", "spike")
    assert sum(price[k] for k in dyn) == pytest.approx(sum(meas[k] for k in dyn), rel=0.05)
    assert blk.params["scan"] == "fused" and pr["ops"][4].kind == "scan_products"
