"""Chip profiles load from data files; malformed ones fail with the file, key, value and rule."""

from __future__ import annotations

import pytest

import spikemesh as sm
from spikemesh.chips import PROFILE_DIR


@pytest.fixture(params=["loihi", "loihi2", "loihi_board", "truenorth"])
def chip(request):
    return sm.chips.get(request.param)


def test_shipped_profiles(chip):
    assert chip.name in sm.chips.available()
    assert chip.n_cores == chip.mesh.n_cores > 0
    assert chip.default_energy in chip.energy
    assert chip.sources and all(isinstance(v, str) for v in chip.sources.values())


def test_loihi_numbers_follow_reference():
    c = sm.chips.get("loihi")
    assert (c.n_cores, c.core.neurons, c.core.input_axons, c.core.output_axons) == (
        128,
        1024,
        4096,
        4096,
    )
    assert c.core.synapse_memory_bits == 128 * 1024 * 8 and c.core.max_delay == 62
    assert c.energy["davies2018"]["synaptic_op_pj"] == 23.6
    assert c.timing["barrier_ns"] == (113.0, 465.0)
    t = sm.chips.get("truenorth")
    assert (t.n_cores, t.core.neurons, t.core.input_axons, t.core.max_delay) == (4096, 256, 256, 15)
    assert t.tick_s == 1e-3 and t.core.fanout_cores == 1
    assert "core.neurons" in sm.chips.get("loihi2").unverified


def test_core_positions_cover_the_mesh():
    mesh = sm.chips.get("loihi").mesh
    pos = {mesh.core_position(k) for k in range(mesh.n_cores)}
    assert len(pos) == 128
    assert mesh.core_position(0) == (0, 0, 0) and mesh.core_position(5) == (1, 0, 1)
    assert mesh.core_position(127) == (7, 3, 3)


def test_user_profile_by_path(tmp_path):
    text = (PROFILE_DIR / "loihi.toml").read_text().replace('name = "loihi"', 'name = "tiny"')
    text = text.replace("neurons = 1024", "neurons = 8")
    path = tmp_path / "tiny.toml"
    path.write_text(text)
    chip = sm.chips.get(str(path))
    assert chip.name == "tiny" and chip.core.neurons == 8 and chip.path == str(path)


def write(tmp_path, old, new):
    text = (PROFILE_DIR / "loihi.toml").read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    "old,new,match",
    [
        (
            "neurons = 1024",
            "neurons = -5",
            r"bad\.toml: \[core\] neurons = -5: must be an integer >= 1",
        ),
        ("neurons = 1024", "neurons = 10.5", r"\[core\] neurons = 10\.5: must be an integer"),
        (
            "neurons = 1024",
            "nuerons = 1024",
            r"\[core\] nuerons = 1024: unknown key; did you mean 'neurons'\? allowed: neurons",
        ),
        (
            'neuron_models = ["CubaLIF", "IF"]',
            'neuron_models = ["Izhikevich"]',
            r"unknown model 'Izhikevich'",
        ),
        ("max_delay = 62", "max_delay = 300", r"\[core\] max_delay = 300: must be in 1\.\.255"),
        (
            "synaptic_op_pj = 23.6",
            'synaptic_op_pj = "fast"',
            r"\[energy\.davies2018\] synaptic_op_pj",
        ),
        (
            'default = "davies2018"',
            'default = "nope"',
            r"\[energy\] default = 'nope': must name one of",
        ),
        ("[mesh]", "[meshh]", r"section \[meshh\].*unknown key; did you mean '\[mesh\]'"),
        ("barrier_ns = [113.0, 465.0]", "barrier_ns = [113.0]", r"barrier_tiles/barrier_ns"),
        ("hop_ew_ns = 4.1", "hop_ew_ns = -4.1", r"\[timing\] hop_ew_ns = -4\.1: must be >= 0"),
        ("clock_hz = 1.0e9", "clock_hz = 0", r"\[chip\] clock_hz = 0: must be a number > 0"),
    ],
)
def test_malformed_profiles_are_rejected(tmp_path, old, new, match):
    with pytest.raises(sm.ProfileError, match=match):
        sm.chips.load(write(tmp_path, old, new))


def test_missing_and_unparsable_files(tmp_path):
    text = (PROFILE_DIR / "loihi.toml").read_text()
    path = tmp_path / "bad.toml"
    path.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("input_axons")))
    with pytest.raises(sm.ProfileError, match=r"\[core\] is missing required key 'input_axons'"):
        sm.chips.load(path)
    (tmp_path / "x.toml").write_text("[chip\nname=")
    with pytest.raises(sm.ProfileError, match=r"x\.toml: not valid TOML"):
        sm.chips.load(tmp_path / "x.toml")
    with pytest.raises(sm.ProfileError, match=r"no such chip profile file"):
        sm.chips.get(str(tmp_path / "missing.toml"))
    with pytest.raises(
        sm.ProfileError,
        match=r"unknown chip 'loihi3'; shipped profiles: loihi, loihi2, loihi_board, truenorth",
    ):
        sm.chips.get("loihi3")
