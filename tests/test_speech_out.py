"""Real speech out: pyttsx3 + espeak-ng synthesis, and playback through the virtual sound card."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from tests.conftest import PulseRoom, requires_espeak
from voice.playback import Clip, SpeakerStream
from voice.tts import SpeechSettings, Synthesizer

pytestmark = requires_espeak
STEP = "Hold your left leg behind the knee with both hands."


@pytest.fixture(scope="module")
def synthesizer() -> Synthesizer:
    synth = Synthesizer(SpeechSettings())
    synth.start()
    return synth


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_synthesis_gives_speech_of_plausible_length(synthesizer: Synthesizer) -> None:
    pcm = synthesizer.synthesize(STEP)
    assert pcm.rate == 16000
    assert 1.5 < pcm.duration < 6.0
    assert rms(pcm.samples) > 1000  # of 32767: clearly not silence
    assert abs(int(pcm.samples[0])) > 300  # lead-in silence trimmed, so counts start on time


def test_faster_rate_gives_shorter_speech(synthesizer: Synthesizer) -> None:
    slow = synthesizer.synthesize(STEP, rate=110)
    fast = synthesizer.synthesize(STEP, rate=210)
    assert fast.duration < 0.75 * slow.duration


def test_repeated_phrases_come_from_the_cache(synthesizer: Synthesizer) -> None:
    first = synthesizer.synthesize("twenty-five")
    assert synthesizer.synthesize("twenty-five") is first


def test_concurrent_requests_all_succeed(synthesizer: Synthesizer) -> None:
    results: dict[int, Any] = {}

    def render(n: int) -> None:
        results[n] = synthesizer.synthesize(f"Repetition number {n}.")

    threads = [threading.Thread(target=render, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(8))
    assert all(pcm.duration > 0.5 for pcm in results.values())


class Recorder:
    """Records the room's microphone with the device clock time of every block."""

    def __init__(self, device: str) -> None:
        import sounddevice as sd

        self.blocks: list[np.ndarray] = []
        self._stream = sd.InputStream(
            samplerate=16000, blocksize=160, channels=1, dtype="float32", device=device,
            latency=0.04, callback=self._callback,
        )

    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        self.blocks.append(indata[:, 0].copy())

    def __enter__(self) -> Recorder:
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()

    def audio(self) -> np.ndarray:
        return np.concatenate(self.blocks)


def play_and_wait(speaker: SpeakerStream, samples: np.ndarray) -> list[Any]:
    events: list[Any] = []
    started = threading.Event()
    done = threading.Event()
    speaker.play(Clip(samples, on_start=started.set, on_done=lambda cut: (events.append(cut), done.set())))
    assert started.wait(2.0)
    assert done.wait(10.0)
    return events


@pytest.mark.pulse
def test_speech_played_to_the_room_comes_back_on_the_microphone(
    pulse_room: PulseRoom, synthesizer: Synthesizer
) -> None:
    pcm = synthesizer.synthesize(STEP)
    speaker = SpeakerStream(pulse_room.device)
    speaker.open()
    try:
        with Recorder(pulse_room.device) as recorder:
            time.sleep(0.3)
            events = play_and_wait(speaker, pcm.samples.astype(np.float32) / 32768)
            time.sleep(0.3)
    finally:
        speaker.close()
    assert events == [False]
    heard = recorder.audio()
    loud = np.flatnonzero(np.abs(heard) > 0.01)
    assert len(loud)
    heard_seconds = (loud[-1] - loud[0]) / 16000
    assert heard_seconds == pytest.approx(pcm.duration, abs=0.15)
    assert rms(heard[loud[0] : loud[-1]]) > 0.03


@pytest.mark.pulse
def test_cut_stops_playback_within_50_ms_of_audio(pulse_room: PulseRoom) -> None:
    # A steady tone makes its heard length exact; speech has natural gaps.
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(5 * 16000) / 16000)).astype(np.float32)
    speaker = SpeakerStream(pulse_room.device)
    speaker.open()
    started = threading.Event()
    done: list[bool] = []
    try:
        with Recorder(pulse_room.device) as recorder:
            time.sleep(0.3)
            speaker.play(Clip(tone, on_start=started.set, on_done=done.append))
            assert started.wait(2.0)
            start = time.monotonic()
            time.sleep(1.0)
            played_before_cut = time.monotonic() - start - speaker.output_latency
            speaker.cut()
            time.sleep(0.5)
    finally:
        speaker.close()
    assert done == [True]
    loud = np.flatnonzero(np.abs(recorder.audio()) > 0.05)
    heard = (loud[-1] - loud[0] + 1) / 16000
    after_cut_ms = 1000 * (heard - played_before_cut)
    print(f"audio after cut: {after_cut_ms:.1f} ms (heard {heard:.3f} s)")
    assert 0 <= after_cut_ms <= 50, f"{after_cut_ms:.0f} ms of audio after the cut"
