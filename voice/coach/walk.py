"""The walk through a session's items: steps, timed holds and repetitions, pauses, and what is said."""

from __future__ import annotations

from collections.abc import Callable

from voice.clock import Clock
from voice.coach.actions import Action, CountMark, Cut, Say, StateChange
from voice.coach.plan import Beat, BeatKind, Item, ItemRole, beat_words, beats, exercise_items
from voice.coach.progress import PauseSnapshot, SessionTally, TimedProgress
from voice.coach.settings import CoachSettings
from voice.coach.states import ACTIVE_STATES, TIMED_STATES, State
from voice.content import Content, Exercise, StepKind
from voice.content.numbers import number_words

GENTLE_SETTLE = 1.5
"""Trying again after pain, each positioning step gets this many times its usual time."""


class Walk:
    """Walks through the items of the exercises under way, on the clock, and collects the actions;
    the coach (``dialogue.Coach``) steers it by what the person says."""

    def __init__(self, content: Content, settings: CoachSettings, clock: Clock) -> None:
        self._content = content
        self._settings = settings
        self._clock = clock
        self.state = State.IDLE
        self.rate = settings.rate
        self.volume = settings.volume
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
        self._timed = TimedProgress()
        self._paused = PauseSnapshot(State.IDLE, 0.0)
        self._tally = SessionTally()
        self._gentle = False

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
        self._tally.done = {}
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
            self._say(self._tally.summary(self._content), "cue")
        self._say(lines.ready, "help")
        self._items, self._index = [], 0
        self._set_state(State.IDLE)

    def _record_progress(self, item: Item) -> None:
        """Entering a switch or closing item means the side before it was done."""
        if item.role in (ItemRole.SWITCH, ItemRole.DONE):
            previous = self._items[self._index - 1]
            sides = self._tally.done.setdefault(item.exercise.id, [])
            if previous.side not in sides:
                sides.append(previous.side)

    # ----- holds and repetitions ----------------------------------------------------------

    def _start_timed(self) -> None:
        item = self._current_item()
        if item is None or item.step is None:
            return
        self._gentle = False
        self._timed = TimedProgress(beats(item.step, self._settings.cadence))
        self._run_timed(elapsed=0.0)

    def _run_timed(self, elapsed: float) -> None:
        item = self._current_item()
        assert item is not None and item.step is not None
        self._timed.start = self._clock.now() - elapsed
        is_hold = item.step.kind is StepKind.HOLD
        self._set_state(State.HOLDING if is_hold else State.REPETITIONS)
        self._schedule_beat()

    def _schedule_beat(self) -> None:
        timed = self._timed
        if timed.index < len(timed.beats):
            self._deadline = timed.start + timed.beats[timed.index].offset
        else:
            self._deadline = None

    def _fire_deadline(self) -> None:
        if self.state in TIMED_STATES:
            beat = self._timed.beats[self._timed.index]
            self._timed.index += 1
            self._play_beat(beat)
        else:
            self._deadline = None
            self._advance()

    def _play_beat(self, beat: Beat) -> None:
        item = self._current_item()
        assert item is not None and item.step is not None
        last = self._timed.index >= len(self._timed.beats)
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
        self._paused = PauseSnapshot(self.state, self._clock.now() - self._timed.start)
        self._cut()

    def _unfreeze(self) -> None:
        lines = self._content.lines
        previous = self._paused.state
        if previous in TIMED_STATES:
            # Stays paused while "Resuming, N seconds left" is spoken; the hold restarts after it.
            remaining = self._timed_remaining()
            text = lines.resume_hold.format(remaining=number_words(remaining))
            self._say_then(text, "cue", lambda: self._run_timed(self._paused.elapsed))
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
        return max(1, round(total - self._paused.elapsed))
