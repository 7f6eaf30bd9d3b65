"""The WebRTC front end on real sound: streaming in any block sizes, noise turned down, speech kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import pink, requires_espeak
from voice.audio.frontend import FrontEnd, FrontEndSettings, cleaned
from voice.pcm import float_to_pcm16, read_wav
from voice.testing.audio import espeak_wav

RATE = 16000
SUPPRESS = FrontEndSettings(noise_suppression=2)


def level_db(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(10 * np.log10(np.mean(samples**2) + 1e-9))


def test_off_passes_the_sound_through_unchanged() -> None:
    pcm = float_to_pcm16((pink(RATE) * 0.1).astype(np.float32))
    assert cleaned(pcm, FrontEndSettings()) == pcm


def test_streaming_in_odd_blocks_gives_the_same_sound_as_one_piece() -> None:
    pcm = float_to_pcm16((pink(2 * RATE) * 0.1).astype(np.float32))
    front = FrontEnd(SUPPRESS)
    pieces, at = [], 0
    for size in [100, 322, 1000, 7, 4096, 640] * 20:
        pieces.append(front.process(pcm[at : at + size]))
        at += size
    pieces.append(front.process(pcm[at:]) + front.flush())
    streamed = b"".join(pieces)
    assert len(streamed) == len(pcm)
    assert streamed == cleaned(pcm, SUPPRESS)


def test_steady_noise_is_turned_down() -> None:
    pcm = float_to_pcm16((pink(3 * RATE) * 0.05).astype(np.float32))
    out = cleaned(pcm, SUPPRESS)
    tail = len(pcm) // 2  # after the processor has learnt the noise
    assert level_db(out[tail:]) < level_db(pcm[tail:]) - 6.0


@requires_espeak
@pytest.mark.audio
def test_speech_in_noise_keeps_its_level(tmp_path: Path) -> None:
    speech = read_wav(espeak_wav(tmp_path, "start the hamstring stretch", pad=1.0)).astype(np.float64)
    speech *= 0.3 / np.max(np.abs(speech))
    noise = pink(len(speech)) * 0.01
    pcm = float_to_pcm16((speech + noise).astype(np.float32))
    loud = np.flatnonzero(np.abs(speech) > 0.03)
    words = slice(loud[0], loud[-1])  # the processor delays the sound by a few ms: compare whole spans
    assert (
        level_db(cleaned(pcm, SUPPRESS)[2 * words.start : 2 * words.stop])
        > level_db(pcm[2 * words.start : 2 * words.stop]) - 3.0
    )
