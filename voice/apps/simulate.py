"""``stretch-coach simulate``: the real dialogue manager on a virtual clock, with no audio."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from voice.bounded import TooLarge, read_bounded
from voice.clock import VirtualClock
from voice.coach.actions import EventLog
from voice.coach.dialogue import Coach
from voice.coach.session import Session
from voice.coach.settings import CoachSettings
from voice.content import Content
from voice.errors import CoachError, ScriptError
from voice.history.recorder import HistoryRecorder, HistoryTarget
from voice.listening.intent import IntentMatcher
from voice.speech.silent import SilentSpeaker

RUN_ON_LIMIT = 3 * 3600.0
"""A simulation stops at the latest this long after its last script line."""

MAX_SCRIPT_SECONDS = 24 * 3600.0
"""Latest time a script line may have: a session of a day at most."""

MAX_SCRIPT_BYTES = 4 << 20
"""Largest script read (some 100,000 lines)."""


@dataclass(frozen=True)
class ScriptLine:
    """One line of a simulate script."""

    t: float
    """Virtual seconds from the session start."""
    text: str
    """What the person says."""


def parse_script(text: str, name: str) -> list[ScriptLine]:
    """Lines of ``<seconds> <words>``; blank lines and ``#`` comments are skipped."""
    lines: list[ScriptLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        when, *said = line.split(None, 1)
        try:
            t = float(when)
        except ValueError:
            raise ScriptError(
                f"{name}:{number}: expected '<seconds> <what the person says>', got '{raw.strip()}'"
            ) from None
        if not math.isfinite(t) or t < 0:
            raise ScriptError(f"{name}:{number}: time '{when}' must be a number of seconds, 0 or more")
        if t > MAX_SCRIPT_SECONDS:
            latest = f"{MAX_SCRIPT_SECONDS:g}"
            raise ScriptError(f"{name}:{number}: time '{when}' is past a day; use at most {latest}")
        if lines and t < lines[-1].t:
            raise ScriptError(f"{name}:{number}: time {t:g} is earlier than the line before")
        lines.append(ScriptLine(t, said[0].strip() if said else ""))
    return lines


def read_script(path: Path) -> list[ScriptLine]:
    """Read and parse a script file."""
    try:
        text = read_bounded(path, MAX_SCRIPT_BYTES).decode("utf-8")
    except UnicodeDecodeError as error:
        reason = f"the script is not UTF-8 text (byte {error.start}); save as UTF-8"
        raise ScriptError(f"{path}: {reason}") from None
    except TooLarge as error:
        raise ScriptError(f"{path}: {error}") from None
    except OSError as error:
        raise ScriptError(f"{path}: cannot read the script: {error.strerror}") from None
    return parse_script(text, str(path))


class Simulation:
    """A session on a virtual clock: script lines in, event log out."""

    def __init__(
        self, content: Content, settings: CoachSettings, stream: IO[str] | None,
        history: HistoryTarget | None = None,
    ) -> None:
        self.clock = VirtualClock()
        self.history = HistoryRecorder(content, self.clock, history) if history else None
        self.coach = Coach(content, settings, self.clock, self.history)
        self.session = Session(self.coach, self.clock, EventLog(stream), recorder=self.history)
        self.speaker = SilentSpeaker(self.clock, self.session)
        self.session.attach(self.speaker)
        self._matcher = IntentMatcher(content)

    def run(self, script: list[ScriptLine]) -> None:
        """Greet, play the script, then run on until nothing more is scheduled."""
        self.session.begin()
        for line in script:
            self.run_until(line.t)
            self.say(line.text)
        self._fire_until((script[-1].t if script else 0.0) + RUN_ON_LIMIT)
        self.session.close()

    def say(self, text: str, confidence: float = 1.0) -> None:
        """The person says ``text`` now."""
        self.session.heard(self._matcher.match(text, confidence))

    def run_until(self, t: float) -> None:
        """Advance the clock to ``t``, firing every timer and speech end on the way."""
        self._fire_until(t)
        self.clock.advance_to(t)

    def _fire_until(self, t: float) -> None:
        """Fire every timer and speech end due by ``t``; the clock stays at the last one."""
        while True:
            due = [d for d in (self.coach.deadline, self.speaker.deadline) if d is not None]
            if not due or min(due) > t:
                break
            self.clock.advance_to(min(due))
            self.speaker.on_time()
            self.session.tick()


def simulate(
    script: list[ScriptLine], content: Content, settings: CoachSettings, stream: IO[str],
    history: HistoryTarget | None = None,
) -> None:
    """Run ``script`` and write the event log to ``stream`` (and record it when ``history`` is given)."""
    Simulation(content, settings, stream, history).run(script)


FIRST_YEAR, LAST_YEAR = 1970, 2999
"""Years a simulated session may be placed in (the history's dates stay in range)."""


def placed_start(value: str | None, history: Path | None) -> datetime | None:
    """The wall-clock start of a simulated session placed by ``--date``."""
    if value is None:
        return None
    if history is None:
        raise CoachError("--date places a recorded session on a day; give --history FILE as well")
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise CoachError(f"--date '{value}' is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise CoachError(f"--date '{value}' is out of range; use a day from {FIRST_YEAR} to {LAST_YEAR}")
    if len(value) == len("YYYY-MM-DD"):
        start = start.replace(hour=9)
    return start if start.tzinfo else start.astimezone()
