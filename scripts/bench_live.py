"""Live benchmark on the virtual sound card: response, barge-in, count timing, self-triggers, CPU, memory.

Runs the real live session (microphone, echo canceller, endpointer, PocketSphinx, coach, speech,
speaker) in this process on a private PulseAudio null sink, while a "person" (espeak-ng speech
played with paplay) speaks into the same sink, so the coach's own voice is in the microphone too.

    python scripts/bench_live.py [--cycles 8] [--routine] [--events FILE] [-v]

Figures (session clock; the end of a person's speech is where the endpointer heard it end):
- response: end of "start hamstring stretch" to the start of the coach's answer;
- barge-in: end of "stop", said while the coach talks, to the cut of its speech;
- count onset: a count word's playback start minus its second (device latency, ~40 ms here by
  scripts/bench_counts.py, comes on top);
- self-triggers: intents heard while only the coach spoke (the whole routine with --routine);
- CPU of this process while listening idle, and its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __name__ == "__main__" or TYPE_CHECKING:
    # The recogniser's worker process re-imports this file (as __mp_main__): without these it
    # loads what the coach's own worker loads, so its memory figure is the coach's.
    from voice.asr import ListenSettings
    from voice.asr_process import RecognizerProcess
    from voice.content import load_content
    from voice.listen import Utterance
    from voice.live import LiveSession, LiveSettings, open_microphone
    from voice.settings import CoachSettings
    from voice.testing.audio import espeak_wav
    from voice.testing.pulse import PulseSink, restart_portaudio, set_environ
    from voice.tts import SpeechSettings

Event = dict[str, Any]


class EventTap:
    """A file-like event log the benchmark can read while the session writes it."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.events += [json.loads(line) for line in text.splitlines() if line.strip()]
        return len(text)

    def flush(self) -> None:
        pass

    def wait_for(self, wanted: Callable[[Event], bool], timeout: float, after: float = -1.0) -> Event | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [e for e in self.events if e["t"] > after and wanted(e)]
            if found:
                return found[0]
            time.sleep(0.02)
        return None


class Bench:
    """One live session and the person's voice."""

    def __init__(self, sink: PulseSink, folder: Path) -> None:
        self.sink = sink
        self.folder = folder
        content = load_content()
        listen = ListenSettings(engine="pocketsphinx", device="pulse")
        settings = LiveSettings(CoachSettings(), SpeechSettings(), listen, output_device="pulse")
        self.tap = EventTap()
        self.utterances: list[Utterance] = []
        self.recognizer = RecognizerProcess(content, listen)
        self.live = LiveSession(content, settings, self.recognizer, open_microphone(listen), self.tap, None)
        act = self.live._act

        def noted(utterance: Utterance) -> None:
            self.utterances.append(utterance)
            act(utterance)

        self.live._act = noted  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.live.run, name="live")
        self.thread.start()

    def now(self) -> float:
        return self.live.clock.now()

    def speak(self, text: str) -> None:
        wav = espeak_wav(self.folder, text, pad=0.1)
        subprocess.run(["paplay", f"--device={self.sink.sink}", str(wav)], env=self.sink.env, check=True)

    def end_of(self, intent: str, after: float) -> float | None:
        """Session time where the endpointer heard the utterance that gave ``intent`` end."""
        heard = self.tap.wait_for(lambda e: e["type"] == "heard" and e["intent"] == intent, 10, after)
        if heard is None:
            return None
        ends = [
            u.end for u in self.utterances
            if u.end <= heard["t"] and heard["text"] in (u.transcript.text, u.transcript.barge_in)
        ]
        return ends[-1] if ends else None

    def wait_quiet(self, after: float) -> None:
        """Wait until the coach has stopped and finished its summary, and its echo has died away."""
        stopped = self.tap.wait_for(lambda e: e["type"] == "state" and e["state"] == "stopped", 10, after)
        deadline = time.monotonic() + 20
        while stopped is not None and time.monotonic() < deadline:
            later = self.tap.events[self.tap.events.index(stopped) + 1 :]
            kinds = [e["type"] for e in later]
            if "say" in kinds and "said" in kinds[kinds.index("say") :]:
                break
            time.sleep(0.05)
        time.sleep(1.0)

    def close(self) -> None:
        self.live.stop()
        self.thread.join(timeout=10)
        self.recognizer.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def cycles(bench: Bench, count: int) -> tuple[list[float], list[float], int]:
    """Start and stop the hamstring stretch ``count`` times; (responses, barge-ins, misses)."""
    responses, barge_ins, misses = [], [], 0
    for _ in range(count):
        mark = bench.now()
        bench.speak("start hamstring stretch")
        end = bench.end_of("start", mark)
        answer = bench.tap.wait_for(lambda e: e["type"] == "say" and e["kind"] == "cue", 10, mark)
        if end is None or answer is None:
            misses += 1
            time.sleep(3)
            continue
        responses.append(answer["t"] - end)
        time.sleep(0.6)
        mark = bench.now()
        bench.speak("stop")
        end = bench.end_of("stop", mark)
        cut = bench.tap.wait_for(lambda e: e["type"] == "said" and e["interrupted"], 5, mark)
        if end is None or cut is None:
            misses += 1
        else:
            barge_ins.append(cut["t"] - end)
        bench.wait_quiet(mark)
    return responses, barge_ins, misses


