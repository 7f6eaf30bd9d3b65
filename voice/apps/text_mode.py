"""Text mode: typed commands in, the coach's words printed (and spoken when a speaker is there)."""

from __future__ import annotations

import dataclasses
import functools
import textwrap
import threading
from pathlib import Path
from typing import IO

from voice.apps.config import voice_keeper
from voice.clock import MonotonicClock
from voice.coach.actions import EventLog
from voice.coach.dialogue import Coach
from voice.coach.messages import Intent
from voice.coach.plan import phrases_to_prepare
from voice.coach.runtime import RealtimeLoop
from voice.coach.session import Session
from voice.coach.settings import CoachSettings
from voice.coach.states import State
from voice.content import Content, load_content
from voice.errors import CoachError
from voice.history.recorder import HistoryRecorder, HistoryTarget
from voice.listening.intent import IntentMatcher
from voice.speech.output import open_voice
from voice.speech.synthesis import SpeechSettings

QUIT_WORDS = frozenset({"quit", "exit", "bye", "goodbye"})
"""Typed words that leave text mode (spoken "stop" only ends the exercise)."""

END_OF_INPUT = Intent("stop", None, 1.0, "(end of input)")
"""What the end of typed input (Ctrl-D, or the end of a piped file) means: stop, with the summary."""


def run_text_mode(
    content: Content, settings: CoachSettings, speech: SpeechSettings, output_device: str | None,
    stdin: IO[str], stdout: IO[str], events: IO[str] | None, history: HistoryTarget | None = None,
    state_file: Path | None = None,
) -> int:
    """Read commands line by line until end of input or a quit word; returns the exit status."""
    settings = dataclasses.replace(settings, typed=True)
    clock = MonotonicClock()
    recorder = HistoryRecorder(content, clock, history) if history else None
    coach = Coach(content, settings, clock, recorder)
    session = Session(
        coach, clock, EventLog(events), printed=stdout, recorder=recorder,
        on_voice_change=voice_keeper(state_file),
    )
    loop = RealtimeLoop(session, clock)
    voice = open_voice(speech, output_device, session, loop.post, clock)
    session.attach(voice.port)
    if voice.timed is not None:
        loop.add_timed(voice.timed)
    voice.prepare_in_background(
        phrases_to_prepare(content, settings.cadence, settings.switch_seconds), settings.rate
    )
    matcher = IntentMatcher(content)

    def hear(words: str) -> None:
        session.heard(matcher.match(words))

    def read_lines() -> None:
        for line in stdin:
            words = line.strip()
            if words.lower() in QUIT_WORDS:
                loop.stop()
                return
            if words:
                loop.post(functools.partial(hear, words))
        loop.post(functools.partial(session.heard, END_OF_INPUT, last=True))
        loop.stop_when(lambda: coach.state is State.STOPPED and not session.speaking)

    loop.post(session.begin)
    threading.Thread(target=read_lines, name="stdin", daemon=True).start()
    try:
        loop.run()
    finally:
        voice.close()
        session.close()
    return 0


def what_to_say() -> str:
    """Help text on talking to the coach, taken from the content it ships with."""
    leave = (f"In text mode type the same words; to leave, type {' or '.join(sorted(QUIT_WORDS))}, "
             "or press Ctrl-D (that ends like stop, with a summary).")
    try:
        content = load_content()
    except CoachError:
        return textwrap.fill(leave) + "\n"
    titles = ", ".join(f"({exercise.order}) {exercise.title}" for exercise in content.exercises)
    said = [
        f"start and an exercise name, or stretch and its number: {titles}.",
        "start routine: all of them in order.",
        content.lines.help.format(commands=", ".join(
            example for name, example in content.examples.items() if name not in ("start", "yes", "no")
        )),
    ]
    items = "\n".join(textwrap.fill(line, initial_indent="  ", subsequent_indent="    ") for line in said)
    return f"what you can say to the coach:\n{items}\n\n{textwrap.fill(leave)}\n"
