"""Speech-out figures: synthesis time for a step, cache warm-up for every phrase, cached lookups."""

from __future__ import annotations

import statistics
import time

from voice.content import load_content
from voice.plan import phrases_to_prepare
from voice.settings import CoachSettings
from voice.tts import SpeechSettings, Synthesizer

STEP = "Hold your left leg behind the knee with both hands."


def main() -> None:
    settings = CoachSettings()
    synthesizer = Synthesizer(SpeechSettings())
    started = time.perf_counter()
    synthesizer.start()
    print(f"engine start: {1000 * (time.perf_counter() - started):.1f} ms")

    uncached = []
    for rate in range(120, 220, 5):  # a new rate each time, so nothing comes from the cache
        started = time.perf_counter()
        pcm = synthesizer.synthesize(STEP, rate)
        uncached.append(time.perf_counter() - started)
    print(f"typical step ({len(STEP.split())} words, {pcm.duration:.2f} s of speech): "
          f"p50 {1000 * statistics.median(uncached):.1f} ms, max {1000 * max(uncached):.1f} ms "
          f"over {len(uncached)} renderings")

    phrases = phrases_to_prepare(load_content(), settings.cadence, settings.switch_seconds)
    started = time.perf_counter()
    synthesizer.warm_up(phrases, settings.rate)
    warm = time.perf_counter() - started
    print(f"cache warm-up: {len(phrases)} phrases in {warm:.2f} s ({1000 * warm / len(phrases):.1f} ms each)")

    started = time.perf_counter()
    for phrase in phrases:
        synthesizer.synthesize(phrase, settings.rate)
    print(f"cached lookup: {1e6 * (time.perf_counter() - started) / len(phrases):.1f} µs each")
    synthesizer.close()


if __name__ == "__main__":
    main()
