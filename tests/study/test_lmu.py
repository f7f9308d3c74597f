"""The LMU study's pieces: matrices, the reference, sigma-delta input, tuning curves."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")
from spikemesh.exceptions import ParameterError
from spikemesh.study import lmu


def test_matrices_and_reference_remember_the_window():
    ab, bb = lmu.lmu_matrices(4, 50)
    assert bb.shape == (4,)
    assert ab.shape == (4, 4) and np.abs(np.linalg.eigvals(ab)).max() < 1  # stable
    u = lmu.signal(2000, seed=1)
    assert np.abs(u).max() == pytest.approx(0.95)
    assert lmu.nrmse(lmu.reference(u, 6, 50), u, 50) < 0.02  # u[t - 50] from 6 numbers


def test_sigma_delta_tracks_the_running_sum():
    u = lmu.signal(500, seed=2)
    s = lmu.sigma_delta(u)
    assert (s[:, 2] == 1).all()
    assert np.abs(np.cumsum(s[:, 0] - s[:, 1]) - np.cumsum(u)).max() <= 0.5 + 1e-12
    with pytest.raises(ParameterError, match=r"\|u\| must be <= 1"):
        lmu.sigma_delta(np.array([1.5]))


def test_tuning_is_the_compartments_own_rule():
    r = lmu.tuning(np.array([0, 3200, 6401, 12800]), dv=0, threshold=6400, steps=60)
    # a perfect integrator: fires when v > 6400, resets to 0
    assert r.tolist() == [0.0, pytest.approx(20 / 60), 1.0, 1.0]


def test_truenorth_run_refuses_options_it_does_not_take():
    with pytest.raises(ParameterError, match=r"weight_bits apply to the CubaLIF populations"):
        lmu.run(2, steps=100, chip="truenorth", weight_bits=4)
