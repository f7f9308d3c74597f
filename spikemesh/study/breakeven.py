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

from .. import chips as _chips
from ..convert import limits, quantize, to_snn
from ..exceptions import MappingError
from . import digits

__all__ = ["breakeven"]


def _energy(snn, x):
    inf = snn.infer(x, timing="analytic")
    tot = {"chip": 0.0, "static": 0.0}
    spikes = 0
    for res in inf.results:
        rep = res.energy()
        tot["chip"] += rep.total("chip")
        tot["static"] += rep.components("chip").get("static", 0.0)
        spikes += snn.hidden_spikes(res)
    spikes += int(inf.activations["x"].sum())  # binary input spikes sent
    n = len(x)
    return {k: v / n for k, v in tot.items()}, spikes / n


def breakeven(chips=digits.CHIPS, timesteps=(1, 2, 4, 8, 16), samples: int = 100,
              weight_bits: int = 8) -> list[dict]:  # fmt: skip
    """One row per (chip, T): measured rate, energies per inference and break-even rates.
    Each (chip, T) uses the widest weights up to ``weight_bits`` whose network fits the chip
    (TrueNorth: 4 bits at most, fewer as the thermometer copies widen the fan-in); one that
    fits at no width gives a row with ``error`` (the mapper's reason at the widest) only."""
    d = digits.data(0)
    x = d["x_test"][:samples]
    rows = []
    for chip in chips:
        top = min(weight_bits, limits(chip)["weight_bits"])
        scheme = "window" if _chips.get(chip).supports("IF") else "copies"
        for t in timesteps:
            snn, q, err = None, None, None
            for wb in range(top, 1, -1):  # the widest weights whose network fits the chip
                q = quantize(d["layers"], d["x_train"], weight_bits=wb, spike_bits=1,
                             input_bits=1, timesteps=t)  # fmt: skip
                try:
                    snn = to_snn(q, chip, scheme=scheme)  # binary spikes on every chip
                    break
                except MappingError as e:
                    err = err or e
            if snn is None:
                rows.append({"chip": chip, "timesteps": t, "weight_bits": top, "error": str(err)})
                continue
            n_units = int(np.prod(snn.qann.in_shape)) + snn.hidden_neurons
            real, spikes = _energy(snn, x)
            zero, zspikes = _energy(snn, np.zeros_like(x))
            e_spike = (real["chip"] - zero["chip"]) / max(spikes - zspikes, 1e-9)
            slots = n_units * t  # neuron-steps per inference
            e_ann = digits.ann_energy(q)
            dyn0 = zero["chip"] - zero["static"]
            e_dyn = (real["chip"] - real["static"] - dyn0) / max(spikes - zspikes, 1e-9)
            rows.append({
                "chip": chip, "timesteps": t, "weight_bits": q.weight_bits, "scheme": snn.scheme,
                "activation_bits": int(np.ceil(np.log2(t + 1))),
                "rate": spikes / (n_units * t), "E_snn_J": real["chip"], "E_fixed_J": zero["chip"],
                "static_J": real["static"], "e_spike_J": e_spike, "E_ann_J": e_ann,
                "breakeven_rate": (zspikes + (e_ann - zero["chip"]) / e_spike) / slots,
                "e_spike_dynamic_J": e_dyn, "E_fixed_dynamic_J": dyn0,
                "breakeven_rate_dynamic": (zspikes + (e_ann - dyn0) / e_dyn) / slots,
                "zero_input_rate": zspikes / slots,
            })  # fmt: skip
    return rows
