"""PCM helpers: read WAV files, mix to mono, resample to the 16 kHz the recognisers use."""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voice.bounded import TooLarge, read_bounded
from voice.errors import AudioFileError

log = logging.getLogger(__name__)

TARGET_RATE = 16_000
"""The coach's one sample rate: recognisers, echo canceller, rendered speech and, when the device allows,
the speaker stream."""
SAMPLE_BYTES = 2
"""Bytes per sample: the coach's sound is 16-bit PCM throughout."""
FRAME = TARGET_RATE // 100
"""Samples per 10 ms frame, the unit of the endpointer, the front-end and the listener."""
FRAME_BYTES = FRAME * SAMPLE_BYTES
"""Bytes per 10 ms frame."""
MIN_RATE = 8_000
"""Lowest WAV sample rate accepted (telephone speech); lower rates cannot carry speech."""
MAX_RATE = 384_000
"""Highest WAV sample rate accepted."""
MAX_RATE_TERMS = 16_000
"""Largest term of a rate's ratio to 16 kHz in lowest terms (44,100 Hz: 160/441). The resampling filter
grows with it: 383,987 Hz (16,000/383,987) would take over a gigabyte."""
MAX_WAV_BYTES = 32 << 20
"""Largest WAV file read (5 minutes at 48 kHz mono); the coach's recordings are of a command or a few."""
MAX_WAV_SECONDS = 300.0
"""Longest WAV recording taken: converting it costs time and memory in proportion."""
OUTPUT_CHUNK = 2048
"""Output samples computed at once (bounds the memory of the index arithmetic)."""
FILTER_SPAN = 32
"""Length of the resampling filter in samples of the lower of the two rates (sharpness vs. cost)."""

Float = npt.NDArray[np.float32]
Int16 = npt.NDArray[np.int16]

_PCM_TAG = 1
_EXTENSIBLE_TAG = 0xFFFE
_PCM_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


@dataclass(frozen=True)
class WavAudio:
    """The samples of a 16-bit PCM WAV file, as stored."""

    rate: int
    """Samples per second per channel."""
    channels: int
    """Number of interleaved channels."""
    data: bytes
    """Interleaved little-endian signed 16-bit samples, whole frames only."""

    @property
    def seconds(self) -> float:
        """Duration of the audio."""
        return len(self.data) / (2 * self.channels * self.rate)


@dataclass(frozen=True, eq=False)
class Pcm:
    """Mono 16-bit audio."""

    samples: Int16
    """The samples, one-dimensional."""
    rate: int
    """Samples per second."""

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate

    def floats(self) -> Float:
        """The samples as floats in -1..1."""
        return self.samples.astype(np.float32) / 32768.0

    def resampled(self, rate: int) -> Pcm:
        """The same sound at another sample rate (band-limited, see ``voice.pcm.resample``)."""
        if rate == self.rate:
            return self
        return Pcm(float_to_int16(resample(self.floats(), self.rate, rate)), rate)


def _chunks(blob: bytes) -> dict[bytes, bytes]:
    """Top-level RIFF chunks; a truncated last chunk keeps what is there (streamed WAVs)."""
    chunks: dict[bytes, bytes] = {}
    offset = 12
    while offset + 8 <= len(blob):
        chunk_id, size = struct.unpack_from("<4sI", blob, offset)
        chunks.setdefault(chunk_id, blob[offset + 8 : offset + 8 + size])
        offset += 8 + size + (size & 1)
    return chunks


