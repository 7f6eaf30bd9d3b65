"""Hours of use on the virtual sound card: memory, threads, files, count timing and lost commands.

Runs ``stretch-coach`` live (its own process, PocketSphinx, event log, history in a throwaway data
folder) on a private PulseAudio null sink, while a scripted person (espeak-ng speech played with
paplay into the same sink) goes through exercises again and again: starts, pauses and resumes a hold,
says "ouch", skips, stops, and makes everyday talk in between.

    python scripts/bench_soak.py --minutes 60 [--sample 10] [--warm-up 3] [--keep FOLDER]

Prints, for the coach and its recogniser worker: RSS and PSS at start and end and their slope per
hour after the warm-up (least squares), processor use, threads and open files (first and last), the
event log's and the history's growth; counts late by more than 50 ms (a hold's count event against
its due second, the hold's start being its ``holding`` state, or its first count after a resume);
commands lost (said, not heard as meant within 12 s); self-triggers (a command heard while the
person had said nothing for 6 s); chatter taken for a command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice.testing.audio import espeak_wav
from voice.testing.pulse import PulseSink

ROOT = Path(__file__).resolve().parent.parent
LATE_SECONDS = 0.05
"""A count whose event comes this much after its due second is late."""
HEARD_WITHIN = 12.0
"""A command not heard as meant within this many seconds of being said is lost."""
QUIET_BEFORE = 6.0
"""A command heard when the person has said nothing for this long is a self-trigger."""
CHATTER = (
    "I wonder what we are having for dinner tonight",
    "the weather is supposed to be lovely tomorrow",
    "did you remember to call your sister",
)
Event = dict[str, Any]


@dataclass
class Tally:
    """What the person said and what came of it."""

    said: int = 0
    lost: list[str] = field(default_factory=list)
    chatter: int = 0
    chatter_taken: list[str] = field(default_factory=list)
    spoke_at: list[tuple[float, float]] = field(default_factory=list)
    """Wall-clock spans of the person's speech."""


class Coach:
    """The coach's process, its event log and the person's voice."""

    def __init__(self, sink: PulseSink, folder: Path) -> None:
        self.sink, self.folder = sink, folder
        self.log, self.stderr = folder / "events.jsonl", folder / "stderr.txt"
        self.data = folder / "data"
        self.data.mkdir()
        env = {**sink.env, "XDG_DATA_HOME": str(self.data)}
        command = [sys.executable, "-m", "voice", "--events", str(self.log), "--device", "pulse",
                   "--output-device", "pulse", "--engine", "pocketsphinx"]
        with self.stderr.open("w") as err:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=err)
        self.wavs: dict[str, Path] = {}
        self._read = 0
        self.events: list[Event] = []

    def poll_events(self) -> list[Event]:
        """Every whole event line so far."""
        if self.log.exists():
            with self.log.open(encoding="utf-8") as handle:
                handle.seek(self._read)
                for line in handle:
                    if not line.endswith("\n"):
                        break
                    self._read += len(line.encode("utf-8"))
                    self.events.append(json.loads(line))
        return self.events

    def wait_for(self, wanted: Callable[[Event], bool], timeout: float, after: int) -> Event | None:
        """The first ``wanted`` event at index ``after`` or later, or None within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            for event in self.poll_events()[after:]:
                if wanted(event):
                    return event
            time.sleep(0.05)
        return None

    def quiet(self, timeout: float = 60.0, settle: float = 1.2) -> None:
        """Wait until the coach has said nothing for ``settle`` s (lines come one after another)."""
        deadline = time.monotonic() + timeout
        silent_since: float | None = None
        while time.monotonic() < deadline:
            talk = [e["type"] for e in self.poll_events() if e["type"] in ("say", "said")]
            if talk and talk[-1] == "say":
                silent_since = None
            elif silent_since is None:
                silent_since = time.monotonic()
            elif time.monotonic() - silent_since >= settle:
                return
            time.sleep(0.05)

    def speak(self, text: str, tally: Tally) -> int:
        """Play the person's words; the event index from which their effect is looked for."""
        if text not in self.wavs:
            self.wavs[text] = espeak_wav(self.folder, text, pad=0.2)
        index = len(self.poll_events())
        began = time.monotonic()
        self.sink.play(self.wavs[text]).wait(timeout=30)
        tally.spoke_at.append((began, time.monotonic()))
        return index


