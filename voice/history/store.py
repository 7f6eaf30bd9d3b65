"""The session history on the device: a SQLite file with a schema version, one row per event."""

from __future__ import annotations

import logging
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from voice import APP_NAME
from voice.errors import CoachError
from voice.private import create_private, data_folder, held_elsewhere, hold_shared, private_folder, restrict

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 0.5
"""How long a write waits for another program's lock before giving up (the coach must not stall)."""

SYNCHRONOUS = "NORMAL"
"""With WAL, every commit survives the coach being killed; only a power cut may lose the last few (the
file stays sound). FULL would also wait for the disk on every event, stalling the coach (bench_history)."""

NEARLY_FULL_BYTES = 1 << 20
"""Less free space than this on the history's disk is reported as a full disk."""

SQLITE_MAGIC = b"SQLite format 3\0"
"""How every SQLite file starts."""

SQLITE_HEADER_BYTES = 100
"""Length of an SQLite file's header."""

USER_VERSION_OFFSET = 60
"""Where the header keeps ``PRAGMA user_version`` (4 bytes, big-endian): the schema version."""

CHECKPOINT_TRIES = 20
"""How often ``forget`` tries to empty the write-ahead log while a running coach reads (0.1 s apart)."""

MAX_AMOUNT = 1_000_000
"""Largest seconds or repetitions a sound history row holds."""

MIN_YEAR, MAX_YEAR = 1970, 2999
"""Years a sound session starts in."""

MIGRATIONS = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended TEXT,
        engine TEXT NOT NULL
    );
    CREATE INDEX sessions_by_start ON sessions (started_at);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        t REAL NOT NULL,
        kind TEXT NOT NULL,
        exercise TEXT,
        side TEXT,
        step INTEGER,
        amount INTEGER,
        words TEXT
    );
    CREATE INDEX events_by_session ON events (session, id);
    """,
)
"""Schema changes in order: entry N takes a file from version N to N + 1."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The newest schema this coach reads and writes."""


