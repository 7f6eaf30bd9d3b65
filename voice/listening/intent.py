"""Match a transcript to an intent and exercise with rapidfuzz over the compiled phrases."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from voice.coach.messages import NONE, Intent
from voice.confidence import NOT_A_COMMAND_BELOW
from voice.content import Content, IntentName, PainWords, Phrase
from voice.content.numbers import LARGEST_SPOKEN, number_words
from voice.errors import ContentError

PAIN = IntentName.PAIN


def _spell_digits(text: str) -> str:
    return re.sub(r"[0-9]+", lambda match: f" {_spelled(match.group())} ", text)


def _spelled(digits: str) -> str:
    """A number as words; past what can be spelled, digit by digit ("1000": "one zero zero zero")."""
    number = digits.lstrip("0") or "0"
    if len(number) <= len(str(LARGEST_SPOKEN)):  # a long run of digits is never converted whole
        return number_words(int(number))
    return " ".join(number_words(int(digit)) for digit in digits)


@dataclass(frozen=True)
class PainReport:
    """Pain found in what someone said."""

    referral: bool
    """Whether a sign of it calls for a professional's advice."""


class PainFinder:
    """Finds pain signs in keyed words, leaving out negated ones ("no pain") and relieved ones."""

    def __init__(self, pain: PainWords, key: Callable[[str], str]) -> None:
        self._signs = {tuple(key(sign).split()) for sign in pain.signs}
        self._referral = {tuple(key(sign).split()) for sign in pain.referral}
        self._spellings = {key(typed): key(word) for typed, word in pain.spellings}
        self._negations = {key(word) for word in pain.negations}
        self._relief = {key(word) for word in pain.relief}
        self._clause_starts = {key(word) for word in pain.clause_starts}
        self._everyday = {tuple(key(phrase).split()) for phrase in pain.everyday}
        self._negation_reach = pain.negation_reach
        self._relief_reach = pain.relief_reach

    def find(self, key: str) -> PainReport | None:
        """What pain ``key`` reports; None when it reports none."""
        words = [self._spelled(word) for word in key.split()]
        everyday = self._everyday_words(words)
        found = [
            sign
            for start, sign in self._occurrences(words, self._signs)
            if not self._cancelled(words, start, sign)
            and not everyday.issuperset(range(start, start + len(sign)))
        ]
        if not found:
            return None
        return PainReport(referral=any(sign in self._referral for sign in found))

    def _spelled(self, word: str) -> str:
        """The sign word a typed word stands for ("aah" -> "ahh", "ouchs" -> "ouch"), else the word."""
        if word in self._spellings:
            return self._spellings[word]
        if word.endswith("s") and (word[:-1],) in self._signs:
            return word[:-1]
        return word

    @staticmethod
    def _occurrences(
        words: list[str], phrases: set[tuple[str, ...]]
    ) -> list[tuple[int, tuple[str, ...]]]:
        return [
            (start, phrase)
            for start in range(len(words))
            for phrase in phrases
            if tuple(words[start : start + len(phrase)]) == phrase
        ]

    def _everyday_words(self, words: list[str]) -> set[int]:
        """Positions of the words inside everyday phrases, where a sign's word means no pain."""
        return {
            start + offset
            for start, phrase in self._occurrences(words, self._everyday)
            for offset in range(len(phrase))
        }

    def _cancelled(self, words: list[str], start: int, sign: tuple[str, ...]) -> bool:
        before = words[max(0, start - self._negation_reach) : start]
        after = words[start + len(sign) : start + len(sign) + self._relief_reach]
        return self._reaches(reversed(before), self._negations) or self._reaches(after, self._relief)

    def _reaches(self, words: Iterable[str], cancelling: set[str]) -> bool:
        """Whether a cancelling word comes before any clause start, walking away from the sign."""
        for word in words:
            if word in cancelling:
                return True
            if word in self._clause_starts:
                return False
        return False


class IntentMatcher:
    """Turns transcripts into intents; built once from the content."""

    def __init__(self, content: Content) -> None:
        self._fillers = content.fillers
        self._urgent = tuple(urgent for urgent in content.urgent if urgent.intent != PAIN)
        self._urgent_max_words = content.urgent_max_words
        self._pain = PainFinder(content.pain, self.key)
        self._by_key: dict[str, Phrase] = {}
        for phrase in content.phrases:
            key = self.key(phrase.text)
            earlier = self._by_key.setdefault(key, phrase)
            if (earlier.intent, earlier.exercise) != (phrase.intent, phrase.exercise):
                raise ContentError(
                    f"commands: '{earlier.text}' ({earlier.intent}) and '{phrase.text}' "
                    f"({phrase.intent}) sound the same once filler words are dropped"
                )
        self._pain_keys = {key for key, phrase in self._by_key.items() if phrase.intent == PAIN}
        self._keys = [key for key, phrase in self._by_key.items() if phrase.intent != PAIN]

    def key(self, text: str) -> str:
        """The form phrases and transcripts are compared in: plain words, no fillers."""
        plain = _spell_digits(text.replace("-", " ").replace("'", "").replace("\u2019", ""))
        words = utils.default_process(plain).split()
        return " ".join(word for word in words if word not in self._fillers)

    def match(self, transcript: str, asr_confidence: float = 1.0) -> Intent:
        """The intent of ``transcript``; ``none`` when it is not a command."""
        key = self.key(transcript)
        confidence = round(asr_confidence, 3)
        pain = self._pain.find(key)
        if pain or key in self._pain_keys:
            referral = pain is not None and pain.referral
            return Intent(PAIN, None, confidence, transcript, 1.0, referral=referral)
        urgent = self._urgent_intent(key)
        if urgent:
            return Intent(urgent, None, confidence, transcript, 1.0)
        # Pain is decided by its signs above, never by a near miss ("i feel fine" is not "i feel pain").
        best = process.extractOne(key, self._keys, scorer=fuzz.ratio) if key else None
        phrase = self._by_key[best[0]] if best else None
        if best is None or phrase is None or phrase.intent == NONE:
            return Intent(NONE, None, confidence, transcript)  # nothing near, or known not to be a command
        closeness = round(best[1] / 100, 3)
        if closeness < NOT_A_COMMAND_BELOW:
            return Intent(NONE, None, confidence, transcript, closeness)
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
