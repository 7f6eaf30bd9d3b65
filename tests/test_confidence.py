"""The thresholds of voice/confidence.py keep the order their docstrings claim."""

from __future__ import annotations

from voice.clock import VirtualClock
from voice.coach.actions import Say, StateChange
from voice.coach.dialogue import Coach
from voice.coach.settings import CoachSettings
from voice.confidence import (
    CLEAR_ATTEMPT_FROM,
    GRAMMAR_HIT_CONFIDENCE,
    NEAR_MISS_FROM,
    NOT_A_COMMAND_BELOW,
)
from voice.content import load_content
from voice.listening.intent import IntentMatcher


def test_an_exercise_name_pocketsphinx_heard_is_started_without_a_question() -> None:
    """GRAMMAR_HIT_CONFIDENCE: a command that beat the garbage path is not confirmed again."""
    content = load_content()
    settings = CoachSettings()
    for exercise in content.exercises:
        intent = IntentMatcher(content).match(f"start the {exercise.names[0]}", GRAMMAR_HIT_CONFIDENCE)
        assert (intent.name, intent.exercise) == ("start", exercise.id)
        assert intent.confidence >= settings.confirm_below
        coach = Coach(content, settings, VirtualClock())
        coach.begin()
        actions = coach.on_intent(intent)
        states = [action.state for action in actions if isinstance(action, StateChange)]
        assert states[0] == "instructing", states
        question = content.lines.confirm.format(title=exercise.title)
        assert not any(isinstance(action, Say) and action.text == question for action in actions)


def test_a_near_miss_comes_before_a_clear_attempt_and_both_before_a_command() -> None:
    assert 0.0 < NEAR_MISS_FROM < CLEAR_ATTEMPT_FROM < NOT_A_COMMAND_BELOW < 1.0
