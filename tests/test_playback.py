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

from tests.conftest import requires_espeak
from voice.pcm import TARGET_RATE
from voice.playback import Clip, NullOutput, SoundDeviceOutput, SpeakerStream, open_output
from voice.speech import SpeechOut
from voice.testing.audio import rms
from voice.testing.pulse import PulseSink
from voice.tts import Pcm, Synthesizer

Audio = npt.NDArray[np.float32]
STEP = "Hold your left leg behind the knee with both hands."
LOUD = 0.02
"""Recorded samples above this (of 1.0) count as sound; the null sink's monitor is otherwise exact zero."""


class Recorder:
    """Records the sink's monitor at 16 kHz and notes, per block, when it arrived (time.monotonic)."""

    def __init__(self, device: str) -> None:
        import sounddevice as sd

        self.blocks: list[Audio] = []
        self.arrivals: list[tuple[float, int]] = []
        self.overflows = 0
        self._count = 0
        self._stream = sd.InputStream(
            samplerate=TARGET_RATE, blocksize=160, channels=1, dtype="float32", device=device, latency=0.04,
            callback=self._callback,
        )

    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        now = time.monotonic()
        self.blocks.append(indata[:, 0].copy())
        self._count += frames
        self.arrivals.append((now, self._count))
        self.overflows += bool(status.input_overflow)

    def __enter__(self) -> Recorder:
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()

    def audio(self) -> Audio:
        """Everything recorded."""
        return np.concatenate(self.blocks)

    def produced_by(self, moment: float) -> float:
        """A lower bound of how many samples the sink had produced by ``moment`` (time.monotonic).

        Sample i is produced at p0 + i / TARGET_RATE and can only arrive after that, so every block gives
        p0 <= arrival - (last index) / TARGET_RATE; the smallest such bound is the tightest.
        """
        p0 = min(arrival - (count - 1) / TARGET_RATE for arrival, count in self.arrivals)
        return (moment - p0) * TARGET_RATE


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

    def __call__(self, interrupted: bool) -> None:
        self.reports.append(interrupted)
        self.played_at.append(self._output.stream.played if self._output else 0)
        self.event.set()


@pytest.mark.pulse
@requires_espeak
def test_speech_played_to_the_sink_comes_back_on_its_monitor(speaker: SoundDeviceOutput) -> None:
    synthesizer = Synthesizer()
    pcm = synthesizer.synthesize(STEP)
    synthesizer.close()
    done = Finished()
    with Recorder("pulse") as recorder:
        time.sleep(0.3)
        speaker.play(pcm, done)
        assert done.event.wait(pcm.duration + 3)
        time.sleep(0.3)
    assert done.reports == [False]
    heard = recorder.audio()
    first, last = loud_span(heard)
    assert (last - first) / TARGET_RATE == pytest.approx(pcm.duration, abs=0.05)
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
        self.count = 0

    def write(self, samples: Audio) -> None:
        self.count += len(samples)


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
            time.sleep(0.3)
            stream.play(Clip(pcm.floats(), lambda: None, done))
            assert done.event.wait(pcm.duration + 5)
            time.sleep(0.3)
        played = stream.played
    finally:
        stream.close()
    assert done.reports == [False]
    heard = recorder.audio()
    first, last = loud_span(heard)
    assert (last - first) / TARGET_RATE == pytest.approx(pcm.duration, abs=0.05)
    start = best_lag(heard, pcm.floats(), first)
    assert np.corrcoef(heard[start : start + len(pcm.samples)], pcm.floats())[0, 1] > 0.9
    assert reference.count == pytest.approx(played * TARGET_RATE / 44100, abs=2)  # the echo reference stays 16 kHz


def cut_once(speaker: SoundDeviceOutput, device: str) -> tuple[float, int, Recorder, Finished]:
    """Play a 4 s tone, cut it after 1 s; returns when cut() was called and the samples handed before."""
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * np.arange(4 * TARGET_RATE) / TARGET_RATE)).astype(np.int16)
    started = threading.Event()
    done = Finished(speaker)
    with Recorder(device) as recorder:
        time.sleep(0.3)
        speaker.play(Pcm(tone, TARGET_RATE), done, started.set)
        assert started.wait(2.0)
        time.sleep(1.0)
        played_before = speaker.stream.played
        cut_at = time.monotonic()
        speaker.cut()
        assert done.event.wait(1.0)
        time.sleep(0.3)
    return cut_at, played_before, recorder, done


def sound_after_cut_ms(speaker: SoundDeviceOutput, device: str) -> float:
    """One cut: checks the callback's reaction and returns an upper bound of the sound heard after it."""
    cut_at, played_before, recorder, done = cut_once(speaker, device)
    assert done.reports == [True]
    assert not speaker.busy
    # The callback hands at most the block in progress after cut(), then silence.
    handed_after = done.played_at[0] - played_before - 160  # the block that applied the cut is silent
    assert handed_after <= 160
    if recorder.overflows:  # samples were lost, so recording positions no longer map to time
        return float("nan")
    # The recording's last loud sample, against a lower bound of what the sink had produced when
    # cut() was called: an upper bound of the sound after cut() (device buffer + callback reaction).
    _, last = loud_span(recorder.audio())
    return 1000 * (last + 1 - recorder.produced_by(cut_at)) / TARGET_RATE


