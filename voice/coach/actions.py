"""What the dialogue manager asks for, and the JSON-lines event log of a session."""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from voice.coach.messages import NONE, Intent
from voice.errors import CoachError
from voice.private import open_private

log = logging.getLogger(__name__)

EVENT_LOGS_KEPT = 5
"""Earlier event logs kept beside the current one unless the config says otherwise (``FILE.1`` the last
session's, ``FILE.5`` the oldest)."""

MAX_EVENT_LOGS_KEPT = 100
"""Most earlier event logs the config may keep."""


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


def event_log_files(path: Path) -> list[Path]:
    """The event log at ``path`` and the earlier ones kept beside it, those that exist."""
    return [file for file in (path, *_older(path, MAX_EVENT_LOGS_KEPT)) if file.is_file()]


def _older(path: Path, kept: int) -> list[Path]:
    return [path.with_name(f"{path.name}.{number}") for number in range(1, kept + 1)]


def open_event_log(path: Path, kept: int = EVENT_LOGS_KEPT) -> IO[str]:
    """A new event log at ``path``, owner-only; the one there before moves to ``FILE.1`` (and so on).

    Earlier logs beyond the ``kept`` newest are deleted."""
    try:
        for surplus in _older(path, MAX_EVENT_LOGS_KEPT)[kept:]:
            if surplus.is_file():
                surplus.unlink()
        if path.is_file() and path.stat().st_size:
            older = _older(path, kept)
            for newer, elder in reversed(list(zip([path, *older], older, strict=False))):
                if newer.is_file():
                    newer.replace(elder)
        return open_private(path, "w")
    except OSError as error:
        raise CoachError(f"{path}: cannot write the event log: {error.strerror}") from None


class EventLog:
    """Writes the session's events as JSON lines (DESIGN §1).

    ``unmatched_words``: keep the words of what was no command (typed sessions); a live session logs
    them as "" so that talk overheard in the room is not kept. A failing write (a full disk) is
    logged once and the session goes on without the log."""

    def __init__(self, stream: IO[str] | None, unmatched_words: bool = True) -> None:
        self._stream = stream
        self._unmatched_words = unmatched_words

    def _write(self, t: float, event_type: str, **fields: Any) -> None:
        if self._stream is None:
            return
        record = {"t": round(t, 3), "type": event_type, **fields}
        try:
            self._stream.write(json.dumps(record) + "\n")
            self._stream.flush()
        except BrokenPipeError:
            raise  # simulate's reader went away (``| head``): the program ends there
        except (OSError, ValueError) as error:
            log.warning("the event log is off for this session: cannot write it (%s)", error)
            self._drop()

    def _drop(self) -> None:
        """Stop writing; what is still buffered is thrown away (it cannot be written either)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            with suppress(OSError, ValueError):
                stream.close()

    def say(self, t: float, say: Say) -> None:
        """An utterance starts playing."""
        self._write(t, "say", text=say.text, kind=say.kind)

    def said(self, t: float, interrupted: bool) -> None:
        """An utterance finished or was cut."""
        self._write(t, "said", interrupted=interrupted)

    def heard(self, t: float, intent: Intent) -> None:
        """Something was heard (or typed) and matched."""
        text = intent.transcript if self._unmatched_words or intent.name != NONE else ""
        self._write(
            t, "heard", text=text, intent=intent.name,
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
