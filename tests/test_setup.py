"""Set-up of the English Vosk model: fetched when the internet allows, else one line and success."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT
from voice.listening.models import ENGLISH, find_model

SCRIPT = ROOT / "scripts" / "install_vosk_model.sh"

pytestmark = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "stretch-coach").exists(),
                                reason="needs the environment scripts/setup.sh makes in .venv")


def install(home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != "VOSK_MODEL_PATH"}
    env.update(HOME=str(home), **extra)
    return subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env, timeout=120)


def test_without_internet_it_says_pocketsphinx_will_listen_and_succeeds(tmp_path: Path) -> None:
    if find_model() is not None:
        pytest.skip("an English Vosk model is installed here already")
    unreachable = "http://127.0.0.1:9"  # a closed port: every download attempt is refused at once
    result = install(tmp_path, https_proxy=unreachable, HTTPS_PROXY=unreachable)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "No internet for the English Vosk model: PocketSphinx will listen. To add Vosk later: "
        f".venv/bin/stretch-coach model download --from-file {ENGLISH.name}.zip"
    ]


def test_an_installed_model_is_kept(tmp_path: Path) -> None:
    model = tmp_path / "vosk-model-small-en-us-0.15"
    for name in ("am/final.mdl", "conf/model.conf"):
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_text("")
    result = install(tmp_path, VOSK_MODEL_PATH=str(model))
    assert result.returncode == 0
    assert result.stdout.strip() == f"Vosk model already installed: {model}"
