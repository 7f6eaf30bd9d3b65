"""Speech out: synthesise (cached, off the caller's thread) and play on the speaker, in order."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from voice.audio.speaker import AudioOutput, Done, NullOutput, Reference, Start, open_output
from voice.clock import Clock
from voice.coach.actions import Say
from voice.coach.session import SpeechListener, SpeechPort
from voice.errors import SpeechError
from voice.pcm import Pcm
from voice.speech.silent import SilentSpeaker
from voice.speech.synthesis import SpeechSettings, Synthesizer

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]
OpenSpeaker = Callable[[str | int | None, Reference | None, Callable[[str], None] | None], AudioOutput]
"""Opens the speaker (device, echo reference, what to call when it is lost); ``open_output`` by default."""
Failed = Callable[[SpeechError], None]
"""Told instead of ``on_done`` when an utterance could not be rendered (it never starts)."""


@dataclass(frozen=True)
class _Utterance:
    text: str
    rate: int | None
    on_done: Done
    on_start: Start | None
    generation: int
    volume: float
    on_failed: Failed | None = None


def at_volume(pcm: Pcm, volume: float) -> Pcm:
    """The rendering scaled to ``volume`` (the cache keeps the full-level one)."""
    if volume >= 1.0:
        return pcm
    return Pcm(np.rint(pcm.samples * volume).astype(np.int16), pcm.rate)


def _ignore(_: bool) -> None:
    """The default ``on_done``."""


class SpeechOut:
    """Says texts in order on an AudioOutput; a cut drops everything said so far."""

    def __init__(self, synthesizer: Synthesizer, output: AudioOutput) -> None:
        self.synthesizer = synthesizer
        self.output = output
        self._lock = threading.RLock()  # listeners may say() from on_done while cut() reports
        self._generation = 0
        self._waiting = 0
        self._queue: queue.Queue[_Utterance | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def say(
        self, text: str, rate: int | None = None, on_done: Done | None = None, on_start: Start | None = None,
        volume: float = 1.0, on_failed: Failed | None = None,
    ) -> None:
        """Queue an utterance; returns at once. ``on_done(interrupted)`` is called exactly once, unless
        it cannot be rendered and ``on_failed`` is given: then ``on_failed`` is called instead."""
        with self._lock:
            utterance = _Utterance(
                text, rate, on_done or _ignore, on_start, self._generation, volume, on_failed
            )
            pcm = None if self._waiting else self.synthesizer.cached(text, rate)
            if pcm is not None:  # nothing ahead of it is still being rendered: straight to the speaker
                self.output.play(at_volume(pcm, volume), utterance.on_done, on_start)
                return
            self._waiting += 1
            self._queue.put(utterance)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="speech-out", daemon=True)
                self._thread.start()

    def cut(self) -> None:
        """Stop what is playing and drop everything queued (each gets ``on_done(True)``)."""
        with self._lock:
            self._generation += 1
            self.output.cut()

    def prepare(self, texts: Iterable[str], rate: int | None = None) -> None:
        """Render phrases ahead of time (counts, cues, steps) so they start without delay; blocks."""
        self.synthesizer.warm_up(texts, rate)

    @property
    def busy(self) -> bool:
        """True while anything is being rendered, playing or queued."""
        return bool(self._waiting) or self.output.busy

    def close(self) -> None:
        """End the rendering thread (the synthesizer and output are closed by their owner)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._generation += 1
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=5)

    def _serve(self) -> None:
        while (utterance := self._queue.get()) is not None:
            pcm = failure = None
            if utterance.generation == self._generation:
                try:
                    pcm = self.synthesizer.synthesize(utterance.text, utterance.rate)
                except SpeechError as error:
                    log.error("Cannot say %r: %s", utterance.text, error)
                    failure = error
            with self._lock:
                self._waiting -= 1
                if pcm is not None and utterance.generation == self._generation:
                    self.output.play(at_volume(pcm, utterance.volume), utterance.on_done, utterance.on_start)
                    continue
            if failure is not None and utterance.on_failed is not None:
                utterance.on_failed(failure)
            else:
                utterance.on_done(True)


class SessionSpeech:
    """The session's SpeechPort on a SpeechOut: start and end reports go back through ``post``.

    Only utterances that started playing are reported; ones dropped by a cut before starting are not.
    One that cannot be rendered is reported as said at once (its words were printed), so the coach goes on.
    """

    def __init__(self, speech: SpeechOut, listener: SpeechListener, post: Post) -> None:
        self._speech = speech
        self._listener = listener
        self._post = post

    def say(self, say: Say) -> None:
        """Queue (or with ``say.interrupt``, cut the queue and start) an utterance."""
        if say.interrupt:
            self._speech.cut()
        started = threading.Event()

        def on_start() -> None:
            started.set()
            self._post(lambda: self._listener.speech_started(say))

        def on_done(interrupted: bool) -> None:
            if started.is_set():
                self._post(lambda: self._listener.speech_finished(say, interrupted))

        def on_failed(error: SpeechError) -> None:
            # The words are already printed; reporting them as said lets the coach go on (its timers).
            self._post(lambda: self._said_silently(say))

        self._speech.say(say.text, say.rate, on_done, on_start, say.volume, on_failed)

    def _said_silently(self, say: Say) -> None:
        self._listener.speech_started(say)
        self._listener.speech_finished(say, False)

    def cut(self) -> None:
        """Stop speaking and drop the queue."""
        self._speech.cut()


@dataclass(frozen=True)
class Voice:
    """The speech output chosen for a session."""

    port: SpeechPort
    """Where the session sends utterances."""
    timed: SilentSpeaker | None
    """The silent stand-in when there is no speaker (it needs the loop's timer)."""
    speaker: AudioOutput | None
    """The real speaker, when there is one."""
    synthesizer: Synthesizer | None
    """The synthesiser, when speech works."""
    speech: SpeechOut | None = None
    """Synthesis plus playback, when both work."""

    def prepare_in_background(self, texts: list[str], rate: int) -> None:
        """Render phrases on a helper thread so counts and cues later start without delay."""
        if self.synthesizer is not None:
            threading.Thread(
                target=self.synthesizer.warm_up, args=(texts, rate), name="warm-up", daemon=True
            ).start()

    def close(self) -> None:
        """Release the speaker and the synthesiser."""
        if self.speech is not None:
            self.speech.close()
        if self.speaker is not None:
            self.speaker.close()
        if self.synthesizer is not None:
            self.synthesizer.close()


def open_voice(
    settings: SpeechSettings, device: str | int | None, listener: SpeechListener, post: Post,
    clock: Clock, reference: Reference | None = None, on_lost: Callable[[str], None] | None = None,
    open_speaker: OpenSpeaker = open_output,
    make_synthesizer: Callable[[SpeechSettings], Synthesizer] = Synthesizer,
) -> Voice:
    """Real speech on the speaker if possible; otherwise silent estimated timing, said once in the log."""
    speaker = open_speaker(device, reference, on_lost)
    silent = SilentSpeaker(clock, listener)
    if isinstance(speaker, NullOutput):  # already logged; nothing to render for
        return Voice(silent, silent, None, None)
    synthesizer = make_synthesizer(settings)
    try:
        synthesizer.start()
    except SpeechError as error:
        log.warning("%s; continuing without sound.", error)
        speaker.close()
        return Voice(silent, silent, None, None)
    speech = SpeechOut(synthesizer, speaker)
    return Voice(SessionSpeech(speech, listener, post), None, speaker, synthesizer, speech)
