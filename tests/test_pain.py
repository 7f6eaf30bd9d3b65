"""Pain in everyday words stops the movement at once, and only pain does; what the coach does after."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import requires_espeak
from voice.apps.cli import main
from voice.apps.live import Ears
from voice.apps.simulate import Simulation, parse_script
from voice.coach.settings import CoachSettings
from voice.content import default_content_dir, load_content
from voice.errors import ContentError
from voice.listening.intent import IntentMatcher
from voice.listening.listener import Utterance
from voice.listening.recognizer import Transcript
from voice.listening.self_hearing import SelfHearingGuard
from voice.testing.audio import espeak_wav

CONTENT = load_content()
MATCHER = IntentMatcher(CONTENT)
PHRASINGS = tomllib.loads((Path(__file__).parent / "pain_phrasings.toml").read_text(encoding="utf-8"))
PAIN: list[str] = PHRASINGS["pain"]
NOT_PAIN: list[str] = PHRASINGS["not_pain"]
EVERYDAY: list[str] = PHRASINGS["everyday"]
Event = dict[str, Any]


def run(script: str) -> list[Event]:
    stream = io.StringIO()
    Simulation(CONTENT, CoachSettings(), stream).run(parse_script(script, "test"))
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def of_type(events: list[Event], kind: str) -> list[Event]:
    return [event for event in events if event["type"] == kind]


def summary_of(events: list[Event]) -> str:
    """The end-of-session summary: the last line before the reminder of how to begin again."""
    return [say["text"] for say in of_type(events, "say") if say["text"] != CONTENT.lines.after_stop][-1]


def says(events: list[Event], text: str) -> list[Event]:
    return [e for e in of_type(events, "say") if text in e["text"]]


HOLD_START = next(e["t"] for e in of_type(run("1 start hamstring"), "state") if e["state"] == "holding")
SAID_AT = round(HOLD_START + 8.0, 3)


def test_the_lists_are_long_enough() -> None:
    assert len(set(PAIN)) >= 60 and len(set(NOT_PAIN)) >= 15


@pytest.mark.parametrize("said", PAIN)
def test_every_pain_phrasing_is_pain(said: str) -> None:
    assert MATCHER.match(said).name == "pain"


@pytest.mark.parametrize("said", NOT_PAIN)
def test_comfort_and_negated_pain_are_not_pain(said: str) -> None:
    assert MATCHER.match(said).name != "pain"


@pytest.mark.parametrize("said", EVERYDAY)
def test_everyday_talk_with_a_pain_words_sound_is_not_pain(said: str) -> None:
    assert MATCHER.match(said).name != "pain"


@pytest.mark.parametrize(
    "said",
    ["add a pinch of salt, ouch", "a pinch of salt and then a pinch in my back", "at a pinch it pinches"],
)
def test_an_everyday_phrase_cancels_only_the_sign_inside_it(said: str) -> None:
    assert MATCHER.match(said).name == "pain"


@pytest.mark.parametrize(
    "said", ["I felt a pinch", "it twinged", "I felt a pull in my back", "my back ached", "it stung"],
)
def test_pinches_twinges_pulls_and_the_past_tense_are_pain(said: str) -> None:
    assert MATCHER.match(said).name == "pain"


@pytest.mark.parametrize(
    "said", ["stop, it hurts", "next... ouch", "it hurts when I lift my leg", "wait wait my back hurts",
             "start the hamstring stretch ouch", "repeat that, no, it hurts",
             "I was doing fine and then I felt a sharp pain in the back of my leg"],
)
def test_pain_wins_over_anything_else_in_the_utterance(said: str) -> None:
    assert MATCHER.match(said).name == "pain"


@pytest.mark.parametrize(
    ("said", "referral"),
    [("my leg has gone numb", True), ("I've got pins and needles", True), ("my toes are tingling", True),
     ("it's spreading down my leg", True), ("ouch", False), ("my back hurts", False)],
)
def test_numbness_tingling_and_spreading_pain_ask_for_advice(said: str, referral: bool) -> None:
    intent = MATCHER.match(said)
    assert (intent.name, intent.referral) == ("pain", referral)


def test_pain_keywords_reach_the_recognisers_through_the_urgent_words() -> None:
    pain = next(urgent for urgent in CONTENT.urgent if urgent.intent == "pain")
    assert set(pain.words) == set(CONTENT.pain.urgent) and {"ouch", "hurts"} <= set(pain.words)
    known = set(CONTENT.vocabulary)
    for keyword in pain.words:
        assert set(keyword.split()) <= known, keyword


def test_a_sign_in_no_template_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(default_content_dir(), folder)
    pain_file = folder / "pain.toml"
    pain_file.write_text(pain_file.read_text().replace('"ouch", "ow",', '"ouch", "ow", "wobbly",'))
    with pytest.raises(ContentError, match="sign 'wobbly': 'wobbly' is in no template"):
        load_content(folder)


def test_a_typed_only_sign_needs_no_template_but_must_be_a_sign(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(default_content_dir(), folder)
    pain_file = folder / "pain.toml"
    text = pain_file.read_text()
    pain_file.write_text(text.replace('"ouch", "ow",', '"ouch", "ow", "wobbly",').replace(
        'typed_only = [', 'typed_only = ["wobbly", '))
    loaded = load_content(folder)
    assert "wobbly" in loaded.pain.typed_only
    assert "wobbly" not in loaded.vocabulary
    assert IntentMatcher(loaded).match("my knee is wobbly").name == "pain"
    pain_file.write_text(text.replace('typed_only = [', 'typed_only = ["wobbly", '))
    with pytest.raises(ContentError, match="typed_only 'wobbly' is not one of the signs"):
        load_content(folder)


def test_typed_only_signs_are_pain_when_typed_and_not_in_the_grammar() -> None:
    for said in ("I think I strained my back", "I felt something tear", "I felt a pull in my hamstring"):
        assert MATCHER.match(said).name == "pain", said
    assert "strained" not in CONTENT.vocabulary


@pytest.mark.parametrize("said", PAIN)
def test_pain_said_in_a_hold_stops_it_at_once_with_no_count_after(said: str) -> None:
    events = run(f"1 start hamstring\n{SAID_AT:.3f} {said}")
    safety = [e for e in of_type(events, "say") if e["kind"] == "safety"]
    assert safety and safety[0]["text"] == CONTENT.lines.pain
    assert safety[0]["t"] - SAID_AT <= 0.1
    assert [c for c in of_type(events, "count") if c["t"] > SAID_AT] == []
    assert of_type(events, "state")[-1]["state"] == "safety"


@pytest.mark.parametrize("said", NOT_PAIN)
def test_comfort_said_in_a_hold_lets_it_go_on(said: str) -> None:
    events = run(f"1 start hamstring\n{SAID_AT:.3f} {said}")
    assert [e for e in of_type(events, "say") if e["kind"] == "safety"] == []
    counts = [c["n"] for c in of_type(events, "count") if c["t"] > SAID_AT]
    assert counts[:7] == [10, 15, 20, 25, 26, 27, 28]


def test_trying_again_restarts_the_side_from_its_first_step_slowly_never_in_a_hold() -> None:
    plain = run("1 start hamstring")
    events = run(f"1 start hamstring\n{SAID_AT:.3f} ouch\n{SAID_AT + 20:.3f} try again")
    after = [e for e in events if e["t"] > SAID_AT + 19.99]
    spoken = [e["text"] for e in of_type(after, "say")]
    assert spoken[0] == CONTENT.lines.pain_resume
    steps = [e for e in of_type(after, "state") if e["state"] == "instructing"]
    assert (steps[0]["side"], steps[0]["step"]) == ("left", 1)
    holding = [e for e in of_type(after, "state") if e["state"] == "holding"]
    assert [s["step"] for s in steps if s["t"] < holding[0]["t"]] == [1, 2, 3, 4, 5]

    def gap_before_step_two(log: list[Event], since: float) -> float:
        moving = next(e for e in of_type(log, "state") if e["t"] >= since and e["state"] == "moving")
        step_two = next(e for e in of_type(log, "state") if e["t"] >= since and e["step"] == 2)
        return float(step_two["t"] - moving["t"])

    assert gap_before_step_two(events, SAID_AT + 19.99) > gap_before_step_two(plain, 0.0)


def test_resume_after_pain_on_the_right_side_starts_the_right_side_again() -> None:
    right_hold = [e for e in of_type(run("1 start hamstring"), "state") if e["state"] == "holding"][1]
    pain_at = round(right_hold["t"] + 3, 3)
    events = run(f"1 start hamstring\n{pain_at:.3f} it aches\n{pain_at + 20:.3f} resume")
    later = [e for e in of_type(events, "state") if e["t"] > pain_at + 19.99]
    first = next(e for e in later if e["state"] == "instructing")
    assert (first["side"], first["step"]) == ("right", 1)


def test_numbness_adds_the_advice_to_stop_for_today_and_see_a_professional() -> None:
    events = run(f"1 start hamstring\n{SAID_AT:.3f} my leg has gone numb")
    safety = [e["text"] for e in of_type(events, "say") if e["kind"] == "safety"]
    assert safety[:2] == [CONTENT.lines.pain, CONTENT.lines.pain_referral]
    assert "stop for today and speak to a doctor or physiotherapist" in safety[1]
    plain = run(f"1 start hamstring\n{SAID_AT:.3f} ouch")
    assert not says(plain, CONTENT.lines.pain_referral)


def test_ouch_with_nothing_running_gets_a_plain_reply() -> None:
    events = run("20 ouch")
    after = [e for e in events if e["t"] >= 20]
    assert [e["text"] for e in of_type(after, "say")] == [CONTENT.lines.pain_idle]
    assert not says(after, "skip") and not of_type(after, "state")


def test_pain_stops_are_named_in_the_summary() -> None:
    right_hold = [e for e in of_type(run("1 start hamstring"), "state") if e["state"] == "holding"][1]
    script = (f"1 start hamstring\n{SAID_AT:.3f} ouch\n{SAID_AT + 20:.3f} resume\n"
              f"{right_hold['t'] + 80:.3f} that's sore\n{right_hold['t'] + 90:.3f} stop")
    summary = summary_of(run(script))
    assert "You reported pain during the left hamstring stretch and the right hamstring stretch." in summary


def test_pain_in_a_one_sided_exercise_is_named_without_a_side() -> None:
    events = run("1 start transversus abdominis\n30 it hurts\n40 stop")
    summary = summary_of(events)
    assert "You reported pain during the core exercise." in summary
    assert "left" not in summary and "right" not in summary


def test_every_exercise_tells_the_person_to_stay_comfortable_and_ease_off_at_pain() -> None:
    for exercise in CONTENT.exercises:
        words = " ".join(step.text.lower() for step in exercise.steps)
        assert "comfortable" in words and "pain" in words, exercise.id


@requires_espeak
@pytest.mark.audio
def test_a_word_gives_the_same_result_with_or_without_silence_around_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for words in ("ouch", "stop", "it hurts", "wait"):
        padded = espeak_wav(tmp_path, words, pad=0.5)
        bare = padded.with_name("bare-" + padded.name)
        trim_both_ends = ["silence", "1", "0.005", "1%", "reverse", "silence", "1", "0.005", "1%", "reverse"]
        subprocess.run(["sox", str(padded), str(bare), *trim_both_ends], check=True)
        files += [padded, bare]
    assert main(["recognize", "--json", *map(str, files)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    results = [(r["transcript"], r["intent"]) for r in records]
    assert results[0::2] == results[1::2]
    assert [intent for _, intent in results[0::2]] == ["pain", "stop", "pain", "pause"]


@pytest.mark.parametrize(("heard", "counts"), [("it hurts", True), ("ouch", True), ("i have a cramp", False)])
def test_only_short_distinct_pain_words_count_while_the_coach_talks(heard: str, counts: bool) -> None:
    guard = SelfHearingGuard()
    guard.started("Lie down on your back.", 0.0, 4.0)
    ears = Ears(MATCHER, guard, CONTENT.urgent)
    intent = ears.judge(Utterance(Transcript(heard, 0.9, 20.0), 1.0, 2.5))
    assert (intent is not None and intent.name == "pain") is counts
