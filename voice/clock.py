"""Clocks: the real monotonic one and a virtual one for simulation and tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Seconds since the session started."""

    def now(self) -> float:
        """Current time in seconds from the session start."""
        ...


class MonotonicClock:
    """Wall time from ``time.monotonic``, counted from construction."""

    def __init__(self) -> None:
        self._origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._origin

    def at(self, session_time: float) -> float:
        """The ``time.monotonic`` value of a session time."""
        return self._origin + session_time


class VirtualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        """Move forward to ``when``; never backward."""
        self._now = max(self._now, when)
