"""A microphone but no speaker: the coach says so in one line and carries on with printed words."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT
from voice.testing.pulse import PulseSink

pytestmark = [
    pytest.mark.pulse,
    pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs pulseaudio"),
]


def test_without_a_speaker_the_coach_prints_its_words_and_keeps_listening(tmp_path: Path) -> None:
    sink = PulseSink.start()
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    try:
        with out.open("w") as stdout, err.open("w") as stderr:
            coach = subprocess.Popen(
                [sys.executable, "-m", "voice", "--device", "pulse", "--output-device", "no-such-speaker",
                 "--engine", "pocketsphinx"],
                cwd=ROOT, env=sink.env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            )
            deadline = time.monotonic() + 60
            while "coach: Hello" not in out.read_text() and time.monotonic() < deadline:
                assert coach.poll() is None, err.read_text()
                time.sleep(0.1)
            still_listening = coach.poll() is None
            coach.send_signal(signal.SIGTERM)
            status = coach.wait(timeout=30)
    finally:
        sink.stop()
    assert still_listening and status == 0
    assert "coach: Hello" in out.read_text()
    notices = [line for line in err.read_text().splitlines() if "ALSA" not in line]
    assert "Traceback" not in err.read_text()
    speaker = [line for line in notices if "speaker" in line.lower()]
    assert speaker == ["stretch-coach: No speaker found (speaker 'no-such-speaker' cannot be opened: "
                       "No output device matching 'no-such-speaker'); continuing without sound."]
