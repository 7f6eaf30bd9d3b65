"""PortAudio's device list, read again after a device has been gone a while: PortAudio lists devices
only when initialised, so a USB microphone or speaker plugged back in (perhaps under another card
number) is found only after re-initialising it, which is safe only while no stream is open."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

LOCK = threading.RLock()
"""Held while a stream is opened and while PortAudio is re-initialised, so the two never overlap."""


@dataclass(frozen=True)
class Patience:
    """How long a lost device is waited for."""

    refresh_after: float = 3.0
    """Seconds gone before PortAudio's device list is read again (then again at each attempt)."""
    give_up_after: float = 120.0
    """Seconds gone before the session ends with a non-zero status (a service manager restarts it)."""


class _Streams:
    """How many PortAudio streams are open in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0

    def opened(self) -> None:
        with self._lock:
            self.open += 1

    def closed(self) -> None:
        with self._lock:
            self.open = max(0, self.open - 1)


STREAMS = _Streams()


def refresh() -> bool:
    """Re-initialise PortAudio so it lists the devices anew; False (nothing done) while a stream is open."""
    with LOCK:
        if STREAMS.open:
            log.debug("not re-reading the audio devices: %d stream(s) still open", STREAMS.open)
            return False
        try:
            import sounddevice as sd
        except (ImportError, OSError):
            return False
        sd._terminate()  # sounddevice has no public way to re-initialise PortAudio
        sd._initialize()
    log.info("re-read the list of audio devices")
    return True


class Outage:
    """One device's absence: when to read the device list again, and when to stop waiting."""

    def __init__(self, patience: Patience) -> None:
        self._patience = patience
        self._since = time.monotonic()

    @property
    def seconds(self) -> float:
        """How long the device has been gone."""
        return time.monotonic() - self._since

    def refresh_due(self) -> bool:
        """Gone long enough for the device list to be read again."""
        return self.seconds >= self._patience.refresh_after

    def hopeless(self) -> bool:
        """Gone too long to wait any more."""
        return self.seconds >= self._patience.give_up_after
