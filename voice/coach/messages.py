"""What a person meant: the message the intent matcher hands to the coach."""

from __future__ import annotations

from dataclasses import dataclass

from voice.confidence import CLEAR_ATTEMPT_FROM, NEAR_MISS_FROM
from voice.content import IntentName

NONE = IntentName.NONE
"""The intent name for words that are not a command."""


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
    referral: bool = False
    """Pain with numbness, tingling or spreading down the leg: advise seeing a professional."""

    @property
    def near_miss(self) -> bool:
        """Not a command, but close enough to one that the person was probably trying."""
        return self.name == NONE and self.closeness >= NEAR_MISS_FROM

    @property
    def clear_attempt(self) -> bool:
        """Not a command, but so close to one that it is surely an attempt at one."""
        return self.name == NONE and self.closeness >= CLEAR_ATTEMPT_FROM
