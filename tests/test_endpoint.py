"""End of utterance: speech opens and closes utterances promptly; silence, breath, steady noise open none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import requires_espeak
from voice.audio.endpointer import Endpointer, Event, Kind, speech_span, utterances
from voice.pcm import TARGET_RATE as RATE
from voice.pcm import read_wav
from voice.testing.audio import espeak_wav, noise


def pcm(samples: np.ndarray) -> bytes:
    data: bytes = np.clip(np.rint(samples * 32767), -32768, 32767).astype("<i2").tobytes()
    return data


def in_blocks(data: bytes, endpointer: Endpointer, block: int = 640) -> list[Event]:
    events: list[Event] = []
    for start in range(0, len(data), block):
        events += endpointer.push(data[start : start + block])
    return events + endpointer.flush()


def test_digital_silence_opens_nothing() -> None:
    assert utterances(bytes(RATE * 2 * 3)) == []


@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
@pytest.mark.parametrize("level", [-60.0, -30.0, -15.0])
def test_steady_noise_opens_nothing(colour: str, level: float) -> None:
    assert utterances(pcm(noise(4.0, level, colour))) == []


def test_breathing_opens_nothing() -> None:
    breaths = []
    for seed in range(3):
        swell = np.sin(np.linspace(0, np.pi, RATE)) ** 2
        breaths += [noise(1.0, -25.0, "pink", seed) * swell, np.zeros(RATE // 2)]
    room = noise(4.5, -65.0, "pink", 9)
    assert utterances(pcm(np.concatenate(breaths) + room)) == []


def test_noise_starting_and_running_is_not_an_utterance_for_long() -> None:
    fan = np.concatenate([np.zeros(RATE), noise(6.0, -25.0, "white")])
    found = utterances(pcm(fan))
    assert sum(len(audio) for _, audio in found) / (2 * RATE) < 2.0


@pytest.fixture(scope="module")
def command(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    folder = tmp_path_factory.mktemp("speech")
    return read_wav(espeak_wav(folder, "start the hamstring stretch")).astype(np.float64)


def speech_end(samples: np.ndarray) -> float:
    return float(np.flatnonzero(np.abs(samples) > 0.01)[-1]) / RATE


@requires_espeak
@pytest.mark.audio
@pytest.mark.parametrize("snr_db", [None, 10.0, 5.0])
def test_a_command_is_one_utterance_closed_within_the_hangover(
    command: np.ndarray, snr_db: float | None
) -> None:
    speech = np.concatenate([np.zeros(RATE), command, np.zeros(RATE)])
    ended_at = 1.0 + speech_end(command)
    if snr_db is not None:
        power = np.mean(command[np.abs(command) > 0.01] ** 2)
        speech = speech + noise(len(speech) / RATE, 10 * np.log10(power) - snr_db, "pink")
    events = in_blocks(pcm(speech), Endpointer())
    starts = [e for e in events if e.kind is Kind.START]
    ends = [e for e in events if e.kind is Kind.END]
    assert len(starts) == len(ends) == 1
    assert starts[0].time <= 1.05  # the pre-roll reaches back to the first sound
    assert 0.0 <= ends[0].time - ended_at <= 0.4  # decided within 0.4 s; decoding fits in the rest of 0.5 s
    audio = b"".join(e.audio for e in events)
    assert len(audio) / (2 * RATE) >= 0.9 * len(command) / RATE


@requires_espeak
@pytest.mark.audio
def test_two_commands_with_a_pause_are_two_utterances(command: np.ndarray) -> None:
    gap = np.zeros(RATE)
    assert len(utterances(pcm(np.concatenate([gap, command, gap, command, gap])))) == 2


@requires_espeak
@pytest.mark.audio
def test_long_speech_is_cut_at_the_maximum(tmp_path: Path) -> None:
    text = "and then we walked along the river and talked about the garden and the weather for a long time"
    talk = read_wav(espeak_wav(tmp_path, text, speed=120)).astype(np.float64)
    found = utterances(pcm(np.concatenate([talk, talk])))
    assert found and all(len(audio) / (2 * RATE) <= 7.5 for _, audio in found)


@requires_espeak
@pytest.mark.audio
def test_speech_span_trims_the_silence_around(command: np.ndarray) -> None:
    padded = pcm(np.concatenate([np.zeros(2 * RATE), command, np.zeros(2 * RATE)]))
    span = speech_span(padded)
    assert span is not None
    assert len(command) / RATE < len(span) / (2 * RATE) < len(command) / RATE + 0.8
