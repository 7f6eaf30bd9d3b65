"""The session history on real SQLite files: what is recorded, the spoken week, the ``history`` command."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, run_cli
from voice.apps.simulate import Simulation, parse_script
from voice.coach.settings import CoachSettings
from voice.content import Content, load_content
from voice.history.recorder import HistoryTarget
from voice.history.store import SCHEMA_VERSION, HistoryStore

FULL_HAMSTRING_WITH_PAIN = """
2 start hamstring stretch
50 ouch
55 resume
"""
"""Hamstring stretch: pain during the first side's hold, tried again, then both sides to the end."""

CORE_THEN_SKIPPED_PSOAS = """
2 start core exercise
150 start hip flexor stretch
160 wait
170 resume
180 skip
"""
"""Core exercise to the end, then the hip flexor stretch paused and skipped."""


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def simulate(content: Content, history: Path, when: str, script: str) -> list[str]:
    """Run a session placed at ``when`` (local time); returns what the coach said, in order."""
    started = datetime.fromisoformat(when).astimezone()
    return spoken(content, script, HistoryTarget(history, started, "simulate"))


def spoken(content: Content, script: str, history: HistoryTarget | None) -> list[str]:
    """What the coach said in a simulated session, from its event log."""
    log = io.StringIO()
    Simulation(content, CoachSettings(), log, history).run(parse_script(script, "test"))
    events = [json.loads(line) for line in log.getvalue().splitlines()]
    return [event["text"] for event in events if event["type"] == "say"]


def sessions_json(history: Path, *extra: str) -> list[dict[str, Any]]:
    result = run_cli("history", "--history", str(history), "--days", "3650", "--json", *extra)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def script_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "script.txt"
    path.write_text(text)
    return path


# ----- what is recorded ---------------------------------------------------------------------


