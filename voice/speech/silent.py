"""Speech out without sound: estimated speaking times, for the simulator and for sessions with no speaker."""

from __future__ import annotations

from collections import deque

from voice.clock import Clock
from voice.coach.actions import Say
from voice.coach.session import SpeechListener

SECONDS_PER_CHARACTER_AT_150_WPM = 1 / 14.0
"""How long espeak-ng takes per character of text at 150 words per minute (measured, rounded)."""


def speaking_time(text: str, rate: int) -> float:
    """An estimate of how long ``text`` takes to say at ``rate`` words per minute."""
    return 0.15 + len(text) * SECONDS_PER_CHARACTER_AT_150_WPM * 150 / rate


class SilentSpeaker:
    """Plays utterances one after another without sound, each taking its estimated time."""

    def __init__(self, clock: Clock, listener: SpeechListener) -> None:
        self._clock = clock
        self._listener = listener
        self._queue: deque[Say] = deque()
        self._current: Say | None = None
        self._ends_at = 0.0

    def say(self, say: Say) -> None:
        if say.interrupt:
            self.cut()
        self._queue.append(say)
        self._start_next()

    def cut(self) -> None:
        self._queue.clear()
        current, self._current = self._current, None
        if current is not None:
            self._listener.speech_finished(current, True)

    @property
    def deadline(self) -> float | None:
        """When the current utterance ends."""
        return self._ends_at if self._current else None

    def on_time(self) -> None:
        """Finish the current utterance if its time is up, then start the next."""
        if self._current is not None and self._ends_at <= self._clock.now() + 1e-9:
            finished, self._current = self._current, None
            self._listener.speech_finished(finished, False)
            self._start_next()

    def _start_next(self) -> None:
        if self._current is None and self._queue:
            self._current = self._queue.popleft()
            self._ends_at = self._clock.now() + speaking_time(self._current.text, self._current.rate)
            self._listener.speech_started(self._current)
