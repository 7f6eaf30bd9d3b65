"""The live session: the microphone in, the speaker out, the coach in between, hands-free."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from voice.apps.config import voice_keeper
from voice.audio import portaudio
from voice.audio.echo_canceller import ReferenceBuffer
from voice.audio.microphone import Microphone, find_device
from voice.audio.portaudio import Outage, Patience
from voice.audio.speaker import SoundDeviceOutput, open_output
from voice.clock import Clock, MonotonicClock
from voice.coach.actions import EventLog, Say
from voice.coach.dialogue import Coach
from voice.coach.messages import Intent
from voice.coach.plan import phrases_to_prepare
from voice.coach.runtime import RealtimeLoop
from voice.coach.session import Session
from voice.coach.settings import CoachSettings
from voice.content import Content, UrgentWords
from voice.history.recorder import HistoryRecorder, HistoryTarget
from voice.listening.engines import describe
from voice.listening.intent import IntentMatcher
from voice.listening.listener import (
    AudioSource,
    Listener,
    ListenerHooks,
    Utterance,
    keep_trying,
    retry_delays,
)
from voice.listening.models import ENGLISH
from voice.listening.recognizer import POCKETSPHINX, ListenSettings, Recognizer
from voice.listening.self_hearing import SelfHearingGuard
from voice.listening.worker import RecognizerProcess, WorkerHooks
from voice.speech.output import OpenSpeaker, Voice, open_voice
from voice.speech.silent import speaking_time
from voice.speech.synthesis import SpeechSettings, Synthesizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveSettings:
    """Everything a live session needs, decided once from the command line."""

    coach: CoachSettings
    """Pacing and counting."""
    speech: SpeechSettings
    """The coach's voice."""
    listen: ListenSettings
    """Engine, model and microphone."""
    output_device: str | None
    """Speaker (name part or number), or None for the default."""
    history: HistoryTarget | None = None
    """Where the session is recorded, or None."""
    state_file: Path | None = None
    """Where spoken rate and volume changes are kept for the next session; None to keep nothing."""
    patience: Patience = field(default_factory=Patience)
    """How long a lost microphone or speaker is waited for before the session ends with status 1."""


GIVE_UP_SPEECH_SECONDS = 15.0
"""Longest the coach takes to say it is giving up before the session ends anyway."""

class Ears:
    """Decides what a decoded utterance means, knowing what the coach was saying at the time."""

    def __init__(
        self, matcher: IntentMatcher, guard: SelfHearingGuard, urgent: tuple[UrgentWords, ...]
    ) -> None:
        self._matcher = matcher
        self._guard = guard
        self._barge_in = {group.intent: frozenset(group.words) for group in urgent}

    def _barges_in(self, intent: Intent) -> bool:
        """While the coach talks only an urgent word counts ("stop", "ouch", "wait"): a whole command
        phrase such as "end the" is too easily made out of the coach's own voice."""
        words = self._barge_in.get(intent.name, frozenset())
        return any(word in words for word in intent.transcript.split())

    def judge(self, utterance: Utterance) -> Intent | None:
        """The intent to act on, or None to let it pass (nothing heard, or the coach's own voice)."""
        transcript = utterance.transcript
        coach_audible = self._guard.overlaps(utterance.start, utterance.end)
        text = transcript.text
        if not text:
            return None
        intent = self._matcher.match(text, transcript.confidence)
        if self._guard.is_own_voice(intent, utterance.start, utterance.end):
            log.debug("dropped %r: the coach's own words", text)
            return None
        if coach_audible and not self._barges_in(intent):
            log.debug("dropped %r (%s): heard while the coach was talking", text, intent.name)
            return None
        return intent


class GuardedListener:
    """The session's speech listener that also tells the self-hearing guard what is being played."""

    def __init__(
        self, session: Session, guard: SelfHearingGuard, clock: Clock, length: Callable[[Say], float]
    ) -> None:
        self._session = session
        self._guard = guard
        self._clock = clock
        self._length = length

    def speech_started(self, say: Say) -> None:
        """An utterance began playing."""
        self._guard.started(say.text, self._clock.now(), self._length(say))
        self._session.speech_started(say)

    def speech_finished(self, say: Say, interrupted: bool) -> None:
        """An utterance ended or was cut."""
        self._guard.finished(self._clock.now())
        self._session.speech_finished(say, interrupted)


