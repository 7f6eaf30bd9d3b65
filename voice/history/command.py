"""``stretch-coach history``: show, export, chart or forget the sessions kept on the device."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from voice.errors import CoachError
from voice.history.report import draw_chart, session_json, summarise, table, write_csv
from voice.history.store import HistoryStore, default_history_path

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
"""``history`` covers this many days, today included, unless told otherwise."""


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


def run_history(options: HistoryOptions, now: datetime, stdin: IO[str], stdout: IO[str]) -> int:
    """Carry out ``options``; returns the exit status (a HistoryError is one line for the caller)."""
    days = DEFAULT_DAYS if options.days is None else options.days
    if days < 1:
        raise CoachError(f"--days {days} must be at least 1")
    path = options.path or default_history_path()
    if options.forget:
        return _forget(path, options.yes, stdin, stdout)
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
        log.info("wrote %s", options.csv)
    if options.chart:
        draw_chart(summaries, options.chart, first, now.date())
        log.info("wrote %s", options.chart)
    return 0


def _forget(path: Path, yes: bool, stdin: IO[str], stdout: IO[str]) -> int:
    if not path.exists():
        stdout.write(f"Nothing to forget ({path} does not exist).\n")
        return 0
    store = HistoryStore.open(path)
    try:
        if not yes:
            count = len(store.sessions())
            stdout.write(f"Delete all {count} sessions kept in {path}? Type yes to confirm: ")
            stdout.flush()
            if stdin.readline().strip().lower() not in ("y", "yes"):
                stdout.write("Nothing was deleted.\n")
                return 1
        forgotten = store.forget()
    finally:
        store.close()
    stdout.write(f"Deleted {forgotten} sessions.\n")
    return 0
