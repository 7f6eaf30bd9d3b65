"""PCM helpers: read WAV files, mix to mono, resample to the 16 kHz the recognisers use."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voice.errors import AudioFileError

TARGET_RATE = 16_000
"""Sample rate of everything fed to the recognisers and the echo canceller."""

Float = npt.NDArray[np.float32]
Int16 = npt.NDArray[np.int16]


def to_mono(samples: npt.NDArray[np.float32], channels: int) -> Float:
    """Average interleaved channels into one."""
    if channels == 1:
        return samples.astype(np.float32)
    usable = len(samples) - len(samples) % channels
    mono: Float = samples[:usable].reshape(-1, channels).mean(axis=1).astype(np.float32)
    return mono


def resample(samples: Float, rate: int, target: int = TARGET_RATE) -> Float:
    """Band-limited resampling of a whole buffer (FFT based)."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32)
    count = round(len(samples) * target / rate)
    spectrum = np.fft.rfft(samples)
    bins = count // 2 + 1
    if bins <= len(spectrum):
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - len(spectrum), dtype=spectrum.dtype)])
    return (np.fft.irfft(spectrum, count) * (count / len(samples))).astype(np.float32)


class StreamResampler:
    """Resamples a stream block by block with linear interpolation (for live capture)."""

    def __init__(self, rate: int, target: int = TARGET_RATE) -> None:
        self._step = rate / target
        self._position = 0.0
        self._carry = np.zeros(0, dtype=np.float32)

    def process(self, block: Float) -> Float:
        """The block at the target rate; keeps the phase between blocks."""
        if self._step == 1.0:
            return block.astype(np.float32)
        samples = np.concatenate([self._carry, block])
        positions = np.arange(self._position, len(samples) - 1, self._step)
        out: Float = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
        consumed = int(positions[-1]) if len(positions) else 0
        next_position = (positions[-1] + self._step if len(positions) else self._position) - consumed
        self._carry = samples[consumed:]
        self._position = next_position
        return out


def float_to_int16(samples: Float) -> Int16:
    """Float samples in -1..1 to 16-bit."""
    return (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)


def read_wav(path: Path) -> Float:
    """A WAV file as 16 kHz mono float samples; one-line errors for anything unusable."""
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise AudioFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioFileError(f"{path}: is a folder, not a WAV file") from None
    except (wave.Error, EOFError) as error:
        raise AudioFileError(f"{path}: not a readable WAV file ({error})") from None
    except OSError as error:
        raise AudioFileError(f"{path}: cannot be read: {error.strerror}") from None
    if width != 2:
        raise AudioFileError(
            f"{path}: {8 * width}-bit audio is not supported; convert it to 16-bit PCM "
            f"(for example: sox {path.name} -b 16 out.wav)"
        )
    if not frames:
        raise AudioFileError(f"{path}: the WAV file holds no audio")
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    return resample(to_mono(samples, channels), rate)
