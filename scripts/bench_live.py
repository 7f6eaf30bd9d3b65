"""Live benchmark on the virtual sound card: response, barge-in, count timing, self-triggers, CPU, memory.

Runs the real live session (microphone, echo canceller, endpointer, PocketSphinx, coach, speech,
speaker) in this process on a private PulseAudio null sink, while a "person" (espeak-ng speech
played with paplay) speaks into the same sink, so the coach's own voice is in the microphone too.

    python scripts/bench_live.py [--cycles 8] [--routine] [--events FILE] [-v]
    python scripts/bench_live.py --chatter 10 [--seed 1] [--events FILE] [-v]

Figures (session clock; the end of a person's speech is where the endpointer heard it end):
- response: end of "start hamstring stretch" to the start of the coach's answer;
- barge-in: end of "stop", said while the coach talks, to the cut of its speech;
- count onset: a count word's playback start minus its second (device latency, ~40 ms here by
  scripts/bench_counts.py, comes on top);
- self-triggers: intents heard while only the coach spoke (the whole routine with --routine);
- CPU of this process while listening idle; peak RSS of the coach and its recogniser, and the
  peak of their memory together sampled as RSS and as PSS (shared libraries counted once).

With --chatter MINUTES it only plays a seeded recording of that length to the idle coach: everyday
sentences (scripts/make_dev_audio.py's CHATTER, less those naming pain) by its development voices at
varied tempo and pitch, 0.2-2 s apart or back to back like a radio, over a background that changes
every 40-80 s (quiet room, fan hum, pink noise, babble, none; 10-25 dB under the speech), with coughs,
claps and breathing. It counts what the coach heard as commands: moving ones (start, routine, next,
skip, back, resume; target 0), urgent ones (stop, pause, pain; target <= 2) and the rest, each with
its text and the sentence then playing, and what the coach said in reply.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __name__ == "__main__" or TYPE_CHECKING:
    # The recogniser's worker process re-imports this file (as __mp_main__): without these it
    # loads what the coach's own worker loads, so its memory figure is the coach's.
    import numpy as np
    from make_dev_audio import (
        CHATTER,
        RATE,
        VOICES,
        Audio,
        Spoken,
        at_level,
        breathing,
        clap,
        cough,
        make_noise,
        speech_power,
        synthesise,
    )

    from voice.apps.live import LiveSession, LiveSettings, open_microphone
    from voice.coach.settings import CoachSettings
    from voice.content import Content, load_content
    from voice.listening.listener import Utterance
    from voice.listening.recognizer import ListenSettings
    from voice.listening.worker import RecognizerProcess
    from voice.speech.synthesis import SpeechSettings
    from voice.testing.audio import espeak_wav, write_wav
    from voice.testing.pulse import PulseSink, restart_portaudio, set_environ

Event = dict[str, Any]
Line = tuple[float, str, str]
"""(second in the recording, voice, text) of one chatter sentence."""

MOVING = ("start", "routine", "next", "skip", "back", "resume")
"""Intents that start something or move on."""
URGENT = ("stop", "pause", "pain")
BACKGROUNDS = ("quiet", "fan", "pink", "babble", "none")


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
        self.decided: list[float] = []
        self.recognizer = RecognizerProcess(content, listen)
        self.live = LiveSession(content, settings, self.recognizer, open_microphone(listen), self.tap, None)
        act = self.live._act

        def noted(utterance: Utterance) -> None:
            self.utterances.append(utterance)
            self.decided.append(self.now())
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
            if u.end <= heard["t"] and heard["text"] == u.transcript.text
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


def memory_mb(pid: int, field: str) -> float:
    """``field`` (``Rss`` or ``Pss``) of process ``pid`` from /proc, MB (0 when it is gone)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    line = next((row for row in rollup.splitlines() if row.startswith(f"{field}:")), f"{field}: 0 kB")
    return int(line.split()[1]) / 1024


class MemoryWatch:
    """Samples the memory of this process and its children (recogniser, multiprocessing's tracker).

    Resident sizes summed count the libraries both processes map twice; the proportional size
    (PSS) shares each page among the processes that map it, so its sum is what they take together.
    """

    def __init__(self, every: float = 0.5) -> None:
        self.peak_rss = self.peak_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(every,), name="memory", daemon=True)
        self._thread.start()

    def _pids(self) -> list[int]:
        children = []
        for task in Path(f"/proc/{os.getpid()}/task").glob("*"):
            try:
                children += [int(child) for child in (task / "children").read_text().split()]
            except OSError:  # a thread that has just ended
                continue
        return [os.getpid(), *children]

    def _watch(self, every: float) -> None:
        while not self._stop.wait(every):
            pids = self._pids()
            self.peak_rss = max(self.peak_rss, sum(memory_mb(pid, "Rss") for pid in pids))
            self.peak_pss = max(self.peak_pss, sum(memory_mb(pid, "Pss") for pid in pids))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


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