class HistoryError(CoachError):
    """The history file cannot be opened, read or written; the message says how to fix it."""


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` did."""

    sessions: int
    """How many sessions were deleted."""
    cleared: bool
    """The deleted rows were overwritten and the write-ahead log emptied (False: a reader kept it)."""


class EventKind(StrEnum):
    """What a history event records."""

    EXERCISE = "exercise"
    SIDE = "side"
    HOLD = "hold"
    REPS = "reps"
    SIDE_DONE = "side_done"
    DONE = "done"
    SKIP = "skip"
    PAUSE = "pause"
    PAIN = "pain"
    NOT_UNDERSTOOD = "not_understood"


@dataclass(frozen=True)
class HistoryEvent:
    """One thing that happened in a session."""

    t: float
    """Seconds from the session start."""
    kind: EventKind
    """What happened."""
    exercise: str | None = None
    """Exercise id, when one was running."""
    side: str | None = None
    """``left``/``right``, or None."""
    step: int | None = None
    """1-based step number within the side, if on a step."""
    amount: int | None = None
    """Seconds held (holds) or repetitions done (sets)."""
    words: str | None = None
    """What the person said (pain reports, things not understood)."""


@dataclass(frozen=True)
class SessionRecord:
    """A session as stored, with its events in the order they happened."""

    id: int
    """Row id."""
    started: datetime
    """When it started (local time with its offset)."""
    ended: datetime | None
    """When it ended cleanly; None if the coach was stopped abruptly."""
    engine: str
    """The recogniser in use (``text`` when typed, ``simulate`` on a virtual clock)."""
    events: tuple[HistoryEvent, ...]
    """Everything recorded, oldest first."""


def default_history_path() -> Path:
    """The history file in the person's data folder."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "history.sqlite3"


def explain(path: Path, error: sqlite3.Error | OSError) -> str:
    """One line saying what is wrong with the history file and how to fix it."""
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return f"{path}: the history is locked by another program; close it and try again"
    if "readonly" in lowered or "read-only" in lowered or isinstance(error, PermissionError):
        return f"{path}: the history file is read-only; make it writable or use --history FILE"
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return f"{path}: the history file is damaged ({text}); move it aside and a new one will be started"
    if "full" in lowered or "no space" in lowered or _disk_nearly_full(path):
        return f"{path}: the disk is full; free some space so the history can be kept"
    if "unable to open" in lowered or isinstance(error, OSError):
        return f"{path}: cannot open the history file ({text}); check its folder or use --history FILE"
    return f"{path}: the history cannot be used: {text}"


def _disk_nearly_full(path: Path) -> bool:
    """SQLite reports a full disk as an I/O error when its shared-memory file cannot grow."""
    try:
        return shutil.disk_usage(path.parent).free < NEARLY_FULL_BYTES
    except OSError:
        return False


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    """Turn SQLite and file errors into a HistoryError with a fix."""
    try:
        yield
    except (sqlite3.Error, OSError) as error:
        raise HistoryError(explain(path, error)) from error


class HistoryStore:
    """The history file; every write is committed at once."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: int | None = None) -> None:
        self.path = path
        self._db = connection
        self._lock = lock

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> HistoryStore:
        """Open (creating and migrating unless ``readonly``) the history at ``path``."""
        lock = None
        with _translated(path):
            _refuse_newer(path, _stored_version(path))
            if readonly:
                _narrow(path)
                connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                             isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
            else:
                _private_files(path)
                lock = hold_shared(path)  # closed after SQLite's descriptors: see hold_shared
                connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            with _translated(path):
                _prepare(path, connection, readonly)
                if not readonly:
                    _narrow(path)
        except BaseException:
            _close(connection, lock)
            raise
        return cls(path, connection, lock)

    def close(self) -> None:
        """Close the file."""
        _close(self._db, self._lock)

    def start_session(self, started: datetime, engine: str) -> int:
        """Add a session starting at ``started``; returns its id."""
        with _translated(self.path):
            cursor = self._db.execute(
                "INSERT INTO sessions (started, started_at, engine) VALUES (?, ?, ?)",
                (started.isoformat(timespec="seconds"), started.timestamp(), engine),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add(self, session: int, event: HistoryEvent) -> None:
        """Record one event of ``session``."""
        with _translated(self.path):
            self._db.execute(
                "INSERT INTO events (session, t, kind, exercise, side, step, amount, words)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session, round(event.t, 3), event.kind.value, event.exercise, event.side,
                 event.step, event.amount, event.words),
            )

    def end_session(self, session: int, ended: datetime) -> None:
        """Mark ``session`` as ended cleanly."""
        with _translated(self.path):
            self._db.execute(
                "UPDATE sessions SET ended = ? WHERE id = ?", (ended.isoformat(timespec="seconds"), session)
            )

    def sessions(self, since: datetime | None = None) -> list[SessionRecord]:
        """Sessions started at or after ``since`` (all when None), oldest first."""
        with _translated(self.path):
            if not _has_tables(self._db):
                return []
            rows = self._db.execute(
                "SELECT id, started, ended, engine FROM sessions"
                " WHERE started_at >= ? ORDER BY started_at, id",
                (since.timestamp() if since else float("-inf"),),
            ).fetchall()
            return [self._session(*row) for row in rows]

    def session_count(self) -> int:
        """How many sessions are kept (damaged or not)."""
        with _translated(self.path):
            if not _has_tables(self._db):
                return 0
            count: int = self._db.execute("SELECT count(*) FROM sessions").fetchone()[0]
            return count

    def forget(self) -> Forgotten:
        """Delete every session and event, overwriting them and emptying the write-ahead log."""
        with _translated(self.path):
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                count: int = self._db.execute("SELECT count(*) FROM sessions").fetchone()[0]
                self._db.execute("DELETE FROM events")
                self._db.execute("DELETE FROM sessions")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("VACUUM")
            return Forgotten(count, self._empty_log())

    def prune(self, before: datetime) -> int:
        """Delete (overwriting) the sessions started before ``before``; returns how many went."""
        old = (before.timestamp(),)
        with _translated(self.path):
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "DELETE FROM events WHERE session IN (SELECT id FROM sessions WHERE started_at < ?)", old
                )
                count = self._db.execute("DELETE FROM sessions WHERE started_at < ?", old).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if count:  # the deleted words may still be in the write-ahead log's older frames
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return count

    def _empty_log(self) -> bool:
        """Copy the log into the file and cut it to nothing; True once no reader held it back."""
        for _ in range(CHECKPOINT_TRIES):
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.1)
        return False

    def _session(self, session_id: int, started: object, ended: object, engine: object) -> SessionRecord:
        rows = self._db.execute(
            "SELECT id, t, kind, exercise, side, step, amount, words FROM events"
            " WHERE session = ? ORDER BY id", (session_id,),
        ).fetchall()
        events = tuple(_event(self.path, row) for row in rows)
        return SessionRecord(
            session_id, _moment(self.path, session_id, started),
            _moment(self.path, session_id, ended) if ended else None,
            _field(self.path, f"session {session_id}", "engine", engine, str), events,
        )


def _damaged(path: Path, where: str, what: str) -> HistoryError:
    return HistoryError(
        f"{path}: the history is damaged ({where}: {what}); move it aside and a new one will be started"
    )


def _field(path: Path, where: str, name: str, value: object, kind: Any) -> Any:
    """``value`` when it is a ``kind`` (optional numbers may be None), else a HistoryError."""
    if value is None and kind is int:
        return None
    sound = isinstance(value, kind) and not isinstance(value, bool)
    if sound and isinstance(value, int) and not 0 <= value <= MAX_AMOUNT:
        sound = False
    if not sound:
        raise _damaged(path, where, f"{name} {value!r}")
    return value


def _event(path: Path, row: tuple[object, ...]) -> HistoryEvent:
    """One stored event, checked: a damaged row is a HistoryError, never a crash later."""
    event_id, t, kind, exercise, side, step, amount, words = row
    where = f"event {event_id}"
    if not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t) or abs(t) > MAX_AMOUNT:
        raise _damaged(path, where, f"time {t!r}")
    if kind not in EventKind.__members__.values():
        raise _damaged(path, where, f"kind {kind!r}")
    what = EventKind(str(kind))
    return HistoryEvent(
        float(t), what, _field(path, where, "exercise", exercise, str | None),
        _field(path, where, "side", side, str | None), _field(path, where, "step", step, int),
        _field(path, where, "amount", amount, int), _field(path, where, "words", words, str | None),
    )


def _moment(path: Path, session_id: int, value: object) -> datetime:
    """A stored date and time, checked."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:  # so that adding seconds cannot overflow
        raise _damaged(path, f"session {session_id}", f"time {value!r}")
    return moment


def in_use(path: Path) -> bool:
    """Whether a coach is recording into this history now (it holds a shared lock on the file)."""
    return held_elsewhere(path)


def _close(connection: sqlite3.Connection, lock: int | None) -> None:
    connection.close()
    if lock is not None:
        os.close(lock)


def _private_files(path: Path) -> None:
    """The history's folder and file owner-only before SQLite makes its log files (they copy the mode)."""
    if path.parent == default_history_path().parent:
        data_folder(path.parent)
    else:
        private_folder(path.parent)
    create_private(path)


def _narrow(path: Path) -> None:
    """The history and its log files owner-only, whatever an older coach made them."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        restrict(file)


def _prepare(path: Path, db: sqlite3.Connection, readonly: bool) -> None:
    """Check the schema version before anything is written, then migrate (a newer file is left as it is)."""
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    _refuse_newer(path, version)
    if readonly:
        if version < SCHEMA_VERSION and _has_tables(db):
            raise HistoryError(f"{path}: this history is in an older format; run the coach once to update it")
        return
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    db.execute("PRAGMA foreign_keys = ON")
    for number in range(version, SCHEMA_VERSION):
        db.executescript(f"BEGIN; {MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;")
        log.debug("history %s migrated to format %d", path, number + 1)


def _stored_version(path: Path) -> int:
    """The file's schema version, read without writing anything, so a newer coach's file stays as it was."""
    if not path.is_file() or path.stat().st_size == 0:
        return 0
    if Path(f"{path}-wal").exists():
        reader = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version: int = reader.execute("PRAGMA user_version").fetchone()[0]
        finally:
            reader.close()
        return version
    with path.open("rb") as stream:
        header = stream.read(SQLITE_HEADER_BYTES)
    if not header.startswith(SQLITE_MAGIC):
        return 0  # SQLite itself says what is wrong with it
    return int.from_bytes(header[USER_VERSION_OFFSET : USER_VERSION_OFFSET + 4], "big")


def _refuse_newer(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: this history was written by a newer Stretch Coach (format {version}, this one "
            f"reads up to {SCHEMA_VERSION}); update the coach or use --history FILE. The file was not changed"
        )


def _has_tables(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sessions'").fetchone()
    return bool(row[0])
