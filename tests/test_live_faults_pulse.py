"""Faults in the middle of a hold, live on the virtual sound card: a hung or killed recogniser, the
sound card removed and restored, the sound server restarted. Each time the person can still stop,
and the hold goes on with its remaining time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.live_helpers import LIVE_MARKS, Event, LiveCoach, events_after, reach_a_hold, running_coach
from voice.content import load_content
from voice.content.numbers import number_words
from voice.testing.pulse import PulseSink, _stop_server, _wait_for_server

pytestmark = LIVE_MARKS


@pytest.fixture
def coach(tmp_path: Path) -> Iterator[LiveCoach]:
    with running_coach(tmp_path) as running:
        yield running


def worker_pid(coach: LiveCoach) -> int:
    """The recogniser worker: the coach's child started by multiprocessing."""
    tasks = Path(f"/proc/{coach.process.pid}/task")
    for task in tasks.iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    raise AssertionError("the coach has no recogniser worker")


def is_notice(start: str) -> object:
    return lambda e: e["type"] == "notice" and e["text"].startswith(start)


def resumes_with_the_remaining_time(coach: LiveCoach, before: Event, after: float) -> None:
    """The coach says "Resuming, N seconds left" with N what was left when the hold paused, and counts
    on from there."""
    resuming = coach.wait_for(lambda e: e["type"] == "say" and e["text"].startswith("Resuming."), 60, after)
    events = coach.events()
    states = [e for e in events[: events.index(before)] if e["type"] == "state"]
    held = next(e for e in reversed(states) if e["state"] == "holding")
    paused = next(e for e in events_after(coach, before, "state") if e["state"] == "paused")
    left = 30 - (paused["t"] - held["t"])
    allowed = {f"Resuming. {number_words(n)} seconds left." for n in range(round(left) - 1, round(left) + 2)}
    assert resuming["text"] in allowed, (resuming["text"], left)
    counted = [e["n"] for e in events_after(coach, before, "count") if e["t"] <= paused["t"]]
    going_on = coach.wait_for(lambda e: e["type"] == "count", 30, resuming["t"])
    assert going_on["n"] > max([before["n"], *counted]) and going_on["of"] == 30


def all_devices_back(coach: LiveCoach, after: float) -> Event:
    """Wait until every lost device is back and the coach has finished saying so, line by line; the
    last notice. Its "working again" lines may start seconds after the notices (a reopened speaker
    stream on the idle null sink waits ~2 s before it flows): a person answers the line, not the
    notice, and one who speaks over the line may not be heard."""
    said_back = load_content().lines.device_back
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        notices = [e for e in coach.events() if e["type"] == "notice" and e["t"] > after]
        lost = sum(e["text"].startswith("device lost") for e in notices)
        back = [e for e in notices if e["text"].startswith("device back")]
        lines = {said_back.format(device=e["text"].removeprefix("device back (")[:-1]) for e in back}
        said = {e["text"] for e in coach.events() if e["type"] == "say" and e["t"] > after}
        talk = [e["type"] for e in coach.events() if e["type"] in ("say", "said")]
        if lost and len(back) >= lost and lines <= said and talk[-1] == "said":
            time.sleep(1.5)
            if [e["type"] for e in coach.events() if e["type"] in ("say", "said")][-1] == "said":
                return back[-1]
        time.sleep(0.1)
    raise AssertionError(f"the devices did not come back: {coach.events()[-12:]}; {coach.stderr_so_far()}")


def wait_until_quiet(coach: LiveCoach, seconds: float = 1.0, timeout: float = 40) -> float:
    """Wait until the coach has said nothing for ``seconds``; the log's time then."""

    def last_talk() -> Event | None:
        talk = [e for e in coach.events() if e["type"] in ("say", "said")]
        return talk[-1] if talk else None

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = last_talk()
        if before is not None and before["type"] == "said":
            time.sleep(seconds)
            if last_talk() == before:
                return float(coach.events()[-1]["t"])
        time.sleep(0.05)
    raise AssertionError(f"the coach never fell silent: {coach.events()[-12:]}")