def chatter_pool(content: Content, workdir: Path, rng: random.Random) -> list[tuple[Spoken, Audio]]:
    """Each chatter sentence not naming pain, twice, by development voices at their own pace and pitch."""
    texts = [t for t in CHATTER if not any(f" {sign} " in f" {t} " for sign in content.pain.signs)]
    pool = [
        Spoken(f"chatter{i}", text, "none", None, "chatter", VOICES[(i + i // len(VOICES)) % len(VOICES)],
               round(rng.uniform(0.85, 1.15), 2), rng.randint(-300, 300))
        for i, text in enumerate(rng.sample(texts * 2, 2 * len(texts)))
    ]
    with ThreadPoolExecutor(max_workers=2) as workers:
        speech = list(workers.map(lambda spoken: synthesise(spoken, workdir), pool))
    peaks = [rng.uniform(-10, -4) for _ in pool]
    return [(s, at_level(samples, peak)) for s, samples, peak in zip(pool, speech, peaks, strict=True)]


def chatter_lines(
    pool: list[tuple[Spoken, Audio]], seconds: float, rng: random.Random
) -> list[tuple[float, int]]:
    """(start second, pool index) of each sentence: 0.2-2 s apart, or back to back a third of the time."""
    placed, t = [], rng.uniform(0.5, 2.0)
    while True:
        index = rng.randrange(len(pool))
        length = len(pool[index][1]) / RATE
        if t + length > seconds - 1.0:
            return placed
        placed.append((t, index))
        t += length + (rng.uniform(0.2, 0.35) if rng.random() < 0.33 else rng.uniform(0.2, 2.0))


def chatter_background(
    count: int, speech: float, workdir: Path, rng: random.Random, nrng: np.random.Generator
) -> tuple[Audio, list[str]]:
    """A background changing every 40-80 s, 10-25 dB under ``speech`` power; its parts' names."""
    mix, parts, start = np.zeros(count), [], 0
    while start < count:
        length = min(count - start, int(rng.uniform(40, 80) * RATE))
        kind = rng.choice(BACKGROUNDS)
        under = 60.0 if kind == "quiet" else rng.uniform(10, 25)
        if kind != "none":
            unit = make_noise("pink" if kind == "quiet" else kind, length, workdir, nrng, CHATTER)
            fade = np.minimum(1.0, np.minimum(np.arange(length), np.arange(length)[::-1]) / (0.5 * RATE))
            level = 10 ** (-60 / 20) if kind == "quiet" else np.sqrt(speech / 10 ** (under / 10))
            mix[start : start + length] = unit * fade * level
        level_note = "" if kind in ("quiet", "none") else f" ({under:.0f} dB under)"
        parts.append(f"{kind} at {start / RATE:.0f} s{level_note}")
        start += length
    return mix, parts


def chatter_sounds(mix: Audio, rng: random.Random, nrng: np.random.Generator) -> int:
    """Add a cough, clap or breathing every 15-45 s; how many."""
    added, t = 0, rng.uniform(5, 20)
    while t < len(mix) / RATE - 5:
        kind = rng.choice(("cough", "clap", "breathing"))
        if kind == "breathing":
            sound = breathing(nrng)
        else:
            burst = cough(nrng, rng.randint(1, 3)) if kind == "cough" else clap(nrng)
            sound = at_level(burst, rng.uniform(-18, -8))
        start = int(t * RATE)
        mix[start : start + len(sound)] += sound[: len(mix) - start]
        added, t = added + 1, t + rng.uniform(15, 45)
    return added


def chatter_recording(content: Content, minutes: float, folder: Path, seed: int) -> tuple[Path, list[Line]]:
    """Write the seeded chatter-and-noise recording (16 kHz mono); its path and its sentences."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    pool = chatter_pool(content, folder, rng)
    count = int(minutes * 60 * RATE)
    speech = float(np.median([speech_power(samples) for _, samples in pool]))
    mix, parts = chatter_background(count, speech, folder, rng, nrng)
    lines = []
    for t, index in chatter_lines(pool, count / RATE, rng):
        spoken, samples = pool[index]
        mix[int(t * RATE) : int(t * RATE) + len(samples)] += samples
        lines.append((t, spoken.voice, spoken.text))
    sounds = chatter_sounds(mix, rng, nrng)
    wav = write_wav(folder / "chatter.wav", np.clip(mix, -0.98, 0.98))
    voices = len({voice for _, voice, _ in lines})
    print(f"recording: {minutes:g} min, {len(lines)} sentences by {voices} voices, "
          f"{sounds} coughs/claps/breaths; background: {', '.join(parts)}")
    return wav, lines


def chatter_run(bench: Bench, wav: Path) -> tuple[float, float]:
    """Play the recording to the idle coach and wait a little after; (session mark, CPU % of one core)."""
    before, wall, mark = cpu_seconds(bench.recognizer.pid), time.monotonic(), bench.now()
    player = bench.sink.play(wav)
    if player.wait() != 0:
        print(f"paplay failed with status {player.returncode}")
    time.sleep(5.0)
    return mark, 100 * (cpu_seconds(bench.recognizer.pid) - before) / (time.monotonic() - wall)


def playing(lines: list[Line], second: float) -> str:
    """The sentences heard in the 4 s before ``second`` of the recording."""
    near = [f"{voice} '{text}'" for t, voice, text in lines if second - 4.0 <= t <= second]
    return "; ".join(near) or "no sentence"


def report_chatter(bench: Bench, mark: float, lines: list[Line], cpu: float) -> None:
    """Print what the coach heard and said while the chatter played, with the targets."""
    events = [e for e in bench.tap.events if e["t"] > mark]
    accepted = [e for e in events if e["type"] == "heard" and e["intent"] != "none"]
    moving = [e for e in accepted if e["intent"] in MOVING]
    urgent = [e for e in accepted if e["intent"] in URGENT]
    decided = [(u, d) for u, d in zip(bench.utterances, bench.decided, strict=False) if u.end > mark]
    print(f"utterances caught: {len(decided)}, heard as commands: {len(accepted)}; "
          f"CPU {cpu:.0f} % of one core")
    print(f"moving accepts ({', '.join(MOVING)}): {len(moving)} (target 0)")
    print(f"urgent false accepts ({', '.join(URGENT)}): {len(urgent)} (target <= 2)")
    print(f"other accepts: {len(accepted) - len(moving) - len(urgent)}")
    for e in accepted:
        print(f"  {e['t'] - mark:6.1f} s {e['intent']}: '{e['text']}' <- {playing(lines, e['t'] - mark)}")
    said = Counter(f"{e['kind']}: {e['text']}" for e in events if e["type"] == "say")
    replies = "; ".join(f"{n} x {line}" for line, n in said.most_common())
    print(f"coach said {sum(said.values())} lines: {replies}")
    started = {e["exercise"] for e in events if e["type"] == "state" and e["exercise"]}
    print(f"exercises started: {len(started)} {sorted(started)} (target 0)")
    lags = [d - u.end for u, d in decided]
    if lags:
        print(f"end of speech -> decision: p50 {1000 * percentile(lags, 50):.0f} ms, "
              f"max {1000 * max(lags):.0f} ms")


def measure(bench: Bench, args: argparse.Namespace) -> list[float]:
    """Idle CPU, the start/stop cycles and the coach alone, printed; the count onsets."""
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
    return onsets


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=8, help="start/stop cycles for response and barge-in")
    parser.add_argument("--routine", action="store_true", help="run the whole routine for self-triggers")
    parser.add_argument("--chatter", type=float, metavar="MINUTES", help="only play chatter and noise")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the chatter recording")
    parser.add_argument("--events", type=Path, help="write the session's event log (JSON lines) here")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every utterance and decision")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    sink = PulseSink.start()
    set_environ({"XDG_RUNTIME_DIR": str(sink.runtime_dir), "PULSE_SERVER": sink.server})
    restart_portaudio()
    bench, onsets = None, []
    try:
        with tempfile.TemporaryDirectory() as folder:
            if args.chatter:
                wav, lines = chatter_recording(load_content(), args.chatter, Path(folder), args.seed)
            watch = MemoryWatch()
            bench = Bench(sink, Path(folder))
            bench.tap.wait_for(lambda e: e["type"] == "said", 60)
            time.sleep(1.0)
            if args.chatter:
                mark, cpu = chatter_run(bench, wav)
                report_chatter(bench, mark, lines, cpu)
            else:
                onsets = measure(bench, args)
            worker_peak = peak_rss_mb(bench.recognizer.pid)
            watch.stop()
            if args.events:
                args.events.write_text("".join(json.dumps(e) + "\n" for e in bench.tap.events))
    finally:
        if bench is not None:
            bench.close()
        sink.stop()
    if args.chatter:
        return  # this process built the recording: its memory is no measure of the coach's
    peak = peak_rss_mb(None)
    print(f"peak RSS: coach {peak:.0f} MB, recogniser worker {worker_peak:.0f} MB, "
          f"together {peak + worker_peak:.0f} MB (target <= 200 MB)")
    print(f"sampled every 0.5 s, with multiprocessing's resource tracker: peak RSS sum "
          f"{watch.peak_rss:.0f} MB, peak PSS sum {watch.peak_pss:.0f} MB (shared libraries counted once)")
    if onsets:
        spread = statistics.pstdev(onsets) * 1000 if len(onsets) > 1 else 0.0
        print(f"count onset spread: {spread:.1f} ms")


if __name__ == "__main__":
    main()
