"""``stretch-coach history``: show, export, chart or forget the sessions kept on the device."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from voice.coach.actions import event_log_files
from voice.errors import CoachError
from voice.history.report import draw_chart, session_json, summarise, table, write_csv
from voice.history.store import HistoryStore, default_history_path, in_use
from voice.private import open_private

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
"""``history`` covers this many days, today included, unless told otherwise."""

MAX_DAYS = 36_525
"""``--days`` goes back at most a hundred years."""


@dataclass(frozen=True)
class HistoryOptions:
    """What ``stretch-coach history`` was asked to do."""

    path: Path | None
    """The history file; None for the one in the person's data folder."""
    days: int | None = None
    """How many days back, today included; None for DEFAULT_DAYS."""
    json: bool = False
    """Print one JSON object per session instead of the table."""
    csv: Path | None = None
    """Also write a CSV export here."""
    chart: Path | None = None
    """Also draw a chart of sessions per day here."""
    forget: bool = False
    """Delete everything instead."""
    yes: bool = False
    """Do not ask before forgetting."""
    events: Path | None = None
    """The event log the coach is set to write (``forget`` names it and its older copies)."""


def run_history(options: HistoryOptions, now: datetime, stdin: IO[str], stdout: IO[str]) -> int:
    """Carry out ``options``; returns the exit status (a HistoryError is one line for the caller)."""
    days = DEFAULT_DAYS if options.days is None else options.days
    if not 1 <= days <= MAX_DAYS:
        raise CoachError(f"--days {days} is out of range; use 1 to {MAX_DAYS}")
    path = options.path or default_history_path()
    if options.forget:
        return _forget(path, options, stdin, stdout)
    if not path.exists():
        stdout.write(f"No sessions recorded yet ({path} does not exist).\n")
        return 0
    first = now.date() - timedelta(days=days - 1)
    store = HistoryStore.open(path, readonly=True)
    try:
        since = datetime.combine(first, datetime.min.time(), now.tzinfo)
        summaries = [summarise(record) for record in store.sessions(since)]
    finally:
        store.close()
    if options.json:
        stdout.writelines(json.dumps(session_json(summary)) + "\n" for summary in summaries)
    else:
        stdout.write(table(summaries) + "\n")
    if options.csv:
        write_csv(summaries, options.csv)
        _remember_export(path, options.csv)
        log.info("wrote %s", options.csv)
    if options.chart:
        draw_chart(summaries, options.chart, first, now.date())
        _remember_export(path, options.chart)
        log.info("wrote %s", options.chart)
    return 0


def exports_list(history: Path) -> Path:
    """The file beside the history naming the exports written from it, for ``forget`` to point out."""
    return history.with_name(f"{history.name}.exports")


def _remember_export(history: Path, export: Path) -> None:
    listed = exports_list(history)
    try:
        known = listed.read_text(encoding="utf-8").splitlines() if listed.exists() else []
        if str(export.absolute()) not in known:
            with open_private(listed, "a") as stream:
                stream.write(f"{export.absolute()}\n")
    except (OSError, ValueError) as error:
        log.debug("%s: cannot note the export (%s)", listed, error)


def _left_behind(path: Path, events: Path | None) -> list[str]:
    """Other files that may hold what the history held: event logs and exports, as they exist now."""
    found = [f"event log: {log_file}" for log_file in event_log_files(events)] if events else []
    try:
        exports = exports_list(path).read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError):
        exports = []
    found += [f"export: {export}" for export in exports if export and Path(export).exists()]
    return found


def _forget(path: Path, options: HistoryOptions, stdin: IO[str], stdout: IO[str]) -> int:
    if not path.exists():
        stdout.write(f"Nothing to forget ({path} does not exist).\n")
        return 0
    if in_use(path):
        log.warning("a coach is running and recording into %s: what it records from now on is kept; "
                    "stop it first (systemctl --user stop stretch-coach) to delete everything", path)
    store = HistoryStore.open(path)
    try:
        if not options.yes:
            count = store.session_count()
            stdout.write(f"Delete all {count} sessions kept in {path}? Type yes to confirm: ")
            stdout.flush()
            if stdin.readline().strip().lower() not in ("y", "yes"):
                stdout.write("Nothing was deleted.\n")
                return 1
        forgotten = store.forget()
    finally:
        store.close()
    stdout.write(f"Deleted {forgotten.sessions} sessions.\n")
    if not forgotten.cleared:
        log.warning("%s-wal: a running coach kept the deleted rows in this file; run --forget again "
                    "once it has stopped", path)
    others = _left_behind(path, options.events)
    if others:
        stdout.write("Not touched (delete them yourself if they should go too):\n")
        stdout.writelines(f"  {other}\n" for other in others)
    return 0
