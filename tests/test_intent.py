"""Every phrase maps back to its own intent; chatter maps to none; urgent words never blur."""

from __future__ import annotations

import pytest

from voice.content import load_content
from voice.listening.intent import IntentMatcher

CONTENT = load_content()
MATCHER = IntentMatcher(CONTENT)

NOT_COMMANDS = [
    "I had a long day at work",
    "what time is it",
    "the weather is nice today",
    "did you feed the cat",
    "I think I left the oven on",
    "can you pass me the remote",
    "my sister is coming over later",
    "let me get some water first",
    "where did I put my glasses",
    "that was a good movie last night",
    "I need to call the doctor tomorrow",
    "the kids are playing outside",
    "is it raining outside",
    "what should we have for dinner",
    "I like this song",
    "turn on the lights",
    "my phone is ringing",
    "somebody is at the door",
    "I am a bit tired today",
    "we should go shopping on saturday",
    "the dog needs a walk",
    "have you seen my keys",
    "this floor is really cold",
    "I forgot to buy milk",
    "tell me a joke",
    "good morning everyone",
    "the traffic was terrible",
    "I'll make some tea",
    "how was your weekend",
    "my back pain has been better this week honestly",
    "okay",
    "hmm",
    "",
]


@pytest.mark.parametrize("phrase", CONTENT.phrases, ids=lambda p: p.text)
def test_every_compiled_phrase_maps_to_its_own_intent(phrase) -> None:  # type: ignore[no-untyped-def]
    intent = MATCHER.match(phrase.text)
    assert (intent.name, intent.exercise) == (phrase.intent, phrase.exercise)


@pytest.mark.parametrize("exercise", CONTENT.exercises, ids=lambda e: e.id)
def test_every_exercise_name_starts_that_exercise(exercise) -> None:  # type: ignore[no-untyped-def]
    for name in exercise.names:
        for said in (name, f"start {name}", f"Start the {name}."):
            intent = MATCHER.match(said)
            assert (intent.name, intent.exercise) == ("start", exercise.id), said


@pytest.mark.parametrize("sentence", NOT_COMMANDS)
def test_everyday_sentences_are_not_commands(sentence: str) -> None:
    assert MATCHER.match(sentence).name == "none"


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("stop", "stop"), ("stop it", "stop"), ("please stop now", "stop"), ("stop stop stop", "stop"),
        ("ouch", "pain"), ("ow ow", "pain"), ("that hurts", "pain"), ("ouch stop", "pain"),
        ("it really hurts", "pain"), ("wait", "pause"), ("hang on", "pause"), ("pause", "pause"),
        ("start", "routine"), ("stops", "stop"),
    ],
)
def test_urgent_words_are_never_confused(said: str, intent: str) -> None:
    assert MATCHER.match(said).name == intent


def test_no_stop_pause_or_pain_phrase_is_close_to_another_urgent_intent() -> None:
    urgent = ("stop", "pause", "pain")
    for phrase in (p for p in CONTENT.phrases if p.intent in (*urgent, "start")):
        for variant in (phrase.text + "s", phrase.text[:-1]):
            heard = MATCHER.match(variant).name
            if heard in urgent and phrase.intent in urgent:
                assert heard == phrase.intent, f"{variant!r} from {phrase.intent} became {heard}"


def test_everyday_variants_from_the_issue() -> None:
    assert MATCHER.match("say that again").name == "repeat"
    assert MATCHER.match("keep going").name == "resume"
    assert MATCHER.match("that hurts").name == "pain"
    assert MATCHER.match("hang on").name == "pause"


def test_asking_how_the_week_went() -> None:
    for said in ("how am I doing?", "what did I do this week?", "how's my progress", "weekly summary please"):
        assert MATCHER.match(said).name == "progress", said


def test_digits_and_fillers_are_understood() -> None:
    intent = MATCHER.match("Okay coach, um, stretch 3 please")
    assert (intent.name, intent.exercise) == ("start", "hamstring")


def test_near_miss_names_give_lower_confidence() -> None:
    exact = MATCHER.match("start hamstring stretch")
    near = MATCHER.match("start hamstrung stretch")
    assert near.name == "start" and near.exercise == "hamstring"
    assert near.confidence < exact.confidence == 1.0


def test_recogniser_confidence_carries_through() -> None:
    assert MATCHER.match("next", asr_confidence=0.5).confidence == pytest.approx(0.5)
