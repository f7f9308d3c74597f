"""Record how Lava 0.10 parses learning-rule strings (for issue 29's parser tests).

For each rule string, Lava's ``ProductSeries`` (``lava.magma.core.learning.product_series``):
per product its dependency, scale mantissa, scale exponent (Lava stores exponent + 7) and
factors (state variable, constant, sgn); or the error Lava raises. Saved as
``tests/data/lava_rule_parses.json``. Run in Lava's own Python 3.10 virtualenv (see
make_lava_learning_traces.py); it does not import spikemesh and CI never runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lava.magma.core.learning.product_series import ProductSeries
from lava.magma.core.learning.symbolic_equation import SymbolicEquation

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "lava_rule_parses.json"
RULES = [
    "2^-2 * x1 * y0 - 2^-2 * y1 * x0",
    "2^-3 * x1 * y0 * y2 - 2^-4 * y1 * x0 + 2^-5 * u0 * x2",
    "2^-4 * x1 * y0 * w - 2^-3 * y1 * x0 + 3 * u0",
    "-3*2^-2 * y0 * (x1 + 2) * sgn(w - 1)",
    "16 * u0",
    "12 * x0 * y1",
    "-8 * y0",
    "5 * 2 * x0",
    "2^3 * 3 * x0 * t",
    "x0 * (2 + y1) * (d - 3)",
    "x0 * (-y1 + 4)",
    "y0 * (3) * x1",
    "(1) * (-2) * x0 * y1 + (1) * (1) * 2 ^ -1 * y0 * x1",
    "2^-7 * x0 * y1 * y2 * y3",
    "2^8 * u1",
    "x0 * y0 * x1",
    "u2 * sgn(t + 1) - y0 * x2",
    "2 * x0 - 4 * y0 + 6 * u0",
    "9 * x0",
    "2^-8 * x0",
    "x1 * y1",
]


def dump(rule: str) -> dict:
    try:
        ps = ProductSeries(SymbolicEquation("dw", rule))
    except Exception as exc:  # Lava's refusal, recorded as such
        return {"rule": rule, "error": f"{type(exc).__name__}: {exc}"}
    return {
        "rule": rule,
        "products": [
            {
                "dependency": p.dependency,
                "decimate": p.decimate_exponent,
                "mantissa": p.s_mantissa,
                "exponent": p.s_exp - 7,
                "factors": [[f.state_var, f.const or 0, f.is_sgn] for f in p.factors],
            }
            for p in ps.products
        ],
    }


def main() -> int:
    out = [dump(r) for r in RULES]
    for d in out:
        print(d["rule"], "->", d.get("error") or len(d["products"]))
    OUT.write_text(json.dumps({"lava_version": "0.10.0", "parses": out}, indent=1) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
