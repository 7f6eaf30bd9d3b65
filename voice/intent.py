"""Match a transcript to an intent and exercise with rapidfuzz over the compiled phrases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from voice.content import Content, Phrase
from voice.errors import ContentError
from voice.numbers import number_words

NOT_A_COMMAND_BELOW = 0.78
"""A transcript whose best phrase scores under this (0..1) is not a command."""

NEAR_MISS_FROM = 0.68
"""A ``none`` whose best phrase scores at least this (0..1) came close to a command: worth a "say again"."""

CLEAR_ATTEMPT_FROM = 0.72
"""A ``none`` scoring at least this is clearly a command attempt, worth answering even mid-hold."""

NONE = "none"


@dataclass(frozen=True)
class Intent:
    """What a person meant by what they said."""

    name: str
    """Intent name from content/commands.toml, or ``none``."""
    exercise: str | None
    """Exercise id for ``start``; otherwise None."""
    confidence: float
    """0..1: how sure the match is, including the recogniser's own confidence."""
    transcript: str
    """The words the intent was taken from."""
    closeness: float = 0.0
    """0..1: how close the words came to the nearest command phrase, even when below the cutoff."""

    @property
    def near_miss(self) -> bool:
        """Not a command, but close enough to one that the person was probably trying."""
        return self.name == NONE and self.closeness >= NEAR_MISS_FROM

    @property
    def clear_attempt(self) -> bool:
        """Not a command, but so close to one that it is surely an attempt at one."""
        return self.name == NONE and self.closeness >= CLEAR_ATTEMPT_FROM


def _spell_digits(text: str) -> str:
    return re.sub(r"\d+", lambda match: f" {number_words(int(match.group()))} ", text)


class IntentMatcher:
    """Turns transcripts into intents; built once from the content."""

    def __init__(self, content: Content) -> None:
        self._fillers = content.fillers
        self._urgent = content.urgent
        self._urgent_max_words = content.urgent_max_words
        self._by_key: dict[str, Phrase] = {}
        for phrase in content.phrases:
            key = self.key(phrase.text)
            earlier = self._by_key.setdefault(key, phrase)
            if (earlier.intent, earlier.exercise) != (phrase.intent, phrase.exercise):
                raise ContentError(
                    f"commands: '{earlier.text}' ({earlier.intent}) and '{phrase.text}' "
                    f"({phrase.intent}) sound the same once filler words are dropped"
                )
        self._keys = list(self._by_key)

    def key(self, text: str) -> str:
        """The form phrases and transcripts are compared in: plain words, no fillers."""
        words = utils.default_process(_spell_digits(text.replace("-", " "))).split()
        return " ".join(word for word in words if word not in self._fillers)

    def match(self, transcript: str, asr_confidence: float = 1.0) -> Intent:
        """The intent of ``transcript``; ``none`` when it is not a command."""
        key = self.key(transcript.replace("'", ""))
        urgent = self._urgent_intent(key)
        if urgent:
            return Intent(urgent, None, round(asr_confidence, 3), transcript, 1.0)
        best = process.extractOne(key, self._keys, scorer=fuzz.ratio) if key else None
        closeness = round(best[1] / 100, 3) if best else 0.0
        if best is None or closeness < NOT_A_COMMAND_BELOW:
            return Intent(NONE, None, round(asr_confidence, 3), transcript, closeness)
        phrase = self._by_key[best[0]]
        confidence = round(closeness * asr_confidence, 3)
        return Intent(phrase.intent, phrase.exercise, confidence, transcript, closeness)

    def _urgent_intent(self, key: str) -> str | None:
        words = key.split()
        if not words or len(words) > self._urgent_max_words:
            return None
        for urgent in self._urgent:
            if any(self.key(word) in words for word in urgent.words):
                return urgent.intent
        return None
