"""Test audio: real espeak-ng speech as WAV files, levels, WAV writing and coloured noise."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.coach.settings import DEFAULT_WPM
from voice.pcm import TARGET_RATE

Samples = npt.NDArray[Any]
"""Float samples in -1..1 (any float type), or 16-bit samples where a level is measured."""

def espeak_wav(
    folder: Path, text: str, voice: str = "en-us", speed: int = DEFAULT_WPM, pad: float = 0.0
) -> Path:
    """Real espeak-ng speech as a 16 kHz mono 16-bit WAV (converted by sox), with ``pad`` seconds of
    silence on each side."""
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    name = "".join(c if c.isalnum() else "_" for c in f"{text}_{voice}_{speed}")[:60] + ".wav"
    out = folder / name
    convert = ["sox", str(raw), "-r", str(TARGET_RATE), "-c", "1", "-b", "16", str(out)]
    subprocess.run([*convert, "pad", str(pad), str(pad)], check=True)
    return out


def rms(samples: Samples) -> float:
    """Root mean square level, in the samples' own unit."""
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def level_db(samples: Samples) -> float:
    """Mean power in dB (full scale = 0 dB for float samples)."""
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-12))


def write_wav(
    path: Path, samples: Samples, rate: int = TARGET_RATE, channels: int = 1, width: int = 2
) -> Path:
    """Float samples as a WAV file, the same sound on every channel, 16-bit (or 8-bit with ``width=1``)."""
    frames = np.repeat(np.asarray(samples, dtype=np.float64)[:, None], channels, axis=1).reshape(-1)
    if width == 2:
        data = np.clip(np.rint(frames * 32767), -32768, 32767).astype("<i2").tobytes()
    else:
        data = np.clip(np.rint(frames * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(data)
    return path


def noise(
    seconds: float, level: float, colour: str = "white", seed: int | np.random.Generator = 0
) -> npt.NDArray[np.float64]:
    """White, pink or brown noise at 16 kHz with an RMS level of ``level`` dB (full scale = 0 dB);
    ``seed`` may also be a generator to draw from."""
    count = round(seconds * TARGET_RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).normal(size=count))
    freqs = np.maximum(np.fft.rfftfreq(count, 1 / TARGET_RATE), 20.0)
    spectrum *= {"white": 1.0, "pink": freqs**-0.5, "brown": 1 / freqs}[colour]
    shaped = np.fft.irfft(spectrum, count)
    scaled: npt.NDArray[np.float64] = shaped / np.sqrt(np.mean(shaped**2)) * 10 ** (level / 20)
    return scaled

