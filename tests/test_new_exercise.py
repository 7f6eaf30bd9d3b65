"""A sixth exercise file is a sixth exercise: coached, in the routine, reachable by voice and by text."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, add_calf, requires_espeak
from voice.apps.cli import main
from voice.apps.simulate import Simulation, parse_script
from voice.coach.settings import CoachSettings
from voice.content import default_content_dir, load_content
from voice.testing.audio import espeak_wav

Event = dict[str, Any]


@pytest.fixture(scope="module")
def with_calf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("calf") / "content"
    shutil.copytree(default_content_dir(), folder)
    add_calf(folder)
    return folder


def simulate(folder: Path, script: str) -> list[Event]:
    stream = io.StringIO()
    Simulation(load_content(folder), CoachSettings(), stream).run(parse_script(script, "test"))
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_calf_stretch_is_coached_on_both_sides(with_calf: Path) -> None:
    events = simulate(with_calf, "2 start the calf stretch")
    holds = [e for e in events if e["type"] == "state" and e["state"] == "holding"]
    assert [(e["exercise"], e["side"]) for e in holds] == [("calf", "left"), ("calf", "right")]
    counts = [e["n"] for e in events if e["type"] == "count"]
    assert counts.count(20) == 2 and all(e["of"] == 20 for e in events if e["type"] == "count")
    assert any(e["type"] == "say" and e["text"] == "That's the calf stretch done. Well done." for e in events)


def test_the_routine_takes_in_the_sixth_exercise(with_calf: Path) -> None:
    events = simulate(with_calf, "2 start routine")
    says = [e["text"] for e in events if e["type"] == "say"]
    assert "Let's do the full routine, six exercises, one after another." in says
    started = [e["exercise"] for e in events if e["type"] == "state" and e["state"] == "holding"]
    assert started[-1] == "calf"
    assert "calf stretch on both sides" in says[-2]


def test_the_calf_stretch_can_be_typed(with_calf: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}
    result = subprocess.run(
        [sys.executable, "-m", "voice", "--content", str(with_calf), "--text"], input="stretch six\nquit\n",
        capture_output=True, text=True, cwd=ROOT, timeout=60, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "coach: Let's do the calf stretch." in result.stdout


@requires_espeak
@pytest.mark.audio
@pytest.mark.parametrize(("said", "voice"), [("start the calf stretch", "en-us"), ("stretch six", "en-gb")])
def test_the_calf_stretch_can_be_asked_for_by_voice(
    with_calf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], said: str, voice: str
) -> None:
    wav = espeak_wav(tmp_path, said, voice=voice, pad=0.4)
    status = main(["--content", str(with_calf), "recognize", "--engine", "pocketsphinx", "--json", str(wav)])
    record = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (record["transcript"], record["intent"], record["exercise"]) == (said, "start", "calf")