class SpeakerWatch:
    """Checks on every turn of the loop that the speaker still takes audio (a hung sound server
    stops asking without an error; the session must not wait for speech that never ends)."""

    def __init__(self, speaker: SoundDeviceOutput) -> None:
        self._speaker = speaker

    @property
    def deadline(self) -> float | None:
        """No deadline of its own: the loop wakes at least four times a second anyway."""
        return None

    def on_time(self) -> None:
        """Report a stalled speaker as failed."""
        self._speaker.check()


def open_microphone(settings: ListenSettings) -> Callable[[], AudioSource]:
    """A factory opening the chosen microphone (the device is looked up again on every attempt)."""
    return lambda: Microphone(find_device(settings.device))


class LiveSession:
    """Wires microphone, recogniser, coach and speaker; ``run`` blocks until stopped."""

    def __init__(
        self, content: Content, settings: LiveSettings, recognizer: Recognizer,
        source: Callable[[], AudioSource], events: IO[str] | None, printed: IO[str] | None,
        clock: Clock | None = None, speaker: OpenSpeaker = open_output,
        synthesizer: Callable[[SpeechSettings], Synthesizer] | None = None,
    ) -> None:
        """``clock``, ``speaker`` (opens the output) and ``synthesizer`` default to the real ones."""
        self.clock = clock or MonotonicClock()
        target = settings.history and replace(settings.history, engine=recognizer.engine)
        self.history = HistoryRecorder(content, self.clock, target) if target else None
        self.coach = Coach(content, settings.coach, self.clock, self.history)
        self.session = Session(
            self.coach, self.clock, EventLog(events, unmatched_words=False), printed=printed,
            recorder=self.history,
            on_voice_change=voice_keeper(settings.state_file),
        )
        self.loop = RealtimeLoop(self.session, self.clock)
        self.guard = SelfHearingGuard()
        self._ears = Ears(IntentMatcher(content), self.guard, content.urgent)
        reference = ReferenceBuffer()
        heard_by = GuardedListener(self.session, self.guard, self.clock, self._length)
        self.voice: Voice = open_voice(
            settings.speech, settings.output_device, heard_by, self.loop.post, self.clock,
            reference, on_lost=self._speaker_lost, open_speaker=speaker,
            make_synthesizer=synthesizer or Synthesizer,
        )
        self.session.attach(self.voice.port)
        if self.voice.timed is not None:
            self.loop.add_timed(self.voice.timed)
        if isinstance(self.voice.speaker, SoundDeviceOutput):
            self.loop.add_timed(SpeakerWatch(self.voice.speaker))
        self.voice.prepare_in_background(
            phrases_to_prepare(content, settings.coach.cadence, settings.coach.switch_seconds),
            settings.coach.rate,
        )
        hooks = ListenerHooks(self._heard, self._mic_lost, self._device_back, self._device_gone)
        self.patience = settings.patience
        self.listener = Listener(source, recognizer, self.clock, hooks, reference, patience=self.patience)
        self._stopped = threading.Event()
        self.status = 0
        """The exit status ``run`` returns: not 0 once hearing cannot be restored."""
        if isinstance(recognizer, RecognizerProcess):
            recognizer.watch(WorkerHooks(self._deaf, self._hearing, self._gave_up))

    def run(self, source: AudioSource | None = None) -> int:
        """Greet, listen and coach until stopped (``stop``, SIGTERM or Ctrl-C); returns the exit status.

        The microphone is opened here (unless ``source`` is already open), after the speaker, so
        the two streams start together and the echo canceller finds their lag at once."""
        self.loop.post(self.session.begin)
        self.listener.start(source or self.listener.open_first())
        log.info("ready to listen")
        try:
            with _stop_on_sigterm(self.loop.interrupt):
                self.loop.run()
        except KeyboardInterrupt:
            log.info("stopped")
        finally:
            self.close()
        return self.status

    def stop(self) -> None:
        """End the session from any thread: speech is cut at once, then the loop returns."""
        self._stopped.set()
        self.loop.post(self.session.cut_speech)
        self.loop.stop()

    def close(self) -> None:
        """Stop listening and release the devices (speech is cut first, so nothing is left half said)."""
        self._stopped.set()
        self.listener.stop()
        if self.voice.speech is not None:
            self.voice.speech.cut()
        self.voice.close()
        self.session.close()

    def _length(self, say: Say) -> float:
        pcm = self.voice.synthesizer.cached(say.text, say.rate) if self.voice.synthesizer else None
        return pcm.duration if pcm is not None else speaking_time(say.text, say.rate)

    def _heard(self, utterance: Utterance) -> None:
        self.loop.post(lambda: self._act(utterance))

    def _act(self, utterance: Utterance) -> None:
        transcript = utterance.transcript
        log.debug("utterance %.2f-%.2f s: %r", utterance.start, utterance.end, transcript.text)
        intent = self._ears.judge(utterance)
        if intent is not None:
            self.session.heard(intent)

    def _mic_lost(self, reason: str) -> None:
        self.loop.post(lambda: self._device_lost(f"microphone: {reason}"))

    def _speaker_lost(self, reason: str) -> None:
        self.loop.post(lambda: self._device_lost(f"speaker: {reason}"))
        threading.Thread(target=self._retry_speaker, name="speaker-retry", daemon=True).start()

    def _device_lost(self, what: str) -> None:
        self.session.notice(f"device lost ({what})")
        self.session.device_lost()

    def _device_back(self, name: str) -> None:
        self.loop.post(lambda: self._announce_back(name))

    def _announce_back(self, name: str) -> None:
        self.session.notice(f"device back ({name})")
        self.session.device_back(name)

    def _deaf(self, why: str) -> None:
        self.loop.post(lambda: self._hearing_lost(why))

    def _hearing_lost(self, why: str) -> None:
        self.session.notice(f"hearing lost (recogniser: {why})")
        self.session.hearing_lost()

    def _hearing(self) -> None:
        self.loop.post(self._hearing_back)

    def _hearing_back(self) -> None:
        self.session.notice("hearing back")
        self.session.hearing_back()

    def _gave_up(self, why: str) -> None:
        self.loop.post(lambda: self._end_unable(f"the speech recogniser cannot be restarted: {why}"))

    def _end_unable(self, why: str) -> None:
        """Say so, stop the exercise and end with a non-zero status (a service manager restarts it)."""
        log.error("%s; ending the session", why)
        self.session.notice(f"giving up ({why})")
        self.session.hearing_failed()
        self.status = 1
        speech = self.voice.speech
        ends = time.monotonic() + GIVE_UP_SPEECH_SECONDS
        self.loop.stop_when(lambda: time.monotonic() > ends or speech is None or not speech.busy)

    def _retry_speaker(self) -> None:
        speaker = self.voice.speaker
        if not isinstance(speaker, SoundDeviceOutput):
            return
        outage = Outage(self.patience)

        def attempt() -> bool | None:
            if outage.hopeless():
                self._device_gone(f"the speaker has been gone for {outage.seconds:.0f} s")
                return True  # stop trying: the session ends
            if outage.refresh_due():  # a replugged USB speaker may be listed under a new number
                speaker.stream.close()  # the failed stream must be closed before PortAudio starts again
                portaudio.refresh()
            with portaudio.LOCK:
                return speaker.reopen() or None

        if keep_trying(attempt, self._stopped, retry_delays()) and not outage.hopeless():
            self._device_back("speaker")

    def _device_gone(self, why: str) -> None:
        self.loop.post(lambda: self._end_unable(why))


@contextmanager
def _stop_on_sigterm(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM ends the session like Ctrl-C does (only the main thread may install handlers).

    ``stop`` runs inside the signal handler, between any two bytecodes of the main thread, perhaps
    while it holds a queue's lock: it must only set a flag (``RealtimeLoop.interrupt``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_live(
    content: Content, settings: LiveSettings, events: IO[str] | None, out: IO[str],
    source: Callable[[], AudioSource] | None = None,
) -> int:
    """Start listening; AudioDeviceError (no usable microphone) is left to the caller."""
    source = source or open_microphone(settings.listen)
    microphone = source()
    microphone.start()  # a missing microphone is known before anything is said
    microphone.close()
    with RecognizerProcess(content, settings.listen) as recognizer:
        log.info("%s, microphone: %s", describe(recognizer), microphone.name)
        if settings.listen.engine is None and recognizer.engine == POCKETSPHINX:
            log.info("no English Vosk model installed; to listen with Vosk: stretch-coach model download "
                     "(or --from-file %s.zip without internet)", ENGLISH.name)
        return LiveSession(content, settings, recognizer, source, events, out).run()
