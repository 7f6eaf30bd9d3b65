"""Listening live: microphone, echo canceller, endpointer and recogniser on one thread of their own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from voice.audio import portaudio
from voice.audio.echo_canceller import EchoCanceller, ReferenceBuffer, Samples
from voice.audio.endpointer import Endpointer, EndpointSettings, Kind
from voice.audio.frontend import SHIPPED_FRONT_END, FrontEnd
from voice.audio.portaudio import Outage, Patience
from voice.clock import Clock
from voice.errors import AudioDeviceError
from voice.listening.recognizer import Recognizer, Transcript
from voice.pcm import FRAME, SAMPLE_BYTES, TARGET_RATE, float_to_pcm16, int16_bytes_to_float

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Waits between attempts to reopen a failed device; the last one repeats."""

SUPPRESS_BELOW = 4.0
"""A 10 ms residual frame no louder than this many times the expected echo leftover is the coach's
voice, not the person's: it is turned down (by ``SUPPRESSION``) before the endpointer sees it."""
SUPPRESSION = 0.1
"""Gain on such frames (-20 dB): quiet enough not to open an utterance, not digital silence."""


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech the microphone caught, decoded."""

    transcript: Transcript
    """What the recogniser made of it."""
    start: float
    """Session seconds when the speech began."""
    end: float
    """Session seconds when the speech ended (the decision came a hangover later)."""


class AudioSource(Protocol):
    """A capture device giving 16 kHz mono 16-bit PCM."""

    @property
    def name(self) -> str:
        """Name of the device."""

    def start(self) -> None:
        """Open the device; AudioDeviceError when it cannot be used."""

    def read(self, timeout: float = 0.5) -> bytes | None:
        """Next audio, None if none came in time; AudioDeviceError when the device failed."""

    def close(self) -> None:
        """Release the device."""


def retry_delays(delays: Sequence[float] = RETRY_SECONDS) -> Callable[[int], float]:
    """The wait before attempt ``n`` (0-based) to reopen a device: growing, then steady."""
    return lambda attempt: delays[min(attempt, len(delays) - 1)]


def keep_trying(
    attempt: Callable[[], T | None], stopping: threading.Event, delay: Callable[[int], float]
) -> T | None:
    """Call ``attempt`` after growing waits until it gives a result; None once ``stopping`` is set."""
    tries = 0
    while not stopping.wait(delay(tries)):
        result = attempt()
        if result is not None:
            return result
        tries += 1
    return None


@dataclass(frozen=True)
class ListenerHooks:
    """What the listener reports; each is called on the listener's thread."""

    heard: Callable[[Utterance], None]
    """An utterance was decoded."""
    lost: Callable[[str], None]
    """The microphone failed (with the reason); the listener keeps trying to reopen it."""
    back: Callable[[str], None]
    """The microphone works again (with its name)."""
    gone: Callable[[str], None] | None = None
    """The microphone has been gone longer than ``Patience.give_up_after`` (called once per outage)."""


