"""Time speech synthesis: a typical step uncached, warming the cache with every phrase, cached lookups."""

from __future__ import annotations

import statistics
import string
import time
from collections.abc import Iterator

from voice.content import Content, load_content
from voice.content.numbers import number_words
from voice.speech.synthesis import SpeechSettings, Synthesizer

STEP = "Hold your left leg behind the knee with both hands."
RUNS = 15


def _fields(line: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(line) if name}


def coach_phrases(content: Content) -> list[str]:
    """Counts 1-60, every step on every side, and the coach's lines (those naming an exercise, for each)."""
    phrases = [number_words(n) for n in range(1, 61)]
    for exercise in content.exercises:
        phrases += [step.spoken(side) for side in exercise.sides for step in exercise.steps]
    for line in vars(content.lines).values():
        fields = _fields(line)
        if not fields:
            phrases.append(line)
        elif fields == {"title"}:
            phrases += [line.format(title=exercise.title) for exercise in content.exercises]
    return list(dict.fromkeys(phrases))


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f} ms"


def uncached_runs(settings: SpeechSettings) -> Iterator[tuple[float, float]]:
    """(render time, audio seconds) of STEP, each on a Synthesizer with an empty cache."""
    for _ in range(RUNS):
        fresh = Synthesizer(settings)
        started = time.perf_counter()
        pcm = fresh.synthesize(STEP)
        yield time.perf_counter() - started, pcm.duration
        fresh.close()


def main() -> None:
    settings = SpeechSettings()
    holder = Synthesizer(settings)  # keeps the one engine thread alive between runs
    started = time.perf_counter()
    holder.start()
    rows = [("engine start (pyttsx3 + espeak-ng)", _ms(time.perf_counter() - started))]

    timings, lengths = zip(*uncached_runs(settings), strict=True)
    rows.append((
        f"typical step, {len(STEP.split())} words, {lengths[0]:.2f} s of speech",
        f"p50 {_ms(statistics.median(timings))}, max {_ms(max(timings))} ({RUNS} uncached runs)",
    ))

    phrases = coach_phrases(load_content())
    started = time.perf_counter()
    holder.warm_up(phrases)
    warm = time.perf_counter() - started
    rows.append((f"cache warm-up, {len(phrases)} phrases", f"{warm:.2f} s ({_ms(warm / len(phrases))} each)"))

    started = time.perf_counter()
    for phrase in phrases:
        holder.synthesize(phrase)
    rows.append(("cached lookup", f"{1e6 * (time.perf_counter() - started) / len(phrases):.1f} µs each"))
    holder.close()

    width = max(len(what) for what, _ in rows)
    print(f"{'what':<{width}}  figure")
    for what, figure in rows:
        print(f"{what:<{width}}  {figure}")


if __name__ == "__main__":
    main()
