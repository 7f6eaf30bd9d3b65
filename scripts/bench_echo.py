"""Echo canceller on the virtual sound card: echo reduction, person kept, lag and CPU cost.

Plays the coach's sentences (real speech synthesis, the real speaker stream) into a private
PulseAudio null sink while its monitor is recorded at 16 kHz and cancelled block by block on a
worker thread, as the live loop does. A person says "stop" (espeak-ng, another voice, paplay)
over some sentences. Prints per run and overall:

- echo reduction (dB) over each coach-only sentence after the first: p50 and min;
- the first sentence's reduction, and how much coach sound it took to find the lag / be ready;
- person kept: the person's level in the residual while the coach spoke, minus the person alone;
- the person's and the coach's loudest 100 ms over the canceller's expected leftover echo;
- the lag found (speaker minus microphone sample count, in ms);
- the canceller's CPU time as a fraction of real time (the worker thread's time).

    python scripts/bench_echo.py [--runs 3] [--rate 44100] [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from voice.pcm import TARGET_RATE, Pcm
from voice.speech.synthesis import Synthesizer
from voice.testing.audio import espeak_wav
from voice.testing.echo_room import Scene, play_scene
from voice.testing.pulse import PulseSink, restart_portaudio, set_environ

SENTENCES = (
    "Lie on your back with both knees bent and your feet flat on the floor.",
    "Hold your left leg behind the knee with both hands.",
    "Slowly straighten your left leg until you feel a gentle stretch.",
    "Keep breathing, and let your shoulders relax into the floor.",
    "Now bring your right knee towards your chest and hold it there.",
    "Twenty-five. Twenty-six. Twenty-seven. Twenty-eight.",
    "If you feel any pain, stop the movement and tell me.",
    "Well done. Gently lower your leg back to the floor.",
)
TALK_OVER = (2, 5)
"""Sentences the person says "stop" over (the first is left alone: the canceller learns on it)."""


def measure(scene: Scene, sentences: int) -> dict[str, list[float]]:
    """The figures of one scene."""
    coach_only = [index for index in range(1, sentences) if index not in TALK_OVER]
    live = scene.room.live
    first_start = scene.spans[0][0]
    lag = scene.room.canceller.lag
    return {
        "reduction": [scene.reduction(index) for index in coach_only],
        "first": [scene.reduction(0)],
        "locked": [] if live.locked_at is None else [(live.locked_at - first_start) / TARGET_RATE],
        "ready": [] if live.ready_at is None else [(live.ready_at - first_start) / TARGET_RATE],
        "person": [scene.person_error(index) for index in TALK_OVER],
        "person_gate": [scene.over_leftover(index, person=True) for index in TALK_OVER],
        "coach_gate": [scene.over_leftover(index) for index in coach_only],
        "lag": [] if lag is None else [1000 * lag / TARGET_RATE],
        "cpu": [live.cpu_seconds / (len(scene.mic) / TARGET_RATE)],
        "lost": [float(live.lost)],
    }


def details(scene: Scene) -> None:
    """Print each sentence's figures."""
    for index, text in enumerate(SENTENCES):
        person = f", person {scene.person_error(index):+.2f} dB" if index in TALK_OVER else ""
        print(
            f"  {index}: reduction {scene.reduction(index):5.1f} dB, loudest 100 ms"
            f" {scene.over_leftover(index):+6.1f} dB over the leftover{person}  ({text})"
        )


def report(name: str, figures: dict[str, list[float]]) -> None:
    """Print one line of figures."""
    reduction = figures["reduction"]
    worst_person = max(figures["person"], key=abs)
    print(
        f"{name}: echo reduction p50 {statistics.median(reduction):.1f} dB, min {min(reduction):.1f} dB"
        f" ({len(reduction)} sentences); first sentence {statistics.median(figures['first']):.1f} dB,"
        f" lag found {_seconds(figures['locked'])} and ready {_seconds(figures['ready'])} after it began;"
        f" person kept {worst_person:+.2f} dB (worst of {len(figures['person'])});"
        f" gate: person {min(figures['person_gate']):+.1f} dB, coach {max(figures['coach_gate']):+.1f} dB"
        f" over the expected leftover; lag {_lags(figures['lag'])};"
        f" CPU {100 * statistics.mean(figures['cpu']):.1f}% of real time; lost {sum(figures['lost']):.0f}"
    )


def _seconds(values: list[float]) -> str:
    return f"{max(values):.2f} s" if values else "never"


def _lags(values: list[float]) -> str:
    return ", ".join(f"{value:.1f} ms" for value in values) if values else "not found"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="scenes to play (each starts a new canceller)")
    parser.add_argument("--rate", type=int, default=None, help="speaker stream rate (default 16000)")
    parser.add_argument("--verbose", action="store_true", help="print each sentence's figures")
    args = parser.parse_args()
    sink = PulseSink.start()
    set_environ({"XDG_RUNTIME_DIR": str(sink.runtime_dir), "PULSE_SERVER": sink.server})
    try:
        restart_portaudio()
        synthesizer = Synthesizer()
        coach: list[Pcm] = [synthesizer.synthesize(text) for text in SENTENCES]
        synthesizer.close()
        with tempfile.TemporaryDirectory() as folder:
            person = espeak_wav(Path(folder), "stop", "en-gb+f3")
            total: dict[str, list[float]] = {}
            for run in range(args.runs):
                scene = play_scene(sink, coach, person, args.rate, TALK_OVER)
                figures = measure(scene, len(coach))
                report(f"run {run + 1}", figures)
                if args.verbose:
                    details(scene)
                for key, values in figures.items():
                    total.setdefault(key, []).extend(values)
        report("all", total)
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
