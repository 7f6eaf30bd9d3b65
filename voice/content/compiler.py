"""Compiling content: command and pain templates into phrases, urgent words, and the whole Content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voice.content.model import (
    INTENTS,
    MAX_PHRASES,
    MAX_REACH,
    NOT_A_COMMAND,
    URGENT_INTENTS,
    Content,
    Exercise,
    PainWords,
    Phrase,
    UrgentWords,
    default_content_dir,
)
from voice.content.numbers import number_words
from voice.content.templates import TemplateError, expand, simplest
from voice.content.validator import Reader, load_exercises, load_lines, normalise, read_toml
from voice.errors import ContentError


def _compile_phrases(path: Path, data: dict[str, Any], exercises: tuple[Exercise, ...]) -> tuple[Phrase, ...]:
    reader = Reader(path, "commands", data)
    intents = reader.get("intents", dict)
    Reader(path, "intents", intents).reject_unknown(INTENTS)
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
        intent_reader = Reader(path, "intents", intents).section(intent, f"intent '{intent}'")
        for key, spoken in (("templates", True), ("typed", False)):
            for template in intent_reader.texts(key, ... if spoken else []):
                try:
                    sentences = expand(template)
                except TemplateError as error:
                    raise intent_reader.fail(f"template '{template}': {error}") from None
                for sentence in sentences:
                    _add_phrases(phrases, Phrase(sentence, intent), names_by_exercise, intent_reader, spoken)
        intent_reader.reject_unknown()
    return tuple(phrases.values())


def _meaning(phrase: Phrase) -> str:
    return f"{phrase.intent} {phrase.exercise}" if phrase.exercise else phrase.intent


def _add_phrases(
    phrases: dict[str, Phrase], template: Phrase,
    names_by_exercise: dict[str, list[str]], reader: Reader, spoken: bool,
) -> None:
    sentence, intent = template.text, template.intent
    has_slot = "{exercise}" in sentence
    if has_slot != (intent == "start"):
        raise reader.fail(f"template '{sentence}': only 'start' templates hold {{exercise}}")
    adding = sum(len(names) for names in names_by_exercise.values()) if has_slot else 1
    if len(phrases) + adding > MAX_PHRASES:
        raise reader.fail(f"the templates stand for more than {MAX_PHRASES} sentences; use fewer options")
    candidates = (
        [Phrase(sentence.replace("{exercise}", name), intent, exercise_id)
         for exercise_id, names in names_by_exercise.items() for name in names]
        if has_slot else [template]
    )
    for phrase in candidates:
        text = normalise(phrase.text)
        earlier = phrases.get(text)
        if earlier and (earlier.intent, earlier.exercise) != (phrase.intent, phrase.exercise):
            raise reader.fail(f"'{text}' means both {_meaning(earlier)} and {_meaning(phrase)}")
        phrases.setdefault(text, Phrase(text, phrase.intent, phrase.exercise, spoken))


def _load_urgent(
    path: Path, data: dict[str, Any], phrases: tuple[Phrase, ...], pain: PainWords
) -> tuple[UrgentWords, ...]:
    reader = Reader(path, "urgent", Reader(path, "commands", data).get("urgent", dict, {}))
    reader.whole("max_words", 1, MAX_REACH, 5)
    urgent = []
    for intent in URGENT_INTENTS:
        if intent == "pain":
            urgent.append(UrgentWords(intent, pain.urgent))
            continue
        words = tuple(normalise(word) for word in reader.texts(intent, []))
        known = {word for phrase in phrases if phrase.intent == intent for word in phrase.text.split()}
        for word in words:
            if word not in known:
                raise reader.fail(f"'{word}' is in no '{intent}' template, so no recogniser would hear it")
        urgent.append(UrgentWords(intent, words))
    reader.reject_unknown()
    return tuple(urgent)


def _words_list(reader: Reader, key: str) -> tuple[str, ...]:
    values = reader.get(key, list)
    if not all(isinstance(value, str) and value.strip() for value in values):
        raise reader.fail(f"field '{key}' must be a list of non-empty words")
    return tuple(normalise(value) for value in values)


def _read_pain(path: Path) -> tuple[PainWords, list[str], list[str]]:
    """The pain words, and the pain and comfort templates with {part} spelled out as alternatives."""
    reader = Reader(path, "pain", read_toml(path))
    spellings = reader.get("spellings", dict, {})
    if not all(isinstance(value, str) for value in spellings.values()):
        raise reader.fail("field 'spellings' must map each spelling to a word")
    pain = PainWords(
        signs=_words_list(reader, "signs"), urgent=_words_list(reader, "urgent"),
        referral=_words_list(reader, "referral"), typed_only=_words_list(reader, "typed_only"),
        spellings=tuple((normalise(typed), normalise(word)) for typed, word in spellings.items()),
        negations=_words_list(reader, "negations"),
        negation_reach=reader.whole("negation_reach", 0, MAX_REACH),
        relief=_words_list(reader, "relief"), relief_reach=reader.whole("relief_reach", 0, MAX_REACH),
        clause_starts=_words_list(reader, "clause_starts"), everyday=_words_list(reader, "everyday"),
    )
    for listed in ("urgent", "referral", "typed_only"):
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
    reader = Reader(path, "comfort", {})
    for template in templates:
        try:
            sentences = expand(template)
        except TemplateError as error:
            raise reader.fail(f"template '{template}': {error}") from None
        for sentence in sentences:
            _add_phrases(by_text, Phrase(sentence, NOT_A_COMMAND), {}, reader, True)
    return tuple(by_text.values())


def _check_pain_signs(path: Path, pain: PainWords, phrases: tuple[Phrase, ...]) -> None:
    known = {word for phrase in phrases for word in phrase.text.split()}
    for sign in set(pain.signs) - set(pain.typed_only):
        unknown = [word for word in sign.split() if word not in known]
        if unknown:
            raise ContentError(
                f"{path}: sign '{sign}': '{unknown[0]}' is in no template, so no recogniser would hear it"
            )


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
    exercises = load_exercises(folder / "exercises")
    commands_path = folder / "commands.toml"
    commands = read_toml(commands_path)
    pain_path = folder / "pain.toml"
    pain, pain_templates, comfort_templates = _read_pain(pain_path)
    intents = commands.get("intents")
    if isinstance(intents, dict):
        if "pain" in intents:
            raise ContentError(f"{commands_path}: pain phrases belong in {pain_path.name}, not here")
        intents["pain"] = {"templates": pain_templates}
    phrases = _add_comfort(pain_path, comfort_templates, _compile_phrases(commands_path, commands, exercises))
    _check_pain_signs(pain_path, pain, phrases)
    reader = Reader(commands_path, "commands", commands)
    content = Content(
        exercises=exercises, phrases=phrases, lines=load_lines(folder / "speech.toml"),
        fillers=frozenset(normalise(word) for word in reader.texts("fillers", [])),
        urgent=_load_urgent(commands_path, commands, phrases, pain),
        urgent_max_words=reader.get("urgent", dict, {}).get("max_words", 5),
        examples=_examples(commands["intents"]),
        pain=pain,
        folder=folder,
    )
    reader.reject_unknown(("intents", "numbered_names"))
    return content
