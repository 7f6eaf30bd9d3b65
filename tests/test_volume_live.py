""""Louder" through the virtual sound card: the next line is louder on the speaker, and stays so."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import ROOT, requires_espeak, wait_for
from voice.testing.pulse import PulseSink

Event = dict[str, Any]

pytestmark = [
    pytest.mark.pulse,
    pytest.mark.audio,
    requires_espeak,
    pytest.mark.skipif(shutil.which("parecord") is None, reason="needs parecord (pulseaudio-utils)"),
]


class TypingCoach:
    """``stretch-coach --text`` speaking on the null sink; the person types."""

    def __init__(self, sink: PulseSink, home: Path, name: str) -> None:
        self.sink = sink
        self.log = home / f"{name}.jsonl"
        env = {**sink.env, "XDG_CONFIG_HOME": str(home)}
        command = [sys.executable, "-m", "voice", "--text", "--output-device", "pulse",
                   "--events", str(self.log)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)

    def events(self) -> list[Event]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines(keepends=True)
        return [json.loads(line) for line in lines if line.endswith("\n")]

    def wait_for(self, wanted: Callable[[Event], bool], start: int = 0, timeout: float = 60) -> int:
        """Index of the first wanted event at or after ``start``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index, event in enumerate(self.events()[start:], start):
                if wanted(event):
                    return index
            time.sleep(0.05)
        raise AssertionError(f"no such event; log: {self.events()[-6:]}")

    def type(self, words: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(words + "\n")
        self.process.stdin.flush()

    def answer(self, words: str) -> None:
        """Type ``words`` and wait until the coach's answer has been spoken."""
        start = len(self.events())
        self.type(words)
        heard = self.wait_for(lambda e: e["type"] == "heard", start)
        self.wait_for(lambda e: e["type"] == "said", heard)

    def recorded_answer(self, words: str, folder: Path) -> float:
        """The level (dBFS) on the sink's monitor while the coach answers ``words``."""
        raw = folder / "answer.raw"
        command = ["parecord", "--raw", "--format=s16le", "--rate=16000", "--channels=1",
                   f"--device={self.sink.monitor}", str(raw)]
        recorder = subprocess.Popen(command, env=self.sink.env)
        wait_for(lambda: raw.exists() and raw.stat().st_size > 0, "the recorder to start", timeout=20)
        self.answer(words)
        answered = raw.stat().st_size
        tail = int(0.3 * 16000) * 2  # the end of the answer still in the sound server's buffers
        wait_for(lambda: raw.stat().st_size >= answered + tail, "the recording to take the answer's end")
        recorder.terminate()
        recorder.wait(timeout=10)
        return speech_level(np.fromfile(raw, dtype="<i2"))

    def close(self) -> None:
        self.type("quit")
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def speech_level(samples: np.ndarray) -> float:
    """RMS in dBFS of the 20 ms frames that hold speech (silence between words left out)."""
    frames = samples[: len(samples) // 320 * 320].astype(np.float64).reshape(-1, 320)
    energy = np.sqrt((frames**2).mean(axis=1))
    assert energy.max() > 100, "nothing was heard on the sink"
    loud = frames[energy > energy.max() / 10]
    return float(20 * np.log10(np.sqrt((loud**2).mean()) / 32768))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    (folder / "stretch-coach").mkdir(parents=True)
    (folder / "stretch-coach" / "config.toml").write_text("volume = 0.5\n")
    return folder


def test_louder_raises_the_next_line_on_the_speaker_and_is_kept(
    pulse_sink: PulseSink, home: Path, tmp_path: Path
) -> None:
    first = TypingCoach(pulse_sink, home, "first")
    try:
        first.wait_for(lambda e: e["type"] == "said")  # the greeting
        before = first.recorded_answer("list exercises", tmp_path)
        first.answer("louder")
        after = first.recorded_answer("list exercises", tmp_path)
    finally:
        first.close()
    assert after - before == pytest.approx(4.0, abs=1.0), (before, after)
    state = json.loads((home / "stretch-coach" / "state.json").read_text())
    assert state["volume"] == pytest.approx(0.5 * 10 ** (4 / 20), abs=0.001)

    second = TypingCoach(pulse_sink, home, "second")
    try:
        second.wait_for(lambda e: e["type"] == "said")
        next_session = second.recorded_answer("list exercises", tmp_path)
    finally:
        second.close()
    assert next_session == pytest.approx(after, abs=0.5)
