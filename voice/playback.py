"""The speaker: a continuous sounddevice stream that plays queued utterances and can cut at once."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from voice.echo import ReferenceBuffer
from voice.errors import AudioDeviceError
from voice.pcm import TARGET_RATE, Float

log = logging.getLogger(__name__)

BLOCK = 160
"""Samples per callback at 16 kHz: 10 ms, so a cut takes effect within 10 ms of audio."""

LATENCY = 0.04
"""Device buffer in seconds: the lowest that ALSA's pulse plugin keeps steady here (0.03 runs away)."""


@dataclass(frozen=True, eq=False)
class Clip:
    """One utterance ready to play."""

    samples: Float
    """16 kHz mono float samples."""
    on_start: Callable[[], None]
    """Called (from the audio thread) when its first sample is handed to the device."""
    on_done: Callable[[bool], None]
    """Called (from the audio thread) with True when cut, False when played to the end."""


class SpeakerStream:
    """Plays clips one after another on an always-open output stream at 16 kHz.

    The stream stays open while idle (writing silence) so the echo canceller's reference keeps
    counting samples in step with the microphone.
    """

    def __init__(
        self, device: str | int | None, reference: ReferenceBuffer | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._device = device
        self._reference = reference
        self._on_error = on_error
        self._queue: deque[Clip] = deque()
        self._current: Clip | None = None
        self._position = 0
        self._cut = False
        self._lock = threading.RLock()
        self._stream: Any = None
        self.played_blocks = 0

    def open(self) -> None:
        """Open the device; raises AudioDeviceError when it cannot be used."""
        import sounddevice as sd

        try:
            self._stream = sd.OutputStream(
                samplerate=TARGET_RATE, blocksize=BLOCK, channels=1, dtype="float32",
                device=self._device, latency=LATENCY, callback=self._callback,
                finished_callback=self._finished,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as error:
            self._stream = None
            name = self._device or "default"
            raise AudioDeviceError(f"speaker '{name}' cannot be opened: {error}") from None

    def close(self) -> None:
        """Stop and close the device (nothing is reported for what was still queued)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()

    @property
    def output_latency(self) -> float:
        """Seconds between handing a sample to the device and hearing it, as the device reports."""
        return float(self._stream.latency) if self._stream is not None else 0.0

    @property
    def busy(self) -> bool:
        """True while a clip is playing or queued."""
        with self._lock:
            return self._current is not None or bool(self._queue)

    def play(self, clip: Clip) -> None:
        """Queue a clip after anything already queued."""
        with self._lock:
            self._queue.append(clip)

    def cut(self) -> None:
        """Stop the playing clip at the next block and drop the queue."""
        with self._lock:
            self._queue.clear()
            self._cut = True

    def _next_block(self) -> Float:
        block = np.zeros(BLOCK, dtype=np.float32)
        filled = 0
        with self._lock:
            if self._cut:
                self._cut = False
                if self._current is not None:
                    self._current.on_done(True)
                    self._current = None
            while filled < BLOCK:
                if self._current is None:
                    if not self._queue:
                        break
                    self._current, self._position = self._queue.popleft(), 0
                    self._current.on_start()
                part = self._current.samples[self._position : self._position + BLOCK - filled]
                block[filled : filled + len(part)] = part
                filled += len(part)
                self._position += len(part)
                if self._position >= len(self._current.samples):
                    self._current.on_done(False)
                    self._current = None
        return block

    def _callback(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        block = self._next_block()
        outdata[:, 0] = block[:frames]
        self.played_blocks += 1
        if self._reference is not None:
            self._reference.write(block[:frames])

    def _finished(self) -> None:
        if self._stream is not None and self._on_error is not None:
            self._on_error("the speaker stopped unexpectedly")
