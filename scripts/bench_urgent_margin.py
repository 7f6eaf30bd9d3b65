#!/usr/bin/env python3
"""Measure, leave-one-voice-out, how much likelier urgent phrases should be than other commands.

    python scripts/make_dev_audio.py && python scripts/bench_urgent_margin.py
    python scripts/bench_urgent_margin.py --pass landed=OLD_CONTENT:none --pass now=content:none ...

Every clip of the development set, and of a stop set made here ("stop", "stop!", "stop it", "stop now"
and "stop, stop" in every development voice, clean and in pink noise at 10 dB), goes through the path
of ``stretch-coach recognize`` once per pass: a content folder and an urgent prior (how many times
likelier the first reading holds an urgent phrase than its share of first words makes it; ``none``:
one graph of all phrases, as before). The first pass is "before". In each fold the pass is chosen
on the other voices (the most urgent commands heard as urgent, each false urgent costing
FALSE_URGENT_COST of one, and no fewer other commands right than before less NON_URGENT_SPEND) and
scored on the voice left out. Printed per voice: urgent recall (right intent, and any urgent intent)
before and after, commands that are not urgent taken as urgent (false pauses), non-commands taken
as urgent, and stops taken for a command that is not urgent. Decoded passes are kept in
``<set>/.bench/`` (delete them after changing the engine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice.testing.audio import write_wav  # noqa: E402
from voice.testing.voices import DEV_VOICES, padded_speech  # noqa: E402

URGENT = ("stop", "pause", "pain")
STOP_PHRASES = ("stop", "stop!", "stop it", "stop now", "stop, stop")
"""How the stop set says stop (the phrasings that were taken for "softer", "help", "go on" and "psoas")."""
STOP_NOISE_DB = 10.0
FALSE_URGENT_COST = 0.5
"""A false urgent (a pause or stop the person did not ask for) costs half a missed one: it costs a
sentence, a missed stop can cost an injury."""
NON_URGENT_SPEND = 0.01
"""A pass may lose at most this share of the other commands heard right on the training voices."""

Record = dict[str, Any]


@dataclass(frozen=True)
class Pass:
    """One decoding of every clip: which content and which urgent prior."""

    name: str
    """Its name in the tables."""
    content: Path
    """Content folder (phrases, pronunciations)."""
    prior: float | None
    """Urgent prior of the first reading (None: one graph of all phrases)."""

    @classmethod
    def parse(cls, text: str) -> Pass:
        """NAME=CONTENT_DIR:PRIOR."""
        name, _, rest = text.partition("=")
        folder, _, prior = rest.rpartition(":")
        return cls(name, Path(folder), None if prior == "none" else float(prior))


def make_stop_set(folder: Path) -> None:
    """The stop set: every stop phrasing in every development voice, clean and in 10 dB pink noise."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = []
    with tempfile.TemporaryDirectory() as work:
        for v, voice in enumerate(DEV_VOICES):
            for p, text in enumerate(STOP_PHRASES):
                for condition, snr in (("clean", None), ("noise10", STOP_NOISE_DB)):
                    samples = padded_speech(voice, text, Path(work), snr, seed=v * 10 + p)
                    name = f"{voice.replace(':', '-').replace('+', '_')}-{p}-{condition}.wav"
                    write_wav(folder / name, samples)
                    labels.append({"file": name, "kind": "command", "condition": condition, "intent": "stop",
                                   "exercise": None, "text": text, "voice": voice})
    (folder / "labels.jsonl").write_text("".join(json.dumps(label) + "\n" for label in labels))


def decode_shard(job: tuple[Path, list[Record], Pass]) -> dict[str, Record]:
    """Each clip's intent under one pass."""
    from voice.apps.recognize import recognize_pcm
    from voice.content import load_content
    from voice.errors import CoachError
    from voice.listening.engines.asr_data import load_asr_data
    from voice.listening.engines.sphinx_engine import SphinxRecognizer, SphinxTuning
    from voice.listening.intent import IntentMatcher
    from voice.pcm import read_wav_pcm16k

    folder, labels, setting = job
    content = load_content(setting.content)
    tuning = replace(SphinxTuning(), urgent_prior=setting.prior)
    recognizer = SphinxRecognizer.for_content(content, load_asr_data(setting.content), tuning)
    matcher = IntentMatcher(content)
    out: dict[str, Record] = {}
    for label in labels:
        try:
            record = recognize_pcm(read_wav_pcm16k(folder / label["file"]), recognizer, matcher)
        except CoachError as error:
            record = {"intent": "error", "transcript": str(error)}
        out[label["file"]] = {"intent": record["intent"], "text": record["transcript"]}
    return out


def labels_of(folder: Path) -> list[Record]:
    return [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines() if line.strip()]


def decoded(folder: Path, jobs: int, setting: Pass) -> dict[str, Record]:
    """Every clip's record under one pass: cached in ``<folder>/.bench``, else decoded now."""
    sources = [ROOT / "voice" / "engines" / "sphinx_engine.py", *sorted(setting.content.glob("*.toml"))]
    sources.append(folder / "labels.jsonl")
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources) + repr(setting.prior).encode())
    cache = folder / ".bench" / f"urgent-prior-{digest.hexdigest()[:12]}.json"
    if cache.is_file():
        cached: dict[str, Record] = json.loads(cache.read_text())
        return cached
    labels = labels_of(folder)
    shards = [(folder, labels[i::jobs], setting) for i in range(jobs)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        records = {k: v for part in pool.map(decode_shard, shards) for k, v in part.items()}
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(records))
    return records


