"""Voice enrolment: the sentences, a profile from real speech, refusals, --forget, --no-profile."""

from __future__ import annotations

import json
import logging
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import requires_espeak, run_cli
from voice.apps.cli import main
from voice.content import load_content
from voice.enrolment import tools
from voice.enrolment.checks import CheckSettings, sound_problem
from voice.enrolment.prompts import load_prompts
from voice.enrolment.store import PROFILE_FILE, default_profile_folder
from voice.listening.intent import IntentMatcher
from voice.pcm import TARGET_RATE, float_to_pcm16
from voice.testing.audio import espeak_wav, write_wav
from voice.testing.voices import speak

needs_tools = pytest.mark.skipif(
    any(tools.find_tool(name) is None for name in tools.TOOL_PACKAGES),
    reason="needs sphinxtrain, sphinxbase-utils and pocketsphinx (scripts/setup.sh installs them)",
)


def test_prompts_prints_each_sentence_as_id_tab_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enrol", "--prompts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    pairs = [line.split("\t") for line in lines]
    assert 20 <= len(pairs) <= 30
    assert all(len(pair) == 2 and pair[0] and pair[1].endswith(".") for pair in pairs)
    assert len({pair[0] for pair in pairs}) == len(pairs)
    assert [(p.sentence_id, p.text) for p in load_prompts()] == [tuple(pair) for pair in pairs]


def test_no_sentence_is_a_command_or_a_pain_report() -> None:
    content = load_content()
    matcher = IntentMatcher(content)
    meant = {p.sentence_id: matcher.match(p.text.lower().rstrip("."), 1.0).name for p in load_prompts()}
    assert {sentence: intent for sentence, intent in meant.items() if intent != "none"} == {}


def test_sound_checks_refuse_silence_clipping_and_a_cough() -> None:
    settings = CheckSettings()
    seconds = np.arange(3 * TARGET_RATE) / TARGET_RATE
    voice_like = 0.3 * np.sin(2 * np.pi * 180 * seconds) * (1 + np.sin(2 * np.pi * 3 * seconds)) / 2
    assert sound_problem(float_to_pcm16(np.zeros(3 * TARGET_RATE, dtype=np.float32)), settings) == (
        "silent or far too quiet"
    )
    clipped = np.clip(voice_like * 8, -1, 1).astype(np.float32)
    assert "clipped" in (sound_problem(float_to_pcm16(clipped), settings) or "")
    cough = np.zeros(3 * TARGET_RATE)
    cough[TARGET_RATE : TARGET_RATE + 3000] = voice_like[:3000]
    assert sound_problem(float_to_pcm16(cough.astype(np.float32)), settings) == "too short for the sentence"
    assert sound_problem(float_to_pcm16(voice_like.astype(np.float32)), settings) is None


def test_forget_asks_first_and_deletes_profile_and_recordings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = default_profile_folder()
    (folder / "recordings").mkdir(parents=True)
    (folder / "recordings" / "garden.wav").write_bytes(b"RIFF")
    (folder / PROFILE_FILE).write_text("{}")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("no\n"))
    assert main(["enrol", "--forget"]) == 1
    assert "its 1 recordings" in capsys.readouterr().out
    assert (folder / "recordings" / "garden.wav").exists()
    assert main(["enrol", "--forget", "--yes"]) == 0
    assert not folder.exists()
    assert main(["enrol", "--forget", "--yes"]) == 0
    assert "Nothing to forget" in capsys.readouterr().out


def test_missing_tools_name_the_debian_package_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tools, "SPHINXTRAIN_DIRS", ())
    assert main(["enrol", "--from-folder", str(tmp_path)]) == 1
    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1 and "\n" not in errors[0]
    assert "sudo apt install pocketsphinx sphinxbase-utils sphinxtrain" in errors[0]
    assert main(["enrol", "--prompts"]) == 0  # everything else still works


def _music(path: Path) -> Path:
    """A few seconds of a plucked melody with chords: music, not speech."""
    notes = [262, 330, 392, 523, 392, 330, 294, 349, 440]
    parts = []
    for index, note in enumerate(notes):
        t = np.arange(int(0.4 * TARGET_RATE)) / TARGET_RATE
        chord = sum(np.sin(2 * np.pi * f * k * t) / k for f in (note, note * 1.26) for k in (1, 2, 3))
        parts.append(0.15 * chord * np.exp(-3 * t) * (1 + 0.2 * (index % 2)))
    return write_wav(path, np.concatenate([np.zeros(4000), *parts, np.zeros(4000)]))


