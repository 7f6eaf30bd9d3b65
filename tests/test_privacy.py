"""Health data stays private: owner-only files, a forget that leaves nothing, no overheard talk kept."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from voice.clock import VirtualClock
from voice.coach.actions import EventLog
from voice.coach.messages import Intent
from voice.content import Content, load_content
from voice.history.recorder import HistoryRecorder, HistoryTarget
from voice.history.store import EventKind, HistoryEvent, HistoryStore, default_history_path

ROOT = Path(__file__).resolve().parent.parent

SECRET = "zanzibarknee"
"""A word said with a pain report, searched for in the bytes of every file afterwards."""


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voice", *args], input=stdin, capture_output=True, text=True,
        cwd=ROOT, timeout=120, env=env,
    )


def no_sound_server(tmp_path: Path) -> dict[str, str]:
    """Text mode with no speaker: the coach prints its words."""
    return {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """The usual umask, under which files are made readable by everyone unless the coach says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def record_pain(path: Path, words: str = f"ouch my {SECRET}") -> HistoryStore:
    """A history open for writing, as a running coach holds it, with one pain report in it."""
    store = HistoryStore.open(path)
    session = store.start_session(datetime.now().astimezone(), "vosk")
    store.add(session, HistoryEvent(1.0, EventKind.PAIN, words=words))
    return store


def every_byte(path: Path) -> bytes:
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(file.read_bytes() for file in files if file.exists())


# ----- owner-only files ---------------------------------------------------------------------------


@pytest.mark.usefixtures("wide_umask")
def test_a_new_data_folder_and_history_are_owner_only() -> None:
    path = default_history_path()
    assert not path.parent.exists()
    record_pain(path).close()
    store = record_pain(path)  # open again: the log files exist while it is open
    try:
        assert mode(path.parent) == 0o700
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert mode(file) == 0o600, file
    finally:
        store.close()


@pytest.mark.usefixtures("wide_umask")
def test_a_history_left_readable_by_an_older_coach_is_narrowed_when_opened() -> None:
    path = default_history_path()
    path.parent.mkdir(parents=True, mode=0o755)
    os.chmod(path.parent, 0o755)
    record_pain(path).close()
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)
    HistoryStore.open(path, readonly=True).close()
    assert mode(path) == 0o600
    os.chmod(path, 0o644)
    record_pain(path).close()
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


