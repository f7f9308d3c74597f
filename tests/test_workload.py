"""Workload counts from shapes and rates, checked by hand on tiny blocks."""

from __future__ import annotations

import pytest

import spikemesh as sm
from spikemesh.workload import Op


def test_static_product_and_scan_counts_by_hand():
    ops = [Op("w", "static", n=3, k=4, m=5, rate_in=0.5, rate_out=0.2),
           Op("p", "product", n=2, k=3, m=4, copies=2, rate_in=0.5, rate_b=0.25, rate_out=0.1),
           Op("s", "scan", n=6, k=2, copies=3, rate_out=0.5, in_bits=8)]  # fmt: skip
    c = sm.workload.counts(ops, steps=2, chip="loihi2", weight_bits=4)
    # static: 3*4*5*0.5 = 30 events; product: 2*3*4*2 = 48 terms x (0.5 + 0.25) = 36 operand
    # events + 48 x 0.5 x 0.25 = 6 non-zero products into the outputs' sums (a run shows them:
    # tests/test_blocks.py); scan: 6*2*3 = 36 states x 3 messages = 108; per step 180
    assert c["synaptic_events"] == 2 * (30 + 36 + 6 + 108)
    # updates: 15 + (48 terms + 16 outputs) + 36 states = 115 per step
    assert c["neuron_updates"] == 2 * 115
    # active: outputs 15*0.2 + terms 48*0.5*0.25 + outputs 16*0.1 + 36 states
    assert c["active_updates"] == pytest.approx(2 * (3 + 6 + 1.6 + 36))
    assert c["encoding_macs"] == 2 * 108 and c["dense_synapses"] == 2 * (60 + 48 + 108)
    assert c["weighted_event_bits"] == pytest.approx(2 * (30 * 4 + 42 * 1 + 108 * 64))
    assert c["chips"] == 1 and c["elapsed_s"] > 0
    # the papers' estimate: E_AC x (30 + 48 x 0.5) SOPs + E_MAC x 108 MACs, per step
    want = 2 * ((30 + 24) * 0.9 + 108 * 4.6) * 1e-12
    assert sm.workload.conventional_synops(ops, 2) == pytest.approx(want)
    rep = sm.energy.estimate("loihi2", c, 2)
    assert rep.components("synops")["encoding_mac"] == pytest.approx(2 * 108 * 4.6e-12)


def test_blocks_have_the_published_shapes():
    att = {op.name: op for op in sm.workload.spiking_attention(196, 512, 8)}
    assert (att["qk"].n, att["qk"].k, att["qk"].m, att["qk"].copies) == (196, 64, 196, 8)
    assert att["mlp1"].m == 2048 and att["attn"].in_bits == 7
    ssm = {op.name: op for op in sm.workload.spiking_ssm(196, 256)}
    assert (ssm["scan"].n, ssm["scan"].k, ssm["scan"].copies) == (512, 16, 196)
    assert ssm["x_proj"].m == 16 + 32 and ssm["dt_proj"].k == 16


def test_bad_blocks_and_binary_chips_are_named():
    with pytest.raises(sm.ParameterError, match=r"heads: must divide dim=512 \(got 7\)"):
        sm.workload.spiking_attention(196, 512, 7)
    with pytest.raises(sm.ParameterError, match=r"unknown ops \['z'\]"):
        sm.workload.spiking_attention(4, 8, 2, rates={"z": 0.1})
    with pytest.raises(sm.ParameterError, match=r"rates\['q'\]: must be a finite number in"):
        sm.workload.spiking_attention(4, 8, 2, rates={"q": 1.5})
    ops = sm.workload.spiking_ssm(4, 8)
    with pytest.raises(sm.ParameterError, match=r"op 'scan' sends 8-bit graded values; truenorth"):
        sm.workload.counts(ops, 2, "truenorth")
