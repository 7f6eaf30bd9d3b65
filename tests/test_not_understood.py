"""When words were heard but were no command: brief answers that lead back to something that works."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

from tests.helpers import add_calf
from voice.apps.simulate import Simulation, parse_script
from voice.coach.messages import Intent
from voice.coach.settings import CoachSettings
from voice.content import Content, default_content_dir, load_content
from voice.listening.intent import IntentMatcher

CONTENT = load_content()
MATCHER = IntentMatcher(CONTENT)
Event = dict[str, Any]

SAY_AGAIN = "Sorry, say that again?"
OFFER = "You can say stretch one to five"
TYPED = "Sorry, I didn't catch that. Say help to hear what you can say."


def answers(
    script: str, settings: CoachSettings | None = None, content: Content = CONTENT
) -> list[tuple[float, str]]:
    """When the person said each line, and the answers to misses given after it."""
    stream = io.StringIO()
    Simulation(content, settings or CoachSettings(), stream).run(parse_script(script, "test"))
    events: list[Event] = [json.loads(line) for line in stream.getvalue().splitlines()]
    sorry = [e for e in events if e["type"] == "say" and e["text"].startswith("Sorry")]
    return [(e["t"], e["text"]) for e in sorry]


def test_the_matcher_says_how_close_a_non_command_came() -> None:
    near, far = MATCHER.match("start yoga"), MATCHER.match("I think I left the oven on")
    assert near.name == far.name == "none"
    assert near.near_miss and near.clear_attempt
    assert not far.near_miss and not far.clear_attempt
    assert far.closeness < near.closeness < 0.78
    assert MATCHER.match("next").closeness == 1.0 and not MATCHER.match("next").near_miss


def test_an_intent_built_without_closeness_still_works() -> None:
    intent = Intent("next", None, 0.9, "next")
    assert intent.closeness == 0.0 and not intent.near_miss


def test_a_spoken_near_miss_gets_say_that_again() -> None:
    said = answers("30 start yoga")
    assert [text for _, text in said] == [SAY_AGAIN]


def test_chatter_far_from_any_command_gets_no_answer() -> None:
    assert answers("30 I think I left the oven on\n40 the phone is ringing\n50 my dog is barking") == []


def test_the_second_miss_offers_the_exercises_by_number_and_more_misses_wait_a_while() -> None:
    said = answers("30 start yoga\n33 start yoga\n35 start yoga\n37 start yoga\n60 start yoga")
    texts = [text for _, text in said]
    assert texts[0] == SAY_AGAIN
    assert OFFER in texts[1]
    assert len(texts) == 3  # the misses at 35 s and 37 s come too soon after an answer
    assert OFFER in texts[2]


def test_a_command_understood_in_between_starts_the_misses_again() -> None:
    said = answers("30 start yoga\n50 list\n80 start yoga")
    assert [text for _, text in said] == [SAY_AGAIN, SAY_AGAIN]


def test_while_holding_only_a_clear_attempt_at_a_command_is_answered() -> None:
    hold = "2 start hamstring\n55 start a yoga\n"  # the first hold runs from about 48 s to 78 s
    assert MATCHER.match("start a yoga").near_miss and not MATCHER.match("start a yoga").clear_attempt
    assert answers(hold) == []
    assert [text for _, text in answers("30 start a yoga")] == [SAY_AGAIN]
    assert [text for _, text in answers("2 start hamstring\n55 nexd")] == [SAY_AGAIN]


def test_the_numbers_offered_follow_the_exercises_in_the_content(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(default_content_dir(), folder)
    add_calf(folder)
    said = answers("30 start yoga\n33 start yoga", content=load_content(folder))
    assert "You can say stretch one to six" in said[1][1]


def test_typed_words_that_are_no_command_are_always_answered_with_a_pointer_to_help() -> None:
    said = answers("30 banana\n40 hmm", CoachSettings(typed=True))
    assert [text for _, text in said] == [TYPED, f"Sorry, I still didn't get that. {OFFER}, or say help."]


def test_a_low_confidence_exercise_name_still_gets_its_question() -> None:
    simulation = Simulation(CONTENT, CoachSettings(), io.StringIO())
    simulation.session.begin()
    simulation.say("start hamstring stretch", confidence=0.6)
    assert simulation.coach.state == "confirming"
