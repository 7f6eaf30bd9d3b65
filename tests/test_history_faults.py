"""History faults on real files: a kill loses nothing heard, and a broken history never stops the coach."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers import ROOT, logged, run_cli, wait_for
from voice.apps.simulate import Simulation
from voice.coach.settings import CoachSettings
from voice.content import load_content
from voice.history.recorder import HistoryTarget
from voice.history.store import SCHEMA_VERSION

SCRIPT = "2 start hamstring stretch\n30 wait\n35 resume\n60 ouch\n65 skip\n"
"""A session that writes a few dozen history events."""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.txt"
    path.write_text(SCRIPT)
    return path


@pytest.fixture
def recorded(tmp_path: Path, script: Path) -> Path:
    """A history file holding one finished session."""
    history = tmp_path / "history.sqlite3"
    result = run_cli("simulate", "--history", str(history), "--date", "2026-11-23", str(script))
    assert result.returncode == 0, result.stderr
    return history


def without_history(script: Path) -> str:
    result = run_cli("simulate", str(script))
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_coach_went_on(script: Path, history: Path, problem: str) -> None:
    """The session runs exactly as without a history, and the log says once what is wrong."""
    result = run_cli("simulate", "--history", str(history), str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout == without_history(script)
    assert result.stderr.splitlines() == [
        f"stretch-coach: history is off for this session: {history}: {problem}"
    ]


def assert_history_explains(history: Path, problem: str) -> None:
    result = run_cli("history", "--history", str(history))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"stretch-coach: error: {history}: {problem}"]


def fingerprint(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


# ----- kill -9 ------------------------------------------------------------------------------


def test_kill_9_mid_session_loses_nothing_heard(tmp_path: Path, private_data_folder: Path) -> None:
    events = tmp_path / "events.jsonl"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}  # no sound server: the coach runs silently
    coach = subprocess.Popen(
        [sys.executable, "-m", "voice", "--text", "--events", str(events)], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    assert coach.stdin is not None

    def type_and_wait(words: str, state: str) -> None:
        assert coach.stdin is not None
        coach.stdin.write(words + "\n")
        coach.stdin.flush()
        wait_for(lambda: any(e.get("state") == state for e in logged(events)), f"state {state}")

    try:
        type_and_wait("start hamstring stretch", "instructing")
        type_and_wait("wait", "paused")
        coach.stdin.write("banana bread\n")
        type_and_wait("ouch", "safety")
    finally:
        coach.send_signal(signal.SIGKILL)
        coach.wait(timeout=30)
    assert coach.returncode == -signal.SIGKILL

    log = logged(events)
    heard = [event for event in log if event["type"] == "heard"]
    pain = next(event for event in heard if event["intent"] == "pain")
    before_pain = [e for e in log if e["type"] == "state" and e["t"] <= pain["t"]][-1]  # type: ignore[operator]
    (session,) = [json.loads(line) for line in run_cli("history", "--json", env=env).stdout.splitlines()]
    assert session["engine"] == "text"
    assert session["exercises"][0]["exercise"] == "hamstring"
    assert session["exercises"][0]["sides"] == ["left"]
    assert session["pauses"] == 1
    assert session["not_understood"] == 1
    assert session["pain"] == [{
        "exercise": "hamstring", "side": "left", "step": before_pain["step"], "t": pain["t"],
        "at": session["pain"][0]["at"], "words": "ouch",
    }]
    assert session["end"] == session["pain"][0]["at"]  # the last event recorded before the kill
    assert (private_data_folder / "stretch-coach" / "history.sqlite3").exists()


# ----- a history that cannot be used --------------------------------------------------------


def test_a_locked_history_is_left_alone(recorded: Path, script: Path) -> None:
    holder = sqlite3.connect(recorded, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        problem = "the history is locked by another program; close it and try again"
        assert_coach_went_on(script, recorded, problem)
    finally:
        holder.close()
    shown = run_cli("history", "--history", str(recorded), "--days", "3650", "--json")
    assert len(shown.stdout.splitlines()) == 1


def test_a_lock_mid_session_is_logged_once_and_the_session_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    history = tmp_path / "history.sqlite3"
    content = load_content()
    target = HistoryTarget(history, datetime(2026, 11, 23, 9).astimezone(), "simulate")
    simulation = Simulation(content, CoachSettings(), None, target)
    simulation.session.begin()
    simulation.run_until(2)
    simulation.say("start hamstring stretch")
    simulation.run_until(30)
    with sqlite3.connect(history) as reader:
        kept = reader.execute("SELECT count(*) FROM events").fetchone()[0]
    holder = sqlite3.connect(history, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING):
            simulation.run_until(100)
            simulation.say("ouch")
            simulation.say("how am i doing")
            simulation.run_until(120)
    finally:
        holder.close()
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "locked by another program" in warnings[0]
    assert simulation.coach.state == "safety"
    assert simulation.history is not None and not simulation.history.recording
    with sqlite3.connect(history) as reader:
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == kept > 0


def test_a_read_only_history_is_still_shown(recorded: Path, script: Path) -> None:
    with read_only(recorded):
        assert_coach_went_on(
            script, recorded, "the history file is read-only; make it writable or use --history FILE"
        )
        shown = run_cli("history", "--history", str(recorded), "--days", "3650")
    assert shown.returncode == 0 and "hamstring" in shown.stdout


def test_a_damaged_history_is_not_touched(tmp_path: Path, script: Path) -> None:
    history = tmp_path / "history.sqlite3"
    history.write_bytes(b"these are not the bytes of a database\n" * 200)
    before = fingerprint(tmp_path)
    problem = (
        "the history file is damaged (file is not a database); move it aside and a new one will be started"
    )
    assert_coach_went_on(script, history, problem)
    assert_history_explains(history, problem)
    assert fingerprint(tmp_path) == before


def test_a_newer_history_is_refused_without_damage(recorded: Path, script: Path) -> None:
    with closing(sqlite3.connect(recorded)) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = fingerprint(recorded.parent)
    problem = (
        f"this history was written by a newer Stretch Coach (format {SCHEMA_VERSION + 1}, this one reads"
        f" up to {SCHEMA_VERSION}); update the coach or use --history FILE. The file was not changed"
    )
    assert_coach_went_on(script, recorded, problem)
    assert_history_explains(recorded, problem)
    assert fingerprint(recorded.parent) == before


def test_a_full_disk_stops_only_the_history(small_disk: Path, script: Path) -> None:
    history = small_disk / "history.sqlite3"
    assert run_cli("simulate", "--history", str(history), str(script)).returncode == 0
    with (small_disk / "filler").open("wb", buffering=0) as filler, suppress(OSError):
        while True:  # until the disk is full
            filler.write(b"\0" * 4096)
    problem = "the disk is full; free some space so the history can be kept"
    assert_coach_went_on(script, history, problem)
    assert_history_explains(history, problem)
    (small_disk / "filler").unlink()
    assert len(run_cli("history", "--history", str(history), "--json").stdout.splitlines()) == 1


# ----- fixtures for file-system faults ------------------------------------------------------


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file unwritable for this process (immutable when running as root, who ignores modes)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode:
        pytest.skip("running as root and this file system cannot make a file immutable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB file system (tmpfs) that can be filled; needs root."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True
    ).returncode:
        pytest.skip("filling a disk needs root to mount a small tmpfs")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