@pytest.mark.usefixtures("wide_umask")
def test_a_history_elsewhere_leaves_its_folder_alone_but_keeps_the_file_private(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    record_pain(tmp_path / "h.sqlite3").close()
    assert (mode(tmp_path), mode(tmp_path / "h.sqlite3")) == (0o755, 0o600)
    record_pain(tmp_path / "new" / "h.sqlite3").close()
    assert mode(tmp_path / "new") == 0o700


@pytest.mark.usefixtures("wide_umask")
def test_exports_and_event_logs_are_owner_only(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    record_pain(history).close()
    (tmp_path / "old.csv").write_text("readable by all\n")
    os.chmod(tmp_path / "old.csv", 0o644)
    exported = run("history", "--history", str(history), "--csv", str(tmp_path / "old.csv"),
                   "--chart", str(tmp_path / "week.png"))
    assert exported.returncode == 0, exported.stderr
    assert SECRET in (tmp_path / "old.csv").read_text()
    assert (mode(tmp_path / "old.csv"), mode(tmp_path / "week.png")) == (0o600, 0o600)
    events = tmp_path / "events.jsonl"
    typed = run("--text", "--events", str(events), "--history", str(history), stdin="ouch\nquit\n",
                env=no_sound_server(tmp_path))
    assert typed.returncode == 0, typed.stderr
    assert mode(events) == 0o600


# ----- the event log ------------------------------------------------------------------------------


def test_each_start_keeps_the_previous_event_log_beside_the_new_one(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    env = no_sound_server(tmp_path)
    for said in ("start core exercise", "help", "list exercises"):
        result = run("--text", "--events", str(events), stdin=f"{said}\nquit\n", env=env)
        assert result.returncode == 0, result.stderr

    def heard(path: Path) -> list[str]:
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert lines[0]["type"] == "say"
        return [line["text"] for line in lines if line["type"] == "heard"]

    assert heard(events) == ["list exercises"]
    assert heard(tmp_path / "events.jsonl.1") == ["help"]
    assert heard(tmp_path / "events.jsonl.2") == ["start core exercise"]


def test_an_event_log_on_a_full_disk_is_given_up_once_and_the_session_goes_on(tmp_path: Path) -> None:
    result = run("--text", "--events", "/dev/full", "--history", str(tmp_path / "h.sqlite3"),
                 stdin="start core exercise\nhelp\nquit\n", env=no_sound_server(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "event log" in line]
    assert len(warnings) == 1, result.stderr
    assert "No space left" in warnings[0]
    assert "coach: Let's do the core exercise" in result.stdout
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode) and mode(Path("/dev/full")) == 0o666


# ----- forget -------------------------------------------------------------------------------------


def test_forget_overwrites_the_words_and_removes_the_log_files(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    store = record_pain(history)
    store.close()
    assert SECRET.encode() in every_byte(history)
    result = run("history", "--history", str(history), "--forget", "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Deleted 1 sessions."
    assert "coach is running" not in result.stderr
    assert SECRET.encode() not in every_byte(history)
    assert not Path(f"{history}-wal").exists() and not Path(f"{history}-shm").exists()


def test_forget_while_a_coach_holds_the_history_warns_and_still_leaves_no_words(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    coach = record_pain(history)
    try:
        result = run("history", "--history", str(history), "--forget", "--yes")
        assert result.returncode == 0, result.stderr
        assert "a coach is running and recording into" in result.stderr
        assert SECRET.encode() not in every_byte(history)
        assert Path(f"{history}-wal").stat().st_size == 0
        assert coach.sessions() == []
        session = coach.start_session(datetime.now().astimezone(), "vosk")
        coach.add(session, HistoryEvent(2.0, EventKind.PAUSE))
    finally:
        coach.close()
    assert len(HistoryStore.open(history, readonly=True).sessions()) == 1


def test_forget_names_the_event_logs_and_exports_it_left(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    record_pain(history).close()
    events = tmp_path / "events.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(f'events = "{events}"\n')
    env = no_sound_server(tmp_path)
    for _ in range(2):
        assert run("--config", str(config), "--text", "--history", str(history), stdin="ouch\nquit\n",
                   env=env).returncode == 0
    csv = tmp_path / "for the physio.csv"
    assert run("history", "--history", str(history), "--csv", str(csv)).returncode == 0
    result = run("--config", str(config), "history", "--history", str(history), "--forget", "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "Not touched (delete them yourself if they should go too):",
        f"  event log: {events}", f"  event log: {events}.1", f"  export: {csv}",
    ]


def test_forget_asks_with_a_count_even_when_a_row_is_damaged(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    store = record_pain(history)
    store._db.execute("UPDATE events SET kind = 'exploded'")
    store.close()
    result = run("history", "--history", str(history), "--forget", stdin="yes\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Delete all 1 sessions kept in {history}?")


# ----- what is heard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "kept"), [("vosk", None), ("pocketsphinx", None), ("text", "my pin is 4711")]
)
def test_words_that_are_no_command_are_counted_and_kept_only_when_typed(
    content: Content, tmp_path: Path, engine: str, kept: str | None
) -> None:
    history = tmp_path / "h.sqlite3"
    target = HistoryTarget(history, datetime.now().astimezone(), engine)
    recorder = HistoryRecorder(content, VirtualClock(), target)
    recorder.heard(1.0, Intent("none", None, 0.9, "my pin is 4711"))
    recorder.closed(2.0)
    store = HistoryStore.open(history, readonly=True)
    try:
        (session,) = store.sessions()
    finally:
        store.close()
    assert [(event.kind, event.words) for event in session.events] == [(EventKind.NOT_UNDERSTOOD, kept)]
    assert (b"4711" in every_byte(history)) == (kept is not None)


def test_a_live_event_log_leaves_out_the_words_of_what_was_no_command() -> None:
    stream = io.StringIO()
    log = EventLog(stream, unmatched_words=False)
    log.heard(1.0, Intent("none", None, 0.9, "the neighbour is called bob"))
    log.heard(2.0, Intent("pain", None, 0.9, "ouch my knee"))
    heard = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert heard == [
        {"t": 1.0, "type": "heard", "text": "", "intent": "none", "exercise": None, "confidence": 0.9},
        {"t": 2.0, "type": "heard", "text": "ouch my knee", "intent": "pain", "exercise": None,
         "confidence": 0.9},
    ]
