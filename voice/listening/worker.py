"""A recogniser in a process of its own, so a decoder that holds the GIL cannot starve the audio threads.

PocketSphinx decodes a whole utterance in one call that keeps the GIL for its full length (a
quarter of a second for four seconds of sound on the 2-core test machine). In the coach's own
process that stops the speaker's and the microphone's callbacks for as long: the sound card
underruns, the echo canceller loses track of what was played, and the count words come late.
Decoding in a second process frees the GIL and puts the decoder on the other core.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType

from voice.content import Content
from voice.errors import CoachError, ModelError
from voice.listening.backoff import Backoff
from voice.listening.engines import open_recognizer
from voice.listening.recognizer import ListenSettings, Transcript
from voice.listening.worker_link import Liveness, TimedSender
from voice.pcm import SAMPLE_BYTES, TARGET_RATE

log = logging.getLogger(__name__)

START_SECONDS = 60.0
"""Longest wait for the worker to load its model."""
PING_SECONDS = 0.5
"""How often a worker with nothing to do is asked whether it is still there."""
REPLAY_BYTES = 10 * TARGET_RATE * SAMPLE_BYTES
"""The current utterance's audio kept (10 s), to decode it again if its worker has to be replaced."""
NOTHING = Transcript("", 0.0, 0.0)
"""What an utterance gives when the worker failed while decoding it."""


class Op(Enum):
    """What the worker is asked to do."""

    ACCEPT = "accept"
    FINAL = "final"
    RESET = "reset"
    PING = "ping"
    CLOSE = "close"


@dataclass(frozen=True)
class Pong:
    """The worker's answer to a ping."""


@dataclass(frozen=True)
class Ready:
    """The worker's first message when its model is loaded (otherwise it sends the CoachError)."""

    engine: str
    """Engine name."""
    model: str
    """Which model is in use."""


def _heap_trimmer() -> Callable[[], object]:
    """glibc's ``malloc_trim``: gives the memory freed after a decode back to the system (else nothing).

    A long utterance's decode allocates tens of MB that glibc keeps once freed, scattered over the
    heap, so the worker's resident memory creeps up hour by hour (scripts/bench_worker_memory.py)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    return (lambda: trim(0)) if trim is not None else (lambda: None)


def _serve(connection: Connection, content: Content, settings: ListenSettings) -> None:
    """The worker: load the recogniser, then answer requests until told to close or the parent goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        recognizer = open_recognizer(content, settings)
    except CoachError as error:
        connection.send(error)  # the parent raises it as its own: same class, same one line
        return
    connection.send(Ready(recognizer.engine, recognizer.model))
    trim = _heap_trimmer()
    while True:
        try:
            op, payload = connection.recv()
        except (EOFError, OSError):
            return
        if op is Op.ACCEPT:
            recognizer.accept(payload)
        elif op is Op.FINAL:
            connection.send(recognizer.final())
            trim()
        elif op is Op.RESET:
            recognizer.reset()
        elif op is Op.PING:
            connection.send(Pong())
        else:
            return


def _nothing(*_: str) -> None:
    """The default of each hook."""


@dataclass(frozen=True)
class WorkerHooks:
    """What the recogniser reports about its worker (called on the caller's thread, the listener's)."""

    deaf: Callable[[str], None] = field(default=_nothing)
    """The worker failed (with why): nothing is heard until it is replaced."""
    hearing: Callable[[], None] = field(default=_nothing)
    """A replacement worker is running: hearing is back."""
    gave_up: Callable[[str], None] = field(default=_nothing)
    """Replacements kept failing (with the last error): hearing will not come back."""


