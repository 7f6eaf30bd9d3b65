"""The speaker: an output interface, a sounddevice stream that cuts within a block, and a silent stand-in."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from voice.audio import portaudio
from voice.audio.microphone import OPENING_SECONDS
from voice.errors import AudioDeviceError
from voice.pcm import TARGET_RATE, Float, Pcm, StreamResampler, resample

log = logging.getLogger(__name__)

SPEAKER_BLOCK_SECONDS = 0.01
"""Audio per callback: a cut takes effect at the next block, within 10 ms of audio (12 ms at
rates other than 16 kHz, see ``block_frames``)."""

LATENCY = 0.02
"""Device buffer in seconds; what is in it still sounds after a cut. ALSA's pulse plugin goes no
lower; PulseAudio then holds ~30 ms for the stream, and a cut is silent ~40 ms later (measured
through the null sink, no underflows on a loaded 2-core machine)."""

Done = Callable[[bool], None]
"""Told True when a sound was cut (or dropped), False when it played to its end."""
Start = Callable[[], None]
"""Told when a sound's first sample goes to the device."""


def _nothing() -> None:
    """The default ``on_start``."""


def _report(callbacks: list[Callable[[], None]]) -> None:
    """Run listeners' callbacks; a failing one is logged and must not stop the audio."""
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("a playback listener failed")


class Reference(Protocol):
    """Receives every sample the speaker plays, at 16 kHz (the echo canceller's reference)."""

    def write(self, samples: Float) -> None:
        """Append played samples, silence included."""


class AudioOutput(Protocol):
    """Where sounds are played, one after another."""

    @property
    def busy(self) -> bool:
        """True while a sound is playing or queued."""

    def play(self, pcm: Pcm, on_done: Done, on_start: Start | None = None) -> None:
        """Queue ``pcm`` after anything queued; returns at once. ``on_done`` is called exactly once."""

    def cut(self) -> None:
        """Stop the playing sound within a block and drop the queue; each gets ``on_done(True)``."""

    def close(self) -> None:
        """Release the device (nothing more is reported)."""


@dataclass(frozen=True, eq=False)
class Clip:
    """One sound ready for the speaker stream."""

    samples: Float
    """16 kHz mono float samples."""
    on_start: Start
    """Called (from the audio thread) when its first sample is handed to the device."""
    on_done: Done
    """Called with True when cut or dropped, False when played to the end."""


def block_frames(rate: int) -> int:
    """Frames per callback: 10 ms at 16 kHz; at other rates the power of two nearest 10 ms.

    ALSA's pulse plugin at 44.1 kHz with 441-frame blocks (and a 20 ms buffer) often starts with a
    burst of hundreds of underflowing callbacks, and now and then keeps running ~10x faster than
    real time: seconds of sound vanish, and the echo reference, which counts every sample handed
    over, jumps ahead of what was heard. Power-of-two blocks (a 1024-frame buffer) run clean at
    22.05, 44.1 and 48 kHz (measured on the null sink).
    """
    if rate == TARGET_RATE:
        return round(rate * SPEAKER_BLOCK_SECONDS)
    return 1 << round(math.log2(rate * SPEAKER_BLOCK_SECONDS))


STALL_SECONDS = 1.0
"""An open output stream whose device asks for nothing this long has failed (a hung sound server)."""


