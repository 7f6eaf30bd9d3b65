"""The recogniser's worker hung or unable to start: found within 2 s, replaced, restarts backed off."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import requires_espeak
from voice.apps.simulate import Simulation
from voice.coach.settings import CoachSettings
from voice.content import load_content
from voice.listening.backoff import Backoff
from voice.listening.recognizer import ListenSettings
from voice.listening.worker import RecognizerProcess, WorkerHooks
from voice.pcm import read_wav_pcm16k
from voice.testing.audio import espeak_wav

SPHINX = ListenSettings(engine="pocketsphinx")
CONTENT = load_content()


class Reports:
    """What the recogniser told its hooks, with when."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, str]] = []

    def hooks(self) -> WorkerHooks:
        return WorkerHooks(
            deaf=lambda why: self.seen.append((time.monotonic(), f"deaf: {why}")),
            hearing=lambda: self.seen.append((time.monotonic(), "hearing")),
            gave_up=lambda why: self.seen.append((time.monotonic(), "gave up")),
        )

    @property
    def kinds(self) -> list[str]:
        return [what.split(":")[0] for _, what in self.seen]


def keep_checking(recognizer: RecognizerProcess, until: Callable[[], bool], seconds: float) -> None:
    """Call ``check`` every 20 ms, as the listener does with each audio block."""
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        recognizer.check()
        time.sleep(0.02)


def test_a_paused_worker_is_found_within_two_seconds_and_replaced() -> None:
    reports = Reports()
    with RecognizerProcess(CONTENT, SPHINX) as recognizer:
        recognizer.watch(reports.hooks())
        keep_checking(recognizer, lambda: False, 1.0)  # healthy: pings answered, nothing reported
        assert reports.seen == []
        hung = recognizer.pid
        assert hung is not None
        os.kill(hung, signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            keep_checking(recognizer, lambda: "hearing" in reports.kinds, 30)
        finally:
            with contextlib.suppress(ProcessLookupError):  # already killed by its replacement
                os.kill(hung, signal.SIGKILL)
        assert reports.kinds == ["deaf", "hearing"], reports.seen
        assert reports.seen[0][0] - stopped <= 2.0 + 0.5 + 0.2  # the limit, a ping's interval, slack
        assert recognizer.pid not in (None, hung)
        replacement = recognizer.pid
        recognizer.reset()
        recognizer.accept(bytes(3200))
        recognizer.final()
        assert recognizer.pid == replacement and reports.kinds == ["deaf", "hearing"]  # it answered


@requires_espeak
@pytest.mark.audio
def test_words_said_as_the_worker_hangs_is_decoded_by_its_replacement(tmp_path: Path) -> None:
    pcm = read_wav_pcm16k(espeak_wav(tmp_path, "next step", pad=0.3))
    with RecognizerProcess(CONTENT, SPHINX) as recognizer:
        recognizer.reset()
        hung = recognizer.pid
        assert hung is not None
        os.kill(hung, signal.SIGSTOP)
        try:
            for start in range(0, len(pcm), 640):
                recognizer.accept(pcm[start : start + 640])
            asked = time.monotonic()
            heard = recognizer.final()
        finally:
            with contextlib.suppress(ProcessLookupError):  # already killed by its replacement
                os.kill(hung, signal.SIGKILL)
        assert heard.text == "next step"
        assert time.monotonic() - asked < 2.5 + 20  # found within the reply limit, then a fresh start


def fail_from_now_on(recognizer: RecognizerProcess, tmp_path: Path) -> None:
    """Kill the worker; every replacement then fails to load its model (a real failure in the worker)."""
    recognizer._settings = replace(SPHINX, engine="vosk", model=tmp_path / "gone")
    pid = recognizer.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)


class FakeClock:
    """A fake clock for the back-off (waits of seconds to a minute are not waited for in a test)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_worker_that_cannot_start_is_not_restarted_on_every_audio_block(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    with RecognizerProcess(CONTENT, SPHINX, Backoff(clock=clock)) as recognizer:
        fail_from_now_on(recognizer, tmp_path)
        with caplog.at_level(logging.WARNING, logger="voice.listening.worker"):
            ends = time.monotonic() + 4
            while time.monotonic() < ends:  # 20 ms audio blocks while no time passes on the back-off
                recognizer.accept(bytes(640))
                time.sleep(0.02)
        starts = [r for r in caplog.records if "no such model folder" in r.getMessage()]
        assert len(starts) == 1, [r.getMessage() for r in caplog.records][:10]


def test_restarts_back_off_and_then_give_up_once(tmp_path: Path) -> None:
    clock = FakeClock()
    reports = Reports()
    backoff = Backoff(clock=clock, give_up_after=4)
    with RecognizerProcess(CONTENT, SPHINX, backoff) as recognizer:
        recognizer.watch(reports.hooks())
        fail_from_now_on(recognizer, tmp_path)
        waits = []
        for _ in range(6):
            recognizer.accept(bytes(640))
            waits.append(backoff.wait)
            clock.now += backoff.wait
        recognizer.accept(bytes(640))
    assert waits[:3] == [1.0, 2.0, 4.0]
    assert backoff.attempts == 4
    assert reports.kinds == ["deaf", "gave up"]


def test_the_wait_grows_to_a_minute_and_starts_over_after_a_minute_of_work() -> None:
    clock = FakeClock()
    backoff = Backoff(clock=clock, give_up_after=100)
    waits = []
    for _ in range(9):
        assert backoff.due()
        backoff.attempt()
        waits.append(backoff.wait)
        assert not backoff.due()
        clock.now += backoff.wait
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    clock.now += 60
    backoff.working()
    assert backoff.attempts == 0 and backoff.due()


def test_while_the_recogniser_is_replaced_the_hold_pauses_and_then_goes_on_with_its_remaining_time() -> None:
    log = io.StringIO()
    simulation = Simulation(CONTENT, CoachSettings(), log)
    simulation.session.begin()
    simulation.say("start hamstring")
    simulation.run_until(50.0)
    assert simulation.coach.state == "holding"
    simulation.session.hearing_lost()
    assert simulation.coach.state == "paused"
    simulation.run_until(53.0)
    assert simulation.coach.state == "paused"  # no counting while nothing can be heard
    simulation.session.hearing_back()  # no "resume" needed: the coach paused by itself
    simulation.run_until(60.0)
    assert simulation.coach.state == "holding"
    events = [json.loads(line) for line in log.getvalue().splitlines()]
    said = [e["text"] for e in events if e["type"] == "say"]
    assert CONTENT.lines.cannot_hear in said
    resumed = [text for text in said if text.startswith("Resuming.")]
    assert len(resumed) == 1 and "seconds left" in resumed[0]


def test_when_hearing_cannot_be_restored_the_exercise_stops_and_the_coach_says_so() -> None:
    log = io.StringIO()
    simulation = Simulation(CONTENT, CoachSettings(), log)
    simulation.session.begin()
    simulation.say("start hamstring")
    simulation.run_until(50.0)
    simulation.session.hearing_lost()
    simulation.session.hearing_failed()
    simulation.run_until(120.0)
    assert simulation.coach.state == "stopped"
    said = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [e["text"] for e in said if e["type"] == "say"][-1] == CONTENT.lines.hearing_failed
