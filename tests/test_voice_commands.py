"""Louder, quieter, slower and faster by voice; help for the moment the person is in; after stop."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from voice.apps.simulate import Simulation, parse_script
from voice.clock import VirtualClock
from voice.coach.actions import Action, Say, VoiceChange
from voice.coach.dialogue import Coach
from voice.coach.settings import CoachSettings
from voice.coach.states import HELP_BY_STATE, State
from voice.content import load_content
from voice.listening.intent import IntentMatcher

CONTENT = load_content()
MATCHER = IntentMatcher(CONTENT)


def coach(settings: CoachSettings | None = None) -> Coach:
    started = Coach(CONTENT, settings or CoachSettings(), VirtualClock())
    started.begin()
    return started


def hear(coach_: Coach, words: str) -> list[Action]:
    return coach_.on_intent(MATCHER.match(words))


def spoken(actions: list[Action]) -> list[Say]:
    return [action for action in actions if isinstance(action, Say)]


def simulate(script: str) -> list[dict[str, Any]]:
    stream = io.StringIO()
    Simulation(CONTENT, CoachSettings(), stream).run(parse_script(script, "test"))
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("words", "intent"),
    [("louder", "louder"), ("speak up", "louder"), ("a bit louder", "louder"), ("turn it up", "louder"),
     ("quieter", "quieter"), ("quieter please", "quieter"), ("too loud", "quieter")],
)
def test_volume_phrases_are_commands(words: str, intent: str) -> None:
    assert MATCHER.match(words).name == intent


def test_quieter_then_louder_changes_the_volume_of_what_follows_and_reports_it() -> None:
    talker = coach(CoachSettings(volume=1.0))
    quieter = hear(talker, "quieter")
    change = [action for action in quieter if isinstance(action, VoiceChange)]
    assert change == [VoiceChange(150, pytest.approx(10 ** (-4 / 20), abs=0.001))]
    assert spoken(quieter)[0].text == CONTENT.lines.quieter
    assert spoken(quieter)[0].volume == change[0].volume
    louder = hear(talker, "speak up")
    assert [a for a in louder if isinstance(a, VoiceChange)] == [VoiceChange(150, 1.0)]
    assert spoken(hear(talker, "help"))[0].volume == 1.0


def test_volume_stops_at_its_limits_and_says_so() -> None:
    loudest = coach(CoachSettings(volume=1.0))
    actions = hear(loudest, "louder")
    assert not [a for a in actions if isinstance(a, VoiceChange)]
    assert spoken(actions)[0].text == CONTENT.lines.loudest
    quiet = coach(CoachSettings(volume=0.1))
    assert spoken(hear(quiet, "quieter"))[0].text == CONTENT.lines.quietest


def test_louder_from_silence_becomes_audible() -> None:
    silent = coach(CoachSettings(volume=0.0))
    assert [a for a in hear(silent, "louder") if isinstance(a, VoiceChange)] == [VoiceChange(150, 0.1)]


def test_slower_reports_the_new_rate_to_keep() -> None:
    talker = coach(CoachSettings(rate=150, volume=0.5))
    actions = hear(talker, "slower")
    assert [a for a in actions if isinstance(a, VoiceChange)] == [VoiceChange(125, 0.5)]
    assert spoken(actions)[0].rate == 125


def test_every_command_offered_by_help_is_understood_as_itself() -> None:
    for state, intents in HELP_BY_STATE.items():
        assert intents, state
        for intent in intents:
            example = CONTENT.examples[intent].replace("{exercise}", CONTENT.exercises[0].names[0])
            assert MATCHER.match(example).name == intent, (state, example)


def help_text(events: list[dict[str, Any]], after: float) -> str:
    return next(e["text"] for e in events if e["type"] == "say" and e["kind"] == "help" and e["t"] >= after)


def test_help_lists_the_commands_for_the_moment() -> None:
    first_hold = next(e["t"] for e in simulate("20 start hamstring stretch") if e.get("state") == "holding")
    asked = first_hold + 3
    events = simulate(f"1 what can i say\n20 start hamstring stretch\n{asked} what can i say\n"
                      f"{asked + 5} wait\n{asked + 7} help\n")
    idle, holding, paused = help_text(events, 1), help_text(events, asked), help_text(events, asked + 7)
    assert "start piriformis stretch" in idle and "louder" in idle and "wait" not in idle
    assert "wait" in holding and "start" not in holding and "quieter" in holding
    assert "resume" in paused and "louder" not in paused
    assert [e["state"] for e in events if e["type"] == "state" and e["t"] <= asked][-1] == "holding"


def test_after_stop_the_coach_says_once_how_to_begin_again_and_still_listens() -> None:
    events = simulate("2 start psoas\n10 stop\n30 start psoas\n40 stop\n")
    restart = [e for e in events if e["type"] == "say" and e["text"] == CONTENT.lines.after_stop]
    assert len(restart) == 1 and 10 <= restart[0]["t"] < 30
    starts = [e for e in events if e["type"] == "heard" and e["intent"] == "start"]
    assert len(starts) == 2
    assert any(e["type"] == "state" and e["state"] == "instructing" and e["t"] >= 30 for e in events)


def test_help_in_each_state_is_a_help_line() -> None:
    talker = coach()
    for state in (State.IDLE, State.CONFIRMING, State.SAFETY):
        talker.state = state
        words = spoken(hear(talker, "help"))[0]
        assert words.kind == "help" and words.text.startswith("You can say:")
