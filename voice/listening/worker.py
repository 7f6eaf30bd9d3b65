"""A recogniser in a process of its own, so a decoder that holds the GIL cannot starve the audio threads.

PocketSphinx decodes a whole utterance in one call that keeps the GIL for its full length (a
quarter of a second for four seconds of sound on the 2-core test machine). In the coach's own
process that stops the speaker's and the microphone's callbacks for as long: the sound card
underruns, the echo canceller loses track of what was played, and the count words come late.
Decoding in a second process frees the GIL and puts the decoder on the other core.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
from dataclasses import dataclass
from enum import Enum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType

from voice.content import Content
from voice.errors import CoachError, ModelError
from voice.listening.engines import open_recognizer
from voice.listening.recognizer import ListenSettings, Transcript

log = logging.getLogger(__name__)

START_SECONDS = 60.0
"""Longest wait for the worker to load its model."""
REPLY_SECONDS = 10.0
"""Longest wait for one decode; a worker that takes longer is taken for hung and replaced."""
NOTHING = Transcript("", 0.0, 0.0)
"""What an utterance gives when the worker failed while decoding it."""


class Op(Enum):
    """What the worker is asked to do."""

    ACCEPT = "accept"
    FINAL = "final"
    RESET = "reset"
    CLOSE = "close"


@dataclass(frozen=True)
class Ready:
    """The worker's first message when its model is loaded (otherwise it sends the CoachError)."""

    engine: str
    """Engine name."""
    model: str
    """Which model is in use."""


def _serve(connection: Connection, content: Content, settings: ListenSettings) -> None:
    """The worker: load the recogniser, then answer requests until told to close or the parent goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        recognizer = open_recognizer(content, settings)
    except CoachError as error:
        connection.send(error)  # the parent raises it as its own: same class, same one line
        return
    connection.send(Ready(recognizer.engine, recognizer.model))
    while True:
        try:
            op, payload = connection.recv()
        except (EOFError, OSError):
            return
        if op is Op.ACCEPT:
            recognizer.accept(payload)
        elif op is Op.FINAL:
            connection.send(recognizer.final())
        elif op is Op.RESET:
            recognizer.reset()
        else:
            return


class RecognizerProcess:
    """The Recognizer contract, served by the chosen engine in a child process.

    A worker that dies or hangs is replaced; the utterance it was decoding gives nothing."""

    def __init__(self, content: Content, settings: ListenSettings) -> None:
        self._content = content
        self._settings = settings
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._ready = self._spawn()

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
        return first

    def _send(self, op: Op, payload: bytes | None = None) -> bool:
        """Whether the worker took the request; one that is gone is replaced."""
        # A send to a worker that has just died can still succeed, so ask the process itself.
        if self._connection is not None and self._process is not None and self._process.is_alive():
            try:
                self._connection.send((op, payload))
                return True
            except (OSError, ValueError):
                pass
        self._replace("it stopped")
        return False

    def _replace(self, why: str) -> None:
        log.warning("speech recogniser restarted (%s)", why)
        self.close()
        try:
            self._ready = self._spawn()
        except CoachError as error:
            log.warning("%s", error)

    def accept(self, pcm: bytes) -> None:
        """Pass the next audio of the utterance on."""
        self._send(Op.ACCEPT, pcm)

    def reset(self) -> None:
        """Drop the current utterance."""
        self._send(Op.RESET)

    def final(self) -> Transcript:
        """Decode the utterance in the worker; the wait releases the GIL."""
        if not self._send(Op.FINAL):
            return NOTHING
        assert self._connection is not None
        try:
            if self._connection.poll(REPLY_SECONDS):
                reply = self._connection.recv()
                if isinstance(reply, Transcript):
                    return reply
        except (EOFError, OSError):
            pass
        self._replace("no answer")
        return NOTHING

    def close(self) -> None:
        """Stop the worker."""
        connection, process = self._connection, self._process
        self._connection = self._process = None
        if connection is not None:
            with contextlib.suppress(OSError, ValueError):
                connection.send((Op.CLOSE, None))
            connection.close()
        if process is not None:
            process.join(2.0)
            if process.is_alive():
                process.kill()
                process.join(1.0)

    def __enter__(self) -> RecognizerProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
