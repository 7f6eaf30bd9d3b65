"""Wires the dialogue manager to a speech output and the event log; shared by every front end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import IO, Protocol

from voice.clock import Clock
from voice.coach.actions import Action, CountMark, Cut, EventLog, Say, StateChange, VoiceChange
from voice.coach.dialogue import Coach
from voice.coach.messages import Intent

log = logging.getLogger(__name__)


class SpeechListener(Protocol):
    """Told when utterances start and end."""

    def speech_started(self, say: Say) -> None:
        """An utterance's first sample is playing."""

    def speech_finished(self, say: Say, interrupted: bool) -> None:
        """An utterance played to its end, or was cut."""


class SpeechPort(Protocol):
    """Where the session sends words; plays them one after another."""

    def say(self, say: Say) -> None:
        """Queue an utterance (or, with ``say.interrupt``, cut the queue and play it now)."""

    def cut(self) -> None:
        """Stop the current utterance and drop the queue."""


class SessionRecorder(Protocol):
    """Watches a session as it happens (the history keeps what it needs)."""

    def heard(self, t: float, intent: Intent) -> None:
        """Something was heard and matched."""

    def state(self, t: float, change: StateChange) -> None:
        """The coach changed state."""

    def count(self, t: float, mark: CountMark) -> None:
        """A count's word starts."""

    def closed(self, t: float) -> None:
        """The session ended cleanly."""


class NullRecorder:
    """Records nothing."""

    def heard(self, t: float, intent: Intent) -> None:
        pass

    def state(self, t: float, change: StateChange) -> None:
        pass

    def count(self, t: float, mark: CountMark) -> None:
        pass

    def closed(self, t: float) -> None:
        pass


class Session:
    """Runs one coaching session: intents in, speech and event log out."""

    def __init__(
        self, coach: Coach, clock: Clock, log_: EventLog, printed: IO[str] | None = None,
        recorder: SessionRecorder | None = None,
        on_voice_change: Callable[[VoiceChange], None] | None = None,
    ) -> None:
        self.coach = coach
        self._on_voice_change = on_voice_change
        self._clock = clock
        self._log = log_
        self._recorder: SessionRecorder = recorder or NullRecorder()
        self._printed = printed
        self._speech: SpeechPort | None = None
        self.speaking = 0

    def attach(self, speech: SpeechPort) -> None:
        """Connect the speech output (which reports back through this session)."""
        self._speech = speech

    def begin(self) -> None:
        """Start the session with the coach's greeting."""
        self._run(self.coach.begin())

    def heard(self, intent: Intent, last: bool = False) -> None:
        """Something was heard; log it and let the coach react (``last``: no more input can come)."""
        now = self._clock.now()
        self._log.heard(now, intent)
        self._recorder.heard(now, intent)
        self._run(self.coach.on_last_intent(intent) if last else self.coach.on_intent(intent))

    def tick(self) -> None:
        """Let the coach fire whatever is due."""
        self._run(self.coach.on_time())

    def device_lost(self) -> None:
        """A device failed: the coach stops and holds its place."""
        self._run(self.coach.on_device_lost())

    def device_back(self, device: str) -> None:
        """A failed device works again."""
        self._run(self.coach.on_device_back(device))

    def hearing_lost(self) -> None:
        """The recogniser failed: the coach pauses and says it cannot hear for a moment."""
        self._run(self.coach.on_hearing_lost())

    def hearing_back(self) -> None:
        """The recogniser works again: a pause it caused ends."""
        self._run(self.coach.on_hearing_back())

    def hearing_failed(self) -> None:
        """The recogniser cannot be restarted: the coach says so and stops the exercise."""
        self._run(self.coach.on_hearing_failed())

    def cut_speech(self) -> None:
        """Silence the coach at once (the session is ending)."""
        if self._speech is not None:
            self._speech.cut()

    def close(self) -> None:
        """The session is over: tell the recorder."""
        self._recorder.closed(self._clock.now())

    def notice(self, text: str) -> None:
        """Log something about the devices."""
        self._log.notice(self._clock.now(), text)

    def speech_started(self, say: Say) -> None:
        self.speaking += 1
        self._log.say(self._clock.now(), say)

    def speech_finished(self, say: Say, interrupted: bool) -> None:
        self.speaking -= 1
        self._log.said(self._clock.now(), interrupted)
        self._run(self.coach.on_speech_done(say.utterance, interrupted))

    def _print(self, say: Say) -> None:
        """Text mode shows the words when the coach decides them, not when the audio gets going."""
        if self._printed is not None:
            self._printed.write(f"coach: {say.text}\n")
            self._printed.flush()

    def _run(self, actions: list[Action]) -> None:
        for action in actions:
            self._carry_out(action)

    def _carry_out(self, action: Action) -> None:
        now = self._clock.now()
        match action:
            case Say():
                self._print(action)
                if self._speech is not None:
                    self._speech.say(action)
            case Cut():
                if self._speech is not None:
                    self._speech.cut()
            case CountMark():
                self._log.count(now, action)
                self._recorder.count(now, action)
            case StateChange():
                self._log.state(now, action)
                self._recorder.state(now, action)
            case VoiceChange():
                if self._on_voice_change is not None:
                    self._on_voice_change(action)
