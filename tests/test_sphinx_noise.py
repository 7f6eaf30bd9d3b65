"""PocketSphinx in noise: utterances heard in noise are cleaned before decoding, clean ones are not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import pink, requires_espeak, spoken
from voice.apps.recognize import recognize_pcm
from voice.audio.endpointer import speech_span
from voice.audio.frontend import level_spread_db, suppressed
from voice.content import Content, load_content
from voice.listening.engines.asr_data import load_asr_data
from voice.listening.engines.sphinx_engine import SphinxRecognizer, SphinxTuning
from voice.listening.intent import IntentMatcher
from voice.pcm import TARGET_RATE as RATE

COMMANDS = {
    "stop": ("stop", None),
    "that hurts": ("pain", None),
    "pause please": ("pause", None),
    "start the hamstring stretch": ("start", "hamstring"),
    "next step": ("next", None),
    "what can i say": ("help", None),
    "repeat that": ("repeat", None),
    "start the piriformis stretch": ("start", "piriformis"),
}
"""Commands said in pink noise, and what they mean."""


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sphinx-noise")


def level_db(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(10 * np.log10(np.mean(samples**2) + 1.0))


@requires_espeak
@pytest.mark.audio
def test_the_level_spread_tells_speech_in_noise_from_clean_speech(speech_dir: Path) -> None:
    clean = speech_span(spoken(speech_dir, "start the hamstring stretch"))
    noisy = speech_span(spoken(speech_dir, "start the hamstring stretch", snr_db=8.0))
    assert clean is not None and noisy is not None
    tuning = SphinxTuning()
    assert level_spread_db(clean) > tuning.noisy_below_db + 10 > level_spread_db(noisy) + 10


def test_a_clip_too_short_to_measure_counts_as_clean() -> None:
    assert level_spread_db(b"\x01\x00" * 100) == float("inf")


def test_suppression_quietens_noise_keeps_the_length_and_leaves_loud_sound_loud() -> None:
    noise = pink(RATE * 2, seed=3) * 1000.0
    tone = 8000.0 * np.sin(2 * np.pi * 440.0 * np.arange(RATE // 2) / RATE)
    mixed = noise.copy()
    mixed[RATE : RATE + len(tone)] += tone
    pcm = np.clip(mixed, -32768, 32767).astype("<i2").tobytes() + b"\x00\x00" * 7  # not whole blocks
    out = suppressed(pcm, 2)
    assert len(out) == len(pcm)
    lead_in = slice(0, 2 * RATE // 2)
    loud = slice(2 * RATE, 2 * (RATE + len(tone)))
    assert level_db(out[lead_in]) < level_db(pcm[lead_in]) - 6.0
    assert level_db(out[loud]) > level_db(pcm[loud]) - 3.0


@requires_espeak
@pytest.mark.audio
def test_clean_speech_reaches_the_decoder_as_it_came(content: Content, speech_dir: Path) -> None:
    recognizer = SphinxRecognizer.for_content(content, load_asr_data(), SphinxTuning(noisy_suppression=2))
    clean = speech_span(spoken(speech_dir, "next step"))
    assert clean is not None
    assert recognizer.denoised(clean) is clean


@requires_espeak
@pytest.mark.audio
def test_suppression_finds_more_commands_in_loud_noise(content: Content, speech_dir: Path) -> None:
    """Pink noise 10 dB under the speech: cleaning the noisy utterances finds more of the commands."""
    matcher = IntentMatcher(content)
    plain = SphinxTuning(noisy_suppression=0)
    right = {}
    for name, tuning in (("plain", plain), ("cleaned", replace(plain, noisy_suppression=2))):
        recognizer = SphinxRecognizer.for_content(content, load_asr_data(), tuning)
        right[name] = sum(
            (record["intent"], record["exercise"]) == want
            for text, want in COMMANDS.items()
            for record in [recognize_pcm(spoken(speech_dir, text, snr_db=10.0), recognizer, matcher)]
        )
    assert right["cleaned"] >= right["plain"] + 2, right
