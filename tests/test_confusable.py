"""No short spoken command may sound like an urgent word: the phone distance and the check at load."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from voice.content import URGENT_INTENTS, default_content_dir, load_content
from voice.errors import ContentError
from voice.listening.confusable import bursts, near_pairs, phone_distance, short_commands
from voice.listening.engines import open_recognizer
from voice.listening.engines.asr_data import load_asr_data
from voice.listening.engines.grammar_check import check_near_urgent, pronouncing, unreviewed_near_urgent
from voice.listening.intent import IntentMatcher
from voice.listening.recognizer import POCKETSPHINX, ListenSettings


def test_phone_distance_charges_a_change_within_a_class_half() -> None:
    assert phone_distance(["S", "T", "AA", "P"], ["S", "T", "AA", "P"]) == 0
    assert phone_distance(["S", "T", "AA", "P"], ["S", "T", "AE", "P"]) == 0.5  # vowel for vowel
    assert phone_distance(["S", "T", "AA", "P"], ["S", "T", "AA", "N"]) == 1  # stop for nasal
    assert phone_distance(["S", "T", "AA", "P"], ["S", "AA", "P"]) == 1  # one phone fewer
    assert phone_distance(["AA1"], ["AA0"]) == 0  # stress marks are not phones


def test_bursts_and_short_commands() -> None:
    assert bursts(["stop", "ow"]) == ["stop", "ow", "stop stop", "ow ow"]
    short = short_commands(["skip please", "skip", "start the full routine", "please"], ["please"])
    assert short == ["skip"]


def test_near_pairs_finds_the_nearest_urgent_phrase() -> None:
    pronounce = {
        "stop": (("S", "T", "AA", "P"),),
        "skip": (("S", "K", "IH", "P"),),
        "hello": (("HH", "AH", "L", "OW"),),
    }
    pairs = near_pairs(["skip", "hello"], ["stop"], pronounce, near=0.5)
    assert [(p.phrase, p.urgent) for p in pairs] == [("skip", "stop")]
    assert pairs[0].distance == 0.25


def test_the_shipped_grammar_passes_the_check() -> None:
    content, asr = load_content(), load_asr_data()
    assert unreviewed_near_urgent(content, asr) == []
    check_near_urgent(content, asr)


def test_every_reviewed_phrase_is_a_spoken_command() -> None:
    content, asr = load_content(), load_asr_data()
    spoken = short_commands(
        [p.text for p in content.spoken_phrases if p.intent not in URGENT_INTENTS], content.fillers
    )
    assert sorted(asr.reviewed_near_urgent - set(spoken)) == []


def _content_with(tmp_path: Path, intent: str, template: str) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(default_content_dir(), folder)
    commands = folder / "commands.toml"
    text = commands.read_text(encoding="utf-8")
    header = f"[intents.{intent}]\ntemplates = ["
    assert header in text
    commands.write_text(text.replace(header, f'{header}"{template}", ', 1), encoding="utf-8")
    return folder


def test_a_command_that_sounds_like_stop_is_refused_at_load_naming_both(tmp_path: Path) -> None:
    folder = _content_with(tmp_path, "quieter", "softer")
    content = load_content(folder)
    with pytest.raises(ContentError) as refused:
        open_recognizer(content, ListenSettings(engine=POCKETSPHINX), load_asr_data(folder))
    message = str(refused.value)
    assert "\n" not in message
    assert "'softer'" in message and "'stop stop'" in message
    assert "reviewed" in message


def test_a_reviewed_command_is_accepted(tmp_path: Path) -> None:
    folder = _content_with(tmp_path, "quieter", "softer")
    asr = load_asr_data(folder)
    reviewed = replace(asr, reviewed_near_urgent=asr.reviewed_near_urgent | {"softer"})
    check_near_urgent(load_content(folder), reviewed)


def test_typed_only_phrases_are_understood_but_never_offered_to_the_recognisers() -> None:
    content = load_content()
    matcher = IntentMatcher(content)
    for typed, intent in (("softer", "quieter"), ("go on", "resume"), ("slower", "slower"), ("info", "info")):
        assert matcher.match(typed, 1.0).name == intent
        assert typed not in {p.text for p in content.spoken_phrases}
        assert typed in {p.text for p in content.phrases}


def test_pronunciations_come_from_the_dictionary_and_the_content() -> None:
    phones = pronouncing({"stop", "psoas"}, load_asr_data())
    assert phones["stop"][0] == ("S", "T", "AA", "P")
    assert phones["psoas"][0] == ("S", "OW", "AH", "S")
