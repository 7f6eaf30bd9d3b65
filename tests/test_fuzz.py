"""Property-based tests: the real files, mutated, load or fail in one CoachError line, within budget."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice.testing import fuzz

FUZZ = settings(
    max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Few cases, the same each run, and no per-case deadline: fast and steady on a loaded two-core machine
(``within_budget`` still fails a case taking many seconds or hundreds of megabytes). Deeper runs with
fresh cases: scripts/fuzz.py --minutes N."""

MORE_CASES = {"intent": 200, "config": 60, "wav": 60}
"""Targets cheap enough for more cases."""


@pytest.mark.parametrize("name", list(fuzz.TARGETS))
def test_mutated_input_loads_or_fails_in_one_line(name: str) -> None:
    """Content files, config and state files, simulate scripts, WAV headers and bytes, history rows, and
    any text to the intent matcher."""
    case, strategies = fuzz.TARGETS[name]

    @settings(FUZZ, max_examples=MORE_CASES.get(name, 25))
    @given(st.tuples(*strategies))
    def check(args: tuple[Any, ...]) -> None:
        case(*args)

    before = fuzz.TRIED[name]
    check()
    assert fuzz.TRIED[name] > before
