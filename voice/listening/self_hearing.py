"""Self-hearing guard: drop what the microphone caught of the coach's own words."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from voice.coach.messages import Intent

WORD_SLACK_SECONDS = 0.6
"""How far a heard word may sit from when the coach said it and still count as its echo."""

MIN_STEM = 3
"""A heard word this long or longer that begins a word the coach said counts as that word."""

TAIL_SECONDS = 0.3
"""The room keeps ringing this long after the coach stops."""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("-", " "))


def _alike(heard: str, said: str) -> bool:
    if heard == said:
        return True
    shorter, longer = sorted((heard, said), key=len)
    return len(shorter) >= MIN_STEM and longer.startswith(shorter)


@dataclass(frozen=True)
class Spoken:
    """One utterance of the coach, as played."""

    text: str
    """The words."""
    start: float
    """Session seconds when playback started."""
    length: float
    """Seconds the whole utterance takes to play."""
    end: float
    """Session seconds when it finished or was cut."""

    def words_between(self, start: float, end: float) -> set[str]:
        """Words the coach was saying between ``start`` and ``end``, spread evenly over its length."""
        words = _words(self.text)
        if not words:
            return set()
        step = self.length / len(words)
        low, high = start - WORD_SLACK_SECONDS, min(self.end, end) + WORD_SLACK_SECONDS
        return {word for index, word in enumerate(words) if low <= self.start + index * step <= high}


class SelfHearingGuard:
    """Remembers what the coach said and when; rejects transcripts made only of those words."""

    def __init__(self, keep: int = 16) -> None:
        self._spoken: deque[Spoken] = deque(maxlen=keep)
        self._playing: Spoken | None = None

    def started(self, text: str, at: float, length: float) -> None:
        """The coach began an utterance that takes ``length`` seconds."""
        self._playing = Spoken(text, at, length, at + length)

    def finished(self, at: float) -> None:
        """The current utterance ended (or was cut)."""
        if self._playing is not None:
            playing = self._playing
            self._spoken.append(Spoken(playing.text, playing.start, playing.length, at))
            self._playing = None

    def overlaps(self, start: float, end: float) -> bool:
        """Whether the coach was audible at any point of ``start``..``end``."""
        return any(s.start <= end and start <= s.end + TAIL_SECONDS for s in self._heard_so_far(end))

    def is_own_voice(self, intent: Intent, start: float, end: float) -> bool:
        """True when at least half the words heard sound like words the coach was saying then.

        Sounds like: the same word, or one the start of the other ("stop" in "stopping"), since the
        recogniser forces the coach's words into the nearest command ("stopping here" -> "stop it").
        """
        heard = _words(intent.transcript)
        if not heard or not self.overlaps(start, end):
            return False
        coach_words: set[str] = set()
        for spoken in self._heard_so_far(end):
            coach_words |= spoken.words_between(start, end)
        echoed = sum(any(_alike(word, said) for said in coach_words) for word in heard)
        return 2 * echoed >= len(heard)

    def _heard_so_far(self, now: float) -> list[Spoken]:
        spoken = list(self._spoken)
        if self._playing is not None:
            spoken.append(Spoken(
                self._playing.text, self._playing.start, self._playing.length, max(now, self._playing.start)
            ))
        return spoken