def _format(name: str, fmt: bytes) -> tuple[int, int]:
    """(channels, rate) of a ``fmt `` chunk, or a one-line reason it cannot be used."""
    if len(fmt) < 16:
        raise AudioFileError(f"{name}: damaged WAV file (format chunk too short)")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE_TAG and len(fmt) >= 40 and fmt[26:40] == _PCM_GUID_TAIL:
        tag = _PCM_TAG
    if tag != _PCM_TAG:
        raise AudioFileError(
            f"{name}: compressed or floating-point WAV (format {tag:#06x}) is not supported; "
            f"convert it to 16-bit PCM (for example: sox {Path(name).name} -e signed -b 16 out.wav)"
        )
    if bits != 16:
        raise AudioFileError(
            f"{name}: {bits}-bit audio is not supported; convert it to 16-bit PCM "
            f"(for example: sox {Path(name).name} -b 16 out.wav)"
        )
    if channels < 1:
        raise AudioFileError(f"{name}: damaged WAV file (no channels)")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioFileError(
            f"{name}: sample rate {rate} Hz is not supported; use {MIN_RATE} to {MAX_RATE} Hz"
        )
    if max(TARGET_RATE, rate) // gcd(TARGET_RATE, rate) > MAX_RATE_TERMS:
        raise AudioFileError(
            f"{name}: the unusual sample rate {rate} Hz is not supported; convert it to 16000 Hz "
            f"(for example: sox {Path(name).name} -r 16000 out.wav)"
        )
    return channels, rate


def parse_wav(name: str, blob: bytes) -> WavAudio:
    """The audio in the bytes of a WAV file; ``name`` only labels error messages."""
    if not blob:
        raise AudioFileError(f"{name}: the file is empty")
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise AudioFileError(f"{name}: not a WAV file (no RIFF/WAVE header)")
    chunks = _chunks(blob)
    if b"fmt " not in chunks:
        raise AudioFileError(f"{name}: damaged WAV file (no format chunk)")
    channels, rate = _format(name, chunks[b"fmt "])
    data = chunks.get(b"data", b"")
    data = data[: len(data) - len(data) % (2 * channels)]
    if not data:
        raise AudioFileError(f"{name}: the WAV file holds no audio")
    audio = WavAudio(rate=rate, channels=channels, data=data)
    if audio.seconds > MAX_WAV_SECONDS:
        raise AudioFileError(f"{name}: {audio.seconds:.0f} seconds of audio, more than the "
                             f"{MAX_WAV_SECONDS:.0f} taken; cut it into shorter recordings")
    return audio


def read_wav_audio(path: Path) -> WavAudio:
    """A 16-bit PCM WAV file of any rate and channel count, as stored."""
    try:
        blob = read_bounded(path, MAX_WAV_BYTES)
    except TooLarge as error:
        raise AudioFileError(f"{path}: {error}; cut it into shorter recordings") from None
    except FileNotFoundError:
        raise AudioFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioFileError(f"{path}: is a folder, not a WAV file") from None
    except OSError as error:
        raise AudioFileError(f"{path}: cannot be read: {error.strerror}") from None
    return parse_wav(str(path), blob)


def to_mono(samples: npt.NDArray[np.float32], channels: int) -> Float:
    """Average interleaved channels into one."""
    if channels == 1:
        return samples.astype(np.float32)
    usable = len(samples) - len(samples) % channels
    mono: Float = samples[:usable].reshape(-1, channels).mean(axis=1).astype(np.float32)
    return mono


def _prototype(up: int, down: int, taps_per_phase: int) -> npt.NDArray[np.float64]:
    """Kaiser-windowed sinc low-pass at the up-sampled rate, cut just below the lower Nyquist."""
    length = taps_per_phase * up
    cutoff = 0.92 * 0.5 / max(up, down)
    n = np.arange(length) - (length - 1) / 2
    taps: npt.NDArray[np.float64] = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(length, 8.0) * up
    return taps


