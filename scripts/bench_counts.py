"""Count timing on the virtual sound card: when each count's sound starts against its second.

Runs the real coach (dialogue, speech synthesis, speaker stream) on the wall clock through a
private PulseAudio null sink, records the sink's monitor, and compares the start of each count's
sound with the second it belongs to. Prints onset errors and the hold lengths.

    python scripts/bench_counts.py [--rate 150]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import threading
import time
from typing import Any

import numpy as np

from voice.clock import MonotonicClock
from voice.coach.actions import EventLog
from voice.coach.dialogue import Coach
from voice.coach.plan import phrases_to_prepare
from voice.coach.runtime import RealtimeLoop
from voice.coach.session import Session
from voice.coach.settings import CoachSettings
from voice.content import load_content
from voice.listening.intent import IntentMatcher
from voice.speech.output import open_voice
from voice.speech.synthesis import SpeechSettings
from voice.testing.pulse import PulseSink, restart_portaudio, set_environ

RATE = 16_000
BLOCK = 160


class Recorder:
    """Records the microphone with the monotonic time at which each block arrived."""

    def __init__(self) -> None:
        import sounddevice as sd

        self.blocks: list[tuple[float, np.ndarray]] = []
        self._stream = sd.InputStream(
            samplerate=RATE, blocksize=BLOCK, channels=1, dtype="float32", device="pulse",
            latency=0.02, callback=self._callback,
        )
        self._stream.start()

    def _callback(self, indata: Any, frames: int, when: Any, status: Any) -> None:
        self.blocks.append((time.monotonic(), indata[:, 0].copy()))

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()

    def find(self, sound: np.ndarray, around: float, window: float = 0.4) -> float | None:
        """Monotonic time where ``sound`` starts in the recording, searched within ``window`` s of
        ``around``. Counts cut the word before them, so the sound is found by its shape
        (normalised cross-correlation), not by a gap."""
        audio = np.concatenate([block for _, block in self.blocks])
        first_arrival, first_block = self.blocks[0]
        origin = first_arrival - len(first_block) / RATE  # blocks arrive back to back
        start = max(0, int((around - window - origin) * RATE))
        stop = min(len(audio), int((around + window - origin) * RATE) + len(sound))
        segment = audio[start:stop]
        head = sound[: RATE // 5]
        if len(segment) < len(head):
            return None
        scores = np.correlate(segment, head, mode="valid")
        energy = np.sqrt(np.convolve(segment**2, np.ones(len(head)), mode="valid")) + 1e-9
        best = int(np.argmax(scores / energy))
        return origin + (start + best) / RATE


def run_session(rate: int) -> tuple[list[dict[str, Any]], Recorder, MonotonicClock, dict[str, np.ndarray]]:
    content = load_content()
    settings = CoachSettings(rate=rate)
    clock = MonotonicClock()
    stream = io.StringIO()
    session = Session(Coach(content, settings, clock), clock, EventLog(stream))
    loop = RealtimeLoop(session, clock)
    voice = open_voice(SpeechSettings(rate=rate), "pulse", session, loop.post, clock)
    session.attach(voice.port)
    if voice.synthesizer is not None:
        phrases = phrases_to_prepare(content, settings.cadence, settings.switch_seconds)
        voice.synthesizer.warm_up(phrases, rate)
    matcher = IntentMatcher(content)
    recorder = Recorder()

    def person() -> None:
        time.sleep(3.0)  # let the idle null sink wake and the greeting start
        for words in ["start hamstring stretch", "next", "next", "next", "next", "next"]:
            loop.post(lambda words=words: session.heard(matcher.match(words)))
            time.sleep(1.0)
        time.sleep(36.0)
        loop.post(lambda: session.heard(matcher.match("stop")))
        time.sleep(3.0)
        loop.stop()

    loop.post(session.begin)
    threading.Thread(target=person, daemon=True).start()
    loop.run()
    recorder.close()
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    sounds = {}
    if voice.synthesizer is not None:
        for event in events:
            if event["type"] == "say" and event["kind"] == "count":
                sounds[event["text"]] = voice.synthesizer.synthesize(event["text"], rate).floats()
    voice.close()
    return events, recorder, clock, sounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=150)
    args = parser.parse_args()
    room = PulseSink.start()
    set_environ({"XDG_RUNTIME_DIR": str(room.runtime_dir), "PULSE_SERVER": room.server})
    restart_portaudio()
    try:
        events, recorder, clock, sounds = run_session(args.rate)
    finally:
        room.stop()
    holds = [e for e in events if e["type"] == "state" and e["state"] == "holding"]
    if not holds:
        sys.exit("no hold was reached")
    start = holds[0]["t"]
    errors = []
    print(f"{'count':>5} {'due s':>8} {'sound starts':>13} {'error ms':>9}")
    words = [e["text"] for e in events if e["type"] == "say" and e["kind"] == "count"]
    for count, word in zip((e for e in events if e["type"] == "count"), words, strict=True):
        due = start + count["n"] - 1
        onset = recorder.find(sounds[word], clock.at(due))
        if onset is None:
            continue
        error = 1000 * (onset - clock.at(due))
        errors.append(abs(error))
        print(f"{count['n']:>5} {due:>8.3f} {onset - clock.at(0):>13.3f} {error:>9.1f}")
    release = next(e for e in events if e["type"] == "say" and "release" in e["text"].lower())
    errors.sort()
    p95 = errors[min(len(errors) - 1, round(0.95 * (len(errors) - 1)))]
    print(f"hold length (holding state to release): {release['t'] - start:.3f} s")
    print(f"count onset error: p50 {statistics.median(errors):.1f} ms, p95 {p95:.1f} ms, "
          f"max {errors[-1]:.1f} ms over {len(errors)} counts (rate {args.rate} wpm)")


if __name__ == "__main__":
    main()
