"""How long history and event logs are kept: ``history-days`` and ``event-logs-kept``, applied at start-up."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import run_cli
from voice.apps.doctor import Retention, Verdict, check_kept
from voice.history.store import EventKind, HistoryEvent, HistoryStore

OLD_WORDS = "ouch my zanzibarknee"
"""Said in a session older than the retention; its bytes must be gone from every file afterwards."""

NEW_WORDS = "ouch my quokkaelbow"
"""Said in a recent session; kept."""


def no_sound_server(tmp_path: Path) -> dict[str, str]:
    """Text mode with no speaker: the coach prints its words."""
    return {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def session_on(path: Path, started: datetime, words: str) -> None:
    store = HistoryStore.open(path)
    try:
        session = store.start_session(started, "vosk")
        store.add(session, HistoryEvent(1.0, EventKind.PAIN, words=words))
    finally:
        store.close()


def every_byte(path: Path) -> bytes:
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def kept_starts(path: Path) -> list[datetime]:
    store = HistoryStore.open(path, readonly=True)
    try:
        return [record.started for record in store.sessions()]
    finally:
        store.close()


def typed_session(tmp_path: Path, *args: str, said: str = "help") -> None:
    result = run_cli(*args, "--text", stdin=f"{said}\nquit\n", env=no_sound_server(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


# ----- history ------------------------------------------------------------------------------------


def test_sessions_older_than_history_days_are_overwritten_at_the_start(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    now = datetime.now().astimezone().replace(microsecond=0)
    session_on(history, now - timedelta(days=40), OLD_WORDS)
    session_on(history, now - timedelta(days=20), NEW_WORDS)
    assert OLD_WORDS.encode() in every_byte(history)
    path = config(tmp_path, "history-days = 30\n")
    typed_session(tmp_path, "--config", str(path), "--history", str(history))
    starts = kept_starts(history)
    assert len(starts) == 2
    assert starts[0] == now - timedelta(days=20)
    assert starts[1] >= now
    assert OLD_WORDS.encode() not in every_byte(history)  # secure_delete, and the log emptied
    assert NEW_WORDS.encode() in every_byte(history)


def test_without_a_setting_every_session_is_kept(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    long_ago = datetime.now().astimezone().replace(microsecond=0) - timedelta(days=3000)
    session_on(history, long_ago, OLD_WORDS)
    typed_session(tmp_path, "--config", str(tmp_path / "none.toml"), "--history", str(history))
    assert kept_starts(history)[0] == long_ago


def test_the_command_line_sets_history_days_too(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    now = datetime.now().astimezone().replace(microsecond=0)
    session_on(history, now - timedelta(days=2), OLD_WORDS)
    path = config(tmp_path, "history-days = 30\n")
    typed_session(tmp_path, "--config", str(path), "--history", str(history), "--history-days", "1")
    assert len(kept_starts(history)) == 1


# ----- event logs ---------------------------------------------------------------------------------


def heard(path: Path) -> list[str]:
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return [event["text"] for event in events if event["type"] == "heard"]


def test_event_logs_kept_limits_the_earlier_logs(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    path = config(tmp_path, f'events = "{events}"\nevent-logs-kept = 1\n')
    for said in ("help", "list exercises", "start core exercise"):
        typed_session(tmp_path, "--config", str(path), "--history", str(tmp_path / "h.sqlite3"), said=said)
    assert sorted(file.name for file in tmp_path.glob("events.jsonl*")) == ["events.jsonl", "events.jsonl.1"]
    assert heard(events) == ["start core exercise"]
    assert heard(tmp_path / "events.jsonl.1") == ["list exercises"]


def test_a_lower_event_logs_kept_removes_the_older_logs_already_there(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("{}\n")
    for number in range(1, 8):
        (tmp_path / f"events.jsonl.{number}").write_text(f'{{"old": {number}}}\n')
    path = config(tmp_path, f'events = "{events}"\nevent-logs-kept = 2\n')
    typed_session(tmp_path, "--config", str(path), "--history", str(tmp_path / "h.sqlite3"))
    names = sorted(file.name for file in tmp_path.glob("events.jsonl*"))
    assert names == ["events.jsonl", "events.jsonl.1", "events.jsonl.2"]
    assert (tmp_path / "events.jsonl.1").read_text() == "{}\n"
    assert (tmp_path / "events.jsonl.2").read_text() == '{"old": 1}\n'


def test_no_earlier_event_log_is_kept_with_zero(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    for _ in range(2):
        typed_session(tmp_path, "--events", str(events), "--event-logs-kept", "0",
                      "--history", str(tmp_path / "h.sqlite3"))
    assert [file.name for file in tmp_path.glob("events.jsonl*")] == ["events.jsonl"]
    assert heard(events) == ["help"]


# ----- shown and checked --------------------------------------------------------------------------


def test_config_shows_both_settings_and_where_they_came_from(tmp_path: Path) -> None:
    path = config(tmp_path, "history-days = 365\n")
    result = run_cli("--config", str(path), "config")
    assert result.returncode == 0, result.stderr
    lines = {line.split("=")[0].strip(): line for line in result.stdout.splitlines() if "=" in line}
    assert lines["history-days"].split("#")[0].split("=")[1].strip() == "365"
    assert lines["history-days"].endswith(f"# {path}")
    assert lines["event-logs-kept"].split("#")[0].split("=")[1].strip() == "5"
    assert lines["event-logs-kept"].endswith("# default")


@pytest.mark.parametrize(("setting", "args", "said"), [
    ("history-days = -1\n", (), "'history-days' is -1; allowed: a whole number of days from 0 to 36525"),
    ('history-days = "a year"\n', (), "'history-days' is 'a year'"),
    ("history-days = 36526\n", (), "'history-days' is 36526"),
    ("event-logs-kept = 101\n", (), "'event-logs-kept' is 101; allowed: a whole number from 0 to 100"),
    ("event-logs-kept = 1.5\n", (), "'event-logs-kept' is 1.5"),
    ("", ("--history-days", "-3"), "--history-days -3 is out of range; allowed: a whole number of days"),
    ("", ("--event-logs-kept", "1000"), "--event-logs-kept 1000 is out of range; allowed: a whole number"),
])
def test_a_bad_retention_is_one_line(tmp_path: Path, setting: str, args: tuple[str, ...], said: str) -> None:
    path = config(tmp_path, setting)
    for command in ("config", "--text"):
        result = run_cli("--config", str(path), *args, command, stdin="quit\n", env=no_sound_server(tmp_path))
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert said in result.stderr
    assert not (tmp_path / "h.sqlite3").exists()


def test_doctor_says_what_is_kept_and_for_how_long(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    forever = check_kept(Retention(history, 0, None, 5))
    assert forever.verdict is Verdict.OK
    assert forever.line() == (
        f"ok    kept: history {history} (until 'history --forget'); event logs: none written"
    )
    year = check_kept(Retention(history, 365, tmp_path / "e.jsonl", 2)).line()
    assert f"(the last 365 days); event logs: {tmp_path / 'e.jsonl'} and 2 earlier" in year
