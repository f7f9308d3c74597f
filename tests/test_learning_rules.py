"""Loihi's learning rules against Lava 0.10's fixed-point learning model (issue 29):
``tests/data/lava_learning.npz`` (made by ``benchmarks/peers/make_lava_learning_traces.py`` in
Lava's own virtualenv). Weights, tag_1 and tag_2 of every synapse after every step, for
STDPLoihi (potentiation and depression, epochs 1-4) and five general Loihi2FLearningRule rules
(pair, triplet with a u0 term, weight-dependent, tags, tau = 0 traces), on their own seeds."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from spikemesh import kernels
from spikemesh.exceptions import DTypeError, ParameterError, QuantizationWarning, ShapeError
from spikemesh.learning import STDP, LearningRule, Plasticity, parse_rule

DATA = np.load(Path(__file__).resolve().parent / "data" / "lava_learning.npz")
META = json.loads(bytes(DATA["meta"]).decode())
CASES = [c["name"] for c in META["cases"]]


def engine(case: dict, kern=None):
    p = dict(case["params"])
    rule = STDP(**p) if case["rule"] == "stdp" else LearningRule(**p)
    w0 = DATA[f"{case['name']}/w0"]  # Lava's (n_post, n_pre)
    n_post, n_pre = w0.shape
    post, pre = np.meshgrid(np.arange(n_post), np.arange(n_pre), indexing="ij")
    stored = (w0 >> 1) << 1  # Loihi's mixed 8-bit format drops the lowest bit (as Lava does)
    return Plasticity(
        rule, pre.ravel(), post.ravel(), n_pre, n_post, stored.ravel(), kernels=kern
    ), w0.shape


@pytest.mark.parametrize("name", CASES)
def test_weights_and_tags_equal_lavas_after_every_step(name, backend):
    case = next(c for c in META["cases"] if c["name"] == name)
    pl, shape = engine(case, kernels.get(backend))
    pre, post = DATA[f"{name}/pre"], DATA[f"{name}/post"]
    for t in range(pre.shape[0]):
        pl.step(pre[t], post[t])
        for var in ("weights", "tag_1", "tag_2"):
            assert_array_equal(pl.vars[var].reshape(shape), DATA[f"{name}/{var}"][t],
                               err_msg=f"{var}, step {t + 1}")  # fmt: skip
    assert pl.epochs == pre.shape[0] // pl.rule.t_epoch
    assert pl.updates == pl.epochs * pl.pre.size  # one per synapse per epoch


def test_the_fixtures_learn_both_ways_and_saturate():
    for name in ("stdp_basic", "stdp_depress", "rule_pair"):
        dw = np.diff(DATA[f"{name}/weights"], axis=0)
        assert (dw > 0).any() and (dw < 0).any(), name
    assert DATA["stdp_epoch4/weights"].min() == -256  # the mixed format's floor
    assert DATA["rule_tags/tag_1"].max() > 0 and DATA["rule_tags/tag_2"].max() > 0


def test_stdp_writes_lavas_rule_string():
    r = STDP(learning_rate=1, A_plus=0.5, A_minus=-2, tau_plus=8, tau_minus=8)
    assert r.strings["dw"] == "(1) * (-2) * x0 * y1 + (1) * (1) * 2 ^ -1 * y0 * x1"
    assert r.x_taus == (8, 0) and r.y_taus == (8, 0, 0) and r.x_impulses[0] == 16


def test_the_parser_folds_scales_and_reads_every_factor_form():
    (p,) = parse_rule("dw", "-3*2^-2 * y0 * (x1 + 2) * sgn(w - 1)")
    assert (p.dependency, p.mantissa, p.exponent) == ("y0", -3, -2)
    assert [(f.var, f.const, f.sgn) for f in p.factors] == [("x1", 2, False), ("w", -1, True)]
    (p,) = parse_rule("dw", "16 * u0")  # halved while above 7: 4 * 2^2, as Lava does
    assert (p.dependency, p.mantissa, p.exponent) == ("u0", 4, 2)
    (p,) = parse_rule("dt", "2^-1 * y1 * x0 * y0")  # a later dependency is a factor
    assert p.dependency == "x0" and [f.var for f in p.factors] == ["y1", "y0"]


@pytest.mark.parametrize(("rule", "match"), [
    ("x1 * y1", "has no dependency"),
    ("9 * x0", "mantissa in -8..7"),
    ("2^-8 * x0", "exponent -8 is outside"),
    ("x0 * (x1 + y1)", "not one of Loihi's factor forms"),
    ("x0 * sgn(x1)", "sgn"),
    ("x0 * (-x1)", "outside the brackets"),
    ("x0 * z", "cannot read 'z'"),
    ("x0 * (x1 + 2", "not closed"),
    ("", "non-empty"),
])  # fmt: skip
def test_terms_a_chip_cannot_express_are_refused_by_name(rule, match):
    with pytest.raises(ParameterError, match=match):
        parse_rule("dw", rule)


def test_rule_sets_are_checked_where_they_enter():
    with pytest.raises(ParameterError, match="at least one of dw, dd, dt"):
        LearningRule()
    with pytest.raises(ParameterError, match="one decimation"):
        LearningRule(dw="u0 * x1", dt="u1 * y1")
    with pytest.raises(ParameterError, match="t_epoch"):
        LearningRule(dw="x0", t_epoch=64)
    with pytest.raises(ParameterError, match=r"LearningRule.x1_impulse"):
        LearningRule(dw="x0", x1_impulse=-1)


PARSES = json.loads(
    (Path(__file__).resolve().parent / "data" / "lava_rule_parses.json").read_text()
)


@pytest.mark.parametrize("rec", PARSES["parses"], ids=lambda r: r["rule"])
def test_rules_parse_as_lava_parses_them(rec):
    """Against Lava's own ProductSeries (benchmarks/peers/make_lava_rule_parses.py)."""
    if "error" in rec:
        with pytest.raises(ParameterError):
            parse_rule("dw", rec["rule"])
        return
    got = parse_rule("dw", rec["rule"])
    assert len(got) == len(rec["products"])
    for p, want in zip(got, rec["products"], strict=True):
        dep = want["dependency"] + (str(want["decimate"]) if want["dependency"] == "u" else "")
        assert (p.dependency, p.mantissa, p.exponent) == (dep, want["mantissa"], want["exponent"])
        assert [[f.var, f.const, f.sgn] for f in p.factors] == want["factors"]


