#!/usr/bin/env python3
"""Benchmark the recognisers over the spoken test set made by scripts/make_dev_audio.py.

    python scripts/make_dev_audio.py && python scripts/bench_recognition.py
    python scripts/bench_recognition.py --set heldout --engine pocketsphinx

Per engine (each in its own process, so load time and peak memory are its own): intent
accuracy (intent and exercise both right) per condition, the share of commands the endpointer
heard, the share of non-commands mapped to ``none``, decode time per command (p50/p95), model
load time and peak resident memory. Files go through the same path as ``stretch-coach
recognize`` (WAV reading, conversion, endpointing, engine, intent matching).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONDITIONS = ("clean", "noise10", "noise5", "reverb", "quiet", "far")
TARGETS = {"clean": 98.0, "noise10": 95.0, "noise5": 85.0}
"""Accuracy targets (percent) of the embedded engine."""
NONE_TARGET, P95_TARGET, LOAD_TARGET, RSS_TARGET = 95.0, 50.0, 1.0, 200.0


def run_worker(engine: str, model: str | None, folder: Path, limit: int) -> dict[str, Any]:
    """Load one engine, decode every clip of the manifest, and report (runs in a child process)."""
    from voice.asr import ListenSettings, open_recognizer
    from voice.content import load_content
    from voice.endpoint import speech_span
    from voice.errors import CoachError
    from voice.intent import IntentMatcher
    from voice.pcm import read_wav_pcm16k
    from voice.recognize import recognize_pcm

    content = load_content()
    started = time.perf_counter()
    recognizer = open_recognizer(content, ListenSettings(engine=engine, model=Path(model) if model else None))
    load_seconds = time.perf_counter() - started
    matcher = IntentMatcher(content)
    labels = [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines() if line.strip()]
    results = []
    for label in labels[: limit or None]:
        try:
            pcm = read_wav_pcm16k(folder / label["file"])
        except CoachError as error:
            results.append({**label, "error": str(error)})
            continue
        record = recognize_pcm(pcm, recognizer, matcher)
        results.append({**label, **record, "heard": speech_span(pcm) is not None})
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "engine": recognizer.engine,
        "model": recognizer.model,
        "load_s": load_seconds,
        "rss_mb": peak_kb / 1024,
        "results": results,
    }


def _percent(good: int, total: int) -> str:
    return f"{100 * good / total:5.1f}%" if total else "    -"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _by_noise(results: list[dict[str, Any]]) -> list[str]:
    """Accuracy per noise type in the noisy conditions: the types differ far more than the levels."""
    lines = []
    for condition in ("noise10", "noise5"):
        rows = [r for r in results if r["kind"] == "command" and r["condition"] == condition]
        kinds = sorted({r.get("noise", "") for r in rows} - {""})
        if kinds:
            parts = [
                f"{kind} {sum(r['right'] for r in rows if r.get('noise') == kind)}"
                f"/{sum(r.get('noise') == kind for r in rows)}"
                for kind in kinds
            ]
            lines.append(f"    {condition} by noise: {', '.join(parts)}")
    return lines


def table(report: dict[str, Any]) -> str:
    """The printed table for one engine's report."""
    results = report["results"]
    lines = [
        f"engine {report['engine']}: {report['model']}",
        f"  model load {report['load_s']:.2f} s (target <= {LOAD_TARGET:g} s), "
        f"peak RSS {report['rss_mb']:.0f} MB (target <= {RSS_TARGET:g} MB)",
        f"  {'condition':<12}{'clips':>6}{'correct':>9}{'heard':>8}   target",
    ]
    for condition in CONDITIONS:
        rows = [r for r in results if r["kind"] == "command" and r["condition"] == condition]
        good = sum(r["right"] for r in rows)
        heard = sum(r.get("heard", False) for r in rows)
        target = f">= {TARGETS[condition]:g}%" if condition in TARGETS else ""
        lines.append(
            f"  {condition:<12}{len(rows):>6}{_percent(good, len(rows)):>9}"
            f"{_percent(heard, len(rows)):>8}   {target}"
        )
    lines += _by_noise(results)
    commands = [r for r in results if r["kind"] == "command"]
    lines.append(
        f"  {'all commands':<12}{len(commands):>6}"
        f"{_percent(sum(r['right'] for r in commands), len(commands)):>9}"
    )
    others = [r for r in results if r["kind"] != "command"]
    kinds = defaultdict(list)
    for result in others:
        kinds[result["kind"]].append(result)
    detail = ", ".join(
        f"{kind} {_percent(sum(r['right'] for r in rows), len(rows)).strip()}" for kind, rows in kinds.items()
    )
    lines.append(
        f"  non-commands -> none: {_percent(sum(r['right'] for r in others), len(others)).strip()} "
        f"of {len(others)} "
        f"({detail}) (target >= {NONE_TARGET:g}%)"
    )
    times = [r["decode_ms"] for r in commands if "decode_ms" in r]
    lines.append(
        f"  decode per command: p50 {_percentile(times, 50):.0f} ms, p95 {_percentile(times, 95):.0f} ms "
        f"(target p95 <= {P95_TARGET:g} ms)"
    )
    return "\n".join(lines)


def _mark(report: dict[str, Any], folder: Path) -> None:
    labels = {
        json.loads(line)["file"]: json.loads(line)
        for line in (folder / "labels.jsonl").read_text().splitlines()
    }
    for result in report["results"]:
        label = labels[result["file"]]
        result["right"] = "error" not in result and (result["intent"], result["exercise"]) == (
            label["intent"],
            label["exercise"],
        )


def _engines(wanted: str, model: str | None) -> list[str]:
    from voice.asr import POCKETSPHINX, VOSK
    from voice.models import find_model

    if wanted != "all":
        return [wanted]
    engines = [POCKETSPHINX]
    if model or find_model(None) is not None:
        engines.append(VOSK)
    else:
        print("vosk: skipped (no English Vosk model found; 'stretch-coach model download' or --model)")
    return engines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", dest="which", default="dev", help="folder under dev_audio/ (dev, heldout)")
    parser.add_argument("--audio", type=Path, help="a set folder with labels.jsonl (overrides --set)")
    parser.add_argument("--engine", default="all", help="pocketsphinx, vosk or all (vosk only with a model)")
    parser.add_argument("--model", help="Vosk model folder")
    parser.add_argument("--limit", type=int, default=0, help="only the first N clips")
    parser.add_argument("--save", type=Path, help="also write every result as JSON lines here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    args = parse_args(argv)
    folder = args.audio or ROOT / "dev_audio" / args.which
    if args.worker:
        json.dump(run_worker(args.worker, args.model, folder, args.limit), sys.stdout)
        return 0
    if not (folder / "labels.jsonl").is_file():
        print(f"no test set in {folder}; make it with: python scripts/make_dev_audio.py --set {args.which}")
        return 1
    print(f"test set: {folder}")
    for engine in _engines(args.engine, args.model):
        command = [
            sys.executable,
            __file__,
            "--worker",
            engine,
            "--audio",
            str(folder),
            "--limit",
            str(args.limit),
        ]
        if args.model:
            command += ["--model", args.model]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{engine}: failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        report = json.loads(done.stdout)
        _mark(report, folder)
        print(table(report))
        if args.save:
            with args.save.open("a", encoding="utf-8") as out:
                for result in report["results"]:
                    out.write(json.dumps({"engine": engine, **result}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
