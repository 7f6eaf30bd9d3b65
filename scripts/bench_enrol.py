#!/usr/bin/env python3
"""Benchmark voice enrolment leave-one-voice-out over the development set (scripts/make_dev_audio.py).

    nice -n 10 python scripts/bench_enrol.py [--voices flite:rms,espeak-ng:en-029] [--set DIR]

For each development voice: the enrolment sentences (content/enrolment.toml) are synthesised in that
voice (tempo and pitch varied a little, as a person never reads twice alike), a profile is built from
them by each method (as ``stretch-coach enrol --from-folder`` does, held-back check included), and that
voice's clips of the set (which it never read during enrolment) are recognised as ``stretch-coach
recognize`` does, without and with the profile. Printed per voice and pooled: commands right per
condition, non-commands kept as none, urgent recall (stop, pain, pause), enrolment wall time, profile
size, and whether the held-back check switched the profile on.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice.apps.recognize import recognize_pcm  # noqa: E402
from voice.content import load_content  # noqa: E402
from voice.enrolment.adapt import METHODS, write_wav16k  # noqa: E402
from voice.enrolment.build import BuildSettings, EnrolmentError, build_profile  # noqa: E402
from voice.enrolment.prompts import load_prompts  # noqa: E402
from voice.listening.engines import open_recognizer  # noqa: E402
from voice.listening.intent import IntentMatcher  # noqa: E402
from voice.listening.recognizer import POCKETSPHINX, ListenSettings  # noqa: E402
from voice.pcm import float_to_pcm16, read_wav_pcm16k  # noqa: E402
from voice.testing.voices import DEV_VOICES, speak  # noqa: E402

DEV_SET = Path("/work/main/dev_audio/dev")
CONDITIONS = ("clean", "noise20", "noise10", "noise5", "reverb", "far", "quiet", "loud")
URGENT = ("stop", "pain", "pause")


def read_aloud(voice: str, folder: Path) -> Path:
    """The enrolment sentences read by ``voice`` into ``folder``/ID.wav (made once)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(zlib.crc32(voice.encode()))  # the same readings on every run
    for prompt in load_prompts():
        target = folder / f"{prompt.sentence_id}.wav"
        if target.exists():
            continue
        tempo, cents = float(rng.uniform(0.92, 1.08)), int(rng.integers(-60, 61))
        speech = speak(voice, prompt.text, folder / "raw.wav", tempo, cents)
        speech = speech / max(1e-9, float(np.abs(speech).max())) * 0.5
        clip = np.concatenate([np.zeros(6400), speech, np.zeros(6400)]).astype(np.float32)
        write_wav16k(target, float_to_pcm16(clip))
    return folder


def decode_voice(labels: list[dict[str, Any]], settings: ListenSettings, set_dir: Path) -> list[bool]:
    """Whether each clip came out right (intent and exercise), in the order of ``labels``."""
    content = load_content()
    recognizer = open_recognizer(content, settings)
    matcher = IntentMatcher(content)
    right = []
    for label in labels:
        record = recognize_pcm(read_wav_pcm16k(set_dir / label["file"]), recognizer, matcher)
        right.append(record["intent"] == label["intent"] and record["exercise"] == label["exercise"])
    return right


def figures(labels: list[dict[str, Any]], right: list[bool]) -> dict[str, float]:
    """Shares right: commands per condition and all, non-commands kept as none, urgent recall."""

    def share(keep: Any) -> float:
        picked = [ok for label, ok in zip(labels, right, strict=True) if keep(label)]
        return sum(picked) / len(picked) if picked else float("nan")

    out = {c: share(lambda x, c=c: x["kind"] == "command" and x["condition"] == c) for c in CONDITIONS}
    out["commands"] = share(lambda x: x["kind"] == "command")
    out["none"] = share(lambda x: x["kind"] != "command")
    out["urgent"] = share(lambda x: x["kind"] == "command" and x["intent"] in URGENT)
    return out


def counts(labels: list[dict[str, Any]], right: list[bool]) -> dict[str, tuple[int, int]]:
    """(right, total) per figure, for pooling over voices."""
    keys = {c: (lambda x, c=c: x["kind"] == "command" and x["condition"] == c) for c in CONDITIONS}
    keys |= {
        "commands": lambda x: x["kind"] == "command",
        "none": lambda x: x["kind"] != "command",
        "urgent": lambda x: x["kind"] == "command" and x["intent"] in URGENT,
    }
    return {
        name: (
            sum(ok for x, ok in zip(labels, right, strict=True) if keep(x)),
            sum(1 for x in labels if keep(x)),
        )
        for name, keep in keys.items()
    }


def row(name: str, pooled: dict[str, tuple[int, int]]) -> str:
    cells = [f"{r / t:5.2f}" if t else "    -" for r, t in pooled.values()]
    return f"{name:<34}" + " ".join(cells)


def header() -> str:
    return f"{'':<34}" + " ".join(f"{k[:5]:>5}" for k in (*CONDITIONS, "commands", "none", "urgent"))


def add(total: dict[str, dict[str, tuple[int, int]]], key: str, part: dict[str, tuple[int, int]]) -> None:
    old = total.setdefault(key, {k: (0, 0) for k in part})
    total[key] = {k: (old[k][0] + v[0], old[k][1] + v[1]) for k, v in part.items()}


def bench_voice(voice: str, set_dir: Path, cache: Path, total: dict[str, Any]) -> None:
    labels = [
        json.loads(line)
        for line in (set_dir / "labels.jsonl").read_text().splitlines()
        if json.loads(line)["voice"] == voice
    ]
    recordings = read_aloud(voice, cache / voice.replace(":", "_"))
    before = counts(labels, decode_voice(labels, ListenSettings(engine=POCKETSPHINX), set_dir))
    add(total, "before", before)
    print(row(f"{voice} before", before), flush=True)
    for method in METHODS:
        with tempfile.TemporaryDirectory(prefix="bench-enrol-") as store:
            started = time.perf_counter()
            try:
                built = build_profile(recordings, Path(store), BuildSettings(method=method, force=True))
            except EnrolmentError as error:
                print(f"    {method}: enrolment refused: {error}", flush=True)
                continue
            seconds = time.perf_counter() - started
            after = counts(
                labels,
                decode_voice(labels, ListenSettings(POCKETSPHINX, adaptation=built.adaptation), set_dir),
            )
            add(total, method, after)
            print(row(f"{voice} {method}", after), flush=True)
            print(
                f"    {method}: {seconds:.1f} s to enrol, profile {built.size_bytes / 1024:.0f} KB, held-out "
                f"word errors {built.held_back_before:.2f} -> {built.held_back_after:.2f}, "
                f"{'kept' if built.improves else 'would not be switched on'}",
                flush=True,
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", help="comma-separated development voices (default: all)")
    parser.add_argument("--set", type=Path, default=DEV_SET, help="the development set folder")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench-enrol", help="synthesised readings")
    args = parser.parse_args(argv)
    voices = args.voices.split(",") if args.voices else list(DEV_VOICES)
    print(header())
    total: dict[str, Any] = {}
    for voice in voices:
        bench_voice(voice, args.set, args.cache, total)
    print(f"pooled over {len(voices)} voices: {', '.join(voices)}")
    print(header())
    for key, pooled in total.items():
        print(row(key, pooled))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
