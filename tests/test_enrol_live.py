"""Spoken enrolment on the virtual sound card: a synthetic voice repeats the sentences, then says "stop"."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT
from tests.live_helpers import LIVE_MARKS
from tests.test_enrol import needs_tools
from voice.enrolment.prompts import load_prompts
from voice.testing.audio import espeak_wav
from voice.testing.pulse import PulseSink

pytestmark = [*LIVE_MARKS, needs_tools]


def _line(process: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    """The next line of the enrolment's output starting with ``prefix`` (earlier lines are skipped)."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line.rstrip("\n")
    raise AssertionError(f"no '{prefix}' line in {timeout} s")


def _enrol(sink: PulseSink, data: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "voice", "--device", "pulse", "--output-device", "pulse",
               "--engine", "pocketsphinx", "enrol"]
    return subprocess.Popen(
        command, cwd=ROOT, env={**sink.env, "XDG_DATA_HOME": str(data)}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def _repeat(sink: PulseSink, folder: Path, text: str) -> None:
    time.sleep(0.4)
    sink.play(espeak_wav(folder, text, pad=0.2)).wait(timeout=30)


def test_spoken_enrolment_keeps_sentences_stops_on_stop_and_continues(tmp_path: Path) -> None:
    prompts = load_prompts()
    data = tmp_path / "data"
    recordings = data / "stretch-coach" / "voice-profile" / "recordings"
    sink = PulseSink.start()
    try:
        first = _enrol(sink, data)
        try:
            assert "teach me your voice" in _line(first, "say: ", 120)
            for prompt in prompts[:2]:
                assert _line(first, "listening: ", 120) == f"listening: {prompt.sentence_id}"
                _repeat(sink, tmp_path, prompt.text)
                assert _line(first, "kept: ", 60) == f"kept: {prompt.sentence_id}"
            assert _line(first, "listening: ", 120) == f"listening: {prompts[2].sentence_id}"
            _repeat(sink, tmp_path, "stop")
            assert "Stopped. I kept 2 sentences" in _line(first, "say: ", 60)
            assert first.wait(timeout=60) == 0
        finally:
            first.kill()
        kept = sorted(path.stem for path in recordings.glob("*.wav"))
        assert kept == sorted(p.sentence_id for p in prompts[:2])
        again = _enrol(sink, data)
        try:
            assert f"There are {len(prompts) - 2} sentences" in _line(again, "say: ", 120)
            assert _line(again, "listening: ", 120) == f"listening: {prompts[2].sentence_id}"
            _repeat(sink, tmp_path, "stop")
            assert again.wait(timeout=60) == 0
        finally:
            again.kill()
    finally:
        sink.stop()
