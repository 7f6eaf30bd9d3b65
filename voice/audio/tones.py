"""Beeps, alarms and whistles told from voices by what only speech has: harmonics of a moving pitch.

A tone holds its power in a few spectral lines. So does a high, steady voice ("stoooop" at
400 Hz), so line power alone cannot decide. What a voice has and a timer, alarm, chirp or
microwave beep lacks: at least two neighbouring harmonics of one fundamental between 60 and
500 Hz, and that fundamental moving from frame to frame. A sound is called a tone only when nearly
all its loud frames are lines AND those frames do not show a moving voice pitch; anything else
(every voice, noise, a cough) goes on to the decoder. Figures: docs/recognition.md ("Beeps").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voice.pcm import TARGET_RATE

Samples = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ToneCheck:
    """Settings of the tone check (measured with scripts/bench_beeps.py)."""

    frame: int = 768
    """Samples per analysis frame (48 ms; Blackman window: lines 65 Hz apart resolved, side lobes -58 dB)."""
    fft: int = 4096
    """FFT length (zero padded: bins of 4 Hz)."""
    loud_db: float = 30.0
    """Frames within this of the loudest frame are analysed ..."""
    above_floor_db: float = 6.0
    """... if this above the quietest tenth of the frames (the room between beeps is no tone)."""
    short_frame: int = 256
    """Samples per frame of the second, coarser look (16 ms: a fast chirp is still a line)."""
    line_hz: float = 65.0
    """Half width of a spectral line (the window's main lobe)."""
    lines: int = 3
    """A frame is a line frame when its strongest this many lines hold ``line_share`` of its power."""
    line_share: float = 0.85
    """Share of a frame's power in its strongest lines that makes it a line frame."""
    peak_db: float = 30.0
    """Peaks within this of a frame's strongest one count as harmonics."""
    harmonics: int = 3
    """Fewest lines on multiples of the fundamental (two of them neighbours) that make a frame voiced."""
    pitch_hz: tuple[float, float] = (60.0, 500.0)
    """Range of a voice's fundamental."""
    lowest_order: int = 5
    """One of the harmonics must be of at most this order (a reverberant chirp's trail of lines is not)."""
    harmonic_error: float = 0.08
    """Largest distance of a harmonic from a multiple of the fundamental, as a share of the fundamental."""
    tonal_frames: float = 0.8
    """A sound is a tone only when at least this share of its loud frames are line frames."""
    voiced_frames: float = 0.25
    """... and fewer than this share of them show neighbouring harmonics of a voice's pitch ..."""
    pitch_movement: float = 0.02
    """... or that pitch moves less than this (relative spread, 10th to 90th percentile): a buzzer."""


TONE_CHECK = ToneCheck()


@dataclass(frozen=True)
class ToneFacts:
    """What the check found in one sound."""

    loud_frames: int
    """Frames analysed."""
    line_frames: float
    """Share of them whose power sits in a few lines."""
    voiced_frames: float
    """Share of them showing neighbouring harmonics of a pitch in a voice's range."""
    pitch_movement: float
    """Relative spread of that pitch over the voiced frames (0 when fewer than three)."""


def _loud_frames(samples: Samples, frame: int, check: ToneCheck) -> npt.NDArray[np.float64]:
    """The loud frames of ``frame`` samples (half-overlapping), their means removed."""
    hop = frame // 2
    count = max(0, (len(samples) - frame) // hop + 1)
    if count == 0:
        return np.zeros((0, frame))
    index = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    chunks = samples[index] - samples[index].mean(axis=1, keepdims=True)
    energy = np.sum(chunks**2, axis=1)
    top = float(energy.max())
    if top <= 0.0:
        return np.zeros((0, frame))
    floor = min(float(np.percentile(energy, 10)) * 10 ** (check.above_floor_db / 10), top / 4)
    loud: npt.NDArray[np.float64] = chunks[energy >= max(top * 10 ** (-check.loud_db / 10), floor)]
    return loud


def _spectra(samples: Samples, frame: int, check: ToneCheck) -> npt.NDArray[np.float64]:
    """Power spectra (Blackman window) of the loud frames, with nothing below 50 Hz."""
    loud = _loud_frames(samples, frame, check)
    spectra: npt.NDArray[np.float64] = np.abs(np.fft.rfft(loud * np.blackman(frame), check.fft)) ** 2
    spectra[:, : int(50 * check.fft / TARGET_RATE)] = 0.0  # hum and rumble are no one's voice
    return spectra


def _peaks(spectrum: Samples, check: ToneCheck, line_hz: float) -> list[tuple[float, float]]:
    """(frequency, power) of the spectral lines, strongest first, at least a line width apart."""
    hz = TARGET_RATE / check.fft
    width = max(1, round(line_hz / hz))
    floor = float(spectrum.max()) * 10 ** (-check.peak_db / 10)
    local = (spectrum[1:-1] > spectrum[:-2]) & (spectrum[1:-1] >= spectrum[2:]) & (spectrum[1:-1] > floor)
    found: list[tuple[float, float]] = []
    for i in np.flatnonzero(local)[np.argsort(-spectrum[1:-1][local])] + 1:
        if any(abs(i - f / hz) <= width for f, _ in found):
            continue
        left, mid, right = np.log(spectrum[i - 1 : i + 2] + 1e-30)
        shift = 0.5 * (left - right) / (left - 2 * mid + right) if left - 2 * mid + right < 0 else 0.0
        found.append(((i + shift) * hz, float(spectrum[i])))
        if len(found) == 8:
            break
    return found


def _line_share(
    spectrum: Samples, peaks: list[tuple[float, float]], check: ToneCheck, line_hz: float
) -> float:
    """Share of the frame's power within a line width of its strongest lines."""
    hz = TARGET_RATE / check.fft
    width = round(line_hz / hz)
    mask = np.zeros(len(spectrum), dtype=bool)
    for frequency, _ in peaks[: check.lines]:
        centre = round(frequency / hz)
        mask[max(0, centre - width) : centre + width + 1] = True
    total = float(spectrum.sum())
    return float(spectrum[mask].sum()) / total if total > 0 else 0.0


def voice_pitch(peaks: list[tuple[float, float]], check: ToneCheck = TONE_CHECK) -> float | None:
    """The fundamental in a voice's range of which two lines are neighbouring harmonics and at least
    ``check.harmonics`` lines are harmonics (the strongest such pair decides), or None."""
    low, high = check.pitch_hz

    def on(frequency: float, step: float) -> bool:
        return (
            frequency >= 0.9 * step
            and abs(frequency - round(frequency / step) * step) <= check.harmonic_error * step
        )

    best: tuple[float, float] | None = None
    for a, power_a in peaks:
        for b, power_b in peaks:
            step = b - a
            if not low <= step <= high or not on(a, step):
                continue
            strength = min(power_a, power_b)
            harmonics = [f for f, _ in peaks if on(f, step)]
            low_order = min(harmonics) <= check.lowest_order * step  # a voice's low harmonics are there
            if len(harmonics) >= check.harmonics and low_order and (best is None or strength > best[1]):
                best = (step, strength)
    return best[0] if best else None


def tone_facts(samples: Samples, check: ToneCheck = TONE_CHECK) -> ToneFacts:
    """Line frames, voiced frames and pitch movement of a sound."""
    spectra = _spectra(samples, check.frame, check)
    if not len(spectra):
        return ToneFacts(0, 0.0, 0.0, 0.0)
    lined, pitches = 0, []
    for spectrum in spectra:
        peaks = _peaks(spectrum, check, check.line_hz)
        if not peaks:
            continue
        lined += _line_share(spectrum, peaks, check, check.line_hz) >= check.line_share
        pitch = voice_pitch(peaks, check)
        if pitch is not None:
            pitches.append(pitch)
    coarse = _spectra(samples, check.short_frame, check)
    wide = check.line_hz * check.frame / check.short_frame
    lined_coarse = sum(
        _line_share(spectrum, _peaks(spectrum, check, wide), check, wide) >= check.line_share
        for spectrum in coarse
        if spectrum.any()
    )
    movement = 0.0
    if len(pitches) >= 3:
        p10, p50, p90 = np.percentile(pitches, [10, 50, 90])
        movement = float((p90 - p10) / p50)
    line_frames = max(lined / len(spectra), lined_coarse / max(1, len(coarse)))
    return ToneFacts(len(spectra), line_frames, len(pitches) / len(spectra), movement)


def is_tone(samples: Samples, check: ToneCheck = TONE_CHECK) -> bool:
    """Whether a sound is a beep, alarm, chirp or whistle rather than a voice (see the module's notes)."""
    facts = tone_facts(samples, check)
    if facts.loud_frames == 0 or facts.line_frames < check.tonal_frames:
        return False
    voiced = facts.voiced_frames >= check.voiced_frames
    return not voiced or facts.pitch_movement < check.pitch_movement
