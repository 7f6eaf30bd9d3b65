"""Deeper fuzzing than the test suite: fresh random cases for every target until the time is up.

    python scripts/fuzz.py --minutes 5 [--target content ...]

Each target (voice/testing/fuzz.py) mutates a real input: content files, config and state files, simulate
scripts, WAV headers and bytes, history rows, text for the intent matcher. The property: a loaded result or
exactly one CoachError line, never another exception, within a time and memory budget. Prints the cases
tried per target and each failure found (shrunk to a small example), and exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice.testing import fuzz

ROUND = 50
"""Cases per target before moving on to the next target (each round starts from a fresh random seed)."""


def run_round(name: str) -> str | None:
    """One round of a target; the failure found (with its smallest example), or None."""
    case, strategies = fuzz.TARGETS[name]

    @settings(max_examples=ROUND, deadline=None, database=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*strategies))
    def check(args: tuple[Any, ...]) -> None:
        case(*args)

    try:
        check()
    except Exception as error:  # any exception is what the run reports
        notes = "\n    ".join(getattr(error, "__notes__", []))
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}\n    {notes}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to run (default 5)")
    parser.add_argument("--target", action="append", choices=list(fuzz.TARGETS), help="only these targets")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the coach's warnings about damaged files are expected here
    targets = args.target or list(fuzz.TARGETS)
    end = time.monotonic() + args.minutes * 60
    failures: dict[str, set[str]] = {name: set() for name in targets}
    while time.monotonic() < end:
        for name in targets:
            found = run_round(name)
            if found is not None and found not in failures[name]:
                failures[name].add(found)
                print(f"[{name}] {found}", flush=True)
            if time.monotonic() >= end:
                break
    print(f"fuzzed for {args.minutes:g} minutes")
    print(f"{'target':<10}{'cases':>10}{'failures':>10}")
    for name in targets:
        print(f"{name:<10}{fuzz.TRIED[name]:>10}{len(failures[name]):>10}")
    print(f"{'total':<10}{sum(fuzz.TRIED[name] for name in targets):>10}"
          f"{sum(len(found) for found in failures.values()):>10}")
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
