"""The content's data model: exercises, steps, phrases, pain words and the coach's lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path

from voice.content.numbers import number_words


class IntentName(StrEnum):
    """What a person can mean (DESIGN section 1), in the order command data is compiled."""

    START = "start"
    ROUTINE = "routine"
    NEXT = "next"
    BACK = "back"
    REPEAT = "repeat"
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"
    STOP = "stop"
    PAIN = "pain"
    HELP = "help"
    LIST = "list"
    INFO = "info"
    SLOWER = "slower"
    FASTER = "faster"
    YES = "yes"
    NO = "no"
    PROGRESS = "progress"
    LOUDER = "louder"
    QUIETER = "quieter"
    NONE = "none"
    """Not a command: chatter, noise, silence, or a sentence known so as not to be mistaken."""


INTENTS = tuple(name for name in IntentName if name is not IntentName.NONE)
"""The intents that are commands; each has phrase templates in the content."""
SIDES = ("left", "right")
NOT_A_COMMAND = IntentName.NONE
"""The intent of sentences the recognisers know only so as not to mistake them for commands."""

EXERCISE_ID = re.compile(r"[a-z][a-z0-9_]*")
"""What an exercise id looks like: lower-case words joined by underscores."""

STEP_PLACEHOLDERS = {
    "instruction": ("side", "other"),
    "hold": ("side", "other", "seconds"),
    "reps": ("side", "other", "count"),
}
"""Names a step's text may fill in, by the kind of step."""

LINE_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "start_exercise": ("title",), "first_side": ("side",), "exercise_done": ("title",),
    "routine_start": ("count",), "summary": ("done",), "resume_hold": ("remaining",),
    "skip": ("title",), "summary_both_sides": ("title",), "summary_one_side": ("title", "side"),
    "summary_once": ("title",), "list": ("names",), "info": ("location", "benefit"),
    "confirm": ("title",), "device_back": ("device",), "offer_numbers": ("last",), "help": ("commands",),
    "week": ("sessions", "exercises"), "week_nothing_done": ("sessions",), "week_pain": ("reports",),
    "week_pain_report": ("day", "title"), "week_sessions": ("count",), "week_exercise": ("title", "times"),
    "week_times": ("count",), "week_on_day": ("day",),
    "summary_pain": ("stops",), "summary_pain_side": ("side", "title"),
}
"""Names each coach line in speech.toml may fill in; lines not listed take none."""


MAX_EXERCISES = 100
"""Most exercise files a content folder may hold."""

MAX_STEPS = 100
"""Most steps an exercise may have."""

MAX_LIST_ITEMS = 1000
"""Most items any other list in a content file may hold."""

MAX_PHRASES = 50_000
"""Most sentences the command templates may stand for, all exercise names filled in (the shipped ones:
about 2,600); matching and the recogniser's grammar grow with them."""

MAX_STEP_SECONDS = 600.0
"""Longest settle, repetition hold or rest, in seconds."""

MAX_REACH = 20
"""Most words a negation or relief word may reach, and most words of an urgent command."""


def default_content_dir() -> Path:
    """The content shipped with the package: ``content/`` itself in a checkout or editable install."""
    return Path(str(resources.files("voice.data")))


class StepKind(StrEnum):
    """What a step asks of the person."""

    INSTRUCTION = "instruction"
    HOLD = "hold"
    REPS = "reps"


@dataclass(frozen=True)
class Step:
    """One step of an exercise as written in content (side placeholders unfilled)."""

    kind: StepKind
    """Instruction, timed hold or repetitions."""
    text: str
    """What the coach says; may hold {side}, {other}, {seconds}, {count}."""
    settle: float
    """Seconds the person gets after the words (or after release) before the next step."""
    seconds: int = 0
    """Length of a hold, in seconds (holds only)."""
    count: int = 0
    """Number of repetitions (reps only)."""
    hold: float = 0.0
    """Seconds each repetition is held (reps only)."""
    rest: float = 0.0
    """Seconds to lower and recover between repetitions (reps only)."""
    up: str = ""
    """Cue spoken with each repetition's count (reps only)."""
    down: str = ""
    """Cue spoken when a repetition's hold ends (reps only)."""

    def spoken(self, side: str | None) -> str:
        """The step's words for one side, numbers spelled out for speech."""
        other = None if side is None else SIDES[1 - SIDES.index(side)]
        return self.text.format(
            side=side or "", other=other or "",
            seconds=number_words(self.seconds), count=number_words(self.count),
        )


@dataclass(frozen=True)
class Exercise:
    """One of the five exercises."""

    id: str
    """Exercise id from its file (the five of the programme are fixed; see DESIGN)."""
    title: str
    """Spoken name, used in sentences such as "Let's do the {title}"."""
    order: int
    """Position in the routine, from 1; also its number ("stretch two")."""
    two_sided: bool
    """True when every step runs once per side, left then right."""
    location: str
    """Where the muscle is, as a spoken sentence."""
    benefit: str
    """What the exercise helps, as a spoken sentence."""
    names: tuple[str, ...]
    """What people call it, lower case, most common first."""
    steps: tuple[Step, ...]
    """The steps, written once for a side."""

    @property
    def sides(self) -> tuple[str | None, ...]:
        """The sides the steps run on, in order; (None,) when one-sided."""
        return SIDES if self.two_sided else (None,)


