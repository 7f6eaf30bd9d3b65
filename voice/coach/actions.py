"""What the dialogue manager asks for, and the JSON-lines event log of a session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Any

from voice.coach.messages import Intent


@dataclass(frozen=True)
class Say:
    """Speak these words."""

    utterance: int
    """Id of the utterance, unique within the session."""
    text: str
    """The words."""
    kind: str
    """greeting, step, count, cue, safety, info or help."""
    rate: int
    """Speech rate in words per minute."""
    interrupt: bool = False
    """Cut whatever is playing or queued and start at once (counts start on their second)."""
    volume: float = 1.0
    """Loudness, 0.0 to 1.0, applied when the words are played."""


@dataclass(frozen=True)
class Cut:
    """Stop speech now and drop everything queued."""


@dataclass(frozen=True)
class CountMark:
    """A spoken count: second ``n`` of a hold of ``of`` seconds, or repetition ``n`` of ``of``."""

    n: int
    """Which second or repetition."""
    of: int
    """Hold length in seconds, or number of repetitions."""


@dataclass(frozen=True)
class StateChange:
    """The coach entered a new state."""

    state: str
    """State name."""
    exercise: str | None
    """Current exercise id, if any."""
    side: str | None
    """``left``/``right``, or None for one-sided exercises or none running."""
    step: int | None
    """1-based step number within the side, if on a step."""


@dataclass(frozen=True)
class VoiceChange:
    """The person changed how the coach speaks; kept for the next session."""

    rate: int
    """Speech rate in words per minute."""
    volume: float
    """Loudness, 0.0 to 1.0."""


Action = Say | Cut | CountMark | StateChange | VoiceChange


class EventLog:
    """Writes the session's events as JSON lines (DESIGN §1)."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream

    def _write(self, t: float, event_type: str, **fields: Any) -> None:
        if self._stream is None:
            return
        record = {"t": round(t, 3), "type": event_type, **fields}
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()

    def say(self, t: float, say: Say) -> None:
        """An utterance starts playing."""
        self._write(t, "say", text=say.text, kind=say.kind)

    def said(self, t: float, interrupted: bool) -> None:
        """An utterance finished or was cut."""
        self._write(t, "said", interrupted=interrupted)

    def heard(self, t: float, intent: Intent) -> None:
        """Something was heard (or typed) and matched."""
        self._write(
            t, "heard", text=intent.transcript, intent=intent.name,
            exercise=intent.exercise, confidence=round(intent.confidence, 3),
        )

    def count(self, t: float, mark: CountMark) -> None:
        """A count's word starts."""
        self._write(t, "count", n=mark.n, of=mark.of)

    def state(self, t: float, change: StateChange) -> None:
        """The coach changed state."""
        self._write(
            t, "state", state=change.state, exercise=change.exercise,
            side=change.side, step=change.step,
        )

    def notice(self, t: float, text: str) -> None:
        """Something about the devices the person should know (extension of the log)."""
        self._write(t, "notice", text=text)
