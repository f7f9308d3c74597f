"""Examples run as scripts; their printed results are checked against independent models."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.golden import loihi_layer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def _from_a_temporary_folder(tmp_path, monkeypatch):
    """Every example runs from a folder of its own: nothing it needs is relative to the repo,
    and nothing it writes lands in it."""
    monkeypatch.chdir(tmp_path)


def run_example(name: str) -> str:
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, check=True, timeout=120)  # fmt: skip
    return proc.stdout


def test_01_loihi_lif_impulse():
    out = run_example("01_loihi_lif_impulse.py")
    # [1] impulse trace equals the plain-loop Loihi model
    rows = re.findall(r"^\s+(\d+)\s+(-?\d+)\s+(-?\d+)\s+([01])$", out, re.M)
    assert len(rows) == 12
    U, V, S = loihi_layer([[100]], [[1]] + [[0]] * 11, du=410, dv=205, vth=300)
    assert [int(r[1]) for r in rows] == [u[0] for u in U]
    assert [int(r[2]) for r in rows] == [v[0] for v in V]
    assert [int(r[3]) for r in rows] == [s[0] for s in S]
    assert "first spike at step 4" in out
    # [2] the layer's numbers equal the golden loop on the same seeded data
    rng = np.random.default_rng(0)
    w = rng.integers(-100, 128, (64, 16))
    w[rng.random(w.shape) < 0.5] = 0
    x = (rng.random((100, 64)) < 0.05).astype(int)
    _, _, S = loihi_layer(w.tolist(), x.tolist(), 410, 205, 400, bias=100 << 3)
    per_neuron = np.array(S).sum(axis=0).tolist()
    assert f"per neuron: {per_neuron}" in out
    events = int((x @ (w != 0).sum(axis=1)).sum())  # every input row's events, in its step
    assert f"synaptic events: {events}" in out
    assert sum(per_neuron) > 0
    # [3] graded payloads, computed by hand (vth 16, cap 7, subtract reset)
    assert "payload+: [0, 0, 0, 3, 4, 7, 1]" in out
    assert "payload-: [0, 0, 0, -3, -4, -7, -1]" in out


def test_02_energy_estimates():
    import importlib.util

    import spikemesh as sm

    out = run_example("02_energy_estimates.py")
    spec = importlib.util.spec_from_file_location("ex02", EXAMPLES / "02_energy_estimates.py")
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    # recount the binary case's synaptic events from spikes x fan-out, independently of energy.py
    rng = np.random.default_rng(0)
    net = ex.build(rng, sm.CubaLIF(du=410, dv=205, vth=1000), sm.CubaLIF(du=1000, dv=300, vth=3000))
    X = (np.random.default_rng(1).random((100, 64)) < 0.1).astype(np.int32)
    res = sm.Simulator(sm.map_network(net, "loihi")).run(100, inputs={"x": X})
    fan1 = (net.projections[0].dense() != 0).sum(axis=1)
    fan2 = (net.projections[1].dense() != 0).sum(axis=1)
    events = int((X @ fan1).sum() + ((res.spikes["h"] != 0) @ fan2).sum())
    assert f"SynOps sees {events:,} synaptic events" in out
    assert f"the chip model also charges {100 * 138:,} neuron updates" in out
    # the three estimates disagree by orders of magnitude, and move differently with bits
    m = re.search(
        r"SynOps per inference: .*\(x([\d.]+)\); Bit Budget: .*\(x([\d.]+)\); chip: .*\(x([\d.]+)\)",
        out,
    )
    synops_x, bb_x, chip_x = map(float, m.groups())
    assert synops_x > 1 > bb_x and chip_x < 1


def test_03_spike_rate_breakeven(tmp_path):
    """The break-even table has a row per chip and T, says which TrueNorth T do not fit, and
    the plot is written."""
    pytest.importorskip("sklearn")
    png = tmp_path / "be.png"
    proc = subprocess.run([sys.executable, str(EXAMPLES / "03_spike_rate_breakeven.py"),
                           "--samples", "8", "--out", str(png)],
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    rows = [ln.split(" | ") for ln in proc.stdout.splitlines() if re.match(r"\| \w+ \| \d+ ", ln)]
    assert [(r[0][2:], int(r[1])) for r in rows] == [
        (c, t) for c in ("loihi", "truenorth", "loihi2") for t in (1, 2, 4, 8, 16)]  # fmt: skip
    unfit = [int(r[1]) for r in rows if r[3].startswith("does not fit")]
    assert unfit == [8, 16]  # truenorth: T = 8, 16 exceed 256 axons at every weight width
    assert [r[2] for r in rows if r[0] == "| truenorth"][:3] == ["4", "3", "2"]
    assert png.stat().st_size > 20000


def test_04_nir_import(tmp_path):
    """The snnTorch-style NIR file is written, read back on each chip, and the emulated chips
    classify like NIR's float semantics; TrueNorth is refused with the reason."""
    pytest.importorskip("sklearn")
    pytest.importorskip("nir")
    path = tmp_path / "digits.nir"
    proc = subprocess.run([sys.executable, str(EXAMPLES / "04_nir_import.py"), "--samples", "20",
                           "--steps", "24", "--out", str(path)],
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    assert path.stat().st_size > 50000
    ref = float(
        re.search(r"NIR semantics in float64 \(NumPy\): accuracy ([\d.]+)%", proc.stdout)[1]
    )
    rows = {ln.split(" | ")[0][2:]: ln.split(" | ") for ln in proc.stdout.splitlines()
            if ln.startswith("| loihi")}  # fmt: skip
    assert set(rows) == {"loihi", "loihi2"}
    for r in rows.values():
        assert r[1] == "1" and 0 < float(r[2].rstrip("%")) < 1  # one core; weights rounded < 1 %
        assert abs(float(r[3].rstrip("%")) - ref) <= 10  # accuracy within 2 of 20 digits
        assert float(r[4].rstrip("%")) > 90  # spike decisions equal to the float model
    assert (
        "| truenorth | refused: from_nir: NIR neurons become Loihi CUBA compartments" in proc.stdout
    )


def test_05_bmi_decoding(tmp_path):
    """Short mode: the converted decoders track velocity, the Bessel filter improves R² and
    the Butterworth does less, the filter costs 20 MACs, TrueNorth T=2 does not fit."""
    pytest.importorskip("sklearn")
    pytest.importorskip("scipy")
    png = tmp_path / "bmi.png"
    proc = subprocess.run([sys.executable, str(EXAMPLES / "05_bmi_decoding.py"), "--seconds", "60",
                           "--test", "300", "--out", str(png)],
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    out = proc.stdout
    assert "20 MACs per decoded sample each, 292.0 pJ on the host (fp32)" in out
    rows = {}
    for ln in out.splitlines():
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if ln.startswith(("| SNN (", "| float MLP")):
            rows[(cells[1], cells[2])] = tuple(float(c) for c in cells[5:8])
    assert set(rows) == {("-", "-"), ("loihi2", "1"), ("loihi", "8"), ("loihi", "16"),
                         ("truenorth", "1")}  # fmt: skip
    for key in [("-", "-"), ("loihi2", "1"), ("loihi", "8"), ("loihi", "16")]:
        raw, bessel, butter = rows[key]
        assert raw > 0.65 and bessel > raw + 0.05 and bessel > butter, (key, rows[key])
    assert rows[("truenorth", "1")][0] < 0.2  # one activation level cannot decode
    assert "| SNN | truenorth | 2 | 4 | 1 | does not fit:" in out
    assert png.stat().st_size > 20000


def test_06_transformer_energy():
    """A tiny block: the conventional SynOps figure equals the hand count, binary chips are
    refused with the reason, the chip model exceeds the conventional estimate."""
    proc = subprocess.run([sys.executable, str(EXAMPLES / "06_transformer_energy.py"), "--tokens",
                           "4", "--dim", "8", "--heads", "2", "--ssm-dim", "4", "--steps", "2"],
                          capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in proc.stdout.splitlines()
            if ln.startswith("| Spikformer") or ln.startswith("| spiking SSM")]  # fmt: skip
    att = next(r for r in rows if r[0].startswith("Spikformer") and r[1] == "loihi2")
    # SOPs per step: q, k, v 3 x 4*8*8*0.15; qk 4*4*4*2*0.1; attn 4*4*4*2*(4*0.1*0.1);
    # proj 4*8*8*0.2; mlp1 4*8*32*0.15; mlp2 4*32*8*0.1 -> 440.32 x 2 steps x 0.9 pJ
    assert float(att[4]) == pytest.approx(440.32 * 2 * 0.9e-6, rel=1e-3)
    assert float(att[3]) > 10 * float(att[4])
    refused = [r for r in rows if r[1] in ("loihi", "truenorth")]
    assert len(refused) == 4 and all("carries 1-bit spikes" in r[2] for r in refused)
    assert "spiking SSM block (L=4, D=4, E=8, S=16) on loihi2, per sample:" in proc.stdout


def test_07_membrane_smoothing(tmp_path):
    """Short mode: smoothing lags (alpha = 0.75 is at chance at T = 2 while IF is not), every
    variant reaches the quantized ANN's accuracy by T = 32, and the Bit Budget rises."""
    pytest.importorskip("sklearn")
    proc = subprocess.run([sys.executable, str(EXAMPLES / "07_membrane_smoothing.py"),
                           "--samples", "60"], capture_output=True, text=True, check=True,
                          timeout=300)  # fmt: skip
    acc = {}
    for ln in proc.stdout.splitlines():
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if ln.startswith(("| IF | - | 25", "| IF | - |", "| SmoothIF |")) and len(cells) == 8:
            acc[cells[1]] = [float(c.split("%")[0]) for c in cells[2:]]
    assert set(acc) == {"-", "0.25", "0.50", "0.75"}
    assert acc["0.75"][1] < 20 < acc["-"][1]
    assert all(row[-1] >= 90 for row in acc.values())
    bb = {}
    for ln in proc.stdout.splitlines():
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if len(cells) == 7 and cells[2] == "32":
            bb[cells[1]] = float(cells[6])
    assert bb["0.50"] > 1.15 * bb["-"]


def test_08_spiking_lmu():
    """Short mode: the CUBA memory reconstructs the delayed input far better than chance, the
    current-free one does not, TrueNorth's stochastic-threshold pairs do in between."""
    pytest.importorskip("scipy")
    proc = subprocess.run([sys.executable, str(EXAMPLES / "08_spiking_lmu.py"), "--steps", "1200",
                           "--orders", "2,4", "--n-per", "64"],
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    rows = {}
    for ln in proc.stdout.splitlines():
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if ln.startswith(("| cubalif", "| lif")):
            rows[(cells[0], cells[1], cells[2])] = (float(cells[3]), float(cells[4]))
        if ln.startswith("| truenorth"):
            rows[(cells[0], cells[1], cells[2])] = (float(cells[3]), float(cells[4]))
    assert len(rows) == 10
    flt, spk = rows[("cubalif", "8", "4")]
    assert flt < 0.05 and spk < 0.35  # float LMU; spiking CUBA memory
    assert all(rows[("lif", wb, d)][1] > 0.9 for wb in ("8", "4") for d in ("2", "4"))
    assert all(rows[("truenorth", "4", d)][1] < 0.7 for d in ("2", "4"))


def test_09_blocks_that_run():
    """The docs' smallest block and a tinier one run on loihi2; measured and priced synaptic
    events agree within 5 %, dynamic energy within 5 % on the docs' block (the tiny one's
    active-update gap is larger: its LIF layers outweigh its products)."""
    proc = subprocess.run([sys.executable, str(EXAMPLES / "09_blocks_that_run.py"), "--sizes",
                           "16x32x2,8x16x2", "--ssm-sizes", "8x8x4"],
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in proc.stdout.splitlines()
            if ln.startswith(("| attention", "| SSM"))]  # fmt: skip
    assert [r[0] for r in rows] == ["attention N=16, D=32, H=2", "attention N=8, D=16, H=2",
                                    "SSM L=8, D=8, E=16, S=4"]  # fmt: skip
    for r, bound in zip(rows, (5, 10, 5), strict=True):
        meas, priced = (float(x.replace(",", "")) for x in r[6].split(" / "))
        assert priced == pytest.approx(meas, rel=0.05)
        pct = float(r[9].split("(")[1].split("%")[0])
        assert abs(pct) < bound
    assert "fused-scan ideal over T = 4 steps" in proc.stdout


def test_10_sigma_delta_study():
    """Small run: the table has every version, holding frames costs sigma-delta nothing."""
    pytest.importorskip("sklearn")
    proc = subprocess.run([sys.executable, str(EXAMPLES / "10_sigma_delta_study.py"), "--samples",
                           "20", "--holds", "1,4", "--vths", "0", "--rate-steps", "8"],
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in proc.stdout.splitlines()
            if ln.startswith(("| 1 ", "| 4 ", "| - "))]  # fmt: skip
    assert [(r[0], r[1]) for r in rows] == [
        ("1", "graded IF"), ("1", "sigma-delta (vth 0 levels)"), ("4", "graded IF"),
        ("4", "sigma-delta (vth 0 levels)"), ("-", "CubaLIF rate")]  # fmt: skip
    assert rows[1][7] == rows[3][7]  # the same hidden messages whether a frame is held or not
    assert float(rows[3][9].replace(",", "")) < float(rows[2][9].replace(",", "")) / 2


def test_11_stdp_digits(tmp_path):
    """Small run: one row per epoch length and the offline rows; updates per digit are the
    plastic synapses x 16 / t_epoch (640 teacher-forced, 128 x 30 winner-take-all) and their
    energy 120 pJ each; the competition table; the plot is written."""
    pytest.importorskip("sklearn")
    png = tmp_path / "stdp.png"
    proc = subprocess.run([sys.executable, str(EXAMPLES / "11_stdp_digits.py"), "--train", "120",
                           "--test", "40", "--t-epochs", "2,16", "--wta-epochs", "4", "--seeds",
                           "0,1", "--out", str(png)], capture_output=True, text=True, check=True,
                          timeout=300)  # fmt: skip
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in proc.stdout.splitlines()
            if ln.startswith(("| teacher", "| offline", "| unsupervised"))]  # fmt: skip
    assert [(r[0], r[1]) for r in rows] == [
        ("teacher-forced, on chip (loihi)", "2"), ("teacher-forced, on chip (loihi)", "16"),
        ("teacher-forced, offline: the rule's fixed point in float", "-"),
        ("offline: logistic regression", "-"), ("unsupervised WTA (30), on chip (loihi)", "4"),
        ("unsupervised WTA (30): its imprinted start, no learning", "-"),
        ("offline: k-means (30 centroids)", "-")]  # fmt: skip
    for r, synapses, t in ((rows[0], 640, 2), (rows[1], 640, 16), (rows[4], 128 * 30, 4)):
        updates = float(r[4].replace(",", ""))
        assert updates == synapses * 16 / t
        assert float(r[5].replace(",", "")) == pytest.approx(updates * 0.120, abs=0.06)
        assert re.fullmatch(r"[\d.]+ % \([\d.]+-[\d.]+\)", r[2])
    assert re.search(r"^\| 4 \| [\d.]+ \| [\d.]+ % \| -\d+ \|$", proc.stdout, re.M)
    assert png.stat().st_size > 10_000


def test_12_sequential_digits(tmp_path):
    """Small grid: rows on loihi and truenorth at T = 1, 2, ReLU and hardtanh; every mapped point
    exact; the points truenorth cannot hold say why; the plot is written."""
    pytest.importorskip("sklearn")
    png = tmp_path / "seq.png"
    proc = subprocess.run([sys.executable, str(EXAMPLES / "12_sequential_digits.py"), "--orders",
                           "rows", "--chips", "loihi,truenorth", "--timesteps", "1,2",
                           "--weight-bits", "4,8", "--samples", "20", "--workers", "0",
                           "--store", str(tmp_path / "s.sqlite"), "--out", str(png)],
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in proc.stdout.splitlines()
            if ln.startswith("| rows |")]  # fmt: skip
    assert len(rows) == 16 and {r[1] for r in rows} == {"relu", "hardtanh"}
    fits = [r for r in rows if not r[5].startswith("does not fit")]
    assert len(fits) >= 10 and all(r[9] == "yes" and r[6] == r[7] for r in fits)
    assert all(("weight_bits=8" in r[5]) or ("axons" in r[5])
               for r in rows if r[5].startswith("does not fit"))  # fmt: skip
    assert png.stat().st_size > 10_000
