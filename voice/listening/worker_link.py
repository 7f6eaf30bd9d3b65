"""Sending to a worker process without ever blocking the sender: a thread of its own does the
sending, and a send that takes longer than ``HUNG_SECONDS`` marks the worker as hung."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

HUNG_SECONDS = 2.0
"""A worker that takes no message, or answers nothing, for this long while using no processor time is hung."""
QUEUE_MESSAGES = 500
"""Messages waiting to be sent (10 s of 20 ms audio blocks) before the worker counts as hung."""


class TimedSender:
    """Sends messages on a connection from a thread of its own; ``send`` never blocks."""

    def __init__(self, connection: Connection, limit: float = HUNG_SECONDS) -> None:
        self._connection = connection
        self._limit = limit
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_MESSAGES)
        self._since: float | None = None
        self._full = self._broken = False
        self._thread = threading.Thread(target=self._run, name="recognizer-send", daemon=True)
        self._thread.start()

    def send(self, message: Any) -> bool:
        """Queue ``message``; False when the worker is gone or not keeping up."""
        if self._broken:
            return False
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            self._full = True
            return False
        return True

    @property
    def hung(self) -> bool:
        """A send has taken longer than the limit, or messages pile up unsent."""
        since = self._since
        return self._full or (since is not None and time.monotonic() - since > self._limit)

    @property
    def broken(self) -> bool:
        """The connection failed (the worker is gone)."""
        return self._broken

    def close(self) -> None:
        """End the thread once the queue is sent (or at once if the connection has failed)."""
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            self._since = time.monotonic()
            try:
                self._connection.send(message)
            except (OSError, ValueError):
                self._broken = True
                return
            finally:
                self._since = None


BUSY_SECONDS = 15.0
"""Longest a worker that is using the processor may stay silent (a decode on a loaded machine)."""


def _processor_ticks(pid: int) -> tuple[int, str] | None:
    """The process's processor time in clock ticks and its state letter, or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12]), fields[0]


class Liveness:
    """Tells a worker that is silent because it is busy (using the processor) from one that is stuck
    (paused, or waiting for something that never comes)."""

    def __init__(self, pid: int | None) -> None:
        self._pid = pid
        self._ticks: int | None = None
        self._moved = time.monotonic()

    def stuck(self, silent_for: float) -> bool:
        """Whether a worker silent for ``silent_for`` seconds should be taken for hung."""
        if silent_for <= HUNG_SECONDS:
            return False
        seen = None if self._pid is None else _processor_ticks(self._pid)
        if seen is None or seen[1] in "Tt":  # no way to tell (go by the silence), or paused by a signal
            return True
        now = time.monotonic()
        if seen[0] != self._ticks:
            self._ticks, self._moved = seen[0], now
        return now - self._moved > HUNG_SECONDS or silent_for > BUSY_SECONDS
