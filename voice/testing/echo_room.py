"""The echo canceller live on the virtual sound card: the coach speaks, a person talks over it."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.audio.echo_canceller import EchoCanceller, ReferenceBuffer
from voice.audio.speaker import Clip, SpeakerStream
from voice.pcm import TARGET_RATE, Pcm, read_wav
from voice.testing.audio import level_db
from voice.testing.pulse import PulseSink

Audio = npt.NDArray[np.float32]

BLOCK = 160
"""Microphone samples per input callback (10 ms), as the live loop reads them."""
TAIL = TARGET_RATE // 2
"""How long after a clip ends its echo may still be arriving (the lag is ~0.25 s here)."""


def reduction_db(mic: Audio, residual: Audio) -> float:
    """How much quieter the residual is than the microphone over the same samples."""
    return level_db(mic) - level_db(residual)


def locate(audio: Audio, sound: Audio) -> int:
    """Where ``sound`` starts in ``audio`` (peak of the normalised cross-correlation)."""
    size = 1 << (len(audio) + len(sound)).bit_length()
    spectrum = np.fft.rfft(audio, size) * np.conj(np.fft.rfft(sound, size))
    scores = np.fft.irfft(spectrum, size)[: len(audio) - len(sound) + 1]
    power = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    energy = np.sqrt(np.maximum(power[len(sound) :] - power[: -len(sound)], 0)) + 1e-9
    return int(np.argmax(scores / energy))


@dataclass
class LiveCanceller:
    """The live loop's microphone side: the input callback only copies into a bounded queue and a
    worker thread runs the canceller, so a slow block never stalls the audio thread."""

    device: str
    canceller: EchoCanceller
    capacity: int = 100
    mic: list[Audio] = field(default_factory=list)
    residual: list[Audio] = field(default_factory=list)
    leftover: list[Audio] = field(default_factory=list)
    """The canceller's expected leftover echo (mean square) for each residual sample."""
    cpu_seconds: float = 0.0
    """Thread CPU time the canceller took."""
    lost: int = 0
    """Samples dropped because the queue was full."""
    overflows: int = 0
    """Input callbacks that reported lost samples."""
    locked_at: int | None = None
    """Microphone sample count when the canceller first knew the lag."""
    ready_at: int | None = None
    """Microphone sample count when the canceller first said it was ready."""

    def __post_init__(self) -> None:
        import sounddevice as sd

        self._queue: queue.Queue[tuple[int, Audio] | None] = queue.Queue(self.capacity)
        self._heard = 0
        self._failure: BaseException | None = None
        self._worker = threading.Thread(target=self._serve, name="echo-canceller", daemon=True)
        self._stream = sd.InputStream(
            samplerate=TARGET_RATE, blocksize=BLOCK, channels=1, dtype="float32", device=self.device,
            latency=0.02, callback=self._callback,
        )

    @property
    def heard(self) -> int:
        """Microphone samples the worker has taken so far."""
        return self._heard

    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        self.overflows += bool(status.input_overflow)
        try:
            self._queue.put_nowait((self.lost, indata[:, 0].copy()))
        except queue.Full:
            self.lost += frames

    def _serve(self) -> None:
        try:
            self._cancel()
        except BaseException as error:  # reported by recording()
            self._failure = error

    def _cancel(self) -> None:
        seen = 0
        while (item := self._queue.get()) is not None:
            lost, block = item
            started = time.thread_time()
            if lost > seen:  # tell the canceller, so its sample count (and the lag) stays right
                self._keep(np.zeros(lost - seen, dtype=np.float32), self.canceller.skip(lost - seen))
                seen = lost
            self._keep(block, self.canceller.process(block))
            self.cpu_seconds += time.thread_time() - started

    def _keep(self, mic: Audio, residual: Audio) -> None:
        self.mic.append(mic)
        self.residual.append(residual)
        self.leftover.append(np.full(len(residual), self.canceller.leftover_level, dtype=np.float32))
        self._heard += len(mic)
        if self.locked_at is None and self.canceller.lag is not None:
            self.locked_at = self._heard
        if self.ready_at is None and self.canceller.ready:
            self.ready_at = self._heard

    def __enter__(self) -> LiveCanceller:
        self._worker.start()
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()
        if self._worker.is_alive():
            self._queue.put(None)
            self._worker.join()

    def recording(self) -> tuple[Audio, Audio, Audio]:
        """Microphone, residual and expected leftover, sample for sample (up to a block short)."""
        if self._failure is not None:
            raise AssertionError("the canceller's worker failed") from self._failure
        residual = np.concatenate(self.residual)
        return np.concatenate(self.mic)[: len(residual)], residual, np.concatenate(self.leftover)