def person_stops(coach: LiveCoach, after: float) -> None:
    """When the coach falls silent the person says "stop" (again if it was misheard, as a person
    would); it is heard and counting ends."""
    heard = None
    for _ in range(2):
        quiet = wait_until_quiet(coach)
        coach.speak("stop")
        try:
            heard = coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] == "stop", 8, quiet - 0.01)
            break
        except AssertionError:
            continue
    assert heard is not None, coach.stderr_so_far()
    coach.none_for(lambda e: e["type"] == "count", 4, heard["t"])
    assert coach.finish()[0] == 0


def test_a_hung_recogniser_pauses_the_hold_which_goes_on_once_a_new_one_hears(coach: LiveCoach) -> None:
    first = reach_a_hold(coach)
    hung = worker_pid(coach)
    stopped_at = coach.events()[-1]["t"]
    os.kill(hung, signal.SIGSTOP)
    lost = coach.wait_for(is_notice("hearing lost"), 10, stopped_at)
    assert lost["t"] - stopped_at <= 3.5  # 2 s silent, a ping's interval, a block; paused ~0.4 s after
    coach.wait_for(lambda e: e["type"] == "state" and e["state"] == "paused", 5, lost["t"] - 0.01)
    coach.wait_for(lambda e: e["type"] == "say" and e["text"].startswith("I can't hear you"), 10, lost["t"])
    back = coach.wait_for(is_notice("hearing back"), 60, lost["t"])
    assert worker_pid(coach) != hung
    resumes_with_the_remaining_time(coach, first, back["t"] - 0.01)
    person_stops(coach, back["t"])


def test_stop_said_just_as_the_recogniser_is_killed_still_stops(coach: LiveCoach) -> None:
    reach_a_hold(coach)
    killed_at = coach.events()[-1]["t"]
    os.kill(worker_pid(coach), signal.SIGKILL)
    coach.speak("stop")  # the coach may talk over it ("I can't hear you..."): then the person says it again
    try:
        heard = coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] == "stop", 10, killed_at)
    except AssertionError:
        person_stops(coach, killed_at)
        return
    coach.none_for(lambda e: e["type"] == "count", 4, heard["t"])
    assert coach.finish()[0] == 0


def null_sink_module(sink: PulseSink) -> str:
    for line in sink.pactl("list", "short", "modules").splitlines():
        number, name, *_ = line.split("\t")
        if name == "module-null-sink":
            return number
    raise AssertionError("no null sink loaded")


def restore_sink(sink: PulseSink) -> None:
    sink.pactl("load-module", "module-null-sink", f"sink_name={sink.sink}")
    sink.pactl("set-default-sink", sink.sink)
    sink.pactl("set-default-source", sink.monitor)


def test_the_sound_card_removed_and_restored_mid_hold(coach: LiveCoach) -> None:
    first = reach_a_hold(coach)
    sink = coach.sink
    removed_at = coach.events()[-1]["t"]
    sink.pactl("unload-module", "module-always-sink")  # else PulseAudio moves the streams to a dummy
    sink.pactl("unload-module", null_sink_module(sink))
    lost = coach.wait_for(is_notice("device lost"), 15, removed_at)
    coach.wait_for(lambda e: e["type"] == "state" and e["state"] == "paused", 5, removed_at)
    time.sleep(4)  # gone longer than the 3 s after which the device list is read again
    restore_sink(sink)
    back = all_devices_back(coach, lost["t"] - 0.5)
    coach.speak("resume")
    resumes_with_the_remaining_time(coach, first, back["t"])
    person_stops(coach, back["t"])


def test_the_sound_server_restarted_mid_hold(coach: LiveCoach) -> None:
    first = reach_a_hold(coach)
    sink = coach.sink
    gone_at = coach.events()[-1]["t"]
    _stop_server(sink.runtime_dir)
    lost = coach.wait_for(is_notice("device lost"), 15, gone_at)
    coach.wait_for(lambda e: e["type"] == "state" and e["state"] == "paused", 5, gone_at)
    subprocess.run(
        ["pulseaudio", "-D", "--exit-idle-time=-1", "-n", "--load=module-native-protocol-unix",
         f"--load=module-null-sink sink_name={sink.sink}", "--load=module-always-sink"],
        env=sink.env, check=True, capture_output=True,
    )
    _wait_for_server(sink.env)
    sink.pactl("set-default-sink", sink.sink)
    sink.pactl("set-default-source", sink.monitor)
    back = all_devices_back(coach, lost["t"] - 0.5)
    coach.speak("resume")
    resumes_with_the_remaining_time(coach, first, back["t"])
    person_stops(coach, back["t"])


