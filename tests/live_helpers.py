"""The live coach on the virtual sound card, for tests: start it, speak to it, read its event log."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, requires_espeak
from voice.testing.audio import espeak_wav
from voice.testing.pulse import PulseSink

Event = dict[str, Any]

LIVE_MARKS = [
    pytest.mark.pulse,
    pytest.mark.audio,
    requires_espeak,
    pytest.mark.skipif(shutil.which("paplay") is None, reason="needs paplay (pulseaudio-utils)"),
]
"""Markers of every live test: the sound card, real speech, espeak-ng and paplay."""


class LiveCoach:
    """``stretch-coach`` running live in its own process on a private virtual sound card."""

    def __init__(self, sink: PulseSink, folder: Path) -> None:
        self.sink = sink
        self.folder = folder
        self.log = folder / "events.jsonl"
        command = [sys.executable, "-m", "voice", "--events", str(self.log),
                   "--device", "pulse", "--output-device", "pulse", "--engine", "pocketsphinx", "--verbose"]
        self.stderr = folder / "stderr.txt"
        with self.stderr.open("w") as err:  # a file, not a pipe: nobody reads a pipe until the end
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=sink.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=err, text=True,
            )

    def events(self) -> list[Event]:
        """The event log so far (whole lines only)."""
        if not self.log.exists():
            return []
        text = self.log.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]

    def wait_for(self, wanted: Callable[[Event], bool], timeout: float, after: float = -1.0) -> Event:
        """The first event later than ``after`` (session seconds) that is ``wanted``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if event["t"] > after and wanted(event):
                    return event
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no such event in {timeout} s; log: {self.events()[-12:]}; "
                             f"stderr: {self.stderr_so_far()}")

    def none_for(self, unwanted: Callable[[Event], bool], seconds: float, after: float) -> None:
        """Fail as soon as an ``unwanted`` event later than ``after`` appears within ``seconds``."""
        try:
            event = self.wait_for(unwanted, seconds, after)
        except AssertionError:
            return
        raise AssertionError(f"unexpected event {event}; log: {self.events()[-12:]}")

    def stderr_so_far(self) -> str:
        """The coach's log so far, without ALSA's underrun chatter."""
        lines = self.stderr.read_text(errors="replace").splitlines()
        return "\n".join(line for line in lines if "ALSA" not in line)[-3000:]

    def speak(self, text: str) -> None:
        """The person says ``text`` (espeak-ng speech played into the room); returns when done."""
        self.sink.play(espeak_wav(self.folder, text, pad=0.2)).wait(timeout=20)

    def after_greeting(self) -> Event:
        """Wait until the greeting has been spoken, and as long again as a person takes to answer."""
        said = self.wait_for(lambda e: e["type"] == "said", timeout=60)
        time.sleep(0.7)
        return said

    def finish(self) -> tuple[int, str]:
        """End the coach with SIGTERM, as a service manager would; its exit status and log."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return self.process.returncode, self.stderr_so_far()


@contextmanager
def running_coach(folder: Path) -> Iterator[LiveCoach]:
    """The live coach on a sink of its own, killed (if still running) and the sink stopped afterwards."""
    sink = PulseSink.start()
    running = LiveCoach(sink, folder)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()
        sink.stop()


def reach_a_hold(coach: LiveCoach) -> Event:
    """Start the hamstring stretch and wait until its first count has been spoken."""
    coach.after_greeting()
    coach.speak("start hamstring stretch")
    coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] == "start", timeout=20)
    count = coach.wait_for(lambda e: e["type"] == "count", timeout=90)
    coach.wait_for(lambda e: e["type"] == "said", timeout=5, after=count["t"])  # between two counts
    time.sleep(0.3)
    return count


def events_after(coach: LiveCoach, event: Event, kind: str) -> list[Event]:
    """Events of ``kind`` logged after ``event`` (by position: both may carry the same time)."""
    events = coach.events()
    return [e for e in events[events.index(event) + 1 :] if e["type"] == kind]
