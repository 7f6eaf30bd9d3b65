"""The dialogue manager on the virtual clock: timing of holds, pause, pain, sides, summary."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from voice.apps.simulate import Simulation, parse_script
from voice.coach.messages import NONE, Intent
from voice.coach.settings import CoachSettings, CountCadence
from voice.coach.states import TRANSITIONS, State
from voice.content import load_content

CONTENT = load_content()
Event = dict[str, Any]


def run(script: str, settings: CoachSettings | None = None) -> list[Event]:
    stream = io.StringIO()
    Simulation(CONTENT, settings or CoachSettings(), stream).run(parse_script(script, "test"))
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def of_type(events: list[Event], kind: str) -> list[Event]:
    return [event for event in events if event["type"] == kind]


def hold_starts(events: list[Event]) -> list[Event]:
    return [e for e in of_type(events, "state") if e["state"] == "holding"]


def says(events: list[Event], text: str) -> list[Event]:
    return [e for e in of_type(events, "say") if text in e["text"]]


def test_full_hamstring_session_counts_each_side_on_time() -> None:
    events = run("2 start hamstring stretch")
    starts = hold_starts(events)
    assert [e["side"] for e in starts] == ["left", "right"]
    releases = says(events, "release")
    assert len(releases) == 2
    for start, release in zip(starts, releases, strict=True):
        assert release["t"] - start["t"] == pytest.approx(30.0, abs=0.05)
        counts = [e for e in of_type(events, "count") if start["t"] <= e["t"] <= release["t"]]
        assert [c["n"] for c in counts] == [5, 10, 15, 20, 25, 26, 27, 28, 29, 30]
        assert all(c["of"] == 30 for c in counts)
        for count in counts:
            assert count["t"] - start["t"] == pytest.approx(count["n"] - 1, abs=0.05)
    assert says(events, "Now the other side")
    assert says(events, "hamstring stretch done")


def test_every_count_has_a_say_at_the_same_moment() -> None:
    events = run("2 start hamstring")
    spoken = {round(e["t"], 3) for e in of_type(events, "say") if e["kind"] == "count"}
    assert {round(c["t"], 3) for c in of_type(events, "count")} == spoken


def test_count_cadence_is_a_setting() -> None:
    settings = CoachSettings(cadence=CountCadence(every=10, final=3))
    events = run("2 start hamstring", settings)
    first_side = [c["n"] for c in of_type(events, "count")][:6]
    assert first_side == [10, 20, 28, 29, 30, 10]


def test_pause_in_a_hold_keeps_the_remaining_time() -> None:
    plain = run("2 start hamstring")
    start = hold_starts(plain)[0]["t"]
    events = run(f"2 start hamstring\n{start + 12.2:.3f} wait\n{start + 40:.3f} resume")
    assert says(events, "Paused")
    resumed = says(events, "eighteen seconds left")
    assert len(resumed) == 1
    back = next(e for e in hold_starts(events) if e["t"] > start + 40)
    release = says(events, "release")[0]
    assert release["t"] - back["t"] == pytest.approx(30 - 12.2, abs=0.05)
    counts_after = [c["n"] for c in of_type(events, "count") if start + 12.2 < c["t"] < release["t"]]
    assert counts_after == [15, 20, 25, 26, 27, 28, 29, 30]
    no_counts_while_paused = [c for c in of_type(events, "count") if start + 12.2 < c["t"] < start + 40]
    assert no_counts_while_paused == []


def test_pain_in_a_hold_cuts_speech_at_once_and_counting_ends() -> None:
    plain = run("2 start hamstring")
    start = hold_starts(plain)[0]["t"]
    pain_at = start + 4.1  # while "five" is being spoken
    events = run(f"2 start hamstring\n{pain_at:.3f} ouch")
    cut = [e for e in of_type(events, "said") if e["t"] == pytest.approx(pain_at, abs=1e-3)]
    assert cut and cut[0]["interrupted"] is True
    safety = [e for e in of_type(events, "say") if e["kind"] == "safety"]
    assert [e["text"] for e in safety] == [CONTENT.lines.pain, CONTENT.lines.pain_options]
    assert safety[0]["t"] == pytest.approx(pain_at, abs=1e-3)
    assert [c["n"] for c in of_type(events, "count")] == [5]
    assert of_type(events, "state")[-1]["state"] == "safety"
    assert not [e for e in hold_starts(events) if e["t"] > pain_at]


def test_after_pain_skip_moves_on_and_resume_restarts_the_step_gently() -> None:
    start = hold_starts(run("2 start routine"))[0]["t"]
    skipped = run(f"2 start routine\n{start + 3:.3f} that hurts\n{start + 20:.3f} skip")
    assert says(skipped, "Skipping the piriformis stretch")
    assert says(skipped, "Let's do the hip flexor stretch")
    resumed = run(f"2 start routine\n{start + 3:.3f} ouch\n{start + 20:.3f} resume")
    again = next(e for e in hold_starts(resumed) if e["t"] > start + 20)
    assert says(resumed, "release")[0]["t"] - again["t"] == pytest.approx(30.0, abs=0.05)


def test_full_routine_runs_every_exercise_and_ends_with_a_summary() -> None:
    events = run("1 start routine")
    exercises = []
    for e in of_type(events, "state"):
        if e["exercise"] and (not exercises or exercises[-1] != e["exercise"]):
            exercises.append(e["exercise"])
    assert exercises == [e.id for e in CONTENT.exercises]
    summary = says(events, "You did")
    assert len(summary) == 1
    assert "the piriformis stretch on both sides" in summary[0]["text"]
    assert "the core exercise" in summary[0]["text"]
    assert "and the side leg raise on both sides" in summary[0]["text"]


def test_repetitions_are_counted_with_their_hold() -> None:
    events = run("1 start side leg raise")
    counts = of_type(events, "count")
    assert [c["n"] for c in counts] == list(range(1, 11)) * 2
    assert all(c["of"] == 10 for c in counts)
    lowers = says(events, "lower slowly")
    firsts = [c for c in counts if c["n"] == 1]
    assert lowers[0]["t"] - firsts[0]["t"] == pytest.approx(2.0, abs=0.05)


def test_stop_ends_with_a_summary_of_what_was_done() -> None:
    start = hold_starts(run("2 start hamstring"))[1]["t"]
    events = run(f"2 start hamstring\n{start + 5:.3f} stop")
    assert says(events, "Stopping here")
    assert says(events, "You did the hamstring stretch on the left side.")
    assert of_type(events, "state")[-1]["state"] == "stopped"
    assert not [c for c in of_type(events, "count") if c["t"] > start + 5]


def test_next_back_and_repeat_move_between_steps() -> None:
    events = run("2 start hamstring\n10 next\n11 back\n12 repeat")
    steps = [(e["t"], e["step"]) for e in of_type(events, "state") if e["state"] == "instructing"]
    assert [s for t, s in steps if 9.9 < t < 13] == [2, 1, 1]


def test_low_confidence_name_is_confirmed_but_stop_never_is() -> None:
    simulation = Simulation(CONTENT, CoachSettings(), io.StringIO())
    simulation.session.begin()
    simulation.say("start hamstring stretch", confidence=0.6)
    assert simulation.coach.state == "confirming"
    simulation.say("yes")
    assert simulation.coach.state == "instructing"
    simulation.say("stop", confidence=0.3)
    assert simulation.coach.state == "stopped"


def test_confirmation_no_goes_back_to_waiting() -> None:
    simulation = Simulation(CONTENT, CoachSettings(), io.StringIO())
    simulation.session.begin()
    simulation.say("start psoas", confidence=0.6)
    simulation.say("no")
    assert simulation.coach.state == "idle"


def test_slower_and_faster_change_the_speech_rate() -> None:
    simulation = Simulation(CONTENT, CoachSettings(rate=150), io.StringIO())
    simulation.session.begin()
    simulation.say("slower")
    assert simulation.coach.rate == 125
    simulation.say("faster")
    simulation.say("faster")
    assert simulation.coach.rate == 175


def test_chatter_does_nothing() -> None:
    quiet = run("2 start hamstring")
    chatty = run("2 start hamstring\n20 I think I left the oven on\n50 what time is it")
    def without_heard(events: list[Event]) -> list[Event]:
        return [e for e in events if e["type"] != "heard"]

    assert without_heard(chatty) == without_heard(quiet)
    assert [e["intent"] for e in of_type(chatty, "heard")] == ["start", "none", "none"]


def test_info_help_and_list_answer() -> None:
    events = run("2 start psoas\n6 what is this for\n30 help\n60 list exercises")
    assert [e["kind"] for e in says(events, "psoas sits deep")] == ["info"]
    assert says(events, "You can say")
    assert says(events, "The exercises are: piriformis stretch, hip flexor stretch")


def test_a_lost_device_freezes_the_hold_and_its_return_is_announced() -> None:
    simulation = Simulation(CONTENT, CoachSettings(), io.StringIO())
    simulation.session.begin()
    simulation.say("start hamstring")
    simulation.run_until(50.0)
    assert simulation.coach.state == "holding"
    simulation.session.device_lost()
    assert simulation.coach.state == "paused"
    simulation.run_until(100.0)
    assert simulation.coach.state == "paused"  # no counting while the device is gone
    simulation.session.device_back("microphone")
    simulation.say("resume")
    simulation.run_until(101.0)
    assert simulation.coach.state == "paused"  # "Resuming, N seconds left" is being said
    simulation.run_until(110.0)
    assert simulation.coach.state == "holding"


INTENT_NAMES = sorted({phrase.intent for phrase in CONTENT.phrases} - {NONE})
ON_A_STEP = {State.PAUSED: "pause", State.SAFETY: "pain"}
"""States entered by saying something on the first step of a routine."""


def heard(simulation: Simulation, log: io.StringIO, name: str, confidence: float = 1.0) -> list[str]:
    """Tell the coach the person said ``name``; the states it entered, in order."""
    before = len(log.getvalue())
    exercise = CONTENT.exercises[0].id if name == "start" else None
    simulation.session.heard(Intent(name, exercise, confidence, name))
    events = [json.loads(line) for line in log.getvalue()[before:].splitlines()]
    return [event["state"] for event in of_type(events, "state")]


def coach_in(state: State) -> tuple[Simulation, io.StringIO]:
    """A coach in ``state`` (in the middle of a routine when the state belongs to an exercise) and its log."""
    log = io.StringIO()
    simulation = Simulation(CONTENT, CoachSettings(), log)
    simulation.session.begin()
    if state is State.STOPPED:
        heard(simulation, log, "stop")
    elif state is State.CONFIRMING:
        heard(simulation, log, "start", confidence=0.5)
    elif state is not State.IDLE:
        heard(simulation, log, "routine")
        walk_to = State.INSTRUCTING if state in ON_A_STEP else state
        t = 0.0
        while simulation.coach.state is not walk_to:
            t += 0.25
            assert t < 3600, f"the routine never reached {walk_to}"
            simulation.run_until(t)
        if state in ON_A_STEP:
            heard(simulation, log, ON_A_STEP[state])
    assert simulation.coach.state is state
    return simulation, log


def test_the_transitions_table_covers_every_state_and_only_known_intents() -> None:
    assert set(TRANSITIONS) == set(State)
    assert all(set(row) <= set(INTENT_NAMES) for row in TRANSITIONS.values())


@pytest.mark.parametrize("state", list(State))
def test_each_intent_leads_where_the_transitions_table_says(state: State) -> None:
    wrong: dict[str, str] = {}
    for name in INTENT_NAMES:
        simulation, log = coach_in(state)
        entered = heard(simulation, log, name)
        expected = TRANSITIONS[state].get(name)
        if expected is None and (entered or simulation.coach.state is not state):
            wrong[name] = f"entered {entered}, expected to stay {state}"
        elif expected is not None and entered[-1:] != [expected.value]:
            wrong[name] = f"entered {entered}, expected {expected}"
    assert not wrong, f"from {state}: {wrong}"