LAUNCHER = """
import os, sys
from pathlib import Path
import voice.apps.live as live
from voice.errors import SpeechError
from voice.speech.synthesis import Synthesizer

class FakeBrokenSynthesizer(Synthesizer):
    '''A fake: the real espeak-ng synthesiser, failing as the test asks (one line that cannot be
    rendered; or, once a flag file exists, everything not rendered before, as if espeak-ng were gone:
    removing the system's espeak-ng mid-test is not an option).'''

    def synthesize(self, text, rate=None):
        gone = Path(os.environ["FAKE_ESPEAK_GONE_FLAG"]).exists() and self.cached(text, rate) is None
        if text == os.environ.get("FAKE_FAILING_LINE") or gone:
            raise SpeechError("speech synthesis failed: the fake cannot render this")
        return super().synthesize(text, rate)

live.Synthesizer = FakeBrokenSynthesizer
from voice.apps.cli import main
sys.exit(main(sys.argv[1:]))
"""


class CoachWithFakeBrokenVoice(LiveCoach):
    """The live coach in its own process, its synthesiser replaced by ``FakeBrokenSynthesizer``."""

    def __init__(self, sink: PulseSink, folder: Path, failing_line: str = "") -> None:
        self.sink, self.folder = sink, folder
        self.log, self.stderr = folder / "events.jsonl", folder / "stderr.txt"
        self.espeak_gone = folder / "espeak-gone"
        env = {**sink.env, "FAKE_ESPEAK_GONE_FLAG": str(self.espeak_gone), "FAKE_FAILING_LINE": failing_line}
        command = [sys.executable, "-c", LAUNCHER, "--events", str(self.log), "--device", "pulse",
                   "--output-device", "pulse", "--engine", "pocketsphinx", "--verbose"]
        with self.stderr.open("w") as err:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=err, text=True)


HOLD_STEP = "Hold it there for thirty seconds. Keep breathing."


def test_a_line_that_cannot_be_spoken_is_printed_and_the_hold_still_comes(tmp_path: Path) -> None:
    sink = PulseSink.start()
    coach = CoachWithFakeBrokenVoice(sink, tmp_path, failing_line=HOLD_STEP)
    try:
        count = reach_a_hold(coach)  # the hold's own words could not be said, yet it started
        step = coach.wait_for(lambda e: e["type"] == "say" and e["text"] == HOLD_STEP, 1, -1)
        assert step["t"] < count["t"]
        person_stops(coach, count["t"])
        assert f"coach: {HOLD_STEP}" in coach.process.communicate(timeout=10)[0]
        assert f"Cannot say {HOLD_STEP!r}" in coach.stderr_so_far()
    finally:
        if coach.process.poll() is None:
            coach.process.kill()
        sink.stop()


def test_espeak_gone_mid_hold_the_person_pauses_resumes_and_stops(tmp_path: Path) -> None:
    sink = PulseSink.start()
    coach = CoachWithFakeBrokenVoice(sink, tmp_path)
    try:
        first = reach_a_hold(coach)
        coach.espeak_gone.touch()
        coach.speak("pause")
        paused = coach.wait_for(lambda e: e["type"] == "heard" and e["intent"] == "pause", 15, first["t"])
        coach.wait_for(lambda e: e["type"] == "said", 15, paused["t"])
        time.sleep(1.5)
        coach.speak("resume")
        resumes_with_the_remaining_time(coach, first, paused["t"])
        person_stops(coach, paused["t"])
        assert "Traceback" not in coach.stderr_so_far()
    finally:
        if coach.process.poll() is None:
            coach.process.kill()
        sink.stop()
