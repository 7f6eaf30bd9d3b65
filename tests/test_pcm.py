"""WAV reading and conversion to 16 kHz mono: any rate and channel count in, clear errors for the rest."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from voice.errors import AudioFileError
from voice.pcm import (
    PcmConverter,
    StreamResampler,
    parse_wav,
    read_wav,
    read_wav_audio,
    read_wav_pcm16k,
    resample,
)
from voice.testing.audio import rms, write_wav


def tone(rate: int, seconds: float, freq: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2])
def test_any_rate_and_channel_count_becomes_16k_mono(tmp_path: Path, rate: int, channels: int) -> None:
    path = write_wav(tmp_path / "a.wav", tone(rate, 1.0, 1000), rate, channels)
    samples = read_wav(path)
    assert len(samples) == 16000
    assert rms(samples[1000:-1000]) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
    pcm = read_wav_pcm16k(path)
    assert len(pcm) == 2 * 16000


def test_downsampling_removes_what_16k_cannot_carry(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", tone(48000, 1.0, 11000), 48000)
    assert rms(read_wav(path)[1000:-1000]) < 0.005  # would alias to 5 kHz without the low-pass


def test_stereo_channels_are_averaged(tmp_path: Path) -> None:
    left, right = tone(16000, 0.5, 500), np.zeros(8000)
    pcm = (np.stack([left, right], axis=1).reshape(-1) * 32767).astype("<i2")
    path = tmp_path / "s.wav"
    with wave.open(str(path), "wb") as handle:  # two channels that differ, unlike write_wav's
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(pcm.tobytes())
    assert rms(read_wav(path)) == pytest.approx(rms(left) / 2, rel=0.01)


def test_streaming_resampler_matches_whole_buffer() -> None:
    samples = np.random.default_rng(0).normal(0, 0.1, 44100).astype(np.float32)
    stream = StreamResampler(44100)
    pieces = [stream.process(samples[i : i + 941]) for i in range(0, len(samples), 941)] + [stream.flush()]
    whole = resample(samples, 44100)
    assert np.allclose(np.concatenate(pieces)[: len(whole)], whole, atol=1e-6)


def test_converter_takes_blocks_of_any_length() -> None:
    stereo = (
        (np.repeat(tone(48000, 0.3, 300)[:, None], 2, axis=1).reshape(-1) * 32767).astype("<i2").tobytes()
    )
    converter = PcmConverter(48000, 2)
    out = b"".join(converter.push(stereo[i : i + 1001]) for i in range(0, len(stereo), 1001))
    assert abs(len(out) // 2 - 4800) <= 40


def wav_bytes(
    tag: int = 1, channels: int = 1, rate: int = 16000, bits: int = 16, data: bytes = b"\0\0" * 100
) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits)
    body = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_extensible_pcm_header_is_read() -> None:
    fmt = struct.pack("<HHIIHH", 0xFFFE, 1, 16000, 32000, 2, 16) + struct.pack("<HHI", 22, 16, 4)
    fmt += struct.pack("<H", 1) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    data = b"\1\0" * 50
    body = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    audio = parse_wav("x.wav", b"RIFF" + struct.pack("<I", len(body)) + body)
    assert (audio.rate, audio.channels, len(audio.data)) == (16000, 1, 100)


def test_truncated_data_chunk_keeps_what_is_there() -> None:
    blob = wav_bytes(data=b"\1\0" * 100)[:-51]
    assert len(parse_wav("x.wav", blob).data) == 148


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "the file is empty"),
        (b"hello, this is not audio at all", "not a WAV file"),
        (wav_bytes(bits=8, data=b"\x80" * 100), "8-bit audio is not supported; convert it to 16-bit PCM"),
        (wav_bytes(bits=24, data=b"\0" * 300), "24-bit audio is not supported"),
        (wav_bytes(tag=3, bits=32, data=b"\0" * 400), "compressed or floating-point WAV"),
        (wav_bytes(data=b""), "holds no audio"),
        (wav_bytes(rate=4000), "sample rate 4000 Hz is not supported"),
        (b"RIFF\x04\0\0\0WAVE", "no format chunk"),
    ],
)
def test_unusable_files_get_one_clear_line(blob: bytes, message: str) -> None:
    with pytest.raises(AudioFileError, match=message):
        parse_wav("x.wav", blob)


def test_eight_bit_file_is_rejected_and_8khz_accepted(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="8-bit audio is not supported"):
        read_wav(write_wav(tmp_path / "8bit.wav", tone(16000, 0.2, 440), 16000, width=1))
    assert len(read_wav(write_wav(tmp_path / "8k.wav", tone(8000, 0.5, 440), 8000))) == 8000


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="no such file"):
        read_wav_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioFileError, match="is a folder"):
        read_wav_audio(tmp_path)
