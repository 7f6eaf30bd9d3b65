"""Content loads, covers every exercise and intent, and broken files get one clear line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voice.content import EXERCISE_IDS, INTENTS, StepKind, default_content_dir, load_content
from voice.errors import ContentError
from voice.templates import TemplateError, expand


def test_templates_expand_optional_words_and_alternatives() -> None:
    assert expand("[please] (stop | end) [it]") == [
        "please stop it", "please stop", "please end it", "please end", "stop it", "stop", "end it", "end",
    ]


@pytest.mark.parametrize("template", ["(stop | end", "stop ]", "a | b"])
def test_unbalanced_templates_are_rejected(template: str) -> None:
    with pytest.raises(TemplateError):
        expand(template)


def test_all_five_exercises_load_in_routine_order() -> None:
    content = load_content()
    assert [exercise.id for exercise in content.exercises] == list(EXERCISE_IDS)


def test_every_exercise_keeps_the_facts_of_the_sheet() -> None:
    content = load_content()
    holds = {e.id: [s.seconds for s in e.steps if s.kind is StepKind.HOLD] for e in content.exercises}
    assert holds["piriformis"] == holds["psoas"] == holds["hamstring"] == [30]
    glute = [s for s in content.exercise("gluteus_medius").steps if s.kind is StepKind.REPS]
    assert [(s.count, s.hold) for s in glute] == [(10, 2.0)]
    assert not content.exercise("transversus_abdominis").two_sided
    assert all(content.exercise(i).two_sided for i in ("piriformis", "psoas", "hamstring", "gluteus_medius"))


def test_sides_fill_in_for_two_sided_steps() -> None:
    piriformis = load_content().exercise("piriformis")
    crossing = piriformis.steps[1]
    assert crossing.spoken("left") == "Cross your left leg over your right leg."
    assert crossing.spoken("right") == "Cross your right leg over your left leg."


def test_every_intent_has_phrases() -> None:
    content = load_content()
    assert {phrase.intent for phrase in content.phrases} == {*INTENTS, "none"}  # "none": "no pain"


def test_plain_names_people_use_are_there() -> None:
    names = {p.text: p.exercise for p in load_content().phrases if p.intent == "start"}
    assert names["hip flexor stretch"] == "psoas"
    assert names["core exercise"] == "transversus_abdominis"
    assert names["side leg raise"] == "gluteus_medius"
    assert names["sciatica stretch"] == "piriformis"
    assert names["stretch two"] == "psoas"


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


BROKEN = [
    ("exercises/hamstring.toml", "seconds = 30", "seconds = 0",
     "hamstring.toml: exercise 'hamstring': step 5: field 'seconds' must be a whole number above 0"),
    ("exercises/hamstring.toml", 'kind = "hold"', 'kind = "hover"',
     "hamstring.toml: exercise 'hamstring': step 5: field 'kind' is 'hover'"),
    ("exercises/psoas.toml", 'title = "hip flexor stretch"\n', "",
     "psoas.toml: exercise 'psoas': field 'title' is missing"),
    ("exercises/gluteus_medius.toml", "count = 10", 'count = "ten"',
     "gluteus_medius.toml: exercise 'gluteus_medius': step 3: field 'count' must be int, not str"),
    ("exercises/piriformis.toml", "two_sided = true", "two_sided = yes",
     "piriformis.toml: not valid TOML"),
    ("commands.toml", '[intents.help]\ntemplates = ["help', '[intents.help]\ntemplates = ["(help',
     "commands.toml: intent 'help': template '(help [me] [please]': missing ')'"),
    ("speech.toml", 'greeting = "', 'hello = "', "speech.toml: speech: field 'greeting' is missing"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BROKEN)
def test_broken_content_names_file_exercise_and_field(
    content_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    _edit(content_copy / file, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(content_copy)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_exercise_file_is_named(content_copy: Path) -> None:
    (content_copy / "exercises" / "psoas.toml").unlink()
    with pytest.raises(ContentError, match="no exercise file for psoas"):
        load_content(content_copy)
