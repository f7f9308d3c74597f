"""Chip profiles load from data files; malformed ones fail with the file, key, value and rule."""

from __future__ import annotations

import re

import pytest

import spikemesh as sm
from spikemesh.chips import PROFILE_DIR, tomllib
from tests.networks import make_profile


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
        ("clock_hz = 1.0e9", "clock_hz = 0", r"\[chip\] clock_hz = 0: must be a finite number > 0"),
        (
            "clock_hz = 1.0e9",
            "clock_hz = inf",
            r"\[chip\] clock_hz = inf: must be a finite number > 0",
        ),
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


# ------------------------------------------------------------------ every key declared
@pytest.mark.parametrize(
    "table,line,nearest",
    [
        ("timing", "synaptic_op_nss = 3.5", "synaptic_op_ns"),
        ("timing", "hop_ew_nss = 4.1", "hop_ew_ns"),
        ("energy.davies2018", "synaptic_op_pjj = 23.6", "synaptic_op_pj"),
        ("energy.davies2018", "static_power = 0.1", "static_power_w"),
        ("formats", "v_bitz = 24", "v_bits"),
    ],
)
def test_profile_typos_name_the_key_and_the_nearest_valid_one(tmp_path, table, line, nearest):
    text = (PROFILE_DIR / "loihi.toml").read_text().replace(f"[{table}]", f"[{table}]\n{line}", 1)
    path = tmp_path / "typo.toml"
    path.write_text(text)
    key = line.split(" = ")[0]
    with pytest.raises(sm.ProfileError, match=rf"\[{re.escape(table)}\] {key} = .*unknown key; "
                       rf"did you mean '{nearest}'\?"):  # fmt: skip
        sm.chips.load(path)


def _raw(name: str) -> dict:
    with open(PROFILE_DIR / f"{name}.toml", "rb") as fh:
        raw = tomllib.load(fh)
    base = raw.pop("base", None)
    if base is None:
        return raw
    merged = _raw(base)
    for section, table in raw.items():
        merged[section] = {**merged.get(section, {}), **table}
    return merged


@pytest.mark.parametrize("name", sm.chips.available())
def test_every_key_of_every_shipped_profile_round_trips(name):
    got = sm.chips.get(name).to_dict()
    raw = _raw(name)
    n = 0
    for section, table in raw.items():
        for key, value in table.items():
            if isinstance(value, dict):  # [energy.NAME], [documentation.NAME]
                for k, v in value.items():
                    assert got[section][key][k] == v, (section, key, k)
                    n += 1
            else:
                assert got[section][key] == value, (section, key)
                n += 1
    assert n > 40


def test_a_derived_profile_inherits_from_its_base(tmp_path):
    board, loihi = sm.chips.get("loihi_board"), sm.chips.get("loihi")
    assert board.base == "loihi" and board.core == loihi.core
    for name, table in loihi.energy.items():  # the base's sets, plus the board's link energy
        assert board.energy[name] == {**table, "chip_link_pj": 320.0}
    assert board.mesh.n_chips == 4 and board.timing["chip_link_ns"] == 100.0
    assert loihi.timing["chip_link_ns"] == loihi.timing["hop_ew_ns"]  # the declared default
    path = tmp_path / "mine.toml"
    path.write_text('base = "loihi"\n[chip]\nname = "mine"\n[core]\nneurons = 64\n')
    mine = sm.chips.load(path)
    assert (mine.name, mine.core.neurons, mine.core.input_axons) == ("mine", 64, 4096)
    loop = tmp_path / "loop.toml"
    loop.write_text('base = "loop.toml"\n')
    with pytest.raises(sm.ProfileError, match="inherit in a circle"):
        sm.chips.load(loop)


def test_documentation_tables_are_kept_but_never_priced():
    tn = sm.chips.get("truenorth")
    assert tn.documentation["published"]["synaptic_event_all_in_pj"] == 26.0
    assert "published" not in tn.energy


def test_an_absurd_mesh_is_refused(tmp_path):
    path = make_profile(tmp_path, tiles_x=20000, tiles_y=20000)
    with pytest.raises(sm.ProfileError, match=r"1600000000 cores.*at most 1,048,576 cores"):
        sm.chips.load(path)


@pytest.mark.parametrize("old,new,match", [
    ("flit_bits = 32", "flit_bits = 0", r"\[timing\] flit_bits = 0: must be a whole number in 1\.\.4096"),
    ("flit_bits = 32", "flit_bits = 8.5", r"\[timing\] flit_bits = 8\.5: must be a whole number"),
    ("u_bits = 24", "u_bits = 64", r"\[formats\] u_bits = 64: must be a whole number in 1\.\.32"),
    ('neuron_models = ["CubaLIF", "IF"]', "neuron_models = []", r"must list at least one model"),
    ('neuron_models = ["CubaLIF", "IF"]', 'neuron_models = ["IF", "IF"]', r"lists a model twice"),
    ("weight_exp_min = -8", "weight_exp_min = 9", r"weight_exp_min = 9: must be <= weight_exp_max \(7\)"),
    ("barrier_ns = [113.0, 465.0]", "barrier_ns = [465.0, 113.0]", r"barrier_ns = \[465\.0, 113\.0\]: must not decrease"),
    ("barrier_tiles = [1, 32]", "barrier_tiles = [32, 1]", r"barrier_tiles = \[32, 1\]: must be whole numbers >= 1 in increasing"),
    ("weight_bits = 8", "weight_bits = 40", r"\[core\] weight_bits = 40: must be a whole number in 1\.\.9"),
])  # fmt: skip
def test_profiles_that_describe_no_chip_are_refused(tmp_path, old, new, match):
    with pytest.raises(sm.ProfileError, match=match):
        sm.chips.load(write(tmp_path, old, new))


def test_inheritance_loops_and_paths_outside_the_folder_are_named(tmp_path):
    d = tmp_path / "profiles"
    d.mkdir()
    (d / "a.toml").write_text('base = "../profiles/b.toml"\n[chip]\nname = "a"\n')
    (d / "b.toml").write_text('base = "./a.toml"\n[chip]\nname = "b"\n')
    with pytest.raises(sm.ProfileError, match=r"base = '\./a\.toml': profiles inherit in a circle"):
        sm.chips.load(d / "a.toml")
    (d / "self.toml").write_text('base = "../profiles/self.toml"\n')
    with pytest.raises(sm.ProfileError, match=r"inherit in a circle"):
        sm.chips.load(d / "self.toml")
    (tmp_path / "outside.toml").write_text((PROFILE_DIR / "loihi.toml").read_text())
    (d / "c.toml").write_text('base = "../outside.toml"\n[chip]\nname = "c"\n')
    with pytest.raises(sm.ProfileError, match=r"outside this profile's folder"):
        sm.chips.load(d / "c.toml")
    (d / "ok.toml").write_text('base = "loihi"\n[chip]\nname = "ok"\n')
    assert sm.chips.load(d / "ok.toml").name == "ok"