class RecognizerProcess:
    """The Recognizer contract, served by the chosen engine in a child process.

    A worker that dies or hangs (takes no message, or answers no ping or decode, in time) is killed and
    replaced, at once, then after waits of 1, 2, 4 ... s; the utterance it was decoding is decoded again
    by its replacement. ``check`` must be called often (the listener does, every block)."""

    def __init__(self, content: Content, settings: ListenSettings, backoff: Backoff | None = None) -> None:
        self._content = content
        self._settings = settings
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._sender: TimedSender | None = None
        self._hooks = WorkerHooks()
        self._backoff = backoff or Backoff()
        self._deaf = self._given_up = False
        self._ping_sent: float | None = None
        self._liveness = Liveness(None)
        self._last_answer = time.monotonic()
        self._utterance: list[bytes] = []
        self._kept = 0
        self._ready = self._spawn()

    def watch(self, hooks: WorkerHooks) -> None:
        """Report the worker's failures and recoveries to ``hooks``."""
        self._hooks = hooks

    @property
    def engine(self) -> str:
        """Engine name."""
        return self._ready.engine

    @property
    def model(self) -> str:
        """Which model is in use."""
        return self._ready.model

    @property
    def pid(self) -> int | None:
        """The worker's process id (for measuring its processor time and memory)."""
        return self._process.pid if self._process is not None else None

    def _spawn(self) -> Ready:
        context = multiprocessing.get_context("spawn")  # forking a process with audio threads is unsafe
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(theirs, self._content, self._settings), name="recognizer", daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        if not ours.poll(START_SECONDS):
            self.close()
            raise ModelError(f"the speech recogniser did not start within {START_SECONDS:.0f} s")
        try:
            first = ours.recv()
        except EOFError:
            self.close()
            raise ModelError("the speech recogniser stopped while loading its model") from None
        if isinstance(first, CoachError):
            self.close()
            raise first from None
        assert isinstance(first, Ready)
        self._sender = TimedSender(ours)
        self._liveness = Liveness(process.pid)
        self._ping_sent, self._last_answer = None, time.monotonic()
        return first

    def _send(self, op: Op, payload: bytes | None = None) -> bool:
        """Whether the worker took the request; one that is gone or hung is replaced."""
        if self._sender is None:  # none running: deaf until a replacement is due and starts
            return self._restart() and self._send(op, payload)
        # A send to a worker that has just died can still succeed, so ask the process itself.
        alive = self._process is not None and self._process.is_alive()
        if alive and self._sender.send((op, payload)) and not self._sender.hung:
            return True
        self._replace("it stopped" if not alive or self._sender.broken else "it hangs")
        return self._sender is not None and self._sender.send((op, payload))

    def _replace(self, why: str) -> None:
        log.warning("speech recogniser restarted (%s)", why)
        self._kill()
        if not self._deaf:
            self._deaf = True
            self._hooks.deaf(why)
        self._restart()

    def _restart(self) -> bool:
        """Start a new worker if one is due; True when one runs (the current utterance is sent again)."""
        if self._given_up or not self._backoff.due():
            return False
        self._backoff.attempt()
        try:
            self._ready = self._spawn()
        except CoachError as error:
            log.warning("%s", error)
            if self._backoff.exhausted:
                self._given_up = True
                self._hooks.gave_up(str(error))
            return False
        assert self._sender is not None
        for pcm in self._utterance:
            self._sender.send((Op.ACCEPT, pcm))
        self._deaf = False
        self._hooks.hearing()
        return True

    def check(self) -> None:
        """Ping the worker now and then; replace it when it does not answer within ``HUNG_SECONDS``."""
        if self._sender is None:
            self._restart()
            return
        self._take_answers()
        now = time.monotonic()
        if self._ping_sent is not None and self._liveness.stuck(now - self._ping_sent):
            self._replace("it does not answer")
        elif self._ping_sent is None and now - self._last_answer >= PING_SECONDS and self._send(Op.PING):
            self._ping_sent = now
        elif self._process is not None and not self._process.is_alive():
            self._replace("it stopped")
        else:
            self._backoff.working()

    def _wait_for_transcript(self) -> Transcript | None:
        """The decode's result; None when the worker stays silent and is stuck (see ``Liveness``)."""
        asked = time.monotonic()
        while (reply := self._take_answers(0.1)) is None:
            if self._connection is None or self._liveness.stuck(time.monotonic() - asked):
                return None
        return reply

    def _take_answers(self, wait: float = 0.0) -> Transcript | None:
        """Read what the worker sent (pongs, a transcript), waiting up to ``wait`` for a transcript."""
        connection = self._connection
        deadline = time.monotonic() + wait
        try:
            while connection is not None and connection.poll(max(0.0, deadline - time.monotonic())):
                reply = connection.recv()
                self._ping_sent, self._last_answer = None, time.monotonic()
                if isinstance(reply, Transcript):
                    return reply
        except (EOFError, OSError):
            pass
        return None

    def accept(self, pcm: bytes) -> None:
        """Pass the next audio of the utterance on."""
        self._send(Op.ACCEPT, pcm)  # before keeping it: a replacement started here is sent what came before
        if self._kept + len(pcm) <= REPLAY_BYTES:
            self._utterance.append(pcm)
            self._kept += len(pcm)

    def reset(self) -> None:
        """Drop the current utterance."""
        self._utterance, self._kept = [], 0
        self._send(Op.RESET)

    def final(self) -> Transcript:
        """Decode the utterance in the worker (again in a replacement if it fails); waiting frees the GIL."""
        for _ in range(2):
            if not self._send(Op.FINAL):
                continue
            reply = self._wait_for_transcript()
            if reply is not None:
                self._utterance, self._kept = [], 0
                return reply
            self._replace("no answer")
        self._utterance, self._kept = [], 0
        return NOTHING

    def _kill(self) -> None:
        """End the worker at once (a hung one cannot be asked to close)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.join(1.0)
        self._drop_connection()

    def _drop_connection(self) -> None:
        connection, sender = self._connection, self._sender
        self._connection = self._sender = None
        if sender is not None:
            sender.close()
        if connection is not None:
            connection.close()

    def close(self) -> None:
        """Stop the worker."""
        process, self._process = self._process, None
        if self._sender is not None:
            self._sender.send((Op.CLOSE, None))
        if process is not None:
            process.join(2.0)
            if process.is_alive():
                process.kill()
                process.join(1.0)
        self._drop_connection()

    def __enter__(self) -> RecognizerProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
