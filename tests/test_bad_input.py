"""Every file the coach reads gets one clear line on any mistake, and limits keep time and memory small."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import wave
import zipfile
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from voice.apps.simulate import Simulation, parse_script
from voice.coach.settings import CoachSettings
from voice.content import default_content_dir, load_content
from voice.errors import AudioFileError, ContentError, ModelError, ScriptError
from voice.history.recorder import HistoryTarget
from voice.history.store import EventKind, HistoryEvent, HistoryStore
from voice.listening import models
from voice.pcm import read_wav

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voice", *args], input=stdin, capture_output=True, text=True,
        cwd=ROOT, timeout=120, env=env,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single error line of a failed run (and proof there was nothing else, no traceback)."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stretch-coach: error: "), result.stderr
    return lines[0]


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


# ----- config.toml and state.json ------------------------------------------------------------------


def test_a_config_file_not_in_utf8_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes('voice = "en-us"\n# caf\xe9\n'.encode("latin-1"))
    line = one_error_line(run("--config", str(config), "config"))
    assert f"{config}: not UTF-8 text" in line


@pytest.mark.parametrize(
    "nested", ["a = " + "[" * 2000 + "]" * 2000, "a = " + "{b = " * 2000 + "1" + "}" * 2000]
)
def test_a_config_file_nested_deep_is_one_line(tmp_path: Path, nested: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(nested + "\n")
    assert f"{config}: lists or tables are nested too deeply" in one_error_line(run("--config", str(config)))


def test_a_state_file_nested_deep_is_ignored_with_one_warning(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    (tmp_path / "state.json").write_text("[" * 100_000 + "]" * 100_000)
    result = run("--config", str(config), "config")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"stretch-coach: {tmp_path / 'state.json'}: ignored, cannot be read "
        "(lists or tables are nested too deeply)"
    ]


@pytest.mark.parametrize(
    "name", ["stretch 😀 folder", 'quote " back\\slash', "tab\tand\nnewline", "caf\u00e9 \x7f"]
)
def test_config_init_writes_any_path_so_that_it_reads_back(tmp_path: Path, name: str) -> None:
    config = tmp_path / "config.toml"
    model = tmp_path / name / "model"
    written = run("--config", str(config), "--model", str(model), "--content", "relative/content",
                  "config", "--init")
    assert written.returncode == 0, written.stderr
    from voice.apps.config import read_config

    values = read_config(config)
    assert values["model"] == model
    assert values["content"] == ROOT / "relative" / "content"


def test_a_path_that_is_not_utf8_is_refused_by_config_init_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    odd = os.fsdecode(bytes(tmp_path) + b"/caf\xe9")
    line = one_error_line(run("--config", str(config), "--model", odd, "config", "--init"))
    assert "not valid UTF-8" in line and not config.exists()


# ----- the history ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [("kind", "exploded", "kind 'exploded'"), ("t", "soon", "time 'soon'"),
     ("amount", "lots", "amount 'lots'"),
     ("amount", 10**15, f"amount {10**15}"), ("words", b"\xff", "words b'\\xff'")],
)
def test_a_damaged_history_row_is_one_line(tmp_path: Path, column: str, value: object, said: str) -> None:
    history = tmp_path / "h.sqlite3"
    store = HistoryStore.open(history)
    session = store.start_session(datetime(2026, 11, 23, 9).astimezone(), "vosk")
    store.add(session, HistoryEvent(1.0, EventKind.HOLD, exercise="hamstring", amount=30))
    store.close()
    with closing(sqlite3.connect(history)) as db, db:
        db.execute(f"UPDATE events SET {column} = ?", (value,))
    line = one_error_line(run("history", "--history", str(history), "--days", "3650"))
    assert line == (f"stretch-coach: error: {history}: the history is damaged (event 1: {said}); "
                    "move it aside and a new one will be started")


@pytest.mark.parametrize("started", ["yesterday", "9999-12-31T23:59:59"])
def test_a_damaged_session_time_is_one_line(tmp_path: Path, started: str) -> None:
    history = tmp_path / "h.sqlite3"
    store = HistoryStore.open(history)
    session = store.start_session(datetime(2026, 11, 23, 9).astimezone(), "vosk")
    store.add(session, HistoryEvent(3600.0, EventKind.PAUSE))
    store.close()
    with closing(sqlite3.connect(history)) as db, db:
        db.execute("UPDATE sessions SET started = ?, started_at = 0", (started,))
    line = one_error_line(run("history", "--history", str(history), "--days", "36525"))
    assert f"(session 1: time '{started}')" in line


def test_how_am_i_doing_over_a_damaged_history_says_the_history_is_off(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    content = load_content()
    target = HistoryTarget(history, datetime.now().astimezone(), "simulate")
    Simulation(content, CoachSettings(), None, target).run(parse_script("2 ouch\n", "first"))
    with closing(sqlite3.connect(history)) as db, db:
        db.execute("UPDATE events SET kind = 'exploded'")
    simulation = Simulation(content, CoachSettings(), None, target)
    said: list[str] = []
    simulation.session._print = lambda say: said.append(say.text)  # type: ignore[method-assign]
    simulation.run(parse_script("2 how am i doing\n", "second"))
    assert content.lines.history_off in said


@pytest.mark.parametrize("days", ["999999999", "0", "36526"])
def test_history_days_out_of_range_is_one_line(tmp_path: Path, days: str) -> None:
    line = one_error_line(run("history", "--history", str(tmp_path / "none.sqlite3"), "--days", days))
    assert f"--days {days} is out of range; use 1 to 36525" in line


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_simulated_date_out_of_range_is_one_line(tmp_path: Path, day: str) -> None:
    script = tmp_path / "s.txt"
    script.write_text("2 start hamstring\n")
    history = tmp_path / "h.sqlite3"
    line = one_error_line(run("simulate", "--history", str(history), "--date", day, str(script)))
    assert "out of range" in line


# ----- simulate scripts ----------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["1e12", "86401", "1e308"])
def test_script_times_past_a_day_are_refused(when: str) -> None:
    with pytest.raises(ScriptError, match="past a day; use at most 86400"):
        parse_script(f"2 start hamstring\n{when} stop\n", "s.txt")


def test_a_huge_script_is_refused_before_it_is_read(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    with script.open("wb") as handle:
        handle.truncate(5 << 20)
    assert "more than the 4,194,304 allowed" in one_error_line(run("simulate", str(script)))


# ----- content -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "said"),
    [
        ("exercises/hamstring.toml", "seconds = 30", "seconds = 1200", "use a whole number from 1 to 999"),
        ("exercises/hamstring.toml", "seconds = 30", "seconds = 0", "must be a whole number above 0"),
        ("exercises/gluteus_medius.toml", "count = 10", "count = 1000", "use a whole number from 1 to 999"),
        ("exercises/gluteus_medius.toml", "count = 10", "count = 300",
         "at most 999 can be said when it resumes"),
        ("exercises/gluteus_medius.toml", "hold = 2", "hold = inf", "must be a number of seconds up to 600"),
        ("exercises/hamstring.toml", "settle = 8", "settle = nan", "must be a number of seconds up to 600"),
        ("exercises/hamstring.toml", "settle = 8", "settle = 1e300", "must be a number of seconds up to 600"),
        ("exercises/hamstring.toml", "for {seconds} seconds", "for {seconds:>999999999} seconds",
         "write {seconds} plainly"),
        ("speech.toml", "{title}", "{title!r}", "write {title} plainly"),
        ("pain.toml", "negation_reach = 3", "negation_reach = -4", "use a whole number from 0 to 20"),
        ("commands.toml", 'templates = [', 'templates = ["' + "[w] " * 22 + 'go", ',
         "stands for more than 5000 sentences"),
        ("commands.toml", 'templates = [', 'templates = ["' + "(" * 30 + "a" + ")" * 30 + '", ',
         "nested more than 20 deep"),
        ("exercises/hamstring.toml", "names = [", "names = [" + '"n", ' * 1001, "at most 1000 are allowed"),
    ],
)
def test_content_beyond_the_limits_is_refused_at_load_in_one_line(
    content_copy: Path, file: str, old: str, new: str, said: str
) -> None:
    edit(content_copy / file, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(content_copy)
    assert said in str(caught.value) and str(content_copy / file) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_too_many_sentences_from_names_and_templates_are_refused(content_copy: Path) -> None:
    names = ", ".join(f'"name {n}"' for n in range(900))
    edit(content_copy / "exercises/hamstring.toml", "names = [", f"names = [{names}, ")
    start = 'templates = ["[a] [b] [c] [d] [e] [f] {exercise}", '
    edit(content_copy / "commands.toml", "templates = [", start)
    with pytest.raises(ContentError, match="more than 50000 sentences"):
        load_content(content_copy)


@pytest.mark.parametrize("file", ["commands.toml", "asr.toml", "exercises/psoas.toml"])
def test_content_files_too_large_nested_or_not_utf8_are_one_line(content_copy: Path, file: str) -> None:
    from voice.listening.engines.asr_data import load_asr_data

    def loaded() -> object:
        return load_asr_data(content_copy) if file == "asr.toml" else load_content(content_copy)

    path = content_copy / file
    original = path.read_bytes()
    for broken, said in (
        (original + b"# \xff\xfe\n", "(?i)utf-8"),
        (original + b"deep = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested too deeply"),
        (original + b"#" * (1 << 20) + b"\n", "more than the 1,048,576 allowed"),
    ):
        path.write_bytes(broken)
        with pytest.raises(ContentError, match=said):
            loaded()


def test_more_than_a_hundred_exercise_files_are_refused(content_copy: Path) -> None:
    for number in range(96):
        (content_copy / "exercises" / f"extra{number}.toml").write_text("")
    with pytest.raises(ContentError, match="101 exercise files; at most 100"):
        load_content(content_copy)


# ----- WAV files -----------------------------------------------------------------------------------


def write_wav(path: Path, rate: int, seconds: float, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(2 * channels * round(rate * seconds)))
    return path


@pytest.mark.parametrize("rate", [383_987, 44_101, 191_999])
def test_a_wav_at_an_unusual_rate_is_refused_before_any_work(tmp_path: Path, rate: int) -> None:
    with pytest.raises(AudioFileError, match=f"unusual sample rate {rate} Hz"):
        read_wav(write_wav(tmp_path / "odd.wav", rate, 0.5))


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 96000, 192000, 384000])
def test_usual_rates_are_taken(tmp_path: Path, rate: int) -> None:
    assert len(read_wav(write_wav(tmp_path / "usual.wav", rate, 0.25))) == 4000


def test_a_long_wav_is_refused_before_conversion(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="301 seconds of audio, more than the 300 taken"):
        read_wav(write_wav(tmp_path / "long.wav", 8000, 301))


def test_a_huge_wav_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "huge.wav", 16000, 0.1)
    with path.open("r+b") as handle:
        handle.truncate(400 << 20)  # sparse: no disk used
    result = run("recognize", "--engine", "pocketsphinx", "--json", str(path))
    assert result.returncode == 1
    assert "more than the 33,554,432 allowed" in result.stdout


# ----- the model archive ---------------------------------------------------------------------------


def model_zip(marker: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name in models.REQUIRED_FILES:
            bundle.writestr(f"model/{name}", marker)
    return buffer.getvalue()


def test_an_archive_of_the_wrong_size_is_never_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(b"x" * 1000)
    hashed: list[object] = []
    real = hashlib.sha256
    monkeypatch.setattr(models.hashlib, "sha256", lambda *args: hashed.append(args) or real(*args))
    with pytest.raises(ModelError, match="checksum mismatch: 1000 bytes, expected"):
        models.install(destination=tmp_path / "models", from_file=archive, progress=None)
    assert hashed == []


def test_a_from_file_archive_swapped_after_its_check_is_not_what_gets_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, evil = model_zip(b"good"), model_zip(b"evil")
    archive = tmp_path / "model.zip"
    archive.write_bytes(good)
    (tmp_path / "evil.zip").write_bytes(evil)
    pin = models.ModelPin("model", "unused", len(good), hashlib.sha256(good).hexdigest())
    checked = models._check

    def check_then_swap(*args: object, **kwargs: object) -> None:
        checked(*args, **kwargs)  # type: ignore[arg-type]
        os.replace(tmp_path / "evil.zip", archive)  # someone replaces the file right after the check

    monkeypatch.setattr(models, "_check", check_then_swap)
    installed = models.install(pin, tmp_path / "models", from_file=archive, progress=None)
    assert (installed / models.REQUIRED_FILES[0]).read_bytes() == b"good"