Clip = tuple[Record, dict[str, str]]
"""(label, intent under each pass)."""


def tally(clips: list[Clip], name: str) -> dict[str, int]:
    """Counts under one pass: urgent clips, right, any urgent; other commands right and taken as urgent;
    non-commands taken as urgent; stops taken for a command that is not urgent."""
    counts = dict.fromkeys(("urgent", "right", "any", "commands", "commands right", "false", "others",
                            "false others", "stops lost"), 0)
    for label, intents in clips:
        intent = intents[name]
        if label["kind"] == "command" and label["intent"] in URGENT:
            counts["urgent"] += 1
            counts["right"] += intent == label["intent"]
            counts["any"] += intent in URGENT
            counts["stops lost"] += label["intent"] == "stop" and intent not in (*URGENT, "none")
        elif label["kind"] == "command":
            counts["commands"] += 1
            counts["commands right"] += intent == label["intent"]
            counts["false"] += intent in URGENT
        else:
            counts["others"] += 1
            counts["false others"] += intent in URGENT
    return counts


def objective(clips: list[Clip], name: str, before: dict[str, int]) -> float:
    now = tally(clips, name)
    if now["commands right"] < before["commands right"] - NON_URGENT_SPEND * max(1, before["commands"]):
        return -1e9
    return now["any"] - FALSE_URGENT_COST * (now["false"] + now["false others"])


def choose(clips: list[Clip], names: list[str]) -> str:
    """The pass with the best objective on these clips (the earliest on a tie)."""
    before = tally(clips, names[0])
    return max(names, key=lambda name: (objective(clips, name, before), -names.index(name)))


def report(clips: list[Clip], names: list[str], candidates: list[str]) -> None:
    """Every pass on all voices, then the leave-one-voice-out table per voice."""
    print("pass          | urgent right | any urgent | false pauses | non-cmd urgent | stops lost "
          "| other cmds right")
    for name in names:
        t = tally(clips, name)
        print(f"{name:13} | {t['right'] / t['urgent']:.3f}        | {t['any'] / t['urgent']:.3f}      "
              f"| {t['false']:4} of {t['commands']} | {t['false others']:3} of {t['others']}     "
              f"| {t['stops lost']:3}        | {t['commands right'] / t['commands']:.3f}")
    print()
    print(f"leave-one-voice-out, before = {names[0]}, chosen among {', '.join(candidates)}:")
    print("voice                       | urgent | right b->a   | any urgent b->a | false pauses b->a "
          "| non-cmd urgent b->a | stops lost b->a | chosen")
    totals: dict[str, dict[str, int]] = {}
    for voice in sorted({label["voice"] for label, _ in clips} - {""}):
        chosen = choose([c for c in clips if c[0]["voice"] != voice], candidates)
        held = [c for c in clips if c[0]["voice"] == voice]
        before, after = tally(held, names[0]), tally(held, chosen)
        for side, counts in (("before", before), ("after", after)):
            totals[side] = {k: totals.get(side, {}).get(k, 0) + v for k, v in counts.items()}
        print(_row(voice, before, after, chosen))
    print(_row("all voices", totals["before"], totals["after"], ""))
    print(f"chosen on all voices: {choose(clips, candidates)}")


def _row(name: str, before: dict[str, int], after: dict[str, int], chosen: str) -> str:
    n = max(1, before["urgent"])
    return (f"{name:27} | {before['urgent']:6} | {before['right'] / n:.2f} -> {after['right'] / n:.2f} "
            f"| {before['any'] / n:.2f} -> {after['any'] / n:.2f}     "
            f"| {before['false']:3} -> {after['false']:3} of {before['commands']:4} "
            f"| {before['false others']:3} -> {after['false others']:3} of {before['others']:3}    "
            f"| {before['stops lost']:2} -> {after['stops lost']:2}        | {chosen}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--audio", type=Path, default=ROOT / "dev_audio" / "dev", help="development set")
    parser.add_argument("--stops", type=Path, default=ROOT / "dev_audio" / "stops", help="stop set (made)")
    parser.add_argument("--jobs", type=int, default=2, help="decoding processes")
    parser.add_argument("--pass", dest="passes", action="append", type=Pass.parse,
                        help="NAME=CONTENT_DIR:PRIOR (repeat; the first is 'before')")
    args = parser.parse_args(argv)
    content = ROOT / "content"
    passes: list[Pass] = args.passes or [Pass(f"prior {p}", content, None if p == "none" else float(p))
                                         for p in ("none", "10", "100", "1000")]
    if not (args.audio / "labels.jsonl").is_file():
        print(f"bench_urgent_margin: no set in {args.audio} (run scripts/make_dev_audio.py)", file=sys.stderr)
        return 1
    if not (args.stops / "labels.jsonl").is_file():
        make_stop_set(args.stops)
    clips: list[Clip] = []
    for folder in (args.audio, args.stops):
        results = {p.name: decoded(folder, args.jobs, p) for p in passes}
        clips += [(label, {name: r[label["file"]]["intent"] for name, r in results.items()})
                  for label in labels_of(folder)]
    names = [p.name for p in passes]
    report(clips, names, names[1:] if len(names) > 1 and args.passes else names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