def _read_aloud(folder: Path, scratch: Path, count: int | None = None) -> list[str]:
    """Real espeak-ng readings of the sentences as ID.wav, at other rates and in stereo now and then."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for index, prompt in enumerate(load_prompts()[:count]):
        speech = speak("espeak-ng:en-us", prompt.text, scratch / "raw.wav", tempo=1.0 + 0.02 * (index % 4))
        speech = speech / np.abs(speech).max() * 0.5
        clip = np.concatenate([np.zeros(4000), speech, np.zeros(4000)])
        if index % 3 == 1:
            from voice.pcm import resample

            write_wav(folder / f"{prompt.sentence_id}.wav", resample(clip, TARGET_RATE, 22050), 22050, 2)
        else:
            write_wav(folder / f"{prompt.sentence_id}.wav", clip)
        ids.append(prompt.sentence_id)
    return ids


@needs_tools
@requires_espeak
@pytest.mark.audio
def test_from_folder_builds_a_private_profile_and_names_each_bad_file(tmp_path: Path) -> None:
    readings = tmp_path / "readings"
    ids = _read_aloud(readings, tmp_path)
    _music(readings / f"{ids[0]}.wav")
    write_wav(readings / f"{ids[1]}.wav", np.zeros(3 * TARGET_RATE))
    (readings / f"{ids[2]}.wav").write_text("not a recording")
    (readings / f"{ids[3]}.wav").unlink()
    german = espeak_wav(tmp_path, "Der Garten war im letzten Sommer grün gestrichen, und das Tor auch.", "de")
    german.replace(readings / f"{ids[4]}.wav")
    result = run_cli("enrol", "--from-folder", str(readings), timeout=600)
    assert result.returncode == 0, result.stderr
    lines = {line.split(str(readings) + "/")[1].split(".wav")[0]: line
             for line in result.stderr.splitlines() if str(readings) in line}
    assert "does not sound like the sentence" in lines[ids[0]]  # music
    assert "refused: silent" in lines[ids[1]]
    assert "not a WAV file" in lines[ids[2]]
    assert lines[ids[3]].endswith(f"{ids[3]}.wav: missing")
    assert "does not sound like the sentence" in lines[ids[4]]  # German
    assert all(len(line.splitlines()) == 1 for line in lines.values())
    assert "voice profile" in result.stdout
    folder = default_profile_folder()
    info = json.loads((folder / PROFILE_FILE).read_text())
    assert info["version"] == 1 and info["method"] == "mllr"
    kept = sorted(path.stem for path in (folder / "recordings").glob("*.wav"))
    assert kept == sorted(set(ids[5:]) - set(lines)) == sorted(info["sentences"])
    assert len(kept) >= 10
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    private = [folder / PROFILE_FILE, folder / "mllr_matrix", *(folder / "recordings").iterdir()]
    assert {stat.S_IMODE(path.stat().st_mode) for path in private} == {0o600}
    assert ("switched on" in result.stdout) == info["active"]


@needs_tools
@requires_espeak
@pytest.mark.audio
def test_fewer_than_ten_usable_recordings_are_refused(tmp_path: Path) -> None:
    readings = tmp_path / "readings"
    _read_aloud(readings, tmp_path, count=9)
    result = run_cli("enrol", "--from-folder", str(readings), timeout=300)
    assert result.returncode == 1
    assert re.search(r"error: only [0-9] usable recordings of 26; at least 10 are needed", result.stderr)
    assert "at least 10 are needed" in result.stderr
    assert not (default_profile_folder() / PROFILE_FILE).exists()


@needs_tools
@requires_espeak
@pytest.mark.audio
def test_recognize_uses_the_profile_unless_told_not_to(tmp_path: Path) -> None:
    from voice.enrolment.build import BuildSettings, build_profile

    readings = tmp_path / "readings"
    _read_aloud(readings, tmp_path)
    built = build_profile(readings, default_profile_folder(), BuildSettings(force=True))
    assert built.adaptation is not None and built.adaptation.mllr is not None
    command = espeak_wav(tmp_path, "start the hamstring stretch", pad=0.3)
    used = run_cli("recognize", "--engine", "pocketsphinx", "--json", str(command))
    assert used.returncode == 0, used.stderr
    assert "using your voice profile" in used.stderr
    assert json.loads(used.stdout)["intent"] == "start"
    ignored = run_cli("recognize", "--engine", "pocketsphinx", "--no-profile", "--json", str(command))
    assert "voice profile ignored (--no-profile)" in ignored.stderr
    assert "using your voice profile" not in ignored.stderr
    doctor = run_cli("--engine", "pocketsphinx", "doctor", timeout=300)
    assert re.search(r"ok +voice profile: mllr from [0-9]+ sentences loads", doctor.stdout), doctor.stdout


def test_live_coach_option_no_profile_ignores_the_profile(caplog: pytest.LogCaptureFixture) -> None:
    from voice.apps.cli import _settings, build_parser
    from voice.apps.enrol import profile_in_use

    caplog.set_level(logging.INFO)
    given = ["--no-profile", "--rate", "150", "--volume", "1", "--count-every", "5", "--count-final", "3"]
    assert _settings(build_parser().parse_args(given)).use_profile is False
    folder = default_profile_folder()
    (folder / "mllr_matrix").parent.mkdir(parents=True)
    (folder / "mllr_matrix").write_text("1\n")
    (folder / PROFILE_FILE).write_text(json.dumps({
        "version": 1, "method": "mllr", "active": True, "sentences": {}, "held_back_before": 0.3,
        "held_back_after": 0.2,
    }))
    assert profile_in_use(True) is not None
    assert profile_in_use(False) is None
    assert "voice profile ignored (--no-profile)" in caplog.text


def test_a_damaged_or_newer_profile_is_not_used_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    from voice.apps.enrol import profile_in_use

    folder = default_profile_folder()
    folder.mkdir(parents=True)
    (folder / PROFILE_FILE).write_text("{not json")
    assert profile_in_use(True) is None
    assert "damaged voice profile" in caplog.text
    (folder / PROFILE_FILE).write_text(json.dumps({
        "version": 99, "method": "mllr", "active": True, "sentences": {}, "held_back_before": 0.3,
        "held_back_after": 0.2,
    }))
    assert profile_in_use(True) is None
    assert "made by a newer coach (version 99); rebuild it with 'stretch-coach enrol" in caplog.text