class SpeakerStream:
    """Plays clips one after another on an always-open output stream, 16 kHz when the device allows.

    The stream stays open while idle (writing silence) so the echo canceller's reference keeps
    counting samples in step with the microphone. The callback only copies from the current clip.
    """

    def __init__(
        self, device: str | int | None, reference: Reference | None = None,
        on_error: Callable[[str], None] | None = None, rate: int | None = None,
    ) -> None:
        self._device = device
        self._reference = reference
        self._on_error = on_error
        self._wanted_rate = rate
        self.rate = rate or TARGET_RATE
        """The stream's sample rate, once open."""
        self._queue: deque[Clip] = deque()
        self._current: Clip | None = None
        self._position = 0
        self._cut = False
        self._lock = threading.Lock()
        self._stream: Any = None
        self._to_reference: StreamResampler | None = None
        self._last_callback = self._opened_at = 0.0
        self.played = 0
        """Samples handed to the device since it was opened, silence included."""
        self.underflows = 0
        """Callbacks that reported the device ran dry (a click or a gap)."""

    def open(self) -> None:
        """Open the device; raises AudioDeviceError when it cannot be used."""
        try:
            import sounddevice as sd
        except (ImportError, OSError) as error:
            raise AudioDeviceError(f"sounddevice/PortAudio is not usable ({error})") from None
        failure: Exception | None = None
        for rate in self._rates(sd):
            try:
                self._start(sd, rate)
                return
            except (sd.PortAudioError, ValueError) as error:
                self._stream, failure = None, error
        raise AudioDeviceError(f"speaker '{self._device or 'default'}' cannot be opened: {failure}")

    def _rates(self, sd: Any) -> list[int]:
        """16 kHz first; then the device's own rate (clips are resampled for it)."""
        if self._wanted_rate:
            return [self._wanted_rate]
        try:
            own = int(sd.query_devices(self._device, "output")["default_samplerate"])
        except (sd.PortAudioError, ValueError, KeyError):
            return [TARGET_RATE]
        return [TARGET_RATE] if own == TARGET_RATE else [TARGET_RATE, own]

    def _start(self, sd: Any, rate: int) -> None:
        self.rate = rate
        self._to_reference = None if rate == TARGET_RATE else StreamResampler(rate, TARGET_RATE)
        with portaudio.LOCK:
            stream = sd.OutputStream(
                samplerate=rate, blocksize=block_frames(rate), channels=1, dtype="float32",
                device=self._device, latency=LATENCY, callback=self._callback,
                finished_callback=self._finished,
            )
            portaudio.STREAMS.opened()
            self._opened_at = self._last_callback = time.monotonic()
            try:
                stream.start()
            except BaseException:
                stream.close()
                portaudio.STREAMS.closed()
                raise
            self._stream = stream

    def close(self) -> None:
        """Stop and close the device (nothing is reported for what was still queued)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
            finally:
                stream.close()  # never raises; the stream is closed after it
                portaudio.STREAMS.closed()

    @property
    def busy(self) -> bool:
        """True while a clip is playing or queued."""
        with self._lock:
            return self._current is not None or bool(self._queue)

    def play(self, clip: Clip) -> None:
        """Queue a clip after anything already queued."""
        if self.rate != TARGET_RATE:
            clip = Clip(resample(clip.samples, TARGET_RATE, self.rate), clip.on_start, clip.on_done)
        with self._lock:
            self._queue.append(clip)

    def cut(self) -> None:
        """Stop the playing clip at the next block; queued clips are dropped (``on_done(True)``)."""
        with self._lock:
            dropped = list(self._queue)
            self._queue.clear()
            self._cut = True
        _report([functools.partial(clip.on_done, True) for clip in dropped])

    def abandon(self) -> None:
        """Drop the playing and queued clips at once, each with ``on_done(True)`` (the device failed)."""
        with self._lock:
            dropped = [*([self._current] if self._current else []), *self._queue]
            self._current = None
            self._queue.clear()
        _report([functools.partial(clip.on_done, True) for clip in dropped])

    def _next_block(self, frames: int) -> tuple[Float, list[Callable[[], None]]]:
        block = np.zeros(frames, dtype=np.float32)
        events: list[Callable[[], None]] = []
        filled = 0
        with self._lock:
            if self._cut:
                self._cut = False
                if self._current is not None:
                    events.append(functools.partial(self._current.on_done, True))
                    self._current = None
            while filled < frames:
                if self._current is None:
                    if not self._queue:
                        break
                    self._current, self._position = self._queue.popleft(), 0
                    events.append(self._current.on_start)
                part = self._current.samples[self._position : self._position + frames - filled]
                block[filled : filled + len(part)] = part
                filled += len(part)
                self._position += len(part)
                if self._position >= len(self._current.samples):
                    events.append(functools.partial(self._current.on_done, False))
                    self._current = None
        return block, events

    @property
    def stalled(self) -> bool:
        """True when the device has not asked for audio for ``STALL_SECONDS`` although it is open."""
        now = time.monotonic()
        return (
            self._stream is not None and now - self._opened_at > OPENING_SECONDS
            and now - self._last_callback > STALL_SECONDS
        )

    def _callback(self, outdata: Any, frames: int, when: Any, status: Any) -> None:
        self._last_callback = time.monotonic()
        block, events = self._next_block(frames)
        outdata[:, 0] = block
        self.played += frames
        self.underflows += bool(status.output_underflow)
        if self._reference is not None:
            self._reference.write(block if self._to_reference is None else self._to_reference.process(block))
        _report(events)

    def _finished(self) -> None:
        if self._stream is not None and self._on_error is not None:
            self._on_error("the audio stream stopped unexpectedly")


class NullOutput:
    """No speaker: plays nothing, but each sound ends after its duration, so timing stays the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[Pcm, Done, Start]] = deque()
        self._current: tuple[Pcm, Done, Start] | None = None
        self._timer: threading.Timer | None = None

    @property
    def busy(self) -> bool:
        """True while a sound is 'playing' or queued."""
        with self._lock:
            return self._current is not None or bool(self._queue)

    def play(self, pcm: Pcm, on_done: Done, on_start: Start | None = None) -> None:
        """Queue a sound; it 'plays' for its duration, measured by a timer."""
        with self._lock:
            self._queue.append((pcm, on_done, on_start or _nothing))
            events = self._advance()
        _report(events)

    def cut(self) -> None:
        """End the current sound now and drop the queue; each gets ``on_done(True)``."""
        with self._lock:
            dropped = [*([self._current] if self._current else []), *self._queue]
            self._current = None
            self._queue.clear()
            if self._timer is not None:
                self._timer.cancel()
        _report([functools.partial(on_done, True) for _, on_done, _ in dropped])

    def close(self) -> None:
        """Forget everything queued (nothing more is reported)."""
        with self._lock:
            self._current = None
            self._queue.clear()
            if self._timer is not None:
                self._timer.cancel()

    def _advance(self) -> list[Callable[[], None]]:
        """Start the next queued sound if none is playing (call with the lock held)."""
        if self._current is not None or not self._queue:
            return []
        item = self._current = self._queue.popleft()
        self._timer = threading.Timer(item[0].duration, self._finish, args=(item,))
        self._timer.daemon = True
        self._timer.start()
        return [item[2]]

    def _finish(self, item: tuple[Pcm, Done, Start]) -> None:
        with self._lock:
            if self._current is not item:
                return
            self._current = None
            events: list[Callable[[], None]] = [functools.partial(item[1], False), *self._advance()]
        _report(events)


