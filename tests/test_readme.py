"""The README's Python snippets run, in order, and say what the README claims."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    ns: dict = {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        for block in blocks:
            exec(compile(block, str(README), "exec"), ns)
    printed = buf.getvalue()
    assert "CubaLIF.du: must be an integer in 0..4095 (got 5000)" in printed
    # the tour's output pasted in the README is what the code prints
    text = README.read_text()
    tour_out = re.search(r"Output of this code.*?```\n(.*?)```", text, re.S).group(1)
    assert tour_out.strip() in printed
    kernels_out = re.search(r"## Kernels directly.*?It prints.*?```\n(.*?)```", text, re.S).group(1)
    assert kernels_out.strip() in printed
    out = ns["out"]
    assert out["u"][:5, 0].tolist() == [0, 6400, 5757, 5179, 4659]
    assert out["spikes"][:, 0].tolist().index(1) == 4


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    lines = first_block.strip().splitlines()
    assert lines == [
        'pip install ".[demo]" && spikemesh demo',
        'pip install -e ".[test]" && python -m pytest -q',
    ]
