"""Every plot function writes a non-empty PNG that matplotlib can read back; bad input is a
clear error."""

from __future__ import annotations

import numpy as np
import pytest

import spikemesh as sm

pytest.importorskip("matplotlib")
from spikemesh import plot

PNG = b"\x89PNG\r\n\x1a\n"


def run(timing="cycle", steps=12):
    rng = np.random.default_rng(3)
    net = sm.Network("plotnet")
    x = net.input(40, name="x")
    a = net.population(300, sm.CubaLIF(du=2000, dv=1000, vth=200), name="a")
    b = net.population(20, sm.CubaLIF(du=2000, dv=1000, vth=200), name="b")
    net.connect(x, a, weights=rng.integers(-40, 60, (40, 300)))
    net.connect(a, b, weights=rng.integers(-30, 40, (300, 20)))
    m = sm.map_network(net, sm.chips.override("loihi", {"core.neurons": 64}))
    X = (rng.random((steps, 40)) < 0.3).astype(np.int32)
    return sm.Simulator(m, timing=timing).run(steps, inputs={"x": X})


@pytest.fixture(scope="module")
def result():
    return run()


def records():
    out = []
    for chip, e0 in (("loihi", 1e-6), ("loihi2", 5e-7)):
        for i, bits in enumerate((2, 4, 8)):
            out.append({"chip": chip, "config": f"{chip} w{bits}", "accuracy": 0.5 + 0.1 * i,
                        "energy_chip_J": e0 * (1 + i), "energy_synops_J": e0 / 3,
                        "energy_bitbudget_J": e0 / 5 * bits, "energy_ann_J": e0 / 10})  # fmt: skip
    out.append({"chip": "loihi", "config": "broken", "error": "ValueError: x"})
    return out


def check(fig, path):
    import matplotlib.pyplot as plt

    assert path.stat().st_size > 5000 and path.read_bytes()[:8] == PNG
    img = plt.imread(path)
    assert img.ndim == 3 and img.shape[0] > 300 and img[..., :3].std() > 0.05  # not blank
    plt.close(fig)


def test_study_plots(tmp_path):
    recs = records()
    check(plot.accuracy_energy(recs, label="config", path=tmp_path / "a.png"), tmp_path / "a.png")
    check(plot.energy_estimates(recs, path=tmp_path / "e.png"), tmp_path / "e.png")


def test_run_plots(result, tmp_path):
    rep = result.energy()
    check(plot.energy_breakdown(rep, path=tmp_path / "b.png"), tmp_path / "b.png")
    check(plot.mesh_traffic(result, path=tmp_path / "m.png"), tmp_path / "m.png")
    check(plot.raster(result, path=tmp_path / "r.png"), tmp_path / "r.png")
    check(plot.cycles_per_step(result, path=tmp_path / "c.png"), tmp_path / "c.png")


def test_pareto_front():
    e = np.array([3.0, 1.0, 2.0, 4.0, 2.0])
    a = np.array([0.9, 0.5, 0.8, 0.85, 0.6])
    assert plot.pareto_front(e, a).tolist() == [1, 2, 0]


def test_errors(tmp_path):
    untimed = run(timing="none", steps=3)
    with pytest.raises(sm.ParameterError, match="no timing"):
        plot.mesh_traffic(untimed)
    with pytest.raises(sm.ParameterError, match="0 cycles"):
        plot.cycles_per_step(untimed)
    with pytest.raises(sm.ParameterError, match="no records"):
        plot.accuracy_energy([{"error": "x"}])
    with pytest.raises(sm.ParameterError, match="'acc'"):
        plot.accuracy_energy(records(), accuracy="acc")
    with pytest.raises(sm.ParameterError, match="no energy_<model>_J"):
        plot.energy_estimates([{"accuracy": 1.0}])


def test_what_the_figures_say(result, tmp_path):
    """Legends match what is drawn, titles say what was run, equal-energy points make a
    one-point front, a binary raster does not promise graded payloads."""
    recs = records() + [{"chip": "truenorth", "config": f"tn{i}", "accuracy": 0.8 + 0.05 * i,
                         "energy_chip_J": 1.683e-4 * (1 + 1e-5 * i)} for i in range(3)]  # fmt: skip
    fig = plot.accuracy_energy(recs, title="Accuracy (test run)")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["loihi: 3 configurations", "loihi: Pareto front (3)",
                      "loihi2: 3 configurations", "loihi2: Pareto front (3)",
                      "truenorth: 3 configurations", "truenorth: Pareto front (1)"]  # fmt: skip
    assert fig.axes[0].get_title() == "Accuracy (test run)"
    e = np.array([1.683e-4, 1.68301e-4, 1.68302e-4])
    assert plot.pareto_front(e, np.array([0.8, 0.85, 0.9]), rtol=0.01).tolist() == [2]
    fig = plot.raster(result, note="why steps are silent")
    title = fig.axes[0].get_title()
    spikes = sum(int(np.count_nonzero(v)) for v in result.spikes.values())
    assert title.startswith(f"Spike raster: {spikes:,} spikes") and "payload" not in title
    assert "why steps are silent" in title
    assert [t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    fig = plot.energy_breakdown(result.energy(), title="One inference of x")
    assert fig.axes[0].get_title() == "One inference of x"
    drawn = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert drawn <= set().union(*(result.energy().components(m) for m in plot.MODELS))
    fig = plot.mesh_traffic(result)
    assert "cores on" in fig.axes[0].get_title()