class SoundDeviceOutput:
    """A real speaker; if the device fails while playing, it carries on silently and says so once.

    ``on_lost`` hears of the failure (the live loop then retries with ``reopen``)."""

    def __init__(
        self, device: str | int | None = None, reference: Reference | None = None,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self._device = device
        self._reference = reference
        self._on_lost = on_lost
        self._failing = threading.Lock()  # the audio thread and the loop's stall check may both report
        self.stream = SpeakerStream(device, reference, on_error=self._failed)
        self.stream.open()
        self._fallback: NullOutput | None = None

    @property
    def busy(self) -> bool:
        """True while a sound is playing or queued."""
        return self.stream.busy or (self._fallback is not None and self._fallback.busy)

    @property
    def failed(self) -> bool:
        """True after the device failed, until ``reopen`` succeeds."""
        return self._fallback is not None

    def play(self, pcm: Pcm, on_done: Done, on_start: Start | None = None) -> None:
        """Queue a sound on the speaker."""
        if self._fallback is not None:
            self._fallback.play(pcm, on_done, on_start)
        else:
            self.stream.play(Clip(pcm.resampled(TARGET_RATE).floats(), on_start or _nothing, on_done))

    def cut(self) -> None:
        """Stop within a block and drop the queue."""
        self.stream.cut()
        if self._fallback is not None:
            self._fallback.cut()

    def close(self) -> None:
        """Close the device."""
        self.stream.close()
        if self._fallback is not None:
            self._fallback.close()

    def reopen(self) -> bool:
        """Try the failed device again; True when it plays again."""
        if self._fallback is None:
            return True
        with contextlib.suppress(Exception):  # the failed stream may refuse to close cleanly
            self.stream.close()
        stream = SpeakerStream(self._device, self._reference, on_error=self._failed)
        try:
            stream.open()
        except AudioDeviceError as error:
            log.debug("speaker not back yet: %s", error)
            return False
        with self._failing:
            fallback, self._fallback, self.stream = self._fallback, None, stream
        fallback.cut()
        fallback.close()
        return True

    def check(self) -> None:
        """Treat a stream that stopped asking for audio as a failed device."""
        if self._fallback is None and self.stream.stalled:
            self._failed("it stopped taking audio")

    def _failed(self, reason: str) -> None:
        with self._failing:
            if self._fallback is not None:
                return
            self._fallback = NullOutput()
        log.error("The speaker stopped (%s); continuing without sound.", reason)
        self.stream.abandon()
        if self._on_lost is not None:
            self._on_lost(reason)


def open_output(
    device: str | int | None = None, reference: Reference | None = None,
    on_lost: Callable[[str], None] | None = None,
) -> AudioOutput:
    """The speaker if it can be opened; otherwise a silent stand-in, said once in the log."""
    try:
        return SoundDeviceOutput(device, reference, on_lost)
    except AudioDeviceError as error:
        log.warning("No speaker found (%s); continuing without sound.", error)
        return NullOutput()