@pytest.mark.pulse
def test_cut_stops_the_sound_within_50_ms(speaker: SoundDeviceOutput, pulse_sink: PulseSink) -> None:
    figures = [sound_after_cut_ms(speaker, pulse_sink.device) for _ in range(3)]
    measured = [ms for ms in figures if ms == ms]
    print(f"sound after cut(), upper bounds: {', '.join(f'{ms:.1f}' for ms in measured)} ms")
    assert len(measured) >= 2, "the recording kept overflowing"
    assert float(np.median(measured)) <= 50, f"{figures} ms of sound after cut()"
    assert max(measured) <= 80


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
    finished = threading.Event()

    def done(word: str, cut: bool) -> None:
        events.append(f"done {word} {cut}")

    try:
        speech.prepare(["one"])
        for word in ("one", "two", "three"):
            speech.say(word, on_start=functools.partial(events.append, f"start {word}"),
                       on_done=functools.partial(done, word))
        speech.say(STEP, on_start=finished.set, on_done=lambda cut: events.append(f"done step {cut}"))
        assert finished.wait(10)
        time.sleep(0.3)
        speech.cut()
        time.sleep(0.1)
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
        with caplog.at_level(logging.WARNING, logger="voice.playback"):
            output.play(tone, done, started.set)
            assert started.wait(3)
            time.sleep(0.5)
            spare.stop()  # the sound server goes away mid-sentence
            assert done.event.wait(4.5), "the cut-off sound was never reported"
            assert done.reports == [True]
            # carries on silently, same timing
            output.play(Pcm(tone.samples[: TARGET_RATE // 5], TARGET_RATE), done)
            started_at = time.monotonic()
            deadline = started_at + 2
            while len(done.reports) < 2 and time.monotonic() < deadline:
                time.sleep(0.005)
    finally:
        output.close()
        spare.stop()
    assert done.reports == [True, False]
    assert time.monotonic() - started_at == pytest.approx(0.2, abs=0.1)
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert caplog.records[0].getMessage().startswith("The speaker stopped (")


@requires_espeak
def test_speech_out_renders_off_the_caller_s_thread_and_reports_each_utterance_once() -> None:
    synthesizer = Synthesizer()
    speech = SpeechOut(synthesizer, NullOutput())
    reports: dict[str, list[bool]] = {}
    started: list[str] = []
    texts = [f"Uncached sentence number {n}, long enough to take a while to render." for n in range(4)]
    def done(text: str, cut: bool) -> None:
        reports.setdefault(text, []).append(cut)

    try:
        began = time.perf_counter()
        for text in texts:
            on_start = functools.partial(started.append, text)
            speech.say(text, on_done=functools.partial(done, text), on_start=on_start)
        took = time.perf_counter() - began
        time.sleep(0.3)  # the first is playing by now, the rest queued or being rendered
        speech.cut()
        deadline = time.monotonic() + 5
        while len(reports) < len(texts) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
    finally:
        speech.close()
        synthesizer.close()
    assert took < 0.02 * len(texts), f"say() blocked for {took:.3f} s"
    assert reports == {text: [True] for text in texts}
    assert started == texts[:1]
    assert not speech.busy


@requires_espeak
def test_the_session_hears_only_of_utterances_that_started() -> None:
    from voice.events import Say
    from voice.speech import SessionSpeech

    heard: list[str] = []

    class Listener:
        def speech_started(self, say: Say) -> None:
            heard.append(f"started {say.utterance}")

        def speech_finished(self, say: Say, interrupted: bool) -> None:
            heard.append(f"finished {say.utterance} {interrupted}")

    synthesizer = Synthesizer()
    speech = SpeechOut(synthesizer, NullOutput())
    speech.prepare(["one", "two", "five"])
    port = SessionSpeech(speech, Listener(), lambda work: work())
    try:
        port.say(Say(1, "one", "count", 150))
        port.say(Say(2, "two", "count", 150))
        port.say(Say(3, "five", "count", 150, interrupt=True))
        time.sleep(1.5)
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
    deadline = started + 3
    while len(done.reports) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert done.reports == [False, False]
    assert time.monotonic() - started == pytest.approx(0.6, abs=0.1)
    output.play(pcm, done)
    output.cut()
    assert done.reports == [False, False, True]
    assert not output.busy


def test_no_speaker_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="voice.playback"):
        output = open_output("no such speaker 42")
        done = Finished()
        for _ in range(3):
            output.play(Pcm(np.zeros(160, dtype=np.int16), TARGET_RATE), done)
        deadline = time.monotonic() + 2
        while len(done.reports) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
    assert isinstance(output, NullOutput)
    assert done.reports == [False, False, False]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith("No speaker found (")
    assert messages[0].endswith("); continuing without sound.")
