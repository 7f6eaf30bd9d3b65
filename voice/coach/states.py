"""The coach's states, what ``help`` offers in each, and the transition table (a specification)."""

from __future__ import annotations

from enum import StrEnum

from voice.content import IntentName


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


TIMED_STATES = (State.HOLDING, State.REPETITIONS)
ACTIVE_STATES = (State.INSTRUCTING, State.MOVING, *TIMED_STATES)

_VOICE = (IntentName.LOUDER, IntentName.QUIETER, IntentName.SLOWER, IntentName.FASTER)
_BETWEEN_EXERCISES = (IntentName.START, IntentName.ROUTINE, IntentName.LIST, *_VOICE)
_ON_A_STEP = (
    IntentName.NEXT, IntentName.BACK, IntentName.REPEAT, IntentName.PAUSE, IntentName.SKIP, IntentName.STOP,
    IntentName.INFO, *_VOICE,
)
_TIMED = (IntentName.PAUSE, IntentName.REPEAT, IntentName.NEXT, IntentName.STOP, IntentName.INFO, *_VOICE)
HELP_BY_STATE: dict[State, tuple[IntentName, ...]] = {
    State.IDLE: _BETWEEN_EXERCISES,
    State.STOPPED: _BETWEEN_EXERCISES,
    State.CONFIRMING: (IntentName.YES, IntentName.NO),
    State.INSTRUCTING: _ON_A_STEP,
    State.MOVING: _ON_A_STEP,
    State.HOLDING: _TIMED,
    State.REPETITIONS: _TIMED,
    State.PAUSED: (IntentName.RESUME, IntentName.REPEAT, IntentName.SKIP, IntentName.STOP),
    State.SAFETY: (IntentName.SKIP, IntentName.STOP, IntentName.RESUME),
}
"""The commands ``help`` offers in each state (their words come from the command data)."""

_BEGIN: dict[IntentName, State] = {
    IntentName.START: State.INSTRUCTING, IntentName.ROUTINE: State.INSTRUCTING,
    IntentName.STOP: State.STOPPED,
}
_ON_AN_ITEM: dict[IntentName, State] = {
    **_BEGIN, IntentName.NEXT: State.INSTRUCTING, IntentName.BACK: State.INSTRUCTING,
    IntentName.SKIP: State.INSTRUCTING, IntentName.PAIN: State.SAFETY,
}
_REPEAT_OR_PAUSE = {IntentName.REPEAT: State.INSTRUCTING, IntentName.PAUSE: State.PAUSED}

TRANSITIONS: dict[State, dict[IntentName, State]] = {
    State.IDLE: _BEGIN,
    State.STOPPED: _BEGIN,
    State.CONFIRMING: {
        **_BEGIN, IntentName.YES: State.INSTRUCTING, IntentName.NO: State.IDLE, IntentName.PAIN: State.IDLE,
    },
    State.INSTRUCTING: {**_ON_AN_ITEM, **_REPEAT_OR_PAUSE},
    State.MOVING: {**_ON_AN_ITEM, **_REPEAT_OR_PAUSE},
    State.HOLDING: {**_ON_AN_ITEM, IntentName.PAUSE: State.PAUSED},
    State.REPETITIONS: {**_ON_AN_ITEM, IntentName.PAUSE: State.PAUSED},
    State.PAUSED: {**_ON_AN_ITEM, IntentName.REPEAT: State.INSTRUCTING, IntentName.RESUME: State.INSTRUCTING},
    State.SAFETY: {**_ON_AN_ITEM, IntentName.RESUME: State.INSTRUCTING},
}
"""The state each intent enters at once, from each state, in the middle of a routine (paused or stopped
for pain on a positioning step; a paused hold stays paused while "resuming" is said, and the last item
leads to ``idle``). Intents not listed leave the state alone and at most speak (help, info, voice)."""
