"""Real playback through the PulseAudio null sink, recorded back from its monitor; the silent output."""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.helpers import requires_espeak
from voice.audio.speaker import Clip, NullOutput, SoundDeviceOutput, SpeakerStream, open_output
from voice.pcm import FILTER_SPAN, TARGET_RATE, Pcm
from voice.speech.output import SpeechOut
from voice.speech.synthesis import Synthesizer
from voice.testing.audio import rms
from voice.testing.pulse import PulseSink

Audio = npt.NDArray[np.float32]
STEP = "Hold your left leg behind the knee with both hands."
LOUD = 0.02
"""Recorded samples above this (of 1.0) count as sound; the null sink's monitor is otherwise exact zero."""


class Recorder:
    """Records the sink's monitor at 16 kHz."""

    def __init__(self, device: str) -> None:
        import sounddevice as sd

        self.blocks: list[Audio] = []
        self.overflows = 0
        self._count = 0
        self._grew = threading.Condition()
        self._stream = sd.InputStream(
            samplerate=TARGET_RATE, blocksize=160, channels=1, dtype="float32", device=device, latency=0.04,
            callback=self._callback,
        )

    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        with self._grew:
            self.blocks.append(indata[:, 0].copy())
            self._count += frames
            self.overflows += bool(status.input_overflow)
            self._grew.notify_all()

    def wait_for(self, seconds: float) -> None:
        """Wait until ``seconds`` more audio has been recorded (from now)."""
        with self._grew:
            target = self._count + round(seconds * TARGET_RATE)
            recorded = self._grew.wait_for(lambda: self._count >= target, timeout=seconds + 10)
        assert recorded, "the recording stalled"

    def __enter__(self) -> Recorder:
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()

    def audio(self) -> Audio:
        """Everything recorded."""
        return np.concatenate(self.blocks)


def loud_span(audio: Audio) -> tuple[int, int]:
    """First and last sample above LOUD."""
    loud = np.flatnonzero(np.abs(audio) > LOUD)
    assert len(loud), "nothing was heard"
    return int(loud[0]), int(loud[-1])


@pytest.fixture(scope="module")
def speaker(pulse_sink: PulseSink) -> Iterator[SoundDeviceOutput]:
    """The null sink's speaker, once its stream flows (a new stream stalls ~2 s on the idle null sink)."""
    output = SoundDeviceOutput(pulse_sink.device)
    deadline = time.monotonic() + 5
    while output.stream.played < TARGET_RATE // 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    yield output
    output.close()


def best_lag(heard: Audio, played: Audio, around: int, reach: int = 800) -> int:
    """Where in ``heard`` (near ``around``) ``played`` starts: the lag of greatest cross-correlation."""
    start = max(0, around - reach)
    window = heard[start : around + reach + len(played)]
    scores = np.correlate(window, played, mode="valid")
    return start + int(np.argmax(scores))


