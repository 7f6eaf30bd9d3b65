#!/usr/bin/env python3
"""Benchmark pain detection: the pain and comfort phrasings in a hold, and spoken through the recogniser.

    python scripts/bench_pain.py                 # both parts
    python scripts/bench_pain.py --no-audio      # the simulate part only

(a) Every phrasing of tests/pain_phrasings.toml is said 8 s into the first hamstring hold, one
    simulate script per phrase: how many pain phrasings stopped the hold within 0.1 s with no
    count after, and how many comfort and everyday phrasings let it go on.
(b) The pain phrasings, spoken by several espeak-ng voices, go through the path of ``stretch-coach
    recognize`` (endpointing, engine, intent matching), clean and with noise at 10 dB mixed as
    scripts/make_dev_audio.py mixes it: the recall of ``pain``; and how often other commands,
    everyday chatter (with the everyday phrasings) and the comfort phrasings, spoken the same way,
    come out as ``pain``.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_dev_audio import CHATTER, NOISE_KINDS, Spoken, add_noise, make_noise, synthesise  # noqa: E402

from voice.apps.recognize import recognize_pcm  # noqa: E402
from voice.apps.simulate import Simulation, parse_script  # noqa: E402
from voice.coach.settings import CoachSettings  # noqa: E402
from voice.content import Content, load_content  # noqa: E402
from voice.listening.engines import open_recognizer  # noqa: E402
from voice.listening.intent import IntentMatcher  # noqa: E402
from voice.listening.recognizer import ListenSettings  # noqa: E402
from voice.pcm import float_to_pcm16  # noqa: E402

PHRASINGS = ROOT / "tests" / "pain_phrasings.toml"
VOICES = ("espeak-ng:en-us", "espeak-ng:en-gb", "espeak-ng:en-us+f3", "espeak-ng:en-gb-x-rp")
"""English espeak-ng voices the phrasings are spoken in."""
SAID_INTO_HOLD = 8.0
STOP_WITHIN = 0.1
CONDITIONS = ("clean", "noise10")
COMMANDS_PER_INTENT = 3


def events_of(content: Content, script: str) -> list[dict[str, object]]:
    stream = io.StringIO()
    Simulation(content, CoachSettings(), stream).run(parse_script(script, "bench"))
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def stopped_at_once(events: list[dict[str, object]], said_at: float) -> bool:
    safety = [e for e in events if e["type"] == "say" and e["kind"] == "safety"]
    counts_after = [e for e in events if e["type"] == "count" and float(str(e["t"])) > said_at]
    return bool(safety) and float(str(safety[0]["t"])) - said_at <= STOP_WITHIN and not counts_after


def went_on(events: list[dict[str, object]], said_at: float) -> bool:
    safety = [e for e in events if e["type"] == "say" and e["kind"] == "safety"]
    counts_after = [e["n"] for e in events if e["type"] == "count" and float(str(e["t"])) > said_at]
    return not safety and 30 in counts_after


def bench_simulate(content: Content, pain: list[str], not_pain: list[str]) -> None:
    """Pain phrasings must stop the hold at once; ``not_pain`` (comfort and everyday talk) must not."""
    plain = events_of(content, "1 start hamstring")
    hold = next(float(str(e["t"])) for e in plain if e["type"] == "state" and e["state"] == "holding")
    said_at = round(hold + SAID_INTO_HOLD, 3)
    def said(phrase: str) -> list[dict[str, object]]:
        return events_of(content, f"1 start hamstring\n{said_at} {phrase}")

    missed = [phrase for phrase in pain if not stopped_at_once(said(phrase), said_at)]
    stopped = [phrase for phrase in not_pain if not went_on(said(phrase), said_at)]
    print(f"(a) simulate, said {SAID_INTO_HOLD:g} s into the hamstring hold:")
    print(f"    pain phrasings that stopped the hold within {STOP_WITHIN} s, no count after: "
          f"{len(pain) - len(missed)}/{len(pain)}" + (f"  missed: {missed}" if missed else ""))
    print("    comfort and everyday phrasings that let the hold go on: "
          f"{len(not_pain) - len(stopped)}/{len(not_pain)}"
          + (f"  stopped: {stopped}" if stopped else ""))


@dataclass(frozen=True)
class Result:
    """One spoken clip's outcome."""

    group: str
    """``pain``, ``commands``, ``chatter`` or ``comfort``."""
    condition: str
    """``clean`` or ``noise10``."""
    intent: str
    """The intent it came out as."""
    text: str
    """What was said."""
    transcript: str
    """What the recogniser heard."""


