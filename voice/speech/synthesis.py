"""Text to speech: pyttsx3 (espeak-ng) renders to 16 kHz PCM on one long-lived thread, with a cache."""

from __future__ import annotations

import contextlib
import importlib
import logging
import queue
import sys
import tempfile
import threading
import time
import wave
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from voice.coach.settings import DEFAULT_WPM
from voice.errors import SpeechError
from voice.pcm import TARGET_RATE, Int16, Pcm

log = logging.getLogger(__name__)

T = TypeVar("T")

SILENCE_LEVEL = 300
"""Samples quieter than this (of 32767) at either end of a rendering are trimmed."""

INSTALL_HINT = "install it with: sudo apt-get install espeak-ng"

JOB_TIMEOUT = 60.0
"""Longest wait for one rendering before giving up with a SpeechError (a stuck pyttsx3 loop)."""


@dataclass(frozen=True)
class SpeechSettings:
    """How the coach's voice sounds."""

    rate: int = DEFAULT_WPM
    """Words per minute."""
    volume: float = 1.0
    """0.0 to 1.0."""
    voice: str | None = None
    """An espeak-ng voice id or name (``gmw/en-us``, ``en-us``), or None for espeak-ng's default English."""


CacheKey = tuple[str, int, float, str | None]
"""Text, rate, volume and voice of a rendering."""


def trim_silence(samples: Int16) -> Int16:
    """Drop the quiet lead-in and tail espeak-ng adds, so a count's word starts on time."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > SILENCE_LEVEL)
    if len(loud) == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


class _Engine:
    """A pyttsx3 engine and the voice set on it; used only on the worker thread."""

    def __init__(self) -> None:
        try:
            import pyttsx3
        except ImportError:
            raise SpeechError("pyttsx3 is not installed; run: pip install pyttsx3") from None
        try:  # not pyttsx3.init(): that hands back a cached engine, perhaps the one that just failed
            self.engine: Any = pyttsx3.Engine()
        except Exception as error:
            raise SpeechError(f"espeak-ng is not available to pyttsx3 ({error}); {INSTALL_HINT}") from None
        _silence_driver_prints()
        self.default_voice: str = self.engine.getProperty("voice")
        self.voice = self.default_voice
        self.voice_ids = _voice_ids(self.engine)
        self._finished = threading.Event()
        self._completed = False
        self.engine.connect("finished-utterance", self._on_finished)
        self._espeak: Any = importlib.import_module("pyttsx3.drivers._espeak")

    def discard(self) -> None:
        """Retire the engine (failed, or no longer used). pyttsx3 clears espeak-ng's one synthesis
        callback when an engine is garbage-collected, which would silence a newer engine: unhook that."""
        with contextlib.suppress(AttributeError):
            self.engine.proxy._driver = None

    def _on_finished(self, completed: bool = False, **_: Any) -> None:
        """pyttsx3 reports the end of an utterance (from espeak-ng's thread), after writing the file."""
        self._completed = completed
        self._finished.set()

    def set_voice(self, voice: str | None) -> None:
        """Use ``voice`` (an id or name) or the default; SpeechError when espeak-ng has no such voice."""
        wanted = self.default_voice if voice is None else self.voice_ids.get(voice.casefold())
        if wanted is None:
            raise SpeechError(f"unknown voice '{voice}'; list the voices with: espeak-ng --voices=en")
        if wanted != self.voice:
            self.engine.setProperty("voice", wanted)
            self.voice = wanted

    def _wait_idle(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while self._espeak.IsPlaying():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    def _run_utterance(self, text: str, target: Path) -> None:
        """Synthesise one utterance to ``target`` through pyttsx3's espeak driver loop.

        Not ``runAndWait``: it first ends the previous loop with the driver's ``stop()``, which sets
        a "stopping" flag whenever espeak-ng still reports itself busy; the flag outlives that call
        and later cancels an unrelated utterance. Driving the loop directly, with the flag cleared,
        keeps each rendering whole. A watchdog ends a loop that never hears the utterance finish.
        """
        driver = self.engine.proxy._driver
        driver._stopping = False
        self._finished.clear()
        self._completed = False
        driver.save_to_file(text, str(target))
        watchdog = threading.Timer(JOB_TIMEOUT / 2, setattr, (driver, "_stopping", True))
        watchdog.start()
        try:
            driver.startLoop()
        finally:
            watchdog.cancel()
        if not self._finished.is_set() or not self._completed or not self._wait_idle():
            raise RuntimeError("espeak-ng did not finish the utterance")

    def render(self, key: CacheKey, target: Path) -> Pcm:
        """pyttsx3 2.99 on Linux: its espeak driver writes a 22.05 kHz WAV; read it back at 16 kHz."""
        text, rate, volume, voice = key
        if not any(c.isalnum() for c in text):  # pyttsx3 asserts on empty text
            return Pcm(np.zeros(0, dtype=np.int16), TARGET_RATE)
        self.set_voice(voice)
        self.engine.setProperty("rate", rate)
        self.engine.setProperty("volume", volume)
        if not self._wait_idle():
            raise RuntimeError("espeak-ng is still busy with an earlier utterance")
        target.unlink(missing_ok=True)  # so a rendering that wrote nothing cannot return stale audio
        self._run_utterance(text, target)
        with wave.open(str(target), "rb") as wav:
            rendered = Pcm(np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16),
                           wav.getframerate())
        target.unlink()
        at_rate = rendered.resampled(TARGET_RATE)  # once, at the rate the speaker stream runs at
        return Pcm(trim_silence(at_rate.samples), TARGET_RATE)


def _voice_ids(engine: Any) -> dict[str, str]:
    """Every accepted spelling of each voice (id, id without family, name), folded to lower case."""
    ids: dict[str, str] = {}
    for voice in engine.getProperty("voices"):
        for spelling in (voice.id, voice.id.rsplit("/", 1)[-1], voice.name):
            ids.setdefault(str(spelling).casefold(), voice.id)
    return ids


def _silence_driver_prints() -> None:
    """pyttsx3's espeak driver prints "Audio saved to ..." on stdout; keep stdout for our output."""
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is not None:
        driver.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]


