#!/usr/bin/env python3
"""Processor time of every stage one utterance goes through live, and the memory of both processes.

    nice -n 10 .venv/bin/python scripts/bench_utterance.py [--set /work/main/dev_audio/dev] [--every 5]

Every ``--every``-th development clip, with the live coach's half second of silence each side, is
played in 20 ms blocks (the microphone's block) through the live objects in the live order. In
this, the coach's process: the listener's own stream (``voice.listening.listener._Stream``: echo
canceller on every block, its suppression of the expected leftover, the front end), the endpointer
with Silero, and each utterance's audio sent to the recogniser worker. The worker is a second process
as live, running what ``open_recognizer`` gives the coach's worker (PocketSphinx fused with the
embedding classifier); at the end of an utterance it makes the final reading (noise handling, tone
check, decode, the urgent-only re-reading when the first reading is garbage, embedding, classifier,
fusion), and the coach matches the intent. Before the first clip the coach "speaks" for a few
seconds into the echo canceller (a development chatter clip, heard 0.1 s late at a third of its
level) so the canceller has found its lag and filters every block, as after the greeting; the coach
is silent during the clips.

Each stage is timed with ``time.process_time()`` in the process that runs it (processor time, not
wall time: the machine is shared), exclusive of the stages it calls. An utterance is charged the
listener's blocks from its pre-roll to its end decision, and its final reading; the blocks where no
one speaks are the listener's idle cost, printed per second of audio. Printed: per stage p50 / p95 /
max ms per utterance (0 where the stage did not run for it) and how often it ran; the total per
utterance overall, by condition, kind and utterance length; the peak RSS of each process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice.apps.recognize import with_silent_edges  # noqa: E402
from voice.audio.echo_canceller import ReferenceBuffer  # noqa: E402
from voice.audio.endpointer import Endpointer, Event, Kind  # noqa: E402
from voice.clock import MonotonicClock  # noqa: E402
from voice.content import load_content  # noqa: E402
from voice.listening.engines import open_recognizer  # noqa: E402
from voice.listening.fusion import FusedRecognizer  # noqa: E402
from voice.listening.intent import IntentMatcher  # noqa: E402
from voice.listening.listener import _Stream  # noqa: E402
from voice.listening.recognizer import ListenSettings, Transcript  # noqa: E402
from voice.listening.worker import _heap_trimmer  # noqa: E402
from voice.pcm import SAMPLE_BYTES, TARGET_RATE, float_to_pcm16, int16_bytes_to_float  # noqa: E402
from voice.pcm import read_wav_pcm16k as read_pcm  # noqa: E402

DEV = Path("/work/main/dev_audio/dev")
BLOCK_BYTES = round(0.02 * TARGET_RATE) * SAMPLE_BYTES
"""The microphone's 20 ms block (voice.audio.microphone.BLOCK_SECONDS)."""
ECHO_DELAY = TARGET_RATE // 10
"""Samples by which the microphone hears the coach late while the canceller is primed."""
ECHO_GAIN = 0.3
"""Level of that echo at the microphone."""
COACH_SECONDS = 4.0
"""How long the coach speaks before the first clip."""
PREROLL_BLOCKS = 32
"""Recent blocks kept to charge an utterance's opening to it (more than its pre-roll and open window)."""
BANDS = ((0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 99.0))
"""Utterance length bands (seconds of audio handed to the recogniser)."""

LISTENER = ("echo canceller", "echo suppression", "front end", "endpointer", "silero vad",
            "send to worker", "listener other")
"""Coach process, on every block, in the order they run."""
WORKER = ("worker other", "noise handling", "tone check", "conditioning", "pocketsphinx decode",
          "urgent re-reading", "embedding", "classifier", "fusion intent match", "fusion other")
"""Recogniser worker, at the end of the utterance, in the order they run ("other": receiving the
audio, keeping it, the glue between stages, freeing memory after the decode)."""
COACH = ("intent (coach)",)
"""Coach process, once the transcript is back."""
STAGES = (*LISTENER, *WORKER, *COACH)

Spent = dict[str, float]


def add(into: Spent, spent: Spent) -> None:
    """Add ``spent`` to ``into``, stage by stage."""
    for stage, seconds in spent.items():
        into[stage] = into.get(stage, 0.0) + seconds


