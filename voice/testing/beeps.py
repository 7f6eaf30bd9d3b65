"""Synthetic household tones for tests and benchmarks: timer beeps, alarms, chirps, microwave beeps."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from voice.pcm import TARGET_RATE

Samples = npt.NDArray[np.float64]
RATE = TARGET_RATE


def _time(seconds: float) -> Samples:
    return np.arange(int(seconds * RATE)) / RATE


def _faded(tone: Samples) -> Samples:
    """A tone with 5 ms ramps at its ends (as a loudspeaker plays it: no clicks)."""
    ramp = min(len(tone) // 2, int(0.005 * RATE))
    envelope = np.ones(len(tone))
    envelope[:ramp] = np.linspace(0, 1, ramp)
    envelope[len(tone) - ramp :] = np.linspace(1, 0, ramp)
    return tone * envelope


def _pattern(tones: list[Samples], gap: float) -> Samples:
    """Tones one after another with ``gap`` seconds of silence between them."""
    silence = np.zeros(int(gap * RATE))
    parts: list[Samples] = []
    for tone in tones:
        parts += [_faded(tone), silence]
    return np.concatenate(parts[:-1]) * 0.5


def sine(frequency: float, seconds: float) -> Samples:
    """A pure tone."""
    return np.sin(2 * np.pi * frequency * _time(seconds))


def timer_beep(
    frequency: float = 1000.0, beeps: int = 3, seconds: float = 0.15, gap: float = 0.15
) -> Samples:
    """A kitchen timer: ``beeps`` short pure tones."""
    return _pattern([sine(frequency, seconds)] * beeps, gap)


def two_tone_alarm(
    low: float = 770.0, high: float = 960.0, cycles: int = 3, seconds: float = 0.25
) -> Samples:
    """An alarm alternating two pitches (hi-lo siren, doorbell)."""
    t = _time(seconds * 2 * cycles)
    step = (t // seconds).astype(int) % 2
    frequency = np.where(step == 0, high, low)
    return np.sin(2 * np.pi * np.cumsum(frequency) / RATE) * 0.5


def dual_tone(first: float = 440.0, second: float = 480.0, seconds: float = 1.0, gap: float = 0.3) -> Samples:
    """Two pitches at once, twice (a ringing tone, a dial tone, a keypad's tone)."""
    chord = 0.5 * (sine(first, seconds) + sine(second, seconds))
    return _pattern([chord, chord], gap)


def chirp(start: float = 500.0, end: float = 3000.0, seconds: float = 0.4, times: int = 2) -> Samples:
    """A sweep from ``start`` to ``end`` Hz (exponential), ``times`` over."""
    t = _time(seconds)
    rate = np.log(end / start) / seconds
    sweep = np.sin(2 * np.pi * start * (np.exp(rate * t) - 1) / rate)
    return _pattern([sweep] * times, 0.1)


def microwave_beep(
    frequency: float = 2000.0, duty: float = 0.5, beeps: int = 3, seconds: float = 0.3
) -> Samples:
    """A piezo beeper's square-ish wave: every harmonic up to 8 kHz of a pulse of ``duty``
    (0.5: the odd harmonics only), three beeps."""
    t = _time(seconds)
    wave = np.zeros(len(t))
    for order in range(1, int(RATE / 2 / frequency) + 1):
        weight = np.sin(np.pi * order * duty) / order
        wave += weight * np.sin(2 * np.pi * order * frequency * t)
    return _pattern([wave / np.max(np.abs(wave))] * beeps, 0.2)


def tone_families(rng: np.random.Generator) -> dict[str, list[Callable[[], Samples]]]:
    """Makers of varied household tones by family (each maker draws its own settings from ``rng``)."""

    def uniform(low: float, high: float) -> float:
        return float(rng.uniform(low, high))

    return {
        "timer beep": [
            lambda: timer_beep(1000.0),
            lambda: timer_beep(
                uniform(500, 4000), int(rng.integers(1, 5)), uniform(0.08, 0.4), uniform(0.08, 0.3)
            ),
            lambda: timer_beep(uniform(500, 4000), 1, uniform(0.6, 1.5)),
        ],
        "two-tone alarm": [
            lambda: two_tone_alarm(),
            lambda: two_tone_alarm(uniform(400, 1200), uniform(1300, 3000), int(rng.integers(2, 5))),
            lambda: dual_tone(*rng.choice([(440, 480), (350, 440), (697, 1209), (852, 1477), (480, 620)])),
        ],
        "chirp": [
            lambda: chirp(
                uniform(300, 1000), uniform(1500, 4000), uniform(0.15, 0.8), int(rng.integers(1, 4))
            ),
            lambda: chirp(
                uniform(1500, 4000), uniform(300, 1000), uniform(0.15, 0.8), int(rng.integers(1, 4))
            ),
        ],
        "microwave": [
            lambda: microwave_beep(uniform(800, 4000)),
            lambda: microwave_beep(uniform(800, 4000), uniform(0.2, 0.45), int(rng.integers(1, 4))),
            lambda: microwave_beep(uniform(300, 800), uniform(0.2, 0.5), 3),
        ],
    }
