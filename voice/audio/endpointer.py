"""End of utterance: a neural voice-activity detector (Silero), or an energy detector over an adaptive noise
floor with a voicing check where it is not installed."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from voice.audio.vad import SILERO, FrameDetector, load_detector
from voice.pcm import FRAME_BYTES, SAMPLE_BYTES, TARGET_RATE

SILENT_DB = -120.0
"""Level given to digital silence."""


@dataclass(frozen=True)
class EndpointSettings:
    """How an utterance is found in a stream of audio."""

    threshold_db: float = 5.0
    """A frame is loud when this far above the noise floor."""
    quiet_db: float = 3.0
    """Once speaking, a frame is quiet when less than this above the noise floor."""
    hangover_loud: int = 3
    """Frames above the quiet level (noise bursts) tolerated within the hangover."""
    min_level_db: float = -62.0
    """A loud frame must also be above this level (dB full scale)."""
    open_window: int = 20
    """Frames (10 ms) looked at to open an utterance."""
    open_frames: int = 12
    """Loud frames in that window needed to open one."""
    voiced_frames: int = 6
    """Voiced (periodic) loud frames in that window needed too: breath, hiss and clicks have none."""
    voicing: float = 0.5
    """Normalised autocorrelation at the pitch period above which a frame is voiced."""
    hangover: float = 0.3
    """Seconds of quiet that end an utterance (the decision comes this long after the last word)."""
    preroll: float = 0.25
    """Seconds of audio from before the opening handed to the recogniser with it."""
    max_seconds: float = 7.0
    """An utterance is cut after this long."""
    floor_seconds: float = 2.0
    """The noise floor is a low percentile of the levels over this many seconds."""
    floor_percentile: float = 15.0
    """Which percentile of recent frame levels is taken as the noise floor."""
    steady_seconds: float = 1.0
    """Sound whose level stays within ``steady_db`` this long is background noise: the floor jumps to it."""
    steady_db: float = 5.0
    """Level range that counts as steady."""
    detector: str = SILERO
    """Voice-activity detector that tells speech frames (one of vad.DETECTORS); energy if not installed."""
    speech_probability: float = 0.5
    """With a detector: a frame is speech at or above this probability."""
    keep_probability: float = 0.5
    """With a detector, within an utterance: a frame is quiet below this probability (0.35 ended 30 ms
    later in noise, found no more: scripts/bench_vad.py)."""
    with_energy: bool = False
    """With a detector: a speech frame must also pass the energy and voicing checks."""


class Kind(StrEnum):
    """What an endpointer event marks."""

    START = "start"
    AUDIO = "audio"
    END = "end"


@dataclass(frozen=True)
class Event:
    """Something the endpointer found in the stream."""

    kind: Kind
    """An utterance starts (with its pre-roll), continues, or has ended."""
    audio: bytes
    """Audio belonging to the utterance (16 kHz mono 16-bit); empty for END."""
    time: float
    """Stream time in seconds where ``audio`` begins, or where the utterance ended."""


def frame_level(frame: npt.NDArray[np.float64]) -> float:
    """Level of a frame in dB full scale."""
    power = float(np.mean(frame * frame)) / (32768.0 * 32768.0)
    return 10.0 * np.log10(power) if power > 1e-12 else SILENT_DB


def is_voiced(samples: npt.NDArray[np.float64], threshold: float) -> bool:
    """Whether the samples are periodic at a speaking pitch (70-400 Hz), after pre-emphasis.

    The measure is the largest normalised cross-correlation between the signal and itself
    shifted by one pitch period, so slowly varying noise (hum-free rumble, hiss) scores low.
    """
    emphasised = samples[1:] - 0.9 * samples[:-1]
    centred = emphasised - emphasised.mean()
    count = len(centred)
    spectrum = np.fft.rfft(centred, 2 * count)
    correlation = np.fft.irfft(spectrum * np.conj(spectrum))[:count]
    squares = np.cumsum(centred * centred)
    if squares[-1] <= 0.0:
        return False
    lags = np.arange(TARGET_RATE // 400, min(TARGET_RATE // 70, count // 2))
    head = squares[count - 1 - lags]
    tail = squares[-1] - squares[lags - 1]
    score = correlation[lags] / np.sqrt(np.maximum(head * tail, 1e-9))
    return bool(score.max() > threshold)


class Endpointer:
    """Finds utterances in a stream of 16 kHz mono 16-bit PCM, block by block."""

    def __init__(self, settings: EndpointSettings | None = None) -> None:
        self.settings = settings or EndpointSettings()
        self._pending = b""
        self._frames = 0
        self._floor: float | None = None
        self._levels: deque[float] = deque(maxlen=round(self.settings.floor_seconds * 100))
        self._context: deque[npt.NDArray[np.float64]] = deque(maxlen=3)
        self._powers: deque[float] = deque(maxlen=3)
        preroll = round(self.settings.preroll * 100) + self.settings.open_window
        self._history: deque[tuple[bytes, bool, bool]] = deque(maxlen=preroll)
        self._speaking = False
        self._tail: deque[bool] = deque(maxlen=round(self.settings.hangover * 100))
        self._length = 0
        self._detector: FrameDetector | None = load_detector(self.settings.detector)

    @property
    def detector(self) -> str:
        """Name of the detector in use: ``energy`` when no neural one is."""
        return self._detector.name if self._detector is not None else "energy"

    @property
    def noise_floor(self) -> float | None:
        """Current noise floor estimate in dB full scale."""
        return self._floor

    def push(self, pcm: bytes) -> list[Event]:
        """Analyse the next block; returns what it completes (any block length works)."""
        data = self._pending + pcm
        usable = len(data) - len(data) % FRAME_BYTES
        self._pending = data[usable:]
        events: list[Event] = []
        for offset in range(0, usable, FRAME_BYTES):
            event = self._frame(data[offset : offset + FRAME_BYTES])
            if event is not None:
                events.append(event)
        return _merge_audio(events)

    def flush(self) -> list[Event]:
        """The stream has ended: close an open utterance."""
        if not self._speaking:
            return []
        self._speaking = False
        return [Event(Kind.END, b"", self._frames / 100)]

    def _track_floor(self, level: float) -> None:
        """Minimum statistics: a low percentile of recent levels; steady sound is all floor."""
        self._levels.append(level)
        if self._floor is not None and self._frames % 10:
            return
        levels = np.fromiter(self._levels, dtype=np.float64)
        self._floor = float(np.percentile(levels, self.settings.floor_percentile))
        steady = levels[-round(self.settings.steady_seconds * 100) :]
        if len(levels) >= len(steady) == round(self.settings.steady_seconds * 100):
            low, high = np.percentile(steady, [5, 95])
            if high - low < self.settings.steady_db:
                self._floor = max(self._floor, float(np.median(steady)))

    def _frame(self, frame_bytes: bytes) -> Event | None:
        samples = np.frombuffer(frame_bytes, dtype="<i2").astype(np.float64)
        self._context.append(samples)
        level = frame_level(samples)
        floor = self._floor if self._floor is not None else level
        loud = level > max(floor + self.settings.threshold_db, self.settings.min_level_db)
        checked = self._detector is None or self.settings.with_energy
        voiced = loud and checked and is_voiced(np.concatenate(self._context), self.settings.voicing)
        self._powers.append(10 ** (level / 10))
        smoothed = 10 * np.log10(max(sum(self._powers) / len(self._powers), 1e-12))
        quiet = smoothed < max(floor + self.settings.quiet_db, self.settings.min_level_db)
        self._track_floor(level)
        self._frames += 1
        if self._detector is not None:
            loud, voiced, quiet = self._detected(frame_bytes, level, loud, voiced)
        if self._speaking:
            return self._continue(frame_bytes, quiet)
        self._history.append((frame_bytes, loud, voiced))
        return self._maybe_open()

    def _detected(
        self, frame_bytes: bytes, level: float, loud: bool, voiced: bool
    ) -> tuple[bool, bool, bool]:
        """Loud, voiced and quiet as the detector hears the frame (with ``with_energy``, as the energy
        checks do too; else loud and voiced are one)."""
        assert self._detector is not None
        probability = self._detector.probability(frame_bytes)
        audible = level > self.settings.min_level_db
        speech = audible and probability >= self.settings.speech_probability
        quiet = not audible or probability < self.settings.keep_probability
        if self.settings.with_energy:
            return speech and loud, speech and voiced, quiet
        return speech, speech, quiet

    def _maybe_open(self) -> Event | None:
        window = list(self._history)[-self.settings.open_window :]
        if sum(loud for _, loud, _ in window) < self.settings.open_frames:
            return None
        if sum(voiced for _, _, voiced in window) < self.settings.voiced_frames:
            return None
        audio = b"".join(frame for frame, _, _ in self._history)
        self._history.clear()
        self._speaking, self._length = True, len(audio) // FRAME_BYTES
        self._tail.clear()
        return Event(Kind.START, audio, self._frames / 100 - len(audio) / (2 * TARGET_RATE))

    def _continue(self, frame_bytes: bytes, quiet: bool) -> Event:
        """Within the utterance: it ends once the hangover has passed with (almost) no loud frame."""
        self._tail.append(not quiet)
        self._length += 1
        hangover = len(self._tail) == self._tail.maxlen and sum(self._tail) <= self.settings.hangover_loud
        too_long = self._length >= round(self.settings.max_seconds * 100)
        if hangover or too_long:
            self._speaking = False
            return Event(Kind.END, b"", self._frames / 100)
        return Event(Kind.AUDIO, frame_bytes, self._frames / 100 - 0.01)


def _merge_audio(events: list[Event]) -> list[Event]:
    """Join consecutive audio events of one block into one."""
    merged: list[Event] = []
    for event in events:
        previous = merged[-1] if merged else None
        if event.kind is Kind.AUDIO and previous is not None and previous.kind in (Kind.START, Kind.AUDIO):
            merged[-1] = Event(previous.kind, previous.audio + event.audio, previous.time)
        else:
            merged.append(event)
    return merged


def utterances(pcm: bytes, settings: EndpointSettings | None = None) -> list[tuple[float, bytes]]:
    """Every utterance in a recording: (start time in seconds, its audio)."""
    endpointer = Endpointer(settings)
    found: list[tuple[float, bytes]] = []
    current: list[bytes] = []
    start = 0.0
    for event in [*endpointer.push(pcm), *endpointer.flush()]:
        if event.kind is Kind.START:
            start, current = event.time, [event.audio]
        elif event.kind is Kind.AUDIO:
            current.append(event.audio)
        else:
            found.append((start, b"".join(current)))
    return found


def speech_span(pcm: bytes, settings: EndpointSettings | None = None) -> bytes | None:
    """The recording from the start of its first utterance to the end of its last; None if none."""
    found = utterances(pcm, settings)
    if not found:
        return None
    first = round(found[0][0] * TARGET_RATE) * SAMPLE_BYTES
    last_start, last_audio = found[-1]
    end = round(last_start * TARGET_RATE) * SAMPLE_BYTES + len(last_audio)
    return pcm[max(0, first) : end]
