"""The coach's states, what ``help`` offers in each, and the transition table (a specification)."""

from __future__ import annotations

from enum import StrEnum


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
