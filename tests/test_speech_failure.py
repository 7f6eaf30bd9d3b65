"""A line the voice cannot render: it is printed, logged as said, and the coach goes on with its timers."""

from __future__ import annotations

import io
import json
import threading

import numpy as np

from voice.audio.speaker import NullOutput
from voice.clock import MonotonicClock, VirtualClock
from voice.coach.actions import EventLog, Say
from voice.coach.dialogue import Coach, State
from voice.coach.messages import Intent
from voice.coach.runtime import RealtimeLoop
from voice.coach.session import Session
from voice.coach.settings import CoachSettings
from voice.content import load_content
from voice.errors import SpeechError
from voice.pcm import TARGET_RATE, Pcm
from voice.speech.output import SessionSpeech, SpeechOut
from voice.speech.synthesis import Synthesizer

CONTENT = load_content()
START = Intent("start", "hamstring", 1.0, "start hamstring stretch")
FIRST_STEP = "Let's do the hamstring stretch. Left side first."


class FakeSynthesizerFailingOn(Synthesizer):
    """A fake synthesiser: 0.1 s of silence for every text but ``bad``, which fails to render as
    espeak-ng does when it breaks (a real failure cannot be made on demand for one line)."""

    def __init__(self, bad: str) -> None:
        super().__init__()
        self.bad = bad

    def cached(self, text: str, rate: int | None = None) -> Pcm | None:
        return None

    def synthesize(self, text: str, rate: int | None = None) -> Pcm:
        if text == self.bad:
            raise SpeechError("speech synthesis failed: the fake cannot say this line")
        return Pcm(np.zeros(TARGET_RATE // 10, dtype=np.int16), TARGET_RATE)


def test_a_line_that_cannot_be_rendered_is_printed_and_the_coach_goes_on() -> None:
    clock = MonotonicClock()
    coach = Coach(CONTENT, CoachSettings(), clock)
    events, shown = io.StringIO(), io.StringIO()
    session = Session(coach, clock, EventLog(events), printed=shown)
    loop = RealtimeLoop(session, clock)
    speech = SpeechOut(FakeSynthesizerFailingOn(FIRST_STEP), NullOutput())
    session.attach(SessionSpeech(speech, session, loop.post))
    loop.post(lambda: session.heard(START))
    loop.stop_when(lambda: coach.state is State.MOVING)
    runner = threading.Thread(target=loop.run, daemon=True)
    runner.start()
    runner.join(timeout=10)
    stuck = runner.is_alive()
    loop.stop()
    runner.join(timeout=5)
    speech.close()
    assert not stuck, f"the coach waited for a line that never started: {events.getvalue()}"
    assert f"coach: {FIRST_STEP}" in shown.getvalue()  # printed, since it could not be said
    logged = [json.loads(line) for line in events.getvalue().splitlines()]
    said = next(i for i, e in enumerate(logged) if e["type"] == "say" and e["text"] == FIRST_STEP)
    assert logged[said + 1]["type"] == "said"
    assert coach.deadline is not None  # the settling time of the step is running


def test_awaited_words_cut_by_something_else_still_let_the_coach_go_on() -> None:
    clock = VirtualClock()
    coach = Coach(CONTENT, CoachSettings(), clock)
    step = next(a for a in coach.on_intent(START) if isinstance(a, Say) and a.text == FIRST_STEP)
    coach.on_speech_done(step.utterance, interrupted=True)  # e.g. the speaker failed under it
    assert coach.state is State.MOVING
    assert coach.deadline is not None
