"""The real-time loop: one thread owns the session; devices and readers post work to it."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Protocol

from voice.clock import Clock
from voice.coach.session import Session

IDLE_WAKE_SECONDS = 0.25
"""Longest the loop sleeps when nothing is scheduled, so a stop request is seen promptly."""


class Timed(Protocol):
    """Something with its own deadline on the session clock."""

    @property
    def deadline(self) -> float | None:
        """When ``on_time`` next has work, or None."""

    def on_time(self) -> None:
        """Do whatever is due."""


class RealtimeLoop:
    """Runs a session against a real clock; thread-safe ``post`` hands it work."""

    def __init__(self, session: Session, clock: Clock, timed: list[Timed] | None = None) -> None:
        self._session = session
        self._clock = clock
        self._timed = timed or []
        self._inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self._running = False
        self._interrupted = False
        self._done_when: Callable[[], bool] | None = None

    def add_timed(self, timed: Timed) -> None:
        """Also serve ``timed``'s deadlines."""
        self._timed.append(timed)

    def post(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the loop's thread (callable from any thread)."""
        self._inbox.put(work)

    def stop(self) -> None:
        """Ask the loop to return (callable from any thread)."""
        self.post(self._halt)

    def interrupt(self) -> None:
        """Ask the loop to return; safe in a signal handler (it only sets a flag, seen within a wake-up)."""
        self._interrupted = True

    def stop_when(self, done: Callable[[], bool]) -> None:
        """Return once ``done()`` holds (checked on the loop's thread after each wake-up)."""
        self.post(lambda: setattr(self, "_done_when", done))

    def _halt(self) -> None:
        self._running = False

    def run(self) -> None:
        """Serve posted work and timers until ``stop``."""
        self._running = True
        while self._running and not self._interrupted:
            try:
                work = self._inbox.get(timeout=self._sleep_time())
            except queue.Empty:
                pass
            else:
                work()
            for timed in self._timed:
                timed.on_time()
            self._session.tick()
            if self._done_when is not None and self._done_when():
                self._running = False
        self._interrupted = False

    def _sleep_time(self) -> float:
        deadlines = [self._session.coach.deadline, *(timed.deadline for timed in self._timed)]
        due = [deadline for deadline in deadlines if deadline is not None]
        if not due:
            return IDLE_WAKE_SECONDS
        return min(IDLE_WAKE_SECONDS, max(0.0, min(due) - self._clock.now()))
