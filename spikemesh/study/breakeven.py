"""At which mean spike rate does a binary-spike SNN stop beating its equivalent quantized ANN?

For each chip profile and number of binary timesteps ``T``, the digits MLP (8-bit weights) is
converted with ``spike_bits = 1`` (activations of ``T + 1`` levels, ceil(log2(T + 1)) bits, the
equivalence of Yan et al., arXiv 2409.08290) and run twice on the held-out digits: with the
real inputs and with all-zero inputs (only the gate and bias lines fire). The chip event model
then gives, per inference,

- ``E_fixed``: the energy with zero inputs (gates, bias lines, idle neuron updates, and the
  ``S0`` spikes the biases alone cause),
- ``e_spike``: the marginal energy of one spike, ``(E_real - E_fixed) / (S_real - S0)``,
- ``static``: the chip's static power over the inference's chip time,

so ``E_snn(r) = E_fixed + (r * N * T - S0) * e_spike`` for a mean rate ``r`` over the ``N``
input and hidden neurons (``e_spike`` includes the static energy of the cycles a spike adds; the
dynamic-only variant uses ``e_spike_dynamic`` and leaves static power out). The equivalent quantized ANN is priced by the ANN model (int8 MACs, weight and
activation SRAM traffic; spikemesh has no sub-8-bit MAC figure). The break-even rate solves
``E_snn(r) = E_ann`` with and without the static share; a negative value means the SNN never
wins on that chip at that ``T``.
"""

from __future__ import annotations

import numpy as np

from ..convert import quantize, to_snn
from . import digits

__all__ = ["breakeven"]


def _energy(snn, x):
    inf = snn.infer(x, timing="analytic")
    tot = {"chip": 0.0, "static": 0.0, "ann": 0.0}
    spikes = 0
    hidden = list(snn.layer_names[:-1])
    for res in inf.results:
        rep = res.energy()
        tot["chip"] += rep.total("chip")
        tot["static"] += rep.components("chip").get("static", 0.0)
        tot["ann"] += rep.total("ann")
        spikes += sum(int(np.count_nonzero(res.spikes[h])) for h in hidden)
    spikes += int(inf.activations["x"].sum())  # binary input spikes sent
    n = len(x)
    return {k: v / n for k, v in tot.items()}, spikes / n


def breakeven(chips=("loihi", "loihi2"), timesteps=(1, 2, 4, 8, 16), samples: int = 100,
              weight_bits: int = 8) -> list[dict]:  # fmt: skip
    """One row per (chip, T): measured rate, energies per inference and break-even rates."""
    d = digits.data(0)
    x = d["x_test"][:samples]
    rows = []
    for chip in chips:
        for t in timesteps:
            q = quantize(d["layers"], d["x_train"], weight_bits=weight_bits, spike_bits=1,
                         input_bits=1, timesteps=t)  # fmt: skip
            snn = to_snn(q, chip, scheme="window")  # binary spikes on every chip
            n_units = int(np.prod(snn.qann.in_shape)) + sum(
                snn.network.populations[h].n for h in snn.layer_names[:-1]
            )
            real, spikes = _energy(snn, x)
            zero, zspikes = _energy(snn, np.zeros_like(x))
            e_spike = (real["chip"] - zero["chip"]) / max(spikes - zspikes, 1e-9)
            slots = n_units * t  # neuron-steps per inference
            e_ann = real["ann"]
            dyn0 = zero["chip"] - zero["static"]
            e_dyn = (real["chip"] - real["static"] - dyn0) / max(spikes - zspikes, 1e-9)
            rows.append({
                "chip": chip, "timesteps": t, "activation_bits": int(np.ceil(np.log2(t + 1))),
                "rate": spikes / (n_units * t), "E_snn_J": real["chip"], "E_fixed_J": zero["chip"],
                "static_J": real["static"], "e_spike_J": e_spike, "E_ann_J": e_ann,
                "breakeven_rate": (zspikes + (e_ann - zero["chip"]) / e_spike) / slots,
                "e_spike_dynamic_J": e_dyn, "E_fixed_dynamic_J": dyn0,
                "breakeven_rate_dynamic": (zspikes + (e_ann - dyn0) / e_dyn) / slots,
                "zero_input_rate": zspikes / slots,
            })  # fmt: skip
    return rows
