"""A plain stop in every development voice, clean and in noise, is never taken for a non-urgent command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voice.apps.recognize import recognize_pcm
from voice.content import URGENT_INTENTS, load_content
from voice.listening.engines.asr_data import load_asr_data
from voice.listening.engines.sphinx_engine import SphinxRecognizer
from voice.listening.intent import IntentMatcher
from voice.pcm import float_to_pcm16
from voice.testing.voices import DEV_VOICES, missing_packages, padded_speech

pytestmark = pytest.mark.audio

STOPS = ("stop", "stop!", "stop it", "stop now")
"""How a person says stop; "stop" alone was heard as "softer", "help", "go on" and "psoas"."""
NOISE_DB = 10.0
"""Pink noise this far under the speech."""


NOT_YET = {
    ("espeak-ng:en-029", "clean"), ("espeak-ng:en-us-nyc+f2", "clean"),
    ("espeak-ng:en-gb-x-gbcwmd+f4", "clean"), ("espeak-ng:en-us-nyc+f2", "noise"),
    ("espeak-ng:en-gb-x-gbclan", "noise"), ("espeak-ng:en-gb-x-gbcwmd+f4", "noise"),
}
"""Voices and rooms in which some stop is still heard as another command ("help", "move on", "start the
psoas"): the target is not reached there (docs/recognition.md). Strict: one that starts passing fails
until it is taken off this list. With the Silero endpointer five voices in noise came off it and
en-gb-x-gbcwmd+f4 clean came on ("stop it" heard as "help me please" from a span 40 ms shorter at its
start; a longer pre-roll mended it but lost flite rms in noise, so it is not tuned to this test)."""


def _cases() -> list[object]:
    cases: list[object] = []
    for voice in DEV_VOICES:
        for condition in ("clean", "noise"):
            marks = [pytest.mark.xfail(strict=True, reason="a stop still heard as another command here")]
            cases.append(pytest.param(voice, condition, marks=marks if (voice, condition) in NOT_YET else []))
    return cases


@pytest.fixture(scope="module")
def listening() -> Iterator[tuple[SphinxRecognizer, IntentMatcher]]:
    content = load_content()
    yield SphinxRecognizer.for_content(content, load_asr_data()), IntentMatcher(content)


@pytest.mark.parametrize(("voice", "condition"), _cases())
def test_stop_is_never_taken_for_a_command_that_is_not_urgent(
    voice: str, condition: str, listening: tuple[SphinxRecognizer, IntentMatcher], tmp_path: Path
) -> None:
    missing = missing_packages([voice])
    if missing:
        pytest.skip(f"needs {' '.join(missing)} (scripts/setup.sh --test installs it)")
    recognizer, matcher = listening
    snr = None if condition == "clean" else NOISE_DB
    heard = {}
    for number, text in enumerate(STOPS):
        samples = padded_speech(voice, text, tmp_path, snr, seed=number)
        heard[text] = recognize_pcm(float_to_pcm16(samples), recognizer, matcher)
    harmless = (*URGENT_INTENTS, "none")
    acted = {said: r["transcript"] for said, r in heard.items() if r["intent"] not in harmless}
    assert acted == {}
    urgent = [said for said, r in heard.items() if r["intent"] in URGENT_INTENTS]
    assert len(urgent) >= len(heard) // 2, f"only {urgent} of {len(heard)} heard as urgent"