def command(coach: Coach, tally: Tally, text: str, intent: str) -> bool:
    """Say a command; count it lost unless the coach hears ``intent`` soon."""
    tally.said += 1
    index = coach.speak(text, tally)
    heard = coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] == intent, HEARD_WITHIN, index)
    if heard is None:
        tally.lost.append(text)
    return heard is not None


def chatter(coach: Coach, tally: Tally, text: str) -> None:
    """Everyday talk: nothing may come of it."""
    tally.chatter += 1
    index = coach.speak(text, tally)
    taken = coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] != "none", 4.0, index)
    if taken is not None:
        tally.chatter_taken.append(f"{text!r} -> {taken['intent']}")


def next_count(coach: Coach, timeout: float = 90.0) -> None:
    coach.wait_for(lambda e: e["type"] == "count", timeout, len(coach.poll_events()))


def one_round(coach: Coach, tally: Tally, round_number: int) -> None:
    """Hold with pause and resume, pain and skip, everyday talk, a repetitions exercise stopped."""
    coach.quiet()
    if command(coach, tally, "start hamstring stretch", "start"):
        next_count(coach)
        time.sleep(3.2)
        if command(coach, tally, "pause", "pause"):
            coach.quiet()
            time.sleep(2)
            command(coach, tally, "resume", "resume")
            next_count(coach)
        time.sleep(4.2)
        if command(coach, tally, "ouch", "pain"):
            coach.quiet()
            command(coach, tally, "skip", "skip")
    coach.quiet()
    chatter(coach, tally, CHATTER[round_number % len(CHATTER)])
    coach.quiet()
    if command(coach, tally, "start core exercise", "start"):
        next_count(coach)
        time.sleep(8)
        command(coach, tally, "stop", "stop")
    coach.quiet()
    chatter(coach, tally, CHATTER[(round_number + 1) % len(CHATTER)])


def sample(pid: int) -> dict[str, float]:
    """RSS, PSS (KiB), processor seconds, threads and open files of one process."""
    proc = Path(f"/proc/{pid}")
    status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
    pss = next(line.split()[1] for line in (proc / "smaps_rollup").read_text().splitlines()
               if line.startswith("Pss:"))
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "rss": float(status["VmRSS"].split()[0]), "pss": float(pss),
        "cpu": (int(fields[11]) + int(fields[12])) / ticks,
        "threads": float(status["Threads"]), "files": float(len(list((proc / "fd").iterdir()))),
    }


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with (task / "children").open() as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, KiB) in MB per hour."""
    if len(points) < 3:
        return float("nan")
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600 / 1024 if var else float("nan")


def late_counts(events: list[Event]) -> tuple[int, int, float]:
    """Hold counts checked, counts late by more than 50 ms, and the worst lateness (s)."""
    checked = late = 0
    worst = 0.0
    base: float | None = None
    previous_state = ""
    holding = False
    for event in events:
        if event["type"] == "state":
            holding = event["state"] == "holding"
            base = event["t"] if holding and previous_state != "paused" else None
            previous_state = event["state"]
        elif event["type"] == "count" and holding:
            if base is None:  # resumed: its first count anchors the rest
                base = event["t"] - (event["n"] - 1)
            lateness = event["t"] - (base + event["n"] - 1)
            checked += 1
            late += lateness > LATE_SECONDS
            worst = max(worst, lateness)
    return checked, late, worst


def self_triggers(tally: Tally, offset: float, events: list[Event]) -> list[str]:
    """Commands heard while the person had been silent for ``QUIET_BEFORE`` s; ``offset`` is the
    monotonic time of the log's zero."""
    spans = [(a - offset, b - offset + QUIET_BEFORE) for a, b in tally.spoke_at]
    return [f"{e['t']:.1f} s {e['intent']} {e['text']!r}" for e in events
            if e["type"] == "heard" and e["intent"] != "none"
            and not any(a <= e["t"] <= b for a, b in spans)]


def report(samples: list[tuple[float, dict[str, dict[str, float]]]], warm_up: float) -> None:
    for who in ("coach", "worker"):
        series = [(t, s[who]) for t, s in samples if who in s]
        if not series:
            continue
        after = [(t, s) for t, s in series if t >= warm_up] or series
        first, last = after[0][1], after[-1][1]
        busy = (last["cpu"] - first["cpu"]) / max(1.0, series[-1][0] - series[0][0]) * 100
        rss_slope = slope_per_hour([(t, s["rss"]) for t, s in after])
        pss_slope = slope_per_hour([(t, s["pss"]) for t, s in after])
        print(f"{who} (after warm-up): RSS {first['rss'] / 1024:.1f} -> {last['rss'] / 1024:.1f} MB, slope "
              f"{rss_slope:+.2f} MB/h; PSS {first['pss'] / 1024:.1f} -> {last['pss'] / 1024:.1f} MB, slope "
              f"{pss_slope:+.2f} MB/h; CPU {busy:.1f} %; "
              f"threads {first['threads']:.0f} -> {last['threads']:.0f} "
              f"(max {max(s['threads'] for _, s in series):.0f}); open files {first['files']:.0f} -> "
              f"{last['files']:.0f} (max {max(s['files'] for _, s in series):.0f})")


