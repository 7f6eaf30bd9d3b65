"""Shared fixtures and markers: the private PulseAudio null sink, espeak-ng, which tests are slow."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice.testing.pulse import PulseSink, restart_portaudio, set_environ


@pytest.fixture(autouse=True)
def private_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Text and live sessions keep their history in a throwaway data folder, never the person's own."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


@pytest.fixture(scope="session")
def pulse_sink() -> Iterator[PulseSink]:
    """Start a private PulseAudio with a null sink ``room`` (default sink; ``room.monitor`` is the
    default source); sounddevice's ``pulse`` device then plays into it and records what it plays."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        pytest.skip("needs pulseaudio and pactl (scripts/setup.sh --test installs them)")
    sink = PulseSink.start()
    previous = {name: os.environ.get(name) for name in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}
    try:
        set_environ({"XDG_RUNTIME_DIR": str(sink.runtime_dir), "PULSE_SERVER": sink.server})
        restart_portaudio()
        yield sink
    finally:
        sink.stop()
        set_environ(previous)
        restart_portaudio()


SLOW_MARKERS = ("audio", "pulse")
"""Tests with any of these markers are also marked ``slow``: real speech, real sound devices."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every audio or pulse test ``slow``, so ``-m "not slow"`` leaves exactly them out."""
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)