class Stopwatch:
    """Processor seconds per stage, and how far each raised the process's peak memory; each stage's own
    (what the wrapped stages it calls spent is not counted in it)."""

    def __init__(self) -> None:
        self.spent: Spent = defaultdict(float)
        self.raised: Spent = defaultdict(float)
        """MB by which each stage raised the peak resident memory."""
        self._inner: list[tuple[float, float]] = []

    def wrap(self, owner: Any, method: str, stage: str) -> None:
        """Time ``owner.method`` (an instance's method) as ``stage`` from now on."""
        real = getattr(owner, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            self._inner.append((0.0, 0.0))
            peak, started = peak_rss_mb(), time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                elapsed, rise = time.process_time() - started, peak_rss_mb() - peak
                inner_elapsed, inner_rise = self._inner.pop()
                self.spent[stage] += elapsed - inner_elapsed
                self.raised[stage] += rise - inner_rise
                if self._inner:
                    outer_elapsed, outer_rise = self._inner[-1]
                    self._inner[-1] = (outer_elapsed + elapsed, outer_rise + rise)

        object.__setattr__(owner, method, timed)

    def take(self) -> Spent:
        """What was spent since the last take."""
        spent, self.spent = dict(self.spent), defaultdict(float)
        return spent


def peak_rss_mb() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's resident memory now."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def timed_recognizer(watch: Stopwatch) -> Any:
    """The coach's worker recogniser, its stages timed."""
    recognizer = open_recognizer(load_content(), ListenSettings(engine="pocketsphinx"))
    if not isinstance(recognizer, FusedRecognizer):
        raise SystemExit("the intent classifier did not load: the worker would run PocketSphinx alone")
    sphinx, fused = recognizer._inner, recognizer
    for owner, method, stage in (
        (fused, "accept", "worker other"), (fused, "final", "fusion other"),
        (sphinx, "final", "fusion other"),
        (sphinx, "denoised", "noise handling"), (sphinx, "rejection", "tone check"),
        (sphinx, "_conditioned", "conditioning"), (sphinx, "reading", "pocketsphinx decode"),
        (sphinx, "urgent_reading", "urgent re-reading"), (fused._embedder, "pooled", "embedding"),
        (fused._network, "probabilities", "classifier"), (fused._matcher, "match", "fusion intent match"),
    ):
        watch.wrap(owner, method, stage)
    return recognizer


def serve(connection: Connection) -> None:
    """The worker: like voice.listening.worker's, answering a final with the stages' times too."""
    watch = Stopwatch()
    recognizer = timed_recognizer(watch)
    trim = _heap_trimmer()
    connection.send(rss_mb())
    started = time.process_time()
    while True:
        op, payload = connection.recv()
        if op == "accept":
            recognizer.accept(payload)
        elif op == "final":
            transcript = recognizer.final()
            trim()
            spent = watch.take()
            spent["worker other"] += time.process_time() - started - sum(spent.values())
            connection.send((transcript, spent))
            started = time.process_time()
        else:
            connection.send((peak_rss_mb(), dict(watch.raised)))
            return


@dataclass
class Utterance:
    """One utterance the endpointer cut, with what each stage spent on it."""

    clip: dict[str, Any]
    """The development clip's labels."""
    seconds: float = 0.0
    """Audio handed to the recogniser."""
    spent: Spent = field(default_factory=dict)
    """Processor seconds per stage."""
    text: str = ""
    """What was heard."""


class Coach:
    """The coach process's listening side, with a worker process like the live one's."""

    def __init__(self) -> None:
        self.watch = Stopwatch()
        self.reference = ReferenceBuffer()
        self.stream = _Stream(MonotonicClock(), self.reference)
        self.endpointer = Endpointer()
        self.matcher = IntentMatcher(load_content())
        self.watch.wrap(self.stream._canceller, "process", "echo canceller")
        self.watch.wrap(self.stream, "_suppress", "echo suppression")
        self.watch.wrap(self.stream._front, "process", "front end")
        self.watch.wrap(self.endpointer, "push", "endpointer")
        if self.endpointer._detector is None:
            raise SystemExit("Silero is not installed: the endpointer would use its energy checks")
        self.watch.wrap(self.endpointer._detector, "probability", "silero vad")
        self.watch.wrap(self.matcher, "match", "intent (coach)")
        self.recent: deque[Spent] = deque(maxlen=PREROLL_BLOCKS)
        self.idle: Spent = {}
        """Listener stages' processor seconds on blocks outside every utterance."""
        self.idle_blocks = 0
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.worker = context.Process(target=serve, args=(theirs,), name="recognizer", daemon=True)
        self.worker.start()
        self.loaded_mb = (rss_mb(), float(self.connection.recv()))
        """Resident memory of the coach's side and of the worker once everything is loaded."""

    def speak(self, voice: bytes) -> None:
        """The coach says ``voice`` and the microphone hears its echo: the canceller finds its lag."""
        played = int16_bytes_to_float(voice)
        heard = np.concatenate([np.zeros(ECHO_DELAY, np.float32), played * ECHO_GAIN])[: len(played)]
        step = BLOCK_BYTES // SAMPLE_BYTES
        for at in range(0, len(played) - step + 1, step):
            self.reference.write(played[at : at + step])
            self.stream.clean(float_to_pcm16(heard[at : at + step]))
        silence = np.zeros(step, np.float32)
        for _ in range(TARGET_RATE // step):  # the echo's tail, then the coach is silent
            self.reference.write(silence)
            self.stream.clean(bytes(BLOCK_BYTES))
        assert self.stream._canceller is not None
        self.watch.take()
        lag = self.stream._canceller.lag
        print(f"echo canceller primed: lag {lag} samples (the echo came {ECHO_DELAY} late)")

    def play(self, pcm: bytes, clip: dict[str, Any]) -> list[Utterance]:
        """The clip through the live stages, block by block, as the coach hears it while silent."""
        found: list[Utterance] = []
        current: Utterance | None = None
        silence = np.zeros(BLOCK_BYTES // SAMPLE_BYTES, np.float32)
        for at in range(0, len(pcm) - BLOCK_BYTES + 1, BLOCK_BYTES):
            self.reference.write(silence)  # the idle speaker keeps writing silence
            began = time.process_time()
            events = self.endpointer.push(self.stream.clean(pcm[at : at + BLOCK_BYTES]))
            if at + 2 * BLOCK_BYTES > len(pcm):  # the clip's last block ends an utterance still open
                events += self.endpointer.flush()
            charged, current = self._events(events, current, clip, found)
            self._charge(charged, time.process_time() - began)
        return found

    def _events(
        self, events: list[Event], current: Utterance | None, clip: dict[str, Any], found: list[Utterance]
    ) -> tuple[Utterance | None, Utterance | None]:
        """Send the utterance's audio to the worker, take its final reading at the end; returns the
        utterance this block is charged to (None: no one spoke) and the one still open."""
        charged = current
        for event in events:
            if event.kind is Kind.START:
                current = Utterance(clip)
                charged = charged or current
                self._take_preroll(current, len(event.audio))
            if current is None:
                continue
            if event.kind is Kind.END:
                self._final(current)
                found.append(current)
                current = None
                continue
            started = time.process_time()
            self.connection.send(("accept", event.audio))
            self.watch.spent["send to worker"] += time.process_time() - started
            current.seconds += len(event.audio) / SAMPLE_BYTES / TARGET_RATE
        return charged, current

    def _take_preroll(self, utterance: Utterance, audio_bytes: int) -> None:
        """Charge the utterance the earlier blocks its opening audio (the pre-roll) came in."""
        for _ in range(min(len(self.recent), -(-audio_bytes // BLOCK_BYTES) - 1)):
            spent = self.recent.pop()
            add(utterance.spent, spent)
            add(self.idle, {stage: -seconds for stage, seconds in spent.items()})
            self.idle_blocks -= 1

    def _final(self, current: Utterance) -> None:
        self.connection.send(("final", None))
        transcript, spent = self.connection.recv()
        assert isinstance(transcript, Transcript)
        current.text = transcript.text
        if transcript.text:  # the coach matches what it heard (voice.apps.live.Ears.judge)
            self.matcher.match(transcript.text, transcript.confidence)
        add(current.spent, spent)

    def _charge(self, utterance: Utterance | None, block_seconds: float) -> None:
        """Add this block's stages, what no stage took as ``listener other``, to the utterance (or idle)."""
        spent = self.watch.take()
        spent["listener other"] = max(0.0, block_seconds - sum(spent.values()))
        if utterance is not None:
            add(utterance.spent, spent)
            return
        self.recent.append(spent)
        add(self.idle, spent)
        self.idle_blocks += 1

    def close(self) -> tuple[float, Spent]:
        """Stop the worker; its peak RSS in MB, and by how much each of its stages raised it."""
        self.connection.send(("close", None))
        peak, raised = self.connection.recv()
        self.worker.join(5)
        return float(peak), raised


def sample(folder: Path, every: int) -> list[dict[str, Any]]:
    """Every ``every``-th clip of the set."""
    lines = (folder / "labels.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()][::every]


def coach_voice(folder: Path, clips: Sequence[dict[str, Any]]) -> bytes:
    """``COACH_SECONDS`` of a clean chatter clip, repeated: what the coach says before the first clip."""
    chosen = next(c for c in clips if c["kind"] == "chatter" and c["condition"] == "clean")
    pcm = read_pcm(folder / chosen["file"])
    wanted = round(COACH_SECONDS * TARGET_RATE) * SAMPLE_BYTES
    return (pcm * (wanted // len(pcm) + 1))[:wanted]


def ms(values: Sequence[float]) -> str:
    """p50 / p95 / max of processor seconds, in ms."""
    p50, p95 = np.percentile(values, [50, 95])
    return f"{1000 * p50:8.1f} {1000 * p95:8.1f} {1000 * max(values):8.1f}"


def total(utterance: Utterance, stages: Sequence[str] = STAGES) -> float:
    """Processor seconds of these stages for the utterance."""
    return sum(utterance.spent.get(stage, 0.0) for stage in stages)


def report_stages(found: Sequence[Utterance]) -> None:
    """Per stage and per process: p50 / p95 / max ms, how often it ran, its share of all time."""
    print(f"\n{'stage (live order)':22} {'p50':>8} {'p95':>8} {'max':>8}  {'ran':>9}  share")
    whole = sum(total(u) for u in found) or 1.0
    for stage in STAGES:
        values = [u.spent.get(stage, 0.0) for u in found]
        ran = sum(1 for u in found if stage in u.spent)
        print(f"{stage:22} {ms(values)}  {ran:4d}/{len(found):<4d}  {100 * sum(values) / whole:4.1f}%")
    for name, stages in (("listener (coach)", LISTENER), ("worker", WORKER),
                         ("after the end", (*WORKER, *COACH)), ("all stages", STAGES)):
        print(f"{name:22} {ms([total(u, stages) for u in found])}")


def report_groups(title: str, found: Sequence[Utterance], key: Callable[[Utterance], str]) -> None:
    """Total per utterance p50 / p95 / max ms per group."""
    groups: dict[str, list[Utterance]] = defaultdict(list)
    for utterance in found:
        groups[key(utterance)].append(utterance)
    print(f"\n{title:22} {'p50':>8} {'p95':>8} {'max':>8}  {'count':>5}  "
          "(all stages; listener p95, worker p95)")
    for name in sorted(groups):
        group = groups[name]
        listener = np.percentile([total(u, LISTENER) for u in group], 95) * 1000
        worker = np.percentile([total(u, WORKER) for u in group], 95) * 1000
        print(f"{name:22} {ms([total(u) for u in group])}  {len(group):5d}  ({listener:.1f}, {worker:.1f})")


def report_idle(coach: Coach) -> None:
    """The listener's processor time while no one speaks."""
    seconds = coach.idle_blocks * BLOCK_BYTES / SAMPLE_BYTES / TARGET_RATE
    if not seconds:
        return
    per_second = 1000 * sum(coach.idle.values()) / seconds
    stages = ", ".join(f"{stage} {1000 * coach.idle.get(stage, 0.0) / seconds:.1f}" for stage in LISTENER)
    print(f"\nlistener while no one speaks ({seconds:.0f} s): {per_second:.1f} ms per second of audio "
          f"({per_second / 10:.1f}% of a core): {stages}")


def report_memory(coach: Coach, worker_peak: float, worker_raised: Spent) -> None:
    """Both processes' memory once loaded and at their peaks, and the stages that raised the peaks."""
    print(f"\nRSS once loaded: coach's listening process {coach.loaded_mb[0]:.0f} MB, recogniser worker "
          f"{coach.loaded_mb[1]:.0f} MB; peak: {peak_rss_mb():.0f} MB and {worker_peak:.0f} MB")
    processes = (("coach's listening process", coach.watch.raised), ("recogniser worker", worker_raised))
    for name, raised in processes:
        rises = sorted(((mb, stage) for stage, mb in raised.items() if mb >= 0.5), reverse=True)
        stages = ", ".join(f"{stage} {mb:.0f} MB" for mb, stage in rises) or "no stage"
        print(f"peak raised after loading, {name}: {stages}")


def band(utterance: Utterance) -> str:
    """The utterance's length band."""
    low, high = next((lo, hi) for lo, hi in BANDS if utterance.seconds < hi)
    return f"{low:.0f}-{high:.0f} s" if high < 99 else f">= {low:.0f} s"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEV, help="development set folder (labels.jsonl)")
    parser.add_argument("--every", type=int, default=5, help="take every N-th clip (default 5)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    clips = sample(args.set, args.every)
    coach = Coach()
    coach.speak(coach_voice(args.set, sample(args.set, 1)))
    found: list[Utterance] = []
    silent = 0
    for clip in clips:
        heard = coach.play(with_silent_edges(read_pcm(args.set / clip["file"])), clip)
        found.extend(heard)
        silent += not heard
    worker_peak, worker_raised = coach.close()
    print(f"{len(clips)} clips (every {args.every}th of {args.set}), {len(found)} utterances; "
          f"{silent} clips gave none (their blocks count as idle)")
    if not found:
        return 1
    report_stages(found)
    report_idle(coach)
    report_groups("condition", found, lambda u: str(u.clip["condition"]))
    report_groups("kind", found, lambda u: str(u.clip["kind"]))
    report_groups("utterance length", found, band)
    report_memory(coach, worker_peak, worker_raised)
    return 0


if __name__ == "__main__":
    sys.exit(main())
