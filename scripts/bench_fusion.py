#!/usr/bin/env python3
"""PocketSphinx alone against PocketSphinx fused with the intent classifier, leave-one-voice-out.

Every development clip is decoded by PocketSphinx and embedded once (cached in ``--cache``). For each
development voice a classifier is trained on the training features (scripts/train_intent_classifier.py
``--features``) without that voice, and reads that voice's clips; noise clips are read by the model
trained on every voice. Fusion rules and thresholds are then compared on these left-out readings:
commands right (per condition, per intent), non-commands kept as none, and urgent recall against
false urgent readings of non-commands (any urgent intent counted).

    nice -n 10 .venv/bin/python scripts/bench_fusion.py --features /tmp/features.npz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_intent_classifier import FULL, Dataset, train

from voice.apps.recognize import with_silent_edges
from voice.audio.endpointer import speech_span
from voice.audio.frontend import SHIPPED_FRONT_END, cleaned
from voice.content import URGENT_INTENTS, Content, load_content
from voice.listening.classifier import NONE_CLASS, class_label
from voice.listening.embedding import POOLED, SpeechEmbedder, pcm_samples
from voice.listening.engines import open_recognizer
from voice.listening.fusion import ENGINE_ALONE, NEVER, FusionRule, Reading, fuse
from voice.listening.intent import IntentMatcher
from voice.listening.recognizer import ListenSettings
from voice.pcm import TARGET_RATE, read_wav_pcm16k

DEV = Path("/work/main/dev_audio/dev")
CONFIDENT = (NEVER, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
FOLD_ITERATIONS = 120
"""Training epochs of each fold's model (the shipped one has up to 300): keeps 14 folds affordable."""
URGENT = (NEVER, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


def truth(clip: dict[str, Any]) -> str:
    """The class a development clip should be read as."""
    return class_label(clip["intent"], clip.get("exercise")) if clip["kind"] == "command" else NONE_CLASS


def rss_kb() -> int:
    """This process's resident memory now, in KB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0])


Clips = list[dict[str, Any]]


def decode_all(dev: Path, content: Content, limit: int) -> tuple[Clips, npt.NDArray[np.float32]]:
    """Each clip's labels with PocketSphinx's reading and ms, and its pooled features (zeros: no speech)."""
    clips = [json.loads(line) for line in (dev / "labels.jsonl").read_text().splitlines() if line.strip()]
    clips = clips[:limit] if limit else clips
    sphinx = open_recognizer(content, ListenSettings(engine="pocketsphinx", classifier=False))
    matcher = IntentMatcher(content)
    before = rss_kb()
    embedder = SpeechEmbedder()
    embedder.pooled(np.zeros(TARGET_RATE, np.float32))
    added = rss_kb() - before
    features = np.zeros((len(clips), POOLED), np.float32)
    embed_ms = []
    for index, clip in enumerate(clips):
        pcm = with_silent_edges(read_wav_pcm16k(dev / clip["file"]))
        speech = speech_span(cleaned(pcm, SHIPPED_FRONT_END))
        sphinx.reset()
        if speech is not None:
            sphinx.accept(speech)
        heard = sphinx.final()
        intent = matcher.match(heard.text, heard.confidence)
        clip.update(sphinx=class_label(intent.name, intent.exercise), sphinx_ms=heard.decode_ms,
                    speech=speech is not None)
        if speech is not None:
            started = time.process_time()
            features[index] = embedder.pooled(pcm_samples(speech))
            embed_ms.append(1000 * (time.process_time() - started))
    clips[0]["embedder_rss_kb"] = added
    clips[0]["embed_ms"] = embed_ms
    return clips, features


def left_out_probabilities(
    clips: list[dict[str, Any]], features: npt.NDArray[np.float32], data: Dataset, content: Content, seed: int
) -> tuple[list[npt.NDArray[np.float32]], tuple[str, ...], float]:
    """Each clip's class probabilities from a model that never heard its voice; and the MLP's ms."""
    readings: list[npt.NDArray[np.float32]] = [np.zeros(0, np.float32)] * len(clips)
    labels: tuple[str, ...] = ()
    mlp_ms: list[float] = []
    for voice in sorted({clip["voice"] for clip in clips}):
        kept = data.voices != voice if voice else np.ones(len(data.voices), bool)
        network = train(Dataset(data.features[kept], data.labels[kept], data.voices[kept]), content,
                        FULL.hidden, seed, FOLD_ITERATIONS)
        labels = labels or network.labels
        assert labels == network.labels, "every fold must know every class"
        for index, clip in enumerate(clips):
            if clip["voice"] == voice:
                started = time.process_time()
                readings[index] = network.probabilities(features[index])
                mlp_ms.append(1000 * (time.process_time() - started))
        print(f"  fold {voice or '(no voice)'}: trained on {int(kept.sum())} clips", file=sys.stderr)
    return readings, labels, float(np.mean(mlp_ms))


def outcome(clip: dict[str, Any], probabilities: npt.NDArray[np.float32], labels: Sequence[str],
            rule: FusionRule) -> str:
    """The fused class of one clip (PocketSphinx's when no speech was found)."""
    engine = Reading(clip["sphinx"], 1.0, False)
    if not clip["speech"]:
        return engine.label
    return fuse(engine, list(probabilities), labels, frozenset(labels), rule).label


def scores(clips: list[dict[str, Any]], got: list[str]) -> dict[str, Any]:
    """Commands right, none kept, urgent recall and false urgents, overall and per condition."""
    commands = [(clip, g) for clip, g in zip(clips, got, strict=True) if clip["kind"] == "command"]
    others = [(clip, g) for clip, g in zip(clips, got, strict=True) if clip["kind"] != "command"]
    urgent = [(clip, g) for clip, g in commands if clip["intent"] in URGENT_INTENTS]
    by_condition: dict[str, list[bool]] = defaultdict(list)
    by_intent: dict[str, list[bool]] = defaultdict(list)
    for clip, g in commands:
        by_condition[clip["condition"]].append(g == truth(clip))
        by_intent[clip["intent"]].append(g == truth(clip))
    return {
        "commands": np.mean([g == truth(clip) for clip, g in commands]),
        "none": np.mean([g == NONE_CLASS for _, g in others]),
        "urgent": np.mean([g in URGENT_INTENTS for _, g in urgent]),
        "false_urgent": sum(g in URGENT_INTENTS for _, g in others),
        "non_commands": len(others),
        "condition": {key: float(np.mean(value)) for key, value in sorted(by_condition.items())},
        "intent": {key: float(np.mean(value)) for key, value in sorted(by_intent.items())},
    }


def name(threshold: float) -> str:
    return "off" if threshold >= NEVER else f"{threshold:.2f}"


NONE_GIVEN = 0.015
"""Share of non-commands kept as none that may be traded for urgent recall (a false stop only pauses,
but a chatter taken as another command acts)."""


def choose(results: dict[FusionRule, dict[str, Any]], alone: dict[str, Any]) -> FusionRule:
    """Most urgent recall keeping non-commands as none within ``NONE_GIVEN`` of PocketSphinx alone, then
    fewest false urgents, then most commands right."""
    allowed = [rule for rule, s in results.items() if s["none"] >= alone["none"] - NONE_GIVEN]
    return max(allowed, key=lambda rule: (round(results[rule]["urgent"], 3), -results[rule]["false_urgent"],
                                          results[rule]["commands"]))


def table(title: str, columns: dict[str, dict[str, float]]) -> None:
    keys = sorted({key for column in columns.values() for key in column})
    print(f"\n{title:12s}" + "".join(f"{head:>16s}" for head in columns))
    for key in keys:
        print(f"{key:12s}" + "".join(f"{column.get(key, float('nan')):16.2f}" for column in columns.values()))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=Path, required=True, help="training features (from the training)")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench_fusion_dev.npz"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N clips (a smoke run)")
    parser.add_argument("--seed", type=int, default=19)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    content = load_content()
    if args.cache.is_file():
        with np.load(args.cache) as cached:
            clips, features = json.loads(str(cached["clips"])), cached["features"]
    else:
        clips, features = decode_all(args.dev, content, args.limit)
        np.savez_compressed(args.cache, clips=json.dumps(clips), features=features)
    readings, labels, mlp_ms = left_out_probabilities(clips, features, Dataset.load(args.features), content,
                                                      args.seed)
    rules = [FusionRule(confident, urgent) for confident in CONFIDENT for urgent in URGENT]
    results = {
        rule: scores(clips, [outcome(c, p, labels, rule) for c, p in zip(clips, readings, strict=True)])
        for rule in rules
    }
    alone = results[ENGINE_ALONE]
    print(f"clips {len(clips)}; rules: confident / urgent threshold ('off': that part not used)")
    print(f"{'confident':>10s}{'urgent':>8s}{'commands':>10s}{'none':>7s}{'urgent':>8s}{'false urg':>10s}")
    for rule, s in results.items():
        print(f"{name(rule.confident):>10s}{name(rule.urgent):>8s}{s['commands']:10.3f}{s['none']:7.3f}"
              f"{s['urgent']:8.3f}{s['false_urgent']:6d}/{s['non_commands']}")
    chosen = choose(results, alone)
    print(f"\nchosen: confident {name(chosen.confident)}, urgent {name(chosen.urgent)}")
    columns = {"sphinx": alone, "chosen": results[chosen], "clf-if-conf": results[FusionRule(0.95, NEVER)]}
    table("condition", {key: s["condition"] for key, s in columns.items()})
    table("intent", {key: s["intent"] for key, s in columns.items()})
    embed_ms = clips[0]["embed_ms"]
    sphinx_ms = [clip["sphinx_ms"] for clip in clips if clip["speech"]]
    print(f"\nprocessor ms per utterance: embedding mean {np.mean(embed_ms):.1f} p95 "
          f"{np.percentile(embed_ms, 95):.1f}; MLP mean {mlp_ms:.2f}; PocketSphinx mean "
          f"{np.mean(sphinx_ms):.1f} p95 {np.percentile(sphinx_ms, 95):.1f}")
    added = clips[0]["embedder_rss_kb"] / 1024
    print(f"RSS added by the embedder (models loaded, one utterance run): {added:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
