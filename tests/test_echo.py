"""The echo canceller removes the coach's voice and keeps the person's, on real espeak-ng speech."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.helpers import requires_espeak
from voice.audio.echo_canceller import EchoCanceller, ReferenceBuffer
from voice.pcm import TARGET_RATE, int16_bytes_to_float, parse_wav, resample
from voice.testing.audio import level_db

pytestmark = [pytest.mark.audio, requires_espeak]


def speech(text: str, voice: str = "en-us") -> np.ndarray:
    """espeak-ng speech as 16 kHz float samples."""
    raw = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True).stdout
    audio = parse_wav(text, raw)
    return resample(int16_bytes_to_float(audio.data), audio.rate)


COACH = "Hold your left leg behind the knee with both hands. Slowly straighten your left leg. Keep breathing."


Room = tuple[np.ndarray, np.ndarray, np.ndarray, EchoCanceller]


def run_room(delay: int, ahead: int, person_at: int) -> Room:
    """The coach plays ``COACH``; the microphone hears it ``delay`` samples later through a small room."""
    coach = speech(COACH)
    person = 0.5 * speech("stop", "en-gb+f3")
    room = np.convolve(coach, [0, 0, 0.6, 0.25, 0.05, 0, 0, 0, 0.1])
    mic = np.zeros(len(coach) + delay + TARGET_RATE, dtype=np.float32)
    mic[delay : delay + len(room)] += room[: len(mic) - delay]
    mic += np.random.default_rng(1).normal(0, 0.001, len(mic)).astype(np.float32)
    mic[person_at : person_at + len(person)] += person
    played = np.concatenate([coach, np.zeros(len(mic) + ahead, dtype=np.float32)])
    reference = ReferenceBuffer()
    canceller = EchoCanceller(reference)
    reference.write(played[:ahead])  # the speaker stream runs ahead of what the microphone hears
    out = []
    for start in range(0, len(mic) - 160, 160):
        reference.write(played[ahead + start : ahead + start + 160])
        out.append(canceller.process(mic[start : start + 160]))
    return mic, np.concatenate(out), person, canceller


@pytest.mark.parametrize("delay", [500, 2000, 3500])
def test_the_canceller_finds_a_known_echo_lag(delay: int) -> None:
    _, _, _, canceller = run_room(delay=delay, ahead=4000, person_at=70_000)
    # The room's loudest echo tap is 2 samples after the direct delay.
    assert canceller.lag is not None and abs(canceller.lag + delay + 2) <= 2


def test_echo_is_removed_and_the_person_kept() -> None:
    person_at = 70_000
    mic, residual, person, canceller = run_room(delay=2000, ahead=4000, person_at=person_at)
    assert canceller.offset is not None
    late = slice(person_at + len(person), len(speech(COACH)))
    echo_reduction = level_db(mic[late]) - level_db(residual[late])
    assert echo_reduction > 12, f"echo only {echo_reduction:.1f} dB quieter"
    spoken = slice(person_at, person_at + len(person))
    assert abs(level_db(residual[spoken]) - level_db(person)) < 3


def test_nothing_played_means_the_microphone_passes_through() -> None:
    reference = ReferenceBuffer()
    canceller = EchoCanceller(reference)
    person = speech("next please")
    reference.write(np.zeros(len(person), dtype=np.float32))
    out = canceller.process(person)
    assert np.allclose(out, person[: len(out)])


def test_reference_buffer_reads_back_what_was_written_across_the_ring_end() -> None:
    reference = ReferenceBuffer(seconds=0.01)  # 160 samples
    data = np.arange(400, dtype=np.float32)
    reference.write(data[:150])
    reference.write(data[150:400])
    assert np.array_equal(reference.read(300, 100), data[300:400])
    assert np.array_equal(reference.read(0, 10), np.zeros(10, dtype=np.float32))