def other_commands(content: Content) -> list[str]:
    """A few phrases of every intent but pain, and a few exercise starts."""
    rng = random.Random(7)
    chosen: list[str] = []
    for intent in sorted({p.intent for p in content.phrases} - {"pain", "none"}):
        texts = [p.text for p in content.phrases if p.intent == intent]
        chosen += rng.sample(texts, min(COMMANDS_PER_INTENT, len(texts)))
    return chosen


def bench_audio(
    content: Content, pain: list[str], not_pain: list[str], everyday: list[str], only: str | None = None,
    classifier: bool = True,
) -> None:
    recognizer = open_recognizer(content, ListenSettings(engine="pocketsphinx", classifier=classifier))
    matcher = IntentMatcher(content)
    groups = {
        "pain": pain, "commands": other_commands(content), "chatter": CHATTER + everyday, "comfort": not_pain,
    }
    if only:
        groups = {only: groups[only]}
    rng = np.random.default_rng(3)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        noises = {kind: make_noise(kind, 16000 * 12, workdir, rng, CHATTER) for kind in NOISE_KINDS}
        for group, texts in groups.items():
            for number, text in enumerate(texts):
                for voice in VOICES:
                    speech = synthesise(Spoken(f"c{number}", text, "", None, group, voice), workdir)
                    noise = noises[NOISE_KINDS[(number + VOICES.index(voice)) % len(NOISE_KINDS)]]
                    for condition in CONDITIONS:
                        samples = speech if condition == "clean" else add_noise(speech, noise, 10.0)
                        peak = max(1.0, float(np.max(np.abs(samples))) / 0.9)
                        pcm = float_to_pcm16((samples / peak).astype(np.float32))
                        record = recognize_pcm(pcm, recognizer, matcher)
                        results.append(Result(group, condition, record["intent"], text, record["transcript"]))
    report(results) if only is None else report_false_pain(results)


def report_false_pain(results: list[Result]) -> None:
    """Every clip that came out as pain though it was not, with what the recogniser heard."""
    false = sorted(
        (r.text, r.transcript, r.condition) for r in results if r.group != "pain" and r.intent == "pain"
    )
    print(f"came out as pain: {len(false)}/{len(results)}")
    for text, transcript, condition in false:
        print(f"    {condition:<8} {text!r} heard as {transcript!r}")


def report(results: list[Result]) -> None:
    print(f"(b) spoken by espeak-ng ({', '.join(VOICES)}) through the recognize path (PocketSphinx):")
    for condition in CONDITIONS:
        here = [r for r in results if r.condition == condition]
        pain = [r for r in here if r.group == "pain"]
        found = sum(r.intent == "pain" for r in pain)
        print(f"    {condition:<8} pain recall {found}/{len(pain)} = {100 * found / len(pain):.1f} %")
        for group in ("commands", "chatter", "comfort"):
            clips = [r for r in here if r.group == group]
            false = sum(r.intent == "pain" for r in clips)
            share = 100 * false / len(clips)
            print(f"    {condition:<8} {group:<8} came out as pain {false}/{len(clips)} = {share:.1f} %")
        missed = Counter(r.text for r in pain if r.intent != "pain")
        print(f"    {condition:<8} most missed: {missed.most_common(8)}")
    false_pain = Counter(r.text for r in results if r.group != "pain" and r.intent == "pain")
    print(f"    heard as pain though not pain (all conditions): {false_pain.most_common(10)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-audio", action="store_true", help="only the simulate part")
    parser.add_argument(
        "--no-classifier", action="store_true", help="PocketSphinx alone, without the intent classifier"
    )
    parser.add_argument(
        "--only", choices=("commands", "chatter", "comfort"),
        help="speak only this group and list each clip that came out as pain",
    )
    args = parser.parse_args()
    lists = tomllib.loads(PHRASINGS.read_text(encoding="utf-8"))
    content = load_content()
    bench_simulate(content, lists["pain"], lists["not_pain"] + lists["everyday"])
    if not args.no_audio:
        bench_audio(content, lists["pain"], lists["not_pain"], lists["everyday"], args.only,
                    not args.no_classifier)


if __name__ == "__main__":
    main()