@dataclass(frozen=True)
class Phrase:
    """One sentence a person may say, with what it means."""

    text: str
    """Lower-case words separated by single spaces."""
    intent: str
    """Intent name (see INTENTS), or ``none`` for a sentence known so as not to be mistaken."""
    exercise: str | None = None
    """Exercise id when the intent is ``start``."""
    spoken: bool = True
    """Offered to the recognisers; False for a typed-only phrase (it sounds too like an urgent word)."""


URGENT_INTENTS = (IntentName.PAIN, IntentName.STOP, IntentName.PAUSE)
"""Intents with urgent words, most urgent first; only these may interrupt the coach's speech."""


@dataclass(frozen=True)
class UrgentWords:
    """Words that decide an urgent intent wherever they stand in a short utterance."""

    intent: str
    """The intent they decide (one of URGENT_INTENTS)."""
    words: tuple[str, ...]
    """The words themselves."""


@dataclass(frozen=True)
class PainWords:
    """How pain is said (content/pain.toml), lower case, as written there."""

    signs: tuple[str, ...] = ()
    """Words and short phrases that mean pain wherever they stand."""
    urgent: tuple[str, ...] = ()
    """Signs that count even while the coach is talking."""
    referral: tuple[str, ...] = ()
    """Signs after which the coach advises stopping for today and seeing a professional."""
    typed_only: tuple[str, ...] = ()
    """Signs that count when typed or heard but are kept out of the spoken grammar (chatter fits them)."""
    spellings: tuple[tuple[str, str], ...] = ()
    """(typed spelling, sign word) pairs: other ways to write a sign's word."""
    negations: tuple[str, ...] = ()
    """Words that cancel a sign a few words after them ("no pain")."""
    negation_reach: int = 3
    """How many words after it a negation reaches."""
    relief: tuple[str, ...] = ()
    """Words that cancel a sign a few words before them ("the pain has gone")."""
    relief_reach: int = 3
    """How many words before it a relief word reaches."""
    clause_starts: tuple[str, ...] = ()
    """Words that start a new clause; neither negation nor relief reaches past them."""
    everyday: tuple[str, ...] = ()
    """Phrases in which a sign's word means no pain ("a pinch of salt"): a sign inside one does not count."""


@dataclass(frozen=True)
class Lines:
    """Everything the coach says that is not an exercise step (content/speech.toml)."""

    greeting: str
    start_exercise: str
    first_side: str
    switch_side: str
    release: str
    exercise_done: str
    ready: str
    routine_start: str
    routine_done: str
    paused: str
    resume_hold: str
    resume_step: str
    pain: str
    pain_options: str
    pain_referral: str
    pain_idle: str
    pain_resume: str
    skip: str
    nothing_running: str
    summary: str
    stopping: str
    nothing_done: str
    summary_both_sides: str
    summary_one_side: str
    summary_once: str
    summary_pain: str
    summary_pain_side: str
    help: str
    list: str
    info: str
    confirm: str
    confirm_no: str
    slower: str
    faster: str
    rate_limit: str
    device_back: str
    cannot_hear: str
    hearing_back: str
    hearing_failed: str
    history_off: str
    week_empty: str
    week: str
    week_nothing_done: str
    week_pain: str
    week_pain_report: str
    week_no_pain: str
    week_one_session: str
    week_sessions: str
    week_exercise: str
    week_once: str
    week_twice: str
    week_times: str
    week_today: str
    week_yesterday: str
    week_on_day: str
    not_understood: str
    say_again: str
    offer_numbers: str
    louder: str
    quieter: str
    loudest: str
    quietest: str
    after_stop: str


@dataclass(frozen=True)
class Content:
    """All content, validated and compiled."""

    exercises: tuple[Exercise, ...]
    """The exercises in routine order."""
    phrases: tuple[Phrase, ...]
    """Every sentence compiled from the command templates, without duplicates."""
    lines: Lines
    """The coach's own lines."""
    fillers: frozenset[str] = frozenset()
    """Words ignored when matching what was said ("um", "please")."""
    urgent: tuple[UrgentWords, ...] = ()
    """Urgent words, most urgent first; pain's are the urgent ones among its signs."""
    urgent_max_words: int = 0
    """Stop and pause words count only in utterances of at most this many words (pain always counts)."""
    examples: dict[str, str] = field(default_factory=dict)
    """The plainest phrase of each intent (from its first template), for spoken help."""
    pain: PainWords = PainWords()
    """How pain is said."""
    folder: Path | None = None
    """The folder the content was loaded from (the engines read its asr.toml); None when built in code."""

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    @property
    def spoken_phrases(self) -> tuple[Phrase, ...]:
        """The phrases the recognisers are offered (all but the typed-only ones)."""
        return tuple(phrase for phrase in self.phrases if phrase.spoken)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every distinct word in every phrase, sorted."""
        return tuple(sorted({word for phrase in self.phrases for word in phrase.text.split()}))
