"""The live session's wiring, in process on a virtual clock: what is heard over the coach's own voice.

The microphone and recogniser are not run here (their own tests use real ones); utterances are handed
to the session as the listener would, and the speaker is the silent stand-in that takes each
utterance's estimated speaking time on the virtual clock.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from voice.apps.live import LiveSession, LiveSettings
from voice.audio.speaker import NullOutput
from voice.clock import VirtualClock
from voice.coach.settings import CoachSettings
from voice.content import load_content
from voice.listening.listener import Utterance
from voice.listening.recognizer import ListenSettings, Transcript
from voice.speech.synthesis import SpeechSettings

STEP = 0.1
"""Virtual seconds per turn of the loop while time moves on."""


class FakeRecognizer:
    """Stands in for the recogniser process, which these tests never start."""

    engine = "fake"
    model = "none"

    def accept(self, pcm: bytes) -> None:
        pass

    def final(self) -> Transcript:
        return Transcript("", 0.0, 0.0)

    def reset(self) -> None:
        pass


def no_speaker(*_: Any) -> NullOutput:
    """The output a machine without a speaker gets: the session speaks silently, on its clock."""
    return NullOutput()


class VirtualLive:
    """A LiveSession whose real-time loop runs on a thread, on a clock the test moves."""

    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.log = io.StringIO()
        settings = LiveSettings(CoachSettings(), SpeechSettings(), ListenSettings(), output_device=None)
        self.live = LiveSession(
            load_content(), settings, FakeRecognizer(), lambda: None, self.log, None,  # type: ignore[arg-type,return-value]
            clock=self.clock, speaker=no_speaker,
        )
        self._thread = threading.Thread(target=self.live.loop.run, name="virtual-loop")
        self._thread.start()
        self.live.loop.post(self.live.session.begin)
        self.sync()

    def sync(self) -> None:
        """Wait until the loop has served everything posted so far (and what is due by now)."""
        served = threading.Event()
        self.live.loop.post(served.set)
        assert served.wait(5)

    def until(self, t: float) -> None:
        """Let virtual time run to ``t``, a turn of the loop every STEP seconds."""
        while self.clock.now() < t:
            self.clock.advance_to(min(t, self.clock.now() + STEP))
            self.sync()

    def hear(self, text: str, start: float, end: float) -> None:
        """The listener hands over an utterance spoken from ``start`` to ``end``, decided now."""
        self.until(end)
        self.live.loop.post(lambda: self.live._heard(Utterance(Transcript(text, 0.9, 10.0), start, end)))
        self.sync()

    def first(self, wanted: Any, within: float = 60.0) -> dict[str, Any]:
        """Let virtual time run until an event ``wanted(event)`` is logged; that event."""
        limit = self.clock.now() + within
        while True:
            found = [event for event in self.events() if wanted(event)]
            if found:
                return found[0]
            assert self.clock.now() < limit, self.events()[-5:]
            self.until(self.clock.now() + STEP)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.getvalue().splitlines()]

    def close(self) -> None:
        self.live.loop.stop()
        self._thread.join(timeout=5)
        self.live.close()


@pytest.fixture
def live() -> Iterator[VirtualLive]:
    session = VirtualLive()
    try:
        yield session
    finally:
        session.close()


def heard(live: VirtualLive) -> list[tuple[str, str | None]]:
    return [(event["intent"], event["exercise"]) for event in live.events() if event["type"] == "heard"]


def test_a_command_over_the_coachs_voice_is_dropped_and_heard_once_it_is_quiet(live: VirtualLive) -> None:
    greeting = next(event for event in live.events() if event["type"] == "say")
    assert greeting["kind"] == "greeting" and greeting["t"] == 0.0
    live.hear("start hamstring stretch", 0.5, 1.5)  # the greeting is still being said
    assert heard(live) == []
    live.until(30.0)
    assert any(event["type"] == "said" for event in live.events())
    live.hear("start hamstring stretch", 30.0, 31.0)
    assert heard(live) == [("start", "hamstring")]
    assert [e["state"] for e in live.events() if e["type"] == "state"][-1] == "instructing"


def test_stop_said_over_the_coach_cuts_its_words_at_once(live: VirtualLive) -> None:
    live.until(30.0)
    live.hear("start hamstring stretch", 30.0, 31.0)
    step = live.first(lambda e: e["type"] == "say" and e["kind"] == "step")
    live.hear("stop", step["t"] + 0.2, step["t"] + 0.6)  # over the step's words
    assert heard(live)[-1] == ("stop", None)
    events = live.events()
    stop = max(index for index, event in enumerate(events) if event["type"] == "heard")
    cut = next(event for event in events[stop:] if event["type"] == "said")
    assert cut == {"t": step["t"] + 0.6, "type": "said", "interrupted": True}
    assert [e["state"] for e in events if e["type"] == "state"][-1] == "stopped"
