"""``stretch-coach recognize``: one JSON object per file in order, bad files reported and the run goes on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import requires_espeak
from voice.apps.cli import main
from voice.pcm import read_wav, resample
from voice.testing.audio import espeak_wav, write_wav

KEYS = ["file", "transcript", "intent", "exercise", "confidence", "decode_ms"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recognize")
    hamstring = read_wav(espeak_wav(folder, "start the hamstring stretch", pad=0.4))
    stop = read_wav(espeak_wav(folder, "stop the session", voice="en-gb", pad=0.4))
    hurts = read_wav(espeak_wav(folder, "that hurts", pad=0.4))
    chatter = read_wav(espeak_wav(folder, "i think it is going to rain today", pad=0.4))
    (folder / "notes.txt").write_text("not audio")
    (folder / "empty.wav").write_bytes(b"")
    return {
        "stereo44": write_wav(
            folder / "hamstring-44k-stereo.wav", resample(hamstring, 16000, 44100), 44100, 2
        ),
        "mono8k": write_wav(folder / "hurts-8k.wav", resample(hurts, 16000, 8000), 8000, 1),
        "chatter": write_wav(folder / "chatter.wav", chatter, 16000, 1),
        "text": folder / "notes.txt",
        "empty": folder / "empty.wav",
        "eight_bit": write_wav(folder / "stop-8bit.wav", stop, 16000, 1, width=1),
    }


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]], str]:
    status = main(["recognize", *args])
    captured = capsys.readouterr()
    return status, [json.loads(line) for line in captured.out.splitlines()], captured.err


@requires_espeak
@pytest.mark.audio
def test_one_json_line_per_file_in_order(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO")
    paths = [files["stereo44"], files["mono8k"], files["chatter"]]
    status, records, _ = run(capsys, "--engine", "pocketsphinx", "--json", *map(str, paths))
    assert status == 0
    assert [record["file"] for record in records] == list(map(str, paths))
    assert all(list(record) == KEYS for record in records)
    assert (records[0]["intent"], records[0]["exercise"]) == ("start", "hamstring")
    assert (records[1]["intent"], records[1]["exercise"]) == ("pain", None)  # 8 kHz is resampled
    assert (records[2]["intent"], records[2]["exercise"]) == ("none", None)
    assert all(0.0 <= float(str(record["confidence"])) <= 1.0 for record in records)
    assert "listening with pocketsphinx (US-English model" in caplog.text  # the startup line


@requires_espeak
@pytest.mark.audio
def test_bad_files_get_an_error_line_and_exit_status_1(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [
        files["text"],
        files["empty"],
        files["eight_bit"],
        files["stereo44"],
        files["text"].with_name("gone.wav"),
    ]
    status, records, _ = run(capsys, "--json", *map(str, paths))
    assert status == 1
    assert [record["file"] for record in records] == list(map(str, paths))
    assert "not a WAV file" in str(records[0]["error"])
    assert "empty" in str(records[1]["error"])
    assert "8-bit audio is not supported" in str(records[2]["error"])
    assert records[3]["intent"] == "start"
    assert "no such file" in str(records[4]["error"])


def test_missing_or_empty_model_folder_is_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "empty").mkdir()
    wav = write_wav(tmp_path / "quiet.wav", np.zeros(8000), 16000, 1)
    for folder, message in (
        (tmp_path / "nothing", "no such model folder"),
        (tmp_path / "empty", "not a complete"),
    ):
        caplog.clear()
        status = main(["recognize", "--engine", "vosk", "--model", str(folder), "--json", str(wav)])
        errors = [record for record in caplog.records if record.levelname == "ERROR"]
        assert status == 1
        assert len(errors) == 1 and message in errors[0].getMessage() and errors[0].exc_info is None


def test_unknown_engine(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    wav = write_wav(tmp_path / "quiet.wav", np.zeros(8000), 16000, 1)
    assert main(["recognize", "--engine", "whisper", str(wav)]) == 1
    assert "unknown engine 'whisper'; choose one of: vosk, pocketsphinx" in caplog.text


def test_silence_is_none_without_decoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = write_wav(tmp_path / "silence.wav", np.zeros(32000), 16000, 1)
    status, records, _ = run(capsys, "--engine", "pocketsphinx", "--json", str(wav))
    assert status == 0
    assert records[0]["intent"] == "none" and records[0]["transcript"] == ""


def test_plain_output_without_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = write_wav(tmp_path / "silence.wav", np.zeros(16000), 16000, 1)
    assert main(["recognize", str(wav)]) == 0
    assert capsys.readouterr().out.startswith(f"{wav}: none")


def test_plain_output_names_a_bad_file_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    status = main(["recognize", str(notes)])
    out = capsys.readouterr().out
    assert status == 1
    assert out == f"{notes}: error: not a WAV file (no RIFF/WAVE header)\n"


def test_a_wav_cut_short_of_its_header_is_reported_and_the_rest_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    whole = write_wav(tmp_path / "whole.wav", np.zeros(16000), 16000, 1)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:20044])
    status, records, _ = run(capsys, "--json", str(cut), str(whole))
    assert status == 0
    assert [record["intent"] for record in records] == ["none", "none"]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings == [f"{cut}: the file is 12000 bytes shorter than its WAV header says (cut short?); "
                        "decoding the audio that is there"]
