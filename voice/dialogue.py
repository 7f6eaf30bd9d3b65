"""The dialogue manager: a pure state machine from intents, time and speech ends to actions."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from voice.clock import Clock
from voice.content import Content, Exercise, StepKind
from voice.events import Action, CountMark, Cut, Say, StateChange, VoiceChange
from voice.messages import Intent
from voice.numbers import number_words
from voice.plan import Beat, BeatKind, Item, ItemRole, beat_words, beats, exercise_items
from voice.settings import CoachSettings


class State(StrEnum):
    """What the coach is doing."""

    IDLE = "idle"
    CONFIRMING = "confirming"
    INSTRUCTING = "instructing"
    MOVING = "moving"
    HOLDING = "holding"
    REPETITIONS = "repetitions"
    PAUSED = "paused"
    SAFETY = "safety"
    STOPPED = "stopped"


GENTLE_SETTLE = 1.5
"""Trying again after pain, each positioning step gets this many times its usual time."""

TIMED_STATES = (State.HOLDING, State.REPETITIONS)
ACTIVE_STATES = (State.INSTRUCTING, State.MOVING, *TIMED_STATES)

_VOICE = ("louder", "quieter", "slower", "faster")
_BETWEEN_EXERCISES = ("start", "routine", "list", *_VOICE)
_ON_A_STEP = ("next", "back", "repeat", "pause", "skip", "stop", "info", *_VOICE)
HELP_BY_STATE: dict[State, tuple[str, ...]] = {
    State.IDLE: _BETWEEN_EXERCISES,
    State.STOPPED: _BETWEEN_EXERCISES,
    State.CONFIRMING: ("yes", "no"),
    State.INSTRUCTING: _ON_A_STEP,
    State.MOVING: _ON_A_STEP,
    State.HOLDING: ("pause", "repeat", "next", "stop", "info", *_VOICE),
    State.REPETITIONS: ("pause", "repeat", "next", "stop", "info", *_VOICE),
    State.PAUSED: ("resume", "repeat", "skip", "stop"),
    State.SAFETY: ("skip", "stop", "resume"),
}
"""The commands ``help`` offers in each state (their words come from the command data)."""

_BEGIN = {"start": State.INSTRUCTING, "routine": State.INSTRUCTING, "stop": State.STOPPED}
_ON_AN_ITEM = {
    **_BEGIN, "next": State.INSTRUCTING, "back": State.INSTRUCTING, "skip": State.INSTRUCTING,
    "pain": State.SAFETY,
}

TRANSITIONS: dict[State, dict[str, State]] = {
    State.IDLE: _BEGIN,
    State.STOPPED: _BEGIN,
    State.CONFIRMING: {**_BEGIN, "yes": State.INSTRUCTING, "no": State.IDLE, "pain": State.IDLE},
    State.INSTRUCTING: {**_ON_AN_ITEM, "repeat": State.INSTRUCTING, "pause": State.PAUSED},
    State.MOVING: {**_ON_AN_ITEM, "repeat": State.INSTRUCTING, "pause": State.PAUSED},
    State.HOLDING: {**_ON_AN_ITEM, "pause": State.PAUSED},
    State.REPETITIONS: {**_ON_AN_ITEM, "pause": State.PAUSED},
    State.PAUSED: {**_ON_AN_ITEM, "repeat": State.INSTRUCTING, "resume": State.INSTRUCTING},
    State.SAFETY: {**_ON_AN_ITEM, "resume": State.INSTRUCTING},
}
"""The state each intent enters at once, from each state, in the middle of a routine (paused or stopped
for pain on a positioning step; a paused hold stays paused while "resuming" is said, and the last item
leads to ``idle``). Intents not listed leave the state alone and at most speak (help, info, voice)."""


class WeekSummary(Protocol):
    """Where the coach gets its spoken summary of the last seven days."""

    def weekly_summary(self) -> str:
        """The words of the summary."""
        ...


class Coach:
    """Decides what to say and when; the caller carries out the actions it returns."""

    def __init__(
        self, content: Content, settings: CoachSettings, clock: Clock, history: WeekSummary | None = None
    ) -> None:
        self._content = content
        self._history = history
        self._settings = settings
        self._clock = clock
        self.state = State.IDLE
        self.rate = settings.rate
        self.volume = settings.volume
        self._told_how_to_restart = False
        self._out: list[Action] = []
        self._next_utterance = 0
        self._last_words: Say | None = None
        self._queue: list[Exercise] = []
        self._routine = False
        self._items: list[Item] = []
        self._index = 0
        self._awaiting: int | None = None
        self._after_speech: Callable[[], None] | None = None
        self._deadline: float | None = None
        self._beats: tuple[Beat, ...] = ()
        self._beat_index = 0
        self._timed_start = 0.0
        self._frozen_state = State.IDLE
        self._frozen_elapsed = 0.0
        self._pending_exercise: str | None = None
        self._done: dict[str, list[str | None]] = {}
        self._misses = 0
        self._last_sorry: float | None = None
        self._pain_stops: list[tuple[str, str | None]] = []
        self._gentle = False
        self._deaf_pause = False
        self._handlers: dict[str, Callable[[Intent], None]] = {
            "start": self._on_start, "routine": self._on_routine, "next": self._on_next,
            "back": self._on_back, "repeat": self._on_repeat, "pause": self._on_pause,
            "resume": self._on_resume, "skip": self._on_skip, "stop": self._on_stop,
            "pain": self._on_pain, "help": self._on_help, "list": self._on_list,
            "info": self._on_info, "slower": self._on_rate, "faster": self._on_rate,
            "yes": self._on_yes, "no": self._on_no, "progress": self._on_progress,
            "louder": self._on_volume, "quieter": self._on_volume,
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
            self._misses = 0
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

    # ----- output helpers -----------------------------------------------------------------

    def _flush(self) -> list[Action]:
        out, self._out = self._out, []
        return out

    def _say(self, text: str, kind: str, *, interrupt: bool = False) -> int:
        self._next_utterance += 1
        say = Say(self._next_utterance, text, kind, self.rate, interrupt, self.volume)
        self._out.append(say)
        if kind != "count":
            self._last_words = say
        return say.utterance

    def _say_then(self, text: str, kind: str, then: Callable[[], None]) -> None:
        self._awaiting = self._say(text, kind)
        self._after_speech = then

    def _cut(self) -> None:
        self._out.append(Cut())
        self._awaiting = None
        self._after_speech = None
        self._deadline = None

    def _set_state(self, state: State) -> None:
        self.state = state
        item = self._current_item() if state in (*ACTIVE_STATES, State.PAUSED, State.SAFETY) else None
        self._out.append(StateChange(
            state.value,
            item.exercise.id if item else None,
            item.side if item else None,
            item.number or None if item else None,
        ))

    def _current_item(self) -> Item | None:
        return self._items[self._index] if self._index < len(self._items) else None

    # ----- walking through items ----------------------------------------------------------

    def _begin_exercises(self, exercises: list[Exercise], routine: bool) -> None:
        self._cut()
        self._routine = routine
        self._queue = exercises[1:]
        self._done = {}
        if routine:
            count = number_words(len(self._content.exercises))
            self._say(self._content.lines.routine_start.format(count=count), "cue")
        self._load_exercise(exercises[0])

    def _load_exercise(self, exercise: Exercise) -> None:
        self._gentle = False
        self._items = exercise_items(self._content, exercise, self._settings.switch_seconds)
        self._enter_item(0)

    def _enter_item(self, index: int) -> None:
        self._index = index
        item = self._items[index]
        self._record_progress(item)
        self._deadline = None
        self._set_state(State.INSTRUCTING)
        step = item.step
        if step is not None and step.kind is not StepKind.INSTRUCTION:
            self._say_then(item.text, item.speech_kind, self._start_timed)
        else:
            self._say_then(item.text, item.speech_kind, self._start_settling)

    def _start_settling(self) -> None:
        item = self._current_item()
        if item is None:
            return
        if self.state is not State.MOVING:
            self._set_state(State.MOVING)
        self._deadline = self._clock.now() + item.settle * (GENTLE_SETTLE if self._gentle else 1.0)

    def _advance(self) -> None:
        if self._index + 1 < len(self._items):
            self._enter_item(self._index + 1)
        elif self._queue:
            self._load_exercise(self._queue.pop(0))
        else:
            self._finish_session()

    def _finish_session(self) -> None:
        lines = self._content.lines
        if self._routine:
            self._say(lines.routine_done, "cue")
            self._say(self._summary(), "cue")
        self._say(lines.ready, "help")
        self._items, self._index = [], 0
        self._set_state(State.IDLE)

    def _record_progress(self, item: Item) -> None:
        """Entering a switch or closing item means the side before it was done."""
        if item.role in (ItemRole.SWITCH, ItemRole.DONE):
            previous = self._items[self._index - 1]
            sides = self._done.setdefault(item.exercise.id, [])
            if previous.side not in sides:
                sides.append(previous.side)

    # ----- holds and repetitions ----------------------------------------------------------

    def _start_timed(self) -> None:
        item = self._current_item()
        if item is None or item.step is None:
            return
        self._gentle = False
        self._beats = beats(item.step, self._settings.cadence)
        self._beat_index = 0
        self._run_timed(elapsed=0.0)

    def _run_timed(self, elapsed: float) -> None:
        item = self._current_item()
        assert item is not None and item.step is not None
        self._timed_start = self._clock.now() - elapsed
        is_hold = item.step.kind is StepKind.HOLD
        self._set_state(State.HOLDING if is_hold else State.REPETITIONS)
        self._schedule_beat()

    def _schedule_beat(self) -> None:
        if self._beat_index < len(self._beats):
            self._deadline = self._timed_start + self._beats[self._beat_index].offset
        else:
            self._deadline = None

    def _fire_deadline(self) -> None:
        if self.state in TIMED_STATES:
            beat = self._beats[self._beat_index]
            self._beat_index += 1
            self._play_beat(beat)
        else:
            self._deadline = None
            self._advance()

    def _play_beat(self, beat: Beat) -> None:
        item = self._current_item()
        assert item is not None and item.step is not None
        last = self._beat_index >= len(self._beats)
        if beat.kind is BeatKind.RELEASE or (beat.kind is BeatKind.LOWER and last):
            release = beat.kind is BeatKind.RELEASE
            words = self._content.lines.release if release else beat_words(item.step, beat)
            self._deadline = None
            self._set_state(State.MOVING)
            self._say_then(words, "cue", self._start_settling)
            return
        kind = "cue" if beat.kind is BeatKind.LOWER else "count"
        self._say(beat_words(item.step, beat), kind, interrupt=True)
        if kind == "count":
            self._out.append(CountMark(beat.n, beat.of))
        self._schedule_beat()

    # ----- freezing (pause, confirmation) -------------------------------------------------

    def _freeze(self) -> None:
        """Stop speech and timers, remembering where a hold or set was."""
        if self.state in (State.PAUSED, State.CONFIRMING):
            return
        self._frozen_state = self.state
        self._frozen_elapsed = self._clock.now() - self._timed_start
        self._cut()

    def _unfreeze(self) -> None:
        lines = self._content.lines
        previous = self._frozen_state
        if previous in TIMED_STATES:
            # Stays paused while "Resuming, N seconds left" is spoken; the hold restarts after it.
            remaining = self._timed_remaining()
            text = lines.resume_hold.format(remaining=number_words(remaining))
            self._say_then(text, "cue", lambda: self._run_timed(self._frozen_elapsed))
        elif previous is State.MOVING and self._after_timed_step():
            self._say(lines.resume_step, "cue")
            self._advance()
        elif previous in ACTIVE_STATES:
            self._say(lines.resume_step, "cue")
            self._enter_item(self._index)
        else:
            self._set_state(previous)
            self._say(lines.ready, "help")

    def _after_timed_step(self) -> bool:
        item = self._current_item()
        return item is not None and item.step is not None and item.step.kind is not StepKind.INSTRUCTION

    def _timed_remaining(self) -> int:
        item = self._current_item()
        assert item is not None and item.step is not None
        step = item.step
        total = step.seconds if step.kind is StepKind.HOLD else step.count * (step.hold + step.rest)
        return max(1, round(total - self._frozen_elapsed))

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
            if self._frozen_state in ACTIVE_STATES:
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
            self._say(self._content.lines.nothing_running, "help")
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
        self._say(self._summary(), "cue")
        self._items, self._index, self._queue = [], 0, []
        self._set_state(State.STOPPED)
        if not self._told_how_to_restart:
            self._told_how_to_restart = True
            self._say(lines.after_stop, "help")

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
        if stop not in self._pain_stops:
            self._pain_stops.append(stop)

    def _first_step_of_side(self) -> int:
        """Where trying again starts: the first step of the side that hurt, never its hold."""
        item = self._current_item()
        for index, candidate in enumerate(self._items):
            if item is not None and candidate.role is ItemRole.STEP and candidate.side == item.side:
                return index
        return self._index

    def _on_not_understood(self, intent: Intent) -> None:
        """Answer words that were no command: always when typed; when spoken, only a near miss."""
        typed = self._settings.typed
        if not typed and not self._near_miss(intent):
            return
        self._misses += 1
        if not typed and self._answered_lately() and self._misses != 2:
            return
        self._last_sorry = self._clock.now()
        lines = self._content.lines
        if self._misses >= 2:
            self._say(lines.offer_numbers.format(last=number_words(len(self._content.exercises))), "help")
        elif self._settings.typed:
            self._say(lines.not_understood, "help")
        else:
            self._say(lines.say_again, "help")

    def _near_miss(self, intent: Intent) -> bool:
        """Close to a command; while the coach talks or counts, it must be clearly an attempt at one."""
        busy = self.state in (State.INSTRUCTING, *TIMED_STATES)
        return intent.clear_attempt if busy else intent.near_miss

    def _answered_lately(self) -> bool:
        """A miss was answered less than ``say_again_gap`` ago (the second miss is answered anyway)."""
        last = self._last_sorry
        return last is not None and self._clock.now() - last < self._settings.say_again_gap

    def _on_help(self, intent: Intent) -> None:
        commands = [self._example(name) for name in HELP_BY_STATE[self.state]]
        self._say(self._content.lines.help.format(commands=_join(commands, "or")), "help")

    def _example(self, intent: str) -> str:
        example = self._content.examples.get(intent, intent)
        item = self._current_item()
        exercise = item.exercise if item else self._content.exercises[0]
        return example.replace("{exercise}", exercise.names[0])

    def _on_list(self, intent: Intent) -> None:
        titles = [exercise.title for exercise in self._content.exercises]
        self._say(self._content.lines.list.format(names=_join(titles)), "help")

    def _on_info(self, intent: Intent) -> None:
        item = self._current_item()
        if item is None:
            self._on_list(intent)
            return
        exercise = item.exercise
        info = self._content.lines.info.format(location=exercise.location, benefit=exercise.benefit)
        self._say(info, "info")

    def _on_rate(self, intent: Intent) -> None:
        step = self._settings.rate_step if intent.name == "faster" else -self._settings.rate_step
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
        self._say(history.weekly_summary() if history else self._content.lines.history_off, "info")

    def _on_volume(self, intent: Intent) -> None:
        settings, lines = self._settings, self._content.lines
        louder = intent.name == "louder"
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

    # ----- summary ------------------------------------------------------------------------

    def _summary(self) -> str:
        lines = self._content.lines
        parts = []
        for exercise_id, sides in self._done.items():
            exercise = self._content.exercise(exercise_id)
            if not exercise.two_sided:
                parts.append(lines.summary_once.format(title=exercise.title))
            elif len(sides) == 2:
                parts.append(lines.summary_both_sides.format(title=exercise.title))
            else:
                parts.append(lines.summary_one_side.format(title=exercise.title, side=sides[0]))
        done = lines.summary.format(done=_join(parts)) if parts else ""
        return " ".join(text for text in (done, self._pain_summary()) if text) or lines.nothing_done

    def _pain_summary(self) -> str:
        lines = self._content.lines
        stops = []
        for exercise_id, side in self._pain_stops:
            title = self._content.exercise(exercise_id).title
            stops.append(
                lines.summary_pain_side.format(side=side, title=title) if side
                else lines.summary_once.format(title=title)
            )
        return lines.summary_pain.format(stops=_join(stops)) if stops else ""


def _join(parts: list[str], last: str = "and") -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {last} " + parts[-1]