class Finished:
    """Collects on_done reports and the output's sample counter at each."""

    def __init__(self, output: SoundDeviceOutput | None = None) -> None:
        self.reports: list[bool] = []
        self.played_at: list[int] = []
        self.event = threading.Event()
        self._output = output
        self._reported = threading.Condition()

    def __call__(self, interrupted: bool) -> None:
        with self._reported:
            self.reports.append(interrupted)
            self.played_at.append(self._output.stream.played if self._output else 0)
            self.event.set()
            self._reported.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` reports have come in."""
        with self._reported:
            assert self._reported.wait_for(lambda: len(self.reports) >= count, timeout), self.reports


@pytest.mark.pulse
@requires_espeak
def test_speech_played_to_the_sink_comes_back_on_its_monitor(speaker: SoundDeviceOutput) -> None:
    synthesizer = Synthesizer()
    pcm = synthesizer.synthesize(STEP)
    synthesizer.close()
    done = Finished()
    with Recorder("pulse") as recorder:
        recorder.wait_for(0.3)
        speaker.play(pcm, done)
        assert done.event.wait(pcm.duration + 10)
        recorder.wait_for(0.3)
    assert done.reports == [False]
    heard = recorder.audio()
    first, last = loud_span(heard)
    assert (last - first) / TARGET_RATE == pytest.approx(pcm.duration, abs=0.05)  # samples, not seconds
    played = pcm.floats()
    start = best_lag(heard, played, first)
    section = heard[start : start + len(played)]
    assert len(section) == len(played)
    # The recording is the played speech itself: the same waveform at the same level.
    assert np.corrcoef(section, played)[0, 1] > 0.95
    assert rms(section) == pytest.approx(rms(played), rel=0.1)


class Collected:
    """A Reference that keeps what it is given."""

    def __init__(self) -> None:
        self.blocks: list[Audio] = []

    def write(self, samples: Audio) -> None:
        self.blocks.append(samples.copy())

    def audio(self) -> Audio:
        return np.concatenate(self.blocks)


@pytest.mark.pulse
@requires_espeak
def test_a_device_that_refuses_16_khz_gets_resampled_sound(pulse_sink: PulseSink) -> None:
    synthesizer = Synthesizer()
    pcm = synthesizer.synthesize(STEP)
    synthesizer.close()
    reference = Collected()
    stream = SpeakerStream(pulse_sink.device, reference, rate=44100)  # as a device whose rate is 44.1 kHz
    stream.open()
    done = Finished()
    try:
        with Recorder(pulse_sink.device) as recorder:
            recorder.wait_for(0.3)
            stream.play(Clip(pcm.floats(), lambda: None, done))
            assert done.event.wait(pcm.duration + 10)
            recorder.wait_for(0.3)
    finally:
        stream.close()
    played = stream.played  # closed: no callback can add to it or to the reference any more
    assert done.reports == [False]
    heard = recorder.audio()
    first, last = loud_span(heard)
    assert (last - first) / TARGET_RATE == pytest.approx(pcm.duration, abs=0.05)
    start = best_lag(heard, pcm.floats(), first)
    assert np.corrcoef(heard[start : start + len(pcm.samples)], pcm.floats())[0, 1] > 0.9
    # The echo reference stays 16 kHz: as many samples as were played, less the resampler's lag, and
    # the clip itself in them.
    reference_audio = reference.audio()
    expected = played * TARGET_RATE / 44100
    assert expected - FILTER_SPAN <= len(reference_audio) <= expected + 1
    at = best_lag(reference_audio, pcm.floats(), loud_span(reference_audio)[0])
    # (16 -> 44.1 -> 16 kHz loses only the top of the band)
    assert np.corrcoef(reference_audio[at : at + len(pcm.samples)], pcm.floats())[0, 1] > 0.95


TONE_SECONDS = 4
"""Length of the tone that is cut."""
CUT_AFTER = 1.0
"""Seconds of the tone handed to the device before it is cut."""
DEVICE_BUFFER = 0.25
"""Sound the device and the sound server may still hold after a cut, with room for a busy machine
(about 40 ms measured through the null sink)."""


def cut_once(speaker: SoundDeviceOutput, device: str) -> tuple[int, int, Recorder, Finished]:
    """Play a tone, cut it once ``CUT_AFTER`` seconds of it were handed to the device; returns the
    sample counts when it started and when it was cut, the recording and the reports."""
    seconds = np.arange(TONE_SECONDS * TARGET_RATE) / TARGET_RATE
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * seconds)).astype(np.int16)
    started = threading.Event()
    done = Finished(speaker)
    with Recorder(device) as recorder:
        recorder.wait_for(0.3)
        speaker.play(Pcm(tone, TARGET_RATE), done, started.set)
        assert started.wait(10)
        started_at = speaker.stream.played
        while speaker.stream.played - started_at < CUT_AFTER * TARGET_RATE:
            recorder.wait_for(0.01)
        played_before = speaker.stream.played
        speaker.cut()
        assert done.event.wait(10)
        recorder.wait_for(DEVICE_BUFFER + 0.1)
    return started_at, played_before, recorder, done


@pytest.mark.pulse
def test_cut_stops_the_sound_within_a_block(speaker: SoundDeviceOutput, pulse_sink: PulseSink) -> None:
    started_at, played_before, recorder, done = cut_once(speaker, pulse_sink.device)
    assert done.reports == [True]
    assert not speaker.busy
    # The callback hands at most the block in progress after cut(); the block that applies it is silent.
    assert done.played_at[0] - played_before <= 2 * 160
    # What was heard is what was handed before the cut plus at most the device's buffer, not the
    # rest of the tone. (scripts/bench_live.py measures barge-in: a spoken "stop" to the cut.)
    first, last = loud_span(recorder.audio())
    handed = played_before - started_at + 160
    assert (last - first) / TARGET_RATE <= (handed / TARGET_RATE) + DEVICE_BUFFER < TONE_SECONDS


@pytest.mark.pulse
def test_cut_drops_the_queue_and_reports_every_sound(speaker: SoundDeviceOutput) -> None:
    beep = Pcm((0.2 * 32767 * np.sin(np.arange(TARGET_RATE) / 3)).astype(np.int16), TARGET_RATE)
    reports: list[tuple[int, bool]] = []
    started = threading.Event()
    speaker.play(beep, lambda cut: reports.append((0, cut)), started.set)
    speaker.play(beep, lambda cut: reports.append((1, cut)))
    speaker.play(beep, lambda cut: reports.append((2, cut)))
    assert started.wait(2.0)
    speaker.cut()
    deadline = time.monotonic() + 1
    while len(reports) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(reports) == [(0, True), (1, True), (2, True)]
    assert not speaker.busy


@pytest.mark.pulse
@requires_espeak
def test_speech_out_says_phrases_in_order_and_cut_drops_the_rest(speaker: SoundDeviceOutput) -> None:
    synthesizer = Synthesizer()
    speech = SpeechOut(synthesizer, speaker)
    events: list[str] = []
    step_started, step_done = threading.Event(), threading.Event()

    def done(word: str, cut: bool) -> None:
        events.append(f"done {word} {cut}")

    def step_finished(cut: bool) -> None:
        events.append(f"done step {cut}")
        step_done.set()

    try:
        speech.prepare(["one"])
        for word in ("one", "two", "three"):
            speech.say(word, on_start=functools.partial(events.append, f"start {word}"),
                       on_done=functools.partial(done, word))
        speech.say(STEP, on_start=step_started.set, on_done=step_finished)
        assert step_started.wait(10)
        speech.cut()
        assert step_done.wait(10)
    finally:
        speech.close()
        synthesizer.close()
    assert events == [
        "start one", "done one False", "start two", "done two False", "start three", "done three False",
        "done step True",
    ]


@pytest.mark.pulse
def test_a_speaker_that_fails_while_playing_is_reported_once(
    pulse_sink: PulseSink, caplog: pytest.LogCaptureFixture
) -> None:
    spare = PulseSink.start("spare")  # a server of its own to kill; the shared one stays up
    try:
        os.environ["PULSE_SERVER"] = spare.server  # ALSA's pulse plugin reads it when a stream opens
        output = SoundDeviceOutput(pulse_sink.device)
    finally:
        os.environ["PULSE_SERVER"] = pulse_sink.server
    tone = Pcm((0.2 * 32767 * np.sin(np.arange(5 * TARGET_RATE) / 3)).astype(np.int16), TARGET_RATE)
    done = Finished()
    started = threading.Event()
    try:
        with caplog.at_level(logging.WARNING, logger="voice.audio.speaker"):
            output.play(tone, done, started.set)
            assert started.wait(10)
            spare.stop()  # the sound server goes away mid-sentence
            done.wait_for(1)
            assert done.reports == [True], "the cut-off sound was reported as played"
            # carries on silently, taking the sound's time
            started_at = time.monotonic()
            output.play(Pcm(tone.samples[: TARGET_RATE // 5], TARGET_RATE), done)
            done.wait_for(2)
            took = time.monotonic() - started_at
    finally:
        output.close()
        spare.stop()
    assert done.reports == [True, False]
    assert took >= 0.2
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert caplog.records[0].getMessage().startswith("The speaker stopped (")


@pytest.mark.audio
@requires_espeak
def test_speech_out_renders_off_the_caller_s_thread_and_reports_each_utterance_once() -> None:
    synthesizer = Synthesizer()
    speech = SpeechOut(synthesizer, NullOutput())
    reports: dict[str, list[bool]] = {}
    started: list[str] = []
    texts = [f"Uncached sentence number {n}, long enough to take a while to render." for n in range(4)]
    rendered_on: set[str] = set()
    render = synthesizer.synthesize

    def spy(*args: Any) -> Pcm:
        rendered_on.add(threading.current_thread().name)
        return render(*args)

    synthesizer.synthesize = spy  # type: ignore[method-assign]
    first_started = threading.Event()
    reported = threading.Condition()

    def done(text: str, cut: bool) -> None:
        with reported:
            reports.setdefault(text, []).append(cut)
            reported.notify_all()

    def on_start(text: str) -> None:
        started.append(text)
        first_started.set()

    try:
        for text in texts:
            when_done, when_started = functools.partial(done, text), functools.partial(on_start, text)
            speech.say(text, on_done=when_done, on_start=when_started)
        assert first_started.wait(10)  # the first is playing; the rest are queued or being rendered
        speech.cut()
        with reported:
            assert reported.wait_for(lambda: len(reports) == len(texts), timeout=10)
    finally:
        speech.close()  # joins the rendering thread: nothing can be reported after this
        synthesizer.close()
    assert rendered_on and threading.current_thread().name not in rendered_on
    assert reports == {text: [True] for text in texts}
    assert started == texts[:1]
    assert not speech.busy


@pytest.mark.audio
@requires_espeak
def test_the_session_hears_only_of_utterances_that_started() -> None:
    from voice.coach.actions import Say
    from voice.speech.output import SessionSpeech

    heard: list[str] = []
    last_finished = threading.Event()

    class Listener:
        def speech_started(self, say: Say) -> None:
            heard.append(f"started {say.utterance}")

        def speech_finished(self, say: Say, interrupted: bool) -> None:
            heard.append(f"finished {say.utterance} {interrupted}")
            if say.utterance == 3:
                last_finished.set()

    synthesizer = Synthesizer()
    speech = SpeechOut(synthesizer, NullOutput())
    speech.prepare(["one", "two", "five"])
    port = SessionSpeech(speech, Listener(), lambda work: work())
    try:
        port.say(Say(1, "one", "count", 150))
        port.say(Say(2, "two", "count", 150))
        port.say(Say(3, "five", "count", 150, interrupt=True))
        assert last_finished.wait(10)
    finally:
        speech.close()
        synthesizer.close()
    assert heard == ["started 1", "finished 1 True", "started 3", "finished 3 False"]


def test_null_output_takes_the_sound_s_time() -> None:
    output = NullOutput()
    pcm = Pcm(np.zeros(int(0.3 * TARGET_RATE), dtype=np.int16), TARGET_RATE)
    done = Finished()
    started = time.monotonic()
    output.play(pcm, done)
    output.play(pcm, done)
    assert output.busy
    done.wait_for(2)
    assert time.monotonic() - started >= 0.6  # one after the other, each for its duration
    assert done.reports == [False, False]
    output.play(pcm, done)
    output.cut()
    assert done.reports == [False, False, True]
    assert not output.busy


def test_no_speaker_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="voice.audio.speaker"):
        output = open_output("no such speaker 42")
        done = Finished()
        for _ in range(3):
            output.play(Pcm(np.zeros(160, dtype=np.int16), TARGET_RATE), done)
        done.wait_for(3)
    assert isinstance(output, NullOutput)
    assert done.reports == [False, False, False]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith("No speaker found (")
    assert messages[0].endswith("); continuing without sound.")
