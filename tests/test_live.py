"""Live sessions through the virtual sound card: the coach listens on the PulseAudio null sink's
monitor while it speaks into the sink, and a "person" (paplay in another process) speaks there too."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, wait_for
from tests.live_helpers import LIVE_MARKS, Event, LiveCoach, events_after, reach_a_hold, running_coach
from voice.apps.live import LiveSession, LiveSettings
from voice.coach.messages import Intent
from voice.coach.settings import CoachSettings
from voice.content import load_content
from voice.errors import AudioDeviceError
from voice.listening.engines import open_recognizer
from voice.listening.recognizer import ListenSettings
from voice.speech.synthesis import SpeechSettings

pytestmark = LIVE_MARKS


@pytest.fixture
def coach(tmp_path: Path) -> Iterator[LiveCoach]:
    with running_coach(tmp_path) as running:
        yield running


def is_step(event: Event) -> bool:
    return bool(event["type"] == "say" and event["kind"] == "step")


def test_start_spoken_by_the_person_starts_the_first_step(coach: LiveCoach) -> None:
    coach.after_greeting()
    coach.speak("start hamstring stretch")
    heard = coach.wait_for(lambda e: e["type"] == "heard", timeout=20)
    assert (heard["intent"], heard["exercise"]) == ("start", "hamstring")
    step = coach.wait_for(is_step, timeout=30)
    assert step["text"] == "Lie down on your back."
    status, err = coach.finish()
    assert status == 0 and "Traceback" not in err


def test_stop_during_a_hold_cuts_speech_and_ends_counting(coach: LiveCoach) -> None:
    reach_a_hold(coach)
    coach.speak("stop")
    heard = coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] == "stop", timeout=10)
    coach.none_for(lambda e: e["type"] == "count", 6, heard["t"])  # longer than the gap between two counts
    assert events_after(coach, heard, "count") == []
    states = [e["state"] for e in events_after(coach, heard, "state")]
    assert states and states[-1] in ("idle", "stopped")
    assert coach.finish()[0] == 0


def test_ouch_during_a_hold_gives_the_safety_response(coach: LiveCoach, private_data_folder: Path) -> None:
    reach_a_hold(coach)
    coach.speak("ouch")
    heard = coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] == "pain", timeout=10)
    coach.wait_for(lambda e: e["type"] == "say" and e["kind"] == "safety", timeout=5, after=heard["t"] - 0.01)
    assert events_after(coach, heard, "say")[0]["kind"] == "safety"  # at once: the very next thing said
    coach.none_for(lambda e: e["type"] == "count", 8, heard["t"])
    assert events_after(coach, heard, "count") == []
    assert [e["state"] for e in events_after(coach, heard, "state")][-1] == "safety"
    assert coach.finish()[0] == 0
    history = private_data_folder / "stretch-coach" / "history.sqlite3"
    shown = subprocess.run([sys.executable, "-m", "voice", "history", "--history", str(history), "--json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    (session,) = [json.loads(line) for line in shown.stdout.splitlines()]
    assert session["engine"] == "pocketsphinx"
    assert [(p["exercise"], p["t"], p["words"]) for p in session["pain"]] == [
        ("hamstring", heard["t"], heard["text"])
    ]


def test_the_coach_never_acts_on_its_own_voice_through_a_whole_exercise(coach: LiveCoach) -> None:
    coach.after_greeting()
    coach.speak("start core exercise")
    started = coach.wait_for(lambda e: e["type"] == "heard", timeout=20)
    assert started["intent"] == "start"
    finished = coach.wait_for(
        lambda e: e["type"] == "state" and e["state"] in ("idle", "stopped"), timeout=240, after=started["t"]
    )
    coach.none_for(lambda e: e["type"] == "heard" and e["intent"] != "none", 2, finished["t"])
    own = [e for e in events_after(coach, started, "heard") if e["intent"] != "none"]
    assert own == [], own
    assert len(events_after(coach, started, "count")) >= 8  # eight repetitions
    assert finished["t"] - started["t"] > 60
    assert coach.finish()[0] == 0


class FlakyMicrophone:
    """A fake microphone (a USB unplug cannot be made real here): silence in 20 ms blocks, then
    an error after ``fail_after`` blocks; the next ``refusals`` attempts to reopen it fail."""

    name = "fake microphone"

    def __init__(self, plan: dict[str, int]) -> None:
        self.plan = plan

    def start(self) -> None:
        self.plan["opened"] += 1
        if 1 < self.plan["opened"] <= 1 + self.plan["refusals"]:
            raise AudioDeviceError("the fake microphone is unplugged")
        self.reads = 0

    def read(self, timeout: float = 0.5) -> bytes | None:
        self.reads += 1
        if self.plan["opened"] == 1 and self.reads > self.plan["fail_after"]:
            raise AudioDeviceError("the fake microphone stopped")
        time.sleep(0.02)
        return bytes(640)

    def close(self) -> None:
        pass


def test_a_microphone_failure_pauses_the_session_and_it_carries_on_when_the_device_is_back() -> None:
    content = load_content()
    listen = ListenSettings(engine="pocketsphinx")
    settings = LiveSettings(CoachSettings(), SpeechSettings(), listen, output_device="no-such")
    plan = {"opened": 0, "refusals": 2, "fail_after": 150}
    log = io.StringIO()
    recognizer = open_recognizer(content, settings.listen)
    live = LiveSession(content, settings, recognizer, lambda: FlakyMicrophone(plan), log, None)
    first = FlakyMicrophone(plan)
    first.start()
    runner = threading.Thread(target=live.run, args=(first,))
    runner.start()
    try:
        start = Intent("start", "hamstring", 1.0, "start hamstring stretch")
        live.loop.post(lambda: live.session.heard(start))
        wait_for(lambda: "working again" in log.getvalue(), "the microphone to be back", timeout=20)
    finally:
        live.stop()
        runner.join(timeout=10)
    events = [json.loads(line) for line in log.getvalue().splitlines()]
    kinds = [e["type"] for e in events]
    lost = kinds.index("notice")
    assert "device lost" in events[lost]["text"]
    paused = next(e for e in events[lost:] if e["type"] == "state")
    assert paused["state"] == "paused" and paused["exercise"] == "hamstring"
    back = next(e for e in events[lost:] if e["type"] == "say" and "working again" in e["text"])
    assert back["t"] - events[lost]["t"] >= 1.4  # two refused attempts: 0.5 s and 1 s waits first
    assert plan["opened"] == 4
    assert not runner.is_alive()