Job = Callable[[_Engine], Any]


class _Worker:
    """The thread that owns the pyttsx3 engine; every call into pyttsx3 happens on it."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[tuple[Job, Future[Any]] | None] = queue.Queue()
        self.ready: Future[None] = Future()
        self.thread = threading.Thread(target=self._serve, name="tts", daemon=True)
        self.thread.start()

    def call(self, job: Callable[[_Engine], T]) -> T:
        """Run ``job(engine)`` on the worker thread and return its result."""
        result: Future[T] = Future()
        self.jobs.put((job, result))
        try:
            return result.result(timeout=JOB_TIMEOUT)
        except TimeoutError:
            raise SpeechError(f"speech synthesis took longer than {JOB_TIMEOUT:.0f} s") from None

    def stop(self) -> None:
        """Finish the queued jobs, then end the thread."""
        self.jobs.put(None)
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        engine: _Engine | None
        try:
            engine = _Engine()
        except SpeechError as error:
            self.ready.set_exception(error)
            return
        self.ready.set_result(None)
        while (item := self.jobs.get()) is not None:
            job, result = item
            if engine is not None and _attempt(engine, job, result, last=False):
                continue
            # pyttsx3's loop failed (or its engine could not be made): a fresh engine, one more try.
            if engine is not None:
                engine.discard()
            engine = _fresh_engine(result)
            if engine is not None:
                _attempt(engine, job, result, last=True)
        if engine is not None:
            engine.discard()


def _attempt(engine: _Engine, job: Job, result: Future[Any], last: bool) -> bool:
    """Run one job; False (result left open) when pyttsx3 itself failed and a retry may help."""
    try:
        result.set_result(job(engine))
    except SpeechError as error:
        result.set_exception(error)
    except Exception as error:
        if not last:
            log.warning("speech engine failed (%s); restarting it", str(error))
            return False
        result.set_exception(SpeechError(f"speech synthesis failed: {error}"))
    return True


def _fresh_engine(result: Future[Any]) -> _Engine | None:
    try:
        return _Engine()
    except SpeechError as error:
        result.set_exception(error)
        return None


class _Shared:
    """espeak-ng holds one synthesiser per process, so all Synthesizers share one worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._users = 0

    def acquire(self) -> _Worker:
        """The running worker (started if needed); raises SpeechError when synthesis is unavailable."""
        with self._lock:
            worker = self._worker = self._worker or _Worker()
            try:
                worker.ready.result()
            except SpeechError:
                self._worker = None
                raise
            self._users += 1
            return worker

    def release(self) -> None:
        """One user fewer; the thread ends with the last one."""
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._worker is None:
                return
            worker, self._worker = self._worker, None
        worker.stop()


