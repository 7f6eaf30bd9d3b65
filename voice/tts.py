"""Text to speech: pyttsx3 (espeak-ng) renders to PCM on one long-lived thread, with a cache."""

from __future__ import annotations

import logging
import queue
import shutil
import sys
import tempfile
import threading
import wave
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.errors import SpeechError
from voice.pcm import TARGET_RATE, float_to_int16, resample

log = logging.getLogger(__name__)

SILENCE_LEVEL = 300
"""Samples quieter than this (of 32767) at either end of a rendering are trimmed."""


@dataclass(frozen=True)
class SpeechSettings:
    """How the coach's voice sounds."""

    rate: int = 150
    """Words per minute."""
    volume: float = 1.0
    """0.0 to 1.0."""
    voice: str | None = None
    """A pyttsx3 voice id (for example ``gmw/en-us``), or None for the default English voice."""


@dataclass(frozen=True, eq=False)
class Pcm:
    """Mono 16-bit audio."""

    samples: npt.NDArray[np.int16]
    """The samples."""
    rate: int
    """Samples per second."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate


def trim_silence(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """Drop the quiet lead-in and tail espeak-ng adds, so a count's word starts on time."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > SILENCE_LEVEL)
    if len(loud) == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


class Synthesizer:
    """Owns the one pyttsx3 engine; every rendering happens on its thread."""

    def __init__(self, settings: SpeechSettings, cache_size: int = 512) -> None:
        self._settings = settings
        self._cache: OrderedDict[tuple[str, int], Pcm] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._requests: queue.Queue[tuple[str, int, Future[Pcm]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._ready: Future[None] = Future()

    def start(self) -> None:
        """Start the engine thread; raises SpeechError when speech synthesis is unavailable."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="tts", daemon=True)
            self._thread.start()
        self._ready.result()

    def close(self) -> None:
        """Stop the engine thread."""
        if self._thread is not None:
            self._requests.put(None)
            self._thread.join(timeout=2)
            self._thread = None

    def synthesize(self, text: str, rate: int | None = None) -> Pcm:
        """Render ``text`` (cached); blocks until done. Safe from any thread."""
        key = (text, rate or self._settings.rate)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        self.start()
        result: Future[Pcm] = Future()
        self._requests.put((key[0], key[1], result))
        pcm = result.result()
        with self._lock:
            self._cache[key] = pcm
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return pcm

    def warm_up(self, texts: Iterable[str], rate: int | None = None) -> None:
        """Render phrases ahead of time so they play without delay."""
        for text in texts:
            self.synthesize(text, rate)

    def _serve(self) -> None:
        try:
            engine = self._open_engine()
        except SpeechError as error:
            self._ready.set_exception(error)
            return
        self._ready.set_result(None)
        with tempfile.TemporaryDirectory(prefix="stretch-coach-") as folder:
            target = Path(folder) / "utterance.wav"
            while (request := self._requests.get()) is not None:
                text, rate, result = request
                try:
                    result.set_result(self._render(engine, text, rate, target))
                except Exception as error:  # a failed rendering must not end the thread
                    result.set_exception(SpeechError(f"speech synthesis failed: {error}"))

    def _open_engine(self) -> Any:
        if shutil.which("espeak-ng") is None and shutil.which("espeak") is None:
            raise SpeechError("espeak-ng is not installed; install it with: sudo apt-get install espeak-ng")
        try:
            import pyttsx3
        except ImportError:
            raise SpeechError("pyttsx3 is not installed; run scripts/setup.sh") from None
        try:
            engine = pyttsx3.init()
        except Exception as error:
            raise SpeechError(f"the speech engine did not start: {error}") from None
        _silence_driver_prints()
        engine.setProperty("volume", self._settings.volume)
        if self._settings.voice:
            engine.setProperty("voice", self._settings.voice)
        return engine

    @staticmethod
    def _render(engine: Any, text: str, rate: int, target: Path) -> Pcm:
        engine.setProperty("rate", rate)
        engine.save_to_file(text, str(target))
        engine.runAndWait()
        with wave.open(str(target), "rb") as wav:
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
            rate_hz = wav.getframerate()
        target.unlink()
        # Rendered once at the 16 kHz the speaker stream and the echo canceller run at.
        at_target = float_to_int16(resample(samples.astype(np.float32) / 32768.0, rate_hz))
        return Pcm(trim_silence(at_target), TARGET_RATE)


def _silence_driver_prints() -> None:
    """pyttsx3's espeak driver prints "Audio saved to ..." on stdout; keep stdout for our output."""
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is not None:
        driver.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]
