"""Content loads, covers every exercise and intent, and broken files get one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import add_calf, copy_content, edit
from voice.content import INTENTS, StepKind, load_content
from voice.content.templates import TemplateError, expand
from voice.errors import ContentError
from voice.listening.intent import IntentMatcher


def test_templates_expand_optional_words_and_alternatives() -> None:
    assert expand("[please] (stop | end) [it]") == [
        "please stop it", "please stop", "please end it", "please end", "stop it", "stop", "end it", "end",
    ]


@pytest.mark.parametrize("template", ["(stop | end", "stop ]", "a | b"])
def test_unbalanced_templates_are_rejected(template: str) -> None:
    with pytest.raises(TemplateError):
        expand(template)


PROGRAMME = ["piriformis", "psoas", "hamstring", "transversus_abdominis", "gluteus_medius"]
"""The five exercises of the programme, in routine order."""


def test_all_five_exercises_load_in_routine_order() -> None:
    content = load_content()
    assert [exercise.id for exercise in content.exercises] == PROGRAMME


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
    return copy_content(tmp_path)


BROKEN = [
    ("exercises/hamstring.toml", "seconds = 30", "seconds = 0",
     "hamstring.toml: exercise 'hamstring': step 5: field 'seconds' must be a whole number above 0"),
    ("exercises/hamstring.toml", 'kind = "hold"', 'kind = "hover"',
     "hamstring.toml: exercise 'hamstring': step 5: field 'kind' is 'hover'"),
    ("exercises/psoas.toml", 'title = "hip flexor stretch"\n', "",
     "psoas.toml: exercise 'psoas': field 'title' is missing"),
    ("exercises/gluteus_medius.toml", "count = 10", 'count = "ten"',
     "gluteus_medius.toml: exercise 'gluteus_medius': step 3: "
     "field 'count' must be a whole number, not text in quotes"),
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
    edit(content_copy / file, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(content_copy)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_gap_in_the_order_is_named(content_copy: Path) -> None:
    (content_copy / "exercises" / "psoas.toml").unlink()
    with pytest.raises(ContentError, match="must number the exercises 1 to 4; none has order 2"):
        load_content(content_copy)


MISTAKES = [
    ("speech.toml", "{names}", "{nmaes}",
     "speech: field 'list' has an unknown placeholder {nmaes}; did you mean {names}?"),
    ("speech.toml", 'resume_hold = "Resuming. {remaining}', 'resume_hold = "Resuming. {remainig}',
     "field 'resume_hold' has an unknown placeholder {remainig}; did you mean {remaining}?"),
    ("speech.toml", 'stopping = "Stopping here."', 'stopping = "Stopping here, {title}."',
     "field 'stopping' has an unknown placeholder {title}; it takes no placeholders"),
    ("speech.toml", 'paused = "Paused.', 'paused = "Paused {.', "field 'paused': "),
    ("exercises/hamstring.toml", "Hold your {side} leg", "Hold your {sdie} leg",
     "exercise 'hamstring': step 2: field 'text' has an unknown placeholder {sdie}; did you mean {side}?"),
    ("exercises/hamstring.toml", "Lie down on your back.", "Lie down for {seconds} seconds.",
     "step 1: field 'text' has an unknown placeholder {seconds}; it may use {side}, {other}"),
    ("exercises/hamstring.toml", "settle = 8", "setle = 8",
     "exercise 'hamstring': step 1: unknown field 'setle'; did you mean 'settle'?"),
    ("exercises/hamstring.toml", "order = 3", "order = 3\nbenefits = \"x\"",
     "exercise 'hamstring': unknown field 'benefits'; did you mean 'benefit'?"),
    ("exercises/hamstring.toml", "seconds = 30", "seconds = 30\ncount = 3",
     "exercise 'hamstring': step 5: unknown field 'count'"),
    ("commands.toml", "[intents.help]", "[intents.hlep]\ntemplates = [\"x\"]\n\n[intents.help]",
     "intents: unknown field 'hlep'; did you mean 'help'?"),
    ("commands.toml", "max_words = 5", "max_word = 5",
     "urgent: unknown field 'max_word'; did you mean 'max_words'?"),
    ("commands.toml", "fillers = [", "filers = [",
     "commands: unknown field 'filers'; did you mean 'fillers'?"),
    ("speech.toml", 'greeting = "', 'greting = "x"\ngreeting = "',
     "speech: unknown field 'greting'; did you mean 'greeting'?"),
    ("exercises/psoas.toml", 'id = "psoas"', 'id = "hamstring"',
     "psoas.toml: exercise 'hamstring': field 'id' is 'hamstring' but the file is psoas.toml; an exercise's "
     "file is named after its id (hamstring.toml)"),
    ("exercises/psoas.toml", '"hip flexor stretch", "hip flexor",', '"hip flexor stretch", "leg stretch",',
     "the name 'leg stretch' is given to both hamstring and psoas; a name may belong to one exercise only"),
    ("commands.toml", "[intents.help]\ntemplates = [", "[intents.help]\ntemplates = [1, ",
     "intent 'help': field 'templates' must be a list of non-empty strings in quotes"),
    ("commands.toml", "fillers = [", "fillers = [1, ",
     "commands: field 'fillers' must be a list of non-empty strings in quotes"),
    ("commands.toml", "stop = [", "stop = [2, ",
     "urgent: field 'stop' must be a list of non-empty strings"),
    ("commands.toml", "[urgent]\n", "urgent = 3\n[other]\n",
     "commands: field 'urgent' must be a table, not a whole"),
    ("commands.toml", "numbered_names = [", "numbered_names = [5, ",
     "field 'numbered_names' must be a list"),
    ("exercises/psoas.toml", "settle = 10", "settle = true",
     "field 'settle' must be a number, not true or false"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), MISTAKES)
def test_content_mistakes_are_caught_at_load_and_said_plainly(
    content_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    edit(content_copy / file, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(content_copy)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_content_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "content.toml"
    not_a_folder.write_text("")
    with pytest.raises(ContentError, match=r"content\.toml: is not a folder; give the folder that holds"):
        load_content(not_a_folder)


def test_a_file_that_is_not_utf8_is_named(content_copy: Path) -> None:
    path = content_copy / "speech.toml"
    path.write_bytes(path.read_text().replace("I'm", "I\u2019m").encode("cp1252"))
    with pytest.raises(ContentError, match=r"speech.toml: not UTF-8 text \(byte \d+\); save it as UTF-8"):
        load_content(content_copy)


def test_a_phrase_with_two_meanings_names_both_exercises(content_copy: Path) -> None:
    commands = content_copy / "commands.toml"
    edit(commands, "templates = [\"next [step", "templates = [\"stretch two\", \"next [step")
    with pytest.raises(ContentError, match="'stretch two' means both start psoas and next"):
        load_content(content_copy)


def test_a_sixth_exercise_file_adds_a_sixth_exercise(content_copy: Path) -> None:
    add_calf(content_copy)
    content = load_content(content_copy)
    assert [exercise.id for exercise in content.exercises] == [*PROGRAMME, "calf"]
    matcher = IntentMatcher(content)
    started = matcher.match("start the calf stretch")
    assert (started.name, started.exercise) == ("start", "calf")
    assert matcher.match("stretch six").exercise == "calf"