class Room:
    """The coach's speaker and the live canceller on the null sink; notes where each sound lands."""

    def __init__(self, sink: PulseSink, rate: int | None = None) -> None:
        self.sink = sink
        self.reference = ReferenceBuffer()
        self.canceller = EchoCanceller(self.reference)
        self.speaker = SpeakerStream(sink.device, self.reference, rate=rate)
        self.live = LiveCanceller(sink.device, self.canceller)

    def __enter__(self) -> Room:
        self._open_speaker()
        self.live.__enter__()
        return self

    def _open_speaker(self) -> None:
        self.speaker.open()
        deadline = time.monotonic() + 5  # a new stream on the idle null sink stalls ~2 s
        while self.speaker.played < self.speaker.rate // 4 and time.monotonic() < deadline:
            time.sleep(0.01)

    def restart_speaker(self, rate: int | None = None, pause: float = 0.3) -> None:
        """Close the speaker and, ``pause`` seconds later, open a new stream on the same reference:
        the reference does not count the pause, so the lag moves by at least that much."""
        self.speaker.close()
        time.sleep(pause)
        self.speaker = SpeakerStream(self.sink.device, self.reference, rate=rate)
        self._open_speaker()

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__()
        self.speaker.close()

    def say(self, pcm: Pcm, during: Path | None = None, after: float = 1.0) -> tuple[int, int]:
        """Play ``pcm`` to its end (with a person's WAV ``after`` seconds in); its microphone span."""
        done = threading.Event()
        first = self.live.heard
        self.speaker.play(Clip(pcm.floats(), lambda: None, lambda _: done.set()))
        person = None
        if during is not None:
            time.sleep(after)
            person = self.sink.play(during)
        if not done.wait(pcm.duration + 5):
            raise RuntimeError("the clip never finished")
        if person is not None:
            person.wait(5)
        time.sleep(TAIL / TARGET_RATE)
        return first, self.live.heard

    def person(self, wav: Path) -> tuple[int, int]:
        """Play a person's WAV alone; its microphone span."""
        first = self.live.heard
        self.sink.play(wav).wait(5)
        time.sleep(TAIL / TARGET_RATE)
        return first, self.live.heard


def window_ratios_db(
    residual: Audio, leftover: Audio, window: int = TARGET_RATE // 10
) -> npt.NDArray[np.float64]:
    """Residual power over the expected leftover echo, in dB, for each 100 ms window."""
    count = len(residual) // window
    power = np.mean(residual[: count * window].astype(np.float64).reshape(count, window) ** 2, axis=1)
    expected = np.mean(leftover[: count * window].astype(np.float64).reshape(count, window), axis=1)
    ratios: npt.NDArray[np.float64] = 10 * np.log10((power + 1e-12) / (expected + 1e-12))
    return ratios


Span = tuple[int, int]


@dataclass
class Scene:
    """One scene recorded through the virtual sound card: the person alone, then the coach's
    sentences, over some of which the person says "stop"."""

    room: Room
    alone: Span
    """Microphone span of the person speaking alone."""
    spans: list[Span]
    """Microphone span of each sentence (its echo's tail included)."""
    talk_over: Sequence[int]
    """The sentences the person spoke over."""
    person: Audio
    """The person's sound as played."""
    mic: Audio = field(init=False)
    residual: Audio = field(init=False)
    leftover: Audio = field(init=False)

    def __post_init__(self) -> None:
        self.mic, self.residual, self.leftover = self.room.live.recording()

    def reduction(self, index: int) -> float:
        """Echo reduction (dB) over a sentence."""
        first, last = self.spans[index]
        return reduction_db(self.mic[first:last], self.residual[first:last])

    def _spoken(self, index: int) -> slice:
        first, last = self.spans[index]
        start = first + locate(self.residual[first:last], self.person)
        return slice(start, start + len(self.person))

    def person_error(self, index: int) -> float:
        """The person's level in the residual over sentence ``index`` minus the person alone (dB)."""
        alone = self.alone[0] + locate(self.mic[self.alone[0] : self.alone[1]], self.person)
        person_alone = level_db(self.mic[alone : alone + len(self.person)])
        return level_db(self.residual[self._spoken(index)]) - person_alone

    def over_leftover(self, index: int, person: bool = False) -> float:
        """Loudest 100 ms of the residual (of the person only, if ``person``) over the expected
        leftover echo (dB)."""
        first, last = self.spans[index]
        span = self._spoken(index) if person else slice(first, last)
        return float(np.max(window_ratios_db(self.residual[span], self.leftover[span])))


def play_scene(
    sink: PulseSink, coach: list[Pcm], person_wav: Path, rate: int | None = None,
    talk_over: Sequence[int] = (2,),
) -> Scene:
    """The person alone, then the coach's sentences; over those in ``talk_over`` the person says "stop"."""
    with Room(sink, rate) as room:
        time.sleep(0.2)
        alone = room.person(person_wav)
        spans = [
            room.say(pcm, during=person_wav if index in talk_over else None)
            for index, pcm in enumerate(coach)
        ]
    return Scene(room, alone, spans, talk_over, read_wav(person_wav))
