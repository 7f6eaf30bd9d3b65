"""Settings of the dialogue and the counting, as frozen dataclasses built once."""

from __future__ import annotations

from dataclasses import dataclass

from voice.confidence import CONFIRM_BELOW

DEFAULT_WPM = 150
"""Starting speech rate in words per minute: espeak-ng's own default, clear from across a room."""
SLOWEST_WPM = 100
"""Slowest speech rate offered; slower, espeak-ng drags words apart."""
FASTEST_WPM = 225
"""Fastest speech rate offered; faster is hard to follow while moving."""


@dataclass(frozen=True)
class CountCadence:
    """When a hold is counted aloud."""

    every: int = 5
    """Count every this many seconds through the hold."""
    final: int = 5
    """Count every second for this many seconds at the end of the hold."""

    def seconds(self, hold: int) -> tuple[int, ...]:
        """The seconds of a ``hold``-second hold that get a count, ending with ``hold``."""
        counted = {n for n in range(1, hold + 1) if self.every and n % self.every == 0}
        counted |= set(range(max(1, hold - self.final + 1), hold + 1))
        counted.add(hold)
        return tuple(sorted(counted))


@dataclass(frozen=True)
class CoachSettings:
    """How the coach paces and phrases a session."""

    cadence: CountCadence = CountCadence()
    """When holds are counted."""
    switch_seconds: float = 6.0
    """Time given to change position when switching sides."""
    confirm_below: float = CONFIRM_BELOW
    """An exercise name heard with less confidence than this is confirmed first."""
    rate: int = DEFAULT_WPM
    """Starting speech rate in words per minute."""
    rate_step: int = 25
    """How much ``slower``/``faster`` change the rate."""
    min_rate: int = SLOWEST_WPM
    """Slowest speech rate."""
    max_rate: int = FASTEST_WPM
    """Fastest speech rate."""
    typed: bool = False
    """Commands are typed, so every line that is not a command gets an answer."""
    say_again_gap: float = 15.0
    """Least time between two spoken "say that again" answers, in seconds."""
    volume: float = 1.0
    """Starting loudness, 0.0 to 1.0 (1.0 is the synthesiser's full level)."""
    volume_step_db: float = 4.0
    """How much ``louder``/``quieter`` change the loudness, in decibels."""
    min_volume: float = 0.1
    """Quietest loudness ``quieter`` goes down to."""
