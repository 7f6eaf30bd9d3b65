"""Where a session is: a hold's beats, what a pause froze, and the tally its summary is spoken from."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice.coach.plan import Beat
from voice.coach.states import State
from voice.content import Content


@dataclass
class TimedProgress:
    """How far a hold or a set of repetitions has got."""

    beats: tuple[Beat, ...] = ()
    """The counts and cues of the timed step, in order."""
    index: int = 0
    """The next beat to play."""
    start: float = 0.0
    """Session time the step started (shifted on resume, so the remaining time is kept)."""


@dataclass(frozen=True)
class PauseSnapshot:
    """What a pause or a confirmation question froze."""

    state: State
    """The state left."""
    elapsed: float
    """Seconds of the timed step already done when it was left."""


@dataclass
class SessionTally:
    """What the session has done so far, for its spoken summary."""

    done: dict[str, list[str | None]] = field(default_factory=dict)
    """Exercise id to the sides completed (None for a one-sided exercise)."""
    pain_stops: list[tuple[str, str | None]] = field(default_factory=list)
    """(exercise id, side) of each stretch during which pain was reported."""

    def summary(self, content: Content) -> str:
        """What was done, and where it hurt, in words (or that nothing was done)."""
        lines = content.lines
        parts = []
        for exercise_id, sides in self.done.items():
            exercise = content.exercise(exercise_id)
            if not exercise.two_sided:
                parts.append(lines.summary_once.format(title=exercise.title))
            elif len(sides) == 2:
                parts.append(lines.summary_both_sides.format(title=exercise.title))
            else:
                parts.append(lines.summary_one_side.format(title=exercise.title, side=sides[0]))
        done = lines.summary.format(done=join_words(parts)) if parts else ""
        return " ".join(text for text in (done, self.pain_summary(content)) if text) or lines.nothing_done

    def pain_summary(self, content: Content) -> str:
        """The stretches during which pain was reported, in words, or ""."""
        lines = content.lines
        stops = []
        for exercise_id, side in self.pain_stops:
            title = content.exercise(exercise_id).title
            stops.append(
                lines.summary_pain_side.format(side=side, title=title) if side
                else lines.summary_once.format(title=title)
            )
        return lines.summary_pain.format(stops=join_words(stops)) if stops else ""


def join_words(parts: list[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (or another last joining word)."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {last} " + parts[-1]
