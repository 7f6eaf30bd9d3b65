"""Growing waits between attempts to restart something that keeps failing, and when to give up."""

from __future__ import annotations

import time
from collections.abc import Callable

FIRST_SECONDS = 1.0
"""Wait after the first failed attempt; each further failure doubles it."""
LONGEST_SECONDS = 60.0
"""The wait grows no further than this."""
GIVE_UP_AFTER = 6
"""Attempts in a row (immediate, then after 1, 2, 4, 8 and 16 s) before the failure is taken as lasting."""
STABLE_SECONDS = 60.0
"""Working this long since the last attempt counts as recovered: the waits start from the beginning."""


class Backoff:
    """Decides when the next attempt may be made: at once, then 1, 2, 4 ... 60 s after the last one."""

    def __init__(
        self, first: float = FIRST_SECONDS, longest: float = LONGEST_SECONDS,
        give_up_after: int = GIVE_UP_AFTER, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first = first
        self._longest = longest
        self._give_up_after = give_up_after
        self._clock = clock
        self.attempts = 0
        """Attempts since the last recovery."""
        self._last = 0.0

    @property
    def wait(self) -> float:
        """Seconds between the last attempt and the next (0 before the first)."""
        if self.attempts == 0:
            return 0.0
        return min(self._longest, self._first * float(2 ** (self.attempts - 1)))

    def due(self) -> bool:
        """Whether an attempt may be made now."""
        return self.attempts == 0 or self._clock() - self._last >= self.wait

    def attempt(self) -> None:
        """An attempt is being made now."""
        self.attempts += 1
        self._last = self._clock()

    @property
    def exhausted(self) -> bool:
        """Too many attempts in a row: the failure is lasting."""
        return self.attempts >= self._give_up_after

    def working(self) -> None:
        """The thing works; once it has for ``STABLE_SECONDS`` after an attempt, the waits start over."""
        if self.attempts and self._clock() - self._last >= STABLE_SECONDS:
            self.attempts = 0
