"""Cleaning the sound before the recogniser: WebRTC noise suppression and gain, and when it is needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from voice.audio.endpointer import frame_level
from voice.pcm import FRAME, FRAME_BYTES

BLOCK_BYTES = FRAME_BYTES
"""WebRTC's processor takes exactly 10 ms of 16-bit mono 16 kHz audio at a time."""
LEAD_IN_BLOCKS = 20
"""The first 200 ms of an utterance (within the endpointer's 250 ms pre-roll) hold no speech."""
PRIMING_ROUNDS = 5
"""Times the lead-in is played to a fresh suppressor before the utterance: a second of noise."""


@dataclass(frozen=True)
class FrontEndSettings:
    """How the microphone's sound is cleaned before anything listens to it."""

    noise_suppression: int = 0
    """WebRTC noise suppression level, 0 (off) to 4 (strongest)."""
    auto_gain: int = 0
    """WebRTC automatic gain target in dB below full scale, 1-31; 0 turns the gain control off."""

    @property
    def active(self) -> bool:
        """Whether the front end changes the sound at all."""
        return bool(self.noise_suppression or self.auto_gain)


SHIPPED_FRONT_END = FrontEndSettings()
"""The front end the coach listens through (scripts/bench_recognition.py measures the choice)."""


class FrontEnd:
    """A continuous WebRTC processor over a stream: 16-bit PCM in, as much cleaned PCM out.

    Audio that does not fill a 10 ms block waits for the next call, so the output lags the
    input by under 10 ms; ``flush`` gives back what is left, uncleaned.
    """

    def __init__(self, settings: FrontEndSettings) -> None:
        self.settings = settings
        self._processor: Any = None
        if settings.active:
            from webrtc_noise_gain import AudioProcessor

            self._processor = AudioProcessor(settings.auto_gain, settings.noise_suppression)
        self._pending = b""

    def process(self, pcm: bytes) -> bytes:
        """The cleaned audio of every whole 10 ms block available so far."""
        if self._processor is None:
            return pcm
        data = self._pending + pcm
        usable = len(data) // BLOCK_BYTES * BLOCK_BYTES
        self._pending = data[usable:]
        return b"".join(
            self._processor.Process10ms(data[i : i + BLOCK_BYTES]).audio
            for i in range(0, usable, BLOCK_BYTES)
        )

    def flush(self) -> bytes:
        """The audio still waiting for a whole block."""
        rest, self._pending = self._pending, b""
        return rest


def cleaned(pcm: bytes, settings: FrontEndSettings) -> bytes:
    """A whole recording through a fresh front end (the same length as it came in)."""
    front = FrontEnd(settings)
    return front.process(pcm) + front.flush()


def level_spread_db(pcm: bytes) -> float:
    """How far the loud frames (95th percentile) of an utterance stand above its quiet ones (10th), in dB.

    An utterance comes with the lead-in before the speech and the quiet that ended it, so its quiet
    frames tell the background and its loud ones the speech: a low spread means speech in noise.
    """
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = len(samples) // FRAME
    if frames < 10:
        return float("inf")
    levels = [frame_level(frame) for frame in samples[: frames * FRAME].reshape(frames, FRAME)]
    return float(np.percentile(levels, 95) - np.percentile(levels, 10))


def suppressed(pcm: bytes, level: int) -> bytes:
    """The utterance through WebRTC noise suppression, the suppressor first primed on its lead-in.

    A fresh suppressor needs about a second of sound to learn the noise; the lead-in before the
    speech is that noise, so it is played to the suppressor a few times before the utterance.
    """
    front = FrontEnd(FrontEndSettings(noise_suppression=level))
    front.process(pcm[: LEAD_IN_BLOCKS * BLOCK_BYTES] * PRIMING_ROUNDS)
    front.flush()
    return front.process(pcm) + front.flush()