class Listener:
    """Reads the microphone, cancels the coach's echo, cuts utterances and decodes them.

    A failed device is reported once and reopened with growing waits until it works again.
    """

    def __init__(
        self, open_source: Callable[[], AudioSource], recognizer: Recognizer, clock: Clock,
        hooks: ListenerHooks, reference: ReferenceBuffer | None = None,
        endpoint: EndpointSettings | None = None, delay: Callable[[int], float] | None = None,
        patience: Patience | None = None,
    ) -> None:
        self._open_source = open_source
        self._recognizer = recognizer
        self._clock = clock
        self._hooks = hooks
        self._reference = reference
        self._endpoint = endpoint
        self._delay = delay or retry_delays()
        self._patience = patience or Patience()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def open_first(self) -> AudioSource:
        """Open the device once, on the caller's thread, so a missing microphone is known at start."""
        source = self._open_source()
        source.start()
        return source

    def start(self, source: AudioSource) -> None:
        """Listen on ``source`` (already started) on a thread of its own."""
        self._thread = threading.Thread(target=self._run, args=(source,), name="listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and release the device."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _run(self, source: AudioSource | None) -> None:
        while not self._stopping.is_set():
            if source is None:
                source = self._reopen()
                if source is None:
                    return
                self._hooks.back(source.name)
            try:
                self._listen(source)
            except AudioDeviceError as error:
                log.warning("%s", error)
                self._hooks.lost(str(error))
            except Exception as error:  # a bug must not leave the coach deaf: log it, start afresh
                log.exception("listening failed; opening the microphone again")
                self._hooks.lost(f"listening failed: {error}")
            finally:
                _close_quietly(source)
            source = None

    def _reopen(self) -> AudioSource | None:
        outage = Outage(self._patience)
        told: list[bool] = []

        def attempt() -> AudioSource | None:
            if outage.hopeless() and not told and self._hooks.gone is not None:
                told.append(True)
                self._hooks.gone(f"the microphone has been gone for {outage.seconds:.0f} s")
            if outage.refresh_due():  # a replugged USB microphone may be listed under a new number
                portaudio.refresh()
            return self._try_open()

        return keep_trying(attempt, self._stopping, self._delay)

    def _try_open(self) -> AudioSource | None:
        try:
            with portaudio.LOCK:
                return self.open_first()
        except AudioDeviceError as error:
            log.debug("microphone not back yet: %s", error)
            return None
        except Exception:
            log.exception("the microphone could not be opened")
            return None

    def _listen(self, source: AudioSource) -> None:
        stream = _Stream(self._clock, self._reference)
        endpointer = Endpointer(self._endpoint)
        self._recognizer.reset()
        began: float | None = None
        check = getattr(self._recognizer, "check", None)  # a recogniser in a worker process is watched
        while not self._stopping.is_set():
            block = source.read(0.25)
            if check is not None:
                check()
            if not block:
                continue
            for event in endpointer.push(stream.clean(block)):
                if event.kind is Kind.END:
                    start = stream.session_time(began if began is not None else event.time)
                    end = stream.session_time(event.time - endpointer.settings.hangover)
                    self._hooks.heard(Utterance(self._recognizer.final(), start, end))
                    began = None
                    continue
                if event.kind is Kind.START:  # its audio starts with the pre-roll, before the speech
                    began = event.time + endpointer.settings.preroll
                self._recognizer.accept(event.audio)


def _close_quietly(source: AudioSource) -> None:
    try:
        source.close()
    except Exception:
        log.exception("the microphone did not close cleanly")


class _Stream:
    """One connection's audio: echo cancelled, and stream seconds mapped to session seconds."""

    def __init__(self, clock: Clock, reference: ReferenceBuffer | None) -> None:
        self._clock = clock
        self._canceller = EchoCanceller(reference) if reference is not None else None
        self._front = FrontEnd(SHIPPED_FRONT_END)
        self._origin: float | None = None

    def session_time(self, stream_seconds: float) -> float:
        """Session seconds of a point in this stream (counted from its first sample)."""
        return (self._origin or 0.0) + stream_seconds

    def clean(self, block: bytes) -> bytes:
        """The block without the coach's voice, as far as the echo canceller can tell, noise reduced."""
        if self._origin is None:
            self._origin = self._clock.now() - len(block) / SAMPLE_BYTES / TARGET_RATE
        if self._canceller is None:
            return self._front.process(block)
        residual = self._canceller.process(int16_bytes_to_float(block))
        return self._front.process(float_to_pcm16(self._suppress(residual)))

    def _suppress(self, residual: Samples) -> Samples:
        assert self._canceller is not None
        leftover = self._canceller.leftover_level
        if leftover <= 0.0 or len(residual) < FRAME:
            return residual
        frames = len(residual) // FRAME
        shaped = residual[: frames * FRAME].reshape(frames, FRAME).copy()
        quiet = np.mean(shaped * shaped, axis=1) <= SUPPRESS_BELOW * leftover
        shaped[quiet] *= SUPPRESSION
        return np.concatenate([shaped.reshape(-1), residual[frames * FRAME :]])
