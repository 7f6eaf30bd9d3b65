"""The self-hearing guard drops the coach's own words and keeps the person's; urgent words cut through."""

from __future__ import annotations

from voice.apps.live import Ears
from voice.coach.messages import Intent
from voice.content import load_content
from voice.listening.intent import IntentMatcher
from voice.listening.listener import Utterance
from voice.listening.recognizer import Transcript
from voice.listening.self_hearing import SelfHearingGuard

GREETING = "Say stop, or ouch, at any time and I'll stop straight away."


def heard(text: str, name: str = "stop") -> Intent:
    return Intent(name, None, 0.9, text)


def guard_with_greeting() -> SelfHearingGuard:
    guard = SelfHearingGuard()
    guard.started(GREETING, at=10.0, length=4.0)  # 12 words, one every third of a second
    guard.finished(at=14.0)
    return guard


def test_own_word_at_the_moment_it_was_said_is_echo() -> None:
    assert guard_with_greeting().is_own_voice(heard("stop"), 10.2, 10.6)


def test_same_word_long_after_the_coach_said_it_is_the_person() -> None:
    guard = guard_with_greeting()
    assert guard.is_own_voice(heard("stop"), 12.8, 13.2)  # the greeting's second "stop"
    assert not guard.is_own_voice(heard("stop"), 11.5, 11.8)  # between the two
    assert not guard.is_own_voice(heard("stop"), 20.0, 20.4)


def test_words_the_coach_was_not_saying_are_the_person() -> None:
    assert not guard_with_greeting().is_own_voice(heard("that hurts", "pain"), 10.2, 11.0)


def test_while_playing_the_guard_uses_the_planned_length() -> None:
    guard = SelfHearingGuard()
    guard.started("Hold it there for thirty seconds.", at=5.0, length=2.4)
    assert guard.overlaps(5.5, 6.0)
    assert guard.is_own_voice(heard("hold it there", "none"), 5.0, 5.9)
    assert not guard.is_own_voice(heard("next", "next"), 5.0, 5.9)


def test_a_tail_after_speech_still_counts_as_overlap() -> None:
    guard = guard_with_greeting()
    assert guard.overlaps(14.1, 14.5)
    assert not guard.overlaps(14.5, 15.0)


def test_a_command_forced_out_of_the_coachs_own_words_is_echo() -> None:
    guard = SelfHearingGuard()
    guard.started("Stopping here.", at=3.0, length=1.0)
    assert guard.is_own_voice(heard("stop it"), 3.0, 3.8)
    assert not guard.is_own_voice(heard("stop"), 6.0, 6.4)


def test_a_pain_phrase_sharing_one_small_word_with_the_coach_is_the_person() -> None:
    guard = SelfHearingGuard()
    guard.started("Does that feel all right?", at=1.0, length=1.5)
    assert not guard.is_own_voice(heard("ouch that hurts", "pain"), 1.0, 2.4)


def ears_over(guard: SelfHearingGuard) -> Ears:
    content = load_content()
    return Ears(IntentMatcher(content), guard, content.urgent)


def utterance(text: str, start: float, end: float) -> Utterance:
    return Utterance(Transcript(text, 0.9 if text else 0.0, 100.0), start, end)
