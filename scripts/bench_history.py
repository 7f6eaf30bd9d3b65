"""Cost of the session history: time per recorded event, and the file after a year (prints the figures)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from voice.apps.simulate import Simulation, parse_script
from voice.coach.settings import CoachSettings
from voice.content import load_content
from voice.history.recorder import HistoryTarget
from voice.history.report import spoken_summary, summarise
from voice.history.store import SYNCHRONOUS, EventKind, HistoryEvent, HistoryStore

ROUTINE = "1 start routine\n"
"""A day's routine: all five exercises."""

ROUTINE_WITH_TROUBLE = "1 start routine\n60 wait\n70 resume\n120 what time is it\n200 ouch\n210 resume\n"
"""Every tenth day: a pause, something not understood and a pain report."""


def time_events(folder: Path, count: int, synchronous: str) -> list[float]:
    """Seconds taken by each of ``count`` single-event writes (each committed on its own)."""
    store = HistoryStore.open(folder / f"events-{synchronous}.sqlite3")
    store._db.execute(f"PRAGMA synchronous = {synchronous}")  # the coach's own setting, or the alternative
    session = store.start_session(datetime.now().astimezone(), "bench")
    timings = []
    for n in range(count):
        event = HistoryEvent(float(n), EventKind.HOLD, "hamstring", "left", 5, 30)
        started = time.perf_counter()
        store.add(session, event)
        timings.append(time.perf_counter() - started)
    store.close()
    return timings


def simulate_year(path: Path, days: int) -> tuple[int, float]:
    """Record ``days`` daily routines; returns (events recorded, seconds spent)."""
    content = load_content()
    first = datetime(2026, 1, 1, 8).astimezone()
    started = time.perf_counter()
    for day in range(days):
        script = ROUTINE_WITH_TROUBLE if day % 10 == 0 else ROUTINE
        target = HistoryTarget(path, first + timedelta(days=day), "simulate")
        Simulation(content, CoachSettings(), None, target).run(parse_script(script, "bench"))
    elapsed = time.perf_counter() - started
    store = HistoryStore.open(path, readonly=True)
    events = sum(len(record.events) for record in store.sessions())
    store.close()
    return events, elapsed


def time_reports(path: Path) -> tuple[float, float]:
    """Seconds to summarise every session, and to compose the spoken week after the last one."""
    content = load_content()
    started = time.perf_counter()
    store = HistoryStore.open(path, readonly=True)
    summaries = [summarise(record) for record in store.sessions()]
    summarised = time.perf_counter() - started
    now = summaries[-1].end + timedelta(hours=12)
    started = time.perf_counter()
    week = [summarise(record) for record in store.sessions(now - timedelta(days=7))]
    spoken_summary(week, now, content)
    spoken = time.perf_counter() - started
    store.close()
    return summarised, spoken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365, help="daily routines to record (default a year)")
    parser.add_argument("--events", type=int, default=500, help="single writes to time")
    parser.add_argument("--dir", type=Path, help="folder to measure in (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as name:
        folder = Path(name)
        print(f"history in {folder}")
        for synchronous in (SYNCHRONOUS, "FULL"):
            timings = sorted(time_events(folder, args.events, synchronous))
            p95 = timings[int(0.95 * (len(timings) - 1))]
            print(f"one event, committed (WAL, synchronous={synchronous}):"
                  f" median {1000 * statistics.median(timings):.3f} ms, 95th percentile {1000 * p95:.3f} ms,"
                  f" max {1000 * timings[-1]:.3f} ms ({args.events} writes)")
        year = folder / "year.sqlite3"
        events, elapsed = simulate_year(year, args.days)
        size = sum(path.stat().st_size for path in folder.glob("year.sqlite3*"))
        print(f"{args.days} daily routines: {events} events, file {size / 1024:.0f} KiB"
              f" ({size / args.days:.0f} bytes a day), recorded in {elapsed:.1f} s")
        summarised, spoken = time_reports(year)
        print(f"summarising all {args.days} sessions: {1000 * summarised:.0f} ms;"
              f" composing the spoken week: {1000 * spoken:.1f} ms")


if __name__ == "__main__":
    main()
