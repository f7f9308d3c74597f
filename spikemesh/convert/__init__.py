"""Quantized ANN -> SNN conversion.

Describe a trained network as layers (:class:`Dense`, :class:`Conv2d`, :class:`AvgPool2d`,
:class:`SumPool2d`, :class:`Flatten`, :class:`Recurrent`; or :func:`from_mlp` for scikit-learn's
MLP), quantize it (:func:`quantize`: the integer network the chip must reproduce), and build
and run its spiking network (:func:`to_snn`, :meth:`SNN.infer`)::

    layers = sm.convert.from_mlp(clf)
    q = sm.convert.quantize(layers, X_train, weight_bits=4, spike_bits=4)
    snn = sm.convert.to_snn(q, "loihi2")
    out = snn.infer(X_test)          # out.logits == q.forward(q.encode(X_test))[-1]

NIR graphs (snnTorch, Norse, Sinabs, ... exports; the ``nir`` extra) come in with
:func:`from_nir` and go out with :func:`to_nir`.
"""

from .layers import AvgPool2d, Conv2d, Dense, Flatten, Recurrent, SumPool2d, float_forward, from_mlp
from .nir import NirImport, from_nir, to_nir
from .quantize import QLayer, QuantizedANN, quantize
from .snn import SNN, Inference, limits, to_snn

__all__ = [
    "SNN",
    "AvgPool2d",
    "Conv2d",
    "Dense",
    "Flatten",
    "Inference",
    "NirImport",
    "QLayer",
    "QuantizedANN",
    "Recurrent",
    "SumPool2d",
    "float_forward",
    "from_mlp",
    "from_nir",
    "limits",
    "quantize",
    "to_nir",
    "to_snn",
]