class Sampler:
    """Measures the coach and its worker every ``every`` seconds on a thread of its own."""

    def __init__(self, coach: Coach, every: float, started: float) -> None:
        self.coach, self.every, self.started = coach, every, started
        self.samples: list[tuple[float, dict[str, dict[str, float]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set() and self.coach.process.poll() is None:
            with contextlib.suppress(OSError, StopIteration, KeyError):  # the process ended mid-read
                self.take()
            self._stop.wait(self.every)

    def take(self) -> None:
        pid = self.coach.process.pid
        taken = {"coach": sample(pid)}
        for child in children(pid):
            taken["worker"] = sample(child)
        log_size = float(self.coach.log.stat().st_size) if self.coach.log.exists() else 0.0
        taken["sizes"] = {"log": log_size, "data": float(folder_bytes(self.coach.data))}
        self.samples.append((time.monotonic() - self.started, taken))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="how long the person keeps going")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between measurements")
    parser.add_argument("--warm-up", type=float, default=3.0, help="minutes left out of the slopes")
    parser.add_argument("--keep", type=Path, help="keep the event log, stderr and history here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="stretch-coach-soak-"))
    sink = PulseSink.start()
    coach = Coach(sink, folder)
    tally = Tally()
    started = time.monotonic()
    ends = started + args.minutes * 60
    sampler = Sampler(coach, args.sample, started)
    samples = sampler.samples
    rounds = 0
    try:
        greeted = coach.wait_for(lambda e: e["type"] == "said", 120, 0)
        offset = time.monotonic() - (greeted["t"] if greeted else 0.0)  # the log's zero, within a poll
        while time.monotonic() < ends and coach.process.poll() is None:
            one_round(coach, tally, rounds)
            rounds += 1
            print(f"{(time.monotonic() - started) / 60:5.1f} min: round {rounds}, "
                  f"RSS {samples[-1][1]['coach']['rss'] / 1024:.1f} MB, lost {len(tally.lost)}", flush=True)
    finally:
        sampler.stop()
        status = coach.process.poll()
        if status is None:
            coach.process.send_signal(signal.SIGTERM)
            status = coach.process.wait(timeout=30)
        sink.stop()
    events = coach.poll_events()
    minutes = (time.monotonic() - started) / 60
    print(f"\nsoak: {minutes:.1f} min, {rounds} rounds, coach exit status {status}")
    report(samples, args.warm_up * 60)
    checked, late, worst = late_counts(events)
    print(f"hold counts checked {checked}, late by > 50 ms {late} (worst {worst * 1000:.0f} ms)")
    print(f"commands said {tally.said}, lost {len(tally.lost)} {tally.lost}")
    taken = tally.chatter_taken
    print(f"chatter said {tally.chatter}, taken for a command {len(taken)} {taken}")
    triggers = self_triggers(tally, offset, events)
    print(f"self-triggers {len(triggers)} {triggers[:5]}")
    first, last = samples[0][1]["sizes"], samples[-1][1]["sizes"]
    hours = max(1e-9, (samples[-1][0] - samples[0][0]) / 3600)
    log_rate = (last["log"] - first["log"]) / 1024 / hours
    data_rate = (last["data"] - first["data"]) / 1024 / hours
    print(f"event log {last['log'] / 1024:.0f} KiB ({log_rate:.0f} KiB/h); "
          f"history folder {last['data'] / 1024:.0f} KiB ({data_rate:.0f} KiB/h)")
    stderr = coach.stderr.read_text(errors="replace")
    alsa = sum(len(line) + 1 for line in stderr.splitlines() if "ALSA" in line)
    restarts = stderr.count("recogniser restarted")
    print(f"coach's log (stderr) {len(stderr) / 1024:.0f} KiB, of it ALSA's own messages {alsa / 1024:.0f} "
          f"KiB; tracebacks {stderr.count('Traceback')}; recogniser restarts {restarts}")
    if args.keep:
        shutil.copytree(folder, args.keep, dirs_exist_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
