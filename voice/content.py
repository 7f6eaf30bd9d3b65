"""Load and validate the exercises, command phrases and coach lines under ``content/``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from voice.errors import ContentError
from voice.numbers import number_words
from voice.templates import TemplateError, expand

EXERCISE_IDS = ("piriformis", "psoas", "hamstring", "transversus_abdominis", "gluteus_medius")
INTENTS = (
    "start", "routine", "next", "back", "repeat", "pause", "resume", "skip",
    "stop", "pain", "help", "list", "info", "slower", "faster", "yes", "no",
)
SIDES = ("left", "right")
NOT_A_COMMAND = "none"
"""The intent of sentences the recognisers know only so as not to mistake them for commands."""


def default_content_dir() -> Path:
    """The ``content/`` folder that ships beside the package."""
    return Path(__file__).resolve().parent.parent / "content"


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
    """Fixed exercise id (see EXERCISE_IDS)."""
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


URGENT_INTENTS = ("pain", "stop", "pause")
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
    pain: PainWords = PainWords()
    """How pain is said."""

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every distinct word in every phrase, sorted."""
        return tuple(sorted({word for phrase in self.phrases for word in phrase.text.split()}))


class _Reader:
    """Reads typed fields from one TOML table, naming the file and place on error."""

    def __init__(self, path: Path, where: str, table: dict[str, Any]) -> None:
        self.path, self.where, self.table = path, where, table

    def fail(self, message: str) -> ContentError:
        return ContentError(f"{self.path}: {self.where}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise self.fail(f"field '{key}' is missing")
            return default
        value = self.table[key]
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(f"field '{key}' must be {names}, not {type(value).__name__}")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if not isinstance(value, str) or (default is ... and not value.strip()):
            raise self.fail(f"field '{key}' must not be empty")
        return value.strip()

    def positive(self, key: str, default: Any = ...) -> float:
        value = self.get(key, (int, float), default)
        if value <= 0 and default is ...:
            raise self.fail(f"field '{key}' must be more than 0")
        if value < 0:
            raise self.fail(f"field '{key}' must not be negative")
        return float(value)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ContentError(f"{path}: cannot be read: {error.strerror}") from None


def _load_step(reader: _Reader, two_sided: bool) -> Step:
    kind_name = reader.text("kind")
    try:
        kind = StepKind(kind_name)
    except ValueError:
        allowed = ", ".join(k.value for k in StepKind)
        raise reader.fail(f"field 'kind' is '{kind_name}', expected one of {allowed}") from None
    text = reader.text("text")
    if not two_sided and ("{side}" in text or "{other}" in text):
        raise reader.fail("field 'text' names a side but the exercise is not two_sided")
    settle = reader.positive("settle", 3.0)
    if kind is StepKind.HOLD:
        seconds = reader.get("seconds", int)
        if seconds <= 0:
            raise reader.fail("field 'seconds' must be a whole number above 0")
        return Step(kind, text, settle, seconds=seconds)
    if kind is StepKind.REPS:
        count = reader.get("count", int)
        if count <= 0:
            raise reader.fail("field 'count' must be a whole number above 0")
        return Step(
            kind, text, settle, count=count, hold=reader.positive("hold"),
            rest=reader.positive("rest"), up=reader.text("up"), down=reader.text("down"),
        )
    return Step(kind, text, settle)


def _load_exercise(path: Path) -> Exercise:
    data = _read_toml(path)
    exercise_id = data.get("id", path.stem)
    reader = _Reader(path, f"exercise '{exercise_id}'", data)
    exercise_id = reader.text("id")
    if exercise_id not in EXERCISE_IDS:
        raise reader.fail(f"field 'id' is '{exercise_id}', expected one of {', '.join(EXERCISE_IDS)}")
    two_sided = reader.get("two_sided", bool)
    names = reader.get("names", list)
    if not names or not all(isinstance(name, str) and name.strip() for name in names):
        raise reader.fail("field 'names' must be a list of at least one non-empty name")
    raw_steps = reader.get("steps", list)
    if not raw_steps:
        raise reader.fail("field 'steps' must hold at least one step")
    steps = []
    for number, table in enumerate(raw_steps, start=1):
        if not isinstance(table, dict):
            raise reader.fail(f"step {number} must be a table")
        step_reader = _Reader(path, f"exercise '{exercise_id}': step {number}", table)
        steps.append(_load_step(step_reader, two_sided))
    if not any(step.kind is not StepKind.INSTRUCTION for step in steps):
        raise reader.fail("field 'steps' needs at least one hold or reps step")
    return Exercise(
        id=exercise_id, title=reader.text("title"), order=reader.get("order", int),
        two_sided=two_sided, location=reader.text("location"), benefit=reader.text("benefit"),
        names=tuple(_normalise(name) for name in names), steps=tuple(steps),
    )


def _load_exercises(folder: Path) -> tuple[Exercise, ...]:
    exercises = [_load_exercise(path) for path in sorted(folder.glob("*.toml"))]
    found = {exercise.id for exercise in exercises}
    missing = [exercise_id for exercise_id in EXERCISE_IDS if exercise_id not in found]
    if missing:
        raise ContentError(f"{folder}: no exercise file for {', '.join(missing)}")
    if len(found) != len(exercises):
        raise ContentError(f"{folder}: an exercise id appears in more than one file")
    ordered = sorted(exercises, key=lambda exercise: exercise.order)
    if [exercise.order for exercise in ordered] != list(range(1, len(ordered) + 1)):
        raise ContentError(f"{folder}: field 'order' must number the exercises 1 to {len(ordered)}")
    return tuple(ordered)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _compile_phrases(path: Path, data: dict[str, Any], exercises: tuple[Exercise, ...]) -> tuple[Phrase, ...]:
    reader = _Reader(path, "commands", data)
    intents = reader.get("intents", dict)
    unknown = sorted(set(intents) - set(INTENTS))
    if unknown:
        raise reader.fail(f"unknown intent '{unknown[0]}', expected one of {', '.join(INTENTS)}")
    missing = [name for name in INTENTS if name not in intents]
    if missing:
        raise reader.fail(f"intent '{missing[0]}' has no templates")
    names_by_exercise = {exercise.id: list(exercise.names) for exercise in exercises}
    for template in reader.get("numbered_names", list, []):
        for exercise in exercises:
            try:
                numbered = expand(template.replace("{n}", number_words(exercise.order)))
            except TemplateError as error:
                raise reader.fail(f"numbered_names: {error}") from None
            names_by_exercise[exercise.id].extend(numbered)
    phrases: dict[str, Phrase] = {}
    for intent in INTENTS:
        intent_reader = _Reader(path, f"intent '{intent}'", intents[intent])
        for template in intent_reader.get("templates", list):
            try:
                sentences = expand(template)
            except TemplateError as error:
                raise intent_reader.fail(f"template '{template}': {error}") from None
            for sentence in sentences:
                _add_phrases(phrases, intent, sentence, names_by_exercise, intent_reader)
    return tuple(phrases.values())


def _add_phrases(
    phrases: dict[str, Phrase], intent: str, sentence: str,
    names_by_exercise: dict[str, list[str]], reader: _Reader,
) -> None:
    has_slot = "{exercise}" in sentence
    if has_slot != (intent == "start"):
        raise reader.fail(f"template '{sentence}': only 'start' templates hold {{exercise}}")
    candidates = (
        [Phrase(sentence.replace("{exercise}", name), intent, exercise_id)
         for exercise_id, names in names_by_exercise.items() for name in names]
        if has_slot else [Phrase(sentence, intent)]
    )
    for phrase in candidates:
        text = _normalise(phrase.text)
        earlier = phrases.get(text)
        if earlier and (earlier.intent, earlier.exercise) != (phrase.intent, phrase.exercise):
            raise reader.fail(f"'{text}' means both {earlier.intent} and {phrase.intent}")
        phrases.setdefault(text, Phrase(text, phrase.intent, phrase.exercise))


def _load_urgent(
    path: Path, data: dict[str, Any], phrases: tuple[Phrase, ...], pain: PainWords
) -> tuple[UrgentWords, ...]:
    reader = _Reader(path, "urgent", data.get("urgent", {}))
    urgent = []
    for intent in URGENT_INTENTS:
        if intent == "pain":
            urgent.append(UrgentWords(intent, pain.urgent))
            continue
        words = tuple(_normalise(word) for word in reader.get(intent, list, []))
        known = {word for phrase in phrases if phrase.intent == intent for word in phrase.text.split()}
        for word in words:
            if word not in known:
                raise reader.fail(f"'{word}' is in no '{intent}' template, so no recogniser would hear it")
        urgent.append(UrgentWords(intent, words))
    return tuple(urgent)


def _words_list(reader: _Reader, key: str) -> tuple[str, ...]:
    values = reader.get(key, list)
    if not all(isinstance(value, str) and value.strip() for value in values):
        raise reader.fail(f"field '{key}' must be a list of non-empty words")
    return tuple(_normalise(value) for value in values)


def _read_pain(path: Path) -> tuple[PainWords, list[str], list[str]]:
    """The pain words, and the pain and comfort templates with {part} spelled out as alternatives."""
    reader = _Reader(path, "pain", _read_toml(path))
    spellings = reader.get("spellings", dict, {})
    if not all(isinstance(value, str) for value in spellings.values()):
        raise reader.fail("field 'spellings' must map each spelling to a word")
    pain = PainWords(
        signs=_words_list(reader, "signs"), urgent=_words_list(reader, "urgent"),
        referral=_words_list(reader, "referral"),
        spellings=tuple((_normalise(typed), _normalise(word)) for typed, word in spellings.items()),
        negations=_words_list(reader, "negations"), negation_reach=reader.get("negation_reach", int),
        relief=_words_list(reader, "relief"), relief_reach=reader.get("relief_reach", int),
        clause_starts=_words_list(reader, "clause_starts"),
    )
    for field in ("urgent", "referral"):
        unknown = [sign for sign in getattr(pain, field) if sign not in pain.signs]
        if unknown:
            raise reader.fail(f"{field} '{unknown[0]}' is not one of the signs")
    parts = "(" + " | ".join(_words_list(reader, "parts")) + ")"
    templates, comfort = (
        [template.replace("{part}", parts) for template in _words_list(reader, key)]
        for key in ("templates", "comfort")
    )
    return pain, templates, comfort


def _add_comfort(path: Path, templates: list[str], phrases: tuple[Phrase, ...]) -> tuple[Phrase, ...]:
    """The phrases plus comfort sentences ("no pain", "i feel fine"), which mean nothing."""
    by_text = {phrase.text: phrase for phrase in phrases}
    reader = _Reader(path, "comfort", {})
    for template in templates:
        try:
            sentences = expand(template)
        except TemplateError as error:
            raise reader.fail(f"template '{template}': {error}") from None
        for sentence in sentences:
            _add_phrases(by_text, NOT_A_COMMAND, sentence, {}, reader)
    return tuple(by_text.values())


def _check_pain_signs(path: Path, pain: PainWords, phrases: tuple[Phrase, ...]) -> None:
    known = {word for phrase in phrases for word in phrase.text.split()}
    for sign in pain.signs:
        unknown = [word for word in sign.split() if word not in known]
        if unknown:
            raise ContentError(
                f"{path}: sign '{sign}': '{unknown[0]}' is in no template, so no recogniser would hear it"
            )


def _load_lines(path: Path) -> Lines:
    data = _read_toml(path)
    reader = _Reader(path, "speech", data)
    return Lines(**{field.name: reader.text(field.name) for field in fields(Lines)})


def load_content(folder: Path | None = None) -> Content:
    """Load, validate and compile everything under the content folder."""
    folder = folder or default_content_dir()
    if not folder.is_dir():
        raise ContentError(f"{folder}: content folder is missing")
    exercises = _load_exercises(folder / "exercises")
    commands_path = folder / "commands.toml"
    commands = _read_toml(commands_path)
    pain_path = folder / "pain.toml"
    pain, pain_templates, comfort_templates = _read_pain(pain_path)
    intents = commands.get("intents")
    if isinstance(intents, dict):
        if "pain" in intents:
            raise ContentError(f"{commands_path}: pain phrases belong in {pain_path.name}, not here")
        intents["pain"] = {"templates": pain_templates}
    phrases = _add_comfort(pain_path, comfort_templates, _compile_phrases(commands_path, commands, exercises))
    _check_pain_signs(pain_path, pain, phrases)
    reader = _Reader(commands_path, "commands", commands)
    return Content(
        exercises=exercises, phrases=phrases, lines=_load_lines(folder / "speech.toml"),
        fillers=frozenset(_normalise(word) for word in reader.get("fillers", list, [])),
        urgent=_load_urgent(commands_path, commands, phrases, pain),
        urgent_max_words=reader.get("urgent", dict, {}).get("max_words", 5),
        pain=pain,
    )
