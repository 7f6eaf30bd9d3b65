"""Direct tests of the coach's parts: the plan of an exercise, the session's wiring, the real-time loop."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field

from voice.clock import VirtualClock
from voice.coach.actions import EventLog, Say, VoiceChange
from voice.coach.dialogue import Coach
from voice.coach.messages import Intent
from voice.coach.plan import BeatKind, ItemRole, beats, exercise_items
from voice.coach.runtime import RealtimeLoop
from voice.coach.session import Session
from voice.coach.settings import CoachSettings, CountCadence
from voice.content import StepKind, load_content


def test_a_two_sided_exercise_runs_every_step_on_each_side_with_a_switch_between() -> None:
    content = load_content()
    exercise = next(exercise for exercise in content.exercises if exercise.two_sided)
    items = exercise_items(content, exercise, switch_seconds=6.0)
    assert [items[0].role, items[-1].role] == [ItemRole.INTRO, ItemRole.DONE]
    steps = [item for item in items if item.role is ItemRole.STEP]
    assert [item.side for item in steps] == ["left"] * len(exercise.steps) + ["right"] * len(exercise.steps)
    assert [item.number for item in steps] == [*range(1, len(exercise.steps) + 1)] * 2
    (switch,) = [item for item in items if item.role is ItemRole.SWITCH]
    assert switch.side == "right" and switch.settle == 6.0
    assert items.index(switch) == 1 + len(exercise.steps)


def test_a_hold_is_counted_on_its_seconds_and_ends_on_its_last() -> None:
    hold = next(
        step for exercise in load_content().exercises for step in exercise.steps if step.kind is StepKind.HOLD
    )
    timed = beats(hold, CountCadence(every=5, final=3))
    counts = [beat for beat in timed if beat.kind is BeatKind.COUNT]
    seconds = hold.seconds
    counted = {*range(5, seconds + 1, 5), *range(seconds - 2, seconds + 1)}
    assert [beat.n for beat in counts] == sorted(counted)
    assert all(beat.offset == beat.n - 1 and beat.of == hold.seconds for beat in counts)
    assert timed[-1].kind is BeatKind.RELEASE and timed[-1].offset == hold.seconds


@dataclass
class RecordingSpeech:
    """A fake speech port: keeps what it is asked to say and how often it is cut."""

    said: list[Say] = field(default_factory=list)
    cuts: int = 0

    def say(self, say: Say) -> None:
        self.said.append(say)

    def cut(self) -> None:
        self.cuts += 1


def test_the_session_logs_what_is_heard_and_said_and_passes_voice_changes_on() -> None:
    clock = VirtualClock()
    log, printed, changes = io.StringIO(), io.StringIO(), []
    coach = Coach(load_content(), CoachSettings(), clock)
    session = Session(coach, clock, EventLog(log), printed=printed, on_voice_change=changes.append)
    speech = RecordingSpeech()
    session.attach(speech)
    session.begin()
    greeting = speech.said[0]
    assert greeting.kind == "greeting" and printed.getvalue() == f"coach: {greeting.text}\n"
    clock.advance_to(2.0)
    session.speech_started(greeting)
    clock.advance_to(3.5)
    session.speech_finished(greeting, interrupted=False)
    session.heard(Intent("slower", None, 1.0, "slower"))
    events = [json.loads(line) for line in log.getvalue().splitlines()]
    logged = [(event["t"], event["type"]) for event in events[-3:]]
    assert logged == [(2.0, "say"), (3.5, "said"), (3.5, "heard")]
    assert changes == [VoiceChange(CoachSettings().rate - CoachSettings().rate_step, 1.0)]


def test_the_loop_runs_posted_work_on_its_thread_until_stopped() -> None:
    clock = VirtualClock()
    session = Session(Coach(load_content(), CoachSettings(), clock), clock, EventLog(None))
    loop = RealtimeLoop(session, clock)
    ran_on: list[str] = []
    runner = threading.Thread(target=loop.run, name="the-loop")
    runner.start()
    loop.post(lambda: ran_on.append(threading.current_thread().name))
    loop.stop_when(lambda: bool(ran_on))
    runner.join(timeout=5)
    assert not runner.is_alive() and ran_on == ["the-loop"]
