"""The config file: precedence (command line, spoken choices, file, default), bad values, --init."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli
from voice.apps.config import OPTIONS, Places, read_config, resolve, save_state


def run(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``stretch-coach`` with its config folder in ``home`` (and no sound server: silent)."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    env.pop("STRETCH_COACH_CONFIG", None)
    env.pop("PULSE_SERVER", None)
    return run_cli(*args, stdin=stdin, env=env)


def config_file(home: Path, text: str) -> Path:
    path = home / "stretch-coach" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def shown(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str]]:
    """``stretch-coach config`` output as key -> (value, source)."""
    assert result.returncode == 0, result.stderr
    values = {}
    for line in result.stdout.splitlines()[2:]:
        key, rest = line.split("=", 1)
        value, source = rest.split("#", 1)
        values[key.strip()] = (value.strip(), source.strip())
    return values


def test_every_command_line_option_has_a_config_key() -> None:
    result = subprocess.run([sys.executable, "-m", "voice", "--help"], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    for option in OPTIONS:
        assert f"--{option.key}" in result.stdout
    assert {o.key for o in OPTIONS} >= {
        "device", "output-device", "engine", "model", "rate", "volume", "voice", "count-every", "count-final",
        "content",
    }


def test_precedence_is_command_line_then_spoken_choice_then_file_then_default(tmp_path: Path) -> None:
    path = config_file(tmp_path, 'rate = 175\nvolume = 0.8\ndevice = "USB mic"\ncount-every = 10\n')
    save_state(path.with_name("state.json"), {"volume": 0.5})
    values = shown(run(tmp_path, "--count-every", "3", "config"))
    assert values["rate"] == ("175", str(path))
    assert values["volume"] == ("0.5", f"{path.with_name('state.json')} (said aloud)")
    assert values["device"] == ('"USB mic"', str(path))
    assert values["count-every"] == ("3", "command line")
    assert values["count-final"] == ("5", "default")
    assert values["engine"] == ("(unset)", "default")


def test_the_file_reaches_the_session(tmp_path: Path) -> None:
    config_file(tmp_path, "count-every = 10\ncount-final = 2\n")
    script = tmp_path / "script.txt"
    script.write_text("2 start hamstring stretch\n")
    result = run(tmp_path, "simulate", str(script))
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout)[:4] == [10, 20, 29, 30]
    overridden = run(tmp_path, "--count-every", "15", "simulate", str(script))
    assert counts(overridden.stdout)[:3] == [15, 29, 30]


def test_spoken_choices_do_not_change_a_simulation(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("2 start psoas\n")
    plain = run(tmp_path, "simulate", str(script))
    save_state(tmp_path / "stretch-coach" / "state.json", {"rate": 100, "volume": 0.2})
    assert shown(run(tmp_path, "config"))["rate"][0] == "100"
    assert run(tmp_path, "simulate", str(script)).stdout == plain.stdout


def counts(log: str) -> list[int]:
    events = [json.loads(line) for line in log.splitlines()]
    return [event["n"] for event in events if event["type"] == "count"]


@pytest.mark.parametrize(
    ("line", "key", "allowed"),
    [
        ("rate = 400", "rate", "a whole number from 100 to 225"),
        ('rate = "fast"', "rate", "a whole number from 100 to 225"),
        ("rate = 150.5", "rate", "a whole number from 100 to 225"),
        ("volume = 1.5", "volume", "a number from 0.0 to 1.0"),
        ("volume = true", "volume", "a number from 0.0 to 1.0"),
        ('engine = "whisper"', "engine", "'vosk' or 'pocketsphinx'"),
        ("count-every = -1", "count-every", "a whole number, 0 or more"),
        ("count-final = 2.5", "count-final", "a whole number, 0 or more"),
        ('device = ""', "device", "a microphone name"),
        ("output-device = 3", "output-device", "a speaker name"),
        ("model = 1", "model", "a Vosk model folder"),
        ('voice = ""', "voice", "an espeak-ng voice id"),
        ("content = false", "content", "a content folder"),
        ("events = []", "events", "a file name"),
        ('verbose = "yes"', "verbose", "true or false"),
        ("colour = 1", "colour", "allowed: device, output-device"),
    ],
)
def test_a_bad_value_is_one_line_naming_file_key_and_what_is_allowed(
    tmp_path: Path, line: str, key: str, allowed: str
) -> None:
    path = config_file(tmp_path, f"{line}\n")
    result = run(tmp_path, "--text", stdin="quit\n")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and f"'{key}'" in lines[0] and allowed in lines[0]
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_toml_is_one_line(tmp_path: Path) -> None:
    path = config_file(tmp_path, "rate = = 3\n")
    result = run(tmp_path, "config")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"stretch-coach: error: {path}: not valid TOML: Invalid value (at line 1")


def test_init_writes_a_commented_file_that_reads_back_the_same(tmp_path: Path) -> None:
    written = run(tmp_path, "--device", "USB", "--rate", "175", "--engine", "pocketsphinx",
                  "config", "--init")
    assert written.returncode == 0, written.stderr
    path = tmp_path / "stretch-coach" / "config.toml"
    text = path.read_text()
    assert text.count("# allowed:") == len(OPTIONS)
    assert '# voice = "en-us"' in text  # unset options are shown, commented out
    values = shown(run(tmp_path, "config"))
    assert values["device"] == ('"USB"', str(path))
    assert values["rate"] == ("175", str(path))
    assert values["engine"] == ('"pocketsphinx"', str(path))
    assert values["voice"] == ("(unset)", "default")
    places = Places(path, path.with_name("state.json"))
    assert {key: s.value for key, s in resolve({}, places).items()} == {
        **{option.key: option.default for option in OPTIONS}, **read_config(path)
    }
    again = run(tmp_path, "config", "--init")
    assert again.returncode == 1 and "already exists; add --force" in again.stderr
    assert run(tmp_path, "config", "--init", "--force").returncode == 0


def test_a_damaged_state_file_is_ignored_with_a_warning(tmp_path: Path) -> None:
    path = config_file(tmp_path, "rate = 175\n")
    path.with_name("state.json").write_text("{not json")
    result = run(tmp_path, "config")
    assert shown(result)["rate"] == ("175", str(path))
    assert "state.json: ignored" in result.stderr


def test_paths_in_the_file_are_taken_from_its_folder(tmp_path: Path) -> None:
    path = config_file(tmp_path, 'content = "my-exercises"\nevents = "~/events.jsonl"\n')
    values = shown(run(tmp_path, "config"))
    assert values["content"][0] == f'"{path.parent / "my-exercises"}"'
    assert values["events"][0] == f'"{Path.home() / "events.jsonl"}"'


def test_config_option_names_another_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text("rate = 200\n")
    values = shown(run(tmp_path, "--config", str(other), "config"))
    assert values["rate"] == ("200", str(other))
