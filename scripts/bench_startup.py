"""Start-up benchmark: time from launching ``stretch-coach`` to ready-to-listen, and its memory.

Launches the coach as a service would (``python -m voice``, live, on a private PulseAudio null
sink standing in for the Pi's speaker and microphone), waits for its "ready to listen" log line,
and reads the resident memory (RSS) of the coach and of its recogniser process from /proc, at
ready and again once the phrase cache has warmed up.

    python scripts/bench_startup.py [--runs 5] [--settle 20] [--engine pocketsphinx]
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from voice.testing.pulse import PulseSink

ROOT = Path(__file__).resolve().parent.parent

READY = "ready to listen"
"""The coach's log line once the microphone is being listened to."""


@dataclass(frozen=True)
class Run:
    """One launch."""

    ready_s: float
    """Launch to the ready line, seconds."""
    coach_mb: float
    """RSS of the coach's own process at ready, MB."""
    recogniser_mb: float
    """RSS of its recogniser process at ready, MB."""
    settled_mb: float
    """RSS of both together after the settle time, MB."""


def rss_mb(pid: int) -> float:
    """Resident memory of one process, MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((row for row in status.splitlines() if row.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def children(pid: int) -> list[int]:
    """Child processes of ``pid``."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def one_run(sink: PulseSink, engine: str | None, settle: float) -> Run:
    """Launch, wait for ready, measure, stop with SIGTERM."""
    with tempfile.TemporaryDirectory(prefix="stretch-coach-bench-") as home:
        env = {**sink.env, "XDG_CONFIG_HOME": home}
        command = [sys.executable, "-m", "voice", "--device", "pulse", "--output-device", "pulse"]
        command += ["--engine", engine] if engine else []
        lines: queue.Queue[str] = queue.Queue()
        launched = time.monotonic()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=forward, args=(process, lines), daemon=True).start()
        try:
            ready = wait_for_ready(lines, launched)
            coach = rss_mb(process.pid)
            recogniser = sum(rss_mb(child) for child in children(process.pid))
            time.sleep(settle)
            settled = rss_mb(process.pid) + sum(rss_mb(child) for child in children(process.pid))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return Run(ready, coach, recogniser, settled)


def forward(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Hand the coach's log lines to the benchmark as they come."""
    for line in process.stderr or ():
        lines.put(line)


def wait_for_ready(lines: queue.Queue[str], launched: float, timeout: float = 120.0) -> float:
    """Seconds from launch to the ready line."""
    while time.monotonic() - launched < timeout:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if READY in line:
            return time.monotonic() - launched
    raise SystemExit(f"the coach was not ready within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches to measure")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds before the second memory reading")
    parser.add_argument("--engine", help="vosk or pocketsphinx (default: as the coach chooses)")
    args = parser.parse_args()
    sink = PulseSink.start()
    try:
        runs = [one_run(sink, args.engine, args.settle) for _ in range(args.runs)]
    finally:
        sink.stop()
    ready = [run.ready_s for run in runs]
    print(f"machine: {os.cpu_count()} cores; {len(runs)} launches, engine {args.engine or 'default'}")
    print(f"launch to ready-to-listen: median {statistics.median(ready):.2f} s "
          f"(min {min(ready):.2f}, max {max(ready):.2f})")
    print(f"RSS at ready: coach {statistics.median(r.coach_mb for r in runs):.0f} MB + "
          f"recogniser {statistics.median(r.recogniser_mb for r in runs):.0f} MB")
    print(f"RSS after {args.settle:.0f} s (phrases rendered): "
          f"{statistics.median(r.settled_mb for r in runs):.0f} MB both together")


if __name__ == "__main__":
    main()
