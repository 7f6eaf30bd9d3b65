"""Records a session into the history by watching what it hears, says and does."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from voice.clock import Clock
from voice.coach.actions import CountMark, StateChange
from voice.coach.messages import NONE, Intent
from voice.coach.states import ACTIVE_STATES, TIMED_STATES, State
from voice.content import Content, IntentName
from voice.history.report import spoken_summary, summarise
from voice.history.store import EventKind, HistoryError, HistoryEvent, HistoryStore

log = logging.getLogger(__name__)

RUNNING_STATES = frozenset({*ACTIVE_STATES, State.PAUSED, State.SAFETY})
"""States in which an exercise is under way."""

SUMMARY_DAYS = 7
"""The spoken summary covers this many days, today included."""

TYPED = frozenset({"text", "simulate"})
"""Engines whose words were typed: only there are the words of what was no command kept."""


@dataclass(frozen=True)
class HistoryTarget:
    """Where and how a session is recorded."""

    path: Path | None
    """The history file; None records nothing."""
    started: datetime
    """The wall-clock time of the session start (session second 0)."""
    engine: str
    """The recogniser in use, or ``text`` / ``simulate``."""
    keep_days: int = 0
    """Sessions started more than this many days before this one are deleted at its start (0: none)."""


class HistoryRecorder:
    """Writes each event as it happens; on any fault it logs once and the session goes on without it."""

    def __init__(self, content: Content, clock: Clock, target: HistoryTarget) -> None:
        self._content = content
        self._clock = clock
        self._started = target.started
        self._store: HistoryStore | None = None
        self._session = 0
        self._where: StateChange | None = None
        self._exercise: str | None = None
        self._side: str | None = None
        self._sides_done: set[str | None] = set()
        self._new_run = False
        self._typed = target.engine in TYPED
        if target.path is not None:
            self._guarded(lambda: self._open(target))

    @property
    def recording(self) -> bool:
        """Whether events are still being written."""
        return self._store is not None

    def _open(self, target: HistoryTarget) -> None:
        assert target.path is not None
        store = HistoryStore.open(target.path)
        try:
            if target.keep_days:
                pruned = store.prune(target.started - timedelta(days=target.keep_days))
                if pruned:
                    log.info("history: deleted %d sessions older than %d days", pruned, target.keep_days)
            self._session = store.start_session(target.started, target.engine)
        except HistoryError:
            store.close()
            raise
        self._store = store

    def _guarded(self, write: Callable[[], None]) -> None:
        try:
            write()
        except HistoryError as error:
            log.warning("history is off for this session: %s", error)
            if self._store is not None:
                self._store.close()
            self._store = None

    def _write(self, event: HistoryEvent) -> None:
        store = self._store
        if store is not None:
            self._guarded(lambda: store.add(self._session, event))

    # ----- what the session reports -------------------------------------------------------

    def heard(self, t: float, intent: Intent) -> None:
        """Something was heard: pain, skips and things not understood are recorded."""
        where = self._where if self._where and self._where.state in RUNNING_STATES else None
        if intent.name == NONE:
            # Counted only: spoken, it may be anyone in the room talking.
            words = intent.transcript if self._typed else None
            self._write(HistoryEvent(t, EventKind.NOT_UNDERSTOOD, words=words))
        elif intent.name == IntentName.PAIN:
            self._write(HistoryEvent(
                t, EventKind.PAIN, exercise=where.exercise if where else None,
                side=where.side if where else None, step=where.step if where else None,
                words=intent.transcript,
            ))
        elif intent.name == IntentName.SKIP and where and self._exercise:
            self._write(HistoryEvent(t, EventKind.SKIP, exercise=self._exercise, side=self._side))
        elif intent.name in (IntentName.START, IntentName.ROUTINE) or (
            intent.name == IntentName.YES and self._confirming()
        ):
            self._new_run = True

    def state(self, t: float, change: StateChange) -> None:
        """The coach changed state: exercises, sides, pauses and finished sides are recorded."""
        previous, self._where = self._where, change
        if change.state == State.CONFIRMING:
            self._new_run = False
        if change.state in (State.IDLE, State.STOPPED):
            self._exercise = None
            return
        if change.exercise is None:
            return
        if change.exercise != self._exercise or self._new_run:
            self._begin_exercise(t, change.exercise)
        if change.side != self._side:
            self._side = change.side
            if change.side is not None:
                self._write(HistoryEvent(t, EventKind.SIDE, exercise=change.exercise, side=change.side))
        if change.state == State.PAUSED and (previous is None or previous.state != State.PAUSED):
            self._write(HistoryEvent(
                t, EventKind.PAUSE, exercise=change.exercise, side=change.side, step=change.step
            ))
        if change.state == State.MOVING and self._is_last_step(change):
            self._side_done(t, change)

    def count(self, t: float, mark: CountMark) -> None:
        """A spoken count; the last one of a hold or set records it as done."""
        where = self._where
        if where is None or mark.n != mark.of or where.state not in TIMED_STATES:
            return
        kind = EventKind.HOLD if where.state == State.HOLDING else EventKind.REPS
        self._write(HistoryEvent(
            t, kind, exercise=where.exercise, side=where.side, step=where.step, amount=mark.of
        ))

    def closed(self, t: float) -> None:
        """The session ended cleanly."""
        store = self._store
        if store is not None:
            self._guarded(lambda: store.end_session(self._session, self._wall(t)))
        if self._store is not None:
            self._store.close()
            self._store = None

    # ----- what the dialogue asks ---------------------------------------------------------

    def weekly_summary(self) -> str:
        """The spoken summary of the last seven days, up to now on the session's clock."""
        lines = self._content.lines
        store = self._store
        if store is None:
            return lines.history_off
        now = self._wall(self._clock.now())
        first_day = now.date() - timedelta(days=SUMMARY_DAYS - 1)
        since = datetime.combine(first_day, datetime.min.time(), now.tzinfo)
        try:
            records = store.sessions(since)
        except HistoryError as error:
            log.warning("the history cannot be read: %s", error)
            return lines.history_off
        return spoken_summary([summarise(record) for record in records], now, self._content)

    # ----- helpers ------------------------------------------------------------------------

    def _wall(self, t: float) -> datetime:
        return self._started + timedelta(seconds=t)

    def _confirming(self) -> bool:
        return self._where is not None and self._where.state == State.CONFIRMING

    def _begin_exercise(self, t: float, exercise: str) -> None:
        self._exercise, self._side, self._new_run = exercise, None, False
        self._sides_done = set()
        self._write(HistoryEvent(t, EventKind.EXERCISE, exercise=exercise))

    def _is_last_step(self, change: StateChange) -> bool:
        assert change.exercise is not None
        try:
            steps = len(self._content.exercise(change.exercise).steps)
        except KeyError:
            return False
        return change.step == steps

    def _side_done(self, t: float, change: StateChange) -> None:
        if change.side in self._sides_done:
            return
        self._sides_done.add(change.side)
        self._write(HistoryEvent(t, EventKind.SIDE_DONE, exercise=change.exercise, side=change.side))
        exercise = self._content.exercise(str(change.exercise))
        if self._sides_done >= set(exercise.sides):
            self._write(HistoryEvent(t, EventKind.DONE, exercise=change.exercise))
