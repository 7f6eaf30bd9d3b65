"""Load and validate the exercises, command phrases and coach lines under ``content/``."""

from __future__ import annotations

import difflib
import re
import string
import tomllib
from dataclasses import dataclass, field, fields
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from voice.errors import ContentError
from voice.numbers import number_words
from voice.templates import TemplateError, expand, simplest

INTENTS = (
    "start", "routine", "next", "back", "repeat", "pause", "resume", "skip",
    "stop", "pain", "help", "list", "info", "slower", "faster", "yes", "no", "progress",
    "louder", "quieter",
)
SIDES = ("left", "right")
NOT_A_COMMAND = "none"
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


_TOML_KINDS = {
    str: "text in quotes", int: "a whole number", float: "a number", bool: "true or false",
    list: "a list", dict: "a table",
}
"""How a content author would name each kind of TOML value."""


class _Reader:
    """Reads typed fields from one TOML table, naming the file and place on error."""

    def __init__(self, path: Path, where: str, table: dict[str, Any]) -> None:
        self.path, self.where, self.table = path, where, table
        self.asked: list[str] = []

    def fail(self, message: str) -> ContentError:
        return ContentError(f"{self.path}: {self.where}: {message}")

    def reject_unknown(self, also: tuple[str, ...] = ()) -> None:
        """Fail on any key nothing has asked for (a misspelt field would otherwise be ignored)."""
        known = [*self.asked, *also]
        for key in self.table:
            if key not in known:
                nearest = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean '{nearest[0]}'?" if nearest else f"; known fields: {', '.join(known)}"
                raise self.fail(f"unknown field '{key}'{hint}")

    def placeholders(self, key: str, text: str, allowed: tuple[str, ...]) -> None:
        """Fail unless every {name} in ``text`` is one of ``allowed``."""
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as error:
            raise self.fail(f"field '{key}': {error} (write {{{{ and }}}} for a literal brace)") from None
        for name in names:
            if name not in allowed:
                nearest = difflib.get_close_matches(name, allowed, n=1)
                if nearest:
                    hint = f"did you mean {{{nearest[0]}}}?"
                elif allowed:
                    hint = "it may use " + ", ".join(f"{{{a}}}" for a in allowed)
                else:
                    hint = "it takes no placeholders"
                raise self.fail(f"field '{key}' has an unknown placeholder {{{name}}}; {hint}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.asked.append(key)
        if key not in self.table:
            if default is ...:
                raise self.fail(f"field '{key}' is missing")
            return default
        value = self.table[key]
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            kinds = (kind,) if isinstance(kind, type) else kind
            if float in kinds:  # "a number" covers whole numbers too
                kinds = tuple(k for k in kinds if k is not int)
            wanted = " or ".join(dict.fromkeys(_TOML_KINDS.get(k, k.__name__) for k in kinds))
            raise self.fail(f"field '{key}' must be {wanted}, not {_TOML_KINDS.get(type(value), 'that')}")
        return value

    def texts(self, key: str, default: Any = ...) -> list[str]:
        """A list of non-empty strings."""
        value = self.get(key, list, default)
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise self.fail(f"field '{key}' must be a list of non-empty strings in quotes")
        return list(value)

    def section(self, key: str, where: str) -> _Reader:
        """A reader for the sub-table ``key``."""
        return _Reader(self.path, where, self.get(key, dict))

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
    except UnicodeDecodeError as error:
        raise ContentError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
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
    reader.placeholders("text", text, STEP_PLACEHOLDERS[kind.value])
    if not two_sided and ("{side}" in text or "{other}" in text):
        raise reader.fail("field 'text' names a side but the exercise is not two_sided")
    step = _step_of_kind(reader, kind, text, reader.positive("settle", 3.0))
    reader.reject_unknown()
    return step


def _step_of_kind(reader: _Reader, kind: StepKind, text: str, settle: float) -> Step:
    if kind is StepKind.HOLD:
        seconds = reader.get("seconds", int)
        if seconds <= 0:
            raise reader.fail("field 'seconds' must be a whole number above 0")
        return Step(kind, text, settle, seconds=seconds)
    if kind is StepKind.REPS:
        count = reader.get("count", int)
        if count <= 0:
            raise reader.fail("field 'count' must be a whole number above 0")
        up, down = reader.text("up"), reader.text("down")
        reader.placeholders("up", up, ())
        reader.placeholders("down", down, ())
        return Step(
            kind, text, settle, count=count, hold=reader.positive("hold"),
            rest=reader.positive("rest"), up=up, down=down,
        )
    return Step(kind, text, settle)


def _load_exercise(path: Path) -> Exercise:
    data = _read_toml(path)
    exercise_id = data.get("id", path.stem)
    reader = _Reader(path, f"exercise '{exercise_id}'", data)
    exercise_id = reader.text("id")
    if not EXERCISE_ID.fullmatch(exercise_id):
        raise reader.fail(f"field 'id' is '{exercise_id}'; use lower-case letters, digits and '_'")
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
    exercise = Exercise(
        id=exercise_id, title=reader.text("title"), order=reader.get("order", int),
        two_sided=two_sided, location=reader.text("location"), benefit=reader.text("benefit"),
        names=tuple(_normalise(name) for name in names), steps=tuple(steps),
    )
    reader.reject_unknown()
    return exercise


def _load_exercises(folder: Path) -> tuple[Exercise, ...]:
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise ContentError(f"{folder}: no exercise files (*.toml)")
    by_id: dict[str, Path] = {}
    by_name: dict[str, str] = {}
    exercises = []
    for path in paths:
        exercise = _load_exercise(path)
        if exercise.id in by_id:
            raise ContentError(
                f"{path}: exercise id '{exercise.id}' is already used by {by_id[exercise.id].name}; "
                "give each exercise its own id"
            )
        by_id[exercise.id] = path
        for name in exercise.names:
            if by_name.setdefault(name, exercise.id) != exercise.id:
                raise ContentError(
                    f"{path}: the name '{name}' is given to both {by_name[name]} and {exercise.id}; "
                    "a name may belong to one exercise only"
                )
        exercises.append(exercise)
    ordered = sorted(exercises, key=lambda exercise: exercise.order)
    orders = [exercise.order for exercise in ordered]
    if orders != list(range(1, len(orders) + 1)):
        twice = sorted({order for order in orders if orders.count(order) > 1})
        gap = next(n for n in range(1, len(orders) + 1) if n not in orders)
        problem = f"more than one has order {twice[0]}" if twice else f"none has order {gap}"
        raise ContentError(f"{folder}: field 'order' must number the exercises 1 to {len(orders)}; {problem}")
    return tuple(ordered)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _compile_phrases(path: Path, data: dict[str, Any], exercises: tuple[Exercise, ...]) -> tuple[Phrase, ...]:
    reader = _Reader(path, "commands", data)
    intents = reader.get("intents", dict)
    _Reader(path, "intents", intents).reject_unknown(INTENTS)
    missing = [name for name in INTENTS if name not in intents]
    if missing:
        raise reader.fail(f"intent '{missing[0]}' has no templates")
    names_by_exercise = {exercise.id: list(exercise.names) for exercise in exercises}
    for template in reader.texts("numbered_names", []):
        for exercise in exercises:
            try:
                numbered = expand(template.replace("{n}", number_words(exercise.order)))
            except TemplateError as error:
                raise reader.fail(f"numbered_names: {error}") from None
            names_by_exercise[exercise.id].extend(numbered)
    phrases: dict[str, Phrase] = {}
    for intent in INTENTS:
        intent_reader = _Reader(path, "intents", intents).section(intent, f"intent '{intent}'")
        for template in intent_reader.texts("templates"):
            try:
                sentences = expand(template)
            except TemplateError as error:
                raise intent_reader.fail(f"template '{template}': {error}") from None
            for sentence in sentences:
                _add_phrases(phrases, intent, sentence, names_by_exercise, intent_reader)
        intent_reader.reject_unknown()
    return tuple(phrases.values())


def _meaning(phrase: Phrase) -> str:
    return f"{phrase.intent} {phrase.exercise}" if phrase.exercise else phrase.intent


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
            raise reader.fail(f"'{text}' means both {_meaning(earlier)} and {_meaning(phrase)}")
        phrases.setdefault(text, Phrase(text, phrase.intent, phrase.exercise))


def _load_urgent(
    path: Path, data: dict[str, Any], phrases: tuple[Phrase, ...], pain: PainWords
) -> tuple[UrgentWords, ...]:
    reader = _Reader(path, "urgent", _Reader(path, "commands", data).get("urgent", dict, {}))
    reader.get("max_words", int, 5)
    urgent = []
    for intent in URGENT_INTENTS:
        if intent == "pain":
            urgent.append(UrgentWords(intent, pain.urgent))
            continue
        words = tuple(_normalise(word) for word in reader.texts(intent, []))
        known = {word for phrase in phrases if phrase.intent == intent for word in phrase.text.split()}
        for word in words:
            if word not in known:
                raise reader.fail(f"'{word}' is in no '{intent}' template, so no recogniser would hear it")
        urgent.append(UrgentWords(intent, words))
    reader.reject_unknown()
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
    for listed in ("urgent", "referral"):
        unknown = [sign for sign in getattr(pain, listed) if sign not in pain.signs]
        if unknown:
            raise reader.fail(f"{listed} '{unknown[0]}' is not one of the signs")
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
    lines = {field.name: reader.text(field.name) for field in fields(Lines)}
    for name, text in lines.items():
        reader.placeholders(name, text, LINE_PLACEHOLDERS.get(name, ()))
    reader.reject_unknown()
    return Lines(**lines)


def _examples(intents: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    """The plainest phrase of each intent's first template (for spoken help)."""
    firsts = {intent: table["templates"][:1] for intent, table in intents.items()}
    return {intent: simplest(first[0]) for intent, first in firsts.items() if first}


def load_content(folder: Path | None = None) -> Content:
    """Load, validate and compile everything under the content folder."""
    folder = folder or default_content_dir()
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "content folder is missing"
        raise ContentError(f"{folder}: {problem}; give the folder that holds commands.toml, speech.toml "
                           "and exercises/")
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
    content = Content(
        exercises=exercises, phrases=phrases, lines=_load_lines(folder / "speech.toml"),
        fillers=frozenset(_normalise(word) for word in reader.texts("fillers", [])),
        urgent=_load_urgent(commands_path, commands, phrases, pain),
        urgent_max_words=reader.get("urgent", dict, {}).get("max_words", 5),
        examples=_examples(commands["intents"]),
        pain=pain,
    )
    reader.reject_unknown(("intents", "numbered_names"))
    return content
