"""The sequential-digits study (docs/sequences.md): the Elman network trains in NumPy, its
quantized version converts without error onto loihi (window), truenorth (copies) and loihi2,
and the sweep's rows say what each chip can hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import spikemesh as sm
from spikemesh import convert
from spikemesh.convert.quantize import recurrent_levels
from spikemesh.exceptions import ParameterError
from spikemesh.fixedpoint import WEIGHT_MANTISSA_BITS

pytest.importorskip("sklearn")
from spikemesh.study import sequences as S


@pytest.mark.parametrize(("chip", "T", "wb", "scheme", "act"), [
    ("loihi", 2, 8, "window", "relu"), ("truenorth", 1, 4, "copies", "relu"),
    ("loihi2", 1, 8, "stream", "relu"), ("loihi", 2, 8, "window", "hardtanh"),
    ("truenorth", 1, 2, "copies", "hardtanh")])  # fmt: skip
def test_converted_rnn_equals_the_quantized_rnn(chip, T, wb, scheme, act):
    pt = {"chip": chip, "order": "rows", "timesteps": T, "weight_bits": wb, "samples": 25,
          "activation": act}  # fmt: skip
    snn = S.build(pt)
    r = S.evaluate(snn, pt)
    assert r["scheme"] == scheme and r["exact"] is True
    assert r["accuracy"] == r["qann_accuracy"]
    assert r["elements"] == 8 and r["steps_per_sequence"] > 8
    assert r["energy_chip_J"] > r["energy_synops_J"] > 0 and r["energy_ann_J"] > 0


def test_training_and_quantization_aware_tuning():
    d = S.data("rows", 0)
    assert d["float_accuracy"] > 0.9  # BPTT, seeded: 96.5 % measured
    q4 = S.data("rows", 0, 4)
    assert q4["tops"][0] > 0 and q4["tops"][1] is None
    q = convert.quantize(q4["layers"], q4["x_train"], weight_bits=8, spike_bits=1, input_bits=1,
                         timesteps=4, tops=q4["tops"])  # fmt: skip
    assert (q.predict(q4["x_test"])[:, -1] == q4["y_test"]).mean() > 0.85  # 96.5 % measured
    # the clipping range reaches quantize: one activation level is top / T
    assert q.layers[0].scale == pytest.approx(q4["tops"][0] / 4, rel=0.05)


def test_weight_aware_tuning_rounds_as_the_converter_does():
    """2-bit (ternary) weights quantized after training are at chance (9.3 % measured); tuned
    with the converter's own weight rule they keep most of the accuracy (89.9 % at T = 4)."""
    T, wb = 4, 2
    d = S.data("rows", 0, T, "relu", wb)
    q = convert.quantize(d["layers"], d["x_train"], weight_bits=wb, spike_bits=1, input_bits=1,
                         timesteps=T, tops=d["tops"])  # fmt: skip
    assert (q.predict(d["x_test"])[:, -1] == d["y_test"]).mean() > 0.7
    # the levels the tuning rounded to (recurrent_levels: one scale for both matrices) are quantize's
    rnn, top = d["layers"][0], d["tops"][0]
    unit = recurrent_levels(rnn.w_in, rnn.w_rec, 1 / T, top / T, wb)[2]
    ql, unit_w = q.layers[0], 2 ** (WEIGHT_MANTISSA_BITS - wb)  # a level's stored mantissa
    np.testing.assert_array_equal(
        ql.weight // unit_w, np.clip(np.rint(rnn.w_in * (1 / T) / unit), -1, 1)
    )
    np.testing.assert_array_equal(
        ql.weight_rec // unit_w, np.clip(np.rint(rnn.w_rec * (top / T) / unit), -1, 1)
    )
    with pytest.raises(ParameterError, match="weight_bits"):
        S.train_elman(d["x_train"][:4], d["y_train"][:4], epochs=1, weight_bits=2)
    for key in ("qat", "weight_qat"):  # a string "false" is not read as true
        with pytest.raises(sm.SpikemeshError, match=key):
            S.build({"chip": "loihi", "order": "rows", "timesteps": T, "weight_bits": wb,
                     key: "false"})  # fmt: skip


def test_quantize_tops_override_the_percentile(rng):
    layers = [convert.Dense(rng.normal(size=(4, 6))), convert.Dense(rng.normal(size=(6, 2)))]
    x = rng.random((50, 4))
    q = convert.quantize(layers, x, weight_bits=8, spike_bits=2, tops=[3.0, None])
    assert q.layers[0].scale == pytest.approx(1.0, rel=0.05)  # 3.0 / cap 3
    with pytest.raises(sm.ShapeError, match="tops"):
        convert.quantize(layers, x, tops=[1.0])
    with pytest.raises(ParameterError, match="tops"):
        convert.quantize(layers, x, tops=[-1.0, None])


def test_sequences_and_bad_training_input():
    x = np.arange(2 * 64).reshape(2, 64) / 128
    assert S.sequences(x, "rows").shape == (2, 8, 8)
    assert S.sequences(x, "pixels").shape == (2, 64, 1)
    with pytest.raises(ParameterError, match="order"):
        S.sequences(x, "columns")
    with pytest.raises(ParameterError, match="hidden"):
        S.train_elman(S.sequences(x, "rows"), [0, 1], hidden=0)
    with pytest.raises(ParameterError, match="top"):
        S.train_elman(S.sequences(x, "rows"), [0, 1], levels=2, top=0)
    pt = {"chip": "loihi", "order": "rows", "timesteps": 1, "weight_bits": 8, "samples": 500}
    with pytest.raises(ParameterError, match="samples"):  # not silently 397
        S.evaluate(S.build(pt), pt)


def test_a_chip_that_cannot_hold_the_point_is_a_stored_reason(tmp_path):
    res = sm.study.sweep(S.build, {"order": ["rows"], "chip": ["truenorth"], "timesteps": [1],
                                   "weight_bits": [8], "samples": [5]}, S.evaluate,
                         store=tmp_path / "s.sqlite", workers=0, progress=False)  # fmt: skip
    (rec,) = res.records
    assert "weight_bits=8" in rec["error"]


def test_the_sweep_config_runs_from_the_shell(tmp_path, capsys):
    cfg = tmp_path / "seq.toml"
    text = (Path(__file__).resolve().parents[2] / "examples" / "sequences.toml").read_text()
    text = text.replace('order = ["rows", "pixels"]', 'order = ["rows"]')
    text = text.replace('chip = ["loihi", "truenorth", "loihi2"]', 'chip = ["loihi"]')
    text = text.replace("timesteps = [1, 2, 4, 8]", "timesteps = [2]")
    text = text.replace("weight_bits = [2, 4, 8]", "weight_bits = [8]")
    text = text.replace("samples = [397]", "samples = [10]").replace("workers = 2", "workers = 0")
    cfg.write_text(text)
    from spikemesh.cli import main

    assert main(["sweep", str(cfg), "--format", "csv", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "window" in out and "True" in out  # scheme, exact


def test_signed_training_keeps_signed_layers():
    d = S.data("rows", 0, 2, "hardtanh")
    assert d["float_accuracy"] > 0.9  # 98.0 % measured
    assert d["layers"][0].activation == "hardtanh" and d["tops"][0] == 1.0
    q = convert.quantize(d["layers"], d["x_train"], weight_bits=8, spike_bits=1, input_bits=1,
                         timesteps=2, tops=d["tops"])  # fmt: skip
    assert q.layers[0].signed
    assert (q.predict(d["x_test"])[:, -1] == d["y_test"]).mean() > 0.85  # 95.0 % measured