def test_stdp_says_when_a_number_is_not_a_power_of_two_multiple():
    with pytest.warns(QuantizationWarning, match=r"A_plus=0.3 is written 1 \* 2\^-2 = 0.25"):
        STDP(learning_rate=1, A_plus=0.3, A_minus=-1, tau_plus=5, tau_minus=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        STDP(learning_rate=2, A_plus=0.5, A_minus=-3, tau_plus=5, tau_minus=5)  # exact: silent


def test_the_engine_checks_its_synapses_where_they_enter():
    rule = STDP(learning_rate=1, A_plus=1, A_minus=-1, tau_plus=5, tau_minus=5)
    with pytest.raises(ShapeError, match="same length"):
        Plasticity(rule, [0, 1], [0], 2, 2, [2, 4])
    with pytest.raises(ParameterError, match=r"Plasticity.post"):
        Plasticity(rule, [0, 1], [0, 2], 2, 2, [2, 4])  # post neuron 2 of 2
    with pytest.raises(ShapeError, match=r"Plasticity.weights: one value per synapse"):
        Plasticity(rule, [0, 1], [0, 1], 2, 2, [2, 4, 6])
    with pytest.raises(ParameterError, match=r"Plasticity.weights"):
        Plasticity(rule, [0, 1], [0, 1], 2, 2, [2, 300])  # beyond the mixed format
    with pytest.raises(ParameterError, match=r"Plasticity.weights"):
        Plasticity(rule, [0, 1], [0, 1], 2, 2, [-2, 4], sign_mode="excitatory")
    with pytest.raises(DTypeError, match=r"Plasticity.weights: must hold whole numbers"):
        Plasticity(rule, [0, 1], [0, 1], 2, 2, [2.5, 4])  # not silently truncated
    with pytest.raises(ParameterError, match=r"Plasticity.tag_2"):
        Plasticity(rule, [0, 1], [0, 1], 2, 2, [2, 4], tag_2=[-1, 0])
    with pytest.raises(ParameterError, match=r"Plasticity.rule"):
        Plasticity("stdp", [0], [0], 1, 1, [2])


def test_uk_is_only_ever_a_dependency():
    with pytest.raises(ParameterError, match="u0 can only be a product's dependency"):
        parse_rule("dw", "x0 * u0 * y1")  # Lava ignores the u0 here without a word


def _products_by_hand(products, acc, values, u):
    """Lava's LearningRuleApplierBitApprox written out product by product (the readable form
    the compiled programs must equal)."""
    from spikemesh import learning as L

    lo, hi = -(2**L.ACC_BITS) - 1, 2**L.ACC_BITS - 1

    def wrap(v):
        return ((v + 2**31) & (2**32 - 1)) - 2**31

    for p in products:
        dep = "u" if p.dependency[0] == "u" else p.dependency
        r = np.full(acc.shape, u, np.int64) if dep == "u" else values[dep].astype(np.int64)
        width = 0
        for f in p.factors:
            b = L.FACTOR_BITS[f.var]
            width += b
            name = f.var if f.var in ("x0", "y0", "w", "d", "t") else f"{f.var}_{dep}"
            v = values[name] + f.const
            if f.sgn:
                v = np.sign(v)
            r = wrap(r * np.clip(v, -(2**b), 2**b - 1))
        r = wrap(r * p.mantissa) >> max(0, width + L.SCALE_MANT_BITS - L.ACC_BITS)
        r = wrap(r << (p.exponent + L.SYN_SHIFT))
        acc = np.clip(acc + np.clip(r, lo, hi), lo, hi)
    return acc


def test_compiled_rule_programs_equal_the_products_they_come_from(compiled):
    """Every rule string Lava parses (tests/data/lava_rule_parses.json) compiled to a program:
    apply_products, the NumPy twin (apply_program) and the compiled kernel give what the
    products computed by hand give, on
    random traces, spike bits, weights, tags and uk, including the int32 wrap of wide products
    and saturation of the 16-bit accumulator."""
    from spikemesh import learning as L

    rules = json.loads((Path(__file__).resolve().parent / "data" / "lava_rule_parses.json")
                       .read_text())["parses"]  # fmt: skip
    rng = np.random.default_rng(2929)
    n, done = 257, 0
    for rec in rules:
        try:
            products = parse_rule("dw", rec["rule"], "t")
        except ParameterError:
            continue
        prog = L.compile_products(products)
        for _ in range(20):
            vals = np.zeros((len(L.VALUE_NAMES), n), np.int64)
            for k, name in enumerate(L.VALUE_NAMES):
                hi = 2 if name in ("x0", "y0") else (256 if name in ("w", "d", "t") else 128)
                lo = -257 if name in ("w", "t") else 0
                vals[k] = rng.integers(lo, hi, n)
            values = {name: vals[k] for k, name in enumerate(L.VALUE_NAMES)}
            acc = rng.integers(-(2**15), 2**15, n).astype(np.int64)
            u = int(rng.integers(0, 2))
            want = _products_by_hand(products, acc.copy(), values, u)
            assert_array_equal(L.apply_products(products, acc.copy(), values, u), want)
            a, b = acc.copy(), acc.copy()
            L.apply_program(prog, vals, a, u)
            compiled.apply_program(prog, vals, b, u)
            assert_array_equal(a, want, err_msg=rec["rule"])
            assert_array_equal(b, want, err_msg=rec["rule"])
        done += 1
    assert done >= 15
    with pytest.raises(ValueError, match="apply_program"):
        compiled.apply_program(np.array([1, 99, 1, 0, 1, 0], np.int64), vals, acc, 0)
