"""The dialogue manager: a pure state machine from intents, time and speech ends to actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from voice.clock import Clock
from voice.coach.actions import Action, VoiceChange
from voice.coach.messages import Intent
from voice.coach.plan import Item, ItemRole
from voice.coach.replies import MissedWords, help_line, info_line, list_line
from voice.coach.settings import CoachSettings
from voice.coach.states import ACTIVE_STATES, HELP_BY_STATE, TIMED_STATES, State
from voice.coach.walk import Walk
from voice.content import Content, IntentName


class WeekSummary(Protocol):
    """Where the coach gets its spoken summary of the last seven days."""

    def weekly_summary(self) -> str:
        """The words of the summary."""
        ...


class Coach(Walk):
    """Decides what to say and when; the caller carries out the actions it returns."""

    def __init__(
        self, content: Content, settings: CoachSettings, clock: Clock, history: WeekSummary | None = None
    ) -> None:
        super().__init__(content, settings, clock)
        self._history = history
        self._told_how_to_restart = False
        self._pending_exercise: str | None = None
        self._misses = MissedWords()
        self._handlers: dict[str, Callable[[Intent], None]] = {
            IntentName.START: self._on_start, IntentName.ROUTINE: self._on_routine,
            IntentName.NEXT: self._on_next, IntentName.BACK: self._on_back,
            IntentName.REPEAT: self._on_repeat, IntentName.PAUSE: self._on_pause,
            IntentName.RESUME: self._on_resume, IntentName.SKIP: self._on_skip,
            IntentName.STOP: self._on_stop, IntentName.PAIN: self._on_pain,
            IntentName.HELP: self._on_help, IntentName.LIST: self._on_list,
            IntentName.INFO: self._on_info, IntentName.PROGRESS: self._on_progress,
            IntentName.SLOWER: self._on_rate, IntentName.FASTER: self._on_rate,
            IntentName.LOUDER: self._on_volume, IntentName.QUIETER: self._on_volume,
            IntentName.YES: self._on_yes, IntentName.NO: self._on_no,
        }

    # ----- inputs -------------------------------------------------------------------------

    def begin(self) -> list[Action]:
        """Greet the person."""
        self._say(self._content.lines.greeting, "greeting")
        self._set_state(State.IDLE)
        return self._flush()

    def on_last_intent(self, intent: Intent) -> list[Action]:
        """React to the last thing that can come (typed input has ended): nobody is left to be told
        how to begin again."""
        self._told_how_to_restart = True
        return self.on_intent(intent)

    def on_intent(self, intent: Intent) -> list[Action]:
        """React to something the person said."""
        handler = self._handlers.get(intent.name)
        if handler:
            self._misses.count = 0
            handler(intent)
        elif intent.transcript.strip():
            self._on_not_understood(intent)
        return self._flush()

    def on_speech_done(self, utterance: int, interrupted: bool) -> list[Action]:
        """An utterance finished playing (or was cut).

        The coach's own cuts forget what it awaited; anything else that cuts the awaited words (a
        failing speaker) must not leave the coach waiting with no timer set, so it goes on."""
        if utterance == self._awaiting:
            self._awaiting = None
            then, self._after_speech = self._after_speech, None
            if then:
                then()
        return self._flush()

    def on_time(self) -> list[Action]:
        """Fire whatever is due by now."""
        now = self._clock.now()
        while self._deadline is not None and self._deadline <= now + 1e-9:
            self._fire_deadline()
        return self._flush()

    def on_device_lost(self) -> list[Action]:
        """A microphone or speaker failed: stop talking and hold everything where it is."""
        if self.state in ACTIVE_STATES:
            self._freeze()
            self._set_state(State.PAUSED)
        else:
            self._cut()
        return self._flush()

    def on_device_back(self, device: str) -> list[Action]:
        """A failed device works again: say so; the person resumes when ready."""
        self._say(self._content.lines.device_back.format(device=device), "cue")
        return self._flush()

    def on_hearing_lost(self) -> list[Action]:
        """The recogniser failed, so "stop" and "ouch" cannot be heard: hold everything and say so."""
        if self.state in ACTIVE_STATES:
            self._freeze()
            self._set_state(State.PAUSED)
            self._deaf_pause = True
        self._say(self._content.lines.cannot_hear, "safety")
        return self._flush()

    def on_hearing_back(self) -> list[Action]:
        """The recogniser works again: a pause it caused ends (a hold goes on with its remaining time)."""
        if self._deaf_pause and self.state is State.PAUSED and self._awaiting is None:
            self._cut()  # whatever is left of "I can't hear you"
            self._unfreeze()
        else:
            self._say(self._content.lines.hearing_back, "cue")
        self._deaf_pause = False
        return self._flush()

    def on_hearing_failed(self) -> list[Action]:
        """The recogniser cannot be restarted: stop the exercise and say so."""
        self._cut()
        self._say(self._content.lines.hearing_failed, "safety")
        self._items, self._index, self._queue = [], 0, []
        self._set_state(State.STOPPED)
        return self._flush()

    @property
    def deadline(self) -> float | None:
        """When ``on_time`` next has something to do, in session seconds."""
        return self._deadline

    # ----- intent handlers ----------------------------------------------------------------

    def _on_start(self, intent: Intent) -> None:
        if intent.exercise is None:
            return
        if intent.confidence < self._settings.confirm_below:
            self._ask_to_confirm(intent.exercise)
            return
        self._begin_exercises([self._content.exercise(intent.exercise)], routine=False)

    def _ask_to_confirm(self, exercise_id: str) -> None:
        self._freeze()
        self._pending_exercise = exercise_id
        self._set_state(State.CONFIRMING)
        title = self._content.exercise(exercise_id).title
        self._say(self._content.lines.confirm.format(title=title), "cue")

    def _on_yes(self, intent: Intent) -> None:
        if self.state is State.CONFIRMING and self._pending_exercise:
            exercise = self._content.exercise(self._pending_exercise)
            self._pending_exercise = None
            self._begin_exercises([exercise], routine=False)

    def _on_no(self, intent: Intent) -> None:
        if self.state is State.CONFIRMING:
            self._pending_exercise = None
            self._say(self._content.lines.confirm_no, "cue")
            if self._paused.state in ACTIVE_STATES:
                self._unfreeze()
            else:
                self._set_state(State.IDLE)

    def _on_routine(self, intent: Intent) -> None:
        self._begin_exercises(list(self._content.exercises), routine=True)

    def _on_next(self, intent: Intent) -> None:
        if self._in_exercise():
            self._cut()
            self._advance()

    def _on_back(self, intent: Intent) -> None:
        if self._in_exercise():
            self._cut()
            self._enter_item(max(0, self._index - 1))

    def _on_repeat(self, intent: Intent) -> None:
        if self.state in (State.INSTRUCTING, State.MOVING, State.PAUSED) and self._items:
            self._cut()
            self._enter_item(self._index)
        elif self.state in TIMED_STATES:
            item = self._current_item()
            assert item is not None
            self._say(item.text, "step")
        elif self._last_words is not None:
            self._say(self._last_words.text, self._last_words.kind)

    def _on_pause(self, intent: Intent) -> None:
        if self.state is State.PAUSED and self._awaiting is not None:
            self._cut()  # paused again while "Resuming" was being said
            self._say(self._content.lines.paused, "cue")
        elif self.state in ACTIVE_STATES:
            self._freeze()
            self._set_state(State.PAUSED)
            self._say(self._content.lines.paused, "cue")

    def _on_resume(self, intent: Intent) -> None:
        if self.state is State.PAUSED and self._awaiting is None:
            self._unfreeze()
        elif self.state is State.SAFETY and self._items:
            self._cut()
            self._say(self._content.lines.pain_resume, "safety")
            self._gentle = True
            self._enter_item(self._first_step_of_side())

    def _on_skip(self, intent: Intent) -> None:
        if not self._in_exercise():
            self._say(self._content.lines.nothing_running, IntentName.HELP)
            return
        item = self._current_item()
        assert item is not None
        self._cut()
        self._say(self._content.lines.skip.format(title=item.exercise.title), "cue")
        if self._queue:
            self._load_exercise(self._queue.pop(0))
        else:
            self._finish_session()

    def _on_stop(self, intent: Intent) -> None:
        self._cut()
        lines = self._content.lines
        self._say(lines.stopping, "cue")
        self._say(self._tally.summary(self._content), "cue")
        self._items, self._index, self._queue = [], 0, []
        self._set_state(State.STOPPED)
        if not self._told_how_to_restart:
            self._told_how_to_restart = True
            self._say(lines.after_stop, IntentName.HELP)

    def _on_pain(self, intent: Intent) -> None:
        lines = self._content.lines
        item = self._current_item() if self._items else None
        if item is not None and self.state is not State.SAFETY:
            self._remember_pain(item)
        self._cut()
        self._say(lines.pain if item else lines.pain_idle, "safety")
        if intent.referral:
            self._say(lines.pain_referral, "safety")
        if item is not None:
            self._say(lines.pain_options, "safety")
            self._set_state(State.SAFETY)
        elif self.state is State.CONFIRMING:
            self._pending_exercise = None
            self._set_state(State.IDLE)

    def _remember_pain(self, item: Item) -> None:
        stop = (item.exercise.id, item.side if item.exercise.two_sided else None)
        if stop not in self._tally.pain_stops:
            self._tally.pain_stops.append(stop)

    def _first_step_of_side(self) -> int:
        """Where trying again starts: the first step of the side that hurt, never its hold."""
        item = self._current_item()
        for index, candidate in enumerate(self._items):
            if item is not None and candidate.role is ItemRole.STEP and candidate.side == item.side:
                return index
        return self._index

    def _on_not_understood(self, intent: Intent) -> None:
        """Answer words that were no command: always when typed; when spoken, only a near miss."""
        busy = self.state in (State.INSTRUCTING, *TIMED_STATES)
        line = self._misses.answer(intent, busy, self._clock.now(), self._settings, self._content)
        if line:
            self._say(line, IntentName.HELP)

    def _on_help(self, intent: Intent) -> None:
        self._say(help_line(self._content, HELP_BY_STATE[self.state], self._current_item()), IntentName.HELP)

    def _on_list(self, intent: Intent) -> None:
        self._say(list_line(self._content), IntentName.HELP)

    def _on_info(self, intent: Intent) -> None:
        item = self._current_item()
        if item is None:
            self._on_list(intent)
            return
        self._say(info_line(self._content, item.exercise), IntentName.INFO)

    def _on_rate(self, intent: Intent) -> None:
        step = self._settings.rate_step if intent.name == IntentName.FASTER else -self._settings.rate_step
        rate = min(self._settings.max_rate, max(self._settings.min_rate, self.rate + step))
        lines = self._content.lines
        if rate == self.rate:
            self._say(lines.rate_limit, "cue")
            return
        self.rate = rate
        self._out.append(VoiceChange(self.rate, self.volume))
        self._say(lines.faster if step > 0 else lines.slower, "cue")

    def _on_progress(self, intent: Intent) -> None:
        history = self._history
        self._say(history.weekly_summary() if history else self._content.lines.history_off, IntentName.INFO)

    def _on_volume(self, intent: Intent) -> None:
        settings, lines = self._settings, self._content.lines
        louder = intent.name == IntentName.LOUDER
        factor = 10 ** (settings.volume_step_db / 20)
        lowest = settings.min_volume
        wanted = min(1.0, max(lowest, self.volume * factor)) if louder else max(lowest, self.volume / factor)
        volume = round(wanted, 3)
        if volume == self.volume:
            self._say(lines.loudest if louder else lines.quietest, "cue")
            return
        self.volume = volume
        self._out.append(VoiceChange(self.rate, self.volume))
        self._say(lines.louder if louder else lines.quieter, "cue")

    def _in_exercise(self) -> bool:
        return bool(self._items) and self.state in (*ACTIVE_STATES, State.PAUSED, State.SAFETY)