def test_json_has_one_object_per_session_with_exercises_and_pain(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    for day, script in (("2026-11-23", FULL_HAMSTRING_WITH_PAIN), ("2026-11-25", CORE_THEN_SKIPPED_PSOAS)):
        script_path = script_file(tmp_path, script)
        result = run_cli("simulate", "--history", str(history), "--date", day, str(script_path))
        assert result.returncode == 0, result.stderr
    first, second = sessions_json(history)
    assert first["start"] == datetime(2026, 11, 23, 9).astimezone().isoformat()
    assert first["start"] < first["end"] < second["start"]
    assert first["exercises"] == [{
        "exercise": "hamstring", "sides": ["left", "right"], "holds": 2, "seconds_held": 60,
        "sets": 0, "repetitions": 0, "skipped": False, "completed": True,
    }]
    assert first["pain"] == [{
        "exercise": "hamstring", "side": "left", "step": 5, "t": 50.0,
        "at": datetime(2026, 11, 23, 9, 0, 50).astimezone().isoformat(), "words": "ouch",
    }]
    assert second["exercises"] == [
        {"exercise": "transversus_abdominis", "sides": [], "holds": 0, "seconds_held": 0,
         "sets": 1, "repetitions": 8, "skipped": False, "completed": True},
        {"exercise": "psoas", "sides": ["left"], "holds": 0, "seconds_held": 0,
         "sets": 0, "repetitions": 0, "skipped": True, "completed": False},
    ]
    assert second["pain"] == [] and second["pauses"] == 1


def test_simulate_records_nothing_without_history(tmp_path: Path, private_data_folder: Path) -> None:
    result = run_cli("simulate", str(script_file(tmp_path, FULL_HAMSTRING_WITH_PAIN)))
    assert result.returncode == 0, result.stderr
    assert list(private_data_folder.rglob("*")) == []
    dated = run_cli("simulate", "--date", "2026-11-23", str(script_file(tmp_path, "1 next\n")))
    assert dated.returncode == 1 and "give --history FILE" in dated.stderr


def test_not_understood_and_pain_between_exercises_are_counted(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    simulate(content, history, "2026-11-23T18:30", "2 what time is it\n4 banana bread\n6 that hurts\n")
    (session,) = sessions_json(history)
    assert session["not_understood"] == 2
    assert session["exercises"] == []
    assert session["pain"] == [{
        "exercise": None, "side": None, "step": None, "t": 6.0,
        "at": datetime(2026, 11, 23, 18, 30, 6).astimezone().isoformat(), "words": "that hurts",
    }]


def test_a_routine_records_all_five_and_a_restart_is_a_new_run(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    simulate(content, history, "2026-11-23T09:00", "1 start routine\n")
    simulate(content, history, "2026-11-24T09:00", "2 start core exercise\n30 start core exercise\n")
    routine, restarted = sessions_json(history)
    assert [(run["exercise"], run["completed"]) for run in routine["exercises"]] == [
        (exercise.id, True) for exercise in content.exercises
    ]
    assert [(run["exercise"], run["completed"]) for run in restarted["exercises"]] == [
        ("transversus_abdominis", False), ("transversus_abdominis", True),
    ]


def test_an_unsure_name_is_recorded_only_once_confirmed(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    started = datetime(2026, 11, 23, 9).astimezone()
    simulation = Simulation(content, CoachSettings(), None, HistoryTarget(history, started, "simulate"))
    simulation.session.begin()
    simulation.run_until(2)
    simulation.say("start hamstring stretch")
    simulation.run_until(20)
    simulation.say("start core exercise", confidence=0.5)  # "Did you mean the core exercise?"
    simulation.run_until(25)
    simulation.say("no")
    simulation.run_until(2000)
    simulation.session.close()
    (session,) = sessions_json(history)
    assert [(run["exercise"], run["completed"]) for run in session["exercises"]] == [
        ("hamstring", True),
    ]


# ----- the spoken week ----------------------------------------------------------------------


def test_how_am_i_doing_sums_up_the_last_seven_days(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    simulate(content, history, "2026-11-20T08:00", "2 start hamstring stretch\n")  # a week ago: left out
    simulate(content, history, "2026-11-23T08:00", FULL_HAMSTRING_WITH_PAIN)  # Monday
    simulate(content, history, "2026-11-25T19:00", CORE_THEN_SKIPPED_PSOAS)  # Wednesday
    simulate(content, history, "2026-11-26T19:00", "2 start core exercise\n20 it hurts\n25 stop\n")
    said = simulate(content, history, "2026-11-27T07:00", "3 how am i doing\n")  # Friday
    assert said[-1] == (
        "In the last seven days you had three sessions and completed the hamstring stretch once"
        " and the core exercise once. You reported pain yesterday during the core exercise"
        " and on Monday during the hamstring stretch."
    )
    later = simulate(content, history, "2026-12-02T07:00", "2 what did i do this week\n")
    assert later[-1] == (
        "In the last seven days you had one session, but did not finish an exercise yet."
        " You reported pain on Thursday during the core exercise."
    )


def test_the_week_counts_the_session_in_progress(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    script = "20 how am i doing\n40 start core exercise\n250 how am i doing\n"
    said = simulate(content, history, "2026-11-27T07:00", script)
    summaries = [text for text in said if "seven days" in text]
    assert summaries == [
        "I have no sessions from the last seven days yet. Say start routine to begin one.",
        "In the last seven days you had one session and completed the core exercise once."
        " No pain reported. Well done.",
    ]


def test_without_a_history_the_coach_says_so(content: Content) -> None:
    assert spoken(content, "2 how am i doing\n", None)[-1] == content.lines.history_off


# ----- the history command ------------------------------------------------------------------


def test_table_lists_sessions_and_where_it_hurt(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    simulate(content, history, "2026-11-23T09:00", FULL_HAMSTRING_WITH_PAIN)
    result = run_cli("history", "--history", str(history), "--days", "3650")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("Mon 23 Nov 2026  09:00-09:0")
    assert "hamstring (L R, 2 holds 60s, done)" in lines[1]
    assert lines[2] == '    pain 09:00 hamstring left step 5: "ouch"'
    recent = run_cli("history", "--history", str(history), "--days", "7")
    assert recent.stdout.strip() == "No sessions recorded in this period."


def test_csv_export_has_a_row_per_exercise(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    simulate(content, history, "2026-11-23T09:00", FULL_HAMSTRING_WITH_PAIN)
    simulate(content, history, "2026-11-25T09:00", CORE_THEN_SKIPPED_PSOAS)
    exported = tmp_path / "export.csv"
    result = run_cli("history", "--history", str(history), "--days", "3650", "--csv", str(exported))
    assert result.returncode == 0, result.stderr
    with exported.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["date"], row["exercise"], row["completed"], row["skipped"]) for row in rows] == [
        ("2026-11-23", "hamstring", "True", "False"),
        ("2026-11-25", "transversus_abdominis", "True", "False"),
        ("2026-11-25", "psoas", "False", "True"),
    ]
    assert rows[0]["sides"] == "left right" and rows[0]["seconds_held"] == "60"
    assert rows[0]["pain_reports"] == "1" and rows[0]["pain_words"] == "ouch"
    assert rows[1]["repetitions"] == "8"


def test_chart_is_a_png_and_a_missing_matplotlib_is_one_line(content: Content, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    history = tmp_path / "h.sqlite3"
    simulate(content, history, "2026-11-23T09:00", FULL_HAMSTRING_WITH_PAIN)
    chart = tmp_path / "week.png"
    result = run_cli("history", "--history", str(history), "--days", "3650", "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    arguments = ["history", "--history", str(history), "--chart", str(tmp_path / "x.png")]
    without = subprocess.run(
        [sys.executable, "-c",
         "import sys; sys.modules['matplotlib'] = None; from voice.apps.cli import main;"
         f" sys.exit(main({arguments!r}))"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert without.returncode == 1
    assert without.stderr.strip().splitlines() == [
        "stretch-coach: error: drawing a chart needs matplotlib; install it with:"
        " pip install 'stretch-coach[chart]'"
    ]


def test_forget_asks_first_and_deletes_everything(content: Content, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    simulate(content, history, "2026-11-23T09:00", FULL_HAMSTRING_WITH_PAIN)
    simulate(content, history, "2026-11-24T09:00", CORE_THEN_SKIPPED_PSOAS)
    declined = run_cli("history", "--history", str(history), "--forget", stdin="no\n")
    assert declined.returncode == 1
    assert "Delete all 2 sessions" in declined.stdout and "Nothing was deleted." in declined.stdout
    assert len(sessions_json(history)) == 2
    confirmed = run_cli("history", "--history", str(history), "--forget", stdin="yes\n")
    assert confirmed.returncode == 0 and "Deleted 2 sessions." in confirmed.stdout
    assert sessions_json(history) == []
    simulate(content, history, "2026-11-25T09:00", FULL_HAMSTRING_WITH_PAIN)
    skipped_question = run_cli("history", "--history", str(history), "--forget", "--yes")
    assert skipped_question.returncode == 0 and "Deleted 1 sessions." in skipped_question.stdout
    assert sessions_json(history) == []
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_no_history_yet_is_said_plainly(tmp_path: Path) -> None:
    result = run_cli("history", "--history", str(tmp_path / "none.sqlite3"))
    assert result.returncode == 0
    assert result.stdout.startswith("No sessions recorded yet")
    assert not (tmp_path / "none.sqlite3").exists()
    assert run_cli("history", "--days", "0").returncode == 1


def test_an_empty_file_is_given_the_schema_and_reopening_keeps_what_was_kept(
    content: Content, tmp_path: Path,
) -> None:
    history = tmp_path / "h.sqlite3"
    history.touch()
    simulate(content, history, "2026-11-23T09:00", FULL_HAMSTRING_WITH_PAIN)
    simulate(content, history, "2026-11-24T09:00", FULL_HAMSTRING_WITH_PAIN)
    with closing(sqlite3.connect(history)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store = HistoryStore.open(history, readonly=True)
    try:
        assert [record.started.day for record in store.sessions()] == [23, 24]
    finally:
        store.close()