def count_onsets(events: list[Event]) -> list[float]:
    """Playback start of each count word minus its scheduled second (the nearest count word)."""
    words = [e["t"] for e in events if e["type"] == "say" and e["kind"] == "count"]
    errors = []
    for mark in (e["t"] for e in events if e["type"] == "count"):
        nearest = min(words, key=lambda t: abs(t - mark), default=None)
        if nearest is not None and abs(nearest - mark) < 1.0:
            errors.append(nearest - mark)
    return errors


def self_triggers(bench: Bench, since: float) -> list[Event]:
    return [e for e in bench.tap.events if e["type"] == "heard" and e["t"] > since and e["intent"] != "none"]


def coach_alone(bench: Bench, command: str, timeout: float) -> tuple[list[Event], float]:
    """Start something and let the coach run it alone; (intents heard after the start, seconds)."""
    mark = bench.now()
    bench.speak(command)
    started = bench.tap.wait_for(
        lambda e: e["type"] == "heard" and e["intent"] in ("start", "routine"), 10, mark
    )
    if started is None:
        return [], 0.0
    bench.tap.wait_for(
        lambda e: e["type"] == "state" and e["state"] in ("idle", "stopped"), timeout, started["t"]
    )
    return self_triggers(bench, started["t"]), bench.now() - started["t"]


def cpu_seconds(pid: int | None) -> float:
    """Processor seconds used so far by this process, plus the recogniser's worker ``pid``."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if pid is not None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


def peak_rss_mb(pid: int | None) -> float:
    """Peak resident memory of process ``pid`` (None: this one), in MB."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle_cpu(seconds: float, worker: int | None) -> float:
    """Share of one core the coach (both processes) used over ``seconds`` of listening, nothing said."""
    before, wall = cpu_seconds(worker), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(worker) - before) / (time.monotonic() - wall)


def report(name: str, values: list[float], target: str) -> None:
    if not values:
        print(f"{name}: no samples")
        return
    print(f"{name}: n={len(values)} p50 {1000 * percentile(values, 50):.0f} ms, "
          f"p95 {1000 * percentile(values, 95):.0f} ms, max {1000 * max(values):.0f} ms ({target})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=8, help="start/stop cycles for response and barge-in")
    parser.add_argument("--routine", action="store_true", help="run the whole routine for self-triggers")
    parser.add_argument("--events", type=Path, help="write the session's event log (JSON lines) here")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every utterance and decision")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    sink = PulseSink.start()
    set_environ({"XDG_RUNTIME_DIR": str(sink.runtime_dir), "PULSE_SERVER": sink.server})
    restart_portaudio()
    bench = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            bench = Bench(sink, Path(folder))
            bench.tap.wait_for(lambda e: e["type"] == "said", 60)
            time.sleep(1.0)
            idle = idle_cpu(20.0, bench.recognizer.pid)
            print(f"CPU while listening idle: {idle:.1f} % of one core (target <= 15 %)")
            responses, barge_ins, misses = cycles(bench, args.cycles)
            report("response (end of speech -> answer starts)", responses, "target p50 <= 600, p95 <= 900 ms")
            report("barge-in (end of 'stop' -> speech cut)", barge_ins, "target <= 700 ms")
            print(f"commands not heard in the cycles: {misses}")
            command, timeout = ("start routine", 1500.0) if args.routine else ("start hamstring stretch", 300)
            own, seconds = coach_alone(bench, command, timeout)
            onsets = count_onsets(bench.tap.events)
            report("count onset (playback start - its second)", onsets, "target p95 <= 100 ms")
            print(f"self-triggers while the coach ran '{command}' alone for {seconds:.0f} s: {len(own)} "
                  f"{[e['text'] for e in own]} (target 0)")
            worker_peak = peak_rss_mb(bench.recognizer.pid)
            if args.events:
                args.events.write_text("".join(json.dumps(e) + "\n" for e in bench.tap.events))
    finally:
        if bench is not None:
            bench.close()
        sink.stop()
    peak = peak_rss_mb(None)
    print(f"peak RSS: coach {peak:.0f} MB, recogniser worker {worker_peak:.0f} MB, "
          f"together {peak + worker_peak:.0f} MB (target <= 250 MB)")
    spread = statistics.pstdev(onsets) * 1000 if len(onsets) > 1 else 0.0
    print(f"count onset spread: {spread:.1f} ms")


if __name__ == "__main__":
    main()
