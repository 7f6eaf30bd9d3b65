"""Time simulating whole sessions on the virtual clock (prints the figures)."""

from __future__ import annotations

import io
import statistics
import time

from voice.apps.simulate import Simulation, parse_script
from voice.coach.settings import CoachSettings
from voice.content import load_content

SCRIPTS = {"full routine": "1 start routine", "hamstring session": "1 start hamstring stretch"}


def time_script(script: str, runs: int) -> tuple[float, float, int]:
    content = load_content()
    timings = []
    lines = 0
    for _ in range(runs):
        stream = io.StringIO()
        started = time.perf_counter()
        Simulation(content, CoachSettings(), stream).run(parse_script(script, "bench"))
        timings.append(time.perf_counter() - started)
        lines = stream.getvalue().count("\n")
    return statistics.median(timings), max(timings), lines


def main() -> None:
    started = time.perf_counter()
    load_content()
    print(f"content load: {1000 * (time.perf_counter() - started):.1f} ms")
    print(f"{'script':<20}{'median ms':>12}{'max ms':>10}{'events':>9}")
    for name, script in SCRIPTS.items():
        median, worst, events = time_script(script, runs=20)
        print(f"{name:<20}{1000 * median:>12.1f}{1000 * worst:>10.1f}{events:>9}")


if __name__ == "__main__":
    main()
