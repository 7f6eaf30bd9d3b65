"""Reading content files: typed fields, placeholders and unknown keys checked, each mistake in one line."""

from __future__ import annotations

import difflib
import math
import string
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from voice.bounded import TooDeep, TooLarge, parse_nested, read_bounded
from voice.content.model import (
    EXERCISE_ID,
    LINE_PLACEHOLDERS,
    MAX_EXERCISES,
    MAX_LIST_ITEMS,
    MAX_STEP_SECONDS,
    MAX_STEPS,
    STEP_PLACEHOLDERS,
    Exercise,
    Lines,
    Step,
    StepKind,
)
from voice.content.numbers import LARGEST_SPOKEN
from voice.errors import ContentError

_TOML_KINDS = {
    str: "text in quotes", int: "a whole number", float: "a number", bool: "true or false",
    list: "a list", dict: "a table",
}
"""How a content author would name each kind of TOML value."""


class Reader:
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
            fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                      if name is not None]
        except ValueError as error:
            raise self.fail(f"field '{key}': {error} (write {{{{ and }}}} for a literal brace)") from None
        for name, spec, conversion in fields:
            if spec or conversion:
                raise self.fail(f"field '{key}': write {{{name}}} plainly, without ':' or '!' after the name")
        for name in (name for name, _, _ in fields):
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
        if isinstance(value, list | dict) and len(value) > MAX_LIST_ITEMS:
            raise self.fail(f"field '{key}' holds {len(value)} items; at most {MAX_LIST_ITEMS} are allowed")
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

    def section(self, key: str, where: str) -> Reader:
        """A reader for the sub-table ``key``."""
        return Reader(self.path, where, self.get(key, dict))

    def text(self, key: str, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if not isinstance(value, str) or (default is ... and not value.strip()):
            raise self.fail(f"field '{key}' must not be empty")
        return value.strip()

    def positive(self, key: str, default: Any = ..., most: float = MAX_STEP_SECONDS) -> float:
        value = self.get(key, (int, float), default)
        if not math.isfinite(value) or value > most:
            raise self.fail(f"field '{key}' must be a number of seconds up to {most:g}")
        if value <= 0 and default is ...:
            raise self.fail(f"field '{key}' must be more than 0")
        if value < 0:
            raise self.fail(f"field '{key}' must not be negative")
        return float(value)

    def whole(self, key: str, least: int, most: int, default: Any = ...) -> int:
        """A whole number from ``least`` to ``most``."""
        value: int = self.get(key, int, default)
        if not least <= value <= most:
            raise self.fail(f"field '{key}' is {value}; use a whole number from {least} to {most}")
        return value


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return parse_nested(tomllib.loads, read_bounded(path).decode("utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    except UnicodeDecodeError as error:
        raise ContentError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path}: not valid TOML: {error}") from None
    except (TooLarge, TooDeep) as error:
        raise ContentError(f"{path}: {error}") from None
    except OSError as error:
        raise ContentError(f"{path}: cannot be read: {error.strerror}") from None


def _load_step(reader: Reader, two_sided: bool) -> Step:
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


def _step_of_kind(reader: Reader, kind: StepKind, text: str, settle: float) -> Step:
    if kind is StepKind.HOLD:  # the coach says every count and the seconds left: at most LARGEST_SPOKEN
        return Step(kind, text, settle, seconds=_spoken_number(reader, "seconds"))
    if kind is StepKind.REPS:
        count = _spoken_number(reader, "count")
        up, down = reader.text("up"), reader.text("down")
        reader.placeholders("up", up, ())
        reader.placeholders("down", down, ())
        hold, rest = reader.positive("hold"), reader.positive("rest")
        if count * (hold + rest) > LARGEST_SPOKEN:
            raise reader.fail(f"the set lasts {count * (hold + rest):g} seconds (count x (hold + rest)); "
                              f"at most {LARGEST_SPOKEN} can be said when it resumes")
        return Step(kind, text, settle, count=count, hold=hold, rest=rest, up=up, down=down)
    return Step(kind, text, settle)


def _spoken_number(reader: Reader, key: str) -> int:
    if reader.get(key, int) <= 0:
        raise reader.fail(f"field '{key}' must be a whole number above 0")
    return reader.whole(key, 1, LARGEST_SPOKEN)


def load_exercise(path: Path) -> Exercise:
    data = read_toml(path)
    exercise_id = data.get("id", path.stem)
    reader = Reader(path, f"exercise '{exercise_id}'", data)
    exercise_id = reader.text("id")
    if not EXERCISE_ID.fullmatch(exercise_id):
        raise reader.fail(f"field 'id' is '{exercise_id}'; use lower-case letters, digits and '_'")
    if exercise_id != path.stem:
        raise reader.fail(f"field 'id' is '{exercise_id}' but the file is {path.name}; an exercise's file "
                          f"is named after its id ({exercise_id}.toml)")
    two_sided = reader.get("two_sided", bool)
    names = reader.get("names", list)
    if not names or not all(isinstance(name, str) and name.strip() for name in names):
        raise reader.fail("field 'names' must be a list of at least one non-empty name")
    raw_steps = reader.get("steps", list)
    if not 1 <= len(raw_steps) <= MAX_STEPS:
        raise reader.fail(f"field 'steps' must hold 1 to {MAX_STEPS} steps")
    steps = []
    for number, table in enumerate(raw_steps, start=1):
        if not isinstance(table, dict):
            raise reader.fail(f"step {number} must be a table")
        step_reader = Reader(path, f"exercise '{exercise_id}': step {number}", table)
        steps.append(_load_step(step_reader, two_sided))
    if not any(step.kind is not StepKind.INSTRUCTION for step in steps):
        raise reader.fail("field 'steps' needs at least one hold or reps step")
    exercise = Exercise(
        id=exercise_id, title=reader.text("title"), order=reader.get("order", int),
        two_sided=two_sided, location=reader.text("location"), benefit=reader.text("benefit"),
        names=tuple(normalise(name) for name in names), steps=tuple(steps),
    )
    reader.reject_unknown()
    return exercise


def load_exercises(folder: Path) -> tuple[Exercise, ...]:
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise ContentError(f"{folder}: no exercise files (*.toml)")
    if len(paths) > MAX_EXERCISES:
        raise ContentError(f"{folder}: {len(paths)} exercise files; at most {MAX_EXERCISES} are allowed")
    by_name: dict[str, str] = {}  # ids are file stems, so they are unique already
    exercises = []
    for path in paths:
        exercise = load_exercise(path)
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


def normalise(text: str) -> str:
    return " ".join(text.lower().split())



def load_lines(path: Path) -> Lines:
    data = read_toml(path)
    reader = Reader(path, "speech", data)
    lines = {field.name: reader.text(field.name) for field in fields(Lines)}
    for name, text in lines.items():
        reader.placeholders(name, text, LINE_PLACEHOLDERS.get(name, ()))
    reader.reject_unknown()
    return Lines(**lines)
