"""Real speech synthesis: pyttsx3 driving espeak-ng on one thread, to PCM, with a cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from tests.helpers import requires_espeak
from voice.errors import SpeechError
from voice.pcm import TARGET_RATE, Pcm
from voice.speech.synthesis import SpeechSettings, Synthesizer
from voice.testing.audio import rms

pytestmark = [pytest.mark.audio, requires_espeak]
STEP = "Hold your left leg behind the knee with both hands."
"""A typical step; six words or more."""


@pytest.fixture(scope="module")
def synthesizer() -> Iterator[Synthesizer]:
    synth = Synthesizer(SpeechSettings())
    synth.start()
    yield synth
    synth.close()


def test_a_step_is_real_speech_of_plausible_length(synthesizer: Synthesizer) -> None:
    pcm = synthesizer.synthesize(STEP)
    assert pcm.rate == TARGET_RATE and pcm.samples.dtype == np.int16 and pcm.samples.ndim == 1
    assert 1.0 < pcm.duration < 5.0  # ten words at 150 words per minute: about 3 s
    assert rms(pcm.samples) > 1000  # of 32767: clearly not silence
    assert abs(int(pcm.samples[0])) > 300  # lead-in silence trimmed, so counts start on time


def test_rate_changes_the_length(synthesizer: Synthesizer) -> None:
    slow = synthesizer.synthesize(STEP, rate=110)
    normal = synthesizer.synthesize(STEP)
    fast = synthesizer.synthesize(STEP, rate=210)
    assert fast.duration < 0.85 * normal.duration < 0.85 * 0.85 * slow.duration


def test_volume_and_voice_are_settings() -> None:
    quiet = Synthesizer(SpeechSettings(volume=0.3))
    american = Synthesizer(SpeechSettings(voice="en-us"))
    default = Synthesizer()
    text = "Lie on your back and bend your knees. Rest a moment, then start again."
    try:
        assert rms(quiet.synthesize(text).samples) < 0.5 * rms(default.synthesize(text).samples)
        # espeak-ng's American voice speaks this about 0.25 s longer than its default (British) one.
        assert american.synthesize(text).duration > default.synthesize(text).duration + 0.1
    finally:
        for synth in (quiet, american, default):
            synth.close()


def test_an_unknown_voice_is_one_line_error() -> None:
    with pytest.raises(SpeechError, match=r"^unknown voice 'no-such-voice'; .*espeak-ng --voices"):
        Synthesizer(SpeechSettings(voice="no-such-voice")).start()


def test_repeated_phrases_come_from_the_cache(synthesizer: Synthesizer) -> None:
    first = synthesizer.synthesize("twenty-five")
    renders = synthesizer.renders
    assert synthesizer.synthesize("twenty-five") is first
    assert synthesizer.cached("twenty-five") is first
    assert synthesizer.renders == renders
    assert synthesizer.synthesize("twenty-five", rate=200) is not first  # another rate: another rendering
    assert synthesizer.renders == renders + 1


def test_the_cache_is_bounded() -> None:
    small = Synthesizer(cache_seconds=1.5)
    try:
        for word in ("one", "two", "three", "four", "five", "six"):
            small.synthesize(word)
        assert small.cached("six") is not None
        assert small.cached("one") is None
    finally:
        small.close()


def test_concurrent_requests_all_succeed(synthesizer: Synthesizer) -> None:
    results: dict[int, Pcm] = {}
    errors: list[BaseException] = []

    def render(n: int) -> None:
        try:
            results[n] = synthesizer.synthesize(f"Repetition number {n % 4}, of {n} in all.")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=render, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(results) == list(range(12))
    assert all(pcm.duration > 1.0 and rms(pcm.samples) > 1000 for pcm in results.values())
    again = synthesizer.synthesize("Repetition number 1, of 5 in all.")
    assert again is results[5]


def test_renderings_match_their_text_when_interleaved(synthesizer: Synthesizer) -> None:
    # pyttsx3 2.99's first runAndWait returns before espeak-ng finishes; a later rendering must not
    # pick up an earlier one's audio or rate.
    fresh = Synthesizer(cache_seconds=0.0)
    try:
        lengths = [fresh.synthesize(text).duration for text in ("one", STEP, "one", STEP)]
    finally:
        fresh.close()
    assert lengths[0] == pytest.approx(lengths[2], abs=0.02)
    assert lengths[1] == pytest.approx(lengths[3], abs=0.02)
    assert lengths[1] > 4 * lengths[0]


def test_a_broken_engine_loop_is_restarted(
    synthesizer: Synthesizer, caplog: pytest.LogCaptureFixture
) -> None:
    worker = synthesizer._worker
    assert worker is not None
    # A fake failure: the engine loses its driver, as when pyttsx3's loop breaks.
    worker.call(lambda engine: setattr(engine.engine.proxy, "_driver", None))
    pcm = synthesizer.synthesize("The coach carries on after an engine failure.")
    assert pcm.duration > 1.0 and rms(pcm.samples) > 1000
    assert "restarting it" in caplog.text


def test_silent_text_gives_no_audio(synthesizer: Synthesizer) -> None:
    assert synthesizer.synthesize("").duration == 0.0
    assert synthesizer.synthesize(" ... ").duration == 0.0
