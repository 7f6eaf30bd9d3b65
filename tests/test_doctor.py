"""``stretch-coach doctor`` on the virtual sound card: ready, and each missing part its own failing line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import requires_espeak, run_cli
from voice.apps.doctor import check_phrase
from voice.content import load_content
from voice.testing.pulse import PulseSink

pytestmark = [pytest.mark.pulse, pytest.mark.audio, requires_espeak]

ON_THE_SINK = ("--device", "pulse", "--output-device", "pulse")


def doctor(sink: PulseSink, home: Path, *options: str, path: str | None = None) -> tuple[int, list[str]]:
    """Run the doctor; its exit status and its lines (ALSA's own chatter left out)."""
    env = {**sink.env, "XDG_CONFIG_HOME": str(home)}
    if path is not None:
        env["PATH"] = path
    result = run_cli(*options, "doctor", env=env, timeout=180)
    return result.returncode, result.stdout.splitlines()


def verdicts(lines: list[str]) -> dict[str, str]:
    """Check name -> verdict word."""
    found = {}
    for line in lines[:-1]:
        verdict, rest = line.split(None, 1)
        found[rest.split(":", 1)[0]] = verdict
    return found


def failed(lines: list[str]) -> list[str]:
    """The checks that failed."""
    return [name for name, verdict in verdicts(lines).items() if verdict == "FAIL"]


def has_line(lines: list[str], *parts: str) -> bool:
    """Some line holds every one of ``parts``."""
    return any(all(part in line for part in parts) for line in lines)


def test_passes_on_the_virtual_sound_card(pulse_sink: PulseSink, tmp_path: Path) -> None:
    status, lines = doctor(pulse_sink, tmp_path, *ON_THE_SINK)
    assert status == 0, lines
    assert set(verdicts(lines).values()) == {"ok"}, lines
    assert lines[-1] == "ready: the coach can run hands-free"
    microphone = next(line for line in lines if "microphone:" in line)
    assert "dBFS" in microphone and "clipped" in microphone
    heard = f"heard '{check_phrase(load_content())}'"
    assert heard in next(line for line in lines if "recogniser:" in line)


def test_no_microphone(pulse_sink: PulseSink, tmp_path: Path) -> None:
    status, lines = doctor(pulse_sink, tmp_path, "--device", "USB microphone", "--output-device", "pulse")
    assert status == 1
    assert failed(lines) == ["microphone"]
    assert has_line(lines, "no input device matches 'USB microphone'", "--list-devices")


def test_no_speaker(pulse_sink: PulseSink, tmp_path: Path) -> None:
    status, lines = doctor(pulse_sink, tmp_path, "--device", "pulse", "--output-device", "USB speaker")
    assert status == 1
    assert failed(lines) == ["speaker"]
    assert has_line(lines, "speaker 'USB speaker' cannot be opened", "--output-device")


def test_broken_model(pulse_sink: PulseSink, tmp_path: Path) -> None:
    model = tmp_path / "model"
    for name in ("am/final.mdl", "conf/model.conf"):
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_text("not a model\n")
    status, lines = doctor(pulse_sink, tmp_path, *ON_THE_SINK, "--engine", "vosk", "--model", str(model))
    assert status == 1
    assert failed(lines) == ["recogniser"]
    assert has_line(lines, "Vosk cannot load this model", "model download")


def test_espeak_missing_from_path(pulse_sink: PulseSink, tmp_path: Path) -> None:
    status, lines = doctor(pulse_sink, tmp_path, *ON_THE_SINK, path=str(tmp_path))
    assert status == 1
    assert failed(lines) == ["espeak-ng"]
    assert has_line(lines, "not found on PATH", "apt-get install espeak-ng")
