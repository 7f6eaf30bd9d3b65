"""The development voices (espeak-ng, flite, festival) speaking any text, for tests and benchmarks."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voice.pcm import read_wav

DEV_VOICES = (
    "espeak-ng:en-us",
    "espeak-ng:en-gb+f3",
    "espeak-ng:en-gb-x-rp+m3",
    "espeak-ng:en-029",
    "espeak-ng:en-us-nyc+f2",
    "espeak-ng:en-gb-x-gbclan",
    "espeak-ng:en-gb-x-gbcwmd+f4",
    "espeak-ng:en-us+klatt",
    "espeak-ng:en-uk+m7",
    "flite:kal",
    "flite:kal16",
    "flite:rms",
    "festival:kal_diphone",
    "festival:ked_diphone",
)
"""Synthesiser:voice of every development speaker; voices kept for acceptance tests are left out."""

EXTRA_VOICES = (
    "espeak-ng:en-us+grandma",
    "espeak-ng:en-gb+grandpa",
    "espeak-ng:en-us+Annie",
    "espeak-ng:en-gb-x-rp+Belinda",
    "espeak-ng:en-us+klatt3",
    "espeak-ng:en-029+Andrea",
)
"""Further espeak-ng variants (older voices, other female voices, another Klatt source) for the extended
set. Every flite and festival English voice installed that is not reserved is in DEV_VOICES already
(flite kal, kal16, rms; festival kal_diphone, ked_diphone)."""

PITCH_TARGETS = (80, 110, 150, 200, 260, 330, 400)
"""Median pitches (Hz) the extended set moves every voice to: very deep, male, female, child."""
TRACT_FACTORS = (0.87, 1.15)
"""Vocal-tract-length factors of the extended set (sox speed, then pitch back: formants move, pitch not)."""

SYNTHESISERS = {"espeak-ng": "espeak-ng", "flite": "flite", "festival": "text2wave"}
"""The program each synthesiser is run as."""

PACKAGES = {"espeak-ng": "espeak-ng", "flite": "flite", "festival": "festival", "sox": "sox"}
"""The Debian package that brings each synthesiser (and sox)."""


def synthesiser_command(voice: str, text: str, raw: Path) -> tuple[list[str], str | None]:
    """(command line, standard input) that writes ``text`` spoken by ``voice`` to ``raw``."""
    program, name = voice.split(":", 1)
    if program == "espeak-ng":
        return ["espeak-ng", "-v", name, "-s", "160", "-w", str(raw), text], None
    if program == "flite":
        return ["flite", "-voice", name, "-t", text, "-o", str(raw)], None
    return ["text2wave", "-eval", f"(voice_{name})", "-o", str(raw)], text


def speak(
    voice: str, text: str, raw: Path, tempo: float = 1.0, cents: int = 0, tract: float = 1.0
) -> npt.NDArray[np.float64]:
    """Speech as 16 kHz float samples, tempo, pitch and vocal-tract length applied (exact silence
    trimmed off the ends). ``tract`` scales every frequency (sox speed) and the pitch is then moved
    back, so only the formants move, as in a shorter (above 1) or longer vocal tract.

    ``raw`` is a scratch file name; it is removed again."""
    command, stdin = synthesiser_command(voice, text, raw)
    subprocess.run(command, input=stdin, text=True, check=True, capture_output=True)
    if tempo != 1.0 or cents or tract != 1.0:
        shaped = raw.with_suffix(".shaped.wav")
        back = round(cents - 1200 * np.log2(tract))
        effect = ["speed", f"{tract:g}"] if tract != 1.0 else []
        effect += ["tempo", "-s", f"{tempo / tract:g}", "pitch", str(back)]
        subprocess.run(["sox", str(raw), str(shaped), *effect], check=True, capture_output=True)
        shaped.replace(raw)
    samples = read_wav(raw).astype(np.float64)
    raw.unlink()
    loud = np.flatnonzero(np.abs(samples) > 1e-4)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples


def missing_packages(voices: Sequence[str]) -> list[str]:
    """Debian packages the voices (and sox) need that are not installed."""
    programs = {"sox": "sox", **{v.split(":")[0]: SYNTHESISERS[v.split(":")[0]] for v in voices}}
    return [PACKAGES[name] for name, program in programs.items() if shutil.which(program) is None]


def padded_speech(
    voice: str, text: str, workdir: Path, snr_db: float | None = None, seed: int = 0
) -> npt.NDArray[np.float64]:
    """``text`` in ``voice`` at half full scale with 0.5 s of silence each side, and pink noise at
    ``snr_db`` below the speech's power over the whole clip (None: clean)."""
    from voice.testing.audio import noise

    speech = speak(voice, text, workdir / "speech.raw.wav")
    speech = speech / max(1e-9, float(np.abs(speech).max())) * 0.5
    clip = np.concatenate([np.zeros(8000), speech, np.zeros(8000)])
    if snr_db is None:
        return clip
    level = 10 * np.log10(float(np.mean(speech**2))) - snr_db
    return np.clip(clip + noise(len(clip) / 16000, level, "pink", seed), -1.0, 1.0)


def median_pitch(samples: npt.NDArray[np.float64], rate: int = 16000) -> float:
    """Median fundamental (Hz) of the voiced 40 ms frames of speech (autocorrelation), 0 if none."""
    frame, hop = int(0.04 * rate), int(0.01 * rate)
    shortest, longest = rate // 500, rate // 60
    energy = [float(np.sum(samples[i : i + frame] ** 2)) for i in range(0, len(samples) - frame, hop)]
    if not energy:
        return 0.0
    pitches = []
    for index, power in enumerate(energy):
        if power < max(energy) * 0.05:
            continue
        chunk = samples[index * hop : index * hop + frame]
        chunk = chunk - chunk.mean()
        correlation = np.correlate(chunk, chunk, "full")[frame - 1 :]
        window = correlation[shortest:longest]
        lag = shortest + int(
            np.flatnonzero(window >= 0.9 * window.max())[0]
        )  # the shortest: no octave errors
        if correlation[lag] > 0.5 * correlation[0]:
            pitches.append(rate / lag)
    return float(np.median(pitches)) if pitches else 0.0