_SHARED = _Shared()


class Synthesizer:
    """Renders text to PCM through pyttsx3 on the one engine thread; repeated phrases come from a cache."""

    def __init__(self, settings: SpeechSettings | None = None, cache_seconds: float = 600.0) -> None:
        self.settings = settings or SpeechSettings()
        self._cache: OrderedDict[CacheKey, Pcm] = OrderedDict()
        self._cache_samples = 0
        self._cache_limit = int(cache_seconds * TARGET_RATE)
        self._pending: dict[CacheKey, Future[Pcm]] = {}
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self.renders = 0
        """How many renderings pyttsx3 has made (cache hits excluded)."""

    def start(self) -> None:
        """Start (or join) the engine thread; raises SpeechError when synthesis is unavailable."""
        with self._lock:
            if self._worker is not None:
                return
            self._worker = _SHARED.acquire()
            self._folder = tempfile.TemporaryDirectory(prefix="stretch-coach-tts-")
        try:
            self._worker.call(lambda engine: engine.set_voice(self.settings.voice))
        except SpeechError:
            self.close()
            raise

    def close(self) -> None:
        """Stop using the engine thread (it ends when no Synthesizer uses it) and empty the cache."""
        with self._lock:
            worker, self._worker = self._worker, None
            folder, self._folder = self._folder, None
            self._cache.clear()
            self._cache_samples = 0
        if worker is not None:
            _SHARED.release()
        if folder is not None:
            folder.cleanup()

    def key(self, text: str, rate: int | None = None) -> CacheKey:
        """The cache key of ``text`` at ``rate`` (default: the settings' rate)."""
        return (text, rate or self.settings.rate, self.settings.volume, self.settings.voice)

    def cached(self, text: str, rate: int | None = None) -> Pcm | None:
        """The rendering of ``text`` if it is in the cache, without rendering it."""
        key = self.key(text, rate)
        with self._lock:
            pcm = self._cache.get(key)
            if pcm is not None:
                self._cache.move_to_end(key)
            return pcm

    def synthesize(self, text: str, rate: int | None = None) -> Pcm:
        """Render ``text`` (cached); blocks until done. Safe from any thread."""
        key = self.key(text, rate)
        pcm = self.cached(text, rate)
        if pcm is not None:
            return pcm
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                self._pending[key] = Future()
        if pending is not None:  # another thread is rendering the same phrase
            return pending.result()
        return self._render_and_store(key)

    def warm_up(self, texts: Iterable[str], rate: int | None = None) -> None:
        """Render phrases ahead of time so they play without delay (one that fails is rendered, or
        reported, again when it is said)."""
        for text in texts:
            try:
                self.synthesize(text, rate)
            except SpeechError as error:
                log.warning("Cannot prepare %r: %s", text, error)

    def _render_and_store(self, key: CacheKey) -> Pcm:
        result = self._pending[key]
        try:
            self.start()
            worker, folder = self._worker, self._folder
            if worker is None or folder is None:
                raise SpeechError("the speech synthesizer was closed")
            target = Path(folder.name) / "utterance.wav"
            pcm = worker.call(lambda engine: engine.render(key, target))
        except BaseException as error:
            with self._lock:
                del self._pending[key]
            result.set_exception(error)
            raise
        self._store(key, pcm)
        result.set_result(pcm)
        return pcm

    def _store(self, key: CacheKey, pcm: Pcm) -> None:
        with self._lock:
            self.renders += 1
            del self._pending[key]
            self._cache[key] = pcm
            self._cache_samples += len(pcm.samples)
            while self._cache_samples > self._cache_limit and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._cache_samples -= len(dropped.samples)
