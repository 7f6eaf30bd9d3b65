"""Expand exercises into the flat list of items a session walks through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from voice.coach.settings import CountCadence
from voice.content import Content, Exercise, Step, StepKind
from voice.content.numbers import number_words


class ItemRole(StrEnum):
    """Where an item stands in an exercise."""

    INTRO = "intro"
    STEP = "step"
    SWITCH = "switch"
    DONE = "done"


@dataclass(frozen=True)
class Item:
    """One thing the coach says, then waits, holds or counts for."""

    role: ItemRole
    """Intro, step, side switch or the exercise's closing line."""
    exercise: Exercise
    """The exercise it belongs to."""
    side: str | None
    """``left``/``right`` on two-sided exercises, else None."""
    text: str
    """The words, ready to speak."""
    settle: float
    """Seconds after the words (or after the release) before the next item."""
    step: Step | None = None
    """The content step, for STEP items."""
    number: int = 0
    """1-based step number within the side, for STEP items; 0 otherwise."""

    @property
    def speech_kind(self) -> str:
        """The event-log kind of the item's words."""
        return "step" if self.role is ItemRole.STEP else "cue"


class BeatKind(StrEnum):
    """A timed moment inside a hold or a set of repetitions."""

    COUNT = "count"
    RELEASE = "release"
    REP = "rep"
    LOWER = "lower"


@dataclass(frozen=True)
class Beat:
    """Something said at a fixed offset from the start of a hold or set."""

    offset: float
    """Seconds from the start of the hold or set."""
    kind: BeatKind
    """What happens."""
    n: int = 0
    """The second (holds) or repetition (reps) it marks."""
    of: int = 0
    """Length of the hold in seconds, or number of repetitions."""


def exercise_items(content: Content, exercise: Exercise, switch_seconds: float) -> list[Item]:
    """Intro, every step on every side with a switch between sides, and the closing line."""
    lines = content.lines
    intro = lines.start_exercise.format(title=exercise.title)
    if exercise.two_sided:
        intro += " " + lines.first_side.format(side=exercise.sides[0]).capitalize()
    items = [Item(ItemRole.INTRO, exercise, exercise.sides[0], intro, settle=1.0)]
    for index, side in enumerate(exercise.sides):
        if index:
            items.append(Item(ItemRole.SWITCH, exercise, side, lines.switch_side, switch_seconds))
        items.extend(
            Item(ItemRole.STEP, exercise, side, step.spoken(side), step.settle, step, number)
            for number, step in enumerate(exercise.steps, start=1)
        )
    done = lines.exercise_done.format(title=exercise.title)
    items.append(Item(ItemRole.DONE, exercise, exercise.sides[-1], done, settle=0.0))
    return items


def beats(step: Step, cadence: CountCadence) -> tuple[Beat, ...]:
    """The timed beats of a hold or reps step; a count for second n starts at offset n - 1."""
    if step.kind is StepKind.HOLD:
        counts = [Beat(n - 1.0, BeatKind.COUNT, n, step.seconds) for n in cadence.seconds(step.seconds)]
        return (*counts, Beat(float(step.seconds), BeatKind.RELEASE, step.seconds, step.seconds))
    if step.kind is StepKind.REPS:
        period = step.hold + step.rest
        timed: list[Beat] = []
        for n in range(1, step.count + 1):
            start = (n - 1) * period
            timed.append(Beat(start, BeatKind.REP, n, step.count))
            timed.append(Beat(start + step.hold, BeatKind.LOWER, n, step.count))
        return tuple(timed)
    return ()


def phrases_to_prepare(content: Content, cadence: CountCadence, switch_seconds: float) -> list[str]:
    """Everything the coach may say that can be rendered ahead: counts and cues first, then steps."""
    counts: list[str] = []
    steps: list[str] = []
    for exercise in content.exercises:
        for item in exercise_items(content, exercise, switch_seconds):
            steps.append(item.text)
            if item.step is not None:
                counts.extend(spoken_beats(item.step, cadence))
    lines = [content.lines.release, content.lines.paused, content.lines.pain]
    return list(dict.fromkeys([*counts, *lines, *steps]))


def spoken_beats(step: Step, cadence: CountCadence) -> list[str]:
    """The words of every beat of a hold or reps step (release aside)."""
    return [beat_words(step, beat) for beat in beats(step, cadence) if beat.kind is not BeatKind.RELEASE]


def beat_words(step: Step, beat: Beat) -> str:
    """What is said on a count, repetition or lowering beat."""
    if beat.kind is BeatKind.COUNT:
        return number_words(beat.n)
    if beat.kind is BeatKind.REP:
        return f"{number_words(beat.n)}, {step.up}."
    return step.down.capitalize() + "."
