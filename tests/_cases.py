"""Cases checked by the property-based tests, per property (printed at the end of the run by
``tests/conftest.py``): a Hypothesis example of a kernel compares every neuron of a batch, so
the count is neurons x steps (or synapses, or keys), not examples."""

from __future__ import annotations

from collections import Counter

CASES: Counter = Counter()