class StreamResampler:
    """Band-limited (polyphase windowed-sinc) resampling of a stream, block by block."""

    def __init__(self, rate: int, target: int = TARGET_RATE, span: int = FILTER_SPAN) -> None:
        common = gcd(rate, target)
        self.up, self.down = target // common, rate // common
        taps_per_phase = -(-span * max(self.up, self.down) // self.up)
        self._taps = taps_per_phase
        bank = _prototype(self.up, self.down, taps_per_phase).reshape(taps_per_phase, self.up)
        self._bank = bank.T[:, ::-1].copy()
        self._delay = (taps_per_phase * self.up - 1) // 2
        self._buffer = np.zeros(taps_per_phase - 1)
        self._start = -(taps_per_phase - 1)
        self._produced = 0

    def _ready(self) -> int:
        """How many more output samples the buffered input determines."""
        last = self._start + len(self._buffer) - 1
        return max(0, (last * self.up - self._delay) // self.down + 1 - self._produced)

    def process(self, block: Float) -> Float:
        """The output samples the input so far determines (the filter lags by half its span)."""
        if self.up == self.down:
            return block.astype(np.float32)
        self._buffer = np.concatenate([self._buffer, block.astype(np.float64)])
        count = self._ready()
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        out = np.concatenate(
            [
                self._compute(first, min(count, first + OUTPUT_CHUNK))
                for first in range(0, count, OUTPUT_CHUNK)
            ]
        )
        self._produced += count
        oldest_needed = (self._produced * self.down + self._delay) // self.up - (self._taps - 1)
        drop = max(0, oldest_needed - self._start)
        self._buffer, self._start = self._buffer[drop:], self._start + drop
        return out.astype(np.float32)

    def _compute(self, first: int, stop: int) -> npt.NDArray[np.float64]:
        """Output samples ``first`` to ``stop`` (relative to those produced so far), in one go."""
        positions = np.arange(self._produced + first, self._produced + stop) * self.down + self._delay
        newest = positions // self.up - self._start
        window = newest[:, None] - np.arange(self._taps - 1, -1, -1)[None, :]
        computed: npt.NDArray[np.float64] = np.einsum(
            "ij,ij->i", self._buffer[window], self._bank[positions % self.up]
        )
        return computed

    def flush(self) -> Float:
        """The outputs still held back by the filter, once the input has ended."""
        return self.process(np.zeros(self._taps, dtype=np.float32))


def resample(samples: Float, rate: int, target: int = TARGET_RATE) -> Float:
    """Band-limited resampling of a whole buffer; the result has round(n * target / rate) samples."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32)
    count = round(len(samples) * target / rate)
    stream = StreamResampler(rate, target)
    out = np.concatenate([stream.process(samples), stream.flush()])
    if len(out) < count:
        out = np.concatenate([out, np.zeros(count - len(out), dtype=np.float32)])
    return out[:count]


def float_to_int16(samples: Float) -> Int16:
    """Float samples in -1..1 as 16-bit samples (rounded, clipped)."""
    out: Int16 = np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)
    return out


def int16_bytes_to_float(data: bytes) -> Float:
    """Little-endian 16-bit PCM bytes as float samples in -1..1."""
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: Float) -> bytes:
    """Float samples in -1..1 as little-endian 16-bit PCM bytes (rounded, clipped)."""
    data: bytes = float_to_int16(samples).astype("<i2").tobytes()
    return data


def to_pcm16k(audio: WavAudio) -> bytes:
    """Any 16-bit PCM audio as 16 kHz mono 16-bit PCM bytes."""
    mono = to_mono(int16_bytes_to_float(audio.data), audio.channels)
    return float_to_pcm16(resample(mono, audio.rate))


def read_wav(path: Path) -> Float:
    """A WAV file as 16 kHz mono float samples; one-line errors for anything unusable."""
    audio = read_wav_audio(path)
    log.debug("%s: %d Hz, %d channel(s), %.2f s", path, audio.rate, audio.channels, audio.seconds)
    return resample(to_mono(int16_bytes_to_float(audio.data), audio.channels), audio.rate)


def read_wav_pcm16k(path: Path) -> bytes:
    """A WAV file as 16 kHz mono 16-bit PCM bytes, ready for a recogniser."""
    return float_to_pcm16(read_wav(path))


class PcmConverter:
    """Turns blocks of interleaved 16-bit PCM at any rate into 16 kHz mono 16-bit PCM bytes."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate, self.channels = rate, channels
        self._resampler = StreamResampler(rate)
        self._partial = b""

    def push(self, data: bytes) -> bytes:
        """Convert the next block; a partial frame at its end waits for the next block."""
        data = self._partial + data
        usable = len(data) - len(data) % (2 * self.channels)
        data, self._partial = data[:usable], data[usable:]
        mono = to_mono(int16_bytes_to_float(data), self.channels)
        return float_to_pcm16(self._resampler.process(mono))
