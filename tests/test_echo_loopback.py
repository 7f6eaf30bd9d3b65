"""The echo canceller on the virtual sound card: the coach's voice removed live, a person's "stop" kept."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import requires_espeak
from voice.pcm import TARGET_RATE, Pcm
from voice.speech.synthesis import Synthesizer
from voice.testing.audio import espeak_wav
from voice.testing.echo_room import Room, play_scene, reduction_db
from voice.testing.pulse import PulseSink

SENTENCES = (
    "Lie on your back with both knees bent and your feet flat on the floor.",
    "Hold your left leg behind the knee with both hands.",
    "Slowly straighten your left leg until you feel a gentle stretch.",
    "Keep breathing, and let your shoulders relax into the floor.",
)
"""What the coach says: the first lets the canceller find the lag and converge; the third gets a "stop"."""
@pytest.fixture(scope="module")
def coach() -> Iterator[list[Pcm]]:
    synthesizer = Synthesizer()
    try:
        yield [synthesizer.synthesize(text) for text in SENTENCES]
    finally:
        synthesizer.close()


@pytest.fixture(scope="module")
def stop_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return espeak_wav(tmp_path_factory.mktemp("person"), "stop", "en-gb+f3")


@pytest.mark.pulse
@requires_espeak
def test_the_coach_s_voice_is_cancelled_and_a_person_s_stop_kept(
    pulse_sink: PulseSink, coach: list[Pcm], stop_wav: Path
) -> None:
    scene = play_scene(pulse_sink, coach, stop_wav)
    canceller = scene.room.canceller
    assert canceller.lag is not None, "the canceller never found the lag"
    assert canceller.ready
    assert scene.room.live.lost == 0
    # Coach only, after the first sentence: measured 40-42 dB (second) and 60-66 dB (fourth, after
    # the double talk); the bars leave room for a loaded machine.
    reductions = [scene.reduction(1), scene.reduction(3)]
    assert statistics.median(reductions) >= 25, f"echo only {reductions} dB quieter"
    assert min(reductions) >= 15, f"echo only {reductions} dB quieter"
    # Measured within 0.01 dB: the double talk neither cancels the person nor lets echo through.
    error = scene.person_error(2)
    assert abs(error) < 2, f"the person came through {error:+.1f} dB off"
    # What a voice detector gates on: the person stands out of the expected leftover echo (measured
    # +22 dB); the coach alone stays below it (measured -15 to -21 dB).
    assert scene.over_leftover(2, person=True) > 10
    assert max(scene.over_leftover(1), scene.over_leftover(3)) < 0


@pytest.mark.pulse
@requires_espeak
def test_a_restarted_speaker_at_44_1_khz_moves_the_lag_and_the_canceller_follows(
    pulse_sink: PulseSink, coach: list[Pcm]
) -> None:
    with Room(pulse_sink) as room:
        first = room.say(coach[1])
        lag_before = room.canceller.lag
        room.restart_speaker(rate=44100)  # as after a device hiccup, on a device that refuses 16 kHz
        room.say(coach[0])
        last = room.say(coach[3])
    mic, residual, _ = room.live.recording()
    assert lag_before is not None and room.canceller.lag is not None
    assert abs(room.canceller.lag - lag_before) > TARGET_RATE // 4, "the canceller did not follow the lag"
    assert reduction_db(mic[first[0] : first[1]], residual[first[0] : first[1]]) > 3
    assert reduction_db(mic[last[0] : last[1]], residual[last[0] : last[1]]) >= 20
